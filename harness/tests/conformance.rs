//! `wasmgate conformance` end to end: the spec testsuite gate, a script given
//! with `--file`, the expected-failure list and bad input.

use crate::common;

use common::{code, report, stderr, stdout, wasmgate};

/// A script exercising linking, the spectest module, host references, NaN
/// patterns, traps, exhaustion and validation; line 17 expects a wrong value.
const SCRIPT: &str = r#"(module $m
  (import "spectest" "global_i32" (global $g i32))
  (func (export "g") (result i32) (global.get $g))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $loop (export "loop") (call $loop)))
(register "m" $m)
(module (import "m" "g" (func $g (result i32))) (func (export "twice") (result i32) (i32.add (call $g) (call $g))))
(assert_return (invoke "twice") (i32.const 1332))
(assert_return (invoke $m "id" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke $m "nan") (f32.const nan:canonical))
(assert_trap (invoke $m "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke $m "loop") "call stack exhausted")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
(assert_return (invoke $m "g") (i32.const 7))
"#;

#[test]
fn file_failures_expected_failures_and_stale_entries() {
    let dir = tempfile::tempdir().unwrap();
    let wast = dir.path().join("t.wast");
    std::fs::write(&wast, SCRIPT).unwrap();
    let wast = wast.to_str().unwrap();
    let out = dir.path().join("r1");
    let engines = "wasmtime-cranelift,wasmi,v8-turbofan";
    let o = wasmgate(&[
        "conformance",
        "--file",
        wast,
        "--engines",
        engines,
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    assert_eq!(r["kind"], "conformance");
    assert_eq!(r["gate"]["new"], 3);
    for engine in engines.split(',') {
        let t = &r["totals"][engine];
        assert_eq!(
            (t["passed"].as_u64(), t["failed"].as_u64()),
            (Some(10), Some(1)),
            "{engine}: {t}"
        );
    }
    let failures = r["failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .all(|f| f["line"] == 17 && f["directive"] == "assert_return")
    );
    assert!(
        failures[0]["got"].as_str().unwrap().contains("i32:666"),
        "{}",
        failures[0]
    );
    assert!(stdout(&o).contains(&format!("{wast}:17 assert_return")));
    let junit = std::fs::read_to_string(out.join("report.xml")).unwrap();
    assert!(junit.contains("tests=\"3\" failures=\"3\""), "{junit}");
    assert!(
        junit.contains(&format!("{wast}:17 assert_return: expected [i32:7]")),
        "{junit}"
    );

    // Listed, the failure no longer fails the gate; a listed line that passes is stale.
    let list = dir.path().join("expected.toml");
    let entries: String = engines
        .split(',')
        .map(|e| format!("[[failure]]\nengine = \"{e}\"\nfile = \"{wast}\"\nlines = [10, 17]\nreason = \"wrong on purpose\"\n"))
        .collect();
    std::fs::write(&list, entries).unwrap();
    let out = dir.path().join("r2");
    let o = wasmgate(&[
        "conformance",
        "--file",
        wast,
        "--engines",
        engines,
        "-q",
        "--expected",
        list.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    assert_eq!(r["gate"]["passed"], true);
    assert_eq!(r["totals"]["wasmi"]["expected_failures"], 1);
    assert_eq!(
        r["stale"].as_array().unwrap().len(),
        0,
        "line 10 fails nowhere but shares an entry with 17"
    );
    std::fs::write(&list, list_for("wasmi", wast, 10)).unwrap();
    let o = wasmgate(&[
        "conformance",
        "--file",
        wast,
        "--engines",
        "wasmi",
        "-q",
        "--expected",
        list.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(report(&out)["stale"].as_array().unwrap().len(), 1);
    assert!(stdout(&o).contains("stale expected failure"));
}

fn list_for(engine: &str, file: &str, line: usize) -> String {
    format!("[[failure]]\nengine = \"{engine}\"\nfile = \"{file}\"\nline = {line}\nreason = \"r\"\n")
}

#[test]
fn a_faulty_engine_fails_the_gate_and_shows_in_the_differential_view() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "conformance",
        "--only",
        "wasm-v2/i32.wast",
        "--engines",
        "wasmi,mutant:wasmi:i32.add",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let r = report(&out);
    assert_eq!(r["totals"]["wasmi"]["failed"], 0);
    assert!(r["totals"]["mutant:wasmi:i32.add"]["failed"].as_u64().unwrap() > 0);
    let d = r["disagreements"].as_array().unwrap();
    assert!(!d.is_empty());
    assert_eq!(d[0]["failed"], serde_json::json!(["mutant:wasmi:i32.add"]));
}

#[test]
fn bad_input_is_one_error_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wast");
    std::fs::write(&bad, "(module)\n(assert_return (invoke \"f\" (i32.const x)))\n").unwrap();
    let o = wasmgate(&["conformance", "--file", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.starts_with(&format!("error: {}:2:", bad.display())), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for args in [
        &["conformance", "--suite", "wasm-v9"][..],
        &["conformance", "--file", "/nonexistent.wast"],
        &["conformance", "--expected", "/nonexistent.toml"],
    ] {
        let o = wasmgate(args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
    }
    let list = dir.path().join("l.toml");
    std::fs::write(&list, "[[failure]]\nengine = \"wasmi\"\n").unwrap();
    let o = wasmgate(&["conformance", "--expected", list.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("l.toml"), "{}", stderr(&o));
}

/// The gate as CI runs it: the full wasm-v2 suite on every engine passes with
/// the built-in expected-failure list, and wasmtime passes everything it runs.
#[test]
fn wasm_v2_passes_on_every_engine_with_the_built_in_list() {
    let _heavy = common::heavy();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&["conformance", "-q", "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    assert_eq!(r["suite"], "wasm-v2");
    assert_eq!(r["files"].as_array().unwrap().len(), 90);
    assert_eq!(
        r["engines"].as_array().unwrap().len(),
        common::all_engines(),
        "every engine ran: {}",
        r["unavailable"]
    );
    for (engine, t) in r["totals"].as_object().unwrap() {
        assert!(t["passed"].as_u64().unwrap() > 20_000, "{engine}: {t}");
        assert_eq!(t["failed"], 0, "{engine}");
    }
    for flavour in ["wasmtime-cranelift", "wasmtime-pulley"] {
        let t = &r["totals"][flavour];
        assert_eq!(t["expected_failures"], 0, "{flavour}");
    }
    assert_eq!(r["stale"].as_array().unwrap().len(), 0);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("| `wasmtime-cranelift` |"));
}

#[test]
fn a_crashing_or_hanging_engine_costs_one_directive_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "conformance",
        "--only",
        "wasm-v2/i32.wast",
        "--only",
        "wasm-v2/i64.wast",
        "--engines",
        "wasmi,crash:wasmi:i32.add,hang:wasmi:i64.add",
        "--timeout",
        "2",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    assert_eq!(r["totals"]["wasmi"]["failed"], 0);
    assert_eq!(r["totals"]["wasmi"]["passed"], 872);
    let failures = r["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{failures:?}");
    let got = |engine: &str| {
        let f = failures
            .iter()
            .find(|f| f["engine"] == engine)
            .expect("a failure");
        (
            f["file"].as_str().unwrap().to_string(),
            f["got"].as_str().unwrap().to_string(),
        )
    };
    let (file, crash) = got("crash:wasmi:i32.add");
    assert_eq!(file, "wasm-v2/i32.wast");
    assert!(crash.starts_with("crash: worker killed by signal 6"), "{crash}");
    let (file, hang) = got("hang:wasmi:i64.add");
    assert_eq!(file, "wasm-v2/i64.wast");
    assert!(hang.starts_with("hang:"), "{hang}");
    // The other script still ran in full on each faulty engine.
    let files = r["files"].as_array().unwrap();
    let directives = |name: &str| files.iter().find(|f| f["file"] == name).unwrap()["directives"].clone();
    assert_eq!(
        r["totals"]["crash:wasmi:i32.add"]["passed"],
        directives("wasm-v2/i64.wast")
    );
    assert_eq!(
        r["totals"]["hang:wasmi:i64.add"]["passed"],
        directives("wasm-v2/i32.wast")
    );
}

#[test]
fn a_baseline_turns_only_regressions_into_gate_failures() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, engines: &str, baseline: Option<&std::path::Path>| {
        let out = dir.path().join(name);
        let mut args = vec![
            "conformance",
            "--only",
            "wasm-v2/i32.wast",
            "--engines",
            engines,
            "-q",
        ];
        let out_s = out.to_str().unwrap().to_string();
        args.extend(["--out", &out_s]);
        let base = baseline.map(|b| b.join("report.json").to_str().unwrap().to_string());
        if let Some(b) = &base {
            args.extend(["--baseline", b]);
        }
        (wasmgate(&args), out)
    };
    let (o, before) = run("before", "wasmi,mutant:wasmi:i32.add", None);
    assert_eq!(code(&o), 1);
    let (o, same) = run("same", "wasmi,mutant:wasmi:i32.add", Some(&before));
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = report(&same);
    assert_eq!(r["totals"]["mutant:wasmi:i32.add"]["expected_failures"], 8);
    let (o, worse) = run("worse", "wasmi,mutant:wasmi:i32.sub", Some(&before));
    assert_eq!(code(&o), 1, "a different fault is a regression");
    assert!(report(&worse)["gate"]["new"].as_u64().unwrap() > 0);
    let bad = wasmgate(&[
        "conformance",
        "--baseline",
        before.join("summary.md").to_str().unwrap(),
    ]);
    assert_eq!(code(&bad), 2);
}

#[test]
fn an_invoke_of_a_missing_export_fails_on_every_engine_never_a_silent_skip() {
    let dir = tempfile::tempdir().unwrap();
    let wast = dir.path().join("missing.wast");
    std::fs::write(
        &wast,
        "(module (func (export \"f\") (result i32) i32.const 1))\n(assert_return (invoke \"g\") (i32.const 1))\n",
    )
    .unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "conformance",
        "--file",
        wast.to_str().unwrap(),
        "--engines",
        "wasmtime-cranelift,wasmi",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    assert_eq!(r["gate"]["new"], 2, "one failure per engine: {r:#}");
    let text = r.to_string();
    assert!(text.contains("which its module does not export"), "{text}");
}
