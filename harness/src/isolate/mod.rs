//! Process isolation: cases judged in worker processes (`wasmgate worker`) so
//! that an engine that segfaults, aborts or hangs costs one case, never the run.
//!
//! Takes a [`TestCase`](crate::source::case::TestCase) or a seed and hands back
//! a [`CaseResult`](crate::compare::judge::CaseResult), exactly as
//! [`evaluate_case`](crate::compare::judge::evaluate_case) would in-process;
//! a crash or hang becomes a finding blaming the engine that crashes or hangs
//! alone. Workers judge whole cases (execute and compare in the child) so that
//! an agreeing case crosses the pipe as a few bytes; that is why this stage
//! sits above `compare/`. May import `compare/`, `execute/` and `source/`.

pub mod worker;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Where engines run.
#[derive(Clone, Debug)]
pub enum Isolation {
    /// On the campaign's own threads: fastest, but a crashing engine takes the run down.
    InProcess,
    /// In `exe worker` child processes, one per job, killed after `timeout` per case.
    Processes { exe: PathBuf, timeout: Duration },
}

/// Data (private writable memory) a worker process and the engine processes
/// it starts may each commit: `RLIMIT_DATA`, inherited across `exec`. Engines
/// reserve large address ranges for their memories but commit only what the
/// module uses; the resource limits of `wasmgate_runners::limits` keep a case
/// far below this, so hitting it means an engine leaks or ignores them.
pub const WORKER_DATA_BYTES: u64 = 1536 << 20;

/// Puts [`WORKER_DATA_BYTES`] on the process `command` starts.
pub fn limit_memory(command: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec and only calls
    // setrlimit, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            // The soft limit is what is enforced; the hard one stays, so that an
            // engine whose start-up reserves more (JavaScriptCore's `jsc`, see
            // `wasmgate_runners::limits::JSC_DATA_BYTES`) can be given more.
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_DATA, &mut limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            limit.rlim_cur = (WORKER_DATA_BYTES as libc::rlim_t).min(limit.rlim_max);
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
