//! Conformance in worker processes: each job thread has a child (`wasmgate
//! worker --conformance`) holding every engine, which runs one script on one
//! engine per request and streams one line per directive, so a crash or hang
//! costs the directive it happened in — reported as a failure naming how the
//! worker died — and the rest of that script on that engine, never the run.
//! The worker keeps the last script it parsed: requests come grouped by script.

use super::exec::{self, DirectiveResult, FileRun, Verdict};
use super::script::{self, Script};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use wasmgate_runners::child::{Exchange, Limit, LineChild};

/// A script sent to a worker, and the engine (by index) to run it on.
#[derive(Serialize, Deserialize)]
struct Request {
    engine: usize,
    file: String,
    source: String,
}

/// The last line a worker sends for a script.
#[derive(Serialize, Deserialize)]
struct Done {
    done: bool,
    skipped: Option<String>,
}

/// The worker side: runs each script it is sent on the requested engine of
/// `specs`, one result line per directive, then a [`Done`] line.
pub fn serve(specs: &[String]) -> Result<()> {
    let engines = specs
        .iter()
        .map(|s| crate::execute::engines::resolve(s))
        .collect::<Result<Vec<_>>>()?;
    let spectest = wat::parse_str(exec::SPECTEST_WAT).context("the spectest module")?;
    crate::isolate::worker::say_ready()?;
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let mut last: Option<Script> = None;
    for line in stdin.lock().lines() {
        let request: Request = serde_json::from_str(&line.context("reading a request")?)
            .context("malformed conformance request")?;
        let engine = engines
            .get(request.engine)
            .with_context(|| format!("no engine {} in this worker", request.engine))?;
        let script = match last.take() {
            Some(s) if s.file == request.file && s.source == request.source => s,
            _ => script::parse(&request.file, &request.source)?,
        };
        let mut failed = None;
        let run = exec::run_with(engine.as_ref(), &script, &spectest, &mut |r| {
            let sent = serde_json::to_writer(&mut stdout, r)
                .map_err(std::io::Error::other)
                .and_then(|_| stdout.write_all(b"\n"))
                .and_then(|_| stdout.flush());
            if let Err(e) = sent {
                failed.get_or_insert(e);
            }
        });
        if let Some(e) = failed {
            return Err(e).context("writing a result");
        }
        last = Some(script);
        let done = Done {
            done: true,
            skipped: run.skipped,
        };
        serde_json::to_writer(&mut stdout, &done)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}

/// The supervisor side, one per job thread: one worker with every engine,
/// started on first use and replaced after it dies.
pub struct Workers {
    exe: PathBuf,
    timeout: Duration,
    specs: Vec<String>,
    child: Option<LineChild>,
}

impl Workers {
    /// A worker for the engines `specs` (by index), each directive allowed `timeout`.
    pub fn new(exe: PathBuf, timeout: Duration, specs: Vec<String>) -> Self {
        Workers {
            exe,
            timeout,
            specs,
            child: None,
        }
    }

    /// Runs `script` on engine `engine` in its worker.
    pub fn run(&mut self, engine: usize, script: &Script) -> FileRun {
        let mut results = Vec::new();
        let ended = self.exchange(engine, script, &mut results);
        let (how, observed) = match ended {
            // A script skipped as a whole sends no directive lines.
            Ok(Some(why)) if results.is_empty() => return exec::skipped_file(script, why),
            Ok(skipped) if results.len() == script.steps.len() => {
                return FileRun {
                    skipped,
                    results,
                    elapsed: Default::default(),
                };
            }
            Ok(_) => ("the worker sent too few results".to_string(), "error"),
            Err(Exchange::Hung) => (
                format!(
                    "hang: no result after {:.1} s of CPU time; the worker was killed",
                    self.timeout.as_secs_f64()
                ),
                "hang",
            ),
            Err(Exchange::Busy(cpu, wall)) => (
                format!("inconclusive: {}", wasmgate_runners::child::too_busy(cpu, wall)),
                "busy",
            ),
            // Its stderr tail (an allocation that failed) says no more than this.
            Err(Exchange::Died(how)) if wasmgate_runners::child::out_of_memory(&how) => (
                format!(
                    "not checked: the worker reached {}, a limit of the harness, not an engine bug",
                    crate::isolate::memory_limit()
                ),
                "limit",
            ),
            Err(Exchange::Died(how)) => (format!("crash: {how}"), "crash"),
            Err(Exchange::Line(line)) => (format!("the worker sent an unreadable line: {line}"), "error"),
        };
        self.child = None;
        results.truncate(script.steps.len());
        if results.len() < script.steps.len() {
            results.push(DirectiveResult {
                verdict: if observed == "busy" || observed == "limit" {
                    // Not a failure of the engine: nothing was measured.
                    Verdict::Skip { why: how.clone() }
                } else {
                    Verdict::Fail {
                        expected: "the engine completes the directive".into(),
                        got: how.clone(),
                    }
                },
                observed: observed.into(),
            });
        }
        while results.len() < script.steps.len() {
            results.push(DirectiveResult {
                verdict: Verdict::Skip {
                    why: format!("not run: the engine's worker ended earlier in this script ({observed})"),
                },
                observed: "skipped".into(),
            });
        }
        FileRun {
            skipped: None,
            results,
            elapsed: Default::default(),
        }
    }

    /// Sends the script and collects result lines until the `Done` line;
    /// `Err` says how the exchange broke off.
    fn exchange(
        &mut self,
        engine: usize,
        script: &Script,
        results: &mut Vec<DirectiveResult>,
    ) -> Result<Option<String>, Exchange> {
        if self.child.is_none() {
            let mut command = Command::new(&self.exe);
            command.args(["worker", "--conformance"]).env(
                wasmgate_runners::js::TIMEOUT_ENV,
                (self.timeout * 2).as_millis().to_string(),
            );
            crate::isolate::limit_memory(&mut command);
            for spec in &self.specs {
                command.args(["--engine", spec]);
            }
            let mut child = LineChild::spawn(&mut command, "worker")
                .map_err(|e| Exchange::Died(format!("cannot start a worker: {e}")))?;
            crate::isolate::worker::await_ready(&mut child).map_err(Exchange::Died)?;
            self.child = Some(child);
        }
        let child = self.child.as_mut().expect("just started");
        let request = serde_json::to_string(&Request {
            engine,
            file: script.file.clone(),
            source: script.source.clone(),
        })
        .map_err(|e| Exchange::Died(format!("cannot encode the request: {e}")))?;
        child.send(&request)?;
        loop {
            match child.recv_limited(Limit::cpu(self.timeout)) {
                Exchange::Line(line) => {
                    if let Ok(r) = serde_json::from_str::<DirectiveResult>(&line) {
                        results.push(r);
                    } else if let Ok(done) = serde_json::from_str::<Done>(&line) {
                        return Ok(done.skipped);
                    } else {
                        return Err(Exchange::Line(line));
                    }
                }
                broke => return Err(broke),
            }
        }
    }
}
