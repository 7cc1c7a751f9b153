//! The mutation score: how many injected faults the generated run and the
//! sweep catch, and how fast. Each fault is one fault-injecting engine
//! (`mutant:wasmi:OP@TRIGGER`, see [`crate::execute::mutant`]) voting beside
//! two correct engines of other code bases; a fault is caught when a finding
//! blames it alone, by majority.
//!
//! With the known list in force ([`ScoreOptions::known`]), each fault goes
//! into wasmi itself (`fault:wasmi:OP`, keeping its name and its real bugs)
//! beside wasmtime-cranelift and wasmer-cranelift: a fault is caught only
//! when a case blamed on wasmi, on which the healthy engines agree, is not
//! explained by the list, and every case the list explained that only the
//! fault made diverge is counted as *masked*.

use crate::compare::Verdict;
use crate::compare::judge::{evaluate_seed, run_case};
use crate::execute::engines;
use crate::source::profile::Profile;
use crate::source::sweep;
use anyhow::Result;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmgate_runners::{Engine, limits};

/// The correct engines every fault votes against.
pub const REFERENCES: [&str; 2] = ["wasmtime-cranelift", "wasmi"];

/// The built-in faults: `(operator@trigger, what a real engine would get wrong)`.
/// Faults no mode catches stay on this list: the score must show them.
pub const FAULTS: [(&str, &str); 40] = [
    // Edge faults: wrong only for one class of operand values.
    ("i32.rem_s@min-neg1", "i32.rem_s of MIN by -1 (must be 0)"),
    ("i64.rem_s@min-neg1", "i64.rem_s of MIN by -1 (must be 0)"),
    (
        "i32.shl@wide-shift",
        "i32.shl does not mask a count of 32 or more",
    ),
    (
        "i64.shr_u@wide-shift",
        "i64.shr_u does not mask a count of 64 or more",
    ),
    (
        "i64.rotr@wide-shift",
        "i64.rotr does not mask a count of 64 or more",
    ),
    ("f32.nearest@tie", "f32.nearest rounds .5 ties away from even"),
    ("f64.nearest@tie", "f64.nearest rounds .5 ties away from even"),
    (
        "i32.trunc_sat_f64_s@tie",
        "i32.trunc_sat_f64_s rounds .5 instead of truncating",
    ),
    ("f64.min@neg-zero", "f64.min orders -0.0 and +0.0 wrongly"),
    ("f32.max@neg-zero", "f32.max orders -0.0 and +0.0 wrongly"),
    (
        "f64.copysign@neg-zero",
        "f64.copysign takes the sign of -0.0 wrongly",
    ),
    ("i64.clz@zero", "i64.clz of zero (must be 64)"),
    (
        "i64.div_u@high-bit",
        "i64.div_u treats a high-bit operand as signed",
    ),
    (
        "f64.convert_i64_u@high-bit",
        "f64.convert_i64_u of values at or above 2^63",
    ),
    (
        "memory.grow@grown",
        "memory.grow returns the wrong old size when it succeeds",
    ),
    // Path faults: wrong only in one shape of code around the operator.
    ("i32.add@const", "i32.add with an immediate operand"),
    ("i64.mul@const", "i64.mul by a constant (strength reduction)"),
    ("f64.add@const", "f64.add with a constant operand"),
    ("i32.lt_s@branch", "i32.lt_s fused into a branch or select"),
    ("i32.eqz@branch", "i32.eqz fused into a branch or select"),
    ("i64.gt_u@branch", "i64.gt_u fused into a branch or select"),
    ("f64.lt@branch", "f64.lt fused into a branch or select"),
    ("f32.ge@branch", "f32.ge fused into a branch or select"),
    // Both: one shape of code and one class of values, as most real
    // miscompilations are (an immediate encoding, a fused flag test).
    (
        "i32.shl@const+wide-shift",
        "i32.shl by a constant count of 32 or more",
    ),
    (
        "i64.shr_s@const+wide-shift",
        "i64.shr_s by a constant count of 64 or more",
    ),
    (
        "i32.rotr@const+wide-shift",
        "i32.rotr by a constant count of 32 or more",
    ),
    ("i32.add@const+high-bit", "i32.add of a negative immediate"),
    (
        "i64.and@const+high-bit",
        "i64.and with a mask that has the high bit set",
    ),
    ("i32.mul@const+high-bit", "i32.mul by a negative constant"),
    ("i32.xor@const+zero", "i32.xor with a zero immediate"),
    ("i64.or@const+zero", "i64.or with a zero immediate"),
    (
        "f64.add@const+neg-zero",
        "f64.add of a -0.0 constant (x + -0.0 folded to x, wrong for +0.0)",
    ),
    ("f32.mul@const+neg-zero", "f32.mul by a -0.0 constant"),
    ("i32.rem_s@const+min-neg1", "i32.rem_s by a constant -1 of MIN"),
    ("i64.rem_s@const+min-neg1", "i64.rem_s by a constant -1 of MIN"),
    (
        "i32.lt_u@branch+high-bit",
        "i32.lt_u fused into a branch, high-bit operands",
    ),
    (
        "i64.ge_u@branch+high-bit",
        "i64.ge_u fused into a branch, high-bit operands",
    ),
    ("i32.eq@branch+zero", "i32.eq against zero fused into a branch"),
    ("f64.eq@branch+neg-zero", "f64.eq of -0.0 fused into a branch"),
    ("f32.lt@branch+neg-zero", "f32.lt of -0.0 fused into a branch"),
];

/// The WebAssembly 3.0 faults: `(operator, what a real engine would get wrong)`.
/// Each corrupts its operator's i32 result (the low bit flipped), or for
/// `throw` the payload's last number on its way out; the last three change
/// what the instruction does (see [`crate::execute::mutant`]).
pub const WASM3_FAULTS: [(&str, &str); 9] = [
    ("i31.get_s", "i31.get_s sign-extends or masks the 31 bits wrongly"),
    ("i31.get_u", "i31.get_u masks the 31 bits wrongly"),
    (
        "array.len",
        "array.len off by one (an array's bounds one short or long)",
    ),
    ("ref.eq", "ref.eq loses identity (a reference compared by copy)"),
    ("throw", "an exception's payload altered between throw and catch"),
    (
        "ref.test",
        "ref.test answers wrongly (true for a sibling type, false for its own)",
    ),
    ("return_call", "a tail call drops its last argument"),
    (
        "memory64",
        "a memory64 load's address truncated to 32 bits (bounds checked on the low half)",
    ),
    (
        "memory.copy",
        "memory.copy between two memories reads from the wrong one",
    ),
];

/// Which engine a score injects its faults into, what it votes against and
/// what it generates.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The engine the faults go into.
    pub inner: &'static str,
    /// The correct engines of other code bases every fault votes against.
    pub references: &'static [&'static str],
    /// The same, with the known list in force (the faulty engine keeps its name).
    pub known_references: &'static [&'static str],
    pub profile: Profile,
    /// The built-in faults.
    pub faults: &'static [(&'static str, &'static str)],
}

/// The numeric faults (edges and code shapes of WebAssembly 2.0), in wasmi.
pub const NUMERIC: Target = Target {
    inner: "wasmi",
    references: &REFERENCES,
    known_references: &KNOWN_MODE_REFERENCES,
    profile: Profile::Default,
    faults: &FAULTS,
};

/// The engines the 3.0 faults vote against: three other code bases with GC,
/// exceptions and tail calls. JavaScriptCore has no memory64 or multiple
/// memories, so V8 and SpiderMonkey in their browsers make the majority there.
pub const WASM3_REFERENCES: [&str; 3] = ["jsc-omg", "v8-chromium", "spidermonkey-firefox"];

/// The WebAssembly 3.0 faults, in wasmtime (which runs every 3.0 feature
/// the generator uses), voting against [`WASM3_REFERENCES`].
pub const WASM3: Target = Target {
    inner: "wasmtime-cranelift",
    references: &WASM3_REFERENCES,
    known_references: &WASM3_REFERENCES,
    profile: Profile::Wasm3,
    faults: &WASM3_FAULTS,
};

/// What to score.
#[derive(Clone, Debug)]
pub struct ScoreOptions {
    /// Where the faults go and what they vote against.
    pub target: Target,
    /// Faults as `OP@TRIGGER` (or `OP`), injected into the target's engine.
    pub faults: Vec<String>,
    /// Wall time each mode may spend on each fault.
    pub budget: Duration,
    pub jobs: usize,
    /// The generated seeds the run may try (by default the default run's).
    pub seeds: crate::report::SeedRange,
    /// Score with this known-divergence list in force (see the module doc).
    pub known: Option<Vec<crate::campaign::known::Entry>>,
}

/// The engines of the known-list mode, beside the faulty wasmi.
pub const KNOWN_MODE_REFERENCES: [&str; 2] = ["wasmtime-cranelift", "wasmer-cranelift"];

/// The engines without the fault, and the ids of the known causes.
type Healthy = (Vec<Arc<dyn Engine>>, Vec<String>);

/// What one mode's vote is, and how a finding is judged.
struct Vote {
    /// The engines with the fault.
    engines: Vec<Arc<dyn Engine>>,
    /// The faulty engine's name.
    name: String,
    /// Known-list mode: the same engines without the fault, and the ids of the known causes.
    healthy: Option<Healthy>,
    seen: Mutex<crate::campaign::cause::Seen>,
    masked: AtomicU64,
}

impl Vote {
    /// Whether `verdict` of `case` is a finding of the fault that a report
    /// would show as new (counting the cases the known list masks).
    fn catches(&self, case: &crate::source::case::TestCase, verdict: &Verdict) -> bool {
        if !blames(verdict, &self.name) {
            return false;
        }
        let Some((healthy, known)) = &self.healthy else {
            return true;
        };
        let Verdict::Diverge(d) = verdict else {
            return false;
        };
        // The engine's own bugs show without the fault too: not the fault's finding.
        if !matches!(run_case(healthy, case).1, Verdict::Agree { .. }) {
            return false;
        }
        use crate::campaign::cause::{Explained, Replayer, explain};
        let bench = crate::isolate::bench::Bench::in_process(&self.engines);
        let explained = match Replayer::new(&bench, case, d) {
            Some(r) => explain(
                &r,
                known,
                &mut self.seen.lock().unwrap_or_else(|p| p.into_inner()),
            ),
            None => Explained::Nothing,
        };
        if matches!(explained, Explained::Known(_)) {
            self.masked.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// How one mode did against one fault.
#[derive(Clone, Debug, Serialize)]
pub struct Catch {
    /// Wall time to the first finding blamed on the fault alone.
    pub seconds: f64,
    /// The seed (run) or instruction (sweep) that caught it.
    pub by: String,
}

/// One fault's result.
#[derive(Clone, Debug, Serialize)]
pub struct FaultScore {
    pub fault: String,
    pub engine: String,
    pub run: Option<Catch>,
    pub sweep: Option<Catch>,
    /// Generated seeds tried before the run caught it or ran out of time.
    pub seeds_tried: u64,
    /// Known-list mode: cases only the fault made diverge that the known list explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<u64>,
}

impl FaultScore {
    /// The faster of the two modes' first findings.
    pub fn first(&self) -> Option<f64> {
        [&self.run, &self.sweep]
            .into_iter()
            .flatten()
            .map(|c| c.seconds)
            .reduce(f64::min)
    }
}

/// What the generator gives the vote, over a fixed sample of seeds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Coverage {
    pub seeds: u64,
    pub calls: u64,
    pub calls_returned: u64,
}

/// The whole score.
#[derive(Clone, Debug, Serialize)]
pub struct Score {
    pub generator_version: String,
    pub sweep_version: String,
    pub budget_seconds: f64,
    /// The engine the faults went into.
    pub engine: String,
    pub references: Vec<String>,
    /// Whether the known list was in force (faults under wasmi's own name).
    pub known_list: bool,
    pub faults: Vec<FaultScore>,
    pub coverage: Coverage,
}

impl Score {
    pub fn caught(&self) -> usize {
        self.faults.iter().filter(|f| f.first().is_some()).count()
    }

    /// Median time to the first finding over the caught faults.
    pub fn median_seconds(&self) -> Option<f64> {
        let mut times: Vec<f64> = self.faults.iter().filter_map(FaultScore::first).collect();
        times.sort_by(f64::total_cmp);
        (!times.is_empty()).then(|| times[times.len() / 2])
    }
}

/// Whether `verdict` is a finding blamed on `engine` alone, by majority.
fn blames(verdict: &Verdict, engine: &str) -> bool {
    matches!(verdict, Verdict::Diverge(d) if d.majority && d.blamed == [engine])
}

/// Generated seeds in order, on `jobs` threads, until one catches the fault,
/// the seeds run out or the budget is spent.
fn run_mode(opts: &ScoreOptions, vote: &Vote) -> (Option<Catch>, u64) {
    let start = Instant::now();
    let next = AtomicU64::new(opts.seeds.start);
    let done = AtomicBool::new(false);
    let best: Mutex<Option<(u64, f64)>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1) {
            std::thread::Builder::new()
                .stack_size(limits::THREAD_STACK_BYTES)
                .spawn_scoped(scope, || {
                    while !done.load(Ordering::Relaxed) && start.elapsed() < opts.budget {
                        let seed = next.fetch_add(1, Ordering::Relaxed);
                        if seed >= opts.seeds.end {
                            break;
                        }
                        let Ok(case) = crate::source::case::TestCase::generated(opts.target.profile, seed)
                        else {
                            continue;
                        };
                        let (_, verdict) = run_case(&vote.engines, &case);
                        if vote.catches(&case, &verdict) {
                            let mut best = best.lock().unwrap_or_else(|p| p.into_inner());
                            let t = start.elapsed().as_secs_f64();
                            if best.is_none_or(|(s, _)| seed < s) {
                                *best = Some((seed, t));
                            }
                            done.store(true, Ordering::Relaxed);
                        }
                    }
                })
                .expect("cannot start a worker thread");
        }
    });
    let tried = next.load(Ordering::Relaxed).min(opts.seeds.end) - opts.seeds.start;
    let best = best.into_inner().unwrap_or_else(|p| p.into_inner());
    (
        best.map(|(seed, seconds)| Catch {
            seconds,
            by: format!("seed {seed}"),
        }),
        tried,
    )
}

/// The sweep's instructions in order, until one catches the fault.
fn sweep_mode(opts: &ScoreOptions, vote: &Vote) -> Result<Option<Catch>> {
    let start = Instant::now();
    for case in sweep::cases(opts.target.profile, |_| true)? {
        if start.elapsed() >= opts.budget {
            break;
        }
        let (_, verdict) = run_case(&vote.engines, &case);
        if vote.catches(&case, &verdict) {
            let by = match &case.origin {
                crate::source::case::Origin::Sweep { instruction, .. } => instruction.clone(),
                other => format!("{other:?}"),
            };
            return Ok(Some(Catch {
                seconds: start.elapsed().as_secs_f64(),
                by,
            }));
        }
    }
    Ok(None)
}

/// Calls made and returned over `seeds` generated seeds on the references.
pub fn coverage(target: &Target, seeds: u64) -> Result<Coverage> {
    let profile = target.profile;
    let names: Vec<String> = target.references.iter().map(|s| s.to_string()).collect();
    let refs = engines::resolve_all(&names)?.engines;
    let mut c = Coverage {
        seeds,
        ..Coverage::default()
    };
    for seed in 0..seeds {
        let r = evaluate_seed(profile, seed, &refs);
        c.calls += r.calls.0;
        c.calls_returned += r.calls.1;
    }
    Ok(c)
}

/// Scores every fault, calling `each` as each one finishes.
pub fn score(opts: &ScoreOptions, mut each: impl FnMut(&FaultScore)) -> Result<Score> {
    let mut faults = Vec::new();
    let target = &opts.target;
    let references = match opts.known {
        Some(_) => target.known_references.to_vec(),
        None => target.references.to_vec(),
    };
    let healthy = match &opts.known {
        Some(list) => {
            let mut names: Vec<String> = references.iter().map(|s| s.to_string()).collect();
            names.push(target.inner.into());
            let known = list.iter().filter_map(|e| e.cause.clone()).collect();
            Some((engines::resolve_all(&names)?.engines, known))
        }
        None => None,
    };
    for fault in &opts.faults {
        let prefix = match opts.known {
            Some(_) => crate::execute::mutant::FAULT,
            None => crate::execute::mutant::PREFIX,
        };
        let spec = format!("{prefix}{}:{fault}", target.inner);
        let mut names: Vec<String> = references.iter().map(|s| s.to_string()).collect();
        names.push(spec.clone());
        let resolved = engines::resolve_all(&names)?;
        let name = match (resolved.specs.last(), resolved.engines.last()) {
            (Some(last), Some(engine)) if *last == spec => engine.info().name.clone(),
            _ => anyhow::bail!("fault engine {spec} is not available here"),
        };
        let vote = Vote {
            engines: resolved.engines,
            name: name.clone(),
            healthy: healthy.clone(),
            seen: Mutex::new(crate::campaign::cause::Seen::new(
                crate::campaign::attribute::FULL_SEARCHES,
            )),
            masked: AtomicU64::new(0),
        };
        let sweep = sweep_mode(opts, &vote)?;
        let (run, seeds_tried) = run_mode(opts, &vote);
        let f = FaultScore {
            fault: fault.clone(),
            engine: name,
            run,
            sweep,
            seeds_tried,
            masked: opts.known.is_some().then(|| vote.masked.load(Ordering::Relaxed)),
        };
        each(&f);
        faults.push(f);
    }
    Ok(Score {
        generator_version: crate::source::generate::GENERATOR_VERSION.to_string(),
        sweep_version: sweep::SWEEP_VERSION.to_string(),
        budget_seconds: opts.budget.as_secs_f64(),
        engine: target.inner.to_string(),
        references: references.iter().map(|s| s.to_string()).collect(),
        known_list: opts.known.is_some(),
        coverage: coverage(target, 300)?,
        faults,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_fault_builds() {
        for target in [NUMERIC, WASM3] {
            for (fault, _) in target.faults {
                let spec = format!("mutant:{}:{fault}", target.inner);
                engines::resolve(&spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            }
        }
    }
}
