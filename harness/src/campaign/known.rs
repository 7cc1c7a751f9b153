//! The known-divergence list: findings of `run` (and `sweep`) that are
//! understood — an engine bug reported upstream, say — and do not fail the gate.
//! Entries name a divergence signature (one way a bug shows), or a root cause
//! (`cause = "cause-…"`, see [`crate::campaign::cause`]): every case that
//! cause explains on its own, however it shows ([`crate::campaign::attribute`]
//! splits findings case by case first).

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
    #[serde(default)]
    pub signature: String,
    /// Or a root cause, e.g. `cause-1c0ffee5`: every finding of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Why it is known (the bug, where it is tracked).
    pub reason: String,
    /// `YYYY-MM-DD`: from the day after, the entry fails the gate (someone
    /// promised to look again by then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// With `versions`: the engine (`jsc-bbq`) or code base (`jsc`: any of
    /// its engines in the run) whose version decides whether the entry applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// A semver range (`">=2.0, <2.1"`) of `engine`'s version the entry
    /// applies to; outside it, the finding is new (the bug should be fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
}

impl Entry {
    /// Whether the entry names this finding.
    fn names(&self, f: &crate::report::Finding) -> bool {
        match &self.cause {
            // Attribution gave each case its own cause: a finding carries a
            // known cause only when that cause explains every one of its cases.
            Some(cause) => f.cause.as_ref().is_some_and(|c| &c.id == cause),
            None => self.signature == f.signature,
        }
    }

    /// Whether the entry names this finding in a report with these engines:
    /// with `engine` and `versions`, every blamed engine of that engine or
    /// code base must run a version in the range — the same cause blamed on
    /// a newer release (Firefox's SpiderMonkey beside the old shell's, say)
    /// is news, not the known bug.
    fn names_in(&self, f: &crate::report::Finding, engines: &[wasmgate_runners::EngineInfo]) -> bool {
        if !self.names(f) {
            return false;
        }
        let (Some(engine), Some(range)) = (&self.engine, &self.versions) else {
            return true;
        };
        f.blamed.iter().filter(|b| is_of(b, engine)).all(|b| {
            engines
                .iter()
                .find(|e| &e.name == b)
                .is_some_and(|e| crate::compare::version_in(range, &e.version))
        })
    }

    /// What the entry names, for messages.
    fn label(&self) -> &str {
        self.cause.as_deref().unwrap_or(&self.signature)
    }

    /// Whether the entry applies to a report with these engines.
    fn applies(&self, engines: &[wasmgate_runners::EngineInfo]) -> bool {
        let (Some(engine), Some(range)) = (&self.engine, &self.versions) else {
            return true;
        };
        engines
            .iter()
            .filter(|e| is_of(&e.name, engine))
            .any(|e| crate::compare::version_in(range, &e.version))
    }
}

/// Whether the engine configuration `name` is `engine` or one of its code base's.
fn is_of(name: &str, engine: &str) -> bool {
    name == engine || crate::compare::code_base(name) == engine
}

/// Today's date, `YYYY-MM-DD` (UTC).
fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_string()
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
    let origin = path.map_or("the built-in known-divergence list".to_string(), |p| {
        p.display().to_string()
    });
    for e in &file.divergence {
        if e.signature.is_empty() == e.cause.is_none() {
            return Err(anyhow!(
                "{origin}: each known divergence names either a `signature` or a `cause`, not {}",
                if e.cause.is_none() { "neither" } else { "both" }
            ));
        }
        if e.reason.trim().is_empty() {
            return Err(anyhow!("{origin}: known divergence {} has no reason", e.label()));
        }
        if let Some(d) = &e.expires
            && (d.len() != 10 || humantime::parse_rfc3339(&format!("{d}T00:00:00Z")).is_err())
        {
            return Err(anyhow!(
                "{origin}: known divergence {}: expires = \"{d}\" is not a date (YYYY-MM-DD)",
                e.label()
            ));
        }
        match (&e.engine, &e.versions) {
            (None, Some(_)) => {
                return Err(anyhow!(
                    "{origin}: known divergence {}: `versions` needs `engine` (whose version it ranges over)",
                    e.label()
                ));
            }
            (_, Some(v)) if semver::VersionReq::parse(v).is_err() => {
                return Err(anyhow!(
                    "{origin}: known divergence {}: versions = \"{v}\" is not a version range (e.g. \">=2.0, <2.1\")",
                    e.label()
                ));
            }
            _ => {}
        }
    }
    Ok(file.divergence)
}

/// Marks the report's findings that the list knows; records entries that
/// matched nothing (stale) and entries past their date (which fail the gate).
pub fn apply(report: &mut Report, list: &[Entry]) {
    let today = today();
    let engines = report.envelope.engines.clone();
    let live: Vec<&Entry> = list.iter().filter(|e| e.applies(&engines)).collect();
    for f in &mut report.findings {
        f.known = live
            .iter()
            .find(|e| e.names_in(f, &engines) && e.expires.as_ref().is_none_or(|d| *d >= today))
            .map(|e| e.reason.clone());
    }
    report.summary.known_findings = report.findings.iter().filter(|f| f.known.is_some()).count() as u64;
    report.known_list.explained = list
        .iter()
        .filter_map(|e| {
            let cases: u64 = report
                .findings
                .iter()
                .filter(|f| e.names_in(f, &engines))
                .map(|f| f.count)
                .sum();
            (cases > 0).then(|| crate::report::Explained {
                entry: e.label().to_string(),
                cases,
            })
        })
        .collect();
    report.known_list.stale = list
        .iter()
        .filter(|e| !report.findings.iter().any(|f| e.names_in(f, &engines)))
        .map(|e| e.label().to_string())
        .collect();
    report.known_list.expired = list
        .iter()
        .filter_map(|e| {
            let d = e.expires.as_ref()?;
            (*d < today).then(|| {
                format!(
                    "known-divergence entry {} expired on {d} ({}): look at it again, then renew or remove it",
                    e.label(),
                    e.reason
                )
            })
        })
        .collect();
}

/// What the report already in `out` (from an earlier run into the same
/// folder) says each known entry explained, with its kind and seeds, read
/// before the folder is cleared.
pub fn previous(out: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("report.json")).ok()?;
    let r: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(serde_json::json!({
        "kind": r["kind"],
        "seeds": r["run"]["seeds"],
        "explained": r["known_list"]["explained"],
    }))
}

/// Says so when a known entry explained more cases than in the `previous`
/// report of the same kind over the same seeds: the engine, the generator or
/// the list changed, and the jump deserves a look.
pub fn jumps(report: &mut Report, previous: Option<&serde_json::Value>) {
    let Some(p) = previous else { return };
    let same = p["kind"] == serde_json::json!(report.envelope.kind)
        && p["seeds"] == serde_json::json!(report.run.seeds);
    if !same {
        return;
    }
    let before = |entry: &str| {
        p["explained"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["entry"] == entry))
            .and_then(|e| e["cases"].as_u64())
            .unwrap_or(0)
    };
    report.known_list.jumped = report
        .known_list
        .explained
        .iter()
        .filter(|e| e.cases > before(&e.entry))
        .map(|e| {
            format!(
                "known entry {} explained {} case(s), {} in the previous report over the same seeds: look at what changed",
                e.entry,
                e.cases,
                before(&e.entry)
            )
        })
        .collect();
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_in_list_parses() {
        assert!(!super::load(None).unwrap().is_empty());
    }

    #[test]
    fn versions_are_read_from_engine_version_texts() {
        assert_eq!(crate::compare::version_of("48.0.0").unwrap().major, 48);
        assert_eq!(
            crate::compare::version_of("node 20.20.2 / V8 11.3.244.8-node.38")
                .unwrap()
                .minor,
            20
        );
        assert!(crate::compare::version_of("unknown").is_none());
    }

    #[test]
    fn a_version_range_names_only_findings_blamed_on_versions_in_it() {
        let entry: super::Entry = serde_json::from_value(serde_json::json!({
            "cause": "cause-1", "reason": "old shell", "engine": "spidermonkey", "versions": "=102.15.1"
        }))
        .unwrap();
        let info = |name: &str, version: &str| wasmgate_runners::EngineInfo {
            name: name.to_string(),
            version: version.to_string(),
            features: vec![],
        };
        let engines = [
            info("spidermonkey-ion", "SpiderMonkey 102.15.1"),
            info("spidermonkey-firefox", "Firefox 153.8.0"),
            info("wasmtime-cranelift", "48.0.0"),
        ];
        let finding = |blamed: &[&str]| {
            let mut f: crate::report::Finding = serde_json::from_value(serde_json::json!({
                "signature": "s", "signature_text": "t", "kind": "value", "blamed": blamed,
                "majority": true, "code_bases": 2, "step": "call", "at": {"phase": "call"},
                "groups": [], "count": 1, "seeds": [1], "bundle": "b"
            }))
            .unwrap();
            f.cause =
                Some(serde_json::from_value(serde_json::json!({"id": "cause-1", "text": "x"})).unwrap());
            f
        };
        assert!(entry.names_in(&finding(&["spidermonkey-ion"]), &engines));
        // The same cause on Firefox's newer SpiderMonkey is a new finding.
        assert!(!entry.names_in(&finding(&["spidermonkey-firefox"]), &engines));
        assert!(!entry.names_in(&finding(&["spidermonkey-ion", "spidermonkey-firefox"]), &engines));
    }
}
