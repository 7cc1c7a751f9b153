//! One case judged: run on every engine (in this process) and compared, kept
//! small enough to cross a worker's pipe. What a campaign aggregates, a worker
//! sends back and a shrinker tests.

use crate::compare::{Verdict, compare};
use crate::execute::{CallResult, EngineOutcome, Phase, Status, Timings, execute, execute_observed};
use crate::source::case::TestCase;
use crate::source::profile::Profile;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wasmgate_runners::Engine;

/// What happened to one seed, kept small: agreeing cases keep no outcomes.
/// Per-engine vectors follow the campaign's engine order. This is also what a
/// worker process sends back for each request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub seed: u64,
    /// The verdict, or why no case could be made: `{"verdict": "agree", …}`
    /// or `{"error": "…"}` in JSON.
    #[serde(with = "judged")]
    pub verdict: Result<Verdict, String>,
    pub skipped: Vec<usize>,
    pub timings: Vec<Timings>,
    pub ran: Vec<bool>,
    /// Calls made and calls that returned, on the first engine that ran.
    pub calls: (u64, u64),
    /// Every engine's outcome, kept only when the engines diverged.
    pub outcomes: Option<Vec<EngineOutcome>>,
    /// The features the case's module uses (`module_info::used_features`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<wasmgate_runners::Feature>,
}

impl CaseResult {
    /// A case that could not be made or run.
    pub fn failed(seed: u64, error: &anyhow::Error) -> Self {
        CaseResult {
            seed,
            verdict: Err(format!("{error:#}")),
            skipped: vec![],
            timings: vec![],
            ran: vec![],
            calls: (0, 0),
            outcomes: None,
            features: vec![],
        }
    }

    /// Summarises `outcomes` (in any order) against the engine order `names`;
    /// the outcomes themselves are kept if `keep` or the engines diverged.
    pub fn from_outcomes(
        seed: u64,
        outcomes: Vec<EngineOutcome>,
        verdict: Verdict,
        names: &[String],
        keep: bool,
    ) -> Self {
        let by_name = |n: &String| outcomes.iter().find(|o| &o.engine == n);
        let is_skipped = |o: &EngineOutcome| matches!(o.status, Status::Skipped { .. });
        CaseResult {
            seed,
            skipped: names
                .iter()
                .enumerate()
                .filter(|(_, n)| by_name(n).is_some_and(is_skipped))
                .map(|(i, _)| i)
                .collect(),
            ran: names
                .iter()
                .map(|n| by_name(n).is_some_and(|o| !is_skipped(o)))
                .collect(),
            timings: names
                .iter()
                .map(|n| by_name(n).map(|o| o.timings).unwrap_or_default())
                .collect(),
            calls: outcomes
                .iter()
                .find(|o| !is_skipped(o))
                .map(|o| {
                    let returned = o
                        .calls
                        .iter()
                        .filter(|c| matches!(c.result, CallResult::Returned(_)))
                        .count();
                    (o.calls.len() as u64, returned as u64)
                })
                .unwrap_or_default(),
            outcomes: (keep || matches!(verdict, Verdict::Diverge(_))).then_some(outcomes),
            verdict: Ok(verdict),
            features: vec![],
        }
    }
}

/// Generates, runs and compares the case for one seed, in this process.
pub fn evaluate_seed(profile: Profile, seed: u64, engines: &[Arc<dyn Engine>]) -> CaseResult {
    match TestCase::generated(profile, seed) {
        Ok(case) => evaluate_case(seed, &case, engines, false),
        Err(e) => CaseResult::failed(seed, &e),
    }
}

/// Runs and compares one case, in this process; `keep` keeps every outcome
/// even when the engines agree.
pub fn evaluate_case(seed: u64, case: &TestCase, engines: &[Arc<dyn Engine>], keep: bool) -> CaseResult {
    evaluate_case_observed(seed, case, engines, keep, &mut |_, _| {})
}

/// [`evaluate_case`], telling `on_phase` which engine starts which phase.
pub fn evaluate_case_observed(
    seed: u64,
    case: &TestCase,
    engines: &[Arc<dyn Engine>],
    keep: bool,
    on_phase: &mut dyn FnMut(&str, Phase),
) -> CaseResult {
    let outcomes: Vec<_> = engines
        .iter()
        .map(|e| execute_observed(e.as_ref(), case, &mut |p| on_phase(&e.info().name, p)))
        .collect();
    let verdict = compare(case, &outcomes);
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    let mut result = CaseResult::from_outcomes(seed, outcomes, verdict, &names, keep);
    if case.valid {
        let upper = case
            .features
            .as_deref()
            .unwrap_or(&wasmgate_runners::Feature::ALL);
        result.features = crate::source::module_info::used_features(&case.wasm, upper);
    }
    result
}

/// Runs one case on every engine and compares.
pub fn run_case(
    engines: &[Arc<dyn Engine>],
    case: &TestCase,
) -> (Vec<crate::execute::EngineOutcome>, Verdict) {
    let outcomes: Vec<_> = engines.iter().map(|e| execute(e.as_ref(), case)).collect();
    let verdict = compare(case, &outcomes);
    (outcomes, verdict)
}

/// `Result<Verdict, String>` as plain JSON: the verdict's own object, or
/// `{"error": "…"}` — not serde's `{"Ok": …}` / `{"Err": …}`.
mod judged {
    use super::Verdict;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    #[serde(untagged)]
    enum Out<'a> {
        Verdict(&'a Verdict),
        Error { error: &'a str },
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum In {
        Verdict(Box<Verdict>),
        Error { error: String },
    }

    pub fn serialize<S: Serializer>(v: &Result<Verdict, String>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Ok(verdict) => Out::Verdict(verdict).serialize(s),
            Err(error) => Out::Error { error }.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Verdict, String>, D::Error> {
        Ok(match In::deserialize(d)? {
            In::Verdict(v) => Ok(*v),
            In::Error { error } => Err(error),
        })
    }
}
