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
    /// Measure the mutation score instead: inject each built-in fault (edge
    /// faults, wrong for one class of operands; path faults, wrong only with a
    /// constant operand or when feeding a branch) into wasmi, one at a time,
    /// and report which the generated run and the sweep catch, and how fast.
    #[arg(long, env = "WASMGATE_SCORE", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    score: bool,
    /// With --score: seconds each mode may spend on each fault (the run also
    /// stops at the end of --seeds, by default the default run's 0..3000).
    #[arg(long, env = "WASMGATE_BUDGET", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    budget: u64,
    /// With --score: only these faults (`OP@TRIGGER` or `OP`, comma-separated),
    /// e.g. `i32.add@const,f64.nearest@tie,i32.shl@const+wide-shift`.
    /// Operand triggers: zero, neg-zero, min-neg1, wide-shift, tie, high-bit,
    /// grown (memory.grow); path triggers: const, branch; one of each may combine with `+`.
    #[arg(long, env = "WASMGATE_FAULTS", value_delimiter = ',')]
    faults: Vec<String>,
    /// With --score: score with the known-divergence list in force — each
    /// fault goes into wasmi itself (its name, its real bugs and its known
    /// entries kept) beside wasmtime-cranelift and wasmer-cranelift; a fault
    /// counts only when a finding it causes is reported as new, and cases the
    /// list explained that only the fault made diverge are counted as masked.
    #[arg(long = "with-known", env = "WASMGATE_WITH_KNOWN", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    with_known: bool,
    #[command(flatten)]
    known: super::KnownOpt,
    /// With --score: score the WebAssembly 3.0 faults (i31.get_s, i31.get_u,
    /// array.len, ref.eq, throw, ref.test, return_call, memory64, memory.copy)
    /// instead, injected into wasmtime-cranelift and voting against jsc-omg,
    /// v8-chromium and spidermonkey-firefox on wasm3-profile seeds.
    #[arg(long, env = "WASMGATE_WASM3", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    wasm3: bool,
}

pub fn run(opts: Opts) -> Result<i32> {
    if opts.score {
        return score(&opts);
    }
    if opts.with_known || opts.wasm3 || !opts.faults.is_empty() {
        anyhow::bail!(
            "--{} belongs to `selftest --score`; add --score, or drop it",
            if opts.with_known {
                "with-known"
            } else if opts.wasm3 {
                "wasm3"
            } else {
                "faults"
            }
        );
    }
    if opts.known.known.is_some() {
        anyhow::bail!("--known belongs to `selftest --score --with-known`; add both, or drop it");
    }
    let seeds = opts.seeds.seeds.unwrap_or(SeedRange { start: 0, end: 2000 });
    let out = opts.out.or("reports/selftest");
    crate::report::ready_dir(&out)?;
    if seeds.is_empty() {
        anyhow::bail!("compared nothing: seeds {seeds} hold no seed");
    }
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
    let mut crash = blamed(crate::compare::DivergenceKind::Crash);
    let mut hang = blamed(crate::compare::DivergenceKind::Hang);
    crash.sort();
    hang.sort();
    // A module with both operators fails on both engines: that crash blames both.
    let crash_ok =
        crash.contains(&CRASHING.to_string()) && crash.iter().all(|e| e == CRASHING || e == HANGING);
    let hang_ok = !hang.is_empty() && hang.iter().all(|e| e == HANGING);
    crash.dedup();
    hang.dedup();
    let ok = crash_ok && hang_ok && report.summary.cases == seeds.len();
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

/// `selftest --score`: the mutation score, printed and written as `score.json`.
fn score(opts: &Opts) -> Result<i32> {
    use crate::campaign::score::{NUMERIC, ScoreOptions, WASM3, score};
    let target = if opts.wasm3 { WASM3 } else { NUMERIC };
    let faults: Vec<String> = if opts.faults.is_empty() {
        target.faults.iter().map(|(f, _)| f.to_string()).collect()
    } else {
        opts.faults.clone()
    };
    for fault in &faults {
        // Bad fault names fail before any work.
        engines::resolve(&format!(
            "{}{}:{fault}",
            crate::execute::mutant::PREFIX,
            target.inner
        ))?;
    }
    let out = opts.out.or("reports/score");
    let known = match opts.with_known {
        true => Some(crate::campaign::known::load(opts.known.known.as_deref())?),
        false if opts.known.known.is_some() => {
            anyhow::bail!(
                "--known with --score needs --with-known (the score runs without a known list otherwise)"
            )
        }
        false => None,
    };
    crate::report::ready_dir(&out)?;
    let score_opts = ScoreOptions {
        known,
        target,
        faults,
        budget: std::time::Duration::from_secs(opts.budget),
        jobs: opts.jobs.get(),
        seeds: match opts.seeds.seeds {
            Some(s) => s,
            None => super::run::DEFAULT_SEEDS
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))?,
        },
    };
    eprintln!(
        "selftest --score: {} faults injected into {}{}, each against {} with the run ({} seeds {}) and the sweep, at most {} s each",
        score_opts.faults.len(),
        target.inner,
        if opts.with_known {
            " under its own name, with the known list in force"
        } else {
            ""
        },
        if opts.with_known {
            target.known_references.join(", ")
        } else {
            target.references.join(", ")
        },
        target.profile,
        score_opts.seeds,
        opts.budget
    );
    let show = |c: &Option<crate::campaign::score::Catch>| match c {
        Some(c) => format!("{:>6.1} s ({})", c.seconds, c.by),
        None => "     missed".to_string(),
    };
    let result = score(&score_opts, |f| {
        println!(
            "{:<28} run {:<24} sweep {:<30} {}{}",
            f.fault,
            show(&f.run),
            show(&f.sweep),
            if f.first().is_some() {
                "caught"
            } else {
                "NOT CAUGHT"
            },
            f.masked.map_or(String::new(), |m| format!(
                ", {m} case(s) masked by the known list"
            ))
        );
    })?;
    let n = result.faults.len();
    let caught = result.caught();
    let by = |pick: fn(&crate::campaign::score::FaultScore) -> bool| {
        result.faults.iter().filter(|f| pick(f)).count()
    };
    println!(
        "mutation score: {caught} of {n} faults caught ({:.0} %): run {}, sweep {}; median time to first finding {}",
        100.0 * caught as f64 / n.max(1) as f64,
        by(|f| f.run.is_some()),
        by(|f| f.sweep.is_some()),
        result
            .median_seconds()
            .map_or("-".to_string(), |s| format!("{s:.1} s")),
    );
    if result.known_list {
        let masked: u64 = result.faults.iter().filter_map(|f| f.masked).sum();
        println!(
            "known list in force: {masked} case(s) masked (a fault's divergence reported as known) over {} fault(s)",
            result.faults.iter().filter(|f| f.masked.unwrap_or(0) > 0).count()
        );
    }
    let c = &result.coverage;
    println!(
        "generator {}: {:.1} calls per case, {:.0} % of calls returned a value (seeds 0..{})",
        result.generator_version,
        c.calls as f64 / c.seeds.max(1) as f64,
        100.0 * c.calls_returned as f64 / c.calls.max(1) as f64,
        c.seeds
    );
    let missed: Vec<&str> = result
        .faults
        .iter()
        .filter(|f| f.first().is_none())
        .map(|f| f.fault.as_str())
        .collect();
    if !missed.is_empty() {
        println!("not caught: {}", missed.join(", "));
    }
    std::fs::create_dir_all(&out)?;
    let path = out.join("score.json");
    std::fs::write(&path, serde_json::to_string_pretty(&result)?)?;
    println!("score: {}", path.display());
    Ok(if caught == n { exit::AGREE } else { exit::FINDINGS })
}
