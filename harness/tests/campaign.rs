//! Long-campaign guarantees: kill -9 and resume loses nothing, shards merge
//! into the unsharded run, time budgets stop cleanly.

use crate::common;

use common::{report, wasmgate};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What must be identical between equivalent runs: every count and every
/// finding with its seeds and what each engine group observed.
fn findings_and_counts(r: &serde_json::Value) -> (serde_json::Value, Vec<serde_json::Value>) {
    let findings = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            serde_json::json!([
                f["signature"],
                f["count"],
                f["seeds"],
                f["step"],
                f["groups"],
                f["blamed"]
            ])
        })
        .collect();
    (r["summary"].clone(), findings)
}

// A mutant keeps findings in play so the comparison is not between empty lists.
const ENGINES: &str = "wasmtime-cranelift,wasmi,wasmer-singlepass,mutant:wasmi:i64.add";
const SEEDS: &str = "0..250";
const CASES: usize = 250;

/// The uninterrupted, unsharded run of [`SEEDS`] that the shard and resume
/// tests compare with: made once, by whichever needs it first.
fn whole() -> serde_json::Value {
    static WHOLE: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    WHOLE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let whole = dir.path().join("whole");
            let o = wasmgate(&[
                "run",
                "--profile",
                "default",
                "--seeds",
                SEEDS,
                "--engines",
                ENGINES,
                "--shrink-attempts",
                "0",
                "-q",
                "--out",
                whole.to_str().unwrap(),
            ]);
            assert!([0, 1].contains(&o.status.code().unwrap()));
            report(&whole)
        })
        .clone()
}

#[test]
fn kill_9_then_resume_gives_the_same_findings_as_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .env("WASMGATE_SHRINK_ATTEMPTS", "0")
        .args([
            "run",
            "--profile",
            "default",
            "--seeds",
            SEEDS,
            "--engines",
            ENGINES,
            "-q",
            "--out",
            cut.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = cut.join("journal.jsonl");
    let started = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&journal)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if lines > 30 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let journaled = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert!(
        journaled > 1 && journaled < CASES + 1,
        "killed mid-run ({journaled} lines)"
    );
    assert!(
        !cut.join("report.json").exists(),
        "no report yet: the run was cut"
    );

    let o = wasmgate(&[
        "run",
        "--resume",
        cut.to_str().unwrap(),
        "--shrink-attempts",
        "0",
        "-q",
    ]);
    assert!(
        [0, 1].contains(&o.status.code().unwrap()),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(findings_and_counts(&report(&cut)), findings_and_counts(&whole()));
    assert_eq!(report(&cut)["summary"]["cases"], CASES);
}

#[test]
fn four_shards_merged_equal_one_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut shards = Vec::new();
    for k in 1..=4 {
        let out = dir.path().join(format!("shard{k}"));
        let shard = format!("{k}/4");
        wasmgate(&[
            "run",
            "--profile",
            "default",
            "--seeds",
            SEEDS,
            "--shard",
            &shard,
            "--engines",
            ENGINES,
            "--shrink-attempts",
            "0",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(report(&out)["run"]["shard"]["index"], k);
        shards.push(out.to_str().unwrap().to_string());
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    args.extend(shards.iter().map(String::as_str));
    let o = wasmgate(&args);
    assert!(
        [0, 1].contains(&o.status.code().unwrap()),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (whole, merged_r) = (whole(), report(&merged));
    assert!(
        !whole["findings"].as_array().unwrap().is_empty(),
        "the mutant must be found"
    );
    assert_eq!(findings_and_counts(&merged_r), findings_and_counts(&whole));
    for f in merged_r["findings"].as_array().unwrap() {
        assert!(
            merged
                .join(f["bundle"].as_str().unwrap())
                .join("bundle.json")
                .exists(),
            "bundle copied"
        );
    }
}

#[test]
fn a_time_budget_stops_the_run_with_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let start = Instant::now();
    let o = wasmgate(&[
        "run",
        "--time",
        "3s",
        "--engines",
        "wasmi,wasmtime-cranelift",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!([0, 1].contains(&o.status.code().unwrap()));
    assert!(start.elapsed() < Duration::from_secs(30));
    let r = report(&out);
    let cases = r["summary"]["cases"].as_u64().unwrap();
    assert!(cases > 10, "{cases}");
    let journaled = std::fs::read_to_string(out.join("journal.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(r#""case":"#))
        .count() as u64;
    assert_eq!(journaled, cases, "every case journaled");
    // The report covers the seeds the budget allowed, not 0..2^64.
    assert_eq!(r["run"]["seeds"]["start"], 0);
    assert_eq!(r["run"]["seeds"]["end"].as_u64().unwrap(), cases);
    assert_eq!(r["run"]["time_budget_ms"], 3000);
}

#[test]
fn bad_shards_and_missing_journals_are_usage_errors() {
    for args in [
        vec!["run", "--shard", "5/4"],
        vec!["run", "--shard", "0/3"],
        vec!["run", "--resume", "/nonexistent/dir"],
    ] {
        let o = wasmgate(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
}
