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

pub mod bench;
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

/// Sets the data limit of worker processes in MiB instead of
/// [`WORKER_DATA_BYTES`] (a machine with little memory, or a test of what
/// reaching it does).
pub const DATA_LIMIT_ENV: &str = "WASMGATE_WORKER_DATA_MB";

/// The data limit of worker processes in force: [`DATA_LIMIT_ENV`], or
/// [`WORKER_DATA_BYTES`].
pub fn worker_data_bytes() -> u64 {
    std::env::var(DATA_LIMIT_ENV)
        .ok()
        .and_then(|mb| mb.parse::<u64>().ok())
        .filter(|mb| *mb > 0)
        .map_or(WORKER_DATA_BYTES, |mb| mb.saturating_mul(1 << 20))
}

/// "wasmgate's memory limit (1536 MiB of data per process)": what a process
/// that ran out of memory reached — the harness's limit, never an engine's bug.
pub fn memory_limit() -> String {
    format!(
        "wasmgate's memory limit ({} MiB of data per process)",
        worker_data_bytes() >> 20
    )
}

/// Puts [`worker_data_bytes`] on the process `command` starts.
pub fn limit_memory(command: &mut Command) {
    let bytes = worker_data_bytes();
    // SAFETY: the closure runs in the forked child before exec and only calls
    // setrlimit, which is async-signal-safe.
    unsafe {
        command.pre_exec(move || {
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
            limit.rlim_cur = (bytes as libc::rlim_t).min(limit.rlim_max);
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
