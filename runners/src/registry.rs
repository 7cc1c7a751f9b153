//! The engine registry: every configuration compiled into this build, by name.

use crate::engine::Engine;
use std::sync::Arc;

/// Every engine configuration wasmgate knows, with whether this build has it.
const KNOWN: [(&str, bool); 16] = [
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
    ("spidermonkey-baseline", cfg!(feature = "spidermonkey")),
    ("spidermonkey-ion", cfg!(feature = "spidermonkey")),
    ("v8-chromium", cfg!(feature = "chromium")),
    ("spidermonkey-firefox", cfg!(feature = "firefox")),
    ("spidermonkey-firefox-baseline", cfg!(feature = "firefox")),
];

/// Configurations a command runs only when named (`--engines`): a second
/// browser per code base would add a third to the default run's time for a
/// tier the shell configurations already cover.
pub const OPT_IN: [&str; 1] = ["spidermonkey-firefox-baseline"];

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
    match name.split_once('@').map_or(name, |(base, _)| base) {
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
        "spidermonkey-baseline" | "spidermonkey-firefox-baseline" => {
            "Baseline (RabaldrMonkey), baseline compiler"
        }
        "spidermonkey-ion" | "spidermonkey-firefox" => "Ion, optimising compiler",
        "wasmtime-wasi" => "WASI preview1: wasmtime-wasi, on Cranelift",
        "wasmi-wasi" => "WASI preview1: wasmi_wasi (wasi-common), on wasmi",
        "wasmer-wasi" => "WASI preview1: wasmer-wasix, on Cranelift",
        "node-wasi" => "WASI preview1: node:wasi (uvwasi), on V8",
        _ => "",
    }
}

/// The browsers' short names: `firefox` is `spidermonkey-firefox` and
/// `chromium` is `v8-chromium`, also before `@BINARY`
/// (`firefox@/opt/firefox-developer/firefox`).
pub const ALIASES: [(&str, &str); 2] = [("firefox", "spidermonkey-firefox"), ("chromium", "v8-chromium")];

/// A configuration's name with an alias ([`ALIASES`]) spelled out.
pub fn canonical(name: &str) -> String {
    let (base, binary) = match name.split_once('@') {
        Some((base, binary)) => (base, Some(binary)),
        None => (name, None),
    };
    let base = ALIASES
        .iter()
        .find(|(alias, _)| *alias == base)
        .map_or(base, |(_, full)| full);
    match binary {
        Some(binary) => format!("{base}@{binary}"),
        None => base.to_string(),
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

/// The configurations a command runs when none are named: every one in
/// this build but the [`OPT_IN`] ones.
pub fn defaults() -> Vec<&'static str> {
    names().into_iter().filter(|n| !OPT_IN.contains(n)).collect()
}

/// V8 flags of the two `node` configurations, JSC options of the three `jsc`
/// ones, the SpiderMonkey shell's options of its two and Firefox's preferences.
#[cfg_attr(
    not(all(
        feature = "v8",
        feature = "jsc",
        feature = "spidermonkey",
        feature = "firefox"
    )),
    allow(dead_code)
)]
mod options {
    pub const V8_TURBOFAN: &[&str] = &["--no-liftoff", "--no-wasm-tier-up", "--no-wasm-lazy-compilation"];
    pub const V8_LIFTOFF: &[&str] = &[
        "--liftoff-only",
        "--no-wasm-tier-up",
        "--no-wasm-lazy-compilation",
    ];
    pub const JSC_IPINT: &[&str] = &["--useBBQJIT=false", "--useOMGJIT=false"];
    pub const JSC_BBQ: &[&str] = &[
        "--useWasmIPInt=false",
        "--useWasmLLInt=false",
        "--useOMGJIT=false",
    ];
    pub const JSC_OMG: &[&str] = &[
        "--useWasmIPInt=false",
        "--useWasmLLInt=false",
        "--thresholdForOMGOptimizeAfterWarmUp=0",
        "--thresholdForOMGOptimizeSoon=0",
        "--useWasmOSR=true",
    ];
    /// One wasm compiler each: no tiering from one to the other.
    pub const SM_BASELINE: &[&str] = &["--wasm-compiler=baseline"];
    pub const SM_ION: &[&str] = &["--wasm-compiler=ion"];
    /// Firefox's preferences for the same: Ion only, as `spidermonkey-ion`,
    /// or the baseline compiler only, as `spidermonkey-baseline`.
    pub const FIREFOX_ION: &[&str] = &[
        "javascript.options.wasm_baselinejit=false",
        "javascript.options.wasm_optimizingjit=true",
    ];
    pub const FIREFOX_BASELINE: &[&str] = &[
        "javascript.options.wasm_baselinejit=true",
        "javascript.options.wasm_optimizingjit=false",
    ];
}
#[cfg_attr(
    not(any(
        feature = "v8",
        feature = "jsc",
        feature = "spidermonkey",
        feature = "firefox"
    )),
    allow(unused_imports)
)]
use options::*;

/// The configurations that run in another process, built with `binary` in
/// place of their default one; `None` when `base` is not one of them.
///
/// `CONFIG@BINARY` names such a configuration with another binary
/// (`v8-turbofan@/opt/node-18/bin/node`, `jsc-omg@/opt/webkit-2.48/bin/jsc`,
/// `spidermonkey-ion@/opt/mozjs-128/bin/js`, `v8-chromium@/usr/bin/chromium-beta`), so that a release can be diffed
/// against its predecessor with the same blame (the same code base).
#[cfg_attr(
    not(all(
        feature = "v8",
        feature = "jsc",
        feature = "spidermonkey",
        feature = "chromium",
        feature = "firefox"
    )),
    allow(unused_variables)
)]
fn build_external(
    name: &str,
    base: &str,
    binary: Option<&str>,
) -> Option<Result<Arc<dyn Engine>, BuildError>> {
    use crate::js;
    let started: Option<Result<js::ExternalEngine, js::Unavailable>> = match base {
        // Optimising tier only, compiled eagerly so validation errors surface at compile.
        #[cfg(feature = "v8")]
        "v8-turbofan" => Some(js::v8(name, binary, V8_TURBOFAN)),
        // Baseline tier only.
        #[cfg(feature = "v8")]
        "v8-liftoff" => Some(js::v8(name, binary, V8_LIFTOFF)),
        // JavaScriptCore's in-place interpreter only.
        #[cfg(feature = "jsc")]
        "jsc-ipint" => Some(js::jsc(name, binary, JSC_IPINT)),
        // The BBQ baseline compiler only (no interpreter, no tier-up).
        #[cfg(feature = "jsc")]
        "jsc-bbq" => Some(js::jsc(name, binary, JSC_BBQ)),
        // The OMG optimising compiler: BBQ first (JSC cannot start in OMG),
        // tiering up to OMG at the first call of every function.
        #[cfg(feature = "jsc")]
        "jsc-omg" => Some(js::jsc(name, binary, JSC_OMG)),
        // SpiderMonkey's baseline compiler only, then its optimising one only.
        #[cfg(feature = "spidermonkey")]
        "spidermonkey-baseline" => Some(js::spidermonkey(name, binary, SM_BASELINE)),
        #[cfg(feature = "spidermonkey")]
        "spidermonkey-ion" => Some(js::spidermonkey(name, binary, SM_ION)),
        // V8 as Chromium ships it, in a real headless browser page; optimising
        // tier only, as `v8-turbofan`.
        #[cfg(feature = "chromium")]
        "v8-chromium" => Some(js::chromium(name, binary)),
        // SpiderMonkey as Firefox ships it, in a real headless browser page;
        // optimising tier only, as `spidermonkey-ion`.
        #[cfg(feature = "firefox")]
        "spidermonkey-firefox" => Some(js::firefox(name, binary, FIREFOX_ION)),
        // The same with the baseline compiler only (opt-in, see `OPT_IN`).
        #[cfg(feature = "firefox")]
        "spidermonkey-firefox-baseline" => Some(js::firefox(name, binary, FIREFOX_BASELINE)),
        _ => None,
    };
    started.map(|started| {
        started
            .map(|e| Arc::new(e) as Arc<dyn Engine>)
            .map_err(|e| BuildError::Unavailable(e.0))
    })
}

/// Builds the engine configuration called `name`, or says why it can't.
#[cfg_attr(
    not(any(
        feature = "wasmtime-cranelift",
        feature = "wasmtime-winch",
        feature = "wasmtime-pulley",
        feature = "wasmer-cranelift",
        feature = "wasmer-singlepass",
        feature = "wasmi"
    )),
    allow(unreachable_code, unused_variables)
)]
pub fn build(name: &str) -> Result<Arc<dyn Engine>, BuildError> {
    let canonical = canonical(name);
    let name = canonical.as_str();
    if let Some((base, binary)) = name.split_once('@') {
        return build_external(name, base, Some(binary)).unwrap_or_else(|| {
            Err(BuildError::Unknown(format!(
                "`{name}`: only an engine in another process can name its binary with @ (v8-turbofan, v8-liftoff, jsc-ipint, jsc-bbq, jsc-omg, spidermonkey-baseline, spidermonkey-ion, v8-chromium, spidermonkey-firefox, spidermonkey-firefox-baseline)"
            )))
        });
    }
    if let Some(built) = build_external(name, name, None) {
        return built;
    }
    let engine: Arc<dyn Engine> = match name {
        #[cfg(feature = "wasmtime-cranelift")]
        "wasmtime-cranelift" => Arc::new(
            crate::native::wasmtime::WasmtimeEngine::new(crate::native::wasmtime::Flavor::Cranelift)
                .map_err(BuildError::Unavailable)?,
        ),
        #[cfg(feature = "wasmtime-winch")]
        "wasmtime-winch" => Arc::new(
            crate::native::wasmtime::WasmtimeEngine::new(crate::native::wasmtime::Flavor::Winch)
                .map_err(BuildError::Unavailable)?,
        ),
        #[cfg(feature = "wasmtime-pulley")]
        "wasmtime-pulley" => Arc::new(
            crate::native::wasmtime::WasmtimeEngine::new(crate::native::wasmtime::Flavor::Pulley)
                .map_err(BuildError::Unavailable)?,
        ),
        #[cfg(feature = "wasmer-cranelift")]
        "wasmer-cranelift" => Arc::new(crate::native::wasmer::WasmerEngine::new(
            crate::native::wasmer::Compiler::Cranelift,
        )),
        #[cfg(feature = "wasmer-singlepass")]
        "wasmer-singlepass" => Arc::new(crate::native::wasmer::WasmerEngine::new(
            crate::native::wasmer::Compiler::Singlepass,
        )),
        #[cfg(feature = "wasmi")]
        "wasmi" => Arc::new(crate::native::wasmi::WasmiEngine::new()),
        _ if wasi_names().contains(&name) => {
            return Err(BuildError::Unknown(format!(
                "`{name}` runs WASI command programs: use it with `wasmgate wasi`"
            )));
        }
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
    crate::js::ExternalEngine::start(name, &program, &args, crate::js::request_timeout())
        .map(|e| Arc::new(e) as Arc<dyn Engine>)
        .map_err(|e| BuildError::Unavailable(format!("engine `{name}` ({command}): {}", e.0)))
}

/// Names of the WASI configurations this build has.
pub fn wasi_names() -> Vec<&'static str> {
    [
        ("wasmtime-wasi", cfg!(feature = "wasmtime-wasi")),
        ("wasmi-wasi", cfg!(feature = "wasmi-wasi")),
        ("wasmer-wasi", cfg!(feature = "wasmer-wasi")),
        ("node-wasi", cfg!(feature = "node-wasi")),
    ]
    .into_iter()
    .filter(|(_, built)| *built)
    .map(|(n, _)| n)
    .collect()
}

/// Builds the WASI configuration `name`; `Ok(None)` if `name` is not one.
// A build without any WASI feature leaves only the arms that return.
#[cfg_attr(
    not(any(
        feature = "wasmtime-wasi",
        feature = "wasmi-wasi",
        feature = "wasmer-wasi",
        feature = "node-wasi"
    )),
    allow(unreachable_code, unused_variables)
)]
pub fn build_wasi(name: &str) -> Result<Option<Box<dyn crate::wasi::WasiEngine>>, BuildError> {
    let engine: Box<dyn crate::wasi::WasiEngine> = match name {
        #[cfg(feature = "wasmtime-wasi")]
        "wasmtime-wasi" => {
            Box::new(crate::wasi::wasmtime::WasmtimeWasi::new().map_err(BuildError::Unavailable)?)
        }
        #[cfg(feature = "wasmi-wasi")]
        "wasmi-wasi" => Box::new(crate::wasi::wasmi::WasmiWasi::new()),
        #[cfg(feature = "wasmer-wasi")]
        "wasmer-wasi" => Box::new(crate::wasi::wasmer::WasmerWasi::new().map_err(BuildError::Unavailable)?),
        #[cfg(feature = "node-wasi")]
        "node-wasi" => {
            Box::new(crate::wasi::node::node_wasi(name).map_err(|e| BuildError::Unavailable(e.0))?)
        }
        _ if ["wasmtime-wasi", "wasmi-wasi", "wasmer-wasi", "node-wasi"].contains(&name) => {
            return Err(BuildError::Unknown(format!(
                "`{name}` is not in this build (cargo feature `{name}`)"
            )));
        }
        _ => return Ok(None),
    };
    Ok(Some(engine))
}

#[cfg(test)]
mod tests {
    #[test]
    fn browsers_have_short_names_also_before_a_binary() {
        assert_eq!(super::canonical("firefox"), "spidermonkey-firefox");
        assert_eq!(
            super::canonical("firefox@/opt/firefox-developer/firefox"),
            "spidermonkey-firefox@/opt/firefox-developer/firefox"
        );
        assert_eq!(
            super::canonical("chromium@/usr/bin/chromium-beta"),
            "v8-chromium@/usr/bin/chromium-beta"
        );
        assert_eq!(super::canonical("wasmi"), "wasmi");
        assert_eq!(super::canonical("firefox-baseline"), "firefox-baseline");
    }
}
