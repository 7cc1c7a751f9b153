//! `wasmgate sweep`: every numeric instruction over boundary operands, on
//! every engine, compared and reported like a run.

use super::{EngineOpts, JobsOpt, KnownOpt, OnlyOpt, OutOpt, ProfileOpt, QuietOpt};
use crate::campaign::sweep::SweepOptions;
use crate::source::sweep;
use anyhow::{Result, anyhow};
use std::path::PathBuf;
use std::time::SystemTime;

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
    #[command(flatten)]
    quiet: QuietOpt,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let known = crate::campaign::known::load(opts.known.known.as_deref())?;
    let profile = opts.profile.get();
    let cases = sweep::cases(profile, |op| opts.only.keeps(op))?;
    if cases.is_empty() {
        return Err(anyhow!("no instruction of profile {} matches --only", profile));
    }
    let resolved = opts.engines.resolve_for_comparison()?;
    let jobs = opts.jobs.get();
    let calls: usize = cases.iter().map(|c| c.calls.len()).sum();
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let out = opts
        .out
        .or(PathBuf::from("reports").join(super::run::stamped(&format!("sweep-{profile}"), &started_at)));
    crate::report::ready_dir(&out)?;
    if !opts.quiet.quiet {
        eprintln!(
            "wasmgate: sweeping {} instructions ({calls} calls) of profile {profile} on {} engines with {jobs} jobs",
            cases.len(),
            resolved.engines.len()
        );
    }
    let sweep = SweepOptions {
        profile,
        cases,
        jobs,
        out: out.clone(),
        isolation: opts.isolation.isolation()?,
        known,
    };
    let report = crate::campaign::sweep::run(&sweep, resolved)?;
    report.check_compared_something(&out)?;
    super::run::print_summary(&report, &out, opts.quiet.quiet);
    Ok(report.exit_code())
}
