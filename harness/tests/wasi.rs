//! `wasmgate wasi` end to end: the C test programs of `vectors/wasi/` on
//! wasmtime-wasi, wasmi-wasi and node-wasi through the CLI, case files, the
//! WASI testsuite's format, seeded argument sweeps, findings with bundles
//! that replay, and bad input.

use crate::common;

use common::{code, report, stdout, usage_error, wasmgate};
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `wasmgate wasi ARGS… --out OUT -q`.
fn wasi(out: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["wasi", "-q", "--out", s(out)];
    all.extend_from_slice(args);
    wasmgate(&all)
}

const RUNTIMES: [&str; 4] = ["node-wasi", "wasmer-wasi", "wasmi-wasi", "wasmtime-wasi"];

#[test]
fn the_test_programs_agree_on_every_runtime() {
    let tmp = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for program in ["args", "floats", "files", "exit", "stdin", "env"] {
        let out = tmp.path().join(program);
        let cases = repo(&format!("vectors/wasi/{program}.toml"));
        // files.wasm meets a wasmer-wasix bug, listed as known there.
        let known = repo("vectors/wasi/known-divergences.toml");
        let o = wasi(&out, &[s(&cases), "--known", s(&known)]);
        let r = report(&out);
        assert_eq!(code(&o), 0, "{program}: {}", stdout(&o));
        assert_eq!(r["kind"], "wasi");
        let engines: Vec<&str> = r["engines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            engines,
            ["wasmtime-wasi", "wasmi-wasi", "wasmer-wasi", "node-wasi"],
            "{program}"
        );
        let known = if program == "files" { 1 } else { 0 };
        assert_eq!(r["gate"]["known"], known, "{program}");
        assert_eq!(
            r["summary"]["agreed"].as_u64().unwrap() + known,
            r["summary"]["cases"].as_u64().unwrap(),
            "{program}"
        );
        assert!(r["summary"]["cases"].as_u64().unwrap() >= 1);
        assert!(
            r["wasi"]["deterministic"]
                .as_str()
                .unwrap()
                .contains("clocks fixed")
        );
        assert!(r["wasi"]["not_compared"].as_str().unwrap().contains("inode"));
        runs += r["summary"]["cases"].as_u64().unwrap();
        // Every rendering is written, as for other reports.
        for file in ["summary.md", "report.xml", "report.sarif"] {
            assert!(out.join(file).is_file(), "{program}: {file}");
        }
    }
    assert_eq!(runs, 17);
}

#[test]
fn a_command_line_run_prints_what_every_runtime_agreed_on() {
    let tmp = tempfile::tempdir().unwrap();
    let o = wasmgate(&[
        "wasi",
        "--out",
        s(tmp.path()),
        s(&repo("vectors/wasi/args.wasm")),
        "--",
        "12",
        "30",
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("1 cases on 4 engines"), "{out}");
    for runtime in RUNTIMES {
        assert!(out.contains(&format!("{runtime}: 1 runs")), "{out}");
    }
    let r = report(tmp.path());
    assert_eq!(r["summary"]["calls_returned"], 1);
    // What they agreed on, on the terminal and in the report.
    assert!(out.contains("agreed output (1 run(s)):"), "{out}");
    assert!(
        out.contains("args.wasm [command line]: exit 0, stdout \"sum 42\\n"),
        "{out}"
    );
    let agreed = &r["wasi"]["agreed"][0];
    assert_eq!(agreed["exit"], 0, "{agreed}");
    assert!(
        agreed["stdout"].as_str().unwrap().starts_with("sum 42\n"),
        "{agreed}"
    );
}

/// `--record FILE` writes golden cases from what every runtime agreed on: a
/// seeded sweep becomes a case file that passes on every runtime; a run they
/// disagree on is written without expectations, its finding named.
#[test]
fn record_writes_golden_cases_from_the_agreed_output() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cases/args.toml");
    let o = wasmgate(&[
        "wasi",
        "--out",
        s(&tmp.path().join("r1")),
        s(&repo("vectors/wasi/args.wasm")),
        "--random-args",
        "u32,u32",
        "--count",
        "6",
        "--record",
        s(&file),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("(6 case(s) with their agreed output, 0 without)"),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("[[case]]").count(), 6, "{text}");
    assert_eq!(text.matches("exit = 0").count(), 6, "{text}");
    let o = wasi(&tmp.path().join("r2"), &[s(&file)]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = report(&tmp.path().join("r2"));
    for runtime in RUNTIMES {
        assert_eq!(
            r["wasi"]["expectations"][runtime]["passed"], 6,
            "{runtime}: {}",
            r["wasi"]
        );
    }
    // files.wasm: wasmer-wasi's stderr differs (its known bug, no list given).
    let file = tmp.path().join("files.toml");
    let o = wasi(
        &tmp.path().join("r3"),
        &[s(&repo("vectors/wasi/files.toml")), "--record", s(&file)],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("not recorded: the runtimes disagree (finding stderr-"),
        "{text}"
    );
    assert!(!text.contains("exit ="), "{text}");
    // A testsuite folder has many programs: one error line.
    let o = wasi(
        &tmp.path().join("r4"),
        &[s(&repo("vectors/wasi")), "--record", s(&file)],
    );
    let line = usage_error(&o);
    assert!(
        line.contains("--record writes the cases of one program"),
        "{line}"
    );
}

#[test]
fn an_expectation_missed_is_a_finding_on_every_runtime() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(repo("vectors/wasi/args.wasm"), dir.join("args.wasm")).unwrap();
    std::fs::write(
        dir.join("cases.toml"),
        "program = \"args.wasm\"\n[[case]]\nargs = [\"12\", \"30\"]\nexit = 0\nstdout = \"sum 43\\n\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = wasi(&out, &[s(&dir.join("cases.toml"))]);
    assert_eq!(code(&o), 1);
    let r = report(&out);
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "expected");
    assert_eq!(f["blamed"].as_array().unwrap().len(), 4);
    assert!(f["expected"].as_str().unwrap().contains("sum 43"));
}

#[test]
fn a_runtime_that_behaves_differently_is_blamed_with_a_bundle_that_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // wasmer-wasix says ENOENT where the others say ENOTEMPTY (rmdir of a non-empty folder).
    let o = wasi(&out, &[s(&repo("vectors/wasi/files.toml"))]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let r = report(&out);
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "stderr");
    assert_eq!(f["blamed"], serde_json::json!(["wasmer-wasi"]));
    assert_eq!(f["majority"], true);
    let groups = f["groups"].as_array().unwrap();
    assert!(
        groups[0]["observed"]
            .as_str()
            .unwrap()
            .contains("Directory not empty")
    );
    assert!(
        groups[1]["observed"]
            .as_str()
            .unwrap()
            .contains("No such file or directory")
    );
    let bundle = out.join(f["bundle"].as_str().unwrap());
    // The bundle carries the program and the fixture folder as it was before the run.
    assert!(bundle.join("program.wasm").is_file());
    assert!(bundle.join("fixtures/0/remove-me.txt").is_file());
    assert!(!bundle.join("fixtures/0/out").exists());
    let replay = wasmgate(&["repro", s(&bundle)]);
    assert_eq!(code(&replay), 1);
    let text = stdout(&replay);
    assert!(text.contains("stderr divergence"), "{text}");
    assert!(text.contains("blamed: wasmer-wasi"), "{text}");
    assert!(text.contains(f["signature"].as_str().unwrap()), "{text}");
    // Replayed on the three others only, the bundle agrees.
    let others = wasmgate(&[
        "repro",
        s(&bundle),
        "--engines",
        "wasmtime-wasi,wasmi-wasi,node-wasi",
    ]);
    assert_eq!(code(&others), 0, "{}", stdout(&others));
    // probe.wasm asks what WASI leaves open: two more divergences, known as well.
    let known = repo("vectors/wasi/known-divergences.toml");
    let out2 = tmp.path().join("probe");
    let o = wasi(
        &out2,
        &[s(&repo("vectors/wasi/probe.toml")), "--known", s(&known)],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = report(&out2);
    assert_eq!(r["summary"]["diverged"], 2);
    assert_eq!(r["gate"]["known"], 2);
}

#[test]
fn a_seeded_argument_sweep_is_the_same_for_the_same_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = |name: &str, seed: &str| {
        let out = tmp.path().join(name);
        let o = wasi(
            &out,
            &[
                s(&repo("vectors/wasi/args.wasm")),
                "--random-args",
                "u32,u32",
                "--seed",
                seed,
                "--count",
                "300",
            ],
        );
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        let r = report(&out);
        assert_eq!(r["summary"]["agreed"], 300);
        r
    };
    let a = sweep("a", "42");
    let b = sweep("b", "42");
    assert_eq!(a["summary"], b["summary"]);
    for runtime in RUNTIMES {
        assert_eq!(a["timings"][runtime]["cases"], 300, "{runtime}");
    }
}

#[test]
fn the_wasi_testsuite_format_is_read_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("testsuite");
    std::fs::create_dir_all(suite.join("data")).unwrap();
    for file in ["input.txt", "log.txt", "remove-me.txt"] {
        std::fs::copy(
            repo(&format!("vectors/wasi/fixtures/data/{file}")),
            suite.join("data").join(file),
        )
        .unwrap();
    }
    std::fs::create_dir_all(suite.join("data/sub")).unwrap();
    std::fs::write(suite.join("data/sub/keep.txt"), "keep\n").unwrap();
    std::fs::copy(repo("vectors/wasi/exit.wasm"), suite.join("exit7.wasm")).unwrap();
    std::fs::write(
        suite.join("exit7.json"),
        r#"{"args": ["exit", "7"], "exit_code": 7, "stdout": "ending by exit 7\n"}"#,
    )
    .unwrap();
    std::fs::copy(repo("vectors/wasi/files.wasm"), suite.join("files.wasm")).unwrap();
    std::fs::write(suite.join("files.json"), r#"{"dirs": ["data"]}"#).unwrap();
    std::fs::copy(repo("vectors/wasi/stdin.wasm"), suite.join("stdin.wasm")).unwrap();
    // Tests in a folder below, as in the suite's checkout: the operation-based
    // form, a folder pre-opened as the root `/`, and a test that needs a
    // network connection (skipped, saying so).
    let below = suite.join("c");
    std::fs::create_dir_all(below.join("fs-tests.dir")).unwrap();
    let exit_test = |name: &str, spec: &str| {
        std::fs::copy(repo("vectors/wasi/exit.wasm"), below.join(format!("{name}.wasm"))).unwrap();
        std::fs::write(below.join(format!("{name}.json")), spec).unwrap();
    };
    exit_test(
        "operations",
        r#"{"operations": [{"type": "run", "args": ["return", "5"]}, {"type": "read", "payload": "ending by return 5\n"}, {"type": "wait", "exit_code": 5}]}"#,
    );
    exit_test("rooted", r#"{"root": "fs-tests.dir", "args": ["exit", "0"]}"#);
    exit_test(
        "network",
        r#"{"operations": [{"type": "run"}, {"type": "connect", "protocol_type": "tcp"}, {"type": "wait"}]}"#,
    );
    let out = tmp.path().join("out");
    let known = repo("vectors/wasi/known-divergences.toml");
    let o = wasmgate(&["wasi", "--out", s(&out), s(&suite), "--known", s(&known)]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = report(&out);
    // files.wasm meets the known wasmer-wasix rmdir divergence.
    assert_eq!(r["summary"]["agreed"], 4);
    assert_eq!(r["gate"]["known"], 1);
    assert_eq!(r["run"]["modules"].as_array().unwrap().len(), 6);
    // Each runtime against the suite's expectations: five tests pass, the
    // network test is skipped.
    for runtime in RUNTIMES {
        let counts = &r["wasi"]["expectations"][runtime];
        assert_eq!(
            counts,
            &serde_json::json!({"passed": 5, "failed": 0, "skipped": 1}),
            "{runtime}"
        );
        let line = format!("  {runtime:<15}    5 passed    0 failed    1 skipped");
        assert!(stdout(&o).contains(&line), "{line}\n{}", stdout(&o));
    }
    assert!(
        stdout(&o).contains("network.wasm: needs a network connection (tcp `server`)"),
        "{}",
        stdout(&o)
    );
    // The fixture folder itself is untouched: each run wrote into a copy.
    assert!(suite.join("data/remove-me.txt").is_file());
    assert!(!suite.join("data/out").exists());

    // A missed expectation fails on every runtime that misses it, and a key
    // the format does not have is refused, never ignored.
    let wrong = tmp.path().join("wrong");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::copy(repo("vectors/wasi/exit.wasm"), wrong.join("exit.wasm")).unwrap();
    std::fs::write(wrong.join("exit.json"), r#"{"args": ["exit", "1"]}"#).unwrap();
    let o = wasmgate(&["wasi", "--out", s(&tmp.path().join("out2")), s(&wrong)]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("wasmtime-wasi      0 passed    1 failed    0 skipped"),
        "{}",
        stdout(&o)
    );
    std::fs::write(
        wrong.join("exit.json"),
        r#"{"args": ["exit", "1"], "exitcode": 1}"#,
    )
    .unwrap();
    let o = wasmgate(&["wasi", "--out", s(&tmp.path().join("out3")), s(&wrong)]);
    assert!(
        usage_error(&o).contains("unknown field `exitcode`"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn a_program_that_never_ends_is_stopped_and_compares_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let spin = tmp.path().join("spin.wat");
    std::fs::write(
        &spin,
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (loop br 0)))"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = wasi(&out, &[s(&spin), "--timeout", "1"]);
    let err = usage_error(&o);
    assert!(err.contains("compared nothing"), "{err}");
    let r = report(&out);
    assert_eq!(r["summary"]["inconclusive_reasons"]["exhausted timeout"], 1);
}

#[test]
fn bad_input_is_one_error_line() {
    let tmp = tempfile::tempdir().unwrap();
    let foreign = tmp.path().join("foreign.wat");
    std::fs::write(
        &foreign,
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "log" (func (param i32)))
  (import "wasi_snapshot_preview1" "not_a_function" (func))
  (memory (export "memory") 1)
  (func (export "_start")))"#,
    )
    .unwrap();
    let no_start = tmp.path().join("lib.wat");
    std::fs::write(&no_start, "(module (memory (export \"memory\") 1))").unwrap();
    let missing_dir = tmp.path().join("missing.toml");
    std::fs::copy(repo("vectors/wasi/files.wasm"), tmp.path().join("files.wasm")).unwrap();
    std::fs::write(
        &missing_dir,
        "program = \"files.wasm\"\n[[case]]\ndirs = [\"nowhere\"]\n",
    )
    .unwrap();
    let unknown_key = tmp.path().join("typo.toml");
    std::fs::write(
        &unknown_key,
        "program = \"files.wasm\"\n[[case]]\nargz = [\"1\"]\n",
    )
    .unwrap();
    let args = s(&repo("vectors/wasi/args.wasm")).to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["wasi", s(&foreign)],
            "imports env.log, wasi_snapshot_preview1.not_a_function, which WASI preview1",
        ),
        (vec!["wasi", s(&no_start)], "exports no `_start` function"),
        (vec!["wasi", s(&missing_dir)], "fixture folder"),
        (
            vec!["wasi", &args, "--dir", "/nonexistent/fixtures"],
            "fixture folder /nonexistent/fixtures does not exist",
        ),
        (vec!["wasi", s(&unknown_key)], "unknown field `argz`"),
        (
            vec!["wasi", &args, "--engines", "wasmi-wasi,nope"],
            "unknown WASI runtime `nope`",
        ),
        (
            vec!["wasi", &args, "--random-args", "u32,u128"],
            "unknown argument type `u128`",
        ),
        (vec!["wasi", &args, "--env", "NOEQUALS"], "expected NAME=VALUE"),
        (vec!["wasi", "/nonexistent.wasm"], "no such file"),
        (vec!["wasi"], "give a command program"),
        (
            vec!["run", "--engines", "wasmtime-wasi"],
            "use it with `wasmgate wasi`",
        ),
    ];
    for (argv, expected) in cases {
        let o = wasmgate(&argv);
        let err = usage_error(&o);
        assert!(err.contains(expected), "{argv:?}: {err}");
    }
}

#[test]
fn the_benchmark_prints_runs_per_second_beside_node_per_run() {
    let o = common::script("wasi-bench.sh", &["40", "2"], &[]);
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{out}{}", common::stderr(&o));
    for runtime in RUNTIMES {
        assert!(out.contains(runtime), "{out}");
    }
    assert!(out.contains("node per run"), "{out}");
}

/// Whether Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32 are here.
fn wasm_toolchain_here() -> bool {
    let has = |cmd: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {cmd}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    has("clang") && has("wasm-ld") && Path::new("/usr/lib/wasm32-wasi/libc.a").is_file()
}

#[test]
fn the_committed_programs_rebuild_byte_identically() {
    if !wasm_toolchain_here() {
        // `.ci/run` installs the toolchain, so CI always checks this.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI without clang, lld and wasi-libc: .ci/run installs them"
        );
        eprintln!("skipped: no clang, lld and wasi-libc here (CI checks the rebuild)");
        return;
    }
    for (script, says) in [
        ("vectors/wasi/build.sh", "7 programs rebuild byte-identically"),
        (
            "vectors/check/clib/build.sh",
            "clib.wasm and clib-1.0.wasm rebuild byte-identically",
        ),
        (
            "vectors/check/textlib/build.sh",
            "textlib.wasm and textlib-1.0.wasm rebuild byte-identically",
        ),
        ("vectors/bench/build.sh", "11 workloads rebuild byte-identically"),
    ] {
        rebuilds(script, says);
    }
}

/// Runs `script --check`, which must say `says`.
fn rebuilds(script: &str, says: &str) {
    let o = std::process::Command::new("bash")
        .arg(repo(script))
        .arg("--check")
        .output()
        .unwrap();
    let out = stdout(&o);
    if code(&o) == 3 {
        eprintln!("skipped {script}: {}", common::stderr(&o));
        return;
    }
    assert_eq!(code(&o), 0, "{script}: {out}{}", common::stderr(&o));
    assert!(out.contains(says), "{script}: {out}");
}

/// The Rust and AssemblyScript libraries of the scenario examples rebuild
/// byte-identically where their compilers are: Debian's rustc with its wasm32
/// standard library (`rustc libstd-rust-dev-wasm32`), and AssemblyScript from
/// npm (`ASC`, or `npm` to fetch the pinned release; exit 3 when it cannot,
/// reported as skipped). `.ci/run` installs no second Rust compiler on a
/// runner's `PATH`, so there this reports the Rust check skipped.
#[test]
fn the_rust_and_assemblyscript_libraries_rebuild_byte_identically_where_their_compilers_are() {
    let rust = Path::new("/usr/lib/rustlib/wasm32-unknown-unknown").is_dir()
        && Path::new("/usr/bin/rustc").is_file();
    let assemblyscript = std::env::var_os("ASC").is_some()
        || std::process::Command::new("sh")
            .args(["-c", "command -v npm"])
            .output()
            .is_ok_and(|o| o.status.success());
    for (here, script, says) in [
        (
            rust,
            "vectors/check/rustlib/build.sh",
            "rustlib.wasm rebuilds byte-identically",
        ),
        (
            assemblyscript,
            "vectors/check/aslib/build.sh",
            "aslib.wasm rebuilds byte-identically",
        ),
    ] {
        if !here {
            eprintln!("skipped {script}: its compiler is not here");
            continue;
        }
        rebuilds(script, says);
    }
}

#[test]
fn a_runtime_whose_worker_dies_costs_one_run_not_the_command() {
    // Each runtime runs programs in a worker process of its own: killing
    // wasmi-wasi's while it is in a long loop is that run's crash, blamed on
    // wasmi-wasi; the next program runs in a fresh worker and agrees.
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    let spin = wat::parse_str(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (local i32)
               (loop $l
                 (br_if $l (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
                                   (i32.const 0x7fffffff))))
               (call $exit (i32.const 0))))"#,
    )
    .unwrap();
    std::fs::write(suite.join("a-spin.wasm"), spin).unwrap();
    std::fs::copy(repo("vectors/wasi/exit.wasm"), suite.join("b-exit.wasm")).unwrap();
    std::fs::write(
        suite.join("b-exit.json"),
        r#"{"args": ["exit", "7"], "exit_code": 7}"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args([
            "wasi",
            "-q",
            "--timeout",
            "60",
            "--engines",
            "wasmi-wasi,wasmtime-wasi,node-wasi",
            "--out",
        ])
        .arg(&out)
        .arg(&suite)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // This command's own worker (other tests run theirs beside it).
    let parent = child.id().to_string();
    let worker = || {
        let o = std::process::Command::new("pgrep")
            .args(["-P", &parent, "-f", "worker --wasi wasmi-wasi"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .map(str::to_string)
    };
    let mut pid = None;
    for _ in 0..100 {
        pid = worker();
        if pid.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = pid.expect("a WASI worker for wasmi-wasi");
    // Past compiling, inside the loop (seconds long on an interpreter).
    std::thread::sleep(std::time::Duration::from_millis(700));
    std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let r = report(&out);
    assert_eq!(r["summary"]["cases"], 2);
    assert_eq!(
        r["summary"]["agreed"], 1,
        "b-exit runs in a fresh worker and agrees"
    );
    let finding = &r["findings"][0];
    assert_eq!(finding["blamed"], serde_json::json!(["wasmi-wasi"]));
    let said = finding["groups"].to_string();
    assert!(said.contains("crash: WASI worker killed by signal 9"), "{said}");
}
