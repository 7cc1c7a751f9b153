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

use std::path::PathBuf;
use std::time::Duration;

/// Where engines run.
#[derive(Clone, Debug)]
pub enum Isolation {
    /// On the campaign's own threads: fastest, but a crashing engine takes the run down.
    InProcess,
    /// In `exe worker` child processes, one per job, killed after `timeout` per case.
    Processes { exe: PathBuf, timeout: Duration },
}
