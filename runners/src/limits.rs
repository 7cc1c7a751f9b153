//! Resource limits applied identically by every in-process engine.
//!
//! They sit far above what generated modules declare (see the harness profiles),
//! so hitting one is an engine problem, never ordinary test behaviour.

/// Largest linear memory any store may grow to.
pub const MEMORY_BYTES: usize = 256 << 20;
/// Largest table any store may grow to.
pub const TABLE_ELEMENTS: usize = 1 << 20;
/// Stack budget for wasm frames in engines that let us set one.
pub const WASM_STACK_BYTES: usize = 1 << 20;
/// Native stack size the harness gives each thread that runs engines.
pub const THREAD_STACK_BYTES: usize = 32 << 20;
/// Call depth limit for interpreters that count frames instead of bytes.
pub const WASMI_RECURSION_DEPTH: usize = 20_000;
