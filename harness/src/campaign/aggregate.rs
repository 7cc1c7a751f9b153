//! Folding case results into a report as they arrive, in any order, keeping
//! memory flat: per-case data is summed, only findings keep their seeds.

use crate::compare::Verdict;
use crate::compare::judge::CaseResult;
use crate::report::perf::PerfLead;
use crate::report::{EngineTimings, Finding, Summary};
use std::collections::BTreeMap;

/// Running totals of a campaign.
#[derive(Debug, Default)]
pub struct Aggregator {
    engines: Vec<String>,
    pub summary: Summary,
    findings: BTreeMap<String, Finding>,
    timings: BTreeMap<String, EngineTimings>,
    /// Engine time of all cases, for the benchmark.
    pub engine_us: u64,
    /// Per case that every engine ran: its seed and each engine's time, for
    /// the cross-engine outliers (at most [`LEAD_CASES`] cases).
    case_times: Vec<(u64, Vec<f64>)>,
}

/// Cases whose per-engine times are kept for the outlier ranking (12 engines:
/// about 5 MB); later cases are not ranked.
pub const LEAD_CASES: usize = 100_000;

/// How far above its usual share of a case's engine time an engine must be
/// for a generated case to be a lead (cases take microseconds: noisier than
/// the perf workloads).
pub const RUN_LEAD_FACTOR: f64 = 2.0;

impl Aggregator {
    /// An empty aggregate over engines named in campaign order.
    pub fn new(engines: Vec<String>) -> Self {
        let mut summary = Summary::default();
        for e in &engines {
            summary.skipped.insert(e.clone(), 0);
        }
        Aggregator {
            engines,
            summary,
            ..Default::default()
        }
    }

    /// Adds one case; `bundle` is the folder of its finding's bundle, relative to the report.
    pub fn add(&mut self, r: &CaseResult, bundle: impl Fn(&str) -> String) {
        let s = &mut self.summary;
        s.cases += 1;
        s.calls += r.calls.0;
        s.calls_returned += r.calls.1;
        for &i in &r.skipped {
            if let Some(name) = self.engines.get(i) {
                *s.skipped.entry(name.clone()).or_default() += 1;
            }
        }
        if r.features
            .iter()
            .any(|f| wasmgate_runners::Feature::WASM3.contains(f))
        {
            s.wasm3_cases += 1;
        }
        for f in &r.features {
            let usage = s.features.entry(f.name().to_string()).or_default();
            usage.cases += 1;
            for (i, name) in self.engines.iter().enumerate() {
                if r.ran.get(i) == Some(&true) {
                    *usage.ran.entry(name.clone()).or_default() += 1;
                } else if r.skipped.contains(&i) {
                    *usage.skipped.entry(name.clone()).or_default() += 1;
                }
            }
        }
        let all_ran = !r.ran.is_empty() && r.ran.len() == self.engines.len() && r.ran.iter().all(|&x| x);
        if all_ran && r.verdict.is_ok() && self.case_times.len() < LEAD_CASES {
            let times = r.timings.iter().map(|t| t.total_us() as f64).collect();
            self.case_times.push((r.seed, times));
        }
        for (i, t) in r.timings.iter().enumerate() {
            self.engine_us += t.total_us();
            if let (Some(true), Some(name)) = (r.ran.get(i), self.engines.get(i)) {
                let entry = self.timings.entry(name.clone()).or_default();
                entry.cases += 1;
                entry.timings.add(t);
            }
        }
        match &r.verdict {
            Err(_) => s.generation_errors += 1,
            Ok(Verdict::Agree { .. }) => s.agreed += 1,
            Ok(Verdict::Inconclusive { reason, .. }) => {
                s.inconclusive += 1;
                *s.inconclusive_reasons.entry(reason.clone()).or_default() += 1;
            }
            Ok(Verdict::Diverge(d)) => {
                s.diverged += 1;
                let f = self
                    .findings
                    .entry(d.signature.clone())
                    .or_insert_with(|| Finding {
                        signature: d.signature.clone(),
                        signature_text: d.signature_text.clone(),
                        kind: d.kind,
                        blamed: d.blamed.clone(),
                        majority: d.majority,
                        code_bases: d.code_bases,
                        step: d.step.clone(),
                        at: d.at.clone(),
                        groups: d.groups.clone(),
                        count: 0,
                        seeds: vec![],
                        bundle: bundle(&d.signature),
                        minimized: None,
                        cause: None,
                        known: None,
                        expected: d.expected.clone(),
                        stated: d.stated.clone(),
                    });
                // The representative is the lowest seed, whatever the arrival order.
                if f.seeds.iter().all(|&s| s > r.seed) {
                    f.step = d.step.clone();
                    f.at = d.at.clone();
                    f.groups = d.groups.clone();
                }
                f.count += 1;
                f.seeds.push(r.seed);
            }
        }
    }

    /// The five cases whose engine times stand out most from the usual
    /// pattern (WarpDiff: see `compare::perf::outliers`), with `repro`'s
    /// command for each seed. Leads for triage, never a gate.
    pub fn leads(&self, repro: impl Fn(u64) -> String) -> Vec<PerfLead> {
        let mut cases: Vec<&(u64, Vec<f64>)> = self.case_times.iter().collect();
        // Arrival order depends on the threads; the ranking must not.
        cases.sort_by_key(|(seed, _)| *seed);
        let vectors: Vec<Vec<f64>> = cases.iter().map(|(_, v)| v.clone()).collect();
        crate::compare::perf::outliers(&self.engines, &vectors)
            .into_iter()
            .filter(|o| o.factor >= RUN_LEAD_FACTOR)
            .take(5)
            .map(|o| {
                let seed = cases[o.case].0;
                PerfLead {
                    case: format!("seed {seed}"),
                    engine: o.engine,
                    distance: o.distance,
                    factor: o.factor,
                    module: None,
                    repro: repro(seed),
                }
            })
            .collect()
    }

    /// The summary, findings (seeds sorted) and per-engine timings.
    pub fn finish(mut self) -> (Summary, Vec<Finding>, BTreeMap<String, EngineTimings>) {
        self.summary.unique_findings = self.findings.len() as u64;
        let findings = self
            .findings
            .into_values()
            .map(|mut f| {
                f.seeds.sort_unstable();
                f
            })
            .collect();
        (self.summary, findings, self.timings)
    }
}
