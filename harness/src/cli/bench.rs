//! `wasmgate bench`: throughput, harness overhead and parallel scaling, all
//! measured side by side in one run on the same seeds.

use super::{EngineOpts, OutOpt, ProfileOpt, SeedsOpt, parse_jobs};
use crate::campaign::{CampaignOptions, run as run_campaign};
use crate::execute::execute;
use crate::report::SeedRange;
use crate::source::case::TestCase;
use crate::source::profile::Profile;
use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// [default seeds: 0..300 per measurement]
    #[command(flatten)]
    seeds: SeedsOpt,
    #[command(flatten)]
    profile: ProfileOpt,
    /// Job counts to compare, side by side.
    #[arg(long, short = 'j', value_delimiter = ',', default_value = "1,2", env = "WASMGATE_JOBS", value_parser = parse_jobs)]
    jobs: Vec<usize>,
    #[command(flatten)]
    engines: EngineOpts,
    /// Also time each engine of --startup-engines kept alive against started
    /// afresh for every case, over this many cases (0: skip).
    #[arg(
        long,
        alias = "node-cases",
        default_value_t = 0,
        env = "WASMGATE_STARTUP_CASES"
    )]
    startup_cases: u64,
    /// The engines --startup-cases times: those in another process.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "v8-turbofan,jsc-omg,v8-chromium",
        env = "WASMGATE_STARTUP_ENGINES"
    )]
    startup_engines: Vec<String>,
    /// Instead of generated cases, time the spec testsuite `SUITE` (e.g.
    /// wasm-v2) on the engines, once per job count.
    #[arg(long, value_name = "SUITE", env = "WASMGATE_CONFORMANCE")]
    conformance: Option<String>,
    /// Scratch folder for the measured runs' reports [default: reports/bench].
    #[command(flatten)]
    out: OutOpt,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let seeds = opts.seeds.seeds.unwrap_or(SeedRange { start: 0, end: 300 });
    let profile = opts.profile.get();
    let out = opts.out.or("reports/bench");
    if let Some(suite) = &opts.conformance {
        return conformance(suite, &opts);
    }
    println!(
        "bench: profile {}, seeds {}, engines {}",
        profile,
        seeds,
        opts.engines.names()?.join(",")
    );
    println!(
        "{:>5}  {:>9}  {:>11}  {:>13}  {:>9}",
        "jobs", "wall s", "cases/s", "overhead %", "speedup"
    );
    let mut base: Option<f64> = None;
    let busy_before = load_average();
    for &jobs in &opts.jobs {
        let campaign = CampaignOptions {
            jobs,
            name: format!("bench-jobs-{jobs}"),
            ..CampaignOptions::new(
                profile,
                seeds,
                opts.engines.names()?,
                out.join(format!("jobs-{jobs}")),
                opts.isolation.isolation()?,
            )
        };
        let (_, cost) = run_campaign(&campaign)?;
        let wall = cost.wall.as_secs_f64();
        let rate = cost.cases as f64 / wall;
        // Share of the available thread time (wall × jobs) not spent inside an
        // engine's compile, instantiate or call.
        let overhead = 100.0 * (1.0 - cost.engine_us as f64 / 1e6 / (wall * jobs as f64));
        let speedup = base.map(|b| rate / b).unwrap_or(1.0);
        base.get_or_insert(rate);
        println!("{jobs:>5}  {wall:>9.2}  {rate:>11.1}  {overhead:>13.1}  {speedup:>8.2}x");
    }
    let reports: Vec<String> = opts
        .jobs
        .iter()
        .map(|j| {
            out.join(format!("jobs-{j}"))
                .join("report.json")
                .display()
                .to_string()
        })
        .collect();
    println!("reports: {}", reports.join(", "));
    // Other work on the machine takes cores from the runs: then the speedup
    // column measures the machine, not wasmgate.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    if let Some(load) = busy_before.filter(|l| *l > 0.5 * cores) {
        println!(
            "warning: the machine was busy before the runs (load average {load:.1} on {cores} cores): the speedup and overhead figures are not meaningful; run the bench on an idle machine"
        );
    }
    if opts.startup_cases > 0 {
        for engine in &opts.startup_engines {
            startup(engine, profile, seeds.start, opts.startup_cases)?;
        }
    }
    Ok(0)
}

/// Wall time of a whole conformance suite on the engines, per job count, with
/// parsing and each engine's share.
fn conformance(suite: &str, opts: &Opts) -> Result<i32> {
    use std::time::Instant;
    let start = Instant::now();
    let scripts = crate::conformance::suite_files(suite)?
        .into_iter()
        .map(|(name, text)| crate::conformance::script::parse(&name, text))
        .collect::<Result<Vec<_>, _>>()?;
    let parse = start.elapsed().as_secs_f64();
    let resolved = crate::execute::engines::resolve_all(&opts.engines.names()?)?;
    let directives: usize = scripts.iter().map(|s| s.steps.len()).sum();
    println!(
        "bench: conformance {suite}: {} scripts, {directives} directives, engines {}",
        scripts.len(),
        resolved.specs.join(",")
    );
    for u in &resolved.unavailable {
        println!("{} not run: {}", u.engine, u.reason);
    }
    println!("parse and encode: {parse:.2} s (once, before the runs)");
    println!(
        "{:>5}  {:>9}  {:>14}  {:>9}",
        "jobs", "wall s", "directives/s", "speedup"
    );
    let mut base: Option<f64> = None;
    let mut per_engine = Vec::new();
    for &jobs in &opts.jobs {
        let start = Instant::now();
        let isolation = opts.isolation.isolation()?;
        let runs = crate::conformance::run(&scripts, &resolved.engines, &resolved.specs, jobs, &isolation);
        let wall = start.elapsed().as_secs_f64();
        let rate = (directives * resolved.engines.len()) as f64 / wall;
        let speedup = base.map(|b| b / wall).unwrap_or(1.0);
        base.get_or_insert(wall);
        println!("{jobs:>5}  {wall:>9.2}  {rate:>14.0}  {speedup:>8.2}x");
        per_engine = resolved
            .engines
            .iter()
            .enumerate()
            .map(|(e, engine)| {
                let t: f64 = runs.iter().map(|row| row[e].elapsed.as_secs_f64()).sum();
                format!("{} {t:.2} s", engine.info().name)
            })
            .collect();
    }
    println!("engine time in the last run: {}", per_engine.join(", "));
    Ok(0)
}

/// The one-minute load average (Linux `/proc/loadavg`), if known.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Per-case cost of an engine in another process kept alive (as wasmgate
/// runs it) against the same engine started afresh for every case (`node`,
/// `jsc` or a browser launched per case), measured alternately on the same cases.
fn startup(engine: &str, profile: Profile, first: u64, n: u64) -> Result<()> {
    use std::time::{Duration, Instant};
    let cases: Vec<_> = (first..first + n)
        .map(|s| TestCase::generated(profile, s))
        .collect::<Result<_>>()?;
    let persistent = match crate::execute::engines::resolve(engine) {
        Ok(e) => e,
        Err(e) => {
            println!("{engine}: not timed: {e:#}");
            return Ok(());
        }
    };
    let (mut warm, mut cold) = (Duration::ZERO, Duration::ZERO);
    for case in &cases {
        let start = Instant::now();
        execute(persistent.as_ref(), case);
        warm += start.elapsed();
        let start = Instant::now();
        let fresh = crate::execute::engines::resolve(engine)?;
        execute(fresh.as_ref(), case);
        drop(fresh);
        cold += start.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / n as f64;
    println!(
        "{engine} over {n} cases: kept alive {:.2} ms/case, started per case {:.2} ms/case: {:.0}x cheaper",
        per(warm),
        per(cold),
        cold.as_secs_f64() / warm.as_secs_f64()
    );
    Ok(())
}
