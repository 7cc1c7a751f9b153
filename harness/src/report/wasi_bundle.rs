//! Reproducer bundles of WASI findings: the program, the one run that
//! diverged and its fixture folders as they were before the run, so that
//! `wasmgate repro BUNDLE` replays it anywhere.
//!
//! ```text
//! <bundle>/bundle.json     "kind": "wasi"; the case, engines, every runtime's output, verdict
//! <bundle>/program.wasm    the program exactly as run
//! <bundle>/fixtures/N/     fixture folder N of the case
//! ```

use crate::compare::Verdict;
use crate::execute::wasi::WasiObserved;
use crate::report::bundle::{locate, read_verified, sha256, write_atomic};
use crate::source::wasi_case::{WasiCase, WasiSuite};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use wasmgate_runners::EngineInfo;

/// Version of the WASI bundle format.
pub const WASI_BUNDLE_SCHEMA_VERSION: u32 = 1;

/// Everything needed to replay one WASI finding.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WasiBundle {
    pub schema_version: u32,
    /// Always `wasi`: what tells this bundle from a module bundle.
    pub kind: String,
    /// The program's file name (its `argv[0]`) and where it came from.
    pub program: String,
    pub origin: String,
    pub program_sha256: String,
    /// The run's index among its program's runs.
    pub run: usize,
    /// The case; fixture folders are `fixtures/N` of the bundle.
    pub case: WasiCase,
    pub engines: Vec<EngineInfo>,
    pub observed: Vec<WasiObserved>,
    pub verdict: Verdict,
}

/// Whether `path` (a folder or its `bundle.json`) holds a WASI bundle.
pub fn is_wasi_bundle(path: &Path) -> bool {
    fs::read(locate(path).1)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["kind"] == "wasi")
}

impl WasiBundle {
    /// The bundle of run `run` of `suite`.
    pub fn new(
        suite: &WasiSuite,
        run: usize,
        engines: Vec<EngineInfo>,
        observed: Vec<WasiObserved>,
        verdict: Verdict,
    ) -> Self {
        WasiBundle {
            schema_version: WASI_BUNDLE_SCHEMA_VERSION,
            kind: "wasi".into(),
            program: crate::source::wasi_case::program_name(&suite.program),
            origin: suite.program.display().to_string(),
            program_sha256: sha256(&suite.wasm),
            run,
            case: suite.cases[run].clone(),
            engines,
            observed,
            verdict,
        }
    }

    /// Writes the bundle into folder `dir`, copying the fixture folders.
    pub fn write(&self, dir: &Path, wasm: &[u8]) -> Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_atomic(&dir.join("program.wasm"), wasm)?;
        let mut bundled = self.clone();
        for (i, fixture) in bundled.case.dirs.iter_mut().enumerate() {
            let to = dir.join("fixtures").join(i.to_string());
            crate::execute::wasi::copy_tree(&fixture.host, &to).with_context(|| {
                format!(
                    "copying fixture folder {} into the bundle",
                    fixture.host.display()
                )
            })?;
            fixture.host = PathBuf::from("fixtures").join(i.to_string());
        }
        write_atomic(&dir.join("bundle.json"), &serde_json::to_vec_pretty(&bundled)?)
    }

    /// Loads a bundle; returns it with the suite it replays (one case, its
    /// fixtures inside the bundle).
    pub fn load(path: &Path) -> Result<(WasiBundle, WasiSuite)> {
        let (dir, json_path) = locate(path);
        let json =
            fs::read(&json_path).with_context(|| format!("cannot read bundle {}", json_path.display()))?;
        let bundle: WasiBundle = serde_json::from_slice(&json)
            .with_context(|| format!("{} is not a wasmgate WASI bundle", json_path.display()))?;
        if bundle.schema_version != WASI_BUNDLE_SCHEMA_VERSION {
            bail!(
                "{} has WASI bundle schema {} but this wasmgate reads schema {WASI_BUNDLE_SCHEMA_VERSION}",
                json_path.display(),
                bundle.schema_version
            );
        }
        let wasm = read_verified(&dir.join("program.wasm"), &bundle.program_sha256)?;
        let mut case = bundle.case.clone();
        for fixture in &mut case.dirs {
            fixture.host = dir.join(&fixture.host);
            if !fixture.host.is_dir() {
                bail!(
                    "the bundle's fixture folder {} is missing",
                    fixture.host.display()
                );
            }
        }
        let suite = WasiSuite {
            // argv[0] stays the program's own name.
            program: dir.join(&bundle.program),
            wasm,
            cases: vec![case],
            skip: None,
        };
        Ok((bundle, suite))
    }
}
