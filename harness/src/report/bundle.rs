//! Reproducer bundles: a self-contained folder per finding that replays on any
//! machine, even after the generator changes.
//!
//! ```text
//! <bundle>/bundle.json   origin, calls, engines (name, version), outcomes, verdict
//! <bundle>/module.wasm   the module exactly as run
//! <bundle>/module.wat    the same, printed by wasmprinter
//! ```

use crate::compare::Verdict;
use crate::execute::EngineOutcome;
use crate::source::case::TestCase;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use wasmgate_runners::EngineInfo;

/// Version of the bundle format; bumped on incompatible changes.
pub const BUNDLE_SCHEMA_VERSION: u32 = 1;

/// Everything needed to replay one finding.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReproBundle {
    pub schema_version: u32,
    /// The case, minus its bytes (those are in `module.wasm`).
    pub case: TestCase,
    /// SHA-256 of `module.wasm`, checked on load.
    pub module_sha256: String,
    pub engines: Vec<EngineInfo>,
    pub outcomes: Vec<EngineOutcome>,
    pub verdict: Verdict,
}

/// A bundle's folder and its `bundle.json`, given either.
pub fn locate(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() {
        (path.to_path_buf(), path.join("bundle.json"))
    } else {
        (
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            path.to_path_buf(),
        )
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Writes `contents` to `path` atomically (temp file + rename), so a reader or
/// a crash never sees half a file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = tmp_of(path);
    fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))
}

/// The file [`write_atomic`] writes before renaming it to `path`.
fn tmp_of(path: &Path) -> std::path::PathBuf {
    path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ))
}

/// Checks, before any work, that [`write_atomic`] will be able to write
/// `path` (by creating and removing its temporary file).
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    let tmp = tmp_of(path);
    fs::File::create(&tmp)?;
    fs::remove_file(&tmp)
}

impl ReproBundle {
    /// Builds a bundle for `case` from what `engines` did.
    pub fn new(
        case: &TestCase,
        engines: Vec<EngineInfo>,
        outcomes: Vec<EngineOutcome>,
        verdict: Verdict,
    ) -> Self {
        ReproBundle {
            schema_version: BUNDLE_SCHEMA_VERSION,
            case: case.clone(),
            module_sha256: sha256(&case.wasm),
            engines,
            outcomes,
            verdict,
        }
    }

    /// Writes the bundle into folder `dir` (created if needed).
    pub fn write(&self, dir: &Path, wasm: &[u8]) -> Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_atomic(&dir.join("module.wasm"), wasm)?;
        let wat = wasmprinter::print_bytes(wasm).unwrap_or_else(|e| format!(";; not printable: {e}\n"));
        write_atomic(&dir.join("module.wat"), wat.as_bytes())?;
        let json = serde_json::to_vec_pretty(self)?;
        write_atomic(&dir.join("bundle.json"), &json)
    }

    /// Loads a bundle from its folder or its `bundle.json`; returns it with the
    /// case's module bytes filled in.
    pub fn load(path: &Path) -> Result<ReproBundle> {
        let (dir, json_path) = locate(path);
        let json =
            fs::read(&json_path).with_context(|| format!("cannot read bundle {}", json_path.display()))?;
        let mut bundle: ReproBundle = serde_json::from_slice(&json)
            .with_context(|| format!("{} is not a wasmgate bundle", json_path.display()))?;
        if bundle.schema_version != BUNDLE_SCHEMA_VERSION {
            bail!(
                "{} has bundle schema {} but this wasmgate reads schema {BUNDLE_SCHEMA_VERSION}",
                json_path.display(),
                bundle.schema_version
            );
        }
        bundle.case.wasm = read_verified(&dir.join("module.wasm"), &bundle.module_sha256)?;
        // A call of an export the module lacks fails alike on every engine: a
        // replay would "agree" without running anything.
        let info = crate::source::module_info::inspect(&bundle.case.wasm)
            .with_context(|| format!("{} holds no readable module", dir.join("module.wasm").display()))?;
        if let Some((i, call)) = bundle.case.calls.iter().enumerate().find(|(_, c)| {
            !info.funcs.iter().any(|f| f.name == c.export) && !info.uncallable.contains(&c.export)
        }) {
            bail!(
                "{}: call {i} names `{}`, which the module does not export as a function",
                json_path.display(),
                call.export
            );
        }
        Ok(bundle)
    }
}

/// The bytes of a bundle's module file, checked against the SHA-256 its
/// `bundle.json` records.
pub fn read_verified(path: &Path, sha: &str) -> Result<Vec<u8>> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let actual = sha256(&bytes);
    if actual != sha {
        bail!(
            "{} does not match its bundle (sha256 {actual}, expected {sha})",
            path.display()
        );
    }
    Ok(bytes)
}
