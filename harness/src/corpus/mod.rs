//! The regression corpus (`corpus/` at the repository root, or `--corpus
//! DIR`): one bundle per finding worth keeping, minimised where shrinking
//! succeeded. `corpus add` stores bundles, `corpus run` replays every entry
//! on every engine as a gate (an entry that diverges with a signature not on
//! the known list fails it: a fixed bug came back), `corpus min` keeps the
//! smallest entry per signature.
//!
//! Entries are ordinary module bundles (`report/bundle.rs`); replaying them
//! goes through `check`'s case runner and report, so a corpus report reads
//! like any other.

use crate::report::bundle::{ReproBundle, locate};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The corpus folder unless `--corpus` says otherwise.
pub const DEFAULT_DIR: &str = "corpus";

/// One stored bundle.
pub struct Entry {
    pub dir: PathBuf,
    pub bundle: ReproBundle,
}

impl Entry {
    /// The signature the entry was stored under (its divergence's), or
    /// `agree` for a case stored while engines agreed.
    pub fn signature(&self) -> String {
        self.bundle
            .verdict
            .divergence()
            .map(|d| d.signature.clone())
            .unwrap_or_else(|| "agree".into())
    }
}

/// Every entry of the corpus `dir`, by folder name. A folder without a
/// `bundle.json` is not an entry; a broken bundle is an error.
pub fn load(dir: &Path) -> Result<Vec<Entry>> {
    if !dir.is_dir() {
        bail!(
            "no corpus at {}: `wasmgate corpus add BUNDLE` makes one",
            dir.display()
        );
    }
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read corpus {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("bundle.json").is_file())
        .collect();
    folders.sort();
    folders
        .into_iter()
        .map(|dir| {
            let bundle =
                ReproBundle::load(&dir).with_context(|| format!("corpus entry {}", dir.display()))?;
            Ok(Entry { dir, bundle })
        })
        .collect()
}

/// What `add` did with one bundle.
pub enum Added {
    /// Stored as this folder.
    Stored(PathBuf),
    /// The same module is already stored there.
    Present(PathBuf),
}

/// Stores `bundle` (its `minimized/` bundle when there is one) in the corpus
/// `dir`, in a folder named after its signature.
pub fn add(dir: &Path, bundle: &Path) -> Result<Added> {
    if crate::report::wasi_bundle::is_wasi_bundle(bundle) {
        bail!(
            "{} is a WASI bundle: the corpus keeps module bundles (replay WASI bundles with `wasmgate repro`)",
            bundle.display()
        );
    }
    let (folder, _) = locate(bundle);
    let minimized = folder.join("minimized");
    let source = if minimized.join("bundle.json").is_file() {
        minimized
    } else {
        folder
    };
    let loaded = ReproBundle::load(&source)?;
    let entry = Entry {
        dir: source,
        bundle: loaded,
    };
    let signature = entry.signature();
    let sha = &entry.bundle.module_sha256;
    let mut target = dir.join(&signature);
    if target.join("bundle.json").is_file() {
        let existing = ReproBundle::load(&target)?;
        if &existing.module_sha256 == sha {
            return Ok(Added::Present(target));
        }
        target = dir.join(format!("{signature}-{}", &sha[..8]));
        if target.join("bundle.json").is_file() {
            return Ok(Added::Present(target));
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating corpus {}", dir.display()))?;
    entry.bundle.write(&target, &entry.bundle.case.wasm)?;
    Ok(Added::Stored(target))
}

/// Keeps, per signature, the entry with the smallest module (ties: the
/// first by name) and removes the others; returns the kept and removed folders.
pub fn minimize(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let entries = load(dir)?;
    let mut best: std::collections::BTreeMap<String, &Entry> = std::collections::BTreeMap::new();
    for e in &entries {
        let size = e.bundle.case.wasm.len();
        best.entry(e.signature())
            .and_modify(|b| {
                if size < b.bundle.case.wasm.len() {
                    *b = e;
                }
            })
            .or_insert(e);
    }
    let kept: Vec<PathBuf> = best.values().map(|e| e.dir.clone()).collect();
    let mut removed = Vec::new();
    for e in &entries {
        if !kept.contains(&e.dir) {
            std::fs::remove_dir_all(&e.dir).with_context(|| format!("removing {}", e.dir.display()))?;
            removed.push(e.dir.clone());
        }
    }
    Ok((kept, removed))
}
