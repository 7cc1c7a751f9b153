//! The instruction sweep as a campaign: every case of `source::sweep` judged
//! on every engine — in worker processes, like a run, so an engine that
//! crashes or hangs on one instruction costs that instruction only — then
//! aggregated, bundled and reported with `kind: "sweep"`.

use super::aggregate::Aggregator;
use super::known::{self, Entry};
use crate::compare::Verdict;
use crate::compare::judge::{CaseResult, evaluate_case};
use crate::execute::engines::Resolved;
use crate::execute::parallel::map_indexed;
use crate::isolate::Isolation;
use crate::isolate::worker::IsolatedExecutor;
use crate::report::bundle::ReproBundle;
use crate::report::{Envelope, Report, ReportKind, RunInfo, SeedRange, Timing, write_report};
use crate::source::case::TestCase;
use crate::source::profile::Profile;
use crate::source::sweep;
use anyhow::Result;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

/// What to sweep and where to report it.
pub struct SweepOptions {
    pub profile: Profile,
    pub cases: Vec<TestCase>,
    pub jobs: usize,
    pub out: PathBuf,
    pub isolation: Isolation,
    pub known: Vec<Entry>,
}

/// Runs the sweep on `engines` and writes its report into `opts.out`.
pub fn run(opts: &SweepOptions, engines: Resolved) -> Result<Report> {
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let previous = known::previous(&opts.out);
    let _lock = crate::report::open_dir(&opts.out, &[], true)?;
    let start = Instant::now();
    let cases = &opts.cases;
    let specs = engines.specs.clone();
    let mut results: Vec<CaseResult> = map_indexed(
        cases.len(),
        opts.jobs.min(cases.len()),
        || match &opts.isolation {
            Isolation::InProcess => None,
            Isolation::Processes { exe, timeout } => {
                Some(IsolatedExecutor::new(exe.clone(), specs.clone(), *timeout))
            }
        },
        |executor, i| {
            let mut result = match executor {
                None => evaluate_case(i as u64, &cases[i], &engines.engines, false),
                Some(executor) => executor
                    .run_case(&cases[i])
                    .unwrap_or_else(|e| CaseResult::failed(i as u64, &e)),
            };
            // The case's index is its seed in reports; agreeing cases keep no outcomes.
            result.seed = i as u64;
            if !matches!(result.verdict, Ok(Verdict::Diverge(_))) {
                result.outcomes = None;
            }
            result
        },
    );
    let bundle_path = |sig: &str| format!("findings/{sig}");
    let names: Vec<String> = engines.engines.iter().map(|e| e.info().name.clone()).collect();
    let infos: Vec<_> = engines.engines.iter().map(|e| e.info().clone()).collect();
    let mut aggregate = Aggregator::new(names);
    let mut written = std::collections::HashSet::new();
    for r in &mut results {
        aggregate.add(r, bundle_path);
        if let (Ok(Verdict::Diverge(d)), Some(outcomes)) = (&r.verdict, r.outcomes.take())
            && written.insert(d.signature.clone())
        {
            let case = &cases[r.seed as usize];
            let bundle = ReproBundle::new(case, infos.clone(), outcomes, Verdict::Diverge(d.clone()));
            bundle.write(&opts.out.join(bundle_path(&d.signature)), &case.wasm)?;
        }
    }
    let (summary, findings, timings) = aggregate.finish();
    let mut report = Report {
        envelope: Envelope::new(
            ReportKind::Sweep,
            infos,
            engines.unavailable,
            Timing {
                started_at,
                wall_ms: start.elapsed().as_millis() as u64,
            },
        ),
        run: RunInfo {
            name: opts
                .out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sweep".into()),
            profile: opts.profile,
            seeds: SeedRange {
                start: 0,
                end: cases.len() as u64,
            },
            shard: None,
            generator_version: sweep::SWEEP_VERSION.into(),
            incomplete: None,
            interrupted: false,
            limits: crate::report::Limits::of(&opts.isolation),
            time_budget_ms: None,
            jobs: opts.jobs,
            modules: Vec::new(),
        },
        summary,
        findings,
        timings,
        compat: None,
        known_list: Default::default(),
        wasi: None,
        perf: None,
        leads: vec![],
        calls: vec![],
    };
    let case_of = |i: u64| cases.get(i as usize).cloned();
    let bench = crate::isolate::bench::Bench::new(&engines.engines, &engines.specs, &opts.isolation);
    crate::campaign::attribute::attribute(&mut report, &opts.out, &bench, &opts.known, &case_of);
    drop(bench);
    known::apply(&mut report, &opts.known);
    known::jumps(&mut report, previous.as_ref());
    write_report(&mut report, &opts.out)?;
    Ok(report)
}
