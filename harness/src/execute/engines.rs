//! Engine selection by name: the runners' registry, command engines
//! (`NAME=COMMAND`), and harness-side wrappers (fault injection).

use crate::execute::mutant::{self, MutantEngine};
use crate::execute::slow::{self, SlowEngine};
use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wasmgate_runners::Engine;
use wasmgate_runners::registry::{self, BuildError};

/// The engines a run uses when none are named: every one in this build.
pub fn default_names() -> Vec<String> {
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
/// `slow:ENGINE:PCT` (`wasmgate perf`).
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

/// Builds every engine in `specs`. Unknown names and duplicates are errors;
/// engines this machine cannot run (no `node`, …) are set aside with a reason.
pub fn resolve_all(specs: &[String]) -> Result<Resolved> {
    let mut resolved = Resolved {
        engines: vec![],
        specs: vec![],
        unavailable: vec![],
    };
    let mut seen = std::collections::HashSet::new();
    for spec in specs {
        match build(spec) {
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
