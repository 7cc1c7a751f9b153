//! JUnit XML rendering of run reports (`report.xml`), for CI systems that show
//! test results natively. `report.json` stays canonical. The conformance
//! report's JUnit rendering is in `conformance/junit.rs` and uses the helpers here.

use crate::report::Report;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// A failing test case status with a message and a description.
pub fn failure(message: String, description: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message).set_description(description);
    status
}

/// The XML text of a JUnit report.
pub fn finish(report: quick_junit::Report) -> String {
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
