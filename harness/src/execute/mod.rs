//! Execution: one [`TestCase`](crate::source::case::TestCase) on one engine —
//! compile, instantiate, each call in order — normalised into an
//! [`EngineOutcome`] with per-phase timings; plus choosing engines by name,
//! fault-injecting engine wrappers and the thread helper the stages share;
//! `observe` adds the functions through which GC objects, uncaught
//! exceptions and reference globals are observed alike on every engine.
//!
//! Takes a case from `source/`, hands outcomes on to `compare/`.
//! Invariant: decides nothing about agreement; imports only `source/` and the runners.

pub mod engines;
pub mod mutant;
pub mod observe;
mod outcome;
pub mod parallel;
pub mod slow;
pub mod wasi;

pub use outcome::*;
