//! `wasmgate conformance`: the spec testsuite on every engine, per directive.

use super::{EngineOpts, JobsOpt, OnlyOpt, OutOpt, QuietOpt};
use crate::conformance::{self, expected, report, script};
use anyhow::{Context, Result, anyhow};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Suite to run: wasm-v1, wasm-v2, wasm-v3, wasm-latest or a proposal
    /// folder (`proposals/simd`, or just `simd`); `--list-suites` shows them.
    #[arg(long, default_value = conformance::DEFAULT_SUITE, env = "WASMGATE_SUITE", conflicts_with = "file")]
    suite: String,
    /// Run these .wast files instead of a suite (repeatable).
    #[arg(long, value_name = "WAST", env = "WASMGATE_FILE", value_delimiter = ',')]
    file: Vec<PathBuf>,
    /// Only the suite's files whose name contains this text (repeatable).
    #[command(flatten)]
    only: OnlyOpt,
    /// Print the suite names and exit.
    #[arg(long)]
    list_suites: bool,
    /// Expected-failure list (TOML) [default: the built-in vectors/expected-failures.toml].
    #[arg(long, env = "WASMGATE_EXPECTED")]
    expected: Option<PathBuf>,
    /// An earlier run's report.json: its failures are expected too, so only
    /// regressions fail the gate, and what it failed but passes now is stale.
    #[arg(long, env = "WASMGATE_BASELINE", value_name = "REPORT")]
    baseline: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[command(flatten)]
    jobs: JobsOpt,
    #[command(flatten)]
    engines: EngineOpts,
    /// Report folder (default: reports/conformance-<suite>-<UTC time>).
    #[command(flatten)]
    out: OutOpt,
    /// Print only the closing summary.
    #[command(flatten)]
    quiet: QuietOpt,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    if opts.list_suites {
        for name in conformance::suite_names() {
            println!("{name}");
        }
        return Ok(crate::report::exit::AGREE);
    }
    let mut expected = expected::load(opts.expected.as_deref())?;
    if let Some(baseline) = &opts.baseline {
        expected.extend(report::from_baseline(baseline)?);
    }
    let (suite, sources) = if opts.file.is_empty() {
        let files = conformance::suite_files(&opts.suite)?;
        let files: Vec<(String, String)> = files
            .into_iter()
            .filter(|(name, _)| opts.only.keeps(name))
            .map(|(n, t)| (n, t.to_string()))
            .collect();
        if files.is_empty() {
            return Err(anyhow!("no file of suite `{}` matches --only", opts.suite));
        }
        (opts.suite.clone(), files)
    } else {
        let mut files = Vec::new();
        for path in &opts.file {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            files.push((path.display().to_string(), text));
        }
        ("files".to_string(), files)
    };
    let scripts = sources
        .iter()
        .map(|(name, text)| script::parse(name, text))
        .collect::<Result<Vec<_>, _>>()?;
    let resolved = opts.engines.resolve()?;
    if resolved.engines.is_empty() {
        return Err(anyhow!("no engine can run here"));
    }
    // Scripts no engine here can run compare nothing: refused before they start.
    let runnable = scripts.iter().any(|s| {
        resolved
            .engines
            .iter()
            .any(|e| conformance::exec::support(s, &e.info().features) == conformance::exec::Support::Full)
    });
    if !runnable {
        anyhow::bail!(
            "compared nothing: every script of `{suite}` needs a feature none of the {} engines here enables",
            resolved.engines.len()
        );
    }
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let out = opts.out.out.clone().unwrap_or_else(|| {
        let prefix = format!("conformance-{}", suite.replace('/', "-"));
        PathBuf::from("reports").join(super::run::stamped(&prefix, &started_at))
    });
    crate::report::ready_dir(&out)?;
    let jobs = opts.jobs.get();
    let directives: usize = scripts.iter().map(|s| s.steps.len()).sum();
    if !opts.quiet.quiet {
        eprintln!(
            "wasmgate: conformance `{suite}`: {} scripts, {directives} directives, on {} engines with {jobs} jobs",
            scripts.len(),
            resolved.engines.len()
        );
    }
    let start = Instant::now();
    let isolation = opts.isolation.isolation()?;
    let runs = conformance::run(&scripts, &resolved.engines, &resolved.specs, jobs, &isolation);
    let wall_ms = start.elapsed().as_millis() as u64;
    let infos: Vec<_> = resolved.engines.iter().map(|e| e.info().clone()).collect();
    let meta = report::RunMeta {
        suite: suite.clone(),
        started_at: started_at.clone(),
        wall_ms,
        jobs,
        unavailable: resolved.unavailable,
    };
    let report = report::build(meta, &scripts, &infos, &runs, &expected);
    let _lock = crate::report::open_dir(&out, &[], true)?;
    let write = crate::report::bundle::write_atomic;
    write(
        &out.join("report.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    write(&out.join("summary.md"), report.to_markdown().as_bytes())?;
    write(&out.join("report.html"), report.to_html().as_bytes())?;
    crate::report::append_step_summary(&report.to_markdown())?;
    write(
        &out.join("report.xml"),
        crate::conformance::junit::render(&report).as_bytes(),
    )?;
    if report.envelope.gate.exit_code == crate::report::exit::USAGE {
        anyhow::bail!(
            "{} (every script needs a feature no engine here enables; report: {})",
            report.envelope.gate.reason,
            out.join("report.json").display()
        );
    }
    print_summary(&report, &out);
    Ok(report.exit_code())
}

fn print_summary(report: &report::ConformanceReport, out: &std::path::Path) {
    println!(
        "wasmgate conformance `{}`: {} scripts on {} engines in {:.1}s",
        report.suite,
        report.files.len(),
        report.envelope.engines.len(),
        report.envelope.timing.wall_ms as f64 / 1000.0
    );
    let width = report
        .envelope
        .engines
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(18)
        .max(18);
    for e in &report.envelope.engines {
        let c = report.totals.get(&e.name).copied().unwrap_or_default();
        println!(
            "  {:<width$} {:>6} passed {:>5} failed {:>5} expected failures {:>6} skipped",
            e.name, c.passed, c.failed, c.expected_failures, c.skipped
        );
    }
    for u in &report.envelope.unavailable {
        println!("{} not run: {}", u.engine, u.reason);
    }
    let new: Vec<_> = report
        .failures
        .iter()
        .filter(|f| f.expected_failure.is_none())
        .collect();
    for f in new.iter().take(20) {
        println!(
            "new failure: {} {}:{} {}: expected {}, got {}",
            f.engine, f.file, f.line, f.directive, f.expected, f.got
        );
    }
    if new.len() > 20 {
        println!("… {} more new failures in the report", new.len() - 20);
    }
    for e in &report.stale {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        println!(
            "stale expected failure (passes now): {} {}{line}",
            e.engine, e.file
        );
    }
    if !report.disagreements.is_empty() {
        println!(
            "engines disagree on {} directives (see the report)",
            report.disagreements.len()
        );
    }
    let text_failed: usize = report.files.iter().map(|f| f.text_checks_failed.len()).sum();
    if text_failed > 0 {
        println!("{text_failed} malformed-text checks were accepted by the text parser");
    }
    use super::style::{FAIL, PASS, paint};
    anstream::println!(
        "gate: {}",
        if report.envelope.gate.passed {
            paint(PASS, "passed (no new failures)")
        } else {
            paint(
                FAIL,
                format!("FAILED ({} new failures)", report.envelope.gate.new),
            )
        }
    );
    println!("report: {}", out.join("report.json").display());
}
