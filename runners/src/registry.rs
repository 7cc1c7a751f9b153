//! The engine registry: every configuration compiled into this build, by name.

use crate::engine::Engine;
use std::sync::Arc;

/// Every engine configuration wasmgate knows, with whether this build has it.
const KNOWN: [(&str, bool); 12] = [
    ("wasmtime-cranelift", cfg!(feature = "wasmtime-cranelift")),
    ("wasmtime-winch", cfg!(feature = "wasmtime-winch")),
    ("wasmtime-pulley", cfg!(feature = "wasmtime-pulley")),
    ("wasmer-cranelift", cfg!(feature = "wasmer-cranelift")),
    ("wasmer-singlepass", cfg!(feature = "wasmer-singlepass")),
    ("wasmi", cfg!(feature = "wasmi")),
    ("v8-turbofan", cfg!(feature = "v8")),
    ("v8-liftoff", cfg!(feature = "v8")),
    ("jsc-ipint", cfg!(feature = "jsc")),
    ("jsc-bbq", cfg!(feature = "jsc")),
    ("jsc-omg", cfg!(feature = "jsc")),
    ("v8-chromium", cfg!(feature = "chromium")),
];

/// Why an engine could not be built.
#[derive(Debug, Clone)]
pub enum BuildError {
    /// No such engine in this build: a usage error.
    Unknown(String),
    /// A known engine that cannot run on this machine (e.g. no `node`): the
    /// run goes on without it and the report says so.
    Unavailable(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Unknown(m) | BuildError::Unavailable(m) => f.write_str(m),
        }
    }
}

/// The tier (compiler or interpreter) a configuration runs, for people.
pub fn tier(name: &str) -> &'static str {
    match name {
        "wasmtime-cranelift" | "wasmer-cranelift" => "Cranelift, optimising compiler",
        "wasmtime-winch" => "Winch, baseline compiler",
        "wasmtime-pulley" => "Pulley, interpreter (Cranelift emitting bytecode)",
        "wasmer-singlepass" => "Singlepass, baseline compiler",
        "wasmi" => "interpreter (register bytecode)",
        "v8-turbofan" | "v8-chromium" => "TurboFan, optimising compiler",
        "v8-liftoff" => "Liftoff, baseline compiler",
        "jsc-ipint" => "IPInt, in-place interpreter",
        "jsc-bbq" => "BBQ, baseline compiler",
        "jsc-omg" => "OMG, optimising compiler (after BBQ)",
        _ => "",
    }
}

/// Names of every engine configuration this build can construct, in display order.
pub fn names() -> Vec<&'static str> {
    KNOWN
        .iter()
        .filter(|(_, built)| *built)
        .map(|(name, _)| *name)
        .collect()
}

/// Builds the engine configuration called `name`, or says why it can't.
pub fn build(name: &str) -> Result<Arc<dyn Engine>, BuildError> {
    let engine: Arc<dyn Engine> = match name {
        #[cfg(feature = "wasmtime-cranelift")]
        "wasmtime-cranelift" => Arc::new(
            crate::wasmtime_engine::WasmtimeEngine::new(crate::wasmtime_engine::Flavor::Cranelift)
                .map_err(BuildError::Unavailable)?,
        ),
        #[cfg(feature = "wasmtime-winch")]
        "wasmtime-winch" => Arc::new(
            crate::wasmtime_engine::WasmtimeEngine::new(crate::wasmtime_engine::Flavor::Winch)
                .map_err(BuildError::Unavailable)?,
        ),
        #[cfg(feature = "wasmtime-pulley")]
        "wasmtime-pulley" => Arc::new(
            crate::wasmtime_engine::WasmtimeEngine::new(crate::wasmtime_engine::Flavor::Pulley)
                .map_err(BuildError::Unavailable)?,
        ),
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
        // Optimising tier only, compiled eagerly so validation errors surface at compile.
        #[cfg(feature = "v8")]
        "v8-turbofan" => Arc::new(
            crate::external::v8(
                name,
                &["--no-liftoff", "--no-wasm-tier-up", "--no-wasm-lazy-compilation"],
            )
            .map_err(|e| BuildError::Unavailable(e.0))?,
        ),
        // Baseline tier only.
        #[cfg(feature = "v8")]
        "v8-liftoff" => Arc::new(
            crate::external::v8(
                name,
                &[
                    "--liftoff-only",
                    "--no-wasm-tier-up",
                    "--no-wasm-lazy-compilation",
                ],
            )
            .map_err(|e| BuildError::Unavailable(e.0))?,
        ),
        // JavaScriptCore's in-place interpreter only.
        #[cfg(feature = "jsc")]
        "jsc-ipint" => Arc::new(
            crate::external::jsc(name, &["--useBBQJIT=false", "--useOMGJIT=false"])
                .map_err(|e| BuildError::Unavailable(e.0))?,
        ),
        // The BBQ baseline compiler only (no interpreter, no tier-up).
        #[cfg(feature = "jsc")]
        "jsc-bbq" => Arc::new(
            crate::external::jsc(
                name,
                &[
                    "--useWasmIPInt=false",
                    "--useWasmLLInt=false",
                    "--useOMGJIT=false",
                ],
            )
            .map_err(|e| BuildError::Unavailable(e.0))?,
        ),
        // The OMG optimising compiler: BBQ first (JSC cannot start in OMG),
        // tiering up to OMG at the first call of every function.
        #[cfg(feature = "jsc")]
        "jsc-omg" => Arc::new(
            crate::external::jsc(
                name,
                &[
                    "--useWasmIPInt=false",
                    "--useWasmLLInt=false",
                    "--thresholdForOMGOptimizeAfterWarmUp=0",
                    "--thresholdForOMGOptimizeSoon=0",
                    "--useWasmOSR=true",
                ],
            )
            .map_err(|e| BuildError::Unavailable(e.0))?,
        ),
        // V8 as Chromium ships it, in a real headless browser page; optimising
        // tier only, as `v8-turbofan`.
        #[cfg(feature = "chromium")]
        "v8-chromium" => Arc::new(crate::external::chromium(name).map_err(|e| BuildError::Unavailable(e.0))?),
        _ => {
            return Err(BuildError::Unknown(format!(
                "unknown engine `{name}` (this build has: {})",
                names().join(", ")
            )));
        }
    };
    Ok(engine)
}

/// Starts an engine that speaks the line protocol (`--engine-cmd NAME=COMMAND`).
pub fn build_command(name: &str, command: &str) -> Result<Arc<dyn Engine>, BuildError> {
    let mut words = command.split_whitespace().map(String::from);
    let program = words
        .next()
        .ok_or_else(|| BuildError::Unknown(format!("engine `{name}` has an empty command")))?;
    let args: Vec<String> = words.collect();
    crate::external::ExternalEngine::start(name, &program, &args, crate::external::request_timeout())
        .map(|e| Arc::new(e) as Arc<dyn Engine>)
        .map_err(|e| BuildError::Unavailable(format!("engine `{name}` ({command}): {}", e.0)))
}
