//! JUnit XML rendering of run reports (`report.xml`), for CI systems that show
//! test results natively. `report.json` stays canonical. The conformance
//! report's JUnit rendering is in `conformance/junit.rs` and uses the helpers here.

use crate::report::Report;
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// A failing test case status with a message and a description.
pub fn failure(message: String, description: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message).set_description(description);
    status
}

/// The XML text of a JUnit report. quick-junit counts skipped cases in a
/// `disabled` attribute; JUnit consumers (Ant's schema, Jenkins, GitLab) read
/// `skipped`, so the attribute is renamed on every `<testsuite>`. (Attribute
/// values are escaped, so `disabled="` occurs only as an attribute name.)
pub fn finish(report: quick_junit::Report) -> String {
    match report.to_string() {
        Ok(xml) => {
            xml.lines()
                .map(|line| {
                    if line.trim_start().starts_with("<testsuite ") {
                        line.replacen(" disabled=\"", " skipped=\"", 1)
                    } else {
                        line.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        }
        Err(e) => format!("<!-- cannot render JUnit XML: {e} -->\n"),
    }
}

/// A run (or sweep): one suite with stable names — `agreement` for the
/// cases that agreed, then one test case per finding named by its signature:
/// a new finding fails, a known one is skipped with the list's reason. The
/// suite's properties say what ran (profile, seeds, generator, engines).
pub fn run(report: &Report) -> String {
    let mut suite = TestSuite::new(format!("wasmgate.{}", report.envelope.kind));
    let wall = Duration::from_millis(report.envelope.timing.wall_ms);
    suite.set_time(wall);
    let r = &report.run;
    suite.add_property(Property::new("run", r.name.clone()));
    suite.add_property(Property::new("profile", r.profile.to_string()));
    suite.add_property(Property::new("seeds", r.seeds.to_string()));
    if let Some(shard) = r.shard {
        suite.add_property(Property::new("shard", shard.to_string()));
    }
    suite.add_property(Property::new("generator", r.generator_version.clone()));
    for e in &report.envelope.engines {
        suite.add_property(Property::new(format!("engine.{}", e.name), e.version.clone()));
    }
    let s = &report.summary;
    let mut agreed = TestCase::new("agreement", TestCaseStatus::success());
    agreed.set_classname(format!("wasmgate.{}", report.envelope.kind));
    agreed.set_time(wall);
    agreed.set_system_out(format!(
        "{} cases: {} agreed, {} diverged, {} inconclusive, {} generation errors",
        s.cases, s.agreed, s.diverged, s.inconclusive, s.generation_errors
    ));
    suite.add_test_case(agreed);
    for f in &report.findings {
        let observed: Vec<String> = f
            .groups
            .iter()
            .map(|g| format!("{}: {}", g.engines.join(", "), g.observed))
            .collect();
        let description = format!(
            "{} divergence at {}\n{}\nhit by {} case(s), first seed {}; reproduce: wasmgate repro {}",
            f.kind,
            f.step,
            observed.join("\n"),
            f.count,
            f.seeds.first().copied().unwrap_or_default(),
            f.bundle
        );
        let blame = format!(
            "{} divergence; {}: {}",
            f.kind,
            super::blame_label(f.majority, f.code_bases),
            f.blamed.join(", ")
        );
        let status = match &f.known {
            Some(reason) => {
                let mut status = TestCaseStatus::skipped();
                status
                    .set_message(format!("known divergence: {reason}"))
                    .set_description(description);
                status
            }
            None => failure(blame, description),
        };
        let mut case = TestCase::new(f.signature.clone(), status);
        case.set_classname(format!("wasmgate.{}.finding", report.envelope.kind));
        case.add_property(Property::new(
            "first-seed",
            f.seeds.first().copied().unwrap_or_default().to_string(),
        ));
        case.add_property(Property::new("cases", f.count.to_string()));
        suite.add_test_case(case);
    }
    let mut out = quick_junit::Report::new("wasmgate");
    out.set_time(wall);
    out.add_test_suite(suite);
    finish(out)
}
