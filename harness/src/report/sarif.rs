//! `report.sarif`: findings (and compat's incompatibilities) as SARIF 2.1.0,
//! so code-scanning views list them. One result per finding, the repro
//! command in the message, one rule per finding kind; the finding's
//! signature is its fingerprint, so a view tracks it across runs.
//!
//! Each result points at a text file and line a code-scanning view can show:
//! an `expected` finding at the vectors file's line that stated the
//! expectation; another finding of `check`, `compat`, `wasi` or `corpus` at
//! its module; a generated case's finding at its bundle's `module.wat`, on
//! the line of the root cause's instruction (or else of the called
//! function). URIs are relative to the repository holding the current
//! folder (`%SRCROOT%`, in `originalUriBaseIds`), or absolute `file://`
//! URIs outside it.

use super::model::{Finding, Report, ReportKind};
use crate::compare::DivergenceKind;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const INFORMATION_URI: &str = "https://github.com/wasmgate/wasmgate";

fn rule(kind: &str, text: &str) -> Value {
    json!({
        "id": format!("wasmgate/{kind}"),
        "name": kind,
        "shortDescription": { "text": text },
        "fullDescription": { "text": format!("{text}. Reported by wasmgate; reproduce with the command in the result's message.") },
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": { "level": "error" }
    })
}

fn kind_text(kind: DivergenceKind) -> &'static str {
    match kind {
        DivergenceKind::Validation => "Engines disagree on whether the module is valid",
        DivergenceKind::Instantiation => "Engines disagree on instantiating the module",
        DivergenceKind::ReturnVsTrap => "One engine returns where another traps",
        DivergenceKind::Trap => "Engines trap with different trap kinds",
        DivergenceKind::Value => "Engines return different values",
        DivergenceKind::Global => "Engines leave different exported globals",
        DivergenceKind::Memory => "Engines leave different memory contents",
        DivergenceKind::Error => "An engine reports an error that is neither a trap nor exhaustion",
        DivergenceKind::Crash => "An engine crashed",
        DivergenceKind::Hang => "An engine hung past the time limit",
        DivergenceKind::Expected => "A result differs from the expectation written down for it",
        DivergenceKind::Exit => {
            "A WASI program exits differently (code, trap or error) on different runtimes"
        }
        DivergenceKind::Stdout => "A WASI program prints different stdout on different runtimes",
        DivergenceKind::Stderr => "A WASI program prints different stderr on different runtimes",
        DivergenceKind::Files => "A WASI program leaves different files on different runtimes",
    }
}

/// The base id of repository-relative URIs.
const SRCROOT: &str = "SRCROOT";

/// The repository holding the current folder (the nearest folder up with a
/// `.git`), or the current folder.
fn source_root() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    here.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&here)
        .to_path_buf()
}

/// Where findings point: files under `root` by relative URI.
struct Places {
    root: PathBuf,
}

impl Places {
    /// A location at `line` of the file at `path` (relative to the current folder or absolute).
    fn at(&self, path: &Path, line: u64) -> Value {
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        });
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        let artifact = match absolute.strip_prefix(&root) {
            Ok(relative) => json!({
                "uri": relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
                "uriBaseId": SRCROOT,
            }),
            Err(_) => json!({ "uri": format!("file://{}", absolute.display()) }),
        };
        json!([{ "physicalLocation": {
            "artifactLocation": artifact,
            "region": { "startLine": line.max(1) }
        }}])
    }

    /// `FILE:LINE` as a location.
    fn stated(&self, stated: &str) -> Value {
        match stated
            .rsplit_once(':')
            .and_then(|(f, l)| Some((f, l.parse::<u64>().ok()?)))
        {
            Some((file, line)) => self.at(Path::new(file), line),
            None => self.at(Path::new(stated), 1),
        }
    }

    /// The root as `originalUriBaseIds` gives it (a folder URI ends in `/`).
    fn base_ids(&self) -> Value {
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        json!({ SRCROOT: { "uri": format!("file://{}/", root.display().to_string().trim_end_matches('/')) } })
    }
}

/// The line of `wat` a finding is about: the root cause's instruction
/// (`wasmi: i32.eqz feeding a select` → the first `i32.eqz`), else the
/// function the diverging call called, else none.
fn line_in(wat: &str, f: &Finding) -> Option<u64> {
    let word = |line: &str, w: &str| {
        line.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .any(|t| t == w)
    };
    if let Some(op) = f
        .cause
        .as_ref()
        .and_then(|c| c.text.split_once(": "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        && let Some(n) = wat.lines().position(|l| word(l, op))
    {
        return Some(n as u64 + 1);
    }
    let export = serde_json::to_string(f.at.export.as_ref()?).ok()?;
    let func = wat
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("(export {export} (func ")))?
        .rsplit_once("(func ")?
        .1
        .trim_end_matches(')')
        .trim()
        .to_string();
    let head = format!("(func (;{func};)");
    wat.lines()
        .position(|l| l.trim_start().starts_with(&head))
        .map(|n| n as u64 + 1)
}

/// Where a finding points (see the module doc); `dir` is the report's folder.
fn location(report: &Report, f: &Finding, dir: &Path, places: &Places) -> Value {
    if let Some(stated) = &f.stated {
        return places.stated(stated);
    }
    let module = f.seeds.first().and_then(|&i| report.module_of(i)).filter(|_| {
        matches!(
            report.envelope.kind,
            ReportKind::Check | ReportKind::Compat | ReportKind::Wasi | ReportKind::Corpus
        )
    });
    match module {
        Some(m) => places.at(Path::new(m), 1),
        None => {
            let wat = dir.join(&f.bundle).join("module.wat");
            let line = std::fs::read_to_string(&wat)
                .ok()
                .and_then(|text| line_in(&text, f))
                .unwrap_or(1);
            places.at(&wat, line)
        }
    }
}

/// The report as a SARIF 2.1.0 log; `dir` is the folder it is written to
/// (bundles are inside it).
pub fn render(report: &Report, dir: &Path) -> Value {
    let places = Places { root: source_root() };
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut rule_index = |id: &str, text: &str| -> usize {
        if let Some(i) = rule_ids.iter().position(|r| r == id) {
            return i;
        }
        rule_ids.push(id.to_string());
        rules.push(rule(id, text));
        rule_ids.len() - 1
    };
    let mut results = Vec::new();
    for f in &report.findings {
        let index = rule_index(f.kind.name(), kind_text(f.kind));
        let who = super::who(f.majority, f.code_bases, f.expected.is_some());
        let expected = f
            .expected
            .as_ref()
            .map(|e| format!(" Expected: {e}."))
            .unwrap_or_default();
        let mut result = json!({
            "ruleId": format!("wasmgate/{}", f.kind.name()),
            "ruleIndex": index,
            "level": if f.known.is_some() { "note" } else { "error" },
            "message": { "text": format!(
                "{} divergence at {} ({who}: {}).{expected} Reproduce: wasmgate repro {}",
                f.kind, f.step, f.blamed.join(", "), f.bundle
            )},
            "locations": location(report, f, dir, &places),
            "partialFingerprints": { "wasmgateSignature/v1": f.signature },
            "properties": {
                "signature": f.signature,
                "blamed": f.blamed,
                "cases": f.count,
                "bundle": f.bundle,
            }
        });
        if let Some(reason) = &f.known {
            result["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
        }
        results.push(result);
    }
    if let Some(c) = &report.compat {
        let mut push = |kind: &str, text: &str, message: String| {
            let index = rule_index(kind, text);
            results.push(json!({
                "ruleId": format!("wasmgate/{kind}"),
                "ruleIndex": index,
                "level": "error",
                "message": { "text": format!("{message}. Reproduce: wasmgate compat {} {}", c.old, c.new) },
                "locations": places.at(Path::new(&c.new), 1),
                "partialFingerprints": { "wasmgateSignature/v1": format!("{kind}:{message}") },
            }));
        };
        for r in &c.removed {
            push(
                "compat-removed",
                "An export of the old version is missing",
                format!("export `{r}` was removed"),
            );
        }
        for ch in &c.changed {
            push(
                "compat-signature",
                "An export's signature changed",
                format!("export `{}` changed from {} to {}", ch.export, ch.old, ch.new),
            );
        }
        for b in &c.behaviour {
            push(
                "compat-behaviour",
                "A call behaves differently in the new version",
                b.to_string(),
            );
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "wasmgate",
                "version": report.envelope.tool.version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "automationDetails": { "id": format!("wasmgate/{}/{}", report.envelope.kind, report.run.name) },
            "invocations": [{
                "executionSuccessful": report.envelope.gate.exit_code != super::exit::USAGE,
                "exitCode": report.envelope.gate.exit_code,
            }],
            "originalUriBaseIds": places.base_ids(),
            "results": results,
        }]
    })
}
