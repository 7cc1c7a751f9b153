//! `wasmgate sweep`: every numeric instruction over boundary operands, on
//! every engine, compared and reported like a run.

use super::{EngineOpts, JobsOpt, KnownOpt, OnlyOpt, OutOpt, ProfileOpt};
use crate::campaign::aggregate::Aggregator;
use crate::compare::Verdict;
use crate::compare::judge::evaluate_case;
use crate::report::bundle::ReproBundle;
use crate::report::write_report;
use crate::report::{REPORT_SCHEMA_VERSION, Report, RunInfo, SeedRange, Tool};
use crate::source::sweep;
use anyhow::{Result, anyhow};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// `default`: MVP numerics, sign extension and saturating conversions;
    /// `simd`: those plus SIMD lane operations; `mvp`: MVP numerics only.
    #[command(flatten)]
    profile: ProfileOpt,
    /// Instructions to sweep, by name (e.g. `--only trunc`).
    #[command(flatten)]
    only: OnlyOpt,
    #[command(flatten)]
    jobs: JobsOpt,
    #[command(flatten)]
    engines: EngineOpts,
    #[command(flatten)]
    known: KnownOpt,
    #[command(flatten)]
    out: OutOpt,
}

pub fn run(opts: Opts) -> Result<i32> {
    let known = crate::campaign::known::load(opts.known.known.as_deref())?;
    let profile = opts.profile.get();
    let features = profile.features();
    let mut cases = Vec::new();
    for op in sweep::ops(profile) {
        if !opts.only.keeps(&op.text) {
            continue;
        }
        let case = sweep::case(profile, &op)?;
        // The mvp profile leaves out what needs sign extension or saturating conversions.
        if crate::source::module_info::validate(&case.wasm, &features).is_ok() {
            cases.push(case);
        }
    }
    if cases.is_empty() {
        return Err(anyhow!("no instruction of profile {} matches --only", profile));
    }
    let resolved = opts.engines.resolve_for_comparison()?;
    let engines = resolved.engines;
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    let jobs = opts.jobs.get();
    let calls: usize = cases.iter().map(|c| c.calls.len()).sum();
    eprintln!(
        "wasmgate: sweeping {} instructions ({calls} calls) of profile {} on {} engines with {jobs} jobs",
        cases.len(),
        profile,
        engines.len()
    );
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let out = opts.out.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(super::run::stamped(&format!("sweep-{}", profile), &started_at))
    });
    std::fs::create_dir_all(&out).map_err(|e| anyhow!("cannot create {}: {e}", out.display()))?;
    let start = Instant::now();
    let mut results = crate::execute::parallel::map_indexed(
        cases.len(),
        jobs,
        || (),
        |_, i| evaluate_case(i as u64, &cases[i], &engines, false),
    );
    let bundle_path = |sig: &str| format!("findings/{sig}");
    let mut aggregate = Aggregator::new(names);
    let infos: Vec<_> = engines.iter().map(|e| e.info().clone()).collect();
    let mut written = std::collections::HashSet::new();
    for r in &mut results {
        aggregate.add(r, bundle_path);
        if let (Ok(Verdict::Diverge(d)), Some(outcomes)) = (&r.verdict, r.outcomes.take())
            && written.insert(d.signature.clone())
        {
            let case = &cases[r.seed as usize];
            let bundle = ReproBundle::new(case, infos.clone(), outcomes, Verdict::Diverge(d.clone()));
            bundle.write(&out.join(bundle_path(&d.signature)), &case.wasm)?;
        }
    }
    let (summary, findings, timings) = aggregate.finish();
    let mut report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool::default(),
        run: RunInfo {
            name: out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sweep".into()),
            profile,
            seeds: SeedRange {
                start: 0,
                end: cases.len() as u64,
            },
            shard: None,
            generator_version: sweep::SWEEP_VERSION.into(),
            incomplete: None,
            jobs,
            started_at,
            wall_ms: start.elapsed().as_millis() as u64,
        },
        engines: infos,
        summary,
        findings,
        timings,
        unavailable: resolved.unavailable,
    };
    crate::campaign::known::apply(&mut report, &known);
    write_report(&report, &out)?;
    report.check_compared_something(&out)?;
    super::run::print_summary(&report, &out, false);
    Ok(report.exit_code())
}
