//! `wasi`: WASI command programs as a pipeline's consistency check. Each
//! program is compiled once per runtime and run for every case (arguments,
//! environment, stdin, fixture folders) on each runtime's own WASI
//! preview1; exit, stdout, stderr and the files left are compared, and
//! every distinct divergence gets a bundle (program, case, fixtures, every
//! runtime's output) that `repro` replays.
//!
//! Takes suites from `source/`, runs them through `execute/wasi`, compares
//! with `compare/wasi`, reports through `report/`.

use crate::campaign::aggregate::Aggregator;
use crate::compare::Verdict;
use crate::compare::judge::CaseResult;
use crate::execute::Timings;
pub mod isolate;
pub mod record;

use crate::execute::wasi::{EngineRuns, WasiObserved};
use crate::report::{
    Envelope, Report, ReportKind, RunInfo, SeedRange, Timing, WasiAgreed, WasiExpectations, WasiInfo,
    WasiMiss, WasiProgramRuns, WasiSkip,
};
use crate::source::wasi_case::WasiSuite;
use anyhow::Result;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use wasmgate_runners::Failure;
use wasmgate_runners::wasi::{WasiEnd, WasiEngine, failed};

/// Wall time one run may take, unless `--timeout` says otherwise.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(10);

/// Every case's observations on every engine, in engine order: an engine
/// that rejected the program shows that as the end of every run.
pub fn observations(runs: &[EngineRuns], case: usize) -> Vec<WasiObserved> {
    runs.iter()
        .map(|r| match &r.runs {
            Ok(all) => all[case].clone(),
            Err(why) => WasiObserved {
                engine: r.engine.clone(),
                output: failed(Failure::error(format!("rejected the program: {why}"))),
                files: Default::default(),
            },
        })
        .collect()
}

/// What every runtime did in a run they agreed on (the first one's output).
fn agreed_run(
    run: u64,
    program: &str,
    case: &str,
    output: &wasmgate_runners::wasi::WasiOutput,
) -> WasiAgreed {
    let (exit, failed) = match &output.end {
        WasiEnd::Exit { code } => (Some(*code), None),
        WasiEnd::Failed { failure } => (None, Some(failure.to_string())),
    };
    WasiAgreed {
        run,
        program: program.to_string(),
        case: case.to_string(),
        exit,
        failed,
        stdout: wasmgate_runners::wasi::lossless_text(&output.stdout),
        stderr: wasmgate_runners::wasi::lossless_text(&output.stderr),
    }
}

/// What the campaign machinery needs of one run.
fn case_result(
    seed: u64,
    verdict: Verdict,
    observed: &[WasiObserved],
    runs: &[EngineRuns],
    first: bool,
) -> CaseResult {
    let exited = matches!(
        observed.first().map(|o| &o.output.end),
        Some(WasiEnd::Exit { .. })
    );
    CaseResult {
        seed,
        verdict: Ok(verdict),
        skipped: vec![],
        timings: observed
            .iter()
            .zip(runs)
            .map(|(o, r)| Timings {
                compile_us: if first { r.compile_us } else { 0 },
                execute_us: o.output.run_us,
                ..Timings::default()
            })
            .collect(),
        ran: vec![true; observed.len()],
        calls: (1, exited as u64),
        outcomes: None,
        features: vec![],
    }
}

/// Runs every suite on `engines` and makes the report, writing one bundle
/// per finding signature into `out/findings/`.
pub fn run(
    name: String,
    suites: &[WasiSuite],
    engines: &[Box<dyn WasiEngine>],
    unavailable: Vec<crate::execute::engines::Unavailable>,
    timeout: Duration,
    out: &Path,
    progress: bool,
) -> Result<Report> {
    let started = (SystemTime::now(), Instant::now());
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    let mut workers = isolate::Workers::new(isolate::this_exe()?, &names);
    let infos: Vec<_> = engines.iter().map(|e| e.info().clone()).collect();
    let mut agg = Aggregator::new(names.clone());
    let bundle_path = |sig: &str| format!("findings/{sig}");
    let mut written = std::collections::BTreeSet::new();
    let mut programs = Vec::new();
    let mut seed = 0u64;
    let mut expectations: std::collections::BTreeMap<String, WasiExpectations> = infos
        .iter()
        .map(|i| (i.name.clone(), WasiExpectations::default()))
        .collect();
    let (mut missed, mut skipped, mut agreed) = (Vec::new(), Vec::new(), Vec::new());
    for suite in suites {
        let shown = suite.program.display().to_string();
        let label = crate::source::wasi_case::program_name(&suite.program);
        if let Some(why) = &suite.skip {
            skipped.push(WasiSkip {
                program: shown,
                why: why.clone(),
            });
            for counts in expectations.values_mut() {
                counts.skipped += suite.cases.len() as u64;
            }
            continue;
        }
        if progress {
            eprintln!(
                "wasmgate: wasi: {shown}: {} run(s) on {} runtimes",
                suite.cases.len(),
                engines.len()
            );
        }
        let runs = workers.run(suite, timeout);
        let start = seed;
        for (i, case) in suite.cases.iter().enumerate() {
            let observed = observations(&runs, i);
            let refs: Vec<&WasiObserved> = observed.iter().collect();
            let verdict = crate::compare::wasi::compare(&label, i, case, &refs);
            if !case.expect.is_empty() {
                for o in &observed {
                    let counts = expectations.entry(o.engine.clone()).or_default();
                    match crate::compare::wasi::miss(o, &case.expect) {
                        None => counts.passed += 1,
                        Some(got) => {
                            counts.failed += 1;
                            missed.push(WasiMiss {
                                program: shown.clone(),
                                case: case.name.clone(),
                                engine: o.engine.clone(),
                                expected: case.expect.to_string(),
                                got,
                            });
                        }
                    }
                }
            }
            if let (Verdict::Agree { .. }, Some(first)) = (&verdict, observed.first()) {
                agreed.push(agreed_run(seed, &shown, &case.name, &first.output));
            }
            if let Verdict::Diverge(d) = &verdict
                && written.insert(d.signature.clone())
            {
                crate::report::wasi_bundle::WasiBundle::new(
                    suite,
                    i,
                    infos.clone(),
                    observed.clone(),
                    verdict.clone(),
                )
                .write(&out.join(bundle_path(&d.signature)), &suite.wasm)?;
            }
            agg.add(&case_result(seed, verdict, &observed, &runs, i == 0), bundle_path);
            seed += 1;
        }
        programs.push(WasiProgramRuns {
            program: shown,
            runs: suite.cases.len() as u64,
            seeds: SeedRange { start, end: seed },
        });
    }
    let (summary, findings, timings) = agg.finish();
    Ok(Report {
        envelope: Envelope::new(ReportKind::Wasi, infos, unavailable, Timing::since(started)),
        run: RunInfo::of_files(
            name,
            ReportKind::Wasi,
            suites.iter().map(|s| s.program.display().to_string()).collect(),
            seed,
            crate::report::Limits::default(),
            engines.len(),
        ),
        summary,
        findings,
        timings,
        compat: None,
        known_list: Default::default(),
        wasi: Some(WasiInfo {
            deterministic: wasmgate_runners::wasi::DETERMINISM.into(),
            not_compared: wasmgate_runners::wasi::NOT_COMPARED.into(),
            programs,
            run_timeout_ms: timeout.as_millis() as u64,
            expectations: if suites
                .iter()
                .any(|s| s.skip.is_some() || s.cases.iter().any(|c| !c.expect.is_empty()))
            {
                expectations
            } else {
                Default::default()
            },
            missed,
            skipped,
            agreed,
        }),
        perf: None,
        leads: vec![],
        calls: vec![],
    })
}
