//! Campaigns: many cases through the pipeline in parallel — findings
//! deduplicated by signature, one bundle per signature, the [`journal`] and
//! resume, shards and [`merge`], the [`known`]-divergence list, [`aggregate`]
//! counts and minimisation ([`shrink`]) — ending in a report.
//!
//! Invariant: the only stage that owns a report folder's life cycle; imports
//! `report/`, `isolate/`, `compare/`, `execute/` and `source/`, never `cli/`.

pub mod aggregate;
pub mod attribute;
pub mod cause;
pub mod journal;
pub mod known;
pub mod merge;
pub mod score;
pub mod shrink;
pub mod sweep;

use crate::compare::judge::{CaseResult, evaluate_seed};
use crate::compare::{Divergence, Verdict};
use crate::execute::engines;
use crate::isolate::Isolation;
use crate::isolate::worker::IsolatedExecutor;
use crate::report::bundle::ReproBundle;
use crate::report::{Envelope, Report, ReportKind, RunInfo, SeedRange, Shard, Timing, write_report};
use crate::source::case::TestCase;
use crate::source::generate::GENERATOR_VERSION;
use crate::source::profile::Profile;
use aggregate::Aggregator;
use anyhow::{Context, Result};
use journal::Journal;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use wasmgate_runners::{Engine, limits};

/// What to run.
#[derive(Clone, Debug)]
pub struct CampaignOptions {
    pub profile: Profile,
    pub seeds: SeedRange,
    pub jobs: usize,
    pub engines: Vec<String>,
    /// Report folder; created if needed.
    pub out: PathBuf,
    /// Run name shown in the report (defaults to the folder name).
    pub name: String,
    /// Print a progress line to stderr at this interval (None = quiet).
    pub progress: Option<Duration>,
    /// Print a line per case to stderr as it completes (instead of progress).
    pub verbose: bool,
    /// In-process threads or worker processes.
    pub isolation: Isolation,
    /// Only the seeds of this shard.
    pub shard: Option<Shard>,
    /// Stop starting new cases after this long.
    pub time_limit: Option<Duration>,
    /// Continue the journal in `out` instead of starting afresh.
    pub resume: bool,
    /// Candidates wasm-shrink may try per finding after the run (0: no shrinking).
    pub shrink_attempts: u32,
    /// Wall time the shrinking of all findings may take; findings left when it
    /// runs out keep their full bundle.
    pub shrink_time: Duration,
    /// Findings on this list are reported as known and do not fail the gate.
    pub known: Vec<crate::campaign::known::Entry>,
    /// Set (by a signal, see [`watch_signals`]) to stop starting cases: the
    /// report is written for what was done and marked interrupted.
    pub stop: Option<Arc<AtomicBool>>,
}

pub use crate::report::INTERRUPTED;

/// Catches SIGINT and SIGTERM: the first sets the returned flag (the campaign
/// stops starting cases, finishes the running ones and writes its report); a
/// second ends the process at once with [`INTERRUPTED`]. The journal stays
/// resumable either way.
pub fn watch_signals() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, INTERRUPTED, flag.clone())
            .context("installing a signal handler")?;
        signal_hook::flag::register(signal, flag.clone()).context("installing a signal handler")?;
    }
    Ok(flag)
}

/// How often the run's elapsed time is journaled.
const ELAPSED_EVERY: Duration = Duration::from_secs(5);

/// Time spent, for the benchmark: engine phases vs everything else.
#[derive(Clone, Copy, Debug, Default)]
pub struct CampaignCost {
    pub wall: Duration,
    pub engine_us: u64,
    pub cases: u64,
}

struct BestBundles {
    dir: PathBuf,
    /// Signature → lowest seed whose bundle is on disk.
    written: Mutex<HashMap<String, u64>>,
}

impl BestBundles {
    fn dir_for(&self, signature: &str) -> PathBuf {
        self.dir.join("findings").join(signature)
    }

    /// Writes the bundle if it is the first, or a lower seed, for its signature.
    fn offer(
        &self,
        seed: u64,
        d: &Divergence,
        make: impl FnOnce() -> Result<(ReproBundle, Vec<u8>)>,
    ) -> Result<()> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if written.get(&d.signature).is_some_and(|&s| s <= seed) {
            return Ok(());
        }
        let (bundle, wasm) = make()?;
        bundle.write(&self.dir_for(&d.signature), &wasm)?;
        written.insert(d.signature.clone(), seed);
        Ok(())
    }
}

impl CampaignOptions {
    /// A plain run of `seeds` on `engines` into `out`: one job per core,
    /// worker processes as `isolation` says, quiet, unsharded, no time limit
    /// and no shrinking. Callers change what they need with `..` syntax.
    pub fn new(
        profile: Profile,
        seeds: SeedRange,
        engines: Vec<String>,
        out: PathBuf,
        isolation: Isolation,
    ) -> Self {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        CampaignOptions {
            profile,
            seeds,
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            engines,
            out,
            name,
            progress: None,
            verbose: false,
            isolation,
            shard: None,
            time_limit: None,
            resume: false,
            shrink_attempts: 0,
            shrink_time: Duration::ZERO,
            known: Vec::new(),
            stop: None,
        }
    }
}

/// The seeds of a run, in order: a range, optionally one shard of it.
#[derive(Clone, Copy, Debug)]
struct SeedPlan {
    seeds: SeedRange,
    shard: Option<Shard>,
}

impl SeedPlan {
    /// The `i`-th seed, if the plan has that many.
    fn nth(&self, i: u64) -> Option<u64> {
        let seed = match self.shard {
            None => self.seeds.start.checked_add(i)?,
            Some(s) => {
                let first = self.seeds.start + (s.index - 1 + s.count - self.seeds.start % s.count) % s.count;
                first.checked_add(i.checked_mul(s.count)?)?
            }
        };
        (seed < self.seeds.end).then_some(seed)
    }

    fn len(&self) -> u64 {
        match self.shard {
            None => self.seeds.len(),
            // Seeds s < x with s % count == index - 1, counted without walking them
            // (an unbounded `--time` range holds 2^64 / count).
            Some(s) => {
                let below = |x: u64| {
                    let r = s.index - 1;
                    if x <= r { 0 } else { (x - r - 1) / s.count + 1 }
                };
                below(self.seeds.end) - below(self.seeds.start)
            }
        }
    }
}

/// Runs the campaign: cases are journaled as they finish, bundles written for
/// every new signature, and `report.json` + `summary.md` written at the end.
pub fn run(opts: &CampaignOptions) -> Result<(Report, CampaignCost)> {
    if opts.resume && !opts.out.join(journal::FILE).is_file() {
        anyhow::bail!(
            "cannot resume: no journal at {}",
            opts.out.join(journal::FILE).display()
        );
    }
    let previous_report = crate::campaign::known::previous(&opts.out);
    let _lock = crate::report::open_dir(&opts.out, &[], !opts.resume)?;
    let (journal, opts, previous, unavailable) = if opts.resume {
        let (journal, header, resumed) = Journal::resume(&opts.out)?;
        if !resumed.dropped.is_empty() {
            eprintln!(
                "wasmgate: the journal in {} held lines that do not belong to its run; dropped {}",
                opts.out.display(),
                resumed.dropped.join(", ")
            );
        }
        // A time budget continues: the resumed session gets what is left of it.
        let budget = header.time_limit_ms.map(Duration::from_millis);
        let left = budget.map(|b| b.saturating_sub(Duration::from_millis(resumed.elapsed_ms)));
        let options = CampaignOptions {
            profile: header.profile,
            seeds: header.seeds,
            shard: header.shard,
            engines: header.engines,
            name: header.name,
            time_limit: opts.time_limit.or(left),
            ..opts.clone()
        };
        (journal, options, resumed, header.unavailable)
    } else {
        let resolved = engines::resolve_all(&opts.engines)?;
        let id = format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(
                format!("{} {:?} {}", opts.name, SystemTime::now(), std::process::id()).as_bytes()
            )
        );
        let header = journal::Header {
            journal: journal::VERSION,
            id,
            time_limit_ms: opts.time_limit.map(|t| t.as_millis() as u64),
            name: opts.name.clone(),
            profile: opts.profile,
            seeds: opts.seeds,
            shard: opts.shard,
            engines: resolved.specs,
            unavailable: resolved.unavailable,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            generator_version: GENERATOR_VERSION.to_string(),
        };
        let journal = Journal::create(&opts.out, &header)?;
        let opts = CampaignOptions {
            engines: header.engines,
            ..opts.clone()
        };
        (journal, opts, journal::Resumed::default(), header.unavailable)
    };
    let opts = &opts;
    let resolved = engines::resolve_all(&opts.engines)?;
    if !resolved.unavailable.is_empty() && opts.resume {
        let names: Vec<&str> = resolved.unavailable.iter().map(|u| u.engine.as_str()).collect();
        anyhow::bail!(
            "cannot resume: engine(s) {} of the journaled run are unavailable here",
            names.join(", ")
        );
    }
    let engines = resolved.engines;
    let specs = resolved.specs;
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let start = Instant::now();
    let deadline = opts.time_limit.map(|t| start + t);
    let bundles = BestBundles {
        dir: opts.out.clone(),
        written: Mutex::new(HashMap::new()),
    };
    let bundle_path = |sig: &str| format!("findings/{sig}");
    let aggregate = Mutex::new(Aggregator::new(names.clone()));
    let mut done_seeds = std::collections::HashSet::new();
    {
        let mut agg = aggregate.lock().unwrap_or_else(|p| p.into_inner());
        let mut written = bundles.written.lock().unwrap_or_else(|p| p.into_inner());
        for r in &previous.cases {
            agg.add(r, bundle_path);
            done_seeds.insert(r.seed);
            if let Ok(Verdict::Diverge(d)) = &r.verdict {
                let best = written.entry(d.signature.clone()).or_insert(r.seed);
                *best = (*best).min(r.seed);
            }
        }
    }
    let plan = SeedPlan {
        seeds: opts.seeds,
        shard: opts.shard,
    };
    let total = plan.len();
    let done = AtomicU64::new(done_seeds.len() as u64);
    let diverged = AtomicU64::new(aggregate.lock().map(|a| a.summary.diverged).unwrap_or(0));
    let failures = Mutex::new(Vec::new());

    // Plain OS threads pulling seeds from a shared counter, not a rayon pool:
    // wasmer's compiler runs rayon jobs while holding its engine lock, and a
    // rayon worker waiting on them would steal (and deadlock on) our next case.
    let next = AtomicU64::new(0);
    let finished = std::sync::atomic::AtomicBool::new(false);
    // The highest seed done: a run cut short by its time budget covered the seeds up to it.
    let highest = AtomicU64::new(previous.cases.iter().map(|r| r.seed + 1).max().unwrap_or(0));
    let elapsed_before = Duration::from_millis(previous.elapsed_ms);
    let jobs = (opts.jobs as u64)
        .min(total.saturating_sub(done_seeds.len() as u64))
        .max(1) as usize;
    std::thread::scope(|scope| -> Result<()> {
        if let Some(every) = opts.progress {
            let (done, diverged, finished) = (&done, &diverged, &finished);
            scope.spawn(move || progress_lines(every, total, start, done, diverged, finished));
        }
        // The run's elapsed time goes into the journal now and then, so that a
        // resumed run reports (and budgets) the time of all its sessions.
        let (journal, finished) = (&journal, &finished);
        scope.spawn(move || {
            let mut next = Instant::now() + ELAPSED_EVERY;
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if Instant::now() >= next {
                    next += ELAPSED_EVERY;
                    let _ = journal.record_elapsed((elapsed_before + start.elapsed()).as_millis() as u64);
                }
            }
        });
        let worker = || {
            let mut isolated = match &opts.isolation {
                Isolation::InProcess => None,
                Isolation::Processes { exe, timeout } => {
                    Some(IsolatedExecutor::new(exe.clone(), specs.clone(), *timeout))
                }
            };
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                if opts.stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                    break;
                }
                let Some(seed) = plan.nth(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                if done_seeds.contains(&seed) {
                    continue;
                }
                let outcome = run_seed(opts.profile, seed, &engines, isolated.as_mut(), &bundles)
                    .and_then(|r| journal.record(&r).map(|_| r));
                let r = match outcome {
                    Ok(r) => r,
                    Err(e) => {
                        failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{e:#}"));
                        break;
                    }
                };
                if matches!(r.verdict, Ok(Verdict::Diverge(_))) {
                    diverged.fetch_add(1, Ordering::Relaxed);
                }
                if opts.verbose {
                    eprintln!("{}", case_line(&r));
                }
                highest.fetch_max(seed + 1, Ordering::Relaxed);
                done.fetch_add(1, Ordering::Relaxed);
                aggregate
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .add(&r, bundle_path);
            }
        };
        let handles = (0..jobs)
            .map(|i| {
                std::thread::Builder::new()
                    .name(format!("wasmgate-job-{i}"))
                    .stack_size(limits::THREAD_STACK_BYTES)
                    .spawn_scoped(scope, worker)
                    .context("starting a worker thread")
            })
            .collect::<Result<Vec<_>>>()?;
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a worker thread panicked"))?;
        }
        finished.store(true, Ordering::Relaxed);
        Ok(())
    })?;
    if let Some(e) = failures.into_inner().unwrap_or_default().into_iter().next() {
        anyhow::bail!("could not record a case: {e}");
    }
    let wall = start.elapsed();
    journal.record_elapsed((elapsed_before + wall).as_millis() as u64)?;
    // A run its time budget cut short reports the seeds it covered, not the range it was given.
    let interrupted =
        opts.stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) && done.load(Ordering::Relaxed) < total;
    let cut_short = (opts.time_limit.is_some() || interrupted) && done.load(Ordering::Relaxed) < total;
    let seeds = if cut_short {
        SeedRange {
            start: opts.seeds.start,
            end: highest.load(Ordering::Relaxed).max(opts.seeds.start),
        }
    } else {
        opts.seeds
    };
    let aggregate = aggregate.into_inner().unwrap_or_else(|p| p.into_inner());
    let engine_us = aggregate.engine_us;
    let profile = opts.profile;
    let leads = aggregate.leads(|seed| format!("wasmgate repro --profile {profile} --seed {seed}"));
    let (summary, findings, timings) = aggregate.finish();
    let cases = summary.cases;
    let mut report = Report {
        envelope: Envelope::new(
            ReportKind::Run,
            engines.iter().map(|e| e.info().clone()).collect(),
            unavailable,
            Timing {
                started_at,
                wall_ms: (elapsed_before + wall).as_millis() as u64,
            },
        ),
        run: RunInfo {
            name: opts.name.clone(),
            profile: opts.profile,
            seeds,
            shard: opts.shard,
            generator_version: GENERATOR_VERSION.to_string(),
            incomplete: interrupted.then(|| {
                format!(
                    "interrupted after {} of {} cases; `wasmgate run --resume {}` runs the rest",
                    done.load(Ordering::Relaxed),
                    total,
                    opts.out.display()
                )
            }),
            interrupted,
            limits: crate::report::Limits::of(&opts.isolation),
            time_budget_ms: opts.time_limit.map(|t| (elapsed_before + t).as_millis() as u64),
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
        leads,
        calls: vec![],
    };
    let case_of = |seed: u64| TestCase::generated(profile, seed).ok();
    let bench = crate::isolate::bench::Bench::new(&engines, &specs, &opts.isolation);
    attribute::attribute(&mut report, &opts.out, &bench, &opts.known, &case_of);
    drop(bench);
    crate::campaign::known::apply(&mut report, &opts.known);
    crate::campaign::known::jumps(&mut report, previous_report.as_ref());
    if opts.shrink_attempts > 0 && !interrupted {
        minimize_findings(&mut report, opts);
    }
    write_report(&mut report, &opts.out)?;
    Ok((
        report,
        CampaignCost {
            wall,
            engine_us,
            cases,
        },
    ))
}

/// Shrinks every finding's bundle (hangs excepted: each try would cost a
/// timeout). A finding that fails to shrink keeps its full bundle and says so.
fn minimize_findings(report: &mut Report, opts: &CampaignOptions) {
    let deadline = Instant::now() + opts.shrink_time;
    // New findings before known ones, most-hit first: the budget goes where it matters most.
    let mut order: Vec<usize> = (0..report.findings.len()).collect();
    order.sort_by_key(|&i| {
        let f = &report.findings[i];
        (f.known.is_some(), std::cmp::Reverse(f.count))
    });
    for i in order {
        let f = &mut report.findings[i];
        if f.kind == crate::compare::DivergenceKind::Hang {
            continue;
        }
        if Instant::now() >= deadline {
            if opts.progress.is_some() {
                eprintln!(
                    "wasmgate: shrink time used up; {} keeps only its full bundle",
                    f.signature
                );
            }
            continue;
        }
        let dir = opts.out.join(&f.bundle);
        let cause = f.cause.as_ref().map(|c| c.text.clone());
        match crate::campaign::shrink::shrink_bundle(
            &dir,
            &opts.isolation,
            opts.shrink_attempts,
            cause.as_deref(),
        ) {
            Ok(_) => f.minimized = Some(format!("{}/{}", f.bundle, crate::campaign::shrink::MINIMIZED)),
            Err(e) => eprintln!("wasmgate: could not shrink {}: {e:#}", f.signature),
        }
    }
}

/// Progress: a bar on a terminal; elsewhere (CI, log files) a plain,
/// greppable line every `every`.
/// One case's line for `run -v`: its seed and verdict.
fn case_line(r: &CaseResult) -> String {
    let verdict = match &r.verdict {
        Ok(Verdict::Agree { engines }) => format!("agreed ({engines} engines)"),
        Ok(Verdict::Diverge(d)) => format!(
            "DIVERGED: {} at {}; blamed {} ({})",
            d.kind,
            d.step,
            d.blamed.join(", "),
            d.signature
        ),
        Ok(Verdict::Inconclusive { reason, .. }) => format!("inconclusive: {reason}"),
        Err(e) => format!("not generated: {e}"),
    };
    format!("seed {}: {verdict}", r.seed)
}

fn progress_lines(
    every: Duration,
    total: u64,
    start: Instant,
    done: &AtomicU64,
    diverged: &AtomicU64,
    finished: &std::sync::atomic::AtomicBool,
) {
    use std::io::IsTerminal;
    let bounded = total < u64::MAX / 2;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = if bounded {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::new_spinner()
        };
        let template = if bounded {
            "{elapsed_precise} [{bar:30}] {pos}/{len} cases, ETA {eta}  {msg}"
        } else {
            "{elapsed_precise} {spinner} {pos} cases  {msg}"
        };
        let style = indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar
    });
    let mut next = Instant::now() + every;
    while !finished.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        let n = done.load(Ordering::Relaxed);
        let rate = n as f64 / start.elapsed().as_secs_f64().max(1e-9);
        let d = diverged.load(Ordering::Relaxed);
        if let Some(bar) = &bar {
            bar.set_position(n);
            bar.set_message(format!("{rate:.0} cases/s, {d} diverged"));
            continue;
        }
        if Instant::now() < next {
            continue;
        }
        next += every;
        let of = if bounded {
            format!("/{total}")
        } else {
            String::new()
        };
        // The time left at the rate so far (none before the first case).
        let eta = if bounded && n > 0 && total > n {
            let left = (total - n) as f64 / rate;
            format!(", ETA {}:{:02}", (left / 60.0) as u64, (left % 60.0) as u64)
        } else {
            String::new()
        };
        eprintln!("wasmgate: {n}{of} cases, {rate:.0} cases/s, {d} diverged{eta}");
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn run_seed(
    profile: Profile,
    seed: u64,
    engines: &[Arc<dyn Engine>],
    isolated: Option<&mut IsolatedExecutor>,
    bundles: &BestBundles,
) -> Result<CaseResult> {
    let mut result = match isolated {
        Some(executor) => executor.run_seed(profile, seed)?,
        None => evaluate_seed(profile, seed, engines),
    };
    if let (Ok(Verdict::Diverge(d)), Some(outcomes)) = (&result.verdict, result.outcomes.take()) {
        bundles.offer(seed, d, || {
            let case = TestCase::generated(profile, seed)?;
            let infos = engines.iter().map(|e| e.info().clone()).collect();
            let verdict = Verdict::Diverge(d.clone());
            Ok((ReproBundle::new(&case, infos, outcomes, verdict), case.wasm))
        })?;
    }
    Ok(result)
}
