//! JavaScriptCore (three tiers in the `jsc` shell) and V8 in a headless
//! Chromium as engines of their own: they join the vote without moving blame,
//! a fault in one JSC tier is blamed on that tier alone, the JSC bug they found
//! replays, and without a browser the run goes on and says so.

use crate::common;

use common::{code, stderr, stdout, wasmgate};
use std::process::Command;

/// `engines` and `v8-chromium`, where a Chromium can run.
/// The tests of this file one at a time: one of them counts every browser and
/// `jsc` process on the machine, which its siblings would start meanwhile.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_wasmi_bug_is_still_blamed_on_wasmi_with_jsc_and_chromium_voting() {
    let _serial = serial();
    let engines = common::with_chromium("wasmtime-cranelift,wasmi,jsc-ipint,jsc-bbq,jsc-omg");
    let o = wasmgate(&[
        "repro",
        "--wasm",
        &repo("vectors/wasmi-select-eqz.wat"),
        "--engines",
        &engines,
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let blamed = out
        .lines()
        .find(|l| l.trim_start().starts_with("blamed"))
        .unwrap_or_default();
    assert_eq!(blamed.trim(), "blamed: wasmi", "{out}");
}

#[test]
fn a_fault_in_one_jsc_tier_is_blamed_on_that_tier_alone() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "sweep",
        "-q",
        "--only",
        "i32.add",
        "--engines",
        "wasmtime-cranelift,wasmi,jsc-ipint,jsc-bbq,mutant:jsc-omg:i32.add",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let r = common::report(&out);
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["blamed"], serde_json::json!(["mutant:jsc-omg:i32.add"]), "{f}");
        assert_eq!(f["majority"], true);
    }
}

#[test]
fn the_jsc_copysign_bug_replays_on_the_compiling_tiers_only() {
    let _serial = serial();
    let o = wasmgate(&[
        "repro",
        "--wasm",
        &repo("vectors/jsc-copysign-nan.wat"),
        "--engines",
        "wasmtime-cranelift,wasmi,jsc-ipint,jsc-bbq,jsc-omg",
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("blamed: jsc-bbq, jsc-omg"), "{}", stdout(&o));
}

#[test]
fn the_jsc_br_on_null_bug_is_blamed_on_every_jsc_tier() {
    let _serial = serial();
    // V8 is the third code base that makes the majority blaming JavaScriptCore.
    let engines = common::with_chromium("wasmtime-cranelift,wasmtime-pulley,jsc-ipint,jsc-bbq,jsc-omg");
    let o = wasmgate(&[
        "repro",
        "--wasm",
        &repo("vectors/jsc-br-on-null-unreachable.wat"),
        "--engines",
        &engines,
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("DIVERGES at compile"), "{}", stdout(&o));
    if common::chromium_here() {
        assert!(
            stdout(&o).contains("blamed: jsc-bbq, jsc-ipint, jsc-omg"),
            "{}",
            stdout(&o)
        );
    }
    assert!(stdout(&o).contains("[i32:7]"), "{}", stdout(&o));
}

#[test]
fn the_jsc_any_convert_extern_bug_is_blamed_on_every_jsc_tier() {
    let _serial = serial();
    let engines = common::with_chromium("wasmtime-cranelift,wasmtime-pulley,jsc-ipint,jsc-bbq,jsc-omg");
    let o = wasmgate(&[
        "repro",
        "--wasm",
        &repo("vectors/jsc-any-convert-extern-null.wat"),
        "--engines",
        &engines,
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("DIVERGES at compile"), "{out}");
    assert!(out.contains("jsc-bbq, jsc-ipint, jsc-omg: rejected"), "{out}");
    assert!(out.contains("[anyref:null]"), "{out}");
}

/// Known JavaScriptCore bugs in several places of one module: JSC rejects it
/// naming whichever it meets first, so no known cause cures alone; all of
/// them taken out together do, and the case is known — named by a cause it
/// needs. Seed 1142 of `wasmgate-gen-4`'s wasm3 profile holds an `i31.get_u`
/// of a `nullref` parameter (a bottom-typed operand) beside a `br_on_*` in
/// unreachable code; seed 1840 an `i31.get_s` of a call returning `nullref`.
#[test]
fn known_bugs_in_several_places_of_one_module_explain_it_together() {
    let _serial = serial();
    let engines = common::with_chromium("wasmtime-cranelift,wasmtime-pulley,jsc-bbq,jsc-omg");
    for seed in [1142, 1840] {
        let dir = tempfile::tempdir().unwrap();
        let seeds = format!("{seed}..{}", seed + 1);
        let out = dir.path().join("r");
        let o = wasmgate(&[
            "run",
            "--profile",
            "wasm3",
            "--seeds",
            &seeds,
            "--engines",
            &engines,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "seed {seed}: {}{}", stdout(&o), stderr(&o));
        let r = common::report(&out);
        assert_eq!(r["summary"]["known_findings"], 1, "seed {seed}: {}", stdout(&o));
        let finding = &r["findings"][0];
        assert_eq!(finding["kind"], "validation", "{finding}");
        let cause = finding["cause"]["text"].as_str().unwrap_or_default();
        assert!(
            cause == "jsc: branch in unreachable code" || cause.contains("with a bottom-typed operand"),
            "seed {seed}: named by a cause it does not need: {cause}"
        );
    }
}

#[test]
fn without_a_browser_or_jsc_the_run_goes_on_and_says_so() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args([
            "run",
            "-q",
            "--seeds",
            "0..40",
            "--shrink-attempts",
            "0",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("CHROMIUM", "/nonexistent/chromium")
        .env("FIREFOX", "/nonexistent/firefox")
        .env("JSC", "/nonexistent/jsc")
        .output()
        .unwrap();
    assert!([0, 1].contains(&code(&o)), "{}", stderr(&o));
    let r = common::report(&out);
    let unavailable = common::unavailable(&r);
    assert_eq!(
        unavailable,
        [
            "jsc-ipint",
            "jsc-bbq",
            "jsc-omg",
            "v8-chromium",
            "spidermonkey-firefox"
        ]
    );
    assert!(stdout(&o).contains("v8-chromium not run"), "{}", stdout(&o));
    // A CI runner that must not pass with a smaller vote says so.
    let o = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(["run", "-q", "--seeds", "0..5", "--require-engines", "all"])
        .env("JSC", "/nonexistent/jsc")
        .env("WASMGATE_SHRINK_ATTEMPTS", "0")
        .arg("--out")
        .arg(dir.path().join("required"))
        .output()
        .unwrap();
    // One line naming each missing engine: the three JavaScriptCore tiers.
    let line = common::usage_error(&o);
    assert!(
        line.contains("required engine(s) missing (--require-engines)"),
        "{line}"
    );
    for tier in ["jsc-ipint", "jsc-bbq", "jsc-omg"] {
        assert!(line.contains(&format!("`{tier}` cannot run here")), "{line}");
    }
    // Named explicitly, a missing browser is an error, not a smaller vote.
    let o = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(["repro", "--seed", "1", "--engines", "wasmi,v8-chromium"])
        .env("CHROMIUM", "/nonexistent/chromium")
        .output()
        .unwrap();
    let line = common::usage_error(&o);
    assert!(line.contains("v8-chromium"), "{line}");
}

/// Living (not zombie) processes whose environment holds `tag`: the ones a
/// command started, whatever else runs on the machine — with `engines_only`,
/// only browsers and shells (not wasmgate's own workers and bridges).
fn tagged(tag: &str, engines_only: bool) -> usize {
    let needle = format!("WASMGATE_TEST_TAG={tag}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let comm = stat.split(')').next().unwrap_or("");
            let state = stat.rsplit(") ").next().unwrap_or("").chars().next();
            // Firefox's helpers take names of their own ("Web Content",
            // "Isolated Web Co", "Socket Process", …): anything not wasmgate.
            state != Some('Z') && !(engines_only && comm.contains("wasmgate"))
        })
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == needle.as_bytes()))
        })
        .count()
}

/// Scratch folders (browser profiles) of wasmgate commands, by the
/// command's process id.
fn scratch_of(pid: u32) -> bool {
    std::env::temp_dir()
        .join(format!("wasmgate-scratch-{pid}"))
        .exists()
}

#[test]
fn no_browser_or_shell_process_outlives_a_run_with_a_hanging_case() {
    let _serial = serial();
    // Chromium's helpers (zygotes, renderers, the crash handler that forks
    // itself away from its parent), Firefox's content processes, jsc and
    // SpiderMonkey shells, wasmgate's workers and browser bridges: none may
    // be left once the command has exited, nor a browser's profile folder.
    // Counted by a tag in their environment, so tests running beside this
    // one do not count.
    let dir = tempfile::tempdir().unwrap();
    let spin = dir.path().join("spin.wat");
    std::fs::write(&spin, r#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    let start = dir.path().join("start.wat");
    std::fs::write(
        &start,
        r#"(module (func $s (loop (br 0))) (start $s) (func (export "f")))"#,
    )
    .unwrap();
    for (i, module) in [spin, start].iter().enumerate() {
        let tag = format!("{}-{i}", std::process::id());
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmgate"))
            .args([
                "check",
                module.to_str().unwrap(),
                "--calls",
                "1",
                "--timeout",
                "2",
                "--engines",
                &common::with_firefox(&common::with_chromium(if common::spidermonkey_here() {
                    "wasmi,jsc-omg,spidermonkey-ion"
                } else {
                    "wasmi,jsc-omg"
                })),
                "--out",
                dir.path().join(format!("r{i}")).to_str().unwrap(),
            ])
            .env("WASMGATE_TEST_TAG", &tag)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // While it runs, the tag shows its shells (and browser): the count
        // after it sees what it started.
        let (mut seen, mut profiles) = (0, false);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            seen = seen.max(tagged(&tag, true));
            profiles |= scratch_of(child.id());
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(2), "every engine hangs: compared nothing");
        assert!(seen >= 1, "the tag reached the engine processes");
        if common::chromium_here() || common::firefox_here() {
            assert!(
                profiles,
                "the browsers' profiles were made in the command's scratch folder"
            );
        }
        // Reaped processes vanish at once; a moment for the kernel to finish.
        let mut after = tagged(&tag, false);
        for _ in 0..5 {
            if after == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            after = tagged(&tag, false);
        }
        assert_eq!(
            after,
            0,
            "browser/shell processes left after {}",
            module.display()
        );
        assert!(
            !scratch_of(child.id()),
            "a browser profile folder left after {}",
            module.display()
        );
    }
}

#[test]
fn a_second_binary_of_an_engine_is_a_configuration_of_its_own() {
    let _serial = serial();
    // `CONFIG@BINARY` runs a configuration with another binary (here the same
    // one, for want of a second release on this machine): it takes part in the
    // vote as the same code base, and is reported under its own name.
    let jsc = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v jsc"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let jsc = jsc.trim();
    if jsc.is_empty() {
        // Without jsc, naming it is refused like any engine that cannot run.
        let o = wasmgate(&[
            "repro",
            "--seed",
            "1",
            "--engines",
            "wasmi,jsc-bbq@/nonexistent/jsc",
        ]);
        assert!(common::usage_error(&o).contains("jsc-bbq@/nonexistent/jsc"));
        return;
    }
    let second = format!("jsc-bbq@{jsc}");
    let o = wasmgate(&[
        "repro",
        "--wasm",
        &repo("vectors/jsc-copysign-nan.wat"),
        "--engines",
        &format!("wasmtime-cranelift,wasmi,jsc-bbq,{second}"),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(&format!("blamed: jsc-bbq, {second}")),
        "{}",
        stdout(&o)
    );
    let line = common::usage_error(&wasmgate(&[
        "repro",
        "--seed",
        "1",
        "--engines",
        "wasmi,wasmi@/bin/true",
    ]));
    assert!(line.contains("only an engine in another process"), "{line}");
}

/// A renderer that runs out of memory (V8 in Chromium allocating a 926 MB
/// GC array while instantiating) ends the page, not the bridge: the bridge
/// reads the crash from the browser's events and V8's reason from its
/// stderr, so the case is an exhausted engine (inconclusive) at once —
/// neither a 20 s hang nor a finding.
#[test]
fn a_renderer_out_of_memory_is_an_exhausted_engine_not_a_hang() {
    if !common::chromium_here() || !common::firefox_here() {
        eprintln!("no Chromium or Firefox here (not run)");
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("huge-array.wat");
    std::fs::write(
        &wat,
        r#"(module
  (type $a (array i8))
  (global (export "g") eqref (array.new $a (i32.const 3) (i32.const 926399640)))
  (func (export "f") (result i32) (array.len (ref.cast (ref $a) (global.get 0)))))"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = wasmgate(&[
        "check",
        "-q",
        wat.to_str().unwrap(),
        "--engines",
        "v8-chromium,spidermonkey-firefox",
        "--out",
        out.to_str().unwrap(),
    ]);
    // Firefox ran it, Chromium could not: nothing was compared.
    assert!(
        common::usage_error(&o).contains("compared nothing"),
        "{}",
        stderr(&o)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["summary"]["inconclusive_reasons"]["v8-chromium exhausted memory"], 1,
        "{}",
        report["summary"]
    );
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
}

/// `firefox@BINARY` and `chromium@BINARY` are short for
/// `spidermonkey-firefox@BINARY` and `v8-chromium@BINARY`, the configuration
/// the report names.
#[test]
fn a_browser_is_named_by_its_short_name_with_a_binary() {
    let Some(firefox) = common::which("firefox-esr") else {
        eprintln!("no firefox-esr here (not run)");
        return;
    };
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = wasmgate(&[
        "run",
        "--seeds",
        "0..3",
        "--engines",
        &format!("wasmtime-cranelift,firefox@{firefox}"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["engines"][1]["name"],
        format!("spidermonkey-firefox@{firefox}")
    );
    assert!(
        report["engines"][1]["version"]
            .as_str()
            .unwrap()
            .starts_with("Firefox")
    );
}
