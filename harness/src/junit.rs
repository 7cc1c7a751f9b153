//! JUnit XML renderings of run and conformance reports (`report.xml`), for CI
//! systems that show test results natively. `report.json` stays canonical.

use crate::conformance::report::ConformanceReport;
use crate::report::Report;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

fn failure(message: String, description: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message).set_description(description);
    status
}

fn finish(report: quick_junit::Report) -> String {
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit XML: {e} -->\n"))
}

/// A run (or sweep): one test case per finding, failing, plus one passing case
/// for the agreeing cases, in a suite named after the run.
pub fn run(report: &Report) -> String {
    let mut suite = TestSuite::new(format!("wasmgate run {}", report.run.name));
    let s = &report.summary;
    let mut agreed = TestCase::new(
        format!("{} cases agree ({} inconclusive)", s.agreed, s.inconclusive),
        TestCaseStatus::success(),
    );
    agreed.set_classname("wasmgate.run");
    suite.add_test_case(agreed);
    for f in &report.findings {
        let observed: Vec<String> = f
            .groups
            .iter()
            .map(|g| format!("{}: {}", g.engines.join(", "), g.observed))
            .collect();
        let description = format!(
            "{} divergence at {}\n{}\nhit by {} case(s); reproduce: wasmgate repro {}",
            f.kind,
            f.step,
            observed.join("\n"),
            f.count,
            f.bundle
        );
        let mut case = TestCase::new(
            f.signature.clone(),
            failure(format!("{} blamed: {}", f.kind, f.blamed.join(", ")), description),
        );
        case.set_classname("wasmgate.run.finding");
        suite.add_test_case(case);
    }
    let mut out = quick_junit::Report::new("wasmgate");
    out.set_time(Duration::from_millis(report.run.wall_ms));
    out.add_test_suite(suite);
    finish(out)
}

/// A conformance run: one suite per engine, one test case per script; a
/// script fails on new failures, is skipped when the engine lacks a feature.
pub fn conformance(report: &ConformanceReport) -> String {
    let mut out = quick_junit::Report::new(format!("wasmgate conformance {}", report.suite));
    out.set_time(Duration::from_millis(report.wall_ms));
    for (e, engine) in report.engines.iter().enumerate() {
        let mut suite = TestSuite::new(engine.name.clone());
        for file in &report.files {
            let cell = &file.engines[e];
            let status = if let Some(why) = &cell.skipped_because {
                let mut s = TestCaseStatus::skipped();
                s.set_message(why.clone());
                s
            } else if cell.counts.failed > 0 {
                let lines: Vec<String> = report
                    .failures
                    .iter()
                    .filter(|f| {
                        f.engine == engine.name && f.file == file.file && f.expected_failure.is_none()
                    })
                    .map(|f| {
                        format!(
                            "{}:{} {}: expected {}, got {}",
                            f.file, f.line, f.directive, f.expected, f.got
                        )
                    })
                    .collect();
                failure(
                    format!(
                        "{} of {} directives failed",
                        cell.counts.failed,
                        cell.counts.ran()
                    ),
                    lines.join("\n"),
                )
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(file.file.clone(), status);
            case.set_classname(format!("wasmgate.conformance.{}", engine.name));
            suite.add_test_case(case);
        }
        out.add_test_suite(suite);
    }
    finish(out)
}
