//! Resource limits every engine applies the same way: wasmtime and wasmi
//! through their store limiters, wasmer through its tunables (memories and
//! tables get their maximum lowered to the limit), V8 through its own flags
//! (`--wasm-max-mem-pages`, `--wasm-max-table-size`). Growth past a limit
//! returns -1 on every engine, so a limit is never a divergence. The harness
//! adds an address-space limit on worker processes (see `harness/src/isolate`).

/// Largest linear memory any store may grow to.
pub const MEMORY_BYTES: usize = 256 << 20;
/// Largest table any store may grow to.
pub const TABLE_ELEMENTS: usize = 1 << 20;
/// V8's JavaScript heap in a `node` engine process, in MiB.
pub const JS_HEAP_MB: usize = 512;
/// Stack budget for wasm frames in engines that let us set one.
pub const WASM_STACK_BYTES: usize = 1 << 20;
/// Native stack size the harness gives each thread that runs engines.
pub const THREAD_STACK_BYTES: usize = 32 << 20;
/// Call depth limit for interpreters that count frames instead of bytes.
pub const WASMI_RECURSION_DEPTH: usize = 20_000;
/// Data (`RLIMIT_DATA`) a `jsc` process may commit: JavaScriptCore reserves
/// between 4 and 6 GiB of writable address space as it starts (its JIT and
/// heap regions), and makes part of every wasm memory's 4 GiB reservation
/// writable, all committed lazily: the 1.5 GiB a worker's processes get would
/// stop it before its first line, 8 GiB after a few hundred cases. Resident
/// memory stays bounded by the limits above and by recycling processes.
pub const JSC_DATA_BYTES: u64 = 64 << 30;
