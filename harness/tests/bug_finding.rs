//! Bug-finding power: edge values planted in generated code keep a correct
//! engine's results, the sweep's constant and branch forms, swarm generation,
//! the mutation score, and one root cause per bug.

use crate::common;

use common::{ENGINES, code, report, stderr, stdout, wasmgate};
use wasmgate_harness::compare::Verdict;
use wasmgate_harness::compare::judge::run_case;
use wasmgate_harness::execute::engines;
use wasmgate_harness::source::case::{Origin, TestCase};
use wasmgate_harness::source::edge_ops::Allowed;
use wasmgate_harness::source::edges::{Plan, plant};

/// A call's result with NaN payloads canonicalised.
fn norm(r: &wasmgate_harness::execute::CallRecord) -> String {
    use wasmgate_runners::Val;
    match &r.result {
        wasmgate_harness::execute::CallResult::Returned(vals) => format!(
            "{:?}",
            vals.iter()
                .map(|v| match *v {
                    Val::F32(b) if f32::from_bits(b).is_nan() => Val::F32(0x7fc0_0000),
                    Val::F64(b) if f64::from_bits(b).is_nan() => Val::F64(0x7ff8_0000_0000_0000),
                    other => other,
                })
                .collect::<Vec<_>>()
        ),
        other => format!("{other:?}"),
    }
}

/// Checked-branch and identity snippets leave every value as it was: the
/// planted module returns what the original returns, on every boundary operand.
#[test]
fn planted_edge_snippets_keep_a_correct_engines_results() {
    let wat = r#"(module
      (memory 1)
      (func (export "i32") (param i32 i32) (result i32) (i32.add (local.get 0) (i32.popcnt (local.get 1))))
      (func (export "i64") (param i64 i64) (result i64) (i64.rotl (local.get 0) (i64.clz (local.get 1))))
      (func (export "f32") (param f32 f32) (result f32) (f32.mul (local.get 0) (f32.sqrt (local.get 1))))
      (func (export "f64") (param f64 i32) (result f64) (f64.sub (local.get 0) (f64.convert_i32_s (local.get 1))))
      (func (export "cmp") (param i64 f64) (result i32) (i32.xor (i64.lt_u (local.get 0) (i64.const 7)) (f64.ge (local.get 1) (f64.const 0.5))))
      (func (export "load") (param i32) (result i64) (i64.load (i32.and (local.get 0) (i32.const 0xff00)))))"#;
    let original = wat::parse_str(wat).unwrap();
    let plan = Plan {
        density: 1024,
        checked: true,
        identity: true,
        operand: false,
        data: 0,
        ops: 256,
        allowed: Allowed {
            sign_extension: true,
            saturating: true,
            ..Allowed::default()
        },
    };
    // Not wasmi: the checked snippets put `i32.eqz` before `select`, the
    // shape its known miscompilation needs.
    let names: Vec<String> = ["wasmtime-cranelift", "wasmer-cranelift"]
        .map(String::from)
        .to_vec();
    let vote = engines::resolve_all(&names).unwrap().engines;
    for stream in 0..8 {
        let mut rng = wasmgate_harness::source::generate::rng(stream, 3);
        let mut ops_rng = wasmgate_harness::source::generate::rng(stream, 4);
        let planted = plant(&original, plan, &mut rng, &mut ops_rng, false, u32::MAX).unwrap();
        assert!(planted.len() > original.len() + 40, "snippets were planted");
        let case =
            |wasm: Vec<u8>| TestCase::from_module(Origin::File { path: "edges".into() }, wasm, stream, 40);
        let (before, _) = run_case(&vote[..1], &case(original.clone()));
        let (after, verdict) = run_case(&vote, &case(planted));
        assert!(
            matches!(verdict, Verdict::Agree { .. }),
            "stream {stream}: {verdict:?}"
        );
        let calls = &case(original.clone()).calls;
        for (i, (b, a)) in before[0].calls.iter().zip(&after[0].calls).enumerate() {
            // As the comparison does: every NaN equals every NaN.
            assert_eq!(
                norm(b),
                norm(a),
                "stream {stream}, call {i}: {}{:?}",
                calls[i].export,
                calls[i].args
            );
        }
        assert_eq!(before[0].calls.len(), after[0].calls.len());
    }
}

/// Half the seeds leave reference types out, so winch runs a real share.
#[test]
fn swarm_generation_lets_winch_run_a_meaningful_share() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = wasmgate(&[
        "run",
        "-q",
        "--seeds",
        "0..200",
        "--engines",
        "wasmtime-cranelift,wasmtime-winch",
        "--shrink-attempts",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let r = report(&out);
    let winch = r["timings"]["wasmtime-winch"]["cases"].as_u64().unwrap();
    assert!(winch >= 70, "winch ran {winch} of 200 cases");
    assert!(
        stdout(&o).contains("cases run per engine: wasmtime-cranelift 200, wasmtime-winch "),
        "{}",
        stdout(&o)
    );
}

/// The sweep presents each instruction with a constant operand and feeding
/// a branch: a fault only there is caught, and named by form.
#[test]
fn the_sweep_catches_constant_and_branch_only_faults() {
    let dir = tempfile::tempdir().unwrap();
    for (only, fault, form) in [
        ("i32.shl", "i32.shl@const+wide-shift", "(constant operand)"),
        ("i64.ge_u", "i64.ge_u@branch+high-bit", "(feeding a branch)"),
    ] {
        let out = dir.path().join(only);
        let engines = format!("{ENGINES},mutant:wasmi:{fault}");
        let o = wasmgate(&[
            "sweep",
            "-q",
            "--only",
            only,
            "--engines",
            &engines,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 1, "{fault}: {}", stdout(&o));
        let r = report(&out);
        let findings = r["findings"].as_array().unwrap();
        assert!(
            findings
                .iter()
                .all(|f| f["blamed"][0].as_str().unwrap().ends_with(fault)),
            "{fault}: {findings:?}"
        );
        let bundle = out
            .join(findings[0]["bundle"].as_str().unwrap())
            .join("bundle.json");
        let text = std::fs::read_to_string(bundle).unwrap();
        assert!(
            text.contains(form),
            "{fault}: the finding's case is the {form} form"
        );
    }
}

/// A fault that shows in dozens of places comes out as one root cause, which
/// the known-divergence list can name.
#[test]
fn a_fused_branch_fault_is_one_cause_and_the_known_list_can_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let engines = format!("{ENGINES},mutant:wasmi:i32.lt_u@branch");
    let empty = common::no_known(dir.path());
    let run = |out: &std::path::Path, known: &std::path::Path| {
        let mut args = common::quick_run_args("0..300", out);
        let at = args.iter().position(|a| a == ENGINES).unwrap();
        args[at] = engines.clone();
        args.extend(["--known".to_string(), known.to_str().unwrap().to_string()]);
        wasmgate(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = run(&out, &empty);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    let mutant: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blamed"] == serde_json::json!(["mutant:wasmi:i32.lt_u@branch"]))
        .collect();
    assert!(
        mutant.len() >= 3,
        "the fault shows in several signatures: {}",
        mutant.len()
    );
    // One cause per shape the fault takes: feeding a branch, feeding a select.
    let mut causes: Vec<&str> = mutant.iter().filter_map(|f| f["cause"]["id"].as_str()).collect();
    causes.sort();
    causes.dedup();
    assert!(
        (1..=2).contains(&causes.len()),
        "{} signatures, causes {causes:?}",
        mutant.len()
    );
    for f in &mutant {
        let text = f["cause"]["text"].as_str().unwrap_or("");
        assert!(
            [
                "wasmi: i32.lt_u feeding a branch",
                "wasmi: i32.lt_u feeding a select"
            ]
            .contains(&text),
            "{text}"
        );
    }
    for c in &causes {
        assert!(stdout(&o).contains(&format!("cause {c}")), "{}", stdout(&o));
    }
    // Naming the cause in the known list makes every one of its findings
    // known — with wasmi's own bug (inside the mutant too) listed beside it,
    // since a case where that one hides behind the fault is not explained by
    // the fault alone.
    let known = dir.path().join("known.toml");
    std::fs::write(
        &known,
        causes
            .iter()
            .chain(&["cause-fc0f0c68"])
            .map(|c| format!("[[divergence]]\ncause = \"{c}\"\nreason = \"injected, or wasmi's own\"\n\n"))
            .collect::<String>(),
    )
    .unwrap();
    let again = dir.path().join("again");
    let o = run(&again, &known);
    let r = report(&again);
    let unknown: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["blamed"] == serde_json::json!(["mutant:wasmi:i32.lt_u@branch"]) && f["known"].is_null()
        })
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}\n{}", stdout(&o));
}

/// `selftest --score` injects each fault, reports which mode caught it and how fast.
#[test]
fn the_mutation_score_reports_each_fault() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("score");
    let o = wasmgate(&[
        "selftest",
        "--score",
        "--faults",
        "i32.add@const,f64.nearest@tie,i32.lt_s@branch+high-bit",
        "--budget",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert_eq!(code(&o), 0, "{text}\n{}", stderr(&o));
    assert!(
        text.contains("mutation score: 3 of 3 faults caught (100 %)"),
        "{text}"
    );
    assert!(text.contains("median time to first finding"), "{text}");
    assert!(text.contains("% of calls returned a value"), "{text}");
    let score: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("score.json")).unwrap()).unwrap();
    assert_eq!(score["faults"].as_array().unwrap().len(), 3);
    // A fault name that makes no sense is one clear error.
    let o = wasmgate(&["selftest", "--score", "--faults", "i32.add@sideways"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown fault trigger `@sideways`"),
        "{}",
        stderr(&o)
    );
    let o = wasmgate(&["selftest", "--score", "--faults", "f64.add@wide-shift"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("does not apply to `f64.add`"),
        "{}",
        stderr(&o)
    );
}

/// The WebAssembly 3.0 faults go into wasmtime and vote against JavaScriptCore
/// and V8 and SpiderMonkey in their browsers (four code bases with GC and
/// exceptions, three with memory64): the sweep's 3.0 items catch them.
#[test]
fn the_wasm3_score_catches_gc_and_exception_faults() {
    if !common::chromium_here() || !common::firefox_here() {
        eprintln!("no Chromium or Firefox here: the 3.0 score needs their votes (not run)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("score");
    let o = wasmgate(&[
        "selftest",
        "--score",
        "--wasm3",
        "--faults",
        "i31.get_s,throw,memory64,return_call",
        "--seeds",
        "0..40",
        "--budget",
        "15",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert_eq!(code(&o), 0, "{text}\n{}", stderr(&o));
    assert!(text.contains("mutation score: 4 of 4 faults caught"), "{text}");
    for (fault, item) in [
        ("i31.get_s", "(i31)"),
        ("throw", "(throw)"),
        ("memory64", "(memory64)"),
        ("return_call", "(return_call)"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(fault))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains(item),
            "the sweep's {item} item catches {fault}: {line}"
        );
    }
    let score: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("score.json")).unwrap()).unwrap();
    assert_eq!(score["engine"], "wasmtime-cranelift");
    assert_eq!(
        score["references"],
        serde_json::json!(["jsc-omg", "v8-chromium", "spidermonkey-firefox"])
    );
}

/// Findings of `report` blamed on `engine` alone, split into known and new.
fn blamed_on<'a>(
    report: &'a serde_json::Value,
    engine: &str,
) -> (Vec<&'a serde_json::Value>, Vec<&'a serde_json::Value>) {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blamed"] == serde_json::json!([engine]))
        .partition(|f| !f["known"].is_null())
}

fn cases(findings: &[&serde_json::Value]) -> u64 {
    findings.iter().map(|f| f["count"].as_u64().unwrap()).sum()
}

fn seeds(findings: &[&serde_json::Value]) -> std::collections::BTreeSet<u64> {
    findings
        .iter()
        .flat_map(|f| f["seeds"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()))
        .collect()
}

/// A second bug put into wasmi (`--fault`, under wasmi's own name) beside
/// its known `select`/`i32.eqz` bug is a new finding in the sweep and in the
/// run, with exit 1; the known finding keeps exactly the cases it had.
#[test]
fn a_known_bug_never_hides_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let fault = "wasmi:i32.clz@zero";
    let sweep = |name: &str, with_fault: bool| {
        let out = dir.path().join(name);
        let mut args = vec!["sweep", "-q", "--only", "i32.clz,i32.eqz", "--engines", ENGINES];
        if with_fault {
            args.extend(["--fault", fault]);
        }
        args.extend(["--out", out.to_str().unwrap()]);
        (wasmgate(&args), out)
    };
    let (o, clean) = sweep("sweep-clean", false);
    assert_eq!(code(&o), 0, "the known bug alone passes: {}", stdout(&o));
    let clean = report(&clean);
    let (known_before, new_before) = blamed_on(&clean, "wasmi");
    assert!(new_before.is_empty() && !known_before.is_empty(), "{clean}");
    let (o, faulty) = sweep("sweep-fault", true);
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    let faulty = report(&faulty);
    assert!(
        faulty["engines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "wasmi" && e["version"].as_str().unwrap().contains("fault: i32.clz@zero")),
        "the faulty engine keeps its name and says what was put in"
    );
    let (known_after, new_after) = blamed_on(&faulty, "wasmi");
    assert!(!new_after.is_empty(), "{faulty}");
    assert!(
        new_after
            .iter()
            .all(|f| f["signature_text"].as_str().unwrap().contains("i32.clz")),
        "the new finding is the clz one: {new_after:?}"
    );
    assert_eq!(cases(&known_after), cases(&known_before), "{known_after:?}");

    // The run: the same, over generated modules.
    let run = |name: &str, with_fault: bool| {
        let out = dir.path().join(name);
        let extra: &[&str] = if with_fault { &["--fault", fault] } else { &[] };
        (common::quick_run("0..400", &out, extra), out)
    };
    let (o, clean) = run("run-clean", false);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let clean = report(&clean);
    let (known_before, _) = blamed_on(&clean, "wasmi");
    assert!(!known_before.is_empty(), "the known bug shows in seeds 0..400");
    let (o, faulty) = run("run-fault", true);
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    let faulty = report(&faulty);
    let (known_after, new_after) = blamed_on(&faulty, "wasmi");
    assert!(!new_after.is_empty(), "{faulty}");
    // The known bug keeps its own cases, and takes none of the fault's: a
    // case where the fault's divergence hides behind it is new.
    assert!(
        seeds(&known_after).is_subset(&seeds(&known_before)),
        "{known_after:?}\n{new_after:?}"
    );
    assert!(!known_after.is_empty());
    let explained = &faulty["known_list"]["explained"];
    assert!(
        explained
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entry"] == "cause-fc0f0c68" && e["cases"].as_u64() == Some(cases(&known_after))),
        "{explained}"
    );
}

/// With two engines voting there is no majority, yet wasmi's known bug is
/// still known there (taking its shape out makes the two agree), and a
/// second bug put into wasmi beside it is new, in the sweep and in the run.
#[test]
fn a_known_bug_explains_a_two_engine_disagreement_and_hides_no_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let two = "wasmtime-cranelift,wasmi";
    let check = |name: &str, args: &[&str]| {
        let out = dir.path().join(name);
        let mut all = args.to_vec();
        all.extend(["--engines", two, "--out", out.to_str().unwrap()]);
        let clean = wasmgate(&all);
        let clean_report = report(&out);
        all.extend(["--fault", "wasmi:i32.clz@zero"]);
        let faulty = wasmgate(&all);
        let faulty_report = report(&out);
        let known = |r: &serde_json::Value| -> Vec<(bool, u64)> {
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    assert_eq!(f["majority"], false, "{f}");
                    (!f["known"].is_null(), f["count"].as_u64().unwrap())
                })
                .collect()
        };
        let before = known(&clean_report);
        assert_eq!(
            code(&clean),
            0,
            "{name}: the known bug alone passes: {}",
            stdout(&clean)
        );
        assert!(
            !before.is_empty() && before.iter().all(|(k, _)| *k),
            "{clean_report}"
        );
        assert_eq!(code(&faulty), 1, "{name}: {}", stdout(&faulty));
        let after = known(&faulty_report);
        assert!(
            after.iter().any(|(k, _)| !k),
            "{name}: the fault is new: {faulty_report}"
        );
        let cases = |v: &[(bool, u64)]| v.iter().filter(|(k, _)| *k).map(|(_, n)| n).sum::<u64>();
        assert_eq!(
            cases(&after),
            cases(&before),
            "{name}: the known bug keeps its cases"
        );
        for f in faulty_report["findings"].as_array().unwrap() {
            if f["known"].is_null() {
                assert!(f["cause"].is_null(), "no side is chosen for a new cause: {f}");
            }
        }
    };
    check("sweep", &["sweep", "-q", "--only", "i32.clz,i32.eqz"]);
    check(
        "run",
        &[
            "run",
            "-q",
            "--profile",
            "default",
            "--seeds",
            "0..400",
            "--shrink-attempts",
            "0",
        ],
    );
}

/// `--fault` names an engine of the run and a fault that makes sense.
#[test]
fn fault_flags_are_checked() {
    for (args, says) in [
        (vec!["--fault", "wasmi"], "must look like ENGINE:OP"),
        (vec!["--fault", "v9:i32.add"], "not among this run's engines"),
        (vec!["--fault", "wasmi:i32.add@sideways"], "unknown fault trigger"),
    ] {
        let mut all = vec!["sweep", "-q", "--only", "i32.clz", "--engines", ENGINES];
        all.extend(args);
        let o = wasmgate(&all);
        assert_eq!(code(&o), 2, "{all:?}");
        let line = common::usage_error(&o);
        assert!(line.contains(says), "{line}");
    }
}

/// `selftest --score --with-known` puts each fault into wasmi under its own
/// name with the known list in force and counts what the list masked; a
/// fault in the known bug's operator (`i32.eqz` feeding a branch, where the
/// known cause is `i32.eqz` feeding a `select`) is still caught.
#[test]
fn the_mutation_score_with_the_known_list_in_force_counts_masked_cases() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("score");
    let o = wasmgate(&[
        "selftest",
        "--score",
        "--with-known",
        "--faults",
        "i32.clz@zero,i32.eqz@branch",
        "--budget",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert_eq!(code(&o), 0, "{text}\n{}", stderr(&o));
    assert!(stderr(&o).contains("under its own name, with the known list in force"));
    assert!(text.contains("mutation score: 2 of 2 faults caught"), "{text}");
    let score: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("score.json")).unwrap()).unwrap();
    assert_eq!(score["known_list"], true);
    let faults = score["faults"].as_array().unwrap();
    assert_eq!(faults[0]["engine"], "wasmi");
    assert_eq!(faults[0]["masked"], 0, "{faults:?}");
    assert!(faults[1]["masked"].is_u64(), "{faults:?}");
    assert!(text.contains("case(s) masked by the known list"), "{text}");
}

/// WebAssembly 3.0 modules written by hand (vectors/wasm3/): every engine
/// that has the feature runs them and agrees — a struct or array compared by
/// the digest of its contents the harness observes inside the module, an
/// uncaught exception as its own outcome with tag and payload — and a fault
/// in a GC operator, one in `throw` and one seen only inside a struct are
/// each caught and blamed.
#[test]
fn hand_written_wasm3_modules_agree_and_gc_and_exception_faults_are_blamed() {
    // Three code bases with GC vote when Chromium is here; two otherwise
    // (then the blame says the vote was narrow).
    let engines = common::with_chromium("wasmtime-cranelift,wasmtime-pulley,wasmer-cranelift,wasmi,jsc-omg");
    let blamed = |out: &str, engine: &str| {
        out.lines()
            .any(|l| l.trim_start().starts_with("blamed") && l.ends_with(&format!(": {engine}")))
    };
    let repro = |module: &str, extra: &[&str]| {
        let path = format!("{}/../vectors/wasm3/{module}.wat", env!("CARGO_MANIFEST_DIR"));
        let mut args = vec!["repro", "--wasm", &path, "--engines", &engines];
        args.extend(extra);
        wasmgate(&args)
    };
    for module in ["gc", "exceptions", "tail-call", "memory64", "observed"] {
        let o = repro(module, &[]);
        assert_eq!(code(&o), 0, "{module}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("engines agree"), "{module}: {}", stdout(&o));
    }
    let gc = stdout(&repro("gc", &[]));
    for seen in [
        "[anyref:struct:0x",
        "[anyref:array:0x",
        "[anyref:i31:-1]",
        "[anyref:null]",
        "trap cast-failure",
        "trap null-reference",
    ] {
        assert!(gc.contains(seen), "gc.wat: no {seen} in\n{gc}");
    }
    assert!(
        gc.contains("skipped wasmi: module needs a feature wasmi lacks"),
        "{gc}"
    );
    let exceptions = stdout(&repro("exceptions", &[]));
    assert!(exceptions.contains("exception tag 0 (i32:"), "{exceptions}");

    let o = repro("gc", &["--fault", "wasmtime-cranelift:i31.get_s"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(blamed(&stdout(&o), "wasmtime-cranelift"), "{}", stdout(&o));
    let o = repro("exceptions", &["--fault", "jsc-omg:throw"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(blamed(&stdout(&o), "jsc-omg"), "{}", stdout(&o));
    // The only f64.mul of observed.wat computes a struct field: only the
    // struct's observed digest (and an exception's payload) can show it.
    let o = repro("observed", &["--fault", "wasmtime-cranelift:f64.mul"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(blamed(&out, "wasmtime-cranelift"), "{out}");
    assert!(out.contains("returned [anyref:struct:0x"), "{out}");
}

/// The `wasm3` profile generates valid modules using 3.0's features, and the
/// engines that run them (wasmtime's two back ends, Chromium's V8 when it is
/// here; wasmer and wasmi on the modules within their features) agree: no
/// finding comes from how wasmgate reads a GC reference, an exnref global or
/// a tag, and every case runs on wasmtime.
#[test]
fn the_wasm3_profile_runs_valid_modules_and_the_engines_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wasm3");
    let engines = common::with_chromium("wasmtime-cranelift,wasmtime-pulley,wasmer-cranelift,wasmi");
    let o = wasmgate(&[
        "run",
        "--profile",
        "wasm3",
        "--seeds",
        "0..120",
        "--engines",
        &engines,
        "--shrink-attempts",
        "0",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = report(&out);
    assert_eq!(code(&o), 0, "{}\n{:#}", stderr(&o), r["findings"]);
    let s = &r["summary"];
    assert_eq!(s["cases"], 120);
    assert_eq!(s["generation_errors"], 0);
    assert_eq!(s["skipped"]["wasmtime-cranelift"], 0);
    // wasmer and wasmi run the seeds whose swarm left GC and the rest out.
    for engine in ["wasmer-cranelift", "wasmi"] {
        let skipped = s["skipped"][engine].as_u64().unwrap();
        assert!((1..120).contains(&skipped), "{engine} skipped {skipped}");
    }
    // Every 3.0 feature is used, and run on every engine that has it: both
    // of wasmtime's back ends, and V8 (a second code base) when Chromium is here.
    let features = &s["features"];
    for feature in [
        "gc",
        "exceptions",
        "tail-call",
        "function-references",
        "memory64",
        "multi-memory",
    ] {
        let usage = &features[feature];
        let cases = usage["cases"].as_u64().unwrap_or(0);
        assert!(cases >= 3, "{feature}: {usage}");
        let mut runners = vec!["wasmtime-cranelift", "wasmtime-pulley"];
        if common::chromium_here() {
            runners.push("v8-chromium");
        }
        for engine in runners {
            assert_eq!(usage["ran"][engine], cases, "{feature} on {engine}: {usage}");
        }
        // wasmi has neither GC nor exceptions: it skips every such case.
        if feature == "gc" || feature == "exceptions" {
            assert_eq!(usage["skipped"]["wasmi"], cases, "{feature}: {usage}");
        }
    }
    assert!(stdout(&o).contains("cases per feature: "), "{}", stdout(&o));
}
