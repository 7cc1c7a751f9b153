//! The engine registry: every configuration compiled into this build, by name.

use crate::engine::Engine;
use std::sync::Arc;

/// Every engine configuration wasmgate knows, with whether this build has it.
const KNOWN: [(&str, bool); 4] = [
    ("wasmtime-cranelift", cfg!(feature = "wasmtime-cranelift")),
    ("wasmer-cranelift", cfg!(feature = "wasmer-cranelift")),
    ("wasmer-singlepass", cfg!(feature = "wasmer-singlepass")),
    ("wasmi", cfg!(feature = "wasmi")),
];

/// Names of every engine configuration this build can construct, in display order.
pub fn names() -> Vec<&'static str> {
    KNOWN
        .iter()
        .filter(|(_, built)| *built)
        .map(|(name, _)| *name)
        .collect()
}

/// Builds the engine configuration called `name`, or says why it can't.
pub fn build(name: &str) -> Result<Arc<dyn Engine>, String> {
    let engine: Arc<dyn Engine> = match name {
        #[cfg(feature = "wasmtime-cranelift")]
        "wasmtime-cranelift" => Arc::new(crate::wasmtime_engine::WasmtimeEngine::new(
            crate::wasmtime_engine::Flavor::Cranelift,
        )?),
        #[cfg(feature = "wasmer-cranelift")]
        "wasmer-cranelift" => Arc::new(crate::wasmer_engine::WasmerEngine::new(
            crate::wasmer_engine::Compiler::Cranelift,
        )),
        #[cfg(feature = "wasmer-singlepass")]
        "wasmer-singlepass" => Arc::new(crate::wasmer_engine::WasmerEngine::new(
            crate::wasmer_engine::Compiler::Singlepass,
        )),
        #[cfg(feature = "wasmi")]
        "wasmi" => Arc::new(crate::wasmi_engine::WasmiEngine::new()),
        _ => {
            return Err(format!(
                "unknown engine `{name}` (this build has: {})",
                names().join(", ")
            ));
        }
    };
    Ok(engine)
}
