//! Versions of the runtime crates linked into this build (from `Cargo.lock`).

/// The wasmtime crate version.
pub const WASMTIME: &str = env!("WASMGATE_WASMTIME_VERSION");
/// The wasmer crate version.
pub const WASMER: &str = env!("WASMGATE_WASMER_VERSION");
/// The wasmi crate version.
pub const WASMI: &str = env!("WASMGATE_WASMI_VERSION");
/// The wasmer-wasix crate version.
pub const WASMER_WASIX: &str = env!("WASMGATE_WASMER_WASIX_VERSION");
