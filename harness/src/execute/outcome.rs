//! Running one case on one engine: compile → instantiate → each call in order,
//! recording results, state and per-phase timings. Panics inside an engine are
//! caught and recorded as a crash with everything observed up to that point.

use crate::source::case::TestCase;
use crate::source::generate::FUEL_GLOBAL;
use crate::source::module_info;
use serde::{Deserialize, Serialize};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;
use wasmgate_runners::{Engine, Failure, Instance, PlannedCall, Val, ValType};

/// Microseconds spent in each engine phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Timings {
    pub compile_us: u64,
    pub instantiate_us: u64,
    pub execute_us: u64,
    /// Dropping the instance and compiled module (unmapping memories and code).
    #[serde(default)]
    pub teardown_us: u64,
}

impl Timings {
    /// Total engine time.
    pub fn total_us(&self) -> u64 {
        self.compile_us + self.instantiate_us + self.execute_us + self.teardown_us
    }

    /// Adds another set of timings to this one.
    pub fn add(&mut self, other: &Timings) {
        self.compile_us += other.compile_us;
        self.instantiate_us += other.instantiate_us;
        self.execute_us += other.execute_us;
        self.teardown_us += other.teardown_us;
    }
}

/// A digest of one exported memory.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemoryDigest {
    pub name: String,
    /// Size in bytes.
    pub size: usize,
    /// xxh3-128 of the contents, hex.
    pub digest: String,
}

/// Observable state: every exported global and a digest of every exported memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct State {
    pub globals: Vec<(String, Val)>,
    pub memories: Vec<MemoryDigest>,
}

impl State {
    /// The value of exported global `name`, if read.
    pub fn global(&self, name: &str) -> Option<Val> {
        self.globals.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// What one call did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallResult {
    Returned(Vec<Val>),
    Failed(Failure),
}

/// One call's result and the state after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub result: CallResult,
    pub state: State,
}

/// A phase of running a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Compile,
    Instantiate,
    /// The call with this index into the case's calls.
    Call(usize),
}

/// How far an engine got with a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Compiled, instantiated and made every call.
    Ran,
    /// Not run: the module needs a feature the engine lacks.
    Skipped { reason: String },
    /// Compilation (validation) failed.
    Rejected { message: String },
    /// Instantiation failed (start function trapped, segment out of bounds, …).
    InstantiateFailed { failure: Failure },
    /// The engine panicked during `phase`; `calls` holds what it did before.
    Crashed { message: String, phase: Phase },
}

/// Everything one engine did with one case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineOutcome {
    pub engine: String,
    #[serde(flatten)]
    pub status: Status,
    /// State right after instantiation.
    pub initial: Option<State>,
    pub calls: Vec<CallRecord>,
    pub timings: Timings,
}

impl EngineOutcome {
    fn new(engine: &str, status: Status) -> Self {
        EngineOutcome {
            engine: engine.to_string(),
            status,
            initial: None,
            calls: Vec::new(),
            timings: Timings::default(),
        }
    }
}

/// Why `engine` should not run `case`, if it lacks a feature the module uses.
pub fn skip_reason(engine: &dyn Engine, case: &TestCase) -> Option<String> {
    if !case.valid {
        return None;
    }
    if let Some(gap) = engine.cannot_run(&case.wasm) {
        return Some(gap);
    }
    // A generated module uses only its profile's features: no need to validate.
    if let Some(used) = &case.features
        && used.iter().all(|f| engine.info().supports(*f))
    {
        return None;
    }
    module_info::validate(&case.wasm, &engine.info().features)
        .err()
        .map(|e| format!("module needs a feature {} lacks ({e})", engine.info().name))
}

/// Runs `case` on `engine`.
pub fn execute(engine: &dyn Engine, case: &TestCase) -> EngineOutcome {
    execute_observed(engine, case, &mut |_| {})
}

/// [`execute`], telling `on_phase` as each phase starts (a worker reports
/// them, so that a hang or crash is placed in its phase). Calls that an
/// engine runs as one plan (engines in another process) are all `Call(0)`.
pub fn execute_observed(
    engine: &dyn Engine,
    case: &TestCase,
    on_phase: &mut dyn FnMut(Phase),
) -> EngineOutcome {
    let name = &engine.info().name;
    if let Some(reason) = skip_reason(engine, case) {
        return EngineOutcome::new(name, Status::Skipped { reason });
    }
    let mut outcome = EngineOutcome::new(name, Status::Ran);
    let mut phase = Phase::Compile;
    let mut enter = |p: Phase, phase: &mut Phase| {
        *phase = p;
        on_phase(p);
    };
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
        run(engine, case, &mut outcome, &mut phase, &mut enter)
    })) {
        outcome.status = Status::Crashed {
            message: panic_message(panic.as_ref()),
            phase,
        };
    }
    outcome
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "engine panicked".to_string()
    }
}

fn elapsed_us(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

fn run(
    engine: &dyn Engine,
    case: &TestCase,
    outcome: &mut EngineOutcome,
    phase: &mut Phase,
    enter: &mut dyn FnMut(Phase, &mut Phase),
) {
    // GC objects, uncaught exceptions and reference globals are observed
    // through functions added to the module (execute/observe.rs).
    let observed = super::observe::prepare(case);
    let wasm = observed.as_ref().map_or(&case.wasm, |o| &o.wasm);
    enter(Phase::Compile, phase);
    let start = Instant::now();
    let compiled = engine.compile(wasm);
    outcome.timings.compile_us = elapsed_us(start);
    let compiled = match compiled {
        Ok(c) => c,
        Err(message) => {
            outcome.status = Status::Rejected { message };
            return;
        }
    };
    enter(Phase::Instantiate, phase);
    let start = Instant::now();
    let instance = compiled.instantiate();
    outcome.timings.instantiate_us = elapsed_us(start);
    let mut instance = match instance {
        Ok(i) => i,
        Err(failure) => {
            outcome.status = Status::InstantiateFailed { failure };
            return;
        }
    };
    let mut initial = read_state(instance.as_mut(), case);
    // Every call the engine makes, in order: each case call (or its
    // wrapper), each followed by the global observers, which also run once
    // before the first call.
    let observers: &[(String, String)] = match &observed {
        Some(o) => &o.globals,
        None => &[],
    };
    let mut planned: Vec<PlannedCall> = Vec::new();
    fn observe_globals<'a>(planned: &mut Vec<PlannedCall<'a>>, observers: &'a [(String, String)]) {
        for (_, export) in observers {
            planned.push(PlannedCall {
                name: export,
                args: &[],
                results: &[ValType::I64],
            })
        }
    }
    observe_globals(&mut planned, observers);
    for (index, c) in case.calls.iter().enumerate() {
        let (name, results) = match &observed {
            Some(o) => o.call(index, &c.export, &c.results),
            None => (c.export.as_str(), c.results.as_slice()),
        };
        planned.push(PlannedCall {
            name,
            args: &c.args,
            results,
        });
        observe_globals(&mut planned, observers);
    }
    let refuel: Vec<(&str, Val)> = case
        .refuel
        .map(|f| (FUEL_GLOBAL, Val::I32(f as i32)))
        .into_iter()
        .collect();
    if !case.calls.is_empty() {
        enter(Phase::Call(0), phase);
    }
    let start = Instant::now();
    instance.prefetch(&planned, &refuel);
    outcome.timings.execute_us += elapsed_us(start);
    let mut steps = planned.iter();
    let mut step = |instance: &mut dyn Instance| {
        let call = steps.next().expect("one planned call per step");
        for (global, value) in &refuel {
            instance.set_global(global, *value);
        }
        instance.call(call.name, call.args, call.results)
    };
    let start = Instant::now();
    observe_state(&mut initial, observers, &mut |i| step(i), instance.as_mut());
    outcome.timings.execute_us += elapsed_us(start);
    outcome.initial = Some(initial);
    for index in 0..case.calls.len() {
        enter(Phase::Call(index), phase);
        let start = Instant::now();
        let mut result = step(instance.as_mut());
        if let Some(o) = &observed {
            result = o.unwrap(index, result);
        }
        let result = match result {
            Ok(values) => CallResult::Returned(values),
            Err(failure) => CallResult::Failed(failure),
        };
        let mut state = read_state(instance.as_mut(), case);
        observe_state(&mut state, observers, &mut |i| step(i), instance.as_mut());
        outcome.timings.execute_us += elapsed_us(start);
        outcome.calls.push(CallRecord { result, state });
    }
    let start = Instant::now();
    drop(instance);
    drop(compiled);
    outcome.timings.teardown_us = elapsed_us(start);
}

/// Makes the next planned call on an instance.
type Step<'a> = dyn FnMut(&mut dyn Instance) -> Result<Vec<Val>, Failure> + 'a;

/// Folds each global observer's digest into the struct or array its global holds.
fn observe_state(
    state: &mut State,
    observers: &[(String, String)],
    step: &mut Step<'_>,
    instance: &mut dyn Instance,
) {
    for (global, _) in observers {
        let digest = step(instance);
        if let (Ok(values), Some((_, v))) = (digest, state.globals.iter_mut().find(|(n, _)| n == global))
            && let [Val::I64(d)] = values.as_slice()
        {
            *v = super::observe::with_digest(*v, *d as u64);
        }
    }
}

fn read_state(instance: &mut dyn Instance, case: &TestCase) -> State {
    let globals = case
        .globals
        .iter()
        .filter_map(|g| instance.global(g).map(|v| (g.clone(), v)))
        .collect();
    let memories = case
        .memories
        .iter()
        .filter_map(|m| {
            let mut digest = None;
            instance.memory(m, &mut |bytes| {
                digest = Some(MemoryDigest {
                    name: m.clone(),
                    size: bytes.len(),
                    digest: format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes)),
                })
            });
            digest
        })
        .collect();
    State { globals, memories }
}
