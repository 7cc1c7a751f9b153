//! Performance samples: one program compiled, instantiated and called once,
//! each phase timed. In-process engines are timed here, around the `Engine`
//! calls, with the process's CPU time beside the wall clock; out-of-process
//! engines time the phases themselves (inside `node`, `jsc` or the page) and
//! send the figures over the protocol, so no pipe or JSON cost is counted.
//! The timing around an engine's own calls is `engine::measure_around`;
//! this module holds the clocks and the sample, and knows no engine.

use crate::value::Val;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The time one phase took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// Wall-clock nanoseconds.
    pub wall_ns: u64,
    /// CPU nanoseconds of the measuring process (every thread), where the
    /// engine's host can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ns: Option<u64>,
}

/// One measured run of a program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub compile: PhaseTime,
    pub instantiate: PhaseTime,
    pub execute: PhaseTime,
    /// What the call returned (the workload's checksum).
    pub results: Vec<Val>,
    /// Linear memory after the call, in bytes (every exported memory).
    pub memory_bytes: u64,
    /// Peak resident set of the process that ran it, in bytes, where measurable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    /// Where the times were taken: `in-process`, `in-engine` (inside the
    /// engine's own process) or `round-trip` (around protocol requests).
    pub timed: String,
}

/// A point in time on both clocks.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    wall: Instant,
    cpu_ns: u64,
}

impl Mark {
    /// Now.
    pub fn now() -> Mark {
        Mark {
            wall: Instant::now(),
            cpu_ns: process_cpu_ns(),
        }
    }

    /// The time from `self` to now.
    pub fn elapsed(&self) -> PhaseTime {
        let cpu = process_cpu_ns();
        PhaseTime {
            wall_ns: self.wall.elapsed().as_nanos() as u64,
            cpu_ns: Some(cpu.saturating_sub(self.cpu_ns)),
        }
    }
}

/// CPU time of this process (all threads), in nanoseconds.
pub fn process_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    } else {
        0
    }
}

/// Peak resident set of this process, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    // SAFETY: getrusage fills one rusage struct through a valid pointer.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    ok.then(|| usage.ru_maxrss as u64 * 1024)
}
