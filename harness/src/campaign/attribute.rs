//! Per-case attribution: every case of every finding is explained on its
//! own ([`cause::explain`]), and a finding whose cases have different causes
//! splits, so a known bug never hides a new one.
//!
//! Findings arrive grouped by signature (kind, blamed engines, result types,
//! and for the sweep the instruction and form). Each case of a group is
//! replayed with shapes taken out; the cases are then regrouped by what
//! explains them. A group with a cause gets a signature that carries it, so
//! two bugs in one engine are two findings, and a bundle of its own lowest
//! case. Cases nothing explains stay together under the original signature.

use super::cause::{self, Explained, Replayer, Seen};
use super::known::Entry;
use crate::compare::{Divergence, DivergenceKind, Verdict};
use crate::isolate::bench::Bench;
use crate::report::bundle::ReproBundle;
use crate::report::{Cause, Finding, Report};
use crate::source::case::TestCase;
use std::collections::BTreeMap;
use std::path::Path;

/// Full searches over every shape a campaign may make (cases a known or an
/// already-seen cause explains cost one replay or two; a full search costs
/// one per operator in the module).
pub const FULL_SEARCHES: usize = 24;

/// Explains every case of the report's findings and regroups them.
/// `bench` holds the campaign's own engines (a faulty one stays faulty in
/// the replays); `case_of` rebuilds a case from the seed (or index) the
/// report gives it; bundles are written into `out`. Replays that crashed or
/// hung are counted in `summary.lost_replays`: the cases they were for keep
/// no cause.
pub fn attribute(
    report: &mut Report,
    out: &Path,
    bench: &Bench,
    known: &[Entry],
    case_of: &dyn Fn(u64) -> Option<TestCase>,
) {
    let known_ids: Vec<String> = known.iter().filter_map(|e| e.cause.clone()).collect();
    let mut seen = Seen::new(FULL_SEARCHES);
    let findings = std::mem::take(&mut report.findings);
    let mut result = Vec::new();
    for f in findings {
        result.extend(split(f, out, bench, &known_ids, &mut seen, case_of));
    }
    report.summary.lost_replays += bench.lost() as u64;
    result.sort_by(|a, b| a.signature.cmp(&b.signature));
    report.summary.unique_findings = result.len() as u64;
    report.findings = result;
}

/// One finding, split by what explains each of its cases.
fn split(
    f: Finding,
    out: &Path,
    bench: &Bench,
    known_ids: &[String],
    seen: &mut Seen,
    case_of: &dyn Fn(u64) -> Option<TestCase>,
) -> Vec<Finding> {
    let first_seed = f.seeds.iter().min().copied();
    // A resumed run finds the bundle of an earlier session under its
    // split signature, not the plain one: write it again.
    let bundle = match ReproBundle::load(&out.join(&f.bundle)) {
        Ok(b) => Some(b),
        Err(_) => first_seed
            .filter(|&seed| rebundle(&mut f.clone(), seed, out, bench, case_of))
            .and_then(|_| ReproBundle::load(&out.join(&f.bundle)).ok()),
    };
    let Some(bundle) = bundle else {
        return vec![f];
    };
    let Some(d) = bundle.verdict.divergence().cloned() else {
        return vec![f];
    };
    let mut parts: BTreeMap<Option<String>, Vec<u64>> = BTreeMap::new();
    for &seed in &f.seeds {
        let case = if Some(seed) == first_seed {
            Some(bundle.case.clone())
        } else {
            case_of(seed)
        };
        let explained = match case.as_ref().and_then(|c| Replayer::new(bench, c, &d)) {
            Some(r) => cause::explain(&r, known_ids, seen),
            None => Explained::Nothing,
        };
        parts.entry(explained.text()).or_default().push(seed);
    }
    let mut split = Vec::new();
    for (text, seeds) in parts {
        let mut g = f.clone();
        g.count = seeds.len() as u64;
        if let Some(text) = text {
            (g.signature, g.signature_text) = with_cause(f.kind, &f.signature_text, &text);
            g.cause = Some(cause::cause_of(text));
            g.bundle = format!("findings/{}", g.signature);
        }
        let lowest = seeds[0];
        if Some(lowest) == first_seed {
            if g.bundle != f.bundle {
                // An earlier session of a resumed run may have left one there.
                let _ = std::fs::remove_dir_all(out.join(&g.bundle));
                let _ = std::fs::rename(out.join(&f.bundle), out.join(&g.bundle));
            }
        } else if !rebundle(&mut g, lowest, out, bench, case_of) {
            // The case did not diverge again: point at the first case's bundle.
            g.bundle = f.bundle.clone();
        }
        g.seeds = seeds;
        split.push(g);
    }
    // The first case's bundle moved with its group; a group left pointing at
    // the old folder follows it.
    let moved = split
        .iter()
        .find(|g| g.seeds.first().copied() == first_seed)
        .map(|g| g.bundle.clone());
    if let Some(moved) = moved {
        for g in &mut split {
            if g.bundle == f.bundle {
                g.bundle = moved.clone();
            }
        }
    }
    split
}

/// A finding's signature and its text: the divergence's, with the text of
/// the cause that explains its cases.
pub fn with_cause(kind: DivergenceKind, signature_text: &str, cause: &str) -> (String, String) {
    let text = format!("{signature_text}|{cause}");
    let signature = format!(
        "{kind}-{:08x}",
        xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as u32
    );
    (signature, text)
}

/// One case's finding signature and cause, as a report would give them (the
/// built-in known list's causes tried first): for `repro`.
pub fn explain_case(bench: &Bench, case: &TestCase, d: &Divergence) -> Option<(String, Cause)> {
    let known: Vec<String> = super::known::load(None)
        .ok()?
        .into_iter()
        .filter_map(|e| e.cause)
        .collect();
    let r = Replayer::new(bench, case, d)?;
    let text = cause::explain(&r, &known, &mut Seen::new(1)).text()?;
    let (signature, _) = with_cause(d.kind, &d.signature_text, &text);
    Some((signature, cause::cause_of(text)))
}

/// Writes the bundle of a group's lowest case `seed` (run again on every
/// engine) and takes its step and groups; false when it did not diverge
/// again in the same way (or crashed).
fn rebundle(
    g: &mut Finding,
    seed: u64,
    out: &Path,
    bench: &Bench,
    case_of: &dyn Fn(u64) -> Option<TestCase>,
) -> bool {
    let Some(case) = case_of(seed) else {
        return false;
    };
    let Some(result) = bench.judge(&bench.names(), &case) else {
        return false;
    };
    let (Ok(Verdict::Diverge(d)), Some(outcomes)) = (result.verdict, result.outcomes) else {
        return false;
    };
    if d.kind != g.kind {
        return false;
    }
    g.step = d.step.clone();
    g.at = d.at.clone();
    g.groups = d.groups.clone();
    let infos = bench.engines().iter().map(|e| e.info().clone()).collect();
    let bundle = ReproBundle::new(&case, infos, outcomes, Verdict::Diverge(d));
    let dir = out.join(&g.bundle);
    let _ = std::fs::remove_dir_all(&dir);
    bundle.write(&dir, &case.wasm).is_ok()
}
