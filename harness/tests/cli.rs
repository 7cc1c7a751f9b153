//! The `wasmgate` command end to end, as a user runs it.

use crate::common;

use common::{code, report, stderr, stdout, wasmgate};
use std::process::Command;

#[test]
fn run_writes_a_report_whose_counts_add_up() {
    let _heavy = common::heavy();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "run",
        "--seeds",
        "0..300",
        "-q",
        "--shrink-time",
        "10m",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!([0, 1].contains(&code(&o)), "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["schema_version"], 9);
    assert_eq!(r["kind"], "run");
    assert_eq!(r["gate"]["exit_code"], code(&o));
    assert_eq!(r["gate"]["passed"], code(&o) == 0);
    assert_eq!(
        r["engines"].as_array().unwrap().len(),
        common::all_engines(),
        "{}",
        r["unavailable"]
    );
    let s = &r["summary"];
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(n("cases"), 300);
    // The default profile mixes wasm3 seeds in: a fifth of the cases or more use 3.0.
    assert_eq!(r["run"]["profile"], "mixed");
    assert!(n("wasm3_cases") >= 60, "{s}");
    assert!(s["features"]["gc"]["cases"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(
        n("agreed") + n("diverged") + n("inconclusive") + n("generation_errors"),
        300
    );
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len() as u64, n("unique_findings"));
    let new = findings.iter().filter(|f| f.get("known").is_none()).count();
    assert_eq!(code(&o) == 1, new > 0, "exit code follows new findings");
    assert_eq!(findings.len() - new, n("known_findings") as usize);
    let junit = std::fs::read_to_string(out.join("report.xml")).unwrap();
    assert!(junit.contains(&format!("failures=\"{new}\"")), "{junit}");
    assert_eq!(
        findings.iter().map(|f| f["count"].as_u64().unwrap()).sum::<u64>(),
        n("diverged")
    );
    for (i, f) in findings.iter().enumerate() {
        let bundle = out.join(f["bundle"].as_str().unwrap());
        // Every finding is minimised after the run.
        let minimized = out.join(f["minimized"].as_str().expect("minimised bundle"));
        let small = std::fs::metadata(minimized.join("module.wasm")).unwrap().len();
        let full = std::fs::metadata(bundle.join("module.wasm")).unwrap().len();
        assert!(small <= full, "{small} <= {full}");
        assert!(minimized.join("module.wat").exists());
        // The first finding's bundle and its minimised one replay (a replay
        // starts every engine, a browser among them: once shows it).
        if i > 0 {
            continue;
        }
        let replay = wasmgate(&["repro", bundle.to_str().unwrap()]);
        assert_eq!(code(&replay), 1, "finding {} replays", f["signature"]);
        let replay = wasmgate(&["repro", minimized.to_str().unwrap()]);
        assert_eq!(code(&replay), 1, "minimised {} replays", f["signature"]);
        assert!(String::from_utf8_lossy(&replay.stdout).contains(f["signature"].as_str().unwrap()));
    }
    assert!(
        std::fs::read_to_string(out.join("summary.md"))
            .unwrap()
            .contains("| cases | agreed |")
    );
}

#[test]
fn same_seeds_give_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let verdicts = |name: &str, jobs: &str| {
        let out = dir.path().join(name);
        let engines = "wasmtime-cranelift,wasmi,mutant:wasmi:i64.add";
        let o = wasmgate(&[
            "run",
            "--seeds",
            "0..100",
            "--shrink-attempts",
            "0",
            "-q",
            "-j",
            jobs,
            "--engines",
            engines,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!([0, 1].contains(&code(&o)), "{}", stderr(&o));
        let r = report(&out);
        (r["summary"].clone(), r["findings"].clone())
    };
    let (s1, f1) = verdicts("a", "1");
    let (s2, f2) = verdicts("b", "2");
    assert_eq!(s1, s2);
    assert_eq!(f1, f2);
}

#[test]
fn selftest_catches_and_blames_the_mutant() {
    let _heavy = common::heavy();
    let dir = tempfile::tempdir().unwrap();
    // The default is 2000 seeds; 150 find the mutant many times over.
    let o = wasmgate(&[
        "selftest",
        "--seeds",
        "0..150",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{stdout}{}", stderr(&o));
    assert!(stdout.contains("mutant:wasmi:i32.add caught"), "{stdout}");
    assert!(stdout.contains("replays"), "{stdout}");
    // Its second part, a crashing and a hanging engine in worker processes:
    // both caught and blamed, every case run, and the crash's bundle replays
    // with the signal that killed the worker.
    let isolation = report(&dir.path().join("isolation"));
    assert_eq!(isolation["summary"]["cases"], 60, "every case ran");
    let findings = isolation["findings"].as_array().unwrap();
    let crash = findings
        .iter()
        .find(|f| f["kind"] == "crash" && f["blamed"] == serde_json::json!(["crash:wasmi:i64.rem_s"]))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "hang" && f["blamed"] == serde_json::json!(["hang:wasmi:i64.rotl"])),
        "{findings:#?}"
    );
    let replay = wasmgate(&[
        "repro",
        dir.path()
            .join("isolation")
            .join(crash["bundle"].as_str().unwrap())
            .to_str()
            .unwrap(),
        "--timeout",
        "2",
    ]);
    assert_eq!(code(&replay), 1, "{}", stderr(&replay));
    assert!(String::from_utf8_lossy(&replay.stdout).contains("SIGABRT"));
    // Again into the same folder, which now holds what selftest wrote (its
    // isolation run's folder too): the folder is accepted, and the empty seed
    // range is what is refused.
    assert!(dir.path().join("isolation").is_dir());
    let o = wasmgate(&[
        "selftest",
        "--seeds",
        "0..0",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let line = common::usage_error(&o);
    assert!(
        line.contains("compared nothing: seeds 0..0 hold no seed"),
        "{line}"
    );
}

#[test]
fn repro_of_a_seed_shows_every_engine_side_by_side() {
    let o = wasmgate(&["repro", "--profile", "default", "--seed", "2"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let header = stdout
        .lines()
        .find(|l| l.starts_with("step"))
        .expect("table header");
    for engine in [
        "wasmtime-cranelift",
        "wasmer-cranelift",
        "wasmer-singlepass",
        "wasmi",
        "v8-turbofan",
    ] {
        assert!(header.contains(engine), "{header}");
    }
    // Every engine but winch, which lacks reference types.
    let agreeing = format!("verdict: all {} engines agree", common::all_engines() - 1);
    assert!(stdout.contains(&agreeing), "{stdout}");
    assert!(
        stdout.contains("skipped wasmtime-winch: module needs a feature wasmtime-winch lacks"),
        "{stdout}"
    );
}

#[test]
fn a_divergent_module_file_exits_1_and_marks_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("add.wat");
    std::fs::write(
        &wat,
        r#"(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#,
    )
    .unwrap();
    let o = wasmgate(&[
        "repro",
        "--wasm",
        wat.to_str().unwrap(),
        "--engines",
        "wasmtime-cranelift,wasmi,mutant:wasmi:i32.add",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("<<"), "{stdout}");
    // Two code bases vote (the mutant is wasmi): blamed, and said to be a weak vote.
    assert!(
        stdout.contains("blamed by a vote of fewer than three independent code bases: mutant:wasmi:i32.add"),
        "{stdout}"
    );
}

/// Bad input: exactly one `error:` line and exit 2.
#[test]
fn bad_input_is_one_clear_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.wasm");
    std::fs::write(&truncated, b"\0asm\x01\0\0\0\x01\x05").unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, [0xffu8, 0x13, 0x37, 0x00, 0x42]).unwrap();
    let missing = dir.path().join("no-such-bundle");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["repro", "--wasm", truncated.to_str().unwrap()],
            "is not a valid WebAssembly module",
        ),
        (
            vec!["repro", "--wasm", garbage.to_str().unwrap()],
            "cannot read module",
        ),
        (vec!["repro", missing.to_str().unwrap()], "cannot read bundle"),
        (vec!["run", "--no-such-flag"], "unexpected argument"),
        (vec!["run", "--seeds", "9..3"], "end is before start"),
        (vec!["run", "--seeds", "5"], "invalid seed range"),
        (vec!["run", "--jobs", "0"], "must be at least 1"),
        (vec!["run", "--jobs", "1099511627776"], "must be at most 256"),
        (vec!["run", "--timeout", "0"], "--timeout"),
        (
            vec!["run", "--resume", missing.to_str().unwrap(), "--seeds", "0..5"],
            "no journal",
        ),
        (
            vec!["run", "--seeds", "0..5", "--engines", "nope"],
            "unknown engine `nope`",
        ),
        (
            vec!["run", "--seeds", "0..5", "--engines", "mutant:wasmi:i32.load"],
            "cannot be mutated",
        ),
    ];
    for (args, expected) in cases {
        let o = wasmgate(&args);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: exactly one line: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(expected),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn engines_lists_sixteen_configurations_of_six_code_bases_and_four_wasi_runtimes() {
    let o = wasmgate(&["engines", "--json"]);
    assert_eq!(code(&o), 0);
    let engines: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = engines
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut expected = vec![
        "wasmtime-cranelift",
        "wasmtime-winch",
        "wasmtime-pulley",
        "wasmer-cranelift",
        "wasmer-singlepass",
        "wasmi",
        "v8-turbofan",
        "v8-liftoff",
        "jsc-ipint",
        "jsc-bbq",
        "jsc-omg",
        "spidermonkey-baseline",
        "spidermonkey-ion",
        "v8-chromium",
        "spidermonkey-firefox",
        "spidermonkey-firefox-baseline",
    ];
    let chromium = common::chromium_here();
    if !chromium {
        expected.retain(|e| *e != "v8-chromium");
    }
    let firefox = common::firefox_here();
    if !firefox {
        expected.retain(|e| !e.starts_with("spidermonkey-firefox"));
    }
    let spidermonkey = common::spidermonkey_here();
    if !spidermonkey {
        expected.retain(|e| !e.starts_with("spidermonkey-baseline") && !e.starts_with("spidermonkey-ion"));
    }
    expected.extend(["wasmtime-wasi", "wasmi-wasi", "wasmer-wasi", "node-wasi"]);
    assert_eq!(names, expected);
    let kinds: Vec<&str> = engines
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "wasi").count(), 4);
    assert_eq!(engines[names.len() - 1]["code_base"], "node");
    assert!(engines[0]["version"].as_str().unwrap().starts_with("48."));
    assert!(
        engines[8]["version"]
            .as_str()
            .unwrap()
            .starts_with("JavaScriptCore")
    );
    assert_eq!(engines[8]["code_base"], "jsc");
    if spidermonkey {
        assert_eq!(engines[11]["code_base"], "spidermonkey");
        assert!(
            engines[11]["version"]
                .as_str()
                .unwrap()
                .starts_with("SpiderMonkey 1")
        );
    }
    if chromium {
        let at = names.iter().position(|n| *n == "v8-chromium").unwrap();
        assert_eq!(engines[at]["code_base"], "v8");
        assert!(engines[at]["version"].as_str().unwrap().starts_with("Chromium"));
    }
    if firefox {
        let at = names.iter().position(|n| *n == "spidermonkey-firefox").unwrap();
        assert_eq!(engines[at]["code_base"], "spidermonkey");
        assert!(engines[at]["version"].as_str().unwrap().starts_with("Firefox 1"));
        // Probed, not declared: Firefox's SpiderMonkey ships WebAssembly 3.0.
        let features = engines[at]["features"].to_string();
        assert!(
            ["gc", "exceptions", "tail-call", "memory64"]
                .iter()
                .all(|f| features.contains(f)),
            "{features}"
        );
    }
    // Every configuration runs by default but Firefox's baseline tier
    // (a second browser for a tier the shell covers), which runs when named.
    for e in engines.as_array().unwrap() {
        let opt_in = e["name"] == "spidermonkey-firefox-baseline";
        assert_eq!(e["default"], !opt_in, "{e}");
    }
    if chromium && firefox && spidermonkey {
        let code_bases: std::collections::BTreeSet<&str> = engines
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] != "wasi")
            .map(|e| e["code_base"].as_str().unwrap())
            .collect();
        assert_eq!(code_bases.len(), 6, "{code_bases:?}");
    }
    assert!(engines[6]["version"].as_str().unwrap().contains("V8"));
}

#[test]
fn without_node_the_run_completes_and_says_v8_was_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args([
            "run",
            "--seeds",
            "0..10",
            "-q",
            "--shrink-attempts",
            "0",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("NODE", "/nonexistent/node")
        .output()
        .unwrap();
    assert!([0, 1].contains(&code(&o)), "{}", stderr(&o));
    let r = report(&out);
    let unavailable = common::unavailable(&r);
    assert_eq!(&unavailable[..2], ["v8-turbofan", "v8-liftoff"]);
    assert_eq!(r["engines"].as_array().unwrap().len(), common::all_engines() - 2);
    assert!(String::from_utf8_lossy(&o.stdout).contains("v8-turbofan not run"));
}

#[test]
fn an_engine_command_joins_through_the_line_protocol() {
    // The V8 worker as wasmgate writes it: node's host part, then the core.
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("worker.mjs");
    let part = |p: &str| {
        std::fs::read_to_string(format!("{}/../runners/js/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    std::fs::write(&worker, part("node.mjs") + &part("core.js")).unwrap();
    let cmd = format!("my-v8=node {} --name my-v8", worker.display());
    let o = wasmgate(&[
        "repro",
        "--profile",
        "default",
        "--seed",
        "3",
        "--engines",
        "wasmi",
        "--engine-cmd",
        &cmd,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("my-v8") && stdout.contains("all 2 engines agree"),
        "{stdout}"
    );
}

#[test]
fn v8_passes_float_bits_exactly() {
    // Signalling NaNs and odd payloads must reach the function bit for bit and
    // come back so: a hand-made bundle pins the arguments.
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (param f32 f64) (result i32 i64 f32 f64)
             local.get 0 i32.reinterpret_f32 local.get 1 i64.reinterpret_f64 local.get 0 local.get 1))"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("module.wasm"), &wasm).unwrap();
    let sha = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&wasm));
    let engine = |name: &str| serde_json::json!({"name": name, "version": "?", "features": []});
    let bundle = serde_json::json!({
        "schema_version": 1,
        "case": {
            "origin": {"kind": "file", "path": "bits.wat"},
            "calls": [{"export": "f", "args": ["f32:0x7fa00001", "f64:0xfff0000000000abc"], "results": ["i32", "i64", "f32", "f64"]}],
            "globals": [], "memories": [], "refuel": null, "valid": true
        },
        "module_sha256": sha,
        "engines": [engine("wasmtime-cranelift"), engine("v8-turbofan"), engine("v8-liftoff")],
        "outcomes": [],
        "verdict": {"verdict": "agree", "engines": 3}
    });
    std::fs::write(dir.path().join("bundle.json"), bundle.to_string()).unwrap();
    let o = wasmgate(&["repro", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{stdout}{}", stderr(&o));
    assert!(
        stdout.contains("i32:2141192193"),
        "the sNaN's bits came back: {stdout}"
    );
}

#[test]
fn a_fuzz_artifact_becomes_a_replayable_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("crash-0123");
    let bytes: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&artifact, &bytes).unwrap();
    let saved = dir.path().join("bundle");
    let o = wasmgate(&[
        "repro",
        "--fuzz-input",
        artifact.to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert!([0, 1].contains(&code(&o)), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("case: fuzz input"));
    let replay = wasmgate(&["repro", saved.to_str().unwrap()]);
    assert_eq!(code(&replay), code(&o), "the bundle replays to the same verdict");
    let missing = wasmgate(&["repro", "--fuzz-input", "/nonexistent/artifact"]);
    assert_eq!(code(&missing), 2);
}

#[test]
fn sweep_agrees_on_every_instruction_and_catches_a_faulty_operator() {
    let _heavy = common::heavy();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clean");
    let o = wasmgate(&["sweep", "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["run"]["generator_version"], "wasmgate-sweep-2");
    assert!(r["summary"]["cases"].as_u64().unwrap() > 120);
    assert!(r["summary"]["calls"].as_u64().unwrap() > 100_000);
    // Its constant and branch forms find the two known bugs; nothing else.
    assert_eq!(r["summary"]["known_findings"], r["summary"]["unique_findings"]);

    let out = dir.path().join("mutant");
    let o = wasmgate(&[
        "sweep",
        "--only",
        "i64.",
        "--engines",
        "wasmi,wasmtime-cranelift,mutant:wasmi:i64.rotl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let findings = report(&out)["findings"].as_array().unwrap().clone();
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(f["blamed"], serde_json::json!(["mutant:wasmi:i64.rotl"]));
    }
    assert!(
        findings
            .iter()
            .any(|f| f["step"].as_str().unwrap().contains("\"i64.rotl\""))
    );
    let bundle = out.join(findings[0]["bundle"].as_str().unwrap());
    let replay = wasmgate(&["repro", bundle.to_str().unwrap()]);
    assert_eq!(code(&replay), 1, "the finding replays");
}

#[test]
fn known_divergences_do_not_fail_the_gate_but_new_ones_do() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("known.toml");
    let sweep = |out: &str, known: bool| {
        let out = dir.path().join(out);
        let mut args = vec![
            "sweep",
            "--only",
            "i64.rot",
            "--engines",
            "wasmi,wasmtime-cranelift,mutant:wasmi:i64.rotl",
        ];
        let (out_s, list_s) = (out.to_str().unwrap(), list.to_str().unwrap());
        args.extend(["--out", out_s]);
        if known {
            args.extend(["--known", list_s]);
        }
        (wasmgate(&args), out)
    };
    let (o, out) = sweep("new", false);
    assert_eq!(code(&o), 1);
    let entries: String = report(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "[[divergence]]\nsignature = {}\nreason = \"the rotl mutant\"\n",
                f["signature"]
            )
        })
        .collect();
    std::fs::write(&list, entries).unwrap();
    let (o, out) = sweep("known", true);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(&out);
    let n = r["findings"].as_array().unwrap().len();
    assert!(n >= 1);
    assert_eq!(r["summary"]["known_findings"], n);
    assert_eq!(r["findings"][0]["known"], "the rotl mutant");
    assert!(stdout(&o).contains(&format!("gate: passed ({n} known divergences)")));
    std::fs::write(&list, "[[divergence]]\nsignature = 3\n").unwrap();
    let (o, _) = sweep("bad", true);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

/// `scripts/build-against.sh` on a checkout: each crate of it that this
/// build's lock uses is patched in (a crate of a `target/` folder or one the
/// build does not use is not), version inheritance is read, the exact pin
/// moves to the checkout's version in the workspace copy, and a folder with
/// nothing to patch is one error line with exit 2.
#[test]
fn build_against_a_checkout_patches_its_crates_and_moves_the_pins() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wasmi");
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nversion = \"2.1.0\"\n",
    );
    write(
        "crates/wasmi/Cargo.toml",
        "[package]\nname = \"wasmi\"\nversion.workspace = true\n",
    );
    write(
        "crates/core/Cargo.toml",
        "[package]\nname = \"wasmi_core\"\nversion = \"2.1.0\"\n",
    );
    write(
        "crates/other/Cargo.toml",
        "[package]\nname = \"not-a-dependency\"\nversion = \"1.0.0\"\n",
    );
    write(
        "target/copy/Cargo.toml",
        "[package]\nname = \"wasmi\"\nversion = \"9.9.9\"\n",
    );
    let work = dir.path().join("work");
    let env = [("WORK", work.to_str().unwrap())];
    let o = common::script("build-against.sh", &["--dry-run", root.to_str().unwrap()], &env);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let crates = root.join("crates");
    assert!(
        out.contains(&format!("patch wasmi 2.1.0 {}", crates.join("wasmi").display())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "patch wasmi_core 2.1.0 {}",
            crates.join("core").display()
        )),
        "{out}"
    );
    assert!(
        !out.contains("not-a-dependency") && !out.contains("9.9.9"),
        "{out}"
    );
    assert!(out.contains("pin   wasmi = \"=2.1.0\""), "{out}");
    assert!(out.contains("--config patch.crates-io.wasmi.path="), "{out}");
    let manifest = std::fs::read_to_string(work.join("src/Cargo.toml")).unwrap();
    assert!(manifest.contains("wasmi = { version = \"=2.1.0\""), "{manifest}");
    let ours = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
    let wasmtime = ours.lines().find(|l| l.starts_with("wasmtime = ")).unwrap();
    assert!(
        manifest.contains(wasmtime),
        "the pins of runtimes not patched stay: {manifest}"
    );

    let o = common::script(
        "build-against.sh",
        &["--dry-run", crates.join("other").to_str().unwrap()],
        &env,
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).starts_with("error: ") && stderr(&o).lines().count() == 1,
        "{}",
        stderr(&o)
    );
}

/// Colour only where asked for: `--color always` paints the gate line,
/// `NO_COLOR=1` (or output that is not a terminal) leaves no escape code;
/// `run -v` prints a line per case with its seed and verdict.
#[test]
fn colour_is_asked_for_and_verbose_runs_print_each_case() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |colour: &str, no_color: bool, name: &str| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"));
        c.args([
            "sweep",
            "-q",
            "--only",
            "i32.add",
            "--engines",
            common::ENGINES,
            "--color",
            colour,
            "--out",
            dir.path().join(name).to_str().unwrap(),
        ]);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        c.output().unwrap()
    };
    let o = sweep("always", false, "a");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("gate: \u{1b}["), "{}", stdout(&o));
    for (colour, no_color, name) in [("auto", true, "b"), ("never", false, "c"), ("auto", false, "d")] {
        let o = sweep(colour, no_color, name);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(!stdout(&o).contains('\u{1b}'), "{colour}: {}", stdout(&o));
    }
    let o = wasmgate(&[
        "run",
        "-v",
        "--seeds",
        "0..4",
        "--engines",
        common::ENGINES,
        "--out",
        dir.path().join("v").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for seed in 0..4 {
        assert!(
            stderr(&o)
                .lines()
                .any(|l| l.starts_with(&format!("seed {seed}: "))),
            "{}",
            stderr(&o)
        );
    }
}
