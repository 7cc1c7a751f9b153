//! WASI preview1 command programs on each runtime's own WASI implementation:
//! the [`WasiEngine`] trait, what one run is given ([`WasiRun`]) and what it
//! left ([`WasiOutput`]), and the deterministic environment every
//! implementation is given alike (fixed clocks, one random byte stream); one
//! adapter per runtime below (`wasmtime`, `wasmi`, `wasmer` on the native
//! engines' stores, `node` on a JavaScript engine process).
//!
//! The harness compiles a program once per engine and runs it many times
//! ([`WasiProgram::run`]), each run in its own copy of the fixture folders.
//!
//! Invariant: this module names no adapter's types and the adapters import
//! only it and the rooms they build on; the list of WASI runtimes lives in
//! `registry`.

#[cfg(feature = "node-wasi")]
pub mod node;
#[cfg(feature = "wasmer-wasi")]
pub mod wasmer;
#[cfg(feature = "wasmi-wasi")]
pub mod wasmi;
#[cfg(feature = "wasmtime-wasi")]
pub mod wasmtime;

use crate::engine::{EngineInfo, Failure};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The WASI preview1 module every import of a command program must come from.
pub const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The functions of WASI preview1 (`wasi_snapshot_preview1`), as its witx names them.
pub const PREVIEW1_FUNCTIONS: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// What `clock_time_get(realtime)` returns on every engine: 2020-01-01T00:00:00Z.
pub const REALTIME_NS: u64 = 1_577_836_800_000_000_000;
/// What `clock_time_get(monotonic)` returns on every engine.
pub const MONOTONIC_NS: u64 = 1_000_000_000;
/// What `clock_res_get` returns for both clocks.
pub const CLOCK_RESOLUTION_NS: u64 = 1_000;
/// Period of the random byte stream `random_get` reads from.
pub const RANDOM_PERIOD: usize = 4096;
/// Most bytes of stdout (and of stderr) one run may write; more is an error
/// on every engine alike (the writes past it fail).
pub const OUTPUT_BYTES: usize = 16 << 20;

/// Byte `n` of the random stream `random_get` reads (position `n` modulo
/// [`RANDOM_PERIOD`]): splitmix64 of the word index, little-endian.
pub fn random_byte(n: usize) -> u8 {
    let n = n % RANDOM_PERIOD;
    let mut z = ((n / 8) as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> (8 * (n % 8))) as u8
}

/// One period of the random stream.
pub fn random_period() -> Vec<u8> {
    (0..RANDOM_PERIOD).map(random_byte).collect()
}

/// What the environment of every run holds fixed, for reports.
pub const DETERMINISM: &str = "clocks fixed (realtime 2020-01-01T00:00:00Z, monotonic 1 s, resolution 1 µs); \
random_get reads one fixed byte stream; environment, arguments and stdin from the case; \
each run in a fresh copy of its fixture folders, modification times fixed at 2020-01-01";

/// What is left out of the comparison because no engine can fix it.
pub const NOT_COMPARED: &str = "metadata of the pre-opened copies other than their modification times \
(fixed at 2020-01-01): inode numbers, link counts, change times, access times after a read; \
the files left are compared by path, type and contents";

/// One run of a command program.
#[derive(Clone, Debug, Default)]
pub struct WasiRun {
    /// `argv`, the program name first.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    /// Pre-opened folders: the host folder (a fresh copy) and the guest path.
    pub dirs: Vec<(PathBuf, String)>,
    /// Wall time the run may take before it is stopped.
    pub timeout: Duration,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
pub enum WasiEnd {
    /// `_start` returned (code 0) or the program called `proc_exit(code)`.
    Exit { code: i32 },
    /// A trap, an exhausted resource, or the runtime's own error.
    Failed { failure: Failure },
}

/// What a run left behind (the pre-opened folders are read by the caller).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiOutput {
    #[serde(flatten)]
    pub end: WasiEnd,
    #[serde(with = "lossless")]
    pub stdout: Vec<u8>,
    #[serde(with = "lossless")]
    pub stderr: Vec<u8>,
    /// Wall time of the run (instantiation and `_start`).
    pub run_us: u64,
}

/// Bytes as text when they are UTF-8 (and do not start `base64:`), else as
/// `base64:…` — how outputs are written in reports and bundles.
pub fn lossless_text(bytes: &[u8]) -> String {
    use base64::Engine as _;
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.starts_with("base64:") => text.to_string(),
        _ => format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
    }
}

/// Bytes as text when they are UTF-8, else as `base64:…`.
mod lossless {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::lossless_text(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        match text.strip_prefix("base64:") {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(serde::de::Error::custom),
            None => Ok(text.into_bytes()),
        }
    }
}

/// One runtime's WASI preview1.
pub trait WasiEngine: Send + Sync {
    /// Name (`wasmtime-wasi`, …), version, features.
    fn info(&self) -> &EngineInfo;

    /// Compiles a command program; an `Err` means the engine rejects it.
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn WasiProgram + '_>, String>;
}

/// A compiled command program, run any number of times.
pub trait WasiProgram {
    /// Instantiates the program afresh and calls `_start`.
    fn run(&mut self, run: &WasiRun) -> WasiOutput;
}

/// A failed run: the runtime's own error before `_start` could run.
pub fn failed(failure: Failure) -> WasiOutput {
    WasiOutput {
        end: WasiEnd::Failed { failure },
        stdout: Vec::new(),
        stderr: Vec::new(),
        run_us: 0,
    }
}

/// A writer many handles share: what the program wrote to stdout or stderr,
/// up to [`OUTPUT_BYTES`].
#[derive(Clone, Default)]
pub struct SharedOutput(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedOutput {
    /// What was written.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl std::io::Write for SharedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if out.len() + buf.len() > OUTPUT_BYTES {
            return Err(std::io::Error::other("output limit reached"));
        }
        out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_random_stream_is_fixed() {
        let period = random_period();
        assert_eq!(period.len(), RANDOM_PERIOD);
        assert_eq!(random_byte(RANDOM_PERIOD + 3), period[3]);
        // splitmix64(0x9e3779b97f4a7c15), little-endian: the first bytes of the stream.
        assert_eq!(&period[..8], &0xe220_a839_7b1d_cdafu64.to_le_bytes());
    }
}
