//! Engine selection by name: the runners' registry, command engines
//! (`NAME=COMMAND`), and harness-side wrappers (fault injection).

use crate::execute::mutant::{self, MutantEngine};
use crate::execute::slow::{self, SlowEngine};
use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wasmgate_runners::Engine;
use wasmgate_runners::registry::{self, BuildError};

/// The engines a run uses when none are named: every one in this build but
/// the opt-in ones (`registry::OPT_IN`).
pub fn default_names() -> Vec<String> {
    registry::defaults().into_iter().map(String::from).collect()
}

/// Every engine in this build, the opt-in ones too (`wasmgate engines`).
pub fn all_names() -> Vec<String> {
    registry::names().into_iter().map(String::from).collect()
}

/// An engine that was asked for but cannot run here, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unavailable {
    pub engine: String,
    pub reason: String,
}

fn build(spec: &str) -> Result<Arc<dyn Engine>, BuildError> {
    if spec.starts_with(slow::PREFIX) {
        let inner = |name: &str| build(name).map_err(|e| anyhow!("{e}"));
        return SlowEngine::parse(spec, inner)
            .map(|m| Arc::new(m) as Arc<dyn Engine>)
            .map_err(|e| BuildError::Unknown(format!("{e:#}")));
    }
    if mutant::PREFIXES.iter().any(|p| spec.starts_with(p)) {
        let inner = |name: &str| build(name).map_err(|e| anyhow!("{e}"));
        return MutantEngine::parse(spec, inner)
            .map(|m| Arc::new(m) as Arc<dyn Engine>)
            .map_err(|e| BuildError::Unknown(format!("{e:#}")));
    }
    if let Some((name, command)) = spec.split_once('=') {
        let name = name.trim();
        if registry::names().contains(&name) {
            return Err(BuildError::Unknown(format!(
                "`{name}` is the name of a built-in engine; give the command engine another name (e.g. `{name}-cmd`)"
            )));
        }
        if name.is_empty() || name.contains([':', ',', '/', ' ']) {
            return Err(BuildError::Unknown(format!(
                "`{name}` cannot name an engine: use letters, digits, `-`, `_` or `.`"
            )));
        }
        return registry::build_command(name, command.trim());
    }
    registry::build(spec)
}

/// Builds the engine `spec` names: a registry name, `NAME=COMMAND` for an
/// engine speaking the line protocol, or a fault-injecting
/// `mutant:ENGINE:OP`, `crash:ENGINE:OP` or `hang:ENGINE:OP`, or a slowed
/// `slow:ENGINE:PCT[@PHASE]` (`wasmgate perf`).
pub fn resolve(spec: &str) -> Result<Arc<dyn Engine>> {
    build(spec).map_err(|e| anyhow!("{e}"))
}

/// The engines of a run: those that started, and those that could not.
pub struct Resolved {
    pub engines: Vec<Arc<dyn Engine>>,
    /// The specs of `engines`, in order (what worker processes are given).
    pub specs: Vec<String>,
    pub unavailable: Vec<Unavailable>,
}

/// Engines built by [`resolve_all`] in this process, by spec: a command
/// that resolves its engines more than once (the run checks them before it
/// starts, then journals and runs them) starts each only once.
type Built = std::collections::HashMap<String, Build>;
type Build = Result<Arc<dyn Engine>, BuildError>;

fn built() -> &'static std::sync::Mutex<Built> {
    static BUILT: std::sync::OnceLock<std::sync::Mutex<Built>> = std::sync::OnceLock::new();
    BUILT.get_or_init(Default::default)
}

/// Builds every engine in `specs`, each at most once per process and all at
/// once (a browser takes seconds to start, a JavaScript shell most of one:
/// started side by side they cost the slowest, not the sum). Unknown names
/// and duplicates are errors; engines this machine cannot run (no `node`,
/// …) are set aside with a reason.
pub fn resolve_all(specs: &[String]) -> Result<Resolved> {
    let missing: Vec<String> = {
        let built = built().lock().unwrap_or_else(|p| p.into_inner());
        let mut missing: Vec<String> = Vec::new();
        for spec in specs {
            if !built.contains_key(spec) && !missing.contains(spec) {
                missing.push(spec.clone());
            }
        }
        missing
    };
    // Each engine starts on a thread that stays: an engine's child process
    // dies with the thread that started it.
    let starting: Vec<_> = missing
        .into_iter()
        .map(|spec| {
            let start = spec.clone();
            (
                spec,
                wasmgate_runners::child::on_lasting_thread(move || build(&start)),
            )
        })
        .collect();
    let fresh: Vec<(String, Build)> = starting
        .into_iter()
        .map(|(spec, started)| {
            let engine = started
                .recv()
                .unwrap_or_else(|_| panic!("starting engine `{spec}` panicked"));
            (spec, engine)
        })
        .collect();
    let built = {
        let mut built = built().lock().unwrap_or_else(|p| p.into_inner());
        built.extend(fresh);
        specs
            .iter()
            .map(|spec| (spec, built[spec].clone()))
            .collect::<Vec<_>>()
    };
    let mut resolved = Resolved {
        engines: vec![],
        specs: vec![],
        unavailable: vec![],
    };
    let mut seen = std::collections::HashSet::new();
    for (spec, engine) in built {
        match engine {
            Ok(engine) => {
                if !seen.insert(engine.info().name.clone()) {
                    return Err(anyhow!("engine `{}` is listed twice", engine.info().name));
                }
                resolved.engines.push(engine);
                resolved.specs.push(spec.clone());
            }
            Err(BuildError::Unknown(e)) => return Err(anyhow!(e)),
            Err(BuildError::Unavailable(reason)) => {
                let engine = spec.split_once('=').map(|(n, _)| n).unwrap_or(spec).to_string();
                resolved.unavailable.push(Unavailable { engine, reason });
            }
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_started_once_per_process_and_keep_their_order() {
        let specs: Vec<String> = ["wasmi", "wasmtime-cranelift"].map(String::from).to_vec();
        let first = resolve_all(&specs).unwrap();
        let reversed: Vec<String> = specs.iter().rev().cloned().collect();
        let second = resolve_all(&reversed).unwrap();
        assert_eq!(second.specs, reversed);
        assert!(Arc::ptr_eq(&first.engines[0], &second.engines[1]));
        assert!(Arc::ptr_eq(&first.engines[1], &second.engines[0]));
        let twice = resolve_all(&["wasmi".to_string(), "wasmi".to_string()]);
        assert!(twice.err().unwrap().to_string().contains("listed twice"));
        assert!(resolve_all(&["no-such-engine".to_string()]).is_err());
    }
}
