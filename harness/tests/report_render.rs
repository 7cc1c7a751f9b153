//! Rendered report formats, pinned as snapshots.

use std::collections::BTreeMap;
use wasmgate_harness::compare::{At, DivergenceKind, Group, Observed};
use wasmgate_harness::execute::Timings;
use wasmgate_harness::report::{
    EngineTimings, Envelope, FeatureUse, Finding, Report, ReportKind, RunInfo, SeedRange, Summary, Timing,
    Tool,
};
use wasmgate_harness::source::profile::Profile;
use wasmgate_runners::{EngineInfo, Feature, Val};

fn sample() -> Report {
    let engine = |name: &str| EngineInfo {
        name: name.into(),
        version: "1.0.0".into(),
        features: vec![Feature::MutableGlobal, Feature::BulkMemory],
    };
    let mut envelope = Envelope::new(
        ReportKind::Run,
        vec![engine("alpha"), engine("beta"), engine("gamma")],
        vec![wasmgate_harness::execute::engines::Unavailable {
            engine: "delta".into(),
            reason: "delta needs Node.js: cannot start `node`".into(),
        }],
        Timing {
            started_at: "2026-01-01T00:00:00Z".into(),
            wall_ms: 1234,
        },
    );
    envelope.tool = Tool {
        name: "wasmgate".into(),
        version: "0.0.0-test".into(),
    };
    let mut report = Report {
        envelope,
        run: RunInfo {
            name: "sample".into(),
            profile: Profile::Default,
            seeds: SeedRange { start: 0, end: 100 },
            shard: None,
            generator_version: "gen-test".into(),
            incomplete: None,
            interrupted: false,
            limits: Default::default(),
            time_budget_ms: None,
            jobs: 2,
            modules: Vec::new(),
        },
        summary: Summary {
            cases: 100,
            agreed: 96,
            diverged: 3,
            inconclusive: 1,
            generation_errors: 0,
            unique_findings: 1,
            known_findings: 0,
            calls: 400,
            calls_returned: 180,
            skipped: BTreeMap::from([("alpha".into(), 0), ("beta".into(), 0), ("gamma".into(), 7)]),
            inconclusive_reasons: BTreeMap::from([("beta exhausted stack-overflow".into(), 1)]),
            features: BTreeMap::from([(
                "gc".into(),
                FeatureUse {
                    cases: 3,
                    ran: BTreeMap::from([("alpha".into(), 3), ("beta".into(), 3)]),
                    skipped: BTreeMap::from([("gamma".into(), 3)]),
                },
            )]),
            wasm3_cases: 3,
            lost_replays: 1,
        },
        findings: vec![Finding {
            signature: "value-0123abcd".into(),
            signature_text: "gamma|value|->i32".into(),
            kind: DivergenceKind::Value,
            blamed: vec!["gamma".into()],
            majority: true,
            code_bases: 3,
            step: "call 0 \"f\"(i32:1)".into(),
            at: At {
                phase: "call".into(),
                call: Some(0),
                export: Some("f".into()),
                args: vec![Val::I32(1)],
            },
            groups: vec![
                Group {
                    engines: vec!["alpha".into(), "beta".into()],
                    observed: "returned [i32:2]".into(),
                    outcome: Observed::Returned {
                        values: vec![Val::I32(2)],
                    },
                },
                Group {
                    engines: vec!["gamma".into()],
                    observed: "returned [i32:3]".into(),
                    outcome: Observed::Returned {
                        values: vec![Val::I32(3)],
                    },
                },
            ],
            count: 3,
            seeds: vec![4, 17, 88],
            bundle: "findings/value-0123abcd".into(),
            minimized: Some("findings/value-0123abcd/minimized".into()),
            cause: None,
            known: None,
            expected: None,
            stated: None,
        }],
        timings: BTreeMap::from([(
            "alpha".into(),
            EngineTimings {
                cases: 100,
                timings: Timings {
                    compile_us: 5000,
                    instantiate_us: 200,
                    execute_us: 900,
                    teardown_us: 300,
                },
            },
        )]),
        compat: None,
        known_list: Default::default(),
        wasi: None,
        perf: None,
        leads: vec![],
        calls: vec![],
    };
    report.judge_gate();
    report
}

#[test]
fn summary_markdown() {
    insta::assert_snapshot!(sample().to_markdown());
}

#[test]
fn report_json_round_trips() {
    let report = sample();
    let json = serde_json::to_string_pretty(&report).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    insta::assert_snapshot!(json);
}

#[test]
fn summary_markdown_puts_the_largest_groups_first_and_stays_under_1_mib() {
    let mut report = sample();
    let template = report.findings[0].clone();
    report.findings = (0..20_000u64)
        .map(|i| {
            let mut f = template.clone();
            f.signature = format!("value-{i:08x}");
            f.count = i % 97 + 1;
            f.groups[0].observed = "returned [i32:2] ".repeat(20);
            f
        })
        .collect();
    let md = report.to_markdown();
    assert!(md.len() < 1024 * 1024, "{} bytes", md.len());
    let first = md.find("### `").unwrap();
    assert!(
        md[first..].starts_with("### `value-"),
        "{}",
        &md[first..first + 40]
    );
    // The first finding shown in full is one of those hit most often (97 cases).
    let hit = first + md[first..].find("- hit by").unwrap();
    assert!(
        md[hit..].starts_with("- hit by 97 case(s)"),
        "{}",
        &md[hit..hit + 30]
    );
    assert!(md.contains("<details><summary>19980 more finding(s)</summary>"));
    assert!(md.contains("more: see report.json"));
}

#[test]
fn a_report_that_compared_nothing_fails_its_gate_with_exit_2() {
    let mut report = sample();
    report.findings.clear();
    report.summary.agreed = 0;
    report.summary.diverged = 0;
    report.summary.inconclusive = 100;
    report.judge_gate();
    let gate = &report.envelope.gate;
    assert!(!gate.passed);
    assert_eq!(gate.exit_code, 2);
    assert!(
        gate.reason.contains("all 100 cases were inconclusive"),
        "{}",
        gate.reason
    );
    report.summary.agreed = 1;
    report.judge_gate();
    assert!(report.envelope.gate.passed);
    report.envelope.engines.truncate(1);
    report.judge_gate();
    assert!(report.envelope.gate.reason.contains("only 1 engine ran"));
}

/// `report.html` is a superset of `summary.md`: every heading and every
/// table row of the Markdown is on the page (as HTML), beside the charts;
/// the page is self-contained (no script, nothing fetched), and text from
/// the report that looks like HTML is shown, not run.
#[test]
fn the_html_page_holds_everything_the_markdown_says() {
    let mut report = sample();
    report.findings[0].blamed = vec!["<script>alert(1)</script>".into()];
    let md = report.to_markdown();
    let html = wasmgate_harness::report::html::render(&report);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for heading in md.lines().filter_map(|l| l.strip_prefix("## ")) {
        assert!(
            html.contains(&format!("<h2>{heading}</h2>")),
            "the page lacks the Markdown's section {heading:?}"
        );
    }
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("|--"))
        .count();
    assert!(
        html.matches("<tr>").count() >= rows,
        "{rows} Markdown table rows, fewer on the page"
    );
    for section in ["Findings", "Engines", "Features used"] {
        assert!(
            md.contains(&format!("## {section}")),
            "the sample has no {section}"
        );
    }
    assert!(html.contains("<svg"), "the engine-time chart");
    assert!(!html.contains("<script"), "text from the report is escaped");
    assert!(html.contains("&lt;script&gt;"), "and shown");
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "nothing fetched, no links out"
    );
}
