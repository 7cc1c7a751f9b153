//! The published JSON Schemas (`schema/*.schema.json`) are the ones the report
//! model generates, and real reports of every kind validate against them.

use crate::common;

use common::{code, report, stderr, stdout, wasmgate};
use std::path::Path;

fn published(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn validate(schema: &serde_json::Value, report: &serde_json::Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_published_schemas_are_the_generated_ones() {
    for (which, file) in [
        ("report", "report.schema.json"),
        ("conformance", "conformance.schema.json"),
    ] {
        let o = wasmgate(&["schema", which]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let generated: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            generated,
            published(file),
            "schema/{file} is out of date: run `wasmgate schema {which} > schema/{file}`"
        );
    }
}

#[test]
fn reports_of_every_kind_validate() {
    let dir = tempfile::tempdir().unwrap();
    let engines = common::ENGINES;
    let out = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let schema = published("report.schema.json");
    for k in ["1/2", "2/2"] {
        let name = format!("run{}", &k[..1]);
        let o = wasmgate(&[
            "run",
            "-q",
            "--seeds",
            "470..630",
            "--shard",
            k,
            "--engines",
            engines,
            "--out",
            &out(&name),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let r = report(&dir.path().join(&name));
        assert_eq!(validate(&schema, &r), Vec::<String>::new(), "run report");
    }
    let o = wasmgate(&["merge", &out("run1"), &out("run2"), "--out", &out("merged")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let merged = report(&dir.path().join("merged"));
    assert!(!merged["findings"].as_array().unwrap().is_empty());
    assert_eq!(validate(&schema, &merged), Vec::<String>::new(), "merge report");
    let o = wasmgate(&[
        "sweep",
        "-q",
        "--only",
        "i64.rotl",
        "--engines",
        engines,
        "--out",
        &out("sweep"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        validate(&schema, &report(&dir.path().join("sweep"))),
        Vec::<String>::new(),
        "sweep report"
    );
    let o = wasmgate(&[
        "conformance",
        "-q",
        "--only",
        "i32.wast",
        "--engines",
        engines,
        "--out",
        &out("conf"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let conf = report(&dir.path().join("conf"));
    assert_eq!(conf["kind"], "conformance");
    assert_eq!(
        validate(&published("conformance.schema.json"), &conf),
        Vec::<String>::new()
    );

    // A wasi report with a finding (probe.wasm's divergences).
    let probe = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/wasi/probe.toml");
    let o = wasmgate(&["wasi", "-q", probe.to_str().unwrap(), "--out", &out("wasi")]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let wasi = report(&dir.path().join("wasi"));
    assert_eq!(wasi["kind"], "wasi");
    assert_eq!(validate(&schema, &wasi), Vec::<String>::new(), "wasi report");

    // A perf report compared with a baseline (comparisons, pooled ones, history, trend).
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/bench");
    let history = dir.path().join("history.sqlite");
    let baselines = dir.path().join("baselines");
    for (name, flag) in [("perf1", "--save-baseline"), ("perf2", "--baseline")] {
        let o = wasmgate(&[
            "perf",
            "-q",
            "--workloads",
            bench.to_str().unwrap(),
            "--workload",
            "fib,crc32,sha256",
            "--engines",
            "wasmi,wasmtime-cranelift",
            "--reps",
            "3",
            "--threshold",
            "500",
            flag,
            "b",
            "--baseline-dir",
            baselines.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
            "--out",
            &out(name),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let perf = report(&dir.path().join("perf2"));
    assert_eq!(perf["kind"], "perf");
    assert!(!perf["perf"]["comparisons"].as_array().unwrap().is_empty());
    assert_eq!(validate(&schema, &perf), Vec::<String>::new(), "perf report");

    // The schema is not vacuous: a report with a wrong type or a missing gate fails it.
    let mut broken = merged.clone();
    broken["gate"]["passed"] = "yes".into();
    assert!(!validate(&schema, &broken).is_empty());
    let mut broken = merged;
    broken.as_object_mut().unwrap().remove("gate");
    assert!(!validate(&schema, &broken).is_empty());
}
