//! Reports: the report model CI reads ([`Report`], exit codes) and every
//! rendering of it — JSON, Markdown ([`markdown`]), JUnit ([`junit`]) — plus
//! reproducer bundles ([`bundle`]) and the side-by-side view of one case
//! ([`side_by_side`]).
//!
//! Takes verdicts and outcomes from `compare/` and `execute/`.
//! Invariant: a renderer reads only the report model; nothing here runs an engine.

pub mod bundle;
pub mod html;
pub mod junit;
mod markdown;
mod model;
pub mod perf;
pub mod sarif;
pub mod side_by_side;
pub mod wasi_bundle;

pub use model::*;

use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// What wasmgate writes into a report folder, and nothing else.
const OWNED: &[&str] = &[
    "report.json",
    "summary.md",
    "report.xml",
    "report.sarif",
    "report.html",
    "journal.jsonl",
    "findings",
    // `selftest`'s crash-and-hang run, a report folder of its own inside.
    "isolation",
    LOCK,
];

/// The lock file in every report folder.
const LOCK: &str = ".wasmgate.lock";

/// A report folder held by this process: an exclusive lock on
/// `.wasmgate.lock` inside it (released when dropped, or when the process
/// dies), so two runs never write one folder at once.
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

/// Checks, without changing anything, that a new report may be written into
/// `dir`: it holds nothing wasmgate did not write.
pub fn check_dir(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !OWNED.contains(&name.to_string_lossy().as_ref()) {
            anyhow::bail!(
                "report folder {} holds `{}`, which wasmgate did not write; choose an empty or new folder",
                dir.display(),
                name.to_string_lossy()
            );
        }
    }
    Ok(())
}

/// [`check_dir`], then creates `dir` if it is missing, so a folder that
/// cannot be written is refused before any work (or any start line) begins.
pub fn ready_dir(dir: &Path) -> Result<()> {
    check_dir(dir)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create report folder {}: {e}", dir.display()))
}

/// Opens the report folder `dir` (created if missing) and locks it. With
/// `fresh`, an earlier report's files (and only those) are removed, so no
/// stale finding stands beside the new report; a folder holding anything
/// wasmgate did not write is refused. A folder that is one of `inputs` (a
/// merge writing into a report it reads) is refused.
pub fn open_dir(dir: &Path, inputs: &[std::path::PathBuf], fresh: bool) -> Result<DirLock> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if dir.exists() && inputs.iter().any(|i| canon(i) == canon(dir)) {
        anyhow::bail!(
            "{} is one of the inputs; write the result to another folder",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create report folder {}: {e}", dir.display()))?;
    let lock_path = dir.join(LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "report folder {} is in use by another wasmgate process; wait for it or choose another folder",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => anyhow::bail!("cannot lock {}: {e}", lock_path.display()),
    }
    if fresh {
        check_dir(dir)?;
        let entries = std::fs::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
        for e in entries.iter().filter(|e| e.file_name() != LOCK) {
            let path = e.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|err| anyhow::anyhow!("cannot clear {}: {err}", path.display()))?;
        }
    }
    Ok(DirLock { _file: file })
}

/// Writes `report.json`, `summary.md`, `report.xml` (JUnit),
/// `report.sarif` and `report.html` into `dir`, and appends the summary to the file
/// `$GITHUB_STEP_SUMMARY` names, when it is set (a GitHub Actions job).
pub fn write_report(report: &mut Report, dir: &Path) -> Result<()> {
    report.judge_gate();
    let json = serde_json::to_vec_pretty(report)?;
    crate::report::bundle::write_atomic(&dir.join("report.json"), &json)?;
    crate::report::bundle::write_atomic(&dir.join("summary.md"), report.to_markdown().as_bytes())?;
    crate::report::bundle::write_atomic(
        &dir.join("report.xml"),
        crate::report::junit::run(report).as_bytes(),
    )?;
    crate::report::bundle::write_atomic(
        &dir.join("report.sarif"),
        &serde_json::to_vec_pretty(&sarif::render(report, dir))?,
    )?;
    crate::report::bundle::write_atomic(&dir.join("report.html"), html::render(report).as_bytes())?;
    append_step_summary(&report.to_markdown())?;
    let _ = std::io::stderr().flush();
    Ok(())
}

/// Appends `markdown` to the file `$GITHUB_STEP_SUMMARY` names, if set.
pub fn append_step_summary(markdown: &str) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot append to $GITHUB_STEP_SUMMARY ({}): {e}",
                Path::new(&path).display()
            )
        })?;
    writeln!(file, "{markdown}")?;
    Ok(())
}
