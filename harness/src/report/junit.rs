//! JUnit XML rendering of run reports (`report.xml`), for CI systems that show
//! test results natively. `report.json` stays canonical. The conformance
//! report's JUnit rendering is in `conformance/junit.rs` and uses the helpers here.

use crate::report::{Finding, Report};
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

/// A finding as a test case's status: a failure, or skipped with the known
/// list's reason.
fn finding_status(f: &Finding) -> TestCaseStatus {
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
    match &f.known {
        Some(reason) => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(format!("known divergence: {reason}"))
                .set_description(description);
            status
        }
        None => failure(blame, description),
    }
}

/// A run (or sweep): one suite with stable names — `agreement` for the
/// cases that agreed, then one test case per finding named by its signature:
/// a new finding fails, a known one is skipped with the list's reason. A
/// check or compat also lists each call it made (`call 3 "gcd"(i32:48, …)`,
/// classname `wasmgate.check.MODULE`), failing at the call a finding or a
/// compat change is at. The suite's properties say what ran (profile,
/// seeds, generator, engines).
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
    // A check or compat lists every call it made as a test case of its own,
    // failing where a finding (or a compat change) is at that call; other
    // findings are test cases named by their signature.
    let mut shown = vec![false; report.findings.len()];
    let compat = report.compat.as_ref();
    let listed = if compat.is_some() {
        &report.calls[..report.calls.len().min(1)]
    } else {
        &report.calls[..]
    };
    for (m, module) in listed.iter().enumerate() {
        for (i, call) in module.calls.iter().enumerate() {
            let at_call =
                |f: &Finding| f.seeds.contains(&(m as u64)) && f.at.phase == "call" && f.at.call == Some(i);
            let mut status = TestCaseStatus::success();
            if let Some((n, f)) = report.findings.iter().enumerate().find(|(_, f)| at_call(f)) {
                shown[n] = true;
                status = finding_status(f);
            } else if let Some(b) = compat.and_then(|c| c.behaviour.iter().find(|b| b.call == i)) {
                status = failure(
                    format!("behaves differently in {}", compat.map_or("", |c| c.new.as_str())),
                    format!("{b}"),
                );
            }
            let mut case = TestCase::new(format!("call {i} {call}"), status);
            case.set_classname(format!("wasmgate.{}.{}", report.envelope.kind, module.module));
            suite.add_test_case(case);
        }
    }
    for (f, _) in report.findings.iter().zip(&shown).filter(|(_, shown)| !**shown) {
        let mut case = TestCase::new(f.signature.clone(), finding_status(f));
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
