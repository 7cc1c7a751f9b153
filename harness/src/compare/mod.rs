//! Comparison: every rule that decides whether engines agree, whom to blame
//! and what a divergence's signature is ([`rules`]), and one case judged on
//! every engine in this process ([`judge`]).
//!
//! Takes outcomes from `execute/`, hands a [`Verdict`] (and a compact
//! [`judge::CaseResult`]) on to campaigns and reports.
//! Invariant: no I/O; imports only `execute/` and `source/`.

mod expect;
pub mod judge;
pub mod perf;
mod rules;
pub mod wasi;

pub use expect::{digest_text, meets};

pub use rules::*;
