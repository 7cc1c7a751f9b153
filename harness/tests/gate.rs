//! The gate tells the truth: exit codes, merged counts, JUnit and blame match
//! what happened. Each test pins a way the gate once said something false.

use crate::common;

use common::{ENGINES, code, no_known, quick_run, report, stderr, stdout, usage_error, wasmgate};
use std::path::{Path, PathBuf};

/// Runs shard `k`/4 of seeds 400..800 (which hold the known wasmi bug at seeds
/// 473 and 485, shard 2, and 555 and 703, shard 4) into `dir/sK`.
fn shard(dir: &Path, k: u32) -> PathBuf {
    let out = dir.join(format!("s{k}"));
    let o = quick_run("400..800", &out, &["--shard", &format!("{k}/4")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    out
}

#[test]
fn merge_passes_on_known_findings_recounts_and_refuses_overlaps_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = (1..=4).map(|k| shard(dir.path(), k)).collect();
    let s = |i: usize| shards[i].to_str().unwrap().to_string();
    let merged = dir.path().join("merged");
    let o = wasmgate(&[
        "merge",
        &s(0),
        &s(1),
        &s(2),
        &s(3),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(
        code(&o),
        0,
        "only known findings: the merge passes\n{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("gate: passed (2 known divergences)"),
        "{}",
        stdout(&o)
    );
    let r = report(&merged);
    assert_eq!(r["summary"]["cases"], 400);
    assert_eq!(r["summary"]["known_findings"], 2);
    assert_eq!(r["summary"]["unique_findings"], 2);
    let global = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["signature"].as_str().unwrap().starts_with("global-"))
        .expect("the global finding");
    assert_eq!(
        global["count"], 3,
        "seeds 473 and 485 from shard 2, 703 from shard 4"
    );
    assert!(r["run"].get("incomplete").is_none());

    // The same shard twice would count its cases twice.
    let o = wasmgate(&[
        "merge",
        &s(0),
        &s(0),
        "--out",
        dir.path().join("twice").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(usage_error(&o).contains("both cover seed 400"), "{}", stderr(&o));

    // Three of four shards: an error naming the missing shard, unless allowed.
    let partial = dir.path().join("partial");
    let o = wasmgate(&["merge", &s(0), &s(1), &s(2), "--out", partial.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        usage_error(&o).contains("shard(s) 4/4 of seeds 400..800 are missing"),
        "{}",
        stderr(&o)
    );
    let o = wasmgate(&[
        "merge",
        &s(0),
        &s(1),
        &s(2),
        "--allow-incomplete",
        "--out",
        partial.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(report(&partial)["summary"]["cases"], 300);
    assert!(
        report(&partial)["run"]["incomplete"]
            .as_str()
            .unwrap()
            .contains("4/4")
    );
    assert!(
        std::fs::read_to_string(partial.join("summary.md"))
            .unwrap()
            .contains("Incomplete")
    );
}

#[test]
fn junit_skips_known_findings_with_stable_names_times_and_properties() {
    let dir = tempfile::tempdir().unwrap();
    let out = shard(dir.path(), 4); // holds seeds 555 and 703
    let xml = std::fs::read_to_string(out.join("report.xml")).unwrap();
    assert!(xml.contains(r#"failures="0""#), "{xml}");
    assert!(
        xml.contains(r#"<testsuite name="wasmgate.run" tests="3" skipped="2""#),
        "{xml}"
    );
    assert!(!xml.contains("disabled="), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="agreement" classname="wasmgate.run" time=""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<skipped message="known divergence: wasmi 2.0.0"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<property name="profile" value="default"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<property name="engine.wasmi" value="2.0.0"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<property name="first-seed" value="703"/>"#),
        "{xml}"
    );

    // A new finding is a failure.
    let out = dir.path().join("mutant");
    let empty = no_known(dir.path());
    let o = quick_run("470..480", &out, &["--known", empty.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let xml = std::fs::read_to_string(out.join("report.xml")).unwrap();
    let new = report(&out)["findings"].as_array().unwrap().len();
    assert!(xml.contains(&format!(r#"failures="{new}""#)), "{xml}");
    assert!(xml.contains("blamed: wasmi"), "{xml}");
}

#[test]
fn a_run_that_compared_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["run", "--seeds", "0..0", "--engines", ENGINES],
            "empty",
            "compared nothing",
        ),
        (
            &["run", "--time", "0s", "--engines", ENGINES],
            "notime",
            "compared nothing",
        ),
        (
            &["run", "--seeds", "0..10", "--engines", "wasmi"],
            "one",
            "at least two engines",
        ),
        (
            &["sweep", "--only", "i32.add", "--engines", "wasmi"],
            "sweep",
            "at least two engines",
        ),
    ];
    for (args, folder, expected) in cases {
        let mut args = args.to_vec();
        let folder = out(folder);
        args.extend(["-q", "--out", &folder]);
        let o = wasmgate(&args);
        assert!(usage_error(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(
            !std::path::Path::new(&folder).exists(),
            "{args:?}: refused before anything starts"
        );
    }
}

#[test]
fn an_engine_asked_for_that_cannot_start_is_an_error_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(["run", "-q", "--seeds", "0..10", "--engines", "wasmi,v8-turbofan"])
        .arg("--out")
        .arg(&out)
        .env("NODE", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    let line = usage_error(&o);
    assert!(
        line.contains("`v8-turbofan` was asked for but cannot run here"),
        "{line}"
    );
    assert!(line.contains("/nonexistent"), "{line}");

    // An external engine's stderr is shown when it fails to start, and its
    // death never kills wasmgate (no SIGPIPE).
    let script = dir.path().join("broken.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'engine: missing libfoo.so' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for cmd in [format!("t={}", script.display()), "t=/bin/true".to_string()] {
        let o = wasmgate(&[
            "run",
            "-q",
            "--seeds",
            "0..10",
            "--engine-cmd",
            &cmd,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 2, "{cmd}: {}", stderr(&o));
        assert!(usage_error(&o).contains("`t` was asked for"), "{}", stderr(&o));
    }
    let o = wasmgate(&[
        "run",
        "-q",
        "--seeds",
        "0..10",
        "--engine-cmd",
        &format!("t={}", script.display()),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr(&o).contains("missing libfoo.so"), "{}", stderr(&o));
}

#[test]
fn blame_counts_independent_code_bases() {
    // The wasmi bug at seed 473 with a mutant of wasmi in the vote: two
    // configurations of one code base do not outvote another code base.
    let o = wasmgate(&[
        "repro",
        "--seed",
        "473",
        "--engines",
        "wasmtime-cranelift,wasmi,mutant:wasmi:i64.rotr",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "no majority of independent code bases; involved: mutant:wasmi:i64.rotr, wasmi, wasmtime-cranelift"
        ),
        "{text}"
    );
    // wasmtime's configurations count once: two code bases against one blame wasmi.
    let o = wasmgate(&[
        "repro",
        "--seed",
        "473",
        "--engines",
        "wasmtime-cranelift,wasmtime-pulley,wasmer-cranelift,wasmi",
    ]);
    assert!(stdout(&o).contains("  blamed: wasmi"), "{}", stdout(&o));
}

#[test]
fn resume_refuses_options_that_disagree_with_its_journal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "run",
        "-q",
        "--seeds",
        "0..20",
        "--engines",
        ENGINES,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let resume = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"));
        c.args(["run", "-q", "--resume", out.to_str().unwrap()])
            .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = resume(&[("WASMGATE_SEEDS", "0..500")], &[]);
    assert_eq!(code(&o), 2);
    assert!(
        usage_error(&o).contains("seeds 0..500 was given, but the journaled run has 0..20"),
        "{}",
        stderr(&o)
    );
    let o = resume(&[], &["--engines", "wasmi,wasmtime-cranelift"]);
    assert_eq!(code(&o), 2);
    assert!(usage_error(&o).contains("engines"), "{}", stderr(&o));
    // The same values (as a CI job that sets its variables once would pass) are fine.
    let o = resume(&[("WASMGATE_SEEDS", "0..20"), ("WASMGATE_PROFILE", "mixed")], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn resume_refuses_a_journal_of_another_wasmgate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "run",
        "-q",
        "--seeds",
        "0..20",
        "--engines",
        ENGINES,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let journal = out.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(head).unwrap();
    assert_eq!(header["tool_version"], env!("CARGO_PKG_VERSION"));
    header["generator_version"] = "wasmgate-gen-0".into();
    std::fs::write(&journal, format!("{header}\n{rest}")).unwrap();
    let o = wasmgate(&["run", "-q", "--resume", out.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        usage_error(&o).contains("with generator wasmgate-gen-0"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn quiet_prints_a_closing_summary_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let empty = no_known(dir.path());
    let o = quick_run("400..800", &out, &["--known", empty.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert_eq!(stderr(&o), "", "nothing on stderr with -q");
    let text = stdout(&o);
    assert!(!text.contains("reproduce:"), "{text}");
    assert!(text.lines().count() <= 6, "{text}");
    assert!(text.contains("gate: FAILED"), "{text}");
}

#[test]
fn sweep_runs_in_worker_processes_and_reports_as_a_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = wasmgate(&[
        "sweep",
        "-q",
        "--engines",
        "wasmi,wasmtime-cranelift,crash:wasmi:i32.add",
        "--only",
        "i32.add",
        "--timeout",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        code(&o),
        1,
        "a crash is a finding, not the end of the sweep: {}",
        stderr(&o)
    );
    assert_eq!(stderr(&o), "", "-q");
    let r = report(&out);
    assert_eq!(r["kind"], "sweep");
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "crash");
    assert_eq!(f["blamed"], serde_json::json!(["crash:wasmi:i32.add"]));
    assert!(
        out.join(f["bundle"].as_str().unwrap())
            .join("module.wasm")
            .exists()
    );
    assert!(
        std::fs::read_to_string(out.join("summary.md"))
            .unwrap()
            .starts_with("# wasmgate sweep")
    );
    assert!(
        std::fs::read_to_string(out.join("report.xml"))
            .unwrap()
            .contains(r#"<testsuite name="wasmgate.sweep""#)
    );
}

#[test]
fn an_engine_crashing_in_a_cause_replay_costs_the_cause_not_the_report() {
    // wasmi's select/eqz bug diverges in the sweep; looking for its cause
    // puts `i32.const 0; i32.or` after the `i32.eqz`, and this wasmi aborts
    // on any module with an `i32.or`: the crash shows only in a replay.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let engines = "wasmtime-cranelift,crash:wasmi:i32.or";
    let args = ["sweep", "--engines", engines, "--only", "i32.eqz", "--out"];
    let o = wasmgate(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("causes: 1 replay(s) ended in an engine's crash or hang"),
        "{}",
        stdout(&o)
    );
    let r = report(&out);
    assert_eq!(r["summary"]["lost_replays"], 1);
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "value", "{f}");
    assert!(f["cause"].is_null(), "a crashed replay names no cause: {f}");
    assert!(f["known"].is_null(), "{f}");
    assert!(
        out.join(f["bundle"].as_str().unwrap())
            .join("module.wasm")
            .exists()
    );
    // In this process the same replay takes the sweep down: the crash is real.
    let inside = dir.path().join("inside");
    let o = wasmgate(&[&args[..], &[inside.to_str().unwrap(), "--in-process"]].concat());
    assert!(!o.status.success());
    assert!(!inside.join("report.json").exists());
}

#[test]
fn resume_drops_journal_lines_that_are_not_the_runs_own() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "run",
        "-q",
        "--seeds",
        "0..200",
        "--engines",
        ENGINES,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let journal = out.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let case = lines.iter().find(|l| l.contains(r#""case":"#)).unwrap();
    let mut doctored: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // Every case line twice, a seed outside 0..200, and a line of another run.
    doctored.extend(
        lines
            .iter()
            .filter(|l| l.contains(r#""case":"#))
            .map(|l| l.to_string()),
    );
    let seed = serde_json::from_str::<serde_json::Value>(case).unwrap()["case"]["seed"].clone();
    doctored.push(case.replace(&format!(r#""seed":{seed}"#), r#""seed":5000"#));
    let id = serde_json::from_str::<serde_json::Value>(lines[0]).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    doctored.push(case.replace(&id, "0000000000000000"));
    std::fs::write(&journal, doctored.join("\n") + "\n").unwrap();
    let o = wasmgate(&["run", "-q", "--resume", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(report(&out)["summary"]["cases"], 200, "each seed counted once");
    let err = stderr(&o);
    assert!(err.contains("200 line(s) repeating a seed"), "{err}");
    assert!(
        err.contains("1 line(s) with a seed outside the run's seeds"),
        "{err}"
    );
    assert!(err.contains("1 line(s) of another run"), "{err}");
}

#[test]
fn a_report_folder_is_locked_cleared_of_its_old_report_and_never_a_merge_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let empty = no_known(dir.path());
    let run = |seeds: &str| quick_run(seeds, &out, &["--known", empty.to_str().unwrap()]);
    assert_eq!(code(&run("470..480")), 1);
    assert!(out.join("findings").read_dir().unwrap().count() > 0);
    // Reusing the folder for a run that agrees leaves no stale finding beside it.
    assert_eq!(code(&run("0..10")), 0);
    assert!(!out.join("findings").exists());

    // A second run on a folder in use is refused.
    let lock = std::fs::File::open(out.join(".wasmgate.lock")).unwrap();
    lock.lock().unwrap();
    let o = run("0..10");
    assert_eq!(code(&o), 2);
    assert!(
        usage_error(&o).contains("in use by another wasmgate"),
        "{}",
        stderr(&o)
    );
    drop(lock);

    // A folder with files wasmgate did not write is refused.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let o = wasmgate(&[
        "run",
        "-q",
        "--seeds",
        "0..5",
        "--engines",
        ENGINES,
        "--out",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        usage_error(&o).contains("`notes.txt`, which wasmgate did not write"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );

    // merge --out naming one of its inputs is refused, and the input is untouched.
    let before = std::fs::read(out.join("report.json")).unwrap();
    let o = wasmgate(&["merge", out.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(usage_error(&o).contains("is one of the inputs"), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), before);
}

#[test]
fn shrinking_never_replaces_a_smaller_result_with_a_larger_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "run",
        "-q",
        "--profile",
        "default",
        "--seeds",
        "700..710",
        "--engines",
        ENGINES,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(&out);
    let bundle = out.join(r["findings"][0]["bundle"].as_str().unwrap());
    let minimized = bundle.join("minimized/module.wasm");
    let small = std::fs::metadata(&minimized).unwrap().len();
    assert!(small < std::fs::metadata(bundle.join("module.wasm")).unwrap().len());
    let o = wasmgate(&["shrink", bundle.to_str().unwrap(), "--shrink-attempts", "0"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(std::fs::metadata(&minimized).unwrap().len(), small);
}

#[test]
fn conformance_takes_a_baseline_report_folder() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let args = |out: &std::path::Path| {
        vec![
            "conformance".to_string(),
            "-q".into(),
            "--only".into(),
            "i32.wast".into(),
            "--engines".into(),
            "wasmi,wasmtime-cranelift".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ]
    };
    let a = args(&first);
    let o = wasmgate(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut b = args(&dir.path().join("second"));
    b.extend(["--baseline".to_string(), first.to_str().unwrap().to_string()]);
    let o = wasmgate(&b.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&o), 0, "a report folder is a baseline: {}", stderr(&o));
}
