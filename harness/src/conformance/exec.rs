//! Runs a [`Script`] on one engine in one linked [`Session`], directive by
//! directive, and judges each outcome against the script's expectation.

use super::script::{Action, Expect, Instantiation, Script, Step, StepKind};
use crate::source::module_info;
use std::collections::HashMap;
use wasmgate_runners::{Engine, Failure, Feature, InstanceId, Session, TrapKind, Val};

/// The `spectest` module the testsuite imports from, as the reference
/// interpreter defines it (its `print*` functions print nothing here).
pub const SPECTEST_WAT: &str = r#"(module
  (func (export "print"))
  (func (export "print_i32") (param i32))
  (func (export "print_i64") (param i64))
  (func (export "print_f32") (param f32))
  (func (export "print_f64") (param f64))
  (func (export "print_i32_f32") (param i32 f32))
  (func (export "print_f64_f64") (param f64 f64))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2))"#;

/// [`SPECTEST_WAT`] with a shared memory beside its plain one, compiled once.
fn spectest_with_shared_memory() -> &'static [u8] {
    static SHARED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        wat::parse_str(SPECTEST_WAT.replace(
            "(memory (export \"memory\") 1 2)",
            "(memory (export \"memory\") 1 2)\n  (memory (export \"shared_memory\") 1 1 shared)",
        ))
        .expect("the spectest module is valid text")
    })
}

/// How one directive went on one engine.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail { expected: String, got: String },
    Skip { why: String },
}

/// One directive's result on one engine.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DirectiveResult {
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the engine did, in a short engine-neutral form (no messages), so
    /// that engines can be compared with each other.
    pub observed: String,
}

/// A script's results on one engine: one entry per step, in order.
#[derive(Clone, Debug)]
pub struct FileRun {
    /// Why the whole file was skipped on this engine, if it was.
    pub skipped: Option<String>,
    pub results: Vec<DirectiveResult>,
    /// Wall time the engine took for the file (set by [`super::run`]).
    pub elapsed: std::time::Duration,
}

/// Whether an engine's features suffice for a script's modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Full,
    /// The first feature the engine lacks that a module needs.
    Lacks(Feature),
    /// A module needs a feature no engine here knows (e.g. GC).
    Unknown,
}

/// Checks (with wasmparser as referee) that every module the script expects
/// to be valid validates under `features`.
pub fn support(script: &Script, features: &[Feature]) -> Support {
    let mut missing = None;
    for step in &script.steps {
        let wasm: &[u8] = match &step.kind {
            StepKind::Module { wasm, .. } | StepKind::Define { wasm } => wasm,
            StepKind::Instantiate { wasm, .. } => wasm,
            _ => continue,
        };
        if module_info::validate(wasm, features).is_ok() {
            continue;
        }
        if module_info::validate(wasm, &Feature::ALL).is_err() {
            return Support::Unknown;
        }
        if missing.is_none() {
            let extra = Feature::ALL.iter().find(|f| {
                !features.contains(f) && {
                    let mut with = features.to_vec();
                    with.push(**f);
                    module_info::validate(wasm, &with).is_ok()
                }
            });
            // No single feature suffices: name the first one it lacks.
            let lacking = || Feature::ALL.iter().find(|f| !features.contains(f));
            missing = extra.or_else(lacking).copied();
        }
    }
    missing.map_or(Support::Full, Support::Lacks)
}

/// The trap kinds a spec trap message allows.
pub fn trap_kinds(message: &str) -> Option<&'static [TrapKind]> {
    use TrapKind::*;
    Some(match message {
        m if m.starts_with("unreachable") => &[Unreachable],
        m if m.starts_with("integer divide by zero") => &[IntegerDivisionByZero],
        // The spec says "integer overflow" for both signed-division overflow and
        // float-to-int conversions out of range.
        m if m.starts_with("integer overflow") => &[IntegerOverflow, ConversionToInteger],
        m if m.starts_with("invalid conversion to integer") => &[BadConversionToInteger, ConversionToInteger],
        m if m.starts_with("out of bounds memory access") => {
            &[MemoryOutOfBounds, ArraySegmentOutOfBounds, OutOfBounds]
        }
        m if m.starts_with("undefined element") || m.starts_with("uninitialized element") => {
            &[TableOutOfBounds, IndirectCallToNull, IndirectCall, OutOfBounds]
        }
        m if m.starts_with("out of bounds table access") => {
            &[TableOutOfBounds, ArraySegmentOutOfBounds, OutOfBounds]
        }
        m if m.starts_with("out of bounds array access") => {
            &[ArrayOutOfBounds, ArraySegmentOutOfBounds, OutOfBounds]
        }
        m if m.starts_with("cast failure") => &[CastFailure],
        m if m.starts_with("indirect call type mismatch") => &[BadSignature, IndirectCall],
        m if m.starts_with("null") => &[NullReference, IndirectCallToNull, IndirectCall],
        m if m.starts_with("unaligned atomic") => &[UnalignedAtomic],
        _ => return None,
    })
}

fn show_failure(f: &Failure) -> String {
    match f {
        Failure::Trap { trap, .. } => format!("trap {trap}"),
        Failure::Exhausted { resource, .. } => format!("exhausted {resource}"),
        Failure::Unsupported { .. } => "unsupported".into(),
        Failure::Exception { tag, .. } => format!("exception of tag {tag}"),
        Failure::Error { .. } => "error".into(),
    }
}

fn show_values(values: &[Val]) -> String {
    let v: Vec<_> = values.iter().map(|v| v.pretty()).collect();
    format!("[{}]", v.join(" "))
}

/// The run of a script skipped as a whole on an engine: every directive skipped.
pub fn skipped_file(script: &Script, why: String) -> FileRun {
    FileRun {
        results: script
            .steps
            .iter()
            .map(|_| DirectiveResult {
                verdict: Verdict::Skip { why: why.clone() },
                observed: "skipped".into(),
            })
            .collect(),
        skipped: Some(why),
        elapsed: Default::default(),
    }
}

/// Runs `script` on `engine`. `spectest` is [`SPECTEST_WAT`] compiled.
pub fn run(engine: &dyn Engine, script: &Script, spectest: &[u8]) -> FileRun {
    run_with(engine, script, spectest, &mut |_| {})
}

/// [`run`], handing each directive's result to `each` as soon as it is known
/// (a worker process streams them, so a crash loses nothing before it).
pub fn run_with(
    engine: &dyn Engine,
    script: &Script,
    spectest: &[u8],
    each: &mut dyn FnMut(&DirectiveResult),
) -> FileRun {
    let skip_all = |why: String| skipped_file(script, why);
    match support(script, &engine.info().features) {
        Support::Full => {}
        Support::Lacks(f) => return skip_all(format!("needs {f}")),
        Support::Unknown => return skip_all("needs a feature no engine here supports".into()),
    }
    let mut session = match engine.session() {
        Ok(s) => s,
        Err(e) => return skip_all(e),
    };
    let mut runner = Runner {
        features: &engine.info().features,
        session: session.as_mut(),
        instances: HashMap::new(),
    };
    // An engine with threads gets the shared memory the threads scripts
    // import, beside the plain one (which takes multi-memory).
    let features = &engine.info().features;
    let spectest = if features.contains(&Feature::Threads) && features.contains(&Feature::MultiMemory) {
        spectest_with_shared_memory()
    } else {
        spectest
    };
    let spectest = runner.link_spectest(spectest);
    let results = script
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let r = match &spectest {
                Ok(()) => runner.step(index, step),
                Err(e) => fail("the spectest module instantiates", e.clone(), "no spectest"),
            };
            each(&r);
            r
        })
        .collect();
    FileRun {
        skipped: None,
        results,
        elapsed: Default::default(),
    }
}

struct Runner<'s> {
    features: &'s [Feature],
    session: &'s mut dyn Session,
    /// Instance of each module step that instantiated, or why it did not.
    instances: HashMap<usize, Result<InstanceId, String>>,
}

fn pass(observed: impl Into<String>) -> DirectiveResult {
    DirectiveResult {
        verdict: Verdict::Pass,
        observed: observed.into(),
    }
}

fn fail(expected: impl Into<String>, got: impl Into<String>, observed: impl Into<String>) -> DirectiveResult {
    DirectiveResult {
        verdict: Verdict::Fail {
            expected: expected.into(),
            got: got.into(),
        },
        observed: observed.into(),
    }
}

impl Runner<'_> {
    fn link_spectest(&mut self, spectest: &[u8]) -> Result<(), String> {
        let module = self.session.compile(spectest)?;
        let instance = self.session.instantiate(module).map_err(|f| f.to_string())?;
        self.session.register(instance, "spectest")
    }

    fn step(&mut self, index: usize, step: &Step) -> DirectiveResult {
        // A panic inside an engine is that engine's failure on this directive.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.step_inner(index, step)));
        outcome.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "engine panicked".into());
            fail("no panic", format!("engine panicked: {message}"), "panic")
        })
    }

    fn step_inner(&mut self, index: usize, step: &Step) -> DirectiveResult {
        match &step.kind {
            StepKind::Skip { why } => DirectiveResult {
                verdict: Verdict::Skip { why: why.clone() },
                observed: "skipped".into(),
            },
            StepKind::Broken { why } => DirectiveResult {
                verdict: Verdict::Fail {
                    expected: "a directive its module can run".into(),
                    got: why.clone(),
                },
                observed: "script error".into(),
            },
            StepKind::Module { wasm, .. } => {
                let outcome = self
                    .session
                    .compile(wasm)
                    .map_err(|e| format!("rejected: {e}"))
                    .and_then(|m| self.session.instantiate(m).map_err(|f| f.to_string()));
                let result = match &outcome {
                    Ok(_) => pass("instantiated"),
                    Err(e) => fail("module compiles and instantiates", e.clone(), observed_error(e)),
                };
                self.instances.insert(index, outcome);
                result
            }
            StepKind::Register { name, module } => match self.instance(*module) {
                Ok(instance) => match self.session.register(instance, name) {
                    Ok(()) => pass("registered"),
                    Err(e) => fail("registered", e, "error"),
                },
                Err(e) => fail("registered", e, "no instance"),
            },
            StepKind::Define { wasm } => match self.session.compile(wasm) {
                Ok(_) => pass("compiled"),
                Err(e) => fail("module compiles", format!("rejected: {e}"), "rejected"),
            },
            StepKind::Reject { wasm } => match self.session.compile(wasm) {
                Err(_) => pass("rejected"),
                Ok(_) => match relaxed_by(wasm, self.features) {
                    // The suite's rule was relaxed by a proposal this engine enables.
                    Some(feature) => DirectiveResult {
                        verdict: Verdict::Skip {
                            why: format!("valid once {feature} is enabled, as it is in this engine"),
                        },
                        observed: "skipped".into(),
                    },
                    None => fail("module rejected", "module accepted", "accepted"),
                },
            },
            StepKind::Instantiate { wasm, expect } => {
                let module = match self.session.compile(wasm) {
                    Ok(m) => m,
                    Err(e) => return fail("module compiles", format!("rejected: {e}"), "rejected"),
                };
                let got = self.session.instantiate(module);
                match (expect, got) {
                    (Instantiation::Unlinkable, Err(Failure::Error { .. })) => pass("link error"),
                    (Instantiation::Trap(message), Err(f @ Failure::Trap { .. })) => {
                        self.judge_trap(message, &f)
                    }
                    (expected, Err(f)) => fail(expectation(expected), f.to_string(), show_failure(&f)),
                    (expected, Ok(_)) => fail(expectation(expected), "instantiated", "instantiated"),
                }
            }
            StepKind::Act {
                module,
                action,
                expect,
            } => {
                let instance = match self.instance(*module) {
                    Ok(i) => i,
                    Err(e) => return fail("module instance", e, "no instance"),
                };
                let got = match action {
                    Action::Invoke { name, args, results } => {
                        self.session.call(instance, name, args, results)
                    }
                    Action::Get { global } => self.session.global(instance, global).map(|v| vec![v]),
                };
                judge(expect, got, self)
            }
        }
    }

    fn instance(&self, module: usize) -> Result<InstanceId, String> {
        match self.instances.get(&module) {
            Some(Ok(i)) => Ok(*i),
            Some(Err(e)) => Err(format!("its module did not instantiate ({e})")),
            None => Err("its module was not run".into()),
        }
    }

    fn judge_trap(&self, message: &str, f: &Failure) -> DirectiveResult {
        let Failure::Trap { trap, message: got } = f else {
            return fail(format!("trap \"{message}\""), f.to_string(), show_failure(f));
        };
        let ok = match trap_kinds(message) {
            Some(kinds) => kinds.contains(trap),
            None => true,
        };
        if ok {
            pass(format!("trap {trap}"))
        } else {
            fail(
                format!("trap \"{message}\""),
                format!("trap {trap}: {got}"),
                format!("trap {trap}"),
            )
        }
    }
}

/// The engine feature without which `wasm` would be invalid, if it is valid
/// under `features` (wasmparser is the referee).
fn relaxed_by(wasm: &[u8], features: &[Feature]) -> Option<Feature> {
    module_info::validate(wasm, features).ok()?;
    features.iter().copied().find(|f| {
        let without: Vec<Feature> = features.iter().copied().filter(|g| g != f).collect();
        module_info::validate(wasm, &without).is_err()
    })
}

fn observed_error(e: &str) -> String {
    if e.starts_with("rejected") {
        "rejected".into()
    } else if let Some(rest) = e.strip_prefix("trap ") {
        format!("trap {}", rest.split(':').next().unwrap_or(rest))
    } else {
        "error".into()
    }
}

fn expectation(expect: &Instantiation) -> String {
    match expect {
        Instantiation::Unlinkable => "link error".into(),
        Instantiation::Trap(m) => format!("trap \"{m}\" during instantiation"),
    }
}

fn judge(expect: &Expect, got: Result<Vec<Val>, Failure>, runner: &Runner<'_>) -> DirectiveResult {
    match (expect, got) {
        // The engine's API cannot make this call (e.g. v128 through JS): not a verdict on the engine.
        (_, Err(Failure::Unsupported { message })) => DirectiveResult {
            verdict: Verdict::Skip { why: message },
            observed: "skipped".into(),
        },
        (Expect::Completes, Ok(v)) => pass(format!("values {}", show_values(&v))),
        (Expect::Returns(patterns), Ok(values)) => {
            let observed = format!("values {}", show_values(&values));
            let ok =
                values.len() == patterns.len() && patterns.iter().zip(&values).all(|(p, v)| p.matches(v));
            if ok {
                pass(observed)
            } else {
                let expected: Vec<_> = patterns.iter().map(|p| p.to_string()).collect();
                fail(
                    format!("[{}]", expected.join(" ")),
                    show_values(&values),
                    observed,
                )
            }
        }
        (Expect::Trap(message), Err(f)) => runner.judge_trap(message, &f),
        (Expect::Exhaustion, Err(f @ Failure::Exhausted { .. })) => pass(show_failure(&f)),
        (
            Expect::Exception,
            Err(
                f @ Failure::Trap {
                    trap: TrapKind::UncaughtException,
                    ..
                },
            ),
        ) => pass(show_failure(&f)),
        (expect, Ok(values)) => fail(
            expected_text(expect),
            format!("returned {}", show_values(&values)),
            format!("values {}", show_values(&values)),
        ),
        (expect, Err(f)) => fail(expected_text(expect), f.to_string(), show_failure(&f)),
    }
}

fn expected_text(expect: &Expect) -> String {
    match expect {
        Expect::Returns(p) => {
            let p: Vec<_> = p.iter().map(|p| p.to_string()).collect();
            format!("[{}]", p.join(" "))
        }
        Expect::Trap(m) => format!("trap \"{m}\""),
        Expect::Exhaustion => "call stack exhaustion".into(),
        Expect::Exception => "uncaught exception".into(),
        Expect::Completes => "completes".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_trap_messages_map_to_kinds() {
        let kinds = |m| trap_kinds(m).unwrap().to_vec();
        assert_eq!(
            kinds("integer divide by zero"),
            vec![TrapKind::IntegerDivisionByZero]
        );
        assert!(kinds("integer overflow").contains(&TrapKind::ConversionToInteger));
        assert!(kinds("indirect call type mismatch").contains(&TrapKind::BadSignature));
        assert!(kinds("uninitialized element 2").contains(&TrapKind::IndirectCallToNull));
        assert_eq!(
            kinds("out of bounds memory access"),
            vec![
                TrapKind::MemoryOutOfBounds,
                TrapKind::ArraySegmentOutOfBounds,
                TrapKind::OutOfBounds
            ]
        );
        assert_eq!(kinds("cast failure"), vec![TrapKind::CastFailure]);
        assert!(kinds("out of bounds array access").contains(&TrapKind::ArrayOutOfBounds));
        assert!(kinds("null structure reference").contains(&TrapKind::NullReference));
        assert!(trap_kinds("some message of a later proposal").is_none());
    }

    #[test]
    fn a_wrong_trap_kind_fails_and_any_trap_passes_an_unknown_message() {
        let script = super::super::script::parse(
            "t.wast",
            r#"(module (func (export "f") (unreachable)))
               (assert_trap (invoke "f") "integer divide by zero")
               (assert_trap (invoke "f") "unreachable")
               (assert_trap (invoke "f") "a message no mapping knows")
               (assert_return (invoke "f"))
               (assert_invalid (module (func (result i32) (i32.const 0))) "accepted on purpose")"#,
        )
        .unwrap();
        let engine = wasmgate_runners::registry::build("wasmi").unwrap();
        let spectest = wat::parse_str(SPECTEST_WAT).unwrap();
        let run = run(engine.as_ref(), &script, &spectest);
        let verdicts: Vec<bool> = run.results.iter().map(|r| r.verdict == Verdict::Pass).collect();
        assert_eq!(verdicts, vec![true, false, true, true, false, false]);
        assert_eq!(run.results[1].observed, "trap unreachable");
    }
}
