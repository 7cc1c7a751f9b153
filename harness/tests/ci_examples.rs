//! The README's GitHub Actions and Kubernetes examples, run command for command
//! by `scripts/ci-examples.sh` (shards, merge, step summary; pods with a kill
//! and a resume), pass on the defaults.

#[test]
fn the_readme_ci_examples_pass_on_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ci-examples.sh");
    let o = std::process::Command::new("bash")
        .arg(&script)
        .arg(dir.path())
        .env("WASMGATE", env!("CARGO_BIN_EXE_wasmgate"))
        .env("SEEDS", "0..800")
        .env("POD_TIME", "4s")
        .env("WASMGATE_SHRINK_ATTEMPTS", "0")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("ci-examples: both pipelines passed"), "{out}");
    let summary = std::fs::read_to_string(dir.path().join("gha/step-summary.md")).unwrap();
    assert!(summary.starts_with("# wasmgate merge"), "{summary}");
    // The killed pod resumed: its report spans both sessions and all its cases.
    let pod: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("k8s/reports/shard-1/report.json")).unwrap())
            .unwrap();
    assert!(
        pod["timing"]["wall_ms"].as_u64().unwrap() >= 3500,
        "{}",
        pod["timing"]
    );
    assert_eq!(pod["gate"]["passed"], true);
}
