//! `wasmgate perf`: workloads measured on every engine, against a baseline,
//! appended to the history; `wasmgate perf history`: the trend.

use super::{EngineOpts, IsolationOpts, KnownOpt, OutOpt, QuietOpt};
use crate::compare::perf::Phase;
use crate::perf::{self, Plan, baseline, history};
use crate::report::{ReportKind, perf::ms};
use crate::source::workloads::{self, Workload};
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Opts {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Boxed: the options of a measuring run are the largest of any command.
    #[command(flatten)]
    run: Box<RunOpts>,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Print the trend of the history: each run's median per workload and engine.
    History(HistoryOpts),
}

#[derive(clap::Args, Debug)]
struct RunOpts {
    /// Folder of workloads with a workloads.toml manifest (default: the
    /// built-in workloads, `vectors/bench/` as shipped in the binary).
    #[arg(long, value_name = "DIR", env = "WASMGATE_WORKLOADS")]
    workloads: Option<PathBuf>,
    /// Only these workloads of the manifest (repeatable; comma-separated).
    #[arg(long, value_name = "NAME", value_delimiter = ',', env = "WASMGATE_WORKLOAD")]
    workload: Vec<String>,
    /// Measure your own module instead (with --call).
    #[arg(long, value_name = "FILE", requires = "call")]
    wasm: Option<PathBuf>,
    /// The export of --wasm to call and its arguments: `--call run 27`.
    #[arg(long, num_args = 1.., value_names = ["EXPORT", "ARGS"], requires = "wasm")]
    call: Vec<String>,
    /// With --wasm: vectors files giving its imports, as for `check` (their
    /// calls are not made).
    #[arg(
        long,
        value_name = "FILE",
        requires = "wasm",
        value_delimiter = ',',
        env = "WASMGATE_VECTORS"
    )]
    vectors: Vec<PathBuf>,
    /// Measured rounds per engine × workload.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(2..=10_000), env = "WASMGATE_REPS")]
    reps: u32,
    /// Rounds run first and discarded.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1000), env = "WASMGATE_WARMUP")]
    warmup: u32,
    /// Slowdown, in percent, that fails the gate when it is significant.
    #[arg(long, default_value_t = 10.0, value_name = "PCT", env = "WASMGATE_THRESHOLD")]
    threshold: f64,
    /// Phases whose baseline time is under this many milliseconds (pooled:
    /// the geometric mean over the workloads) are compared and reported but
    /// do not fail the gate: that short, they drift between runs on a noisy
    /// machine whatever the engine does. 0 gates everything.
    #[arg(long, value_name = "MS", default_value_t = 2.0, env = "WASMGATE_GATE_FLOOR")]
    gate_floor: f64,
    /// Compile phases gate only when their baseline time is at least this
    /// many milliseconds (default: never). Compiling is heavy on memory and
    /// caches, and on a shared machine its time shifts by up to 1.8× between
    /// runs, baselines included, whatever the engine does: measured there,
    /// the gate on a 50–160 ms compile caught a 25 % slowdown in 30–55 % of
    /// runs and cried wolf in up to 10 %. Check a machine with
    /// scripts/perf-detection.sh (PHASE=compile) before relying on it.
    #[arg(long, value_name = "MS", env = "WASMGATE_COMPILE_GATE_FLOOR")]
    compile_gate_floor: Option<f64>,
    /// Save this run's samples as baseline NAME (reports/baselines/NAME.json, or a path).
    #[arg(long, value_name = "NAME", env = "WASMGATE_SAVE_BASELINE")]
    save_baseline: Option<String>,
    /// Compare with baseline NAME: a phase significantly slower beyond the threshold fails the gate.
    #[arg(long, value_name = "NAME", env = "WASMGATE_BASELINE")]
    baseline: Option<String>,
    /// Folder of named baselines.
    #[arg(long, value_name = "DIR", default_value = baseline::DEFAULT_DIR, env = "WASMGATE_BASELINE_DIR")]
    baseline_dir: PathBuf,
    /// SQLite file every run is appended to.
    #[arg(long, value_name = "FILE", default_value = history::DEFAULT_FILE, env = "WASMGATE_HISTORY")]
    history: PathBuf,
    /// Do not append this run to the history.
    #[arg(long, env = "WASMGATE_NO_HISTORY", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    no_history: bool,
    #[command(flatten)]
    engines: EngineOpts,
    #[command(flatten)]
    out: OutOpt,
    #[command(flatten)]
    known: KnownOpt,
    #[command(flatten)]
    quiet: QuietOpt,
    #[command(flatten)]
    isolation: IsolationOpts,
}

#[derive(clap::Args, Debug)]
struct HistoryOpts {
    /// The history file.
    #[arg(long, value_name = "FILE", default_value = history::DEFAULT_FILE, env = "WASMGATE_HISTORY")]
    history: PathBuf,
    /// Only this workload.
    #[arg(long, value_name = "NAME")]
    program: Option<String>,
    /// Only this engine.
    #[arg(long, value_name = "NAME")]
    engine: Option<String>,
    /// The phase to show.
    #[arg(long, default_value = "execute", value_parser = ["compile", "instantiate", "execute"])]
    phase: String,
    /// The last N runs.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    last: u32,
}

pub fn run(opts: Opts) -> Result<i32> {
    match opts.command {
        Some(Sub::History(h)) => show_history(h),
        None => measure(*opts.run),
    }
}

fn phase_of(name: &str) -> Phase {
    match name {
        "compile" => Phase::Compile,
        "instantiate" => Phase::Instantiate,
        _ => Phase::Execute,
    }
}

fn show_history(opts: HistoryOpts) -> Result<i32> {
    let h = history::History::open(&opts.history, false)?;
    let phase = phase_of(&opts.phase);
    let points = h.trend(opts.program.as_deref(), opts.engine.as_deref(), phase, opts.last)?;
    if points.is_empty() {
        bail!(
            "{} has no {phase} measurements{}{}",
            opts.history.display(),
            opts.program
                .map(|p| format!(" of workload `{p}`"))
                .unwrap_or_default(),
            opts.engine
                .map(|e| format!(" on engine `{e}`"))
                .unwrap_or_default()
        );
    }
    println!(
        "{}: {} runs; {phase} median per run, oldest first (change against the run before)",
        opts.history.display(),
        h.runs()?
    );
    let mut last: Option<(&str, &str, f64)> = None;
    for p in &points {
        let same = last.is_some_and(|(w, e, _)| w == p.workload && e == p.engine);
        if !same {
            println!("{} on {}:", p.workload, p.engine);
        }
        let change = match last {
            Some((_, _, before)) if same && before > 0.0 => {
                format!("{:+.1}%", (p.median_ns / before - 1.0) * 100.0)
            }
            _ => String::new(),
        };
        println!(
            "  run {:>4}  {}  {:<12}  {:>10.3} ms  {change}",
            p.run,
            p.started_at,
            p.git_commit.as_deref().unwrap_or("-"),
            p.median_ns / 1e6
        );
        last = Some((&p.workload, &p.engine, p.median_ns));
    }
    Ok(crate::report::exit::AGREE)
}

fn measure(opts: RunOpts) -> Result<i32> {
    let started = (SystemTime::now(), Instant::now());
    if !(opts.threshold.is_finite() && opts.threshold > 0.0 && opts.threshold < 1000.0) {
        bail!(
            "--threshold {} is not a slowdown in percent (0 < PCT < 1000)",
            opts.threshold
        );
    }
    let threshold = opts.threshold / 100.0;
    let floors = [
        ("--gate-floor", Some(opts.gate_floor)),
        ("--compile-gate-floor", opts.compile_gate_floor),
    ];
    for (flag, ms) in floors {
        if let Some(ms) = ms
            && !(ms.is_finite() && ms >= 0.0)
        {
            bail!("{flag} {ms} is not a duration in milliseconds");
        }
    }
    let workloads: Vec<Workload> = match &opts.wasm {
        Some(path) => {
            let (export, args) = opts
                .call
                .split_first()
                .ok_or_else(|| anyhow::anyhow!("--call needs an export name"))?;
            let files = crate::source::vectors_file::VectorsFile::read_all(&opts.vectors)?;
            vec![workloads::own(
                path,
                export,
                args,
                &crate::check::linked(path, &files)?,
            )?]
        }
        None => workloads::load_dir(opts.workloads.as_deref(), &opts.workload)?,
    };
    let resolved = opts.engines.resolve()?;
    if resolved.engines.is_empty() {
        bail!("no engine can run here");
    }
    let names: Vec<String> = resolved.engines.iter().map(|e| e.info().name.clone()).collect();
    let infos: Vec<_> = resolved.engines.iter().map(|e| e.info().clone()).collect();
    let workload_names: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
    // Everything that can refuse the run does so before the measuring starts.
    let base = opts
        .baseline
        .as_deref()
        .map(|name| baseline::load(&opts.baseline_dir, name, &names, &workload_names))
        .transpose()?;
    if base.is_none() && opts.save_baseline.is_none() && names.len() < 2 {
        bail!(
            "perf compares engines with each other or with a baseline: give two engines or more, --baseline NAME or --save-baseline NAME (only {} here)",
            names.join(", ")
        );
    }
    if let Some(name) = &opts.save_baseline {
        baseline::path_of(&opts.baseline_dir, name)?;
    }
    let mut history = (!opts.no_history)
        .then(|| history::History::open(&opts.history, true))
        .transpose()?;
    let known = crate::campaign::known::load(opts.known.known.as_deref())?;
    let isolation = opts.isolation.isolation()?;
    let rfc3339 = humantime::format_rfc3339_seconds(started.0).to_string();
    let name = super::run::stamped("perf", &rfc3339);
    let out = opts.out.or(PathBuf::from("reports").join(&name));
    crate::report::ready_dir(&out)?;
    let _lock = crate::report::open_dir(&out, &[], true)?;
    for u in &resolved.unavailable {
        eprintln!("wasmgate: {} not run: {}", u.engine, u.reason);
    }
    let quiet = opts.quiet.quiet;
    if !quiet {
        eprintln!(
            "wasmgate: perf: {} workloads on {} engines, {} warm-up + {} rounds, engines interleaved",
            workloads.len(),
            names.len(),
            opts.warmup,
            opts.reps
        );
    }
    // A perf run is a correctness check too: every engine must return the checksum.
    let cases: Vec<_> = workloads.iter().map(Workload::case).collect();
    let results = crate::check::run_cases(&cases, &resolved.engines, &resolved.specs, &isolation)?;
    let modules = workloads.iter().map(|w| w.path.display().to_string()).collect();
    let mut report = crate::check::report(
        ReportKind::Perf,
        name,
        modules,
        &cases,
        &results,
        &resolved.engines,
        resolved.unavailable.clone(),
        &isolation,
        &out,
        started,
    )?;
    let timeout = match &isolation {
        crate::isolate::Isolation::Processes { timeout, .. } => *timeout,
        crate::isolate::Isolation::InProcess => Duration::from_secs(opts.isolation.timeout),
    };
    let plan = Plan {
        reps: opts.reps,
        warmup: opts.warmup,
        timeout,
    };
    let tick = Instant::now();
    let mut progress = |round: u32, rounds: u32| {
        if !quiet && round < rounds {
            eprintln!(
                "wasmgate: perf: round {}/{rounds} ({:.0}s)",
                round + 1,
                tick.elapsed().as_secs_f64()
            );
        }
    };
    let (cells, failures) = perf::measure(
        &workloads,
        &resolved.engines,
        &resolved.specs,
        &isolation,
        &plan,
        &mut progress,
    );
    let mut info = perf::info(&plan, threshold, &workloads, cells, failures);
    info.gate_floor_ms = opts.gate_floor;
    info.compile_gate_floor_ms = opts.compile_gate_floor;
    if let Some((b, reference)) = &base {
        let floors = perf::Floors {
            ns: opts.gate_floor * 1e6,
            compile_ns: opts.compile_gate_floor.map(|ms| ms * 1e6),
        };
        let (comparisons, alpha) = perf::compare(&info.cells, &b.cells, threshold, &floors);
        info.comparisons = comparisons;
        info.alpha = alpha;
        info.baseline = Some(reference.clone());
    }
    if let Some(name) = &opts.save_baseline {
        info.saved_baseline = Some(baseline::save(
            &opts.baseline_dir,
            name,
            &infos,
            &workload_names,
            opts.reps,
            &info.cells,
            &rfc3339,
        )?);
    }
    if let Some(h) = history.as_mut() {
        let record = history::RunRecord {
            started_at: &rfc3339,
            engines: &infos,
            reps: opts.reps,
            warmup: opts.warmup,
            report: &out.join("report.json").display().to_string(),
        };
        let id = h.append(&record, &info.cells)?;
        info.history = Some(opts.history.display().to_string());
        info.history_run = Some(id);
        let mut trend = Vec::new();
        for w in &workload_names {
            trend.extend(h.trend(Some(w), None, Phase::Execute, 30)?);
        }
        info.trend = trend;
    }
    report.envelope.timing = crate::report::Timing::since(started);
    report.perf = Some(info);
    crate::campaign::known::apply(&mut report, &known);
    crate::report::write_report(&mut report, &out)?;
    let Some(info) = report.perf.as_ref() else {
        bail!("the perf report lost its measurements");
    };
    // Quiet: what failed the gate and the closing summary only.
    if !quiet {
        println!("{}", info.table());
        println!("{}", textwrap_plain(&info.legend().replace('`', "")));
    }
    for f in &info.failures {
        println!("measurement failed: {} on {}: {}", f.engine, f.workload, f.reason);
    }
    for c in info.comparisons.iter().filter(|c| c.fails()) {
        println!(
            "regression: {} {} on {}: {} (p = {:.1e}; {} against baseline {})",
            c.workload,
            c.phase,
            c.engine,
            c.describe(),
            c.ratio.p_value,
            ms(info
                .cell(&c.engine, &c.workload)
                .map(|cell| cell.estimate(c.phase))
                .unwrap_or(&Default::default())),
            c.baseline_engine
        );
    }
    for l in info.leads.iter().filter(|_| !quiet) {
        println!(
            "lead: {} is {:.2}× its usual share on {} (distance {:.3}; a lead, not a gate): {}",
            l.engine, l.factor, l.case, l.distance, l.repro
        );
    }
    if let Some(b) = &info.saved_baseline {
        println!("baseline saved: {} ({})", b.name, b.path);
    }
    if let (Some(h), Some(id)) = (&info.history, info.history_run) {
        println!("history: run {id} appended to {h} (wasmgate perf history)");
    }
    super::run::print_summary(&report, &out, quiet);
    report.check_compared_something(&out)?;
    Ok(report.envelope.gate.exit_code)
}

/// Text wrapped at 100 columns for the terminal.
fn textwrap_plain(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 100 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}
