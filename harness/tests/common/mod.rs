//! Helpers shared by the end-to-end tests: run the `wasmgate` binary, read what it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `wasmgate ARGS…` to completion.
pub fn wasmgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(args)
        .output()
        .expect("wasmgate runs")
}

/// Runs `wasmgate ARGS…` to completion in folder `dir`.
pub fn wasmgate_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("wasmgate runs")
}

/// The exit code (the process must not die of a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `report.json` in `dir`.
pub fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json written")).unwrap()
}

/// Runs `scripts/NAME` with `bash`, this build's binary as `WASMGATE`, the
/// given arguments and environment.
pub fn script(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(name);
    Command::new("bash")
        .arg(path)
        .args(args)
        .env("WASMGATE", env!("CARGO_BIN_EXE_wasmgate"))
        .envs(env.iter().copied())
        .output()
        .expect("bash runs")
}

/// The one `error: …` line of an invocation that must fail with exit 2.
pub fn usage_error(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(code(o), 2, "exit 2 expected: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stderr: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_string()
}

/// Three engines from three code bases: fast, and enough for a majority.
pub const ENGINES: &str = "wasmtime-cranelift,wasmi,wasmer-cranelift";

/// The arguments of `wasmgate run -q --seeds SEEDS` on [`ENGINES`], without
/// shrinking, into `out`.
pub fn quick_run_args(seeds: &str, out: &Path) -> Vec<String> {
    let out = out.to_str().expect("a UTF-8 path");
    [
        "run",
        "-q",
        "--profile",
        "default",
        "--seeds",
        seeds,
        "--engines",
        ENGINES,
        "--shrink-attempts",
        "0",
        "--out",
        out,
    ]
    .map(String::from)
    .to_vec()
}

/// Runs [`quick_run_args`] with `extra` arguments.
pub fn quick_run(seeds: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = quick_run_args(seeds, out);
    args.extend(extra.iter().map(|a| a.to_string()));
    wasmgate(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// An empty known-divergence list in `dir`: with it, known bugs are new findings.
pub fn no_known(dir: &Path) -> PathBuf {
    let path = dir.join("no-known.toml");
    std::fs::write(&path, "").expect("writable temp folder");
    path
}

/// `engines` with `v8-chromium` added when Chromium is here.
pub fn with_chromium(engines: &str) -> String {
    if chromium_here() {
        format!("{engines},v8-chromium")
    } else {
        engines.to_string()
    }
}

/// Whether a headless Chromium can be started here (`.ci/run` installs one;
/// tests that use `v8-chromium` leave it out, saying so, where there is none).
pub fn chromium_here() -> bool {
    command_here(
        "CHROMIUM",
        "chromium",
        "no Chromium here: v8-chromium is left out of this test",
    )
}

/// Whether a Firefox (`firefox-esr`, or `FIREFOX`) is here: `.ci/run`
/// installs one; tests that use `spidermonkey-firefox` leave it out, saying
/// so, where there is none.
pub fn firefox_here() -> bool {
    command_here(
        "FIREFOX",
        "firefox-esr",
        "no Firefox here: spidermonkey-firefox is left out of this test",
    )
}

/// `engines` and `spidermonkey-firefox`, where a Firefox can run.
pub fn with_firefox(engines: &str) -> String {
    if firefox_here() {
        format!("{engines},spidermonkey-firefox")
    } else {
        engines.to_string()
    }
}

/// Whether a SpiderMonkey shell (`js102`, or `SPIDERMONKEY`) is here.
pub fn spidermonkey_here() -> bool {
    command_here(
        "SPIDERMONKEY",
        "js102",
        "no SpiderMonkey shell here: its engines are left out of this test",
    )
}

/// Whether the command in `var` (or `default`) is on the `PATH`; says `absent` when not.
/// Where `command` is on the `PATH`, if it is.
pub fn which(command: &str) -> Option<String> {
    let o = Command::new("sh")
        .args(["-c", &format!("command -v '{command}'")])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
    (o.status.success() && !path.is_empty()).then_some(path)
}

fn command_here(var: &str, default: &str, absent: &str) -> bool {
    let binary = std::env::var(var).unwrap_or_else(|_| default.into());
    let here = Command::new("sh")
        .args(["-c", &format!("command -v '{binary}'")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !here {
        eprintln!("{absent}");
    }
    here
}

/// Every engine configuration of the default build that can run here.
pub fn all_engines() -> usize {
    12 + if chromium_here() { 1 } else { 0 }
        + if firefox_here() { 1 } else { 0 }
        + if spidermonkey_here() { 2 } else { 0 }
        - 1
}

/// The engines a report lists as unavailable, in order.
pub fn unavailable(report: &serde_json::Value) -> Vec<String> {
    report["unavailable"]
        .as_array()
        .expect("unavailable is a list")
        .iter()
        .map(|u| u["engine"].as_str().expect("an engine name").to_string())
        .collect()
}

/// Held by the tests that keep both cores busy for long (a full sweep or
/// run on every engine, the spec testsuite, hostile modules): one of them at
/// a time, while the other test thread runs the light ones beside it. Two
/// at once would each take several times as long (every engine process
/// waits for a core at each of its many exchanges).
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}
