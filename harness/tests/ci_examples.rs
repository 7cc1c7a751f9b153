//! The README's GitHub Actions and Kubernetes examples, run command for command
//! by `scripts/ci-examples.sh` (shards, merge, step summary; pods with a kill
//! and a resume), pass on the defaults.

mod common;

#[test]
fn the_readme_ci_examples_pass_on_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::script(
        "ci-examples.sh",
        &[dir.path().to_str().unwrap()],
        &[
            ("SEEDS", "0..800"),
            ("POD_TIME", "4s"),
            ("WASMGATE_SHRINK_ATTEMPTS", "0"),
        ],
    );
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
