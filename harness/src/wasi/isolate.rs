//! WASI runs in worker processes, as modules are judged: one child per
//! runtime (`wasmgate worker --wasi RUNTIME`) compiles the program and runs
//! the cases it is sent, streaming one observation per run, so a runtime
//! that crashes, aborts or runs out of memory costs the run it happened in —
//! observed as that runtime's error, naming how its worker ended — never the
//! command. A fresh worker takes the remaining runs.

use crate::execute::wasi::{EngineRuns, WasiObserved, run_one};
use crate::source::wasi_case::{WasiCase, WasiSuite, program_name};
use anyhow::{Context, Result, anyhow};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use wasmgate_runners::Failure;
use wasmgate_runners::child::{Exchange, Limit, LineChild};
use wasmgate_runners::engine::Exhaustion;
use wasmgate_runners::wasi::{WasiEngine, failed};

/// A program and the runs a worker is to make of it.
#[derive(Serialize, Deserialize)]
struct Request {
    /// The program, base64.
    wasm: String,
    argv0: String,
    cases: Vec<WasiCase>,
    timeout_ms: u64,
}

/// The first line a worker answers a request with.
#[derive(Serialize, Deserialize)]
struct Compiled {
    compile_us: u64,
    /// Why the runtime rejected the program, if it did (then no run follows).
    rejected: Option<String>,
}

/// The worker side: builds WASI runtime `name` and answers each request line
/// with a [`Compiled`] line, then one [`WasiObserved`] line per case.
pub fn serve(name: &str) -> Result<()> {
    let engine: Box<dyn WasiEngine> = match wasmgate_runners::registry::build_wasi(name) {
        Ok(Some(engine)) => engine,
        Ok(None) => return Err(anyhow!("unknown WASI runtime `{name}`")),
        Err(wasmgate_runners::registry::BuildError::Unknown(why))
        | Err(wasmgate_runners::registry::BuildError::Unavailable(why)) => return Err(anyhow!(why)),
    };
    let mut stdout = std::io::stdout().lock();
    let mut send = |line: String| -> Result<()> {
        stdout.write_all(line.as_bytes())?;
        stdout.write_all(b"\n")?;
        stdout.flush().context("writing an answer")
    };
    for line in std::io::stdin().lock().lines() {
        let request: Request =
            serde_json::from_str(&line.context("reading a request")?).context("malformed WASI request")?;
        let wasm = base64::engine::general_purpose::STANDARD
            .decode(&request.wasm)
            .context("malformed program")?;
        let started = Instant::now();
        let compiled = engine.compile(&wasm);
        let compile_us = started.elapsed().as_micros() as u64;
        let mut program = match compiled {
            Ok(program) => program,
            Err(why) => {
                send(serde_json::to_string(&Compiled {
                    compile_us,
                    rejected: Some(why),
                })?)?;
                continue;
            }
        };
        send(serde_json::to_string(&Compiled {
            compile_us,
            rejected: None,
        })?)?;
        let timeout = Duration::from_millis(request.timeout_ms);
        for case in &request.cases {
            let observed = run_one(
                &engine.info().name,
                program.as_mut(),
                &request.argv0,
                case,
                timeout,
            );
            send(serde_json::to_string(&observed)?)?;
        }
    }
    Ok(())
}

/// How a worker's end becomes the observation of the run it was making:
/// the harness's memory limit and a hang are exhaustion (nothing to
/// compare), a crash is the runtime's error.
fn ended(how: Exchange, timeout: Duration) -> Failure {
    match how {
        Exchange::Died(how) if wasmgate_runners::child::out_of_memory(&how) => Failure::exhausted(
            Exhaustion::Memory,
            format!("the worker reached {}: {how}", crate::isolate::memory_limit()),
        ),
        Exchange::Died(how) => Failure::error(format!("crash: {how}")),
        Exchange::Hung => Failure::exhausted(
            Exhaustion::Timeout,
            format!(
                "no answer after {:.0} s of CPU time; the worker was killed",
                backstop(timeout).as_secs_f64()
            ),
        ),
        Exchange::Busy(cpu, wall) => {
            Failure::exhausted(Exhaustion::Timeout, wasmgate_runners::child::too_busy(cpu, wall))
        }
        Exchange::Line(line) => Failure::error(format!("the worker sent an unreadable line: {line}")),
    }
}

/// CPU time a worker may use on one run (or on compiling) before it is
/// taken for hung: the run's own limit stops a looping program first.
fn backstop(timeout: Duration) -> Duration {
    timeout * 2 + Duration::from_secs(2)
}

/// Runs every case of `suite` on runtime `name` in `worker` (a process of
/// `exe`, started if there is none, replaced when one ends).
fn run_suite(
    exe: &Path,
    name: &str,
    worker: &mut Option<LineChild>,
    suite: &WasiSuite,
    timeout: Duration,
) -> EngineRuns {
    let argv0 = program_name(&suite.program);
    let wasm = base64::engine::general_purpose::STANDARD.encode(&suite.wasm);
    let mut observed: Vec<WasiObserved> = Vec::new();
    let mut compile_us = None;
    let mut started_here = false;
    let lost = |failure: Failure| WasiObserved {
        engine: name.to_string(),
        output: failed(failure),
        files: Default::default(),
    };
    while observed.len() < suite.cases.len() {
        let rest = &suite.cases[observed.len()..];
        if worker.is_none() {
            // A worker started on this thread dies with it (see `LineChild`):
            // it serves the rest of this program only.
            match spawn(exe, name, timeout) {
                Ok(child) => {
                    *worker = Some(child);
                    started_here = true;
                }
                Err(e) => {
                    return EngineRuns {
                        engine: name.to_string(),
                        compile_us: 0,
                        runs: Err(e),
                    };
                }
            }
        }
        let child = worker.as_mut().expect("started above");
        let request = Request {
            wasm: wasm.clone(),
            argv0: argv0.clone(),
            cases: rest.to_vec(),
            timeout_ms: timeout.as_millis() as u64,
        };
        let sent = serde_json::to_string(&request)
            .map_err(|e| Exchange::Died(format!("cannot encode the request: {e}")))
            .and_then(|line| child.send(&line));
        let answer = sent.map(|_| child.recv_limited(Limit::cpu(backstop(timeout))));
        let compiled = match answer {
            Ok(Exchange::Line(line)) => {
                serde_json::from_str::<Compiled>(&line).map_err(|_| Exchange::Line(line))
            }
            Ok(other) | Err(other) => Err(other),
        };
        match compiled {
            Ok(c) => {
                compile_us.get_or_insert(c.compile_us);
                if let Some(why) = c.rejected {
                    return EngineRuns {
                        engine: name.to_string(),
                        compile_us: c.compile_us,
                        runs: Err(why),
                    };
                }
            }
            Err(how) => {
                // The worker ended while compiling: every run is lost the same way.
                *worker = None;
                let failure = ended(how, timeout);
                return EngineRuns {
                    engine: name.to_string(),
                    compile_us: 0,
                    runs: Err(format!("its worker ended while compiling: {failure}")),
                };
            }
        }
        for _ in rest {
            match child.recv_limited(Limit::cpu(backstop(timeout))) {
                Exchange::Line(line) => match serde_json::from_str::<WasiObserved>(&line) {
                    Ok(o) => observed.push(o),
                    Err(_) => {
                        observed.push(lost(ended(Exchange::Line(line), timeout)));
                        *worker = None;
                        break;
                    }
                },
                how => {
                    observed.push(lost(ended(how, timeout)));
                    *worker = None;
                    break;
                }
            }
        }
    }
    if started_here {
        *worker = None;
    }
    EngineRuns {
        engine: name.to_string(),
        compile_us: compile_us.unwrap_or(0),
        runs: Ok(observed),
    }
}

/// A WASI worker of `exe` for runtime `name`.
fn spawn(exe: &Path, name: &str, timeout: Duration) -> Result<LineChild, String> {
    let mut command = Command::new(exe);
    command.args(["worker", "--wasi", name]).env(
        wasmgate_runners::js::TIMEOUT_ENV,
        (backstop(timeout) * 2).as_millis().to_string(),
    );
    crate::isolate::limit_memory(&mut command);
    LineChild::spawn(&mut command, "WASI worker").map_err(|e| format!("cannot start a WASI worker: {e}"))
}

/// One worker process per WASI runtime, kept from program to program.
pub struct Workers {
    exe: PathBuf,
    workers: Vec<(String, Option<LineChild>)>,
}

impl Workers {
    /// Workers of `exe` (this program) for the runtimes `names`, started on first use.
    pub fn new(exe: PathBuf, names: &[String]) -> Workers {
        Workers {
            exe,
            workers: names.iter().map(|n| (n.clone(), None)).collect(),
        }
    }

    /// Runs `suite` on every runtime at once, one thread each, in the
    /// runtimes' order. Workers are started here, on the caller's thread,
    /// which outlives them.
    pub fn run(&mut self, suite: &WasiSuite, timeout: Duration) -> Vec<EngineRuns> {
        let exe = &self.exe;
        for (name, worker) in self.workers.iter_mut().filter(|(_, w)| w.is_none()) {
            *worker = spawn(exe, name, timeout).ok();
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = self
                .workers
                .iter_mut()
                .map(|(name, worker)| {
                    let name = name.clone();
                    let handle = s.spawn({
                        let name = name.clone();
                        move || run_suite(exe, &name, worker, suite, timeout)
                    });
                    (name, handle)
                })
                .collect();
            handles
                .into_iter()
                .map(|(name, h)| {
                    h.join().unwrap_or_else(|_| EngineRuns {
                        engine: name,
                        compile_us: 0,
                        runs: Err("its supervising thread panicked".into()),
                    })
                })
                .collect()
        })
    }
}

/// This program, for starting workers.
pub fn this_exe() -> Result<PathBuf> {
    std::env::current_exe().context("cannot find the wasmgate executable to start WASI workers")
}
