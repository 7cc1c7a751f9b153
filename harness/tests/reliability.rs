//! Reliability: hostile modules stay bounded and leave nothing behind, signals
//! end a run with a report, and names, engine commands and bundles are checked.

use crate::common;

use common::{ENGINES, code, quick_run, report, stderr, wasmgate};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn hostile_modules_are_bounded_on_every_engine_and_leave_no_process() {
    let _heavy = common::heavy();
    let o = common::script("hostile.sh", &["2"], &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Every module ran: six rows, none a divergence.
    for module in [
        "memory-max",
        "memory-fill",
        "table-grow",
        "deep-recursion",
        "long-loop",
        "start-loop",
    ] {
        let row = out
            .lines()
            .find(|l| l.starts_with(module))
            .unwrap_or_else(|| panic!("{module}: {out}"));
        assert!(!row.contains("DIVERGES"), "{row}");
    }
    assert!(out.contains("every engine hung"), "{out}");
}

#[test]
fn growth_past_the_limits_is_refused_alike_by_every_engine() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/hostile");
    for (module, expected) in [
        ("memory-max.wat", "i32:4096"),
        ("table-grow.wat", "i32:-1, i32:0, i32:1000"),
    ] {
        let o = wasmgate(&["repro", "--wasm", dir.join(module).to_str().unwrap()]);
        let out = common::stdout(&o);
        assert_eq!(code(&o), 0, "{module}: {out}{}", stderr(&o));
        assert!(out.contains(expected), "{module}: {out}");
    }
}

/// Starts `wasmgate run` on `seeds` into `out` without waiting for it.
fn start_run(seeds: &str, out: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(common::quick_run_args(seeds, out))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

/// Waits until the journal in `out` holds at least `n` cases.
fn wait_for_cases(out: &std::path::Path, n: usize) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let lines = std::fs::read_to_string(out.join("journal.jsonl"))
            .map(|t| t.matches(r#""case":"#).count())
            .unwrap_or(0);
        if lines >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the run never reached {n} cases");
}

#[test]
fn sigint_writes_the_report_for_what_was_done_and_the_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let child = start_run("0..200000", &out);
    wait_for_cases(&out, 50);
    signal(&child, libc::SIGINT);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["run"]["interrupted"], true);
    assert_eq!(r["gate"]["exit_code"], 130);
    let cases = r["summary"]["cases"].as_u64().unwrap();
    assert!((50..200000).contains(&cases), "{cases}");
    assert_eq!(
        r["run"]["seeds"]["end"].as_u64().unwrap(),
        cases,
        "the seeds it covered"
    );
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));

    // SIGTERM does the same, and a second signal ends the run at once.
    let out2 = dir.path().join("r2");
    let child = start_run("0..200000", &out2);
    wait_for_cases(&out2, 20);
    signal(&child, libc::SIGTERM);
    signal(&child, libc::SIGTERM);
    let start = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    assert!(start.elapsed() < Duration::from_secs(5));
    // Either way the journal resumes.
    let o = wasmgate(&["run", "-q", "--resume", out2.to_str().unwrap(), "--time", "1s"]);
    assert!([0, 1].contains(&code(&o)), "{}", stderr(&o));
}

#[test]
fn names_engine_commands_and_bundles_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let o = wasmgate(&[
        "run",
        "--seeds",
        "0..5",
        "--engines",
        ENGINES,
        "--name",
        "../../escape",
    ]);
    assert_eq!(code(&o), 2);
    assert!(common::usage_error(&o).contains("invalid run name"));
    assert!(!std::path::Path::new("../../escape").exists());

    let o = wasmgate(&["run", "--seeds", "0..5", "--engine-cmd", "wasmi=node x.mjs"]);
    assert_eq!(code(&o), 2);
    assert!(common::usage_error(&o).contains("`wasmi` is the name of a built-in engine"));

    // merge refuses a shard whose bundle was damaged, before writing anything.
    let shard = dir.path().join("s");
    let o = quick_run("470..480", &shard, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bundle = shard.join(report(&shard)["findings"][0]["bundle"].as_str().unwrap());
    std::fs::write(bundle.join("module.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let merged = dir.path().join("m");
    let o = wasmgate(&[
        "merge",
        shard.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "--allow-incomplete",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        common::usage_error(&o).contains("bundle is missing or damaged"),
        "{}",
        stderr(&o)
    );
    assert!(!merged.join("report.json").exists());
}

/// The pids whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // Fields after the command (which may hold spaces) end at the last ')'.
        let rest = &stat[stat.rfind(')').unwrap_or(0) + 1..];
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == pid {
            found.push(child);
        }
    }
    found
}

/// Whether `pid` is still running (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s[s.rfind(')').unwrap_or(0) + 1..].trim_start().starts_with('Z'))
        .unwrap_or(false)
}

#[test]
fn a_supervisor_killed_with_sigkill_takes_its_workers_and_engines_along() {
    let dir = tempfile::tempdir().unwrap();
    // A hanging engine keeps workers busy in a wasm loop, where they read no EOF.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(["run", "-q", "--seeds", "0..400", "--timeout", "60", "--engines"])
        .arg("wasmi,v8-turbofan,hang:wasmi:i64.rotl")
        .arg("--out")
        .arg(dir.path().join("r"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut workers = Vec::new();
    while workers.len() < 2 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(200));
        workers = children(child.id());
    }
    assert!(!workers.is_empty(), "no worker started");
    std::thread::sleep(Duration::from_secs(2));
    let engines: Vec<u32> = workers.iter().flat_map(|&w| children(w)).collect();
    child.kill().unwrap(); // SIGKILL: no handler, no cleanup in the supervisor
    child.wait().unwrap();
    let gone = Instant::now();
    while gone.elapsed() < Duration::from_secs(5) && workers.iter().chain(&engines).any(|&p| alive(p)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left: Vec<&u32> = workers.iter().chain(&engines).filter(|&&p| alive(p)).collect();
    assert!(
        left.is_empty(),
        "left behind: {left:?} (workers {workers:?}, engines {engines:?})"
    );
}

#[test]
fn v8_hangs_like_the_others_past_its_own_request_limit() {
    // V8's engine process used to give up after its own request limit (10 s,
    // or WASMGATE_ENGINE_TIMEOUT_MS) and count as "completed" while the other
    // engines were blamed for hanging. The limit inherited here is below
    // --timeout: the worker must give its engine processes its own.
    let module = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/hostile/long-loop.wat");
    let o = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .env("WASMGATE_ENGINE_TIMEOUT_MS", "1000")
        .args([
            "repro",
            "--wasm",
            module.to_str().unwrap(),
            "--engines",
            "v8-turbofan,wasmi",
            "--timeout",
            "3",
        ])
        .output()
        .unwrap();
    let out = common::stdout(&o);
    // Inconclusive: nothing was compared, so not a pass either.
    assert_eq!(code(&o), 2, "{out}{}", stderr(&o));
    assert!(
        out.contains("every engine hung (no answer within 3 s of CPU time) at call 0"),
        "{out}"
    );
    assert!(
        common::usage_error(&o).contains("the case is inconclusive (every engine hung"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_harness_memory_limit_is_never_an_engine_crash() {
    // Compiling 4000 functions needs more than a 32 MiB data limit on
    // wasmtime: the worker's allocation fails. That is wasmgate's limit
    // reached, which says nothing of the engine.
    let dir = tempfile::tempdir().unwrap();
    let mut wat = String::from("(module\n");
    for i in 0..4000 {
        wat.push_str(&format!("(func (export \"f{i}\") (result i32) i32.const {i})\n"));
    }
    wat.push(')');
    let module = dir.path().join("many.wat");
    std::fs::write(&module, &wat).unwrap();
    let script = dir.path().join("many.wast");
    std::fs::write(
        &script,
        format!("{wat}\n(assert_return (invoke \"f7\") (i32.const 7))\n"),
    )
    .unwrap();
    let limited = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wasmgate"))
            .env("WASMGATE_WORKER_DATA_MB", "32")
            .args(args)
            .output()
            .unwrap()
    };
    let engines = "wasmtime-cranelift,wasmi";
    let out = dir.path().join("conformance");
    let o = limited(&[
        "conformance",
        "-q",
        "--file",
        script.to_str().unwrap(),
        "--engines",
        engines,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "no engine failed: {}", stderr(&o));
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(text.contains("reached wasmgate's memory limit (32 MiB"), "{text}");
    assert!(!text.contains("crash"), "{text}");

    let o = limited(&["repro", "--wasm", module.to_str().unwrap(), "--engines", engines]);
    let said = common::stdout(&o);
    assert!(
        said.contains(
            "verdict: inconclusive — not compared: wasmtime-cranelift reached wasmgate's memory limit"
        ),
        "{said}"
    );
    assert!(common::usage_error(&o).contains("inconclusive"));
}
