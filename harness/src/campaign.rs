//! A campaign: many seeds through the pipeline in parallel, findings
//! deduplicated by signature, one bundle per signature, and the report.

use crate::bundle::ReproBundle;
use crate::case::TestCase;
use crate::compare::{Divergence, Verdict, compare};
use crate::engines;
use crate::execute::EngineOutcome;
use crate::execute::{CallResult, Status, Timings, execute};
use crate::generate::GENERATOR_VERSION;
use crate::profile::Profile;
use crate::report::{
    EngineTimings, Finding, REPORT_SCHEMA_VERSION, Report, RunInfo, SeedRange, Summary, Tool,
};
use crate::worker::IsolatedExecutor;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// In-process threads or worker processes.
    pub isolation: Isolation,
}

/// What happened to one seed, kept small: agreeing cases keep no outcomes.
/// Per-engine vectors follow the campaign's engine order. This is also what a
/// worker process sends back for each request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub seed: u64,
    pub verdict: Result<Verdict, String>,
    pub skipped: Vec<usize>,
    pub timings: Vec<Timings>,
    pub ran: Vec<bool>,
    /// Calls made and calls that returned, on the first engine that ran.
    pub calls: (u64, u64),
    /// Every engine's outcome, kept only when the engines diverged.
    pub outcomes: Option<Vec<EngineOutcome>>,
}

impl CaseResult {
    /// A seed for which no case could be made.
    fn failed(seed: u64, error: &anyhow::Error) -> Self {
        CaseResult {
            seed,
            verdict: Err(format!("{error:#}")),
            skipped: vec![],
            timings: vec![],
            ran: vec![],
            calls: (0, 0),
            outcomes: None,
        }
    }

    /// Summarises `outcomes` (in any order) against the engine order `names`;
    /// the outcomes themselves are kept if `keep` or the engines diverged.
    pub fn from_outcomes(
        seed: u64,
        outcomes: Vec<EngineOutcome>,
        verdict: Verdict,
        names: &[String],
        keep: bool,
    ) -> Self {
        let by_name = |n: &String| outcomes.iter().find(|o| &o.engine == n);
        let is_skipped = |o: &EngineOutcome| matches!(o.status, Status::Skipped { .. });
        CaseResult {
            seed,
            skipped: names
                .iter()
                .enumerate()
                .filter(|(_, n)| by_name(n).is_some_and(is_skipped))
                .map(|(i, _)| i)
                .collect(),
            ran: names
                .iter()
                .map(|n| by_name(n).is_some_and(|o| !is_skipped(o)))
                .collect(),
            timings: names
                .iter()
                .map(|n| by_name(n).map(|o| o.timings).unwrap_or_default())
                .collect(),
            calls: outcomes
                .iter()
                .find(|o| !is_skipped(o))
                .map(|o| {
                    let returned = o
                        .calls
                        .iter()
                        .filter(|c| matches!(c.result, CallResult::Returned(_)))
                        .count();
                    (o.calls.len() as u64, returned as u64)
                })
                .unwrap_or_default(),
            outcomes: (keep || matches!(verdict, Verdict::Diverge(_))).then_some(outcomes),
            verdict: Ok(verdict),
        }
    }
}

/// Generates, runs and compares the case for one seed, in this process.
pub fn evaluate_seed(profile: Profile, seed: u64, engines: &[Arc<dyn Engine>]) -> CaseResult {
    match TestCase::generated(profile, seed) {
        Ok(case) => evaluate_case(seed, &case, engines, false),
        Err(e) => CaseResult::failed(seed, &e),
    }
}

/// Runs and compares one case, in this process; `keep` keeps every outcome
/// even when the engines agree.
pub fn evaluate_case(seed: u64, case: &TestCase, engines: &[Arc<dyn Engine>], keep: bool) -> CaseResult {
    let (outcomes, verdict) = run_case(engines, case);
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    CaseResult::from_outcomes(seed, outcomes, verdict, &names, keep)
}

/// Where engines run.
#[derive(Clone, Debug)]
pub enum Isolation {
    /// On the campaign's own threads: fastest, but a crashing engine takes the run down.
    InProcess,
    /// In `exe worker` child processes, one per job, killed after `timeout` per case.
    Processes { exe: PathBuf, timeout: Duration },
}

/// Time spent, for the benchmark: engine phases vs everything else.
#[derive(Clone, Copy, Debug, Default)]
pub struct CampaignCost {
    pub wall: Duration,
    pub engine_us: u64,
    pub cases: u64,
}

/// Runs one case on every engine and compares.
pub fn run_case(
    engines: &[Arc<dyn Engine>],
    case: &TestCase,
) -> (Vec<crate::execute::EngineOutcome>, Verdict) {
    let outcomes: Vec<_> = engines.iter().map(|e| execute(e.as_ref(), case)).collect();
    let verdict = compare(case, &outcomes);
    (outcomes, verdict)
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

/// Runs the campaign and writes `report.json`, `summary.md` and the bundles.
pub fn run(opts: &CampaignOptions) -> Result<(Report, CampaignCost)> {
    let resolved = engines::resolve_all(&opts.engines)?;
    let engines = resolved.engines;
    let specs = resolved.specs;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create report folder {}", opts.out.display()))?;
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let start = Instant::now();
    let bundles = BestBundles {
        dir: opts.out.clone(),
        written: Mutex::new(HashMap::new()),
    };
    let done = AtomicU64::new(0);
    let diverged = AtomicU64::new(0);
    let bundle_errors = Mutex::new(Vec::new());

    // Plain OS threads pulling seeds from a shared counter, not a rayon pool:
    // wasmer's compiler runs rayon jobs while holding its engine lock, and a
    // rayon worker waiting on them would steal (and deadlock on) our next case.
    let next = AtomicU64::new(opts.seeds.start);
    let finished = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<CaseResult> = std::thread::scope(|scope| -> Result<Vec<CaseResult>> {
        if let Some(every) = opts.progress {
            let (done, diverged, finished, total) = (&done, &diverged, &finished, opts.seeds.len());
            scope.spawn(move || progress_lines(every, total, start, done, diverged, finished));
        }
        let worker = || {
            let mut mine = Vec::new();
            let mut isolated = match &opts.isolation {
                Isolation::InProcess => None,
                Isolation::Processes { exe, timeout } => {
                    Some(IsolatedExecutor::new(exe.clone(), specs.clone(), *timeout))
                }
            };
            loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= opts.seeds.end {
                    break mine;
                }
                let r =
                    run_seed(opts.profile, seed, &engines, isolated.as_mut(), &bundles).unwrap_or_else(|e| {
                        bundle_errors
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{e:#}"));
                        CaseResult::failed(seed, &e)
                    });
                if matches!(r.verdict, Ok(Verdict::Diverge(_))) {
                    diverged.fetch_add(1, Ordering::Relaxed);
                }
                done.fetch_add(1, Ordering::Relaxed);
                mine.push(r);
            }
        };
        let handles = (0..opts.jobs.max(1))
            .map(|i| {
                std::thread::Builder::new()
                    .name(format!("wasmgate-job-{i}"))
                    .stack_size(limits::THREAD_STACK_BYTES)
                    .spawn_scoped(scope, worker)
                    .context("starting a worker thread")
            })
            .collect::<Result<Vec<_>>>()?;
        let mut all = Vec::new();
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("a worker thread panicked"))?,
            );
        }
        finished.store(true, Ordering::Relaxed);
        Ok(all)
    })?;
    if let Some(e) = bundle_errors.into_inner().unwrap_or_default().into_iter().next() {
        anyhow::bail!("could not write a finding: {e}");
    }
    let wall = start.elapsed();
    let mut report = build_report(opts, &engines, &results, started_at, wall, &bundles);
    report.unavailable = resolved.unavailable;
    write_report(&report, &opts.out)?;
    let engine_us = results
        .iter()
        .flat_map(|r| r.timings.iter())
        .map(|t| t.total_us())
        .sum();
    Ok((
        report,
        CampaignCost {
            wall,
            engine_us,
            cases: results.len() as u64,
        },
    ))
}

fn progress_lines(
    every: Duration,
    total: u64,
    start: Instant,
    done: &AtomicU64,
    diverged: &AtomicU64,
    finished: &std::sync::atomic::AtomicBool,
) {
    let mut next = Instant::now() + every;
    while !finished.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if Instant::now() < next {
            continue;
        }
        next += every;
        let n = done.load(Ordering::Relaxed);
        let rate = n as f64 / start.elapsed().as_secs_f64().max(1e-9);
        eprintln!(
            "wasmgate: {n}/{total} cases, {rate:.0} cases/s, {} diverged",
            diverged.load(Ordering::Relaxed)
        );
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

fn build_report(
    opts: &CampaignOptions,
    engines: &[Arc<dyn Engine>],
    results: &[CaseResult],
    started_at: String,
    wall: Duration,
    bundles: &BestBundles,
) -> Report {
    let mut summary = Summary {
        cases: results.len() as u64,
        ..Default::default()
    };
    let mut findings: BTreeMap<String, Finding> = BTreeMap::new();
    let mut timings: BTreeMap<String, EngineTimings> = BTreeMap::new();
    for e in engines {
        summary.skipped.insert(e.info().name.clone(), 0);
    }
    // Seeds in order, so each finding's representative is its lowest seed.
    let mut ordered: Vec<&CaseResult> = results.iter().collect();
    ordered.sort_by_key(|r| r.seed);
    for r in ordered {
        summary.calls += r.calls.0;
        summary.calls_returned += r.calls.1;
        for &i in &r.skipped {
            *summary.skipped.entry(engines[i].info().name.clone()).or_default() += 1;
        }
        for (i, t) in r.timings.iter().enumerate() {
            if r.ran.get(i).copied().unwrap_or(false) {
                let entry = timings.entry(engines[i].info().name.clone()).or_default();
                entry.cases += 1;
                entry.timings.add(t);
            }
        }
        match &r.verdict {
            Err(_) => summary.generation_errors += 1,
            Ok(Verdict::Agree { .. }) => summary.agreed += 1,
            Ok(Verdict::Inconclusive { reason, .. }) => {
                summary.inconclusive += 1;
                *summary.inconclusive_reasons.entry(reason.clone()).or_default() += 1;
            }
            Ok(Verdict::Diverge(d)) => {
                summary.diverged += 1;
                let f = findings.entry(d.signature.clone()).or_insert_with(|| Finding {
                    signature: d.signature.clone(),
                    signature_text: d.signature_text.clone(),
                    kind: d.kind,
                    blamed: d.blamed.clone(),
                    majority: d.majority,
                    step: d.step.clone(),
                    groups: d.groups.clone(),
                    count: 0,
                    seeds: vec![],
                    bundle: bundles
                        .dir_for(&d.signature)
                        .strip_prefix(&bundles.dir)
                        .map(Path::to_path_buf)
                        .unwrap_or_default()
                        .display()
                        .to_string(),
                });
                f.count += 1;
                f.seeds.push(r.seed);
            }
        }
    }
    summary.unique_findings = findings.len() as u64;
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool::default(),
        run: RunInfo {
            name: opts.name.clone(),
            profile: opts.profile,
            seeds: opts.seeds,
            generator_version: GENERATOR_VERSION.to_string(),
            jobs: opts.jobs,
            started_at,
            wall_ms: wall.as_millis() as u64,
        },
        engines: engines.iter().map(|e| e.info().clone()).collect(),
        summary,
        findings: findings.into_values().collect(),
        timings,
        unavailable: Vec::new(),
    }
}

/// Writes `report.json` and `summary.md` into `dir`.
pub fn write_report(report: &Report, dir: &Path) -> Result<()> {
    let json = serde_json::to_vec_pretty(report)?;
    crate::bundle::write_atomic(&dir.join("report.json"), &json)?;
    crate::bundle::write_atomic(&dir.join("summary.md"), report.to_markdown().as_bytes())?;
    let _ = std::io::stderr().flush();
    Ok(())
}
