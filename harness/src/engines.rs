//! Engine selection by name: the runners' registry plus harness-side wrappers
//! (fault-injecting mutants).

use crate::mutant::{self, MutantEngine};
use anyhow::{Result, anyhow};
use std::sync::Arc;
use wasmgate_runners::{Engine, registry};

/// The engines a run uses when none are named: every one in this build.
pub fn default_names() -> Vec<String> {
    registry::names().into_iter().map(String::from).collect()
}

/// Builds the engine called `name` (a registry name, or a fault-injecting
/// `mutant:ENGINE:OP`, `crash:ENGINE:OP` or `hang:ENGINE:OP`).
pub fn resolve(name: &str) -> Result<Arc<dyn Engine>> {
    if mutant::PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Ok(Arc::new(MutantEngine::parse(name, resolve)?));
    }
    registry::build(name).map_err(|e| anyhow!(e))
}

/// Builds every engine in `names`, rejecting duplicates.
pub fn resolve_all(names: &[String]) -> Result<Vec<Arc<dyn Engine>>> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .map(|n| {
            if !seen.insert(n.as_str()) {
                return Err(anyhow!("engine `{n}` is listed twice"));
            }
            resolve(n)
        })
        .collect()
}
