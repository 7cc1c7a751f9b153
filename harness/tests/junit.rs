//! `report.xml` is JUnit that CI systems accept: it validates against the
//! JUnit schema (`tests/data/junit.xsd`, checked with libxml2's `xmllint`) and
//! a JUnit consumer (the `junit-parser` crate) reads the counts and results
//! the report gives.

use crate::common;

use common::{code, report, stderr, wasmgate};
use std::path::Path;
use std::process::Command;

fn xsd() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit.xsd")
}

/// Validates `xml` with xmllint; `None` when xmllint is not installed (CI installs it).
fn xmllint(xml: &Path) -> Option<(bool, String)> {
    let o = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd())
        .arg(xml)
        .output();
    match o {
        Ok(o) => Some((
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )),
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("xmllint not installed (apt-get install libxml2-utils): schema check not run");
            None
        }
        Err(e) => panic!("xmllint is needed in CI: {e}"),
    }
}

#[test]
fn run_sweep_and_conformance_junit_validate_and_parse() {
    let _heavy = common::heavy();
    let dir = tempfile::tempdir().unwrap();
    let out = |n: &str| dir.path().join(n);
    let engines = common::ENGINES;
    // Seeds 470..630 hold a known wasmi finding; an empty list makes it new.
    let empty = common::no_known(dir.path());
    let runs: [(&str, Vec<&str>, i32); 4] = [
        (
            "known",
            vec!["run", "--seeds", "470..630", "--engines", engines],
            0,
        ),
        (
            "new",
            vec![
                "run",
                "--seeds",
                "470..630",
                "--engines",
                engines,
                "--known",
                empty.to_str().unwrap(),
            ],
            1,
        ),
        (
            "sweep",
            vec!["sweep", "--only", "i32.rot", "--engines", engines],
            0,
        ),
        (
            "conformance",
            vec!["conformance", "--only", "i64.wast", "--engines", engines],
            0,
        ),
    ];
    for (name, args, expected) in runs {
        let mut args = args.clone();
        let o_dir = out(name);
        args.extend(["-q", "--out", o_dir.to_str().unwrap()]);
        let o = wasmgate(&args);
        assert_eq!(code(&o), expected, "{name}: {}", stderr(&o));
        let xml = o_dir.join("report.xml");
        if let Some((valid, why)) = xmllint(&xml) {
            assert!(valid, "{name}: report.xml does not validate: {why}");
        }
        let parsed = junit_parser::from_reader(std::io::BufReader::new(std::fs::File::open(&xml).unwrap()))
            .unwrap_or_else(|e| panic!("{name}: junit-parser cannot read report.xml: {e}"));
        let r = report(&o_dir);
        match name {
            "known" | "new" | "sweep" => {
                let suite = &parsed.suites[0];
                let findings = r["findings"].as_array().unwrap();
                let new = findings.iter().filter(|f| f.get("known").is_none()).count() as u64;
                assert_eq!(suite.tests, findings.len() as u64 + 1, "{name}");
                assert_eq!(suite.failures, new, "{name}");
                assert_eq!(suite.skipped, findings.len() as u64 - new, "{name}");
                assert!(
                    suite
                        .cases
                        .iter()
                        .any(|c| c.original_name == "agreement" && c.status.is_success())
                );
                for f in findings {
                    let case = suite
                        .cases
                        .iter()
                        .find(|c| c.original_name == f["signature"].as_str().unwrap())
                        .unwrap();
                    assert_eq!(case.status.is_skipped(), f.get("known").is_some(), "{name}");
                    assert_eq!(case.status.is_failure(), f.get("known").is_none(), "{name}");
                }
                assert!(suite.time > 0.0, "{name}: the suite has its time");
            }
            _ => {
                let engines = r["engines"].as_array().unwrap().len();
                assert_eq!(parsed.suites.len(), engines);
                assert!(parsed.suites.iter().all(|s| s.failures == 0 && s.tests == 1));
            }
        }
    }
    if std::env::var_os("CI").is_some() || xmllint(&out("known").join("report.xml")).is_some() {
        // The schema is not vacuous: a count that is not a number fails it.
        let bad = dir.path().join("bad.xml");
        let text = std::fs::read_to_string(out("new").join("report.xml")).unwrap();
        let at = text.find(r#"failures=""#).unwrap() + r#"failures=""#.len();
        let end = at + text[at..].find('"').unwrap();
        std::fs::write(&bad, format!("{}two{}", &text[..at], &text[end..])).unwrap();
        assert!(!xmllint(&bad).unwrap().0);
    }
}

/// `check` and `compat` list each call they made as a JUnit test case (the
/// vectors', the scenario steps', the seeded ones), failing at the call a
/// finding or a compat change is at.
#[test]
fn check_and_compat_junit_has_a_test_case_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let lib = format!("{}/../vectors/check/textlib", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(format!("{lib}/scenarios.toml")).unwrap();
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(
        &wrong,
        text.replace(
            "module = \"textlib.wasm\"",
            &format!("module = \"{lib}/textlib.wasm\""),
        )
        .replace("text = \"WASM{GATE}Z\"", "text = \"WASM{GATE}z\""),
    )
    .unwrap();
    let engines = common::ENGINES;
    let check = dir.path().join("check");
    let o = wasmgate(&[
        "check",
        "-q",
        "--engines",
        engines,
        "--vectors",
        wrong.to_str().unwrap(),
        "--out",
        check.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let compat = dir.path().join("compat");
    let o = wasmgate(&[
        "compat",
        "-q",
        "--engines",
        engines,
        "--vectors",
        &format!("{lib}/scenarios.toml"),
        "--out",
        compat.to_str().unwrap(),
        &format!("{lib}/textlib-1.0.wasm"),
        &format!("{lib}/textlib.wasm"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    for (out, failing) in [(&check, vec![8]), (&compat, vec![7, 8])] {
        let xml = out.join("report.xml");
        if let Some((valid, why)) = xmllint(&xml) {
            assert!(valid, "report.xml does not validate: {why}");
        }
        let parsed =
            junit_parser::from_reader(std::io::BufReader::new(std::fs::File::open(&xml).unwrap())).unwrap();
        let suite = &parsed.suites[0];
        let calls: Vec<_> = suite
            .cases
            .iter()
            .filter(|c| c.original_name.starts_with("call "))
            .collect();
        assert_eq!(calls.len(), 21, "{out:?}: one test case per call");
        assert_eq!(suite.tests, 22, "{out:?}: the calls and `agreement`");
        let failed: Vec<usize> = calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.status.is_failure())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(failed, failing, "{out:?}");
        assert!(
            calls[8]
                .original_name
                .contains("upcase in place[4] read 11 bytes at $s"),
            "{}",
            calls[8].original_name
        );
        assert_eq!(suite.failures, failing.len() as u64, "{out:?}");
    }
}
