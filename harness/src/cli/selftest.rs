//! `wasmgate selftest`: the gate must be able to fail.

use super::{JobsOpt, OutOpt, SeedsOpt};
use crate::campaign::{CampaignOptions, run as run_campaign};
use crate::compare::Verdict;
use crate::compare::judge::run_case;
use crate::execute::engines;
use crate::report::bundle::ReproBundle;
use crate::report::{SeedRange, exit};
use crate::source::profile::Profile;
use anyhow::Result;

/// The fault injected by default: wasmi with every `i32.add` off by one bit.
pub const DEFAULT_MUTANT: &str = "mutant:wasmi:i32.add";

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// [default seeds: 0..2000]
    #[command(flatten)]
    seeds: SeedsOpt,
    /// The injected faulty engine.
    #[arg(long, default_value = DEFAULT_MUTANT, env = "WASMGATE_MUTANT")]
    mutant: String,
    #[command(flatten)]
    jobs: JobsOpt,
    /// [default: reports/selftest]
    #[command(flatten)]
    out: OutOpt,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let seeds = opts.seeds.seeds.unwrap_or(SeedRange { start: 0, end: 2000 });
    let out = opts.out.or("reports/selftest");
    let mut names = engines::default_names();
    names.push(opts.mutant.clone());
    let mutant = engines::resolve(&opts.mutant)?.info().name.clone();
    let campaign = CampaignOptions {
        jobs: opts.jobs.get(),
        name: "selftest".into(),
        ..CampaignOptions::new(
            Profile::Default,
            seeds,
            names,
            out.clone(),
            opts.isolation.isolation()?,
        )
    };
    eprintln!(
        "selftest: {} seeds with {} injected among {} engines",
        seeds.len(),
        mutant,
        campaign.engines.len()
    );
    let (report, _) = run_campaign(&campaign)?;
    let caught: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.majority && f.blamed == [mutant.clone()])
        .collect();
    let Some(first) = caught.first() else {
        println!(
            "selftest FAILED: {mutant} was never blamed alone ({} findings)",
            report.findings.len()
        );
        return Ok(exit::FINDINGS);
    };
    let cases: u64 = caught.iter().map(|f| f.count).sum();
    println!(
        "selftest: {mutant} caught in {cases} case(s) under {} signature(s); first at seed {} ({})",
        caught.len(),
        first.seeds[0],
        first.kind
    );
    let others = report.findings.len() - caught.len();
    if others > 0 {
        // Real engine bugs show up too (a mutant inherits its base engine's);
        // they are in the report but do not decide the selftest.
        println!(
            "selftest: {others} other finding(s) involve real engines; see {}",
            out.join("summary.md").display()
        );
    }
    // The bundle must replay: same engines, same verdict.
    let bundle = ReproBundle::load(&out.join(&first.bundle))?;
    let names: Vec<String> = bundle.engines.iter().map(|e| e.name.clone()).collect();
    let (_, verdict) = run_case(&engines::resolve_all(&names)?.engines, &bundle.case);
    match verdict {
        Verdict::Diverge(d) if d.signature == first.signature => {
            println!(
                "selftest: bundle {} replays with signature {}",
                first.bundle, d.signature
            );
            isolation_check(&opts)
        }
        other => {
            println!(
                "selftest FAILED: bundle {} did not replay the divergence: {other:?}",
                first.bundle
            );
            Ok(exit::FINDINGS)
        }
    }
}

/// Engines that crash and hang on purpose (on rarer operators, so most cases still run).
const CRASHING: &str = "crash:wasmi:i64.rem_s";
const HANGING: &str = "hang:wasmi:i64.rotl";

/// Second part: a crashing and a hanging engine must each be caught and blamed,
/// and every other case must still run.
fn isolation_check(opts: &Opts) -> Result<i32> {
    let isolation = opts.isolation.isolation()?;
    let crate::isolate::Isolation::Processes { exe, .. } = isolation else {
        println!("selftest: crash and hang checks need worker processes; skipped with --in-process");
        println!("selftest passed");
        return Ok(exit::AGREE);
    };
    let seeds = SeedRange { start: 0, end: 60 };
    let campaign = CampaignOptions {
        jobs: opts.jobs.get(),
        name: "selftest-isolation".into(),
        ..CampaignOptions::new(
            Profile::Default,
            seeds,
            ["wasmtime-cranelift", "wasmi", CRASHING, HANGING]
                .map(String::from)
                .to_vec(),
            opts.out.or("reports/selftest").join("isolation"),
            crate::isolate::Isolation::Processes {
                exe,
                timeout: std::time::Duration::from_secs(2),
            },
        )
    };
    eprintln!(
        "selftest: {} seeds with {CRASHING} and {HANGING} injected",
        seeds.len()
    );
    let (report, _) = run_campaign(&campaign)?;
    let blamed = |kind: crate::compare::DivergenceKind| -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.kind == kind)
            .flat_map(|f| f.blamed.clone())
            .collect()
    };
    let crash = blamed(crate::compare::DivergenceKind::Crash);
    let hang = blamed(crate::compare::DivergenceKind::Hang);
    let ok = crash == [CRASHING] && hang == [HANGING] && report.summary.cases == seeds.len();
    println!(
        "selftest: crash blamed on {crash:?}, hang blamed on {hang:?}, {} of {} cases ran",
        report.summary.cases,
        seeds.len()
    );
    if ok {
        println!("selftest passed");
        Ok(exit::AGREE)
    } else {
        println!("selftest FAILED: expected the crash blamed on {CRASHING} and the hang on {HANGING}");
        Ok(exit::FINDINGS)
    }
}
