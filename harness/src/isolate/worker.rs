//! Worker processes: engines run in child processes (`wasmgate worker`) so that
//! an engine that segfaults, aborts or hangs costs one case, never the run.
//!
//! The supervisor and a worker speak JSON lines over the worker's stdin and
//! stdout: one [`Request`] in, one [`CaseResult`] out. A worker that dies or
//! does not answer within the time limit is killed and replaced, and the case
//! is re-run on each engine alone to find which one crashed or hung.

use crate::compare::judge::{CaseResult, evaluate_case, evaluate_seed};
use crate::compare::{At, Divergence, DivergenceKind, Group, Observed, Verdict, signature_of};
use crate::execute::engines;
use crate::execute::{EngineOutcome, Phase, Status, Timings};
use crate::source::case::TestCase;
use crate::source::profile::Profile;
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wasmgate_runners::child::{Exchange, LineChild};

/// What the supervisor asks a worker to do.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Generate the case for a seed, run it, compare.
    Seed { profile: Profile, seed: u64 },
    /// Run a given case (module bytes in hex), compare, and return every outcome.
    Case { case: TestCase, wasm_hex: String },
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return Err(anyhow!("odd-length hex"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| anyhow!("bad hex: {e}")))
        .collect()
}

/// The worker side: answers requests on stdin until it closes.
pub fn serve(engine_names: &[String]) -> Result<()> {
    let engines = engines::resolve_all(engine_names)?.engines;
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.context("reading a request")?;
        let request: Request = serde_json::from_str(&line).context("malformed worker request")?;
        let result = match request {
            Request::Seed { profile, seed } => evaluate_seed(profile, seed, &engines),
            Request::Case { mut case, wasm_hex } => {
                case.wasm = from_hex(&wasm_hex)?;
                let seed = match case.origin {
                    crate::source::case::Origin::Generated { seed, .. } => seed,
                    _ => 0,
                };
                evaluate_case(seed, &case, &engines, true)
            }
        };
        serde_json::to_writer(&mut stdout, &result)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}

/// How a request to a worker ended.
pub enum Reply {
    Done(Box<CaseResult>),
    /// The worker exited (crashed) before answering; how it died.
    Died(String),
    /// No answer within the time limit; the worker was killed.
    Hung,
}

/// A running worker process.
pub struct WorkerProcess {
    child: LineChild,
}

impl WorkerProcess {
    /// Starts `exe worker --engine …` (in its own process group, so that killing
    /// a worker also kills the engine processes it started).
    pub fn spawn(exe: &Path, engine_names: &[String]) -> Result<Self> {
        let mut command = Command::new(exe);
        command
            .arg("worker")
            .args(engine_names.iter().flat_map(|e| ["--engine", e.as_str()]));
        let child = LineChild::spawn(&mut command, "worker")
            .with_context(|| format!("cannot start worker process {}", exe.display()))?;
        Ok(WorkerProcess { child })
    }

    /// Sends one request and waits up to `timeout` for its answer.
    pub fn request(&mut self, request: &Request, timeout: Duration) -> Reply {
        let line = match serde_json::to_string(request) {
            Ok(l) => l,
            Err(e) => return Reply::Died(format!("cannot encode request: {e}")),
        };
        match self.child.exchange(&line, timeout) {
            Exchange::Line(answer) => match serde_json::from_str::<CaseResult>(&answer) {
                Ok(r) => Reply::Done(Box::new(r)),
                Err(e) => Reply::Died(format!("unreadable answer from worker: {e}")),
            },
            Exchange::Hung => Reply::Hung,
            Exchange::Died(how) => Reply::Died(how),
        }
    }
}

/// Runs cases in worker processes, restarting a worker after a crash or hang.
pub struct IsolatedExecutor {
    exe: PathBuf,
    engines: Vec<String>,
    timeout: Duration,
    worker: Option<WorkerProcess>,
}

impl IsolatedExecutor {
    /// An executor using `exe worker` with `engines` and a per-case time limit.
    pub fn new(exe: PathBuf, engines: Vec<String>, timeout: Duration) -> Self {
        IsolatedExecutor {
            exe,
            engines,
            timeout,
            worker: None,
        }
    }

    /// Runs one seed; a crash or hang becomes a finding blaming the engine(s)
    /// that crash or hang on it when run alone.
    pub fn run_seed(&mut self, profile: Profile, seed: u64) -> Result<CaseResult> {
        let request = Request::Seed { profile, seed };
        let reply = self.request(&request)?;
        match reply {
            Reply::Done(r) => Ok(*r),
            Reply::Died(how) => self.isolate(&request, seed, Some(how)),
            Reply::Hung => self.isolate(&request, seed, None),
        }
    }

    /// Runs a full case, or `None` if the worker crashed or hung on it (no
    /// per-engine isolation: for callers that only ask "same result or not?").
    pub fn try_case(&mut self, case: &TestCase) -> Result<Option<CaseResult>> {
        let request = Request::Case {
            case: case.clone(),
            wasm_hex: to_hex(&case.wasm),
        };
        Ok(match self.request(&request)? {
            Reply::Done(r) => Some(*r),
            Reply::Died(_) | Reply::Hung => None,
        })
    }

    /// Runs a full case (e.g. from a bundle) with the same isolation.
    pub fn run_case(&mut self, case: &TestCase) -> Result<CaseResult> {
        let seed = match case.origin {
            crate::source::case::Origin::Generated { seed, .. } => seed,
            _ => 0,
        };
        let request = Request::Case {
            case: case.clone(),
            wasm_hex: to_hex(&case.wasm),
        };
        match self.request(&request)? {
            Reply::Done(r) => Ok(*r),
            Reply::Died(how) => self.isolate(&request, seed, Some(how)),
            Reply::Hung => self.isolate(&request, seed, None),
        }
    }

    fn request(&mut self, request: &Request) -> Result<Reply> {
        if self.worker.is_none() {
            self.worker = Some(WorkerProcess::spawn(&self.exe, &self.engines)?);
        }
        let worker = self.worker.as_mut().ok_or_else(|| anyhow!("no worker"))?;
        let reply = worker.request(request, self.timeout);
        if !matches!(reply, Reply::Done(_)) {
            self.worker = None;
        }
        Ok(reply)
    }

    /// Re-runs `request` on each engine alone to blame the crash or hang.
    fn isolate(&mut self, request: &Request, seed: u64, died: Option<String>) -> Result<CaseResult> {
        let mut culprits: Vec<(String, String)> = Vec::new();
        let mut healthy: Vec<String> = Vec::new();
        for name in &self.engines {
            let mut alone = WorkerProcess::spawn(&self.exe, std::slice::from_ref(name))?;
            match alone.request(request, self.timeout) {
                Reply::Done(_) => healthy.push(name.clone()),
                Reply::Died(how) => culprits.push((name.clone(), how)),
                Reply::Hung => culprits.push((name.clone(), format!("no answer within {:?}", self.timeout))),
            }
        }
        let hang = died.is_none();
        if culprits.is_empty() {
            // Only the combination fails: blame every engine, say so.
            let how = died.unwrap_or_else(|| format!("no answer within {:?}", self.timeout));
            culprits = self
                .engines
                .iter()
                .map(|e| (e.clone(), format!("{how} (only with all engines together)")))
                .collect();
            healthy.clear();
        }
        // What the healthy engines did, for the bundle.
        let mut outcomes = Vec::new();
        if !healthy.is_empty() {
            let mut rest = IsolatedExecutor::new(self.exe.clone(), healthy.clone(), self.timeout);
            let case_request = match request {
                Request::Seed { profile, seed } => {
                    let case = TestCase::generated(*profile, *seed)?;
                    Request::Case {
                        wasm_hex: to_hex(&case.wasm),
                        case,
                    }
                }
                Request::Case { case, wasm_hex } => Request::Case {
                    case: case.clone(),
                    wasm_hex: wasm_hex.clone(),
                },
            };
            if let Ok(Reply::Done(r)) = rest.request(&case_request) {
                outcomes = r.outcomes.unwrap_or_default();
            }
        }
        for (name, how) in &culprits {
            outcomes.push(EngineOutcome {
                engine: name.clone(),
                status: Status::Crashed {
                    message: how.clone(),
                    phase: Phase::Compile,
                },
                initial: None,
                calls: vec![],
                timings: Timings::default(),
            });
        }
        let kind = if hang {
            DivergenceKind::Hang
        } else {
            DivergenceKind::Crash
        };
        let blamed: Vec<String> = culprits.iter().map(|(n, _)| n.clone()).collect();
        let (signature, signature_text) = signature_of(&blamed, kind, "process");
        let mut groups = Vec::new();
        if !healthy.is_empty() {
            groups.push(Group {
                engines: healthy.clone(),
                observed: "completed".into(),
                outcome: Observed::Completed,
            });
        }
        for (name, how) in &culprits {
            groups.push(Group {
                engines: vec![name.clone()],
                observed: how.clone(),
                outcome: Observed::Crashed {
                    how: Some(how.clone()),
                },
            });
        }
        let divergence = Divergence {
            step: "worker process".into(),
            at: At {
                phase: "process".into(),
                ..At::default()
            },
            kind,
            groups,
            majority: !healthy.is_empty(),
            code_bases: self
                .engines
                .iter()
                .map(|e| crate::compare::code_base(e))
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u32,
            blamed,
            signature,
            signature_text,
        };
        Ok(CaseResult::from_outcomes(
            seed,
            outcomes,
            Verdict::Diverge(divergence),
            &self.engines,
            true,
        ))
    }
}
