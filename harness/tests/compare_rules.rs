//! The comparison rules, pinned on hand-made outcomes.

use wasmgate_harness::compare::{DivergenceKind, Verdict, compare};
use wasmgate_harness::execute::{CallRecord, CallResult, EngineOutcome, State, Status, Timings};
use wasmgate_harness::source::case::{Call, Origin, TestCase};
use wasmgate_runners::{Exhaustion, Failure, TrapKind, Val, ValType};

fn case(calls: usize) -> TestCase {
    TestCase {
        origin: Origin::File {
            path: "t.wasm".into(),
        },
        wasm: vec![],
        calls: (0..calls)
            .map(|i| Call {
                export: format!("f{i}"),
                args: vec![],
                results: vec![ValType::F32],
                expect: None,
            })
            .collect(),
        globals: vec![],
        memories: vec![],
        refuel: None,
        features: None,
        valid: true,
    }
}

fn ran(engine: &str, results: Vec<CallResult>) -> EngineOutcome {
    EngineOutcome {
        engine: engine.into(),
        status: Status::Ran,
        initial: Some(State::default()),
        calls: results
            .into_iter()
            .map(|result| CallRecord {
                result,
                state: State::default(),
            })
            .collect(),
        timings: Timings::default(),
    }
}

fn ret(v: Val) -> CallResult {
    CallResult::Returned(vec![v])
}

fn trap(kind: TrapKind) -> CallResult {
    CallResult::Failed(Failure::trap(kind, "message differs per engine"))
}

#[test]
fn any_nan_equals_any_nan_but_zero_signs_differ() {
    let c = case(1);
    let nans = [
        ran("a", vec![ret(Val::F32(0x7fc0_0000))]),
        ran("b", vec![ret(Val::F32(0xffc0_0001))]),
    ];
    assert_eq!(compare(&c, &nans), Verdict::Agree { engines: 2 });
    let zeros = [
        ran("a", vec![ret(Val::F32(0))]),
        ran("b", vec![ret(Val::F32(0x8000_0000))]),
    ];
    let v = compare(&c, &zeros);
    assert_eq!(
        v.divergence().map(|d| d.kind),
        Some(DivergenceKind::Value),
        "{v:?}"
    );
}

#[test]
fn majority_blames_the_odd_engine_out() {
    let c = case(1);
    let outcomes = [
        ran("a", vec![ret(Val::F32(1))]),
        ran("b", vec![ret(Val::F32(1))]),
        ran("c", vec![ret(Val::F32(2))]),
    ];
    let d = compare(&c, &outcomes).divergence().cloned().expect("diverges");
    assert!(d.majority);
    assert_eq!(d.blamed, vec!["c"]);
    assert_eq!(d.groups[0].engines, vec!["a", "b"]);
}

#[test]
fn a_tie_blames_everyone() {
    let c = case(1);
    let outcomes = [ran("a", vec![ret(Val::F32(1))]), ran("b", vec![ret(Val::F32(2))])];
    let d = compare(&c, &outcomes).divergence().cloned().expect("diverges");
    assert!(!d.majority);
    assert_eq!(d.blamed, vec!["a", "b"]);
}

#[test]
fn trap_kinds_compare_but_messages_do_not() {
    let c = case(1);
    let same = [
        ran("a", vec![trap(TrapKind::IntegerOverflow)]),
        ran("b", vec![trap(TrapKind::IntegerOverflow)]),
    ];
    assert_eq!(compare(&c, &same), Verdict::Agree { engines: 2 });
    let differ = [
        ran("a", vec![trap(TrapKind::IntegerOverflow)]),
        ran("b", vec![trap(TrapKind::IntegerOverflow)]),
        ran("c", vec![trap(TrapKind::Unreachable)]),
    ];
    let d = compare(&c, &differ).divergence().cloned().expect("diverges");
    assert_eq!(
        (d.kind, d.blamed.as_slice()),
        (DivergenceKind::Trap, &["c".to_string()][..])
    );
    let rvt = [
        ran("a", vec![ret(Val::F32(1))]),
        ran("b", vec![ret(Val::F32(1))]),
        ran("c", vec![trap(TrapKind::Unreachable)]),
    ];
    assert_eq!(
        compare(&c, &rvt).divergence().map(|d| d.kind),
        Some(DivergenceKind::ReturnVsTrap)
    );
}

#[test]
fn exhaustion_makes_the_rest_inconclusive_not_a_divergence() {
    let c = case(2);
    let exhausted = CallResult::Failed(Failure::exhausted(Exhaustion::StackOverflow, "deep"));
    let outcomes = [
        ran("a", vec![ret(Val::F32(1)), ret(Val::F32(5))]),
        ran("b", vec![ret(Val::F32(1)), exhausted]),
    ];
    match compare(&c, &outcomes) {
        Verdict::Inconclusive { reason, at } => {
            assert_eq!(reason, "b exhausted stack-overflow");
            assert!(at.unwrap().starts_with("call 1"));
        }
        other => panic!("expected inconclusive, got {other:?}"),
    }
}

#[test]
fn rejection_must_agree_and_skipped_engines_do_not_vote() {
    let c = case(0);
    let rejected = EngineOutcome {
        status: Status::Rejected {
            message: "bad".into(),
        },
        initial: None,
        ..ran("c", vec![])
    };
    let skipped = EngineOutcome {
        status: Status::Skipped {
            reason: "simd".into(),
        },
        initial: None,
        ..ran("d", vec![])
    };
    let d = compare(
        &c,
        &[ran("a", vec![]), ran("b", vec![]), rejected, skipped.clone()],
    )
    .divergence()
    .cloned()
    .expect("diverges");
    assert_eq!(
        (d.kind, d.blamed.clone()),
        (DivergenceKind::Validation, vec!["c".to_string()])
    );
    assert!(matches!(
        compare(&c, &[ran("a", vec![]), skipped]),
        Verdict::Inconclusive { .. }
    ));
}

#[test]
fn signatures_are_stable_and_ignore_values() {
    let c = case(1);
    let one = [
        ran("a", vec![ret(Val::F32(1))]),
        ran("b", vec![ret(Val::F32(1))]),
        ran("c", vec![ret(Val::F32(2))]),
    ];
    let two = [
        ran("a", vec![ret(Val::F32(7))]),
        ran("b", vec![ret(Val::F32(7))]),
        ran("c", vec![ret(Val::F32(9))]),
    ];
    let s1 = compare(&c, &one).divergence().unwrap().signature.clone();
    let s2 = compare(&c, &two).divergence().unwrap().signature.clone();
    assert_eq!(s1, s2);
    assert_eq!(
        s1, "value-6b229557",
        "signature scheme changed: dedup across runs breaks"
    );
}

#[test]
fn a_panicking_engine_is_a_crash_divergence() {
    let c = case(1);
    let crashed = EngineOutcome {
        status: Status::Crashed {
            message: "boom".into(),
            phase: wasmgate_harness::execute::Phase::Call(0),
        },
        ..ran("c", vec![])
    };
    let d = compare(
        &c,
        &[
            ran("a", vec![ret(Val::F32(1))]),
            ran("b", vec![ret(Val::F32(1))]),
            crashed,
        ],
    )
    .divergence()
    .cloned()
    .expect("diverges");
    assert_eq!(
        (d.kind, d.blamed.clone()),
        (DivergenceKind::Crash, vec!["c".to_string()])
    );
}

#[test]
fn an_unspecified_conversion_trap_matches_overflow_and_nan_traps() {
    let c = case(1);
    let outcomes = [
        ran("a", vec![trap(TrapKind::IntegerOverflow)]),
        ran("b", vec![trap(TrapKind::IntegerOverflow)]),
        ran("v8", vec![trap(TrapKind::ConversionToInteger)]),
    ];
    assert_eq!(compare(&c, &outcomes), Verdict::Agree { engines: 3 });
    let mixed = [
        ran("a", vec![trap(TrapKind::IntegerOverflow)]),
        ran("v8", vec![trap(TrapKind::ConversionToInteger)]),
        ran("c", vec![trap(TrapKind::Unreachable)]),
    ];
    assert_eq!(compare(&c, &mixed).divergence().unwrap().blamed, vec!["c"]);
}

/// The JavaScript engines' error messages → the failure model (js/core.js's
/// `failure`), run by node on the core with a host that serves nothing: an
/// engine's refusal to allocate is its resource (inconclusive), never a trap
/// or an engine error that fails a gate.
#[test]
fn the_javascript_engines_messages_map_to_the_failure_model() {
    if crate::common::which("node").is_none() {
        eprintln!("skipped: no node");
        return;
    }
    let core =
        std::fs::read_to_string(format!("{}/../runners/js/core.js", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let probe = r#"
const cases = [
  "out of memory",                                              // SpiderMonkey, thrown as a string
  new RangeError("out of memory"),
  new WebAssembly.RuntimeError("requested new array is too large"),  // V8
  new WebAssembly.RuntimeError("Failed to allocate new array"),      // JavaScriptCore
  new WebAssembly.RuntimeError("too many array elements"),           // SpiderMonkey
  new RangeError("Maximum call stack size exceeded"),
  new WebAssembly.RuntimeError("bad cast"),
  new WebAssembly.RuntimeError("index out of bounds"),
  new WebAssembly.RuntimeError("out of memory access"),          // not an allocation
  new Error("something else"),
];
console.log(JSON.stringify(cases.map((e) => { const f = failure(e); return [f.kind, f.resource || f.trap || ""]; })));
"#;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("rules.js");
    let host = "const HOST = { serve() {} };\n";
    std::fs::write(&script, format!("{host}{core}\n{probe}")).unwrap();
    let o = std::process::Command::new("node").arg(&script).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Vec<(String, String)> = serde_json::from_slice(&o.stdout).unwrap();
    let want = [
        ("exhausted", "memory"),
        ("exhausted", "memory"),
        ("exhausted", "memory"),
        ("exhausted", "memory"),
        ("exhausted", "memory"),
        ("exhausted", "stack-overflow"),
        ("trap", "cast-failure"),
        ("trap", "out-of-bounds"),
    ];
    for (i, (kind, what)) in want.iter().enumerate() {
        assert_eq!(
            (got[i].0.as_str(), got[i].1.as_str()),
            (*kind, *what),
            "case {i}: {got:?}"
        );
    }
    assert_ne!(
        got[8].0, "exhausted",
        "a longer message naming memory is no allocation failure: {got:?}"
    );
    assert_eq!(got[9].0, "error", "{got:?}");
}
