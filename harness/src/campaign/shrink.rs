//! Minimisation: wasm-shrink removes and simplifies parts of a finding's module
//! while the engines still diverge with the same signature. The smallest module
//! so far is written (atomically) after every improvement, and the result is a
//! complete bundle of its own in `<bundle>/minimized/` that replays with
//! `wasmgate repro`.

use crate::compare::Verdict;
use crate::compare::judge::CaseResult;
use crate::execute::engines;
use crate::isolate::Isolation;
use crate::isolate::bench::Bench;
use crate::isolate::worker::IsolatedExecutor;
use crate::report::bundle::{ReproBundle, write_atomic};
use crate::source::case::{Origin, TestCase, calls_per_export};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Time limit per candidate: generous for the small modules shrinking makes,
/// and long enough for a fresh worker to start its engines (a headless
/// browser takes about a second) before the first candidate.
const SHRINK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Folder of the minimised bundle inside a bundle.
pub const MINIMIZED: &str = "minimized";

/// What a shrink achieved.
#[derive(Debug)]
pub struct Shrunk {
    pub signature: String,
    pub input_size: u64,
    pub output_size: u64,
    pub dir: PathBuf,
}

/// Shrinks the module of the bundle in `dir` keeping its divergence signature,
/// running engines as `isolation` says, for at most `attempts` candidates.
/// With `cause` (a finding's cause text), a smaller module counts only while
/// taking that cause's shape out of it still cures it, so the minimised
/// module shows the finding's bug, not another one of the same signature.
pub fn shrink_bundle(
    dir: &Path,
    isolation: &Isolation,
    attempts: u32,
    cause: Option<&str>,
) -> Result<Shrunk> {
    let cause = cause.and_then(crate::campaign::cause::Candidate::parse);
    let bundle = ReproBundle::load(dir)?;
    let Some(target) = bundle.verdict.divergence().map(|d| d.signature.clone()) else {
        bail!("{} is not a divergence: nothing to shrink", dir.display());
    };
    let names: Vec<String> = bundle
        .engines
        .iter()
        .map(crate::execute::mutant::spec_of)
        .collect();
    let resolved = engines::resolve_all(&names)?;
    if let Some(u) = resolved.unavailable.first() {
        bail!(
            "cannot shrink: engine {} is unavailable here ({})",
            u.engine,
            u.reason
        );
    }
    let vector_seed = match bundle.case.origin {
        Origin::Generated { seed, .. } => seed,
        _ => 0,
    };
    // Candidates may lose the fuel checks that made the original terminate, so
    // shrinking always runs engines in worker processes with a short limit; a
    // candidate that hangs is simply not interesting. Only a crash finding
    // needs the per-engine isolation to compute its signature.
    let Isolation::Processes { exe, timeout } = isolation else {
        bail!("shrinking needs worker processes (candidates may not terminate); drop --in-process");
    };
    let timeout = (*timeout).min(SHRINK_TIMEOUT);
    let crash = bundle
        .verdict
        .divergence()
        .is_some_and(|d| d.kind == crate::compare::DivergenceKind::Crash);
    let mut executor = IsolatedExecutor::new(exe.clone(), resolved.specs.clone(), timeout);
    let mut run = |wasm: &[u8]| -> Result<Option<(TestCase, CaseResult)>> {
        let mut case = TestCase::from_module(
            bundle.case.origin.clone(),
            wasm.to_vec(),
            vector_seed,
            calls_per_export(&bundle.case.origin),
        );
        if wasm == bundle.case.wasm.as_slice() {
            case = bundle.case.clone();
        }
        let result = if crash {
            Some(executor.run_case(&case)?)
        } else {
            executor.try_case(&case)?
        };
        Ok(result.map(|r| (case, r)))
    };
    // The cause's replays run in worker processes too: a crash there is no cure.
    let bench = Bench::new(&resolved.engines, &resolved.specs, isolation);
    let same = |case: &TestCase, r: &CaseResult| match &r.verdict {
        Ok(Verdict::Diverge(d)) if d.signature == target => cause.as_ref().is_none_or(|c| {
            crate::campaign::cause::Replayer::new(&bench, case, d)
                .is_some_and(|r| r.cure(&[c]) != crate::campaign::cause::Cure::None)
        }),
        _ => false,
    };
    if !run(&bundle.case.wasm)?.is_some_and(|(c, r)| same(&c, &r)) {
        bail!(
            "{} no longer diverges with signature {target}: nothing to shrink",
            dir.display()
        );
    }
    let out = dir.join(MINIMIZED);
    // An earlier shrink's result is the starting point when it still shows the
    // divergence: shrinking again goes further, never back to the original.
    let earlier = std::fs::read(out.join("module.wasm"))
        .ok()
        .filter(|w| w.len() < bundle.case.wasm.len());
    let start = match earlier {
        Some(w) if run(&w)?.is_some_and(|(c, r)| same(&c, &r)) => w,
        _ => bundle.case.wasm.clone(),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let progress = out.join("smallest.wasm");
    let progress_for_cb = progress.clone();
    let info = wasm_shrink::WasmShrink::default()
        .attempts(attempts)
        .on_new_smallest(Some(Box::new(move |wasm: &[u8]| {
            write_atomic(&progress_for_cb, wasm)
        })))
        .run(start.clone(), |candidate: &[u8]| -> Result<bool> {
            // An invalid candidate cannot show the same divergence; skip it quickly.
            if crate::source::module_info::inspect(candidate).is_err() {
                return Ok(false);
            }
            Ok(run(candidate)?.is_some_and(|(c, r)| same(&c, &r)))
        })
        .context("shrinking")?;
    let _ = std::fs::remove_file(&progress);
    if start.len() < bundle.case.wasm.len() && info.output.len() >= start.len() {
        // Nothing smaller than the earlier result: keep it as it is.
        return Ok(Shrunk {
            signature: target,
            input_size: bundle.case.wasm.len() as u64,
            output_size: start.len() as u64,
            dir: out,
        });
    }
    let Some((case, result)) = run(&info.output)? else {
        bail!("the minimised module no longer ran to completion");
    };
    let verdict = result.verdict.map_err(|e| anyhow::anyhow!(e))?;
    let minimized = ReproBundle::new(
        &case,
        bundle.engines.clone(),
        result.outcomes.unwrap_or_default(),
        verdict,
    );
    minimized.write(&out, &info.output)?;
    Ok(Shrunk {
        signature: target,
        input_size: bundle.case.wasm.len() as u64,
        output_size: info.output_size,
        dir: out,
    })
}
