//! `wasmgate perf` end to end: workloads measured and checked on several
//! engines, a baseline saved and compared (an injected slowdown fails the
//! gate, an A/A run does not), the SQLite history and its trend, the HTML
//! page, a team's own module, and the bad inputs. No assertion here depends
//! on how fast anything is: the slowdowns injected are far beyond the
//! thresholds used, and the detection rates are measured by
//! scripts/perf-detection.sh, not by tests.

use crate::common;

use common::{code, report, stderr, stdout, usage_error, wasmgate};
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn bench() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/bench")
}

/// `wasmgate perf` on two workloads with few rounds, history in `dir`.
fn perf(dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let bench = bench();
    let history = dir.join("history.sqlite");
    let out = dir.join(out);
    let mut args = vec![
        "perf",
        "--workloads",
        s(&bench),
        "--workload",
        "fib,crc32",
        "--reps",
        "4",
        "-q",
        "--history",
        s(&history),
        "--out",
        s(&out),
    ];
    args.extend_from_slice(extra);
    wasmgate(&args)
}

#[test]
fn every_engine_agrees_on_every_workload_checksum_and_is_measured_per_phase() {
    let tmp = tempfile::tempdir().unwrap();
    let o = perf(tmp.path(), "r", &["--engines", "wasmtime-cranelift,wasmi"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&tmp.path().join("r"));
    assert_eq!(r["kind"], "perf");
    assert_eq!(
        r["summary"]["agreed"], 2,
        "both checksums agree: {}",
        r["summary"]
    );
    let cells = r["perf"]["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4, "2 workloads × 2 engines");
    for c in cells {
        for phase in ["compile", "instantiate", "execute"] {
            assert_eq!(c[phase]["samples"], 4, "{c}");
            assert!(c[phase]["low_ns"].as_f64() <= c[phase]["median_ns"].as_f64());
            assert!(c[phase]["median_ns"].as_f64() <= c[phase]["high_ns"].as_f64());
        }
        assert_eq!(c["clock"], "cpu", "in-process engines report CPU time");
        assert!(c["memory_bytes"].as_u64().unwrap() >= 65536);
        assert!(c["peak_rss_bytes"].as_u64().unwrap() > 0);
    }
    // Quiet: the closing summary only, no table (the report has it all).
    let out = stdout(&o);
    assert!(!out.contains('┌') && !out.contains("execute"), "{out}");
    assert!(out.contains("gate: passed"), "{out}");
    // Without -q, the table names every workload and engine.
    let o = wasmgate(&[
        "perf",
        "--workloads",
        s(&bench()),
        "--workload",
        "fib,crc32",
        "--reps",
        "3",
        "--engines",
        "wasmtime-cranelift,wasmi",
        "--history",
        s(&tmp.path().join("h2.sqlite")),
        "--out",
        s(&tmp.path().join("loud")),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    for word in ["fib", "crc32", "wasmtime-cranelift", "wasmi", "execute"] {
        assert!(out.contains(word), "{out}");
    }
    let html = std::fs::read_to_string(tmp.path().join("r/report.html")).unwrap();
    assert!(
        html.matches("<svg").count() >= 3,
        "bars per workload and the phase breakdown"
    );
    // Self-contained: no script, and nothing fetched (the SVG namespace is a name, not a fetch).
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
}

#[test]
fn v8_is_timed_inside_node() {
    let tmp = tempfile::tempdir().unwrap();
    let o = perf(
        tmp.path(),
        "r",
        &["--engines", "wasmi,v8-liftoff", "--no-history"],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&tmp.path().join("r"));
    let v8: Vec<&serde_json::Value> = r["perf"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["engine"] == "v8-liftoff")
        .collect();
    assert_eq!(v8.len(), 2);
    for c in v8 {
        assert_eq!(c["timed"], "in-engine", "{c}");
        assert_eq!(c["clock"], "cpu", "node reports its CPU time: {c}");
    }
}

#[test]
fn a_slowed_engine_fails_against_its_baseline_and_an_a_a_run_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("baselines");
    // Three workloads (fib, crc32, sha256): enough for the pooled comparison.
    let o = perf(
        tmp.path(),
        "base",
        &[
            "--engines",
            "wasmi",
            "--workload",
            "sha256",
            "--save-baseline",
            "b",
            "--baseline-dir",
            s(&dir),
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(dir.join("b.json").is_file());
    // Four times as slow against a 50 % threshold: far beyond any noise.
    let o = perf(
        tmp.path(),
        "slow",
        &[
            "--engines",
            "slow:wasmi:300",
            "--workload",
            "sha256",
            "--baseline",
            "b",
            "--baseline-dir",
            s(&dir),
            "--threshold",
            "50",
        ],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("regression: ") && out.contains("execute on slow:wasmi:300"),
        "{out}"
    );
    assert!(out.contains("gate: FAILED"), "{out}");
    let r = report(&tmp.path().join("slow"));
    assert_eq!(r["gate"]["passed"], false);
    let pooled = r["perf"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["workload"] == "(all workloads)" && c["phase"] == "execute")
        .expect("a pooled comparison")
        .clone();
    assert_eq!(pooled["change"], "regressed", "{pooled}");
    assert_eq!(pooled["baseline_engine"], "wasmi");
    assert!(pooled["ratio"].as_f64().unwrap() > 2.0, "{pooled}");
    // The same engine against its own baseline, with a threshold no drift reaches.
    let o = perf(
        tmp.path(),
        "aa",
        &[
            "--engines",
            "wasmi",
            "--workload",
            "sha256",
            "--baseline",
            "b",
            "--baseline-dir",
            s(&dir),
            "--threshold",
            "200",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&tmp.path().join("aa"));
    assert_eq!(
        r["perf"]["comparisons"].as_array().unwrap().len(),
        3 * 3 + 3,
        "per cell and pooled"
    );
    let md = std::fs::read_to_string(tmp.path().join("aa/summary.md")).unwrap();
    assert!(md.contains("Against baseline `b`"), "{md}");
}

/// Compile phases are compared but gate only with `--compile-gate-floor`:
/// then a compile-time regression fails the gate like an execute one. The
/// built-in `codegen` workload (250 functions) compiles for milliseconds,
/// and `slow:ENGINE:PCT@compile` slows only that phase. The floors are 0 so
/// the verdict does not hang on how fast this machine compiles.
#[test]
fn a_slower_compile_fails_against_the_baseline_and_only_compile_is_blamed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("baselines");
    let base = [
        "--workload",
        "codegen",
        "--baseline-dir",
        s(&dir),
        "--gate-floor",
        "0",
        "--threshold",
        "50",
    ];
    let gated = [&base[..], &["--compile-gate-floor", "0"]].concat();
    let o = perf(
        tmp.path(),
        "base",
        &[&["--engines", "wasmi", "--save-baseline", "b"], &base[..]].concat(),
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // By default the slower compile is reported, not gated.
    let o = perf(
        tmp.path(),
        "reported",
        &[
            &["--engines", "slow:wasmi:300@compile", "--baseline", "b"],
            &base[..],
        ]
        .concat(),
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&tmp.path().join("reported"));
    let compile: Vec<&serde_json::Value> = r["perf"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["phase"] == "compile")
        .collect();
    assert!(
        compile.iter().all(|c| c["gated"] == false)
            && compile
                .iter()
                .any(|c| c["workload"] == "codegen" && c["change"] == "regressed"),
        "{compile:?}"
    );
    let md = std::fs::read_to_string(tmp.path().join("reported/summary.md")).unwrap();
    assert!(md.contains("compile phases are reported, not gated"), "{md}");
    let o = perf(
        tmp.path(),
        "slow",
        &[
            &["--engines", "slow:wasmi:300@compile", "--baseline", "b"],
            &gated[..],
        ]
        .concat(),
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("regression: codegen compile on slow:wasmi:300@compile"),
        "{out}"
    );
    let r = report(&tmp.path().join("slow"));
    let failed: Vec<&serde_json::Value> = r["perf"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "regressed")
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|c| c["phase"] == "compile"),
        "only compile was slowed: {failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|c| c["workload"] == "codegen" && c["gated"] == true),
        "{failed:?}"
    );
    // Without -q the table's last column names the failed phase.
    let o = wasmgate(&[
        "perf",
        "--workload",
        "codegen",
        "--reps",
        "4",
        "--no-history",
        "--out",
        s(&tmp.path().join("table")),
        "--engines",
        "slow:wasmi:300@compile",
        "--baseline",
        "b",
        "--baseline-dir",
        s(&dir),
        "--gate-floor",
        "0",
        "--compile-gate-floor",
        "0",
        "--threshold",
        "50",
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("✗ compile: "), "{}", stdout(&o));
}

#[test]
fn the_history_keeps_every_run_and_shows_the_trend() {
    let tmp = tempfile::tempdir().unwrap();
    for out in ["one", "two"] {
        let o = perf(tmp.path(), out, &["--engines", "wasmtime-cranelift,wasmi"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let r = report(&tmp.path().join("two"));
    assert_eq!(r["perf"]["history_run"], 2);
    let runs: std::collections::BTreeSet<i64> = r["perf"]["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["run"].as_i64().unwrap())
        .collect();
    assert_eq!(runs.len(), 2, "the trend holds both runs");
    let html = std::fs::read_to_string(tmp.path().join("two/report.html")).unwrap();
    assert!(html.contains("Trend over the last 2 runs"));
    let history = tmp.path().join("history.sqlite");
    let o = wasmgate(&[
        "perf",
        "history",
        "--history",
        s(&history),
        "--program",
        "fib",
        "--engine",
        "wasmi",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 runs"), "{out}");
    assert!(out.contains("fib on wasmi:"), "{out}");
    assert_eq!(out.matches("  run ").count(), 2, "{out}");
    assert!(out.contains('%'), "the change against the run before: {out}");
}

#[test]
fn two_runs_appending_at_once_both_land_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = std::thread::scope(|scope| {
        let one = scope.spawn(|| perf(tmp.path(), "one", &["--engines", "wasmtime-cranelift,wasmi"]));
        let two = scope.spawn(|| perf(tmp.path(), "two", &["--engines", "wasmtime-cranelift,wasmi"]));
        (one.join().unwrap(), two.join().unwrap())
    });
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(code(&b), 0, "{}", stderr(&b));
    let history = tmp.path().join("history.sqlite");
    let o = wasmgate(&["perf", "history", "--history", s(&history)]);
    assert!(stdout(&o).contains("2 runs"), "{}", stdout(&o));
    // 2 runs × 2 workloads × 2 engines: a line per run under each of 4 headings.
    assert_eq!(stdout(&o).matches("  run ").count(), 8, "{}", stdout(&o));
}

#[test]
fn your_own_module_and_export_are_measured_the_same_way() {
    let tmp = tempfile::tempdir().unwrap();
    let fib = bench().join("fib.wasm");
    let out = tmp.path().join("own");
    let o = wasmgate(&[
        "perf",
        "--wasm",
        s(&fib),
        "--call",
        "run",
        "20",
        "--engines",
        "wasmtime-cranelift,wasmi",
        "--reps",
        "3",
        "--no-history",
        "-q",
        "--out",
        s(&out),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    assert_eq!(r["perf"]["workloads"][0]["call"], "run(i32:20)");
    assert_eq!(r["perf"]["cells"].as_array().unwrap().len(), 2);
}

#[test]
fn a_wrong_checksum_is_a_finding_with_a_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(bench().join("fib.wasm"), dir.join("fib.wasm")).unwrap();
    std::fs::write(
        dir.join("workloads.toml"),
        "[[workload]]\nname = \"fib\"\nmodule = \"fib.wasm\"\nargs = [20]\nchecksum = 6766\n",
    )
    .unwrap();
    let out = tmp.path().join("r");
    let o = wasmgate(&[
        "perf",
        "--workloads",
        s(&dir),
        "--engines",
        "wasmtime-cranelift,wasmi",
        "--reps",
        "2",
        "--no-history",
        "-q",
        "--out",
        s(&out),
    ]);
    assert_eq!(code(&o), 1, "fib(20) is 6765: {}{}", stdout(&o), stderr(&o));
    let r = report(&out);
    let finding = &r["findings"][0];
    assert_eq!(finding["kind"], "expected", "{finding}");
    assert!(
        out.join(finding["bundle"].as_str().unwrap())
            .join("bundle.json")
            .is_file()
    );
    assert_eq!(
        r["perf"]["failures"].as_array().unwrap().len(),
        2,
        "{}",
        r["perf"]
    );
}

#[test]
fn bad_inputs_get_one_error_line_and_the_history_is_never_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let e = usage_error(&perf(
        tmp.path(),
        "r",
        &["--engines", "wasmi,wasmtime-cranelift", "--workload", "nope"],
    ));
    assert!(e.contains("no workload `nope`"), "{e}");
    let fib = bench().join("fib.wasm");
    let e = usage_error(&wasmgate(&[
        "perf",
        "--wasm",
        s(&fib),
        "--call",
        "missing",
        "--engines",
        "wasmi,wasmtime-cranelift",
    ]));
    assert!(e.contains("exports no function `missing`"), "{e}");
    let e = usage_error(&wasmgate(&[
        "perf",
        "--wasm",
        s(&fib),
        "--call",
        "run",
        "1",
        "2",
        "--engines",
        "wasmi,wasmtime-cranelift",
    ]));
    assert!(e.contains("takes 1 argument"), "{e}");
    let e = usage_error(&perf(tmp.path(), "r", &["--engines", "slow:wasmi:fast"]));
    assert!(e.contains("not a slowdown in percent"), "{e}");
    let e = usage_error(&perf(tmp.path(), "r", &["--engines", "slow:wasmi:25@link"]));
    assert!(e.contains("`link` in `slow:wasmi:25@link` is not a phase"), "{e}");
    let e = usage_error(&perf(
        tmp.path(),
        "r",
        &["--engines", "wasmi,wasmtime-cranelift", "--compile-gate-floor=-3"],
    ));
    assert!(e.contains("--compile-gate-floor -3 is not a duration"), "{e}");
    let e = usage_error(&perf(tmp.path(), "r", &["--engines", "wasmi"]));
    assert!(e.contains("give two engines or more"), "{e}");

    // A history that is not one: refused before measuring, bytes unchanged.
    let history = tmp.path().join("history.sqlite");
    let garbage = b"this is not an SQLite database, but it is somebody's file\n".repeat(100);
    std::fs::write(&history, &garbage).unwrap();
    let e = usage_error(&perf(tmp.path(), "r", &["--engines", "wasmi,wasmtime-cranelift"]));
    assert!(e.contains("is not a usable wasmgate perf history"), "{e}");
    assert_eq!(std::fs::read(&history).unwrap(), garbage);
    let e = usage_error(&wasmgate(&["perf", "history", "--history", s(&history)]));
    assert!(e.contains("not a usable wasmgate perf history"), "{e}");
    let e = usage_error(&wasmgate(&[
        "perf",
        "history",
        "--history",
        s(&tmp.path().join("none.sqlite")),
    ]));
    assert!(e.contains("no perf history at"), "{e}");

    // A baseline measured on other engines.
    std::fs::remove_file(&history).unwrap();
    let dir = tmp.path().join("baselines");
    let o = perf(
        tmp.path(),
        "b",
        &[
            "--engines",
            "wasmi",
            "--save-baseline",
            "one",
            "--baseline-dir",
            s(&dir),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let e = usage_error(&perf(
        tmp.path(),
        "r",
        &[
            "--engines",
            "wasmtime-cranelift",
            "--baseline",
            "one",
            "--baseline-dir",
            s(&dir),
        ],
    ));
    assert!(
        e.contains("was measured on wasmi, this run measures wasmtime-cranelift"),
        "{e}"
    );
    let e = usage_error(&perf(
        tmp.path(),
        "r",
        &[
            "--engines",
            "wasmi",
            "--baseline",
            "two",
            "--baseline-dir",
            s(&dir),
        ],
    ));
    assert!(e.contains("no baseline `two`"), "{e}");
    std::fs::write(dir.join("bad.json"), "{\"schema_version\": 1").unwrap();
    let e = usage_error(&perf(
        tmp.path(),
        "r",
        &[
            "--engines",
            "wasmi",
            "--baseline",
            "bad",
            "--baseline-dir",
            s(&dir),
        ],
    ));
    assert!(e.contains("is not a wasmgate perf baseline"), "{e}");
}

#[test]
fn the_html_report_renders_in_chromium() {
    if !common::chromium_here() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI without chromium: .ci/run installs it"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let shot = tmp.path().join("shot.png");
    let o = common::script("report-screenshot.sh", &["", s(&shot)], &[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("charts in"), "{}", stdout(&o));
    assert!(std::fs::metadata(&shot).unwrap().len() > 30_000);
}

/// The built-in workloads ship inside the binary: `perf` without
/// `--workloads` runs from any folder, and reports them under their names.
#[test]
fn the_built_in_workloads_run_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args([
            "perf",
            "--workload",
            "fib",
            "--engines",
            "wasmi,wasmtime-cranelift",
            "--reps",
            "2",
            "-q",
            "--out",
            "r",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let r = report(&dir.path().join("r"));
    assert_eq!(r["summary"]["agreed"], 1, "{}", r["summary"]);
    let cells = r["perf"]["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "fib on two engines: {cells:?}");
    assert!(cells.iter().all(|c| c["workload"] == "fib"), "{cells:?}");
}
