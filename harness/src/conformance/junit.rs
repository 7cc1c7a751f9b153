//! JUnit XML rendering of a conformance report (`report.xml`).

use super::report::ConformanceReport;
use crate::report::junit::{failure, finish};
use quick_junit::{TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// A conformance run: one suite per engine, one test case per script; a
/// script fails on new failures, is skipped when the engine lacks a feature.
pub fn render(report: &ConformanceReport) -> String {
    let mut out = quick_junit::Report::new(format!("wasmgate conformance {}", report.suite));
    out.set_time(Duration::from_millis(report.envelope.timing.wall_ms));
    for (e, engine) in report.envelope.engines.iter().enumerate() {
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
