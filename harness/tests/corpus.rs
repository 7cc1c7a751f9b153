//! `wasmgate corpus add|run|min` end to end: a finding's bundle stored,
//! replayed as a gate (the bug back: exit 1; fixed: exit 0), and the corpus
//! reduced to the smallest entry per signature.

use crate::common;

use common::{code, no_known, report, stdout, usage_error, wasmgate};
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

const FAULTY: &str = "wasmtime-cranelift,wasmi,mutant:wasmi:i64.add";
const FIXED: &str = "wasmtime-cranelift,wasmi";

/// A bundle of `wat` diverging on the mutant engine, saved by `repro --save`.
fn bundle(dir: &Path, name: &str, wat: &str) -> std::path::PathBuf {
    let module = dir.join(format!("{name}.wat"));
    std::fs::write(&module, wat).unwrap();
    let saved = dir.join(name);
    let o = wasmgate(&[
        "repro",
        "--wasm",
        s(&module),
        "--engines",
        FAULTY,
        "--in-process",
        "--save",
        s(&saved),
    ]);
    assert_eq!(code(&o), 1, "the mutant diverges: {}", stdout(&o));
    saved
}

const ADD: &str =
    r#"(module (func (export "f") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add))"#;
const ADD_AND_MORE: &str = r#"(module
  (func (export "f") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func $unused (result i32) i32.const 1 i32.const 2 i32.add i32.const 3 i32.mul))"#;

#[test]
fn a_stored_finding_fails_the_gate_when_its_bug_comes_back() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let small = bundle(tmp.path(), "small", ADD);
    let o = wasmgate(&["corpus", "add", s(&small), "--corpus", s(&corpus)]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    assert!(stdout(&o).starts_with("stored "), "{}", stdout(&o));
    let again = wasmgate(&["corpus", "add", s(&small), "--corpus", s(&corpus)]);
    assert!(
        stdout(&again).starts_with("already stored as "),
        "{}",
        stdout(&again)
    );

    // The bug back (the mutant in the vote): exit 1, blamed on it.
    let known = no_known(tmp.path());
    let out = tmp.path().join("back");
    let o = wasmgate(&[
        "corpus",
        "run",
        "-q",
        "--corpus",
        s(&corpus),
        "--engines",
        FAULTY,
        "--known",
        s(&known),
        "--out",
        s(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let r = report(&out);
    assert_eq!(r["kind"], "corpus");
    assert_eq!(
        r["findings"][0]["blamed"],
        serde_json::json!(["mutant:wasmi:i64.add"])
    );
    assert!(r["run"]["modules"][0].as_str().unwrap().contains("corpus"));
    // Fixed (no mutant): every entry agrees, the gate passes.
    let out = tmp.path().join("fixed");
    let o = wasmgate(&[
        "corpus",
        "run",
        "-q",
        "--corpus",
        s(&corpus),
        "--engines",
        FIXED,
        "--out",
        s(&out),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(report(&out)["summary"]["agreed"], 1);
}

#[test]
fn min_keeps_the_smallest_entry_of_each_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let small = bundle(tmp.path(), "small", ADD);
    let large = bundle(tmp.path(), "large", ADD_AND_MORE);
    for b in [&large, &small] {
        let o = wasmgate(&["corpus", "add", s(b), "--corpus", s(&corpus)]);
        assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    }
    let entries = || std::fs::read_dir(&corpus).unwrap().count();
    assert_eq!(entries(), 2);
    let o = wasmgate(&["corpus", "min", "--corpus", s(&corpus)]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    assert!(stdout(&o).contains("kept 1 entries"), "{}", stdout(&o));
    assert_eq!(entries(), 1);
    let kept = std::fs::read_dir(&corpus)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let small_size = std::fs::metadata(small.join("module.wasm")).unwrap().len();
    assert_eq!(
        std::fs::metadata(kept.join("module.wasm")).unwrap().len(),
        small_size
    );
}

#[test]
fn bad_corpus_input_is_one_error_line() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(broken.join("entry")).unwrap();
    std::fs::write(broken.join("entry/bundle.json"), "{").unwrap();
    let wasi = tmp.path().join("wasi-bundle");
    std::fs::create_dir_all(&wasi).unwrap();
    std::fs::write(wasi.join("bundle.json"), r#"{"kind": "wasi"}"#).unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for (args, says) in [
        (
            vec!["corpus", "run", "--corpus", "/nonexistent/corpus"],
            "no corpus at",
        ),
        (vec!["corpus", "run", "--corpus", s(&broken)], "corpus entry"),
        (vec!["corpus", "run", "--corpus", s(&empty)], "has no entries"),
        (
            vec!["corpus", "add", s(&wasi), "--corpus", s(&empty)],
            "is a WASI bundle",
        ),
        (
            vec!["corpus", "add", "/nonexistent/bundle", "--corpus", s(&empty)],
            "cannot read bundle",
        ),
        (vec!["corpus", "add"], "required"),
    ] {
        let err = usage_error(&wasmgate(&args));
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn the_repository_corpus_replays_its_known_bugs_and_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let out = tmp.path().join("out");
    let o = wasmgate(&["corpus", "run", "-q", "--corpus", s(&corpus), "--out", s(&out)]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = report(&out);
    assert_eq!(r["summary"]["cases"], 2);
    // The wasmi bug diverges on every machine (in process); the JavaScriptCore one where jsc runs.
    let known = r["gate"]["known"].as_u64().unwrap();
    let jsc = r["engines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "jsc-bbq");
    assert_eq!(known, if jsc { 2 } else { 1 });
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["blamed"] == serde_json::json!(["wasmi"]))
    );
}
