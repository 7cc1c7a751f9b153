//! `report.sarif`: findings (and compat's incompatibilities) as SARIF 2.1.0,
//! so code-scanning views list them. One result per finding, its module as
//! the artifact, the repro command in the message, one rule per finding kind;
//! the finding's signature is its fingerprint, so a view tracks it across runs.

use super::model::{Finding, Report, ReportKind};
use crate::compare::DivergenceKind;
use serde_json::{Value, json};

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

fn location(uri: &str) -> Value {
    json!([{ "physicalLocation": {
        "artifactLocation": { "uri": uri },
        "region": { "startLine": 1 }
    }}])
}

/// The artifact a finding is about: the user's module for `check` and
/// `compat`, the bundle's module for generated cases.
fn artifact(report: &Report, f: &Finding) -> String {
    let module = f.seeds.first().and_then(|&i| report.module_of(i)).filter(|_| {
        matches!(
            report.envelope.kind,
            ReportKind::Check | ReportKind::Compat | ReportKind::Wasi | ReportKind::Corpus
        )
    });
    match module {
        Some(m) => m.to_string(),
        None => format!("{}/module.wasm", f.bundle),
    }
}

/// The report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> Value {
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
            "locations": location(&artifact(report, f)),
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
                "locations": location(&c.new),
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
            "results": results,
        }]
    })
}
