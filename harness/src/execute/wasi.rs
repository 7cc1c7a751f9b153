//! WASI command programs executed: one run of a compiled program, in a
//! fresh copy of its fixture folders (no run sees another's writes); what
//! the program left in those folders is read back after the run. The runs
//! of a suite happen in worker processes (`wasi::isolate`).

use crate::source::wasi_case::WasiCase;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use wasmgate_runners::Failure;
use wasmgate_runners::wasi::{WasiOutput, WasiRun, failed};

/// An entry the program left in a pre-opened folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FileEntry {
    Dir,
    File { bytes: u64, sha256: String },
    Symlink { target: String },
}

impl std::fmt::Display for FileEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileEntry::Dir => f.write_str("folder"),
            FileEntry::File { bytes, sha256 } => write!(f, "{bytes} bytes, sha256 {}", &sha256[..12]),
            FileEntry::Symlink { target } => write!(f, "symlink to {target}"),
        }
    }
}

/// Everything one engine's run of one case showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiObserved {
    pub engine: String,
    #[serde(flatten)]
    pub output: WasiOutput,
    /// The pre-opened folders afterwards, by guest path (`data/out.txt`).
    pub files: BTreeMap<String, FileEntry>,
}

/// One engine's results over a suite: compile time, then one per case.
pub struct EngineRuns {
    pub engine: String,
    pub compile_us: u64,
    /// `Err` if the engine rejected the program.
    pub runs: Result<Vec<WasiObserved>, String>,
}

/// Copies folder `from` into `to` (created), keeping symlinks as symlinks;
/// every copied file and folder gets the fixed modification and access time
/// of the WASI environment, so that a program reading them sees the same on
/// every runtime.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let ty = entry.file_type()?;
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if ty.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
            fix_times(&dst)?;
        }
    }
    fix_times(to)
}

/// Sets `path`'s modification and access times to the WASI realtime clock's.
fn fix_times(path: &Path) -> std::io::Result<()> {
    let t = std::time::UNIX_EPOCH + Duration::from_nanos(wasmgate_runners::wasi::REALTIME_NS);
    std::fs::File::open(path)?.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
}

/// What folder `dir` holds, keyed by `prefix/relative path`.
fn snapshot(dir: &Path, prefix: &str, out: &mut BTreeMap<String, FileEntry>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let key = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        let Ok(ty) = entry.file_type() else { continue };
        if ty.is_symlink() {
            let target = std::fs::read_link(&path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            out.insert(key, FileEntry::Symlink { target });
        } else if ty.is_dir() {
            out.insert(key.clone(), FileEntry::Dir);
            snapshot(&path, &key, out);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.insert(
                key,
                FileEntry::File {
                    bytes: bytes.len() as u64,
                    sha256: format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes)),
                },
            );
        }
    }
}

/// Runs `case` once on a compiled program, in fresh copies of its fixtures
/// (in a WASI worker process, see `wasi::isolate`).
pub fn run_one(
    engine: &str,
    program: &mut dyn wasmgate_runners::wasi::WasiProgram,
    argv0: &str,
    case: &WasiCase,
    timeout: Duration,
) -> WasiObserved {
    let observed = |output, files| WasiObserved {
        engine: engine.to_string(),
        output,
        files,
    };
    let scratch = match tempfile::Builder::new().prefix("wasmgate-wasi-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            return observed(
                failed(Failure::error(format!("cannot make a fixture folder: {e}"))),
                BTreeMap::new(),
            );
        }
    };
    let mut dirs = Vec::new();
    for (i, fixture) in case.dirs.iter().enumerate() {
        let copy = scratch.path().join(i.to_string());
        if let Err(e) = copy_tree(&fixture.host, &copy) {
            return observed(
                failed(Failure::error(format!(
                    "cannot copy fixture folder {}: {e}",
                    fixture.host.display()
                ))),
                BTreeMap::new(),
            );
        }
        dirs.push((copy, fixture.guest.clone()));
    }
    let mut args = vec![argv0.to_string()];
    args.extend(case.args.iter().cloned());
    let run = WasiRun {
        args,
        env: case.env.clone(),
        stdin: case.stdin.as_bytes().to_vec(),
        dirs,
        timeout,
    };
    let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.run(&run))).unwrap_or_else(
        |panic| {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed(Failure::error(format!("the engine panicked: {why}")))
        },
    );
    let mut files = BTreeMap::new();
    for (copy, guest) in &run.dirs {
        snapshot(copy, guest.trim_end_matches('/'), &mut files);
    }
    observed(output, files)
}
