//! The in-process engines: wasmtime (cranelift, winch, pulley), wasmer
//! (cranelift, singlepass) and wasmi, each an [`Engine`](crate::Engine)
//! adapter behind its own cargo feature.
//!
//! Invariant: an adapter maps its runtime's results into the crate's value
//! and outcome model (`engine`, `value`) and enforces `limits` through the
//! runtime's own means; it imports nothing but those top-level modules.

#[cfg(any(
    feature = "wasmer-cranelift",
    feature = "wasmer-singlepass",
    feature = "wasmer-wasi"
))]
pub mod wasmer;
#[cfg(any(feature = "wasmi", feature = "wasmi-wasi"))]
pub mod wasmi;
#[cfg(any(
    feature = "wasmtime-cranelift",
    feature = "wasmtime-winch",
    feature = "wasmtime-pulley",
    feature = "wasmtime-wasi"
))]
pub mod wasmtime;
