//! The engines a campaign goes back to after its cases ran: root-cause
//! replays (a case's module with shapes taken out, on a small vote of its
//! engines) and a group's lowest case run again for its bundle.
//!
//! Under process isolation these run in worker processes too, kept alive per
//! set of engines for the whole attribution, so that an engine which crashes
//! (or hangs) on a replay costs that one replay — the finding keeps no cause
//! — and never the report of cases already judged. In this process
//! (`--in-process`) they run on the campaign's own engines.

use super::Isolation;
use super::worker::{IsolatedExecutor, seed_of};
use crate::compare::judge::{CaseResult, evaluate_case};
use crate::source::case::TestCase;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmgate_runners::Engine;

/// Idle workers kept between replays, over every set of engines: each holds
/// its engines' processes (a browser for `v8-chromium`).
const IDLE_WORKERS: usize = 8;

/// Tries of a replay whose worker found no time to answer before its
/// wall-clock backstop (a busy machine, not an engine's fault).
const BUSY_TRIES: usize = 3;

/// The campaign's engines, for replays.
pub struct Bench<'e> {
    engines: &'e [Arc<dyn Engine>],
    /// The spec that builds each of `engines` in a worker, in order.
    specs: Vec<String>,
    workers: Option<Workers>,
    /// Replays that ended without an answer (a crash or a hang).
    lost: AtomicUsize,
}

struct Workers {
    exe: PathBuf,
    timeout: Duration,
    /// Idle executors with the specs they were started with, most recent last.
    idle: Mutex<Vec<(Vec<String>, IsolatedExecutor)>>,
}

impl<'e> Bench<'e> {
    /// Replays on `engines` (built from `specs`, in order) as `isolation` says.
    pub fn new(engines: &'e [Arc<dyn Engine>], specs: &[String], isolation: &Isolation) -> Self {
        let workers = match isolation {
            Isolation::InProcess => None,
            Isolation::Processes { exe, timeout } => Some(Workers {
                exe: exe.clone(),
                timeout: *timeout,
                idle: Mutex::new(Vec::new()),
            }),
        };
        Bench {
            engines,
            specs: specs.to_vec(),
            workers,
            lost: AtomicUsize::new(0),
        }
    }

    /// Replays in this process, on `engines`.
    pub fn in_process(engines: &'e [Arc<dyn Engine>]) -> Self {
        Bench::new(engines, &[], &Isolation::InProcess)
    }

    /// Every engine of the campaign.
    pub fn engines(&self) -> &'e [Arc<dyn Engine>] {
        self.engines
    }

    /// The names of every engine, in order.
    pub fn names(&self) -> Vec<String> {
        self.engines.iter().map(|e| e.info().name.clone()).collect()
    }

    /// Replays that ended in a crash or a hang so far.
    pub fn lost(&self) -> usize {
        self.lost.load(Ordering::Relaxed)
    }

    /// `case` run and compared on the engines named `names` (in that order),
    /// every outcome kept; none when an engine is not here or the replay
    /// ended in a crash or a hang.
    pub fn judge(&self, names: &[String], case: &TestCase) -> Option<CaseResult> {
        let chosen: Vec<usize> = names
            .iter()
            .map(|n| self.engines.iter().position(|e| &e.info().name == n))
            .collect::<Option<_>>()?;
        let Some(workers) = &self.workers else {
            let engines: Vec<Arc<dyn Engine>> = chosen.iter().map(|&i| self.engines[i].clone()).collect();
            return Some(evaluate_case(seed_of(case), case, &engines, true));
        };
        let specs: Vec<String> = chosen.iter().map(|&i| self.specs[i].clone()).collect();
        let mut executor = workers.take(&specs);
        let mut result = None;
        for _ in 0..BUSY_TRIES {
            match executor.try_case(case) {
                Ok(Some(r)) => {
                    result = Some(r);
                    break;
                }
                // Died, hung, or no answer from a busy machine: the worker is
                // gone; only the last is worth another try.
                Ok(None) if executor.last_was_busy() => continue,
                Ok(None) | Err(_) => break,
            }
        }
        match result {
            Some(r) => {
                workers.put(specs, executor);
                Some(r)
            }
            None => {
                self.lost.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}

impl Workers {
    /// An idle executor for `specs`, or a new one.
    fn take(&self, specs: &[String]) -> IsolatedExecutor {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        match idle.iter().rposition(|(s, _)| s == specs) {
            Some(i) => idle.remove(i).1,
            None => IsolatedExecutor::new(self.exe.clone(), specs.to_vec(), self.timeout),
        }
    }

    /// Keeps `executor` for the next replay on `specs`; the oldest idle one
    /// stops when too many wait.
    fn put(&self, specs: Vec<String>, executor: IsolatedExecutor) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push((specs, executor));
        if idle.len() > IDLE_WORKERS {
            idle.remove(0);
        }
    }
}
