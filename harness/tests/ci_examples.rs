//! The book's GitHub Actions and Kubernetes examples (docs/src/commands.md), run command for command
//! by `scripts/ci-examples.sh` (shards, merge, step summary; pods with a kill
//! and a resume), pass on the defaults; and the module pipeline of
//! `examples/ci/` (check against golden vectors, compat against the previous
//! release) passes through `examples/ci/local.sh`, which runs the same
//! commands as the GitHub Actions and GitLab CI files.

use crate::common;

#[test]
fn the_readme_ci_examples_pass_on_the_defaults() {
    let _heavy = common::heavy();
    let dir = tempfile::tempdir().unwrap();
    let o = common::script(
        "ci-examples.sh",
        &[dir.path().to_str().unwrap()],
        &[
            ("SEEDS", "0..120"),
            ("POD_TIME", "3s"),
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
        pod["timing"]["wall_ms"].as_u64().unwrap() >= 2500,
        "{}",
        pod["timing"]
    );
    assert_eq!(pod["gate"]["passed"], true);
}

#[test]
fn the_module_pipeline_example_runs_here_with_the_same_commands() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let local = std::fs::read_to_string(root.join("examples/ci/local.sh")).unwrap();
    for file in ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let commands: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("wasmgate ").map(|(_, c)| c))
            .filter(|c| c.starts_with("check ") || c.starts_with("compat "))
            .map(|c| c.split(" --out ").next().unwrap())
            .collect();
        assert_eq!(commands.len(), 2, "{file}");
        for c in commands {
            assert!(local.contains(c), "{file}: `{c}` is not what local.sh runs");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new("bash")
        .arg(root.join("examples/ci/local.sh"))
        .arg(dir.path())
        .env("WASMGATE", env!("CARGO_BIN_EXE_wasmgate"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("added: popcount64"), "{out}");
    assert!(out.contains("local: the module passed"), "{out}");
    assert!(dir.path().join("check/report.sarif").is_file());
}
