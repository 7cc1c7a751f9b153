//! The known-divergence list: findings of `run` (and `sweep`) that are
//! understood — an engine bug reported upstream, say — and do not fail the gate.
//! Entries name a divergence signature, so a new way for the same bug to show
//! up is still a new finding.

use crate::report::Report;
use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The list shipped with wasmgate (`vectors/known-divergences.toml`).
pub const BUILT_IN: &str = include_str!("../../../vectors/known-divergences.toml");

/// One known divergence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The finding's signature, e.g. `trap-289b3293`.
    pub signature: String,
    /// Why it is known (the bug, where it is tracked).
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    divergence: Vec<Entry>,
}

/// Loads the list at `path`, or the built-in one.
pub fn load(path: Option<&Path>) -> Result<Vec<Entry>> {
    let file: File = crate::source::toml_file::read_list(path, BUILT_IN, "known-divergence list")?;
    if let Some(e) = file.divergence.iter().find(|e| e.reason.trim().is_empty()) {
        return Err(anyhow!("known divergence {} has no reason", e.signature));
    }
    Ok(file.divergence)
}

/// Marks the report's findings that the list knows.
pub fn apply(report: &mut Report, list: &[Entry]) {
    for f in &mut report.findings {
        f.known = list
            .iter()
            .find(|e| e.signature == f.signature)
            .map(|e| e.reason.clone());
    }
    report.summary.known_findings = report.findings.iter().filter(|f| f.known.is_some()).count() as u64;
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_in_list_parses() {
        assert!(!super::load(None).unwrap().is_empty());
    }
}
