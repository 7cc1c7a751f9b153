//! One bug, one finding: findings grouped by root cause.
//!
//! A divergence's signature says *where* it showed (kind, step, who disagreed);
//! one engine bug shows in many places. The cause is found by taking code
//! shapes out of the finding's module, one operator at a time, without
//! changing what the module means ([`unshape`]): a comparison that fed a
//! branch or `select` gets `(i32.const 0) (i32.or)` in between, a constant
//! operand goes through a local. When the engines then agree, that operator
//! in that shape is (part of) the cause. Findings with the same blamed engines
//! and the same cures form one group, `cause-xxxxxxxx`, which reports show and
//! the known-divergence list can name.
//!
//! The replays run in this process on a small vote (the blamed engines and two
//! engines of the majority); the rewritten modules mean the same as the
//! original, which terminated, so they do too.

use crate::compare::judge::run_case;
use crate::compare::{Divergence, DivergenceKind, Verdict};
use crate::execute::engines;
pub use crate::report::Cause;
use crate::source::case::TestCase;
use crate::source::rewrite::{Shape, in_shape, unshape};
use sha2::{Digest, Sha256};

/// Engines blamed, or none when the vote had no majority.
fn blamed(verdict: &Verdict) -> Option<&[String]> {
    match verdict {
        Verdict::Diverge(d) if d.majority => Some(&d.blamed),
        _ => None,
    }
}

/// The small vote replays run on: the blamed engines and up to two engines of
/// the majority, in-process ones and other code bases first.
fn vote(d: &Divergence) -> Vec<String> {
    let mut names: Vec<String> = d.blamed.clone();
    let blamed_bases: Vec<&str> = d.blamed.iter().map(|b| crate::compare::code_base(b)).collect();
    let mut majority: Vec<&String> = d
        .groups
        .first()
        .map(|g| g.engines.iter().collect())
        .unwrap_or_default();
    let external = |e: &str| e.starts_with("v8-") || e.starts_with("jsc-") || e.contains('@');
    majority.sort_by_key(|e| (external(e), blamed_bases.contains(&crate::compare::code_base(e))));
    let mut bases = Vec::new();
    for e in majority {
        let base = crate::compare::code_base(e);
        if !bases.contains(&base) && bases.len() < 2 {
            bases.push(base);
            names.push(e.clone());
        }
    }
    names
}

/// Where a step falls in a case: compile, instantiate, then the calls in order.
fn rank(at: &crate::compare::At) -> (u8, usize) {
    match at.phase.as_str() {
        "compile" => (0, 0),
        "instantiate" => (1, 0),
        "call" => (2, at.call.unwrap_or(0)),
        _ => (3, 0),
    }
}

/// Whether the divergence first seen at `at` is gone from `verdict`: the
/// engines agree, or they first disagree later (another bug, which the
/// original divergence hid, may still show further on).
fn gone(at: &crate::compare::At, verdict: &Verdict) -> bool {
    match verdict {
        Verdict::Agree { .. } => true,
        Verdict::Diverge(d) => rank(&d.at) > rank(at),
        Verdict::Inconclusive { .. } => false,
    }
}

/// A cause id: the same text gives the same id.
pub fn id_of(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    format!(
        "cause-{:02x}{:02x}{:02x}{:02x}",
        hash[0], hash[1], hash[2], hash[3]
    )
}

/// Every shape whose removal makes divergence `d` of `case` go away, as
/// `blamed code bases: shape` texts (sorted), or none.
pub fn cures(case: &TestCase, d: &Divergence) -> Vec<String> {
    if matches!(d.kind, DivergenceKind::Crash | DivergenceKind::Hang) || !d.majority {
        return vec![];
    }
    let Ok(resolved) = engines::resolve_all(&vote(d)) else {
        return vec![];
    };
    if !resolved.unavailable.is_empty() {
        return vec![];
    }
    let run = |wasm: Vec<u8>| {
        let mut c = case.clone();
        c.wasm = wasm;
        run_case(&resolved.engines, &c).1
    };
    let replay = run(case.wasm.clone());
    let Verdict::Diverge(first) = &replay else {
        return vec![];
    };
    let original_at = first.at.clone();
    // Named by code base: which of an engine's tiers showed it can vary
    // from run to run (JavaScriptCore tiers up in the background), so the
    // replay must blame the same code bases, not the same configurations.
    let bases_of = |engines: &[String]| {
        let mut bases: Vec<&str> = engines.iter().map(|e| crate::compare::code_base(e)).collect();
        bases.sort();
        bases.dedup();
        bases.join(", ")
    };
    let Some(who) = blamed(&replay) else {
        return vec![];
    };
    let bases = bases_of(&d.blamed);
    if bases_of(who) != bases {
        return vec![];
    }
    let mut cures = Vec::new();
    for shape in [Shape::FeedsBranch, Shape::ConstOperand] {
        for op in in_shape(&case.wasm, shape) {
            let Ok(wasm) = unshape(&case.wasm, &op, shape) else {
                continue;
            };
            if gone(&original_at, &run(wasm)) {
                cures.push(format!("{bases}: {}", shape.describe(&op)));
            }
        }
    }
    cures.sort();
    cures
}

/// Picks each finding's cause among its cures: the cure most findings of the
/// run share (then the first by name), so one bug gets one id even where
/// another shape happened to cure one of its findings too.
pub fn choose(all: &[Vec<String>]) -> Vec<Option<Cause>> {
    let mut count: std::collections::HashMap<&str, usize> = Default::default();
    for cures in all {
        for c in cures {
            *count.entry(c).or_default() += 1;
        }
    }
    all.iter()
        .map(|cures| {
            let best = cures
                .iter()
                .min_by_key(|c| (std::cmp::Reverse(count[c.as_str()]), c.as_str()))?;
            Some(Cause {
                id: id_of(best),
                text: best.clone(),
                also: cures
                    .iter()
                    .filter(|c| *c != best)
                    .map(|c| format!("{} ({c})", id_of(c)))
                    .collect(),
            })
        })
        .collect()
}
