//! `check` and `compat`: a team's own modules as a pipeline's verification
//! stage. A module (with its imports given by the WebAssembly host of
//! `source::host`) becomes one case: the calls of its vectors files, then
//! seeded boundary-heavy calls to every export, made in order on one
//! instance. Engines must agree, and match each expectation; findings get
//! bundles that `repro` replays (the bundle holds the linked module and the
//! calls with their expectations).
//!
//! Takes cases from `source/`, runs them through `isolate/` or in process,
//! reports through `report/`. Golden vectors (`--record`, `--update`) are
//! written from what every engine agreed on.

pub mod compat;

use crate::campaign::aggregate::Aggregator;
use crate::compare::Verdict;
use crate::compare::judge::{CaseResult, evaluate_case};
use crate::execute::{CallResult, EngineOutcome, Status};
use crate::isolate::Isolation;
use crate::isolate::worker::IsolatedExecutor;
use crate::report::bundle::ReproBundle;
use crate::report::{Envelope, Report, ReportKind, RunInfo, Timing};
use crate::source::case::{CALLS_PER_EXPORT, Origin, TestCase};
use crate::source::host::{self, HOST_CALLS_GLOBAL, HOST_DIGEST_GLOBAL};
use crate::source::module_info;
use crate::source::vectors_file::{Recorded, VectorsFile};
use anyhow::{Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use wasmgate_runners::{Engine, Failure, Val};

/// Seeded calls per export when no vectors file is given.
pub const DEFAULT_CALLS: usize = CALLS_PER_EXPORT;

/// A module file made ready to run: its linked bytes and calls.
pub struct Prepared {
    pub path: PathBuf,
    pub case: TestCase,
    /// The module as given (before its host was linked in).
    pub original: Vec<u8>,
    /// The exports the harness added for scenario steps.
    pub steps: std::collections::BTreeSet<String>,
}

/// Reads a module file (`.wasm` or `.wat`) and checks it is valid.
pub fn read_module(path: &Path) -> Result<Vec<u8>> {
    if !path.is_file() {
        bail!("cannot read module {}: no such file", path.display());
    }
    let wasm = wat::parse_file(path).map_err(|e| anyhow!("cannot read module {}: {e}", path.display()))?;
    module_info::inspect(&wasm)
        .map_err(|e| anyhow!("{} is not a valid WebAssembly module: {e}", path.display()))?;
    Ok(wasm)
}

/// The case for module `path` with the vectors files that apply to it:
/// their calls first, then `seeded` calls per export with arguments from `seed`.
pub fn prepare(path: &Path, vectors: &[&VectorsFile], seeded: usize, seed: u64) -> Result<Prepared> {
    prepare_with(path, vectors, seeded, seed, true)
}

/// [`prepare`]; without `vector_calls`, the files give only the imports.
pub fn prepare_with(
    path: &Path,
    vectors: &[&VectorsFile],
    seeded: usize,
    seed: u64,
    vector_calls: bool,
) -> Result<Prepared> {
    let original = read_module(path)?;
    let wasm = link_with(path, &original, vectors)?;
    let info = module_info::inspect(&wasm).map_err(|e| {
        anyhow!(
            "{}: the module with its host linked in is invalid: {e}",
            path.display()
        )
    })?;
    let shown = path.display().to_string();
    let mut calls = Vec::new();
    for v in vectors.iter().filter(|_| vector_calls) {
        calls.extend(v.calls(&info, &shown)?);
    }
    // Scenarios next: each step an export the harness adds (seeded calls
    // go to the module's own exports only). The exports are added even
    // without the files' calls, so `compat` can make the old version's
    // step calls on the new one.
    let mut wasm = wasm;
    let mut steps = std::collections::BTreeSet::new();
    for v in vectors.iter().filter(|v| v.has_scenarios()) {
        let (with_steps, step_calls) = v.scenarios(&wasm)?;
        module_info::inspect(&with_steps).map_err(|e| {
            anyhow!(
                "{}: the module with the scenarios of {} is invalid: {e}",
                path.display(),
                v.path.display()
            )
        })?;
        wasm = with_steps;
        steps.extend(step_calls.iter().map(|c| c.export.clone()));
        if vector_calls {
            calls.extend(step_calls);
        }
    }
    calls.extend(crate::source::vectors::calls(&info, seed, seeded));
    let case = TestCase {
        origin: Origin::File { path: shown },
        wasm,
        calls,
        globals: info.globals,
        memories: info.memories,
        refuel: None,
        features: None,
        valid: true,
    };
    Ok(Prepared {
        path: path.to_path_buf(),
        case,
        original,
        steps,
    })
}

/// `original` (read from `path`) with the host the vectors files declare for
/// its imports linked in; every import must be declared (an error names each
/// one that is not).
fn link_with(path: &Path, original: &[u8], vectors: &[&VectorsFile]) -> Result<Vec<u8>> {
    let imports = host::imports(original).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let mut given = Vec::new();
    for v in vectors {
        given.extend(v.host(&imports)?);
    }
    let missing: Vec<String> = imports
        .iter()
        .filter(|(m, n, _)| !given.iter().any(|g| g.module == *m && g.name == *n))
        .map(|(m, n, ty)| format!("{m}.{n} ({})", ty.kind()))
        .collect();
    if !missing.is_empty() {
        let files: Vec<String> = vectors.iter().map(|v| v.path.display().to_string()).collect();
        let by = if files.is_empty() {
            "no vectors file declares (give one with --vectors FILE)".to_string()
        } else {
            format!("{} does not declare", files.join(" and "))
        };
        bail!(
            "{} imports {}, which {by}: give each an [[import]] entry (see vectors/check/README.md)",
            path.display(),
            missing.join(", ")
        );
    }
    host::link(original, &given).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// A module file with its imports given by the host the vectors files
/// declare (`perf --wasm`, `repro --wasm`, `corpus mutate --wasm`): as it
/// is when it has no imports.
pub fn linked(path: &Path, vectors: &[VectorsFile]) -> Result<Vec<u8>> {
    let original = read_module(path)?;
    if host::imports(&original)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?
        .is_empty()
    {
        return Ok(original);
    }
    link_with(path, &original, &vectors.iter().collect::<Vec<_>>())
}

/// Which vectors files apply to which module: a file naming its module
/// applies to that module only (and brings it along when no module is
/// given); a file naming none applies to every module.
pub fn pair(modules: &[PathBuf], files: &[VectorsFile]) -> Result<Vec<(PathBuf, Vec<usize>)>> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut modules: Vec<PathBuf> = modules.to_vec();
    if modules.is_empty() {
        modules.extend(files.iter().filter_map(|f| f.module()));
    }
    if modules.is_empty() {
        bail!(
            "nothing to check: give a module file (.wasm or .wat), or a vectors file that names one (`module = \"…\"`)"
        );
    }
    Ok(modules
        .into_iter()
        .map(|m| {
            let applies = files
                .iter()
                .enumerate()
                .filter(|(_, f)| f.module().is_none_or(|fm| canon(&fm) == canon(&m)))
                .map(|(i, _)| i)
                .collect();
            (m, applies)
        })
        .collect())
}

/// Runs `cases` on `engines` (names in `names`), one after another, with
/// every outcome kept.
pub fn run_cases(
    cases: &[TestCase],
    engines: &[Arc<dyn Engine>],
    names: &[String],
    isolation: &Isolation,
) -> Result<Vec<CaseResult>> {
    let mut executor = match isolation {
        Isolation::InProcess => None,
        Isolation::Processes { exe, timeout } => {
            Some(IsolatedExecutor::new(exe.clone(), names.to_vec(), *timeout))
        }
    };
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| match executor.as_mut() {
            Some(ex) => {
                let mut r = ex.run_case(case)?;
                r.seed = i as u64;
                Ok(r)
            }
            None => Ok(evaluate_case(i as u64, case, engines, true)),
        })
        .collect()
}

/// Folds case results into a report of `kind`, writing one bundle per
/// finding signature into `out/findings/`.
#[allow(clippy::too_many_arguments)]
pub fn report(
    kind: ReportKind,
    name: String,
    modules: Vec<String>,
    cases: &[TestCase],
    results: &[CaseResult],
    engines: &[Arc<dyn Engine>],
    unavailable: Vec<crate::execute::engines::Unavailable>,
    isolation: &Isolation,
    out: &Path,
    started: (SystemTime, Instant),
) -> Result<Report> {
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    let infos: Vec<_> = engines.iter().map(|e| e.info().clone()).collect();
    let mut agg = Aggregator::new(names);
    let bundle_path = |sig: &str| format!("findings/{sig}");
    let mut written = std::collections::BTreeSet::new();
    for (r, case) in results.iter().zip(cases) {
        agg.add(r, bundle_path);
        if let (Ok(Verdict::Diverge(d)), Some(outcomes)) = (&r.verdict, &r.outcomes)
            && written.insert(d.signature.clone())
        {
            ReproBundle::new(
                case,
                infos.clone(),
                outcomes.clone(),
                r.verdict.clone().map_err(|e| anyhow!(e))?,
            )
            .write(&out.join(bundle_path(&d.signature)), &case.wasm)?;
        }
    }
    let (summary, findings, timings) = agg.finish();
    let modules_calls = if matches!(kind, ReportKind::Check | ReportKind::Compat) {
        modules
            .iter()
            .zip(cases)
            .map(|(module, case)| crate::report::ModuleCalls {
                module: module.clone(),
                calls: case.calls.iter().map(|c| c.to_string()).collect(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Report {
        envelope: Envelope::new(kind, infos, unavailable, Timing::since(started)),
        run: RunInfo::of_files(
            name,
            kind,
            modules,
            cases.len() as u64,
            crate::report::Limits::of(isolation),
            1,
        ),
        summary,
        findings,
        timings,
        compat: None,
        known_list: Default::default(),
        wasi: None,
        perf: None,
        leads: vec![],
        calls: modules_calls,
    })
}

/// What the engines agreed each call of `case` did, from the first engine
/// that ran it: `None` unless every engine agreed.
pub fn agreed(case: &TestCase, result: &CaseResult) -> Option<Vec<Recorded>> {
    if !matches!(result.verdict, Ok(Verdict::Agree { .. })) {
        return None;
    }
    let outcome: &EngineOutcome = result
        .outcomes
        .as_ref()?
        .iter()
        .find(|o| matches!(o.status, Status::Ran))?;
    let host_functions = outcome
        .calls
        .last()
        .and_then(|c| c.state.global(HOST_CALLS_GLOBAL))
        .is_some_and(|v| v != Val::I32(0));
    Some(
        case.calls
            .iter()
            .zip(&outcome.calls)
            .map(|(call, record)| {
                let mut call = call.clone();
                call.expect = None;
                Recorded {
                    call,
                    result: match &record.result {
                        CallResult::Returned(v) => Some(Ok(v.clone())),
                        CallResult::Failed(Failure::Trap { trap, .. }) => Some(Err(*trap)),
                        CallResult::Failed(Failure::Exception { .. }) => {
                            Some(Err(wasmgate_runners::TrapKind::UncaughtException))
                        }
                        CallResult::Failed(_) => None,
                    },
                    host_calls: match record.state.global(HOST_CALLS_GLOBAL) {
                        Some(Val::I32(n)) if host_functions => Some(n as u32),
                        _ => None,
                    },
                    host_digest: match record.state.global(HOST_DIGEST_GLOBAL) {
                        Some(Val::I64(d)) if host_functions => Some(crate::compare::digest_text(d)),
                        _ => None,
                    },
                }
            })
            .collect(),
    )
}
