//! `wasmgate run`: the main job.

use super::{EngineOpts, JobsOpt, KnownOpt, OutOpt, ProfileOpt, QuietOpt, SeedsOpt};
use crate::campaign::{CampaignOptions, run as run_campaign};
use crate::report::{Report, SeedRange, Shard};
use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Seeds a default run covers: about a minute on two cores.
pub const DEFAULT_SEEDS: &str = "0..3000";

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[command(flatten)]
    profile: ProfileOpt,
    /// [default seeds: 0..3000, or unbounded with --time]
    #[command(flatten)]
    seeds: SeedsOpt,
    /// Run only shard K of N of the seeds (`--shard 2/4`): seeds s with
    /// s % N == K-1, a split that stays stable across versions.
    #[arg(long, env = "WASMGATE_SHARD")]
    shard: Option<Shard>,
    /// Stop starting cases after this long (`90s`, `30m`, `8h`).
    #[arg(long, env = "WASMGATE_TIME", value_parser = humantime::parse_duration)]
    time: Option<std::time::Duration>,
    /// Continue the interrupted run in this report folder (its journal says
    /// which profile, seeds, shard and engines; options that disagree with it
    /// are an error).
    #[arg(long, env = "WASMGATE_RESUME")]
    resume: Option<PathBuf>,
    #[command(flatten)]
    jobs: JobsOpt,
    #[command(flatten)]
    engines: EngineOpts,
    #[command(flatten)]
    out: OutOpt,
    /// Run name (default: run-<UTC time>).
    #[arg(long, env = "WASMGATE_NAME")]
    name: Option<String>,
    /// Candidates wasm-shrink tries per finding once the run is over; the
    /// minimised bundle goes to `<bundle>/minimized/` (0: no shrinking).
    #[arg(long, default_value_t = 50, env = "WASMGATE_SHRINK_ATTEMPTS")]
    shrink_attempts: u32,
    /// Wall time all the shrinking after a run may take [default: 20s, or 5 %
    /// of --time].
    #[arg(long, env = "WASMGATE_SHRINK_TIME", value_parser = humantime::parse_duration)]
    shrink_time: Option<Duration>,
    #[command(flatten)]
    known: KnownOpt,
    #[command(flatten)]
    quiet: QuietOpt,
    /// A line per case as it completes (its seed and verdict), instead of
    /// the progress bar.
    #[arg(long, short = 'v', env = "WASMGATE_VERBOSE", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    verbose: bool,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let name = opts.name.clone().unwrap_or_else(default_run_name);
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        anyhow::bail!("invalid run name `{name}`: a run name is one folder name, without `/` or `..`");
    }
    let out = match (&opts.resume, &opts.out.out) {
        (Some(dir), _) => dir.clone(),
        (None, Some(out)) => out.clone(),
        (None, None) => PathBuf::from("reports").join(&name),
    };
    let seeds = match (opts.seeds.seeds, opts.time) {
        (Some(s), _) => s,
        (None, Some(_)) => SeedRange {
            start: 0,
            end: u64::MAX,
        },
        (None, None) => DEFAULT_SEEDS.parse().map_err(|e: String| anyhow::anyhow!(e))?,
    };
    let every = if std::io::stderr().is_terminal() {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    };
    let campaign = CampaignOptions {
        profile: opts.profile.get(),
        seeds,
        jobs: opts.jobs.get(),
        engines: opts.engines.names()?,
        out: out.clone(),
        name,
        progress: (!opts.quiet.quiet && !opts.verbose).then_some(every),
        verbose: opts.verbose,
        isolation: opts.isolation.isolation()?,
        shard: opts.shard,
        time_limit: opts.time,
        resume: opts.resume.is_some(),
        shrink_attempts: opts.shrink_attempts,
        // Minimising may take 20 s after a seed-range run, or 5 % of a --time budget.
        shrink_time: opts.shrink_time.unwrap_or_else(|| {
            let floor = Duration::from_secs(20);
            opts.time.map(|t| (t / 20).max(floor)).unwrap_or(floor)
        }),
        known: crate::campaign::known::load(opts.known.known.as_deref())?,
        stop: Some(crate::campaign::watch_signals()?),
    };
    if campaign.resume {
        let journal = out.join(crate::campaign::journal::FILE);
        if !journal.is_file() {
            anyhow::bail!(
                "cannot resume: no journal at {} (a run stopped that early had done nothing: start it again)",
                journal.display()
            );
        }
        check_resume(&opts, &crate::campaign::journal::Journal::header(&out)?)?;
        if !opts.quiet.quiet {
            eprintln!("wasmgate: resuming the run in {}", out.display());
        }
    } else {
        opts.engines.resolve_for_comparison()?;
        // What would compare nothing is refused before anything starts.
        if campaign.seeds.is_empty() {
            anyhow::bail!("compared nothing: seeds {} hold no seed", campaign.seeds);
        }
        if let Some(shard) = campaign.shard
            && campaign.seeds.len_in(Some(shard)) == 0
        {
            anyhow::bail!(
                "compared nothing: shard {shard} of seeds {} holds no seed",
                campaign.seeds
            );
        }
        if campaign.time_limit.is_some_and(|t| t.is_zero()) {
            anyhow::bail!("compared nothing: --time 0s leaves no time for a case");
        }
        crate::report::ready_dir(&out)?;
        let shard = campaign.shard.map(|s| format!(", shard {s}")).unwrap_or_default();
        let budget = campaign
            .time_limit
            .map(|t| format!(" for at most {}", humantime::format_duration(t)))
            .unwrap_or_default();
        if !opts.quiet.quiet {
            eprintln!(
                "wasmgate: running seeds {}{shard} of profile {} on {} engines with {} jobs{budget}",
                campaign.seeds,
                campaign.profile,
                campaign.engines.len(),
                campaign.jobs
            );
        }
    }
    let (report, _) = run_campaign(&campaign)?;
    if report.run.interrupted {
        print_summary(&report, &out, opts.quiet.quiet);
        eprintln!(
            "wasmgate: interrupted; the report covers the cases done, and `wasmgate run --resume {}` runs the rest",
            out.display()
        );
        return Ok(crate::campaign::INTERRUPTED);
    }
    report.check_compared_something(&out)?;
    print_summary(&report, &out, opts.quiet.quiet);
    Ok(report.exit_code())
}

/// Refuses options (flags or their variables) that disagree with the run
/// being resumed: its journal decides profile, seeds, shard and engines.
fn check_resume(opts: &Opts, header: &crate::campaign::journal::Header) -> Result<()> {
    let clash = |what: &str, given: String, journaled: String| {
        anyhow::anyhow!("cannot resume: {what} {given} was given, but the journaled run has {journaled}")
    };
    if let Some(p) = opts.profile.profile
        && p != header.profile
    {
        return Err(clash("profile", p.to_string(), header.profile.to_string()));
    }
    if let Some(s) = opts.seeds.seeds
        && s != header.seeds
    {
        return Err(clash("seeds", s.to_string(), header.seeds.to_string()));
    }
    if opts.shard.is_some() && opts.shard != header.shard {
        let show = |s: Option<Shard>| s.map_or("no shard".to_string(), |s| format!("shard {s}"));
        return Err(clash("shard", show(opts.shard), show(header.shard)));
    }
    if opts.engines.given() && opts.engines.names()? != header.engines {
        return Err(clash(
            "engines",
            opts.engines.names()?.join(","),
            header.engines.join(","),
        ));
    }
    if let (Some(out), Some(dir)) = (&opts.out.out, &opts.resume)
        && out != dir
    {
        return Err(clash(
            "--out",
            out.display().to_string(),
            dir.display().to_string(),
        ));
    }
    Ok(())
}

/// `run-YYYY-MM-DDTHH-MM-SSZ`, safe as a folder name.
pub fn default_run_name() -> String {
    stamped(
        "run",
        &humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    )
}

/// `PREFIX-` and an RFC 3339 UTC time with its colons made dashes: a default
/// report folder name (`sweep-default-2026-11-25T16-00-00Z`).
pub fn stamped(prefix: &str, rfc3339: &str) -> String {
    format!("{prefix}-{}", rfc3339.replace(':', "-"))
}

/// Findings listed one by one at the end of a run; the rest are counted
/// (the report has them all).
const FINDINGS_SHOWN: usize = 20;

/// The closing lines of a run: counts, findings (new ones first, most hit
/// first; none when `quiet`) and where the report is.
/// One line per root cause: one bug, one line.
fn print_causes(report: &Report) {
    for g in crate::report::cause_groups(&report.findings) {
        println!(
            "cause {} ({}): {} finding(s), {} case(s){}",
            g.cause.id,
            g.cause.text,
            g.signatures.len(),
            g.cases,
            if g.known { " [known]" } else { "" }
        );
    }
}

pub fn print_summary(report: &Report, out: &std::path::Path, quiet: bool) {
    let s = &report.summary;
    println!(
        "wasmgate: {} cases on {} engines in {:.1}s: {} agreed, {} diverged, {} inconclusive, {} generation errors",
        s.cases,
        report.envelope.engines.len(),
        report.envelope.timing.wall_ms as f64 / 1000.0,
        s.agreed,
        s.diverged,
        s.inconclusive,
        s.generation_errors
    );
    for u in &report.envelope.unavailable {
        println!("{} not run: {}", u.engine, u.reason);
    }
    let skipped: Vec<String> = s
        .skipped
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    if !skipped.is_empty() {
        let ran: Vec<String> = report
            .envelope
            .engines
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e.name,
                    report.timings.get(&e.name).map_or(0, |t| t.cases)
                )
            })
            .collect();
        println!("cases run per engine: {}", ran.join(", "));
        println!(
            "skipped (module needs a feature the engine lacks): {}",
            skipped.join(", ")
        );
    }
    // Features beyond the default profile's, with the cases that used each
    // and how many engines ran them.
    let beyond: Vec<String> = s
        .features
        .iter()
        .filter(|(f, _)| {
            !crate::source::profile::Profile::Default
                .features()
                .iter()
                .any(|d| d.name() == f.as_str())
        })
        .map(|(f, u)| {
            format!(
                "{f} {} ({} engines)",
                u.cases,
                u.ran.values().filter(|&&n| n > 0).count()
            )
        })
        .collect();
    if !beyond.is_empty() {
        println!("cases per feature: {}", beyond.join(", "));
    }
    if s.wasm3_cases > 0 {
        println!(
            "cases using WebAssembly 3.0: {} ({:.1} %)",
            s.wasm3_cases,
            100.0 * s.wasm3_cases as f64 / s.cases.max(1) as f64
        );
    }
    if s.calls > 0 {
        println!(
            "calls: {} ({:.1} per case), {:.0} % returned a value",
            s.calls,
            s.calls as f64 / s.cases.max(1) as f64,
            100.0 * s.calls_returned as f64 / s.calls as f64
        );
    }
    print_causes(report);
    if s.lost_replays > 0 {
        println!("{}", crate::report::lost_replays(s.lost_replays));
    }
    for e in &report.known_list.explained {
        println!("known: {} explained {} case(s)", e.entry, e.cases);
    }
    for j in &report.known_list.jumped {
        println!("{j}");
    }
    for (reason, n) in &s.inconclusive_reasons {
        println!("inconclusive: {n} × {reason}");
    }
    let mut order: Vec<&crate::report::Finding> = report.findings.iter().collect();
    order.sort_by_key(|f| (f.known.is_some(), std::cmp::Reverse(f.count)));
    let shown = if quiet { 0 } else { FINDINGS_SHOWN };
    if order.len() > shown {
        println!(
            "{} finding(s){}; all in the report",
            order.len(),
            if shown > 0 {
                format!(", {} more not listed here", order.len() - shown)
            } else {
                String::new()
            }
        );
    }
    for f in order.into_iter().take(shown) {
        let known = f
            .known
            .as_ref()
            .map(|r| format!(" [known: {r}]"))
            .unwrap_or_default();
        let blame = crate::report::who(f.majority, f.code_bases, f.expected.is_some());
        let first = f.seeds.first().copied().unwrap_or_default();
        let whence = match report.run.modules.get(first as usize) {
            Some(module) => format!("in {module}"),
            None => format!("{} case(s), first seed {first}", f.count),
        };
        let cause = f
            .cause
            .as_ref()
            .map(|c| format!(" [{}]", c.id))
            .unwrap_or_default();
        use super::style::{FAIL, NOTE, paint};
        anstream::println!(
            "{} {}{cause} ({} at {}; {blame}: {}): {whence}{known}",
            paint(if f.known.is_some() { NOTE } else { FAIL }, "finding"),
            f.signature,
            f.kind,
            f.step,
            f.blamed.join(", "),
        );
        if let Some(e) = &f.expected {
            println!("  expected: {e}");
        }
        anstream::println!(
            "  reproduce: {}",
            super::style::paint(
                super::style::DIM,
                format!("wasmgate repro {}", out.join(&f.bundle).display())
            )
        );
        if let Some(m) = &f.minimized {
            println!("  minimised: wasmgate repro {}", out.join(m).display());
        }
    }
    if !quiet {
        for l in &report.leads {
            println!(
                "lead: {} takes {:.1}× its usual share of engine time on {} (a lead, not a gate): {}",
                l.engine, l.factor, l.case, l.repro
            );
        }
    }
    let new = report.findings.iter().filter(|f| f.known.is_none()).count();
    let incompatible = report.compat.as_ref().map_or(0, |c| c.incompatibilities());
    let (slower, unmeasured) = report
        .perf
        .as_ref()
        .map_or((0, 0), |p| (p.regressions(), p.failures.len() as u64));
    for e in &report.known_list.expired {
        println!("{e}");
    }
    let verdict = match (new, report.summary.known_findings) {
        _ if !report.known_list.expired.is_empty() => {
            format!(
                "FAILED ({} expired known-divergence entries)",
                report.known_list.expired.len()
            )
        }
        _ if incompatible > 0 => format!("FAILED ({incompatible} incompatibilities, {new} new findings)"),
        _ if slower + unmeasured > 0 => format!(
            "FAILED ({slower} perf regressions, {unmeasured} failed measurements, {new} new findings)"
        ),
        (0, 0) => "passed".to_string(),
        (0, k) => format!("passed ({k} known divergences)"),
        (n, k) => format!("FAILED ({n} new findings, {k} known)"),
    };
    let style = if verdict.starts_with("passed") {
        super::style::PASS
    } else {
        super::style::FAIL
    };
    anstream::println!("gate: {}", super::style::paint(style, verdict));
    println!("report: {}", out.join("report.json").display());
}
