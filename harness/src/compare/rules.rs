//! Comparison: every rule that decides whether engines agree lives here.
//!
//! Each engine's outcome becomes a sequence of observations (compile,
//! instantiate, then one per call). Sequences are compared step by step:
//! - values bitwise, except that every NaN equals every NaN (payloads are
//!   non-deterministic in the spec);
//! - traps by normalised kind, never by message; rejection and instantiation
//!   failure must agree as well;
//! - state (exported globals, memory digests) after every step;
//! - an engine that exhausts a resource (stack, fuel, memory, time) makes the
//!   rest of the case *inconclusive*: the spec lets that happen anywhere;
//! - an engine that cannot perform a call (unsupported signature) drops out
//!   from that step on.
//!
//! At the first step where observations differ, engines are grouped by what
//! they observed. Votes count independent code bases, not configurations
//! ([`code_base`]): wasmtime's three configurations share a front end, V8's
//! two tiers a runtime, and a fault-injecting wrapper is the engine it wraps.
//! The group backed by strictly more code bases than any other is the
//! majority and everyone else is blamed; without one, all are blamed. The
//! divergence gets a stable signature (blamed engines × kind × class) used for
//! deduplication, and records how many code bases voted.

use crate::execute::{CallResult, EngineOutcome, Phase, State, Status};
use crate::source::case::TestCase;
use serde::{Deserialize, Serialize};
use std::fmt;
use wasmgate_runners::{Failure, TrapKind, Val};

/// What sort of disagreement a divergence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceKind {
    /// Some engines accept the module, some reject it.
    Validation,
    /// Instantiation succeeds on some engines and fails (or fails differently) on others.
    Instantiation,
    /// One engine returns where another traps.
    ReturnVsTrap,
    /// Different trap kinds.
    Trap,
    /// Different returned values.
    Value,
    /// Same results, different exported globals afterwards.
    Global,
    /// Same results and globals, different memory contents afterwards.
    Memory,
    /// An engine reports an error that is neither a trap nor exhaustion.
    Error,
    /// An engine panicked, or its worker process died.
    Crash,
    /// An engine's worker process did not finish the case within the time limit.
    Hang,
    /// An engine's result differs from the one the vectors file expects.
    Expected,
    /// A WASI program exited with different codes (or exited on some
    /// engines and trapped or failed on others).
    Exit,
    /// A WASI program wrote different bytes to stdout.
    Stdout,
    /// A WASI program wrote different bytes to stderr.
    Stderr,
    /// A WASI program left different files in its pre-opened folders.
    Files,
}

impl DivergenceKind {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            DivergenceKind::Validation => "validation",
            DivergenceKind::Instantiation => "instantiation",
            DivergenceKind::ReturnVsTrap => "return-vs-trap",
            DivergenceKind::Trap => "trap",
            DivergenceKind::Value => "value",
            DivergenceKind::Global => "global",
            DivergenceKind::Memory => "memory",
            DivergenceKind::Error => "error",
            DivergenceKind::Crash => "crash",
            DivergenceKind::Hang => "hang",
            DivergenceKind::Expected => "expected",
            DivergenceKind::Exit => "exit",
            DivergenceKind::Stdout => "stdout",
            DivergenceKind::Stderr => "stderr",
            DivergenceKind::Files => "files",
        }
    }
}

impl fmt::Display for DivergenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Engines that observed the same thing at the divergent step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Group {
    pub engines: Vec<String>,
    /// What they observed, for people (with the state that differs, if any).
    pub observed: String,
    /// The same, for programs.
    #[serde(default)]
    pub outcome: Observed,
}

/// What a group of engines observed at the divergent step, as data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Observed {
    /// The module compiled.
    Compiled,
    /// The module was rejected (validation or compile error).
    Rejected,
    /// Instantiation succeeded.
    Instantiated,
    /// Instantiation trapped (`trap`), or failed otherwise.
    InstantiationFailed { trap: Option<TrapKind> },
    /// The call returned these values (exact bits, `f32:0x7fc00000`).
    Returned { values: Vec<Val> },
    /// The call trapped.
    Trapped { trap: TrapKind },
    /// The call threw an exception nothing caught: its tag (index in the
    /// module's tag space) and payload.
    Thrown { tag: u32, payload: Vec<Val> },
    /// The engine reported an error that is not a trap.
    Error,
    /// The engine crashed or hung (`how`, when known).
    Crashed { how: Option<String> },
    /// The engine ran the step to completion (used beside crashes and hangs).
    Completed,
    /// The engine ran out of a resource.
    Exhausted { what: String },
    /// The engine cannot perform the step.
    Unsupported,
    /// Nothing was observed (the engine stopped earlier).
    #[default]
    Nothing,
    /// A WASI program exited with this code.
    Exited { code: i32 },
    /// A WASI program wrote this (`stdout`, `stderr` or `files`: the folders' listing).
    Wrote {
        what: String,
        bytes: u64,
        sha256: String,
    },
}

/// Where a divergence happened, as data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct At {
    /// `compile`, `instantiate`, `call`, or `process` (a worker crashed or hung).
    pub phase: String,
    /// The call's index in the case, for `call`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<usize>,
    /// The export called, exactly as named in the module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
    /// The call's arguments (exact bits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Val>,
}

/// The first point at which engines disagree, and who is to blame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// Human-readable step: `compile`, `instantiate` or `call N "export"(args)`.
    pub step: String,
    /// The same, as data.
    #[serde(default)]
    pub at: At,
    pub kind: DivergenceKind,
    /// Largest group first.
    pub groups: Vec<Group>,
    /// Engines outside the majority (all of them when there is no majority).
    pub blamed: Vec<String>,
    /// Whether a strict majority (of independent code bases) exists.
    pub majority: bool,
    /// Independent code bases among the engines that disagreed here: a
    /// majority of fewer than three is weak evidence.
    #[serde(default)]
    pub code_bases: u32,
    /// Stable dedup key: `kind-xxxxxxxx`.
    pub signature: String,
    /// What the signature is made of.
    pub signature_text: String,
    /// For an `expected` divergence: what the vectors file expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// … and where it says so (`FILE:LINE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated: Option<String>,
}

/// The result of comparing all engines on one case.
// One verdict per case, moved rarely: the Divergence held inline costs a
// few hundred bytes per case, less than boxing it would cost in clarity.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every participating engine observed the same thing at every step.
    Agree { engines: usize },
    /// Engines disagree.
    Diverge(Divergence),
    /// Nothing wrong seen, but the case could not be compared to the end.
    /// `reason` is a short category (counted in reports), `at` the step.
    Inconclusive { reason: String, at: Option<String> },
}

impl Verdict {
    /// The divergence, if any.
    pub fn divergence(&self) -> Option<&Divergence> {
        match self {
            Verdict::Diverge(d) => Some(d),
            _ => None,
        }
    }
}

/// One comparable observation (already normalised).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Obs {
    Accepted,
    Rejected,
    Instantiated(State),
    InstantiateFailed(Option<TrapKind>),
    Returned(Vec<Val>, State),
    Trapped(TrapKind, State),
    /// An uncaught exception, by tag and (normalised) payload.
    Thrown(u32, Vec<Val>, State),
    Errored(State),
    Crashed,
    /// Resource exhaustion: the rest of the case is inconclusive.
    Exhausted(String),
    /// The engine cannot perform this step: it drops out.
    Unsupported,
}

const CANONICAL_F32_NAN: u32 = 0x7fc0_0000;
const CANONICAL_F64_NAN: u64 = 0x7ff8_0000_0000_0000;

fn norm_val(v: &Val) -> Val {
    match *v {
        Val::F32(b) if f32::from_bits(b).is_nan() => Val::F32(CANONICAL_F32_NAN),
        Val::F64(b) if f64::from_bits(b).is_nan() => Val::F64(CANONICAL_F64_NAN),
        other => other,
    }
}

fn norm_state(s: &State) -> State {
    State {
        globals: s.globals.iter().map(|(n, v)| (n.clone(), norm_val(v))).collect(),
        memories: s.memories.clone(),
    }
}

fn failure_obs(f: &Failure, state: State) -> Obs {
    match f {
        Failure::Trap { trap, .. } => Obs::Trapped(*trap, state),
        Failure::Exhausted { resource, .. } => Obs::Exhausted(resource.to_string()),
        Failure::Unsupported { .. } => Obs::Unsupported,
        Failure::Error { .. } => Obs::Errored(state),
        Failure::Exception { tag, payload } => {
            Obs::Thrown(*tag, payload.iter().map(norm_val).collect(), state)
        }
    }
}

/// The observation sequence of one engine, or `None` if it did not take part.
fn observations(o: &EngineOutcome) -> Option<Vec<Obs>> {
    let mut obs = Vec::new();
    match &o.status {
        Status::Skipped { .. } => return None,
        Status::Rejected { .. } => obs.push(Obs::Rejected),
        Status::InstantiateFailed { failure } => {
            obs.push(Obs::Accepted);
            obs.push(match failure {
                Failure::Trap { trap, .. } => Obs::InstantiateFailed(Some(*trap)),
                Failure::Exhausted { resource, .. } => Obs::Exhausted(resource.to_string()),
                Failure::Unsupported { .. } => Obs::Unsupported,
                Failure::Error { .. } => Obs::InstantiateFailed(None),
                Failure::Exception { .. } => Obs::InstantiateFailed(Some(TrapKind::UncaughtException)),
            });
        }
        Status::Ran | Status::Crashed { .. } => {
            if let Status::Crashed {
                phase: Phase::Compile,
                ..
            } = o.status
            {
                obs.push(Obs::Crashed);
                return Some(obs);
            }
            obs.push(Obs::Accepted);
            match &o.initial {
                Some(state) => obs.push(Obs::Instantiated(norm_state(state))),
                None => {
                    obs.push(Obs::Crashed);
                    return Some(obs);
                }
            }
            for call in &o.calls {
                let state = norm_state(&call.state);
                obs.push(match &call.result {
                    CallResult::Returned(values) => {
                        Obs::Returned(values.iter().map(norm_val).collect(), state)
                    }
                    CallResult::Failed(f) => failure_obs(f, state),
                });
            }
            if matches!(o.status, Status::Crashed { .. }) {
                obs.push(Obs::Crashed);
            }
        }
    }
    Some(obs)
}

fn trap_of(o: &Obs) -> Option<TrapKind> {
    match o {
        Obs::Trapped(t, _) | Obs::InstantiateFailed(Some(t)) => Some(*t),
        Obs::Thrown(..) => Some(TrapKind::UncaughtException),
        _ => None,
    }
}

/// When an engine reports a vague trap kind, the distinction it cannot make
/// is dropped for everyone at that step.
fn blur_vague(o: Obs, kinds: &[TrapKind]) -> Obs {
    let blur = |t: TrapKind| kinds.iter().copied().find(|v| t.within(*v)).unwrap_or(t);
    match o {
        Obs::Trapped(t, s) => Obs::Trapped(blur(t), s),
        Obs::InstantiateFailed(Some(t)) => Obs::InstantiateFailed(Some(blur(t))),
        other => other,
    }
}

fn step_at(case: &TestCase, step: usize) -> At {
    let phase = |p: &str| At {
        phase: p.to_string(),
        ..At::default()
    };
    match step {
        0 => phase("compile"),
        1 => phase("instantiate"),
        n => match case.calls.get(n - 2) {
            Some(call) => At {
                phase: "call".into(),
                call: Some(n - 2),
                export: Some(call.export.clone()),
                args: call.args.clone(),
            },
            None => At {
                call: Some(n - 2),
                ..phase("call")
            },
        },
    }
}

fn observed(o: &Option<Obs>) -> Observed {
    match o {
        None => Observed::Nothing,
        Some(Obs::Accepted) => Observed::Compiled,
        Some(Obs::Rejected) => Observed::Rejected,
        Some(Obs::Instantiated(_)) => Observed::Instantiated,
        Some(Obs::InstantiateFailed(trap)) => Observed::InstantiationFailed { trap: *trap },
        Some(Obs::Returned(v, _)) => Observed::Returned { values: v.clone() },
        Some(Obs::Trapped(t, _)) => Observed::Trapped { trap: *t },
        Some(Obs::Thrown(tag, payload, _)) => Observed::Thrown {
            tag: *tag,
            payload: payload.clone(),
        },
        Some(Obs::Errored(_)) => Observed::Error,
        Some(Obs::Crashed) => Observed::Crashed { how: None },
        Some(Obs::Exhausted(what)) => Observed::Exhausted { what: what.clone() },
        Some(Obs::Unsupported) => Observed::Unsupported,
    }
}

fn step_name(case: &TestCase, step: usize) -> String {
    match step {
        0 => "compile".to_string(),
        1 => "instantiate".to_string(),
        n => match case.calls.get(n - 2) {
            Some(call) => format!("call {} {call}", n - 2),
            None => format!("call {}", n - 2),
        },
    }
}

/// Compares every engine's outcome for `case`.
pub fn compare(case: &TestCase, outcomes: &[EngineOutcome]) -> Verdict {
    let mut active: Vec<(&str, Vec<Obs>)> = outcomes
        .iter()
        .filter_map(|o| observations(o).map(|obs| (o.engine.as_str(), obs)))
        .collect();
    let participants = active.len();
    if participants < 2 {
        return Verdict::Inconclusive {
            reason: format!("{participants} engine(s) ran the case; need two"),
            at: None,
        };
    }
    let steps = active.iter().map(|(_, o)| o.len()).max().unwrap_or(0);
    for step in 0..steps {
        let at = |obs: &Vec<Obs>| obs.get(step).cloned();
        if let Some((name, Some(Obs::Exhausted(what)))) = active
            .iter()
            .map(|(n, o)| (n, at(o)))
            .find(|(_, o)| matches!(o, Some(Obs::Exhausted(_))))
        {
            return Verdict::Inconclusive {
                reason: format!("{name} exhausted {what}"),
                at: Some(step_name(case, step)),
            };
        }
        active.retain(|(_, o)| !matches!(at(o), Some(Obs::Unsupported)));
        if active.len() < 2 {
            return Verdict::Inconclusive {
                reason: "fewer than two engines could perform a step".to_string(),
                at: Some(step_name(case, step)),
            };
        }
        let vague_kinds: Vec<TrapKind> = active
            .iter()
            .filter_map(|(_, o)| at(o).as_ref().and_then(trap_of))
            .filter(|t| {
                matches!(
                    t,
                    TrapKind::ConversionToInteger
                        | TrapKind::IndirectCall
                        | TrapKind::ArraySegmentOutOfBounds
                        | TrapKind::OutOfBounds
                )
            })
            .collect();
        let mut groups: Vec<(Option<Obs>, Vec<&str>)> = Vec::new();
        for (name, obs) in &active {
            let o = if !vague_kinds.is_empty() {
                at(obs).map(|o| blur_vague(o, &vague_kinds))
            } else {
                at(obs)
            };
            match groups.iter_mut().find(|(g, _)| *g == o) {
                Some((_, members)) => members.push(name),
                None => groups.push((o, vec![name])),
            }
        }
        if let Some(expect) = step
            .checked_sub(2)
            .and_then(|i| case.calls.get(i)?.expect.as_ref())
        {
            let call = step - 2;
            let misses: Vec<&str> = active
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| {
                    let record = outcomes
                        .iter()
                        .find(|o| o.engine == *name)
                        .and_then(|o| o.calls.get(call));
                    !record.is_some_and(|r| super::expect::meets(expect, r))
                })
                .collect();
            if !misses.is_empty() {
                return Verdict::Diverge(expected_divergence(case, step, groups, &misses, expect));
            }
        }
        if groups.len() > 1 {
            return Verdict::Diverge(divergence(case, step, groups));
        }
    }
    Verdict::Agree {
        engines: active.len(),
    }
}

fn kind_of(step: usize, a: &Option<Obs>, b: &Option<Obs>) -> DivergenceKind {
    use Obs::*;
    match (a, b) {
        (Some(Crashed), _) | (_, Some(Crashed)) | (None, _) | (_, None) => DivergenceKind::Crash,
        _ if step == 0 => DivergenceKind::Validation,
        (Some(Instantiated(x)), Some(Instantiated(y))) => state_kind(x, y),
        _ if step == 1 => DivergenceKind::Instantiation,
        (Some(Errored(_)), _) | (_, Some(Errored(_))) => DivergenceKind::Error,
        (Some(Returned(..)), Some(Trapped(..) | Thrown(..)))
        | (Some(Trapped(..) | Thrown(..)), Some(Returned(..))) => DivergenceKind::ReturnVsTrap,
        (Some(Trapped(..)), Some(Thrown(..))) | (Some(Thrown(..)), Some(Trapped(..))) => DivergenceKind::Trap,
        (Some(Thrown(x, px, sx)), Some(Thrown(y, py, sy))) => {
            if (x, px) != (y, py) {
                DivergenceKind::Value
            } else {
                state_kind(sx, sy)
            }
        }
        (Some(Trapped(x, sx)), Some(Trapped(y, sy))) => {
            if x != y {
                DivergenceKind::Trap
            } else {
                state_kind(sx, sy)
            }
        }
        (Some(Returned(x, sx)), Some(Returned(y, sy))) => {
            if x != y {
                DivergenceKind::Value
            } else {
                state_kind(sx, sy)
            }
        }
        _ => DivergenceKind::Error,
    }
}

fn state_kind(a: &State, b: &State) -> DivergenceKind {
    if a.globals != b.globals {
        DivergenceKind::Global
    } else {
        DivergenceKind::Memory
    }
}

fn describe(o: &Option<Obs>, kind: DivergenceKind, majority: &Option<Obs>) -> String {
    let state_diff = |s: &State| -> String {
        let base = match majority {
            Some(
                Obs::Instantiated(m)
                | Obs::Returned(_, m)
                | Obs::Trapped(_, m)
                | Obs::Thrown(_, _, m)
                | Obs::Errored(m),
            ) => Some(m),
            _ => None,
        };
        match kind {
            DivergenceKind::Global => {
                let globals: Vec<String> = s
                    .globals
                    .iter()
                    .filter(|g| base.is_none_or(|b| !b.globals.contains(g)))
                    .map(|(n, v)| format!("global {n:?}={}", v.pretty()))
                    .collect();
                globals.join(" ")
            }
            _ => {
                let mems: Vec<String> = s
                    .memories
                    .iter()
                    .map(|m| format!("memory {:?} {}B xxh3:{}", m.name, m.size, &m.digest[..12]))
                    .collect();
                mems.join(" ")
            }
        }
    };
    let with_state = |head: String, s: &State| match kind {
        DivergenceKind::Global | DivergenceKind::Memory => format!("{head}; {}", state_diff(s)),
        _ => head,
    };
    match o {
        None => "no observation".to_string(),
        Some(Obs::Accepted) => "compiled".to_string(),
        Some(Obs::Rejected) => "rejected".to_string(),
        Some(Obs::Instantiated(s)) => with_state("instantiated".to_string(), s),
        Some(Obs::InstantiateFailed(Some(t))) => format!("instantiation trapped: {t}"),
        Some(Obs::InstantiateFailed(None)) => "instantiation failed".to_string(),
        Some(Obs::Returned(v, s)) => {
            let vals: Vec<String> = v.iter().map(|v| v.pretty()).collect();
            with_state(format!("returned [{}]", vals.join(", ")), s)
        }
        Some(Obs::Trapped(t, s)) => with_state(format!("trap {t}"), s),
        Some(Obs::Thrown(tag, payload, s)) => {
            let vals: Vec<String> = payload.iter().map(|v| v.pretty()).collect();
            with_state(
                format!("uncaught exception of tag {tag} ({})", vals.join(", ")),
                s,
            )
        }
        Some(Obs::Errored(s)) => with_state("error".to_string(), s),
        Some(Obs::Crashed) => "crashed".to_string(),
        Some(Obs::Exhausted(what)) => format!("exhausted {what}"),
        Some(Obs::Unsupported) => "unsupported".to_string(),
    }
}

/// The code base an engine configuration belongs to: a fault-injecting
/// wrapper (`mutant:ENGINE:OP`, …) belongs to ENGINE, and configurations whose
/// names share the part before the first `-` (`wasmtime-winch`,
/// `wasmtime-pulley`; `v8-liftoff`, `v8-turbofan`) share one.
pub fn code_base(engine: &str) -> &str {
    let inner = match engine.split_once(':') {
        Some((_, rest)) => rest.rsplit_once(':').map_or(rest, |(e, _)| e),
        None => engine,
    };
    inner.split_once('-').map_or(inner, |(base, _)| base)
}

/// The first `X.Y.Z` in an engine's version text (`48.0.0`, `node 20.20.2 / V8 …`).
pub fn version_of(text: &str) -> Option<semver::Version> {
    text.split(|c: char| c.is_whitespace() || c == '/')
        .map(|t| t.trim_start_matches('v'))
        .find_map(|t| semver::Version::parse(t).ok())
}

/// Whether an engine's version text names a version in the semver `range`
/// (`"=102.15.1"`, `">=2.0, <2.1"`); an unreadable range or version is not.
pub fn version_in(range: &str, text: &str) -> bool {
    matches!(
        (semver::VersionReq::parse(range), version_of(text)),
        (Ok(range), Some(version)) if range.matches(&version)
    )
}

fn code_bases<'a>(engines: impl IntoIterator<Item = &'a &'a str>) -> usize {
    engines
        .into_iter()
        .map(|e| code_base(e))
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// The vote over engines grouped by what they observed (at least two
/// groups): orders the groups (the one backed by most code bases first, then
/// the largest; ties broken by the first engine's name for stability) and
/// returns whether the first is a majority of code bases, how many code
/// bases voted, and the engines blamed (outside the majority, or all).
pub fn vote<T>(groups: &mut [(T, Vec<&str>)]) -> (bool, u32, Vec<String>) {
    for (_, members) in groups.iter_mut() {
        members.sort();
    }
    groups.sort_by(|a, b| {
        code_bases(&b.1)
            .cmp(&code_bases(&a.1))
            .then_with(|| b.1.len().cmp(&a.1.len()))
            .then_with(|| a.1.cmp(&b.1))
    });
    let majority = code_bases(&groups[0].1) > code_bases(&groups[1].1);
    let voters = code_bases(groups.iter().flat_map(|(_, m)| m.iter())) as u32;
    let mut blamed: Vec<String> = groups
        .iter()
        .skip(if majority { 1 } else { 0 })
        .flat_map(|(_, m)| m.iter().map(|s| s.to_string()))
        .collect();
    blamed.sort();
    (majority, voters, blamed)
}

fn divergence(case: &TestCase, step: usize, mut groups: Vec<(Option<Obs>, Vec<&str>)>) -> Divergence {
    let (majority, voters, blamed) = vote(&mut groups);
    let reference = &groups[0].0;
    let kind = groups[1..]
        .iter()
        .map(|(o, _)| kind_of(step, reference, o))
        .min_by_key(|k| if *k == DivergenceKind::Crash { 0 } else { 1 })
        .unwrap_or(DivergenceKind::Error);
    let class = class_of(case, step, kind, &groups);
    let (signature, signature_text) = signature_of(&blamed, kind, &class);
    let out_groups = groups
        .iter()
        .map(|(o, m)| Group {
            engines: m.iter().map(|s| s.to_string()).collect(),
            observed: describe(o, kind, reference),
            outcome: observed(o),
        })
        .collect();
    Divergence {
        step: step_name(case, step),
        at: step_at(case, step),
        kind,
        groups: out_groups,
        blamed,
        majority,
        code_bases: voters,
        signature,
        signature_text,
        expected: None,
        stated: None,
    }
}

/// Engines `misses` did not do what the vectors file expects at `step`: the
/// expectation is the oracle, so they are blamed whatever the vote.
fn expected_divergence(
    case: &TestCase,
    step: usize,
    groups: Vec<(Option<Obs>, Vec<&str>)>,
    misses: &[&str],
    expect: &crate::source::expect::Expect,
) -> Divergence {
    let mut blamed: Vec<String> = misses.iter().map(|s| s.to_string()).collect();
    blamed.sort();
    let kind = DivergenceKind::Expected;
    let export = case.calls.get(step - 2).map(|c| c.export.as_str()).unwrap_or("");
    let (signature, signature_text) = signature_of(&blamed, kind, &format!("{export}: {expect}"));
    let voters = code_bases(groups.iter().flat_map(|(_, m)| m.iter())) as u32;
    let reference = groups[0].0.clone();
    Divergence {
        step: step_name(case, step),
        at: step_at(case, step),
        kind,
        groups: groups
            .iter()
            .map(|(o, m)| {
                let mut engines: Vec<String> = m.iter().map(|s| s.to_string()).collect();
                engines.sort();
                Group {
                    engines,
                    observed: describe(o, DivergenceKind::Value, &reference),
                    outcome: observed(o),
                }
            })
            .collect(),
        blamed,
        majority: true,
        code_bases: voters,
        signature,
        signature_text,
        expected: Some(expect.to_string()),
        stated: expect.stated.clone(),
    }
}

/// The dedup signature (`kind-xxxxxxxx`) and the text it hashes.
pub fn signature_of(blamed: &[String], kind: DivergenceKind, class: &str) -> (String, String) {
    let text = format!("{}|{kind}|{class}", blamed.join("+"));
    let signature = format!(
        "{kind}-{:08x}",
        xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as u32
    );
    (signature, text)
}

/// The class part of a signature: what distinguishes one bug from another
/// beyond who and what kind, without naming things that change between
/// generated modules (export names, values).
fn class_of(
    case: &TestCase,
    step: usize,
    kind: DivergenceKind,
    groups: &[(Option<Obs>, Vec<&str>)],
) -> String {
    let signature = || {
        case.calls
            .get(step.wrapping_sub(2))
            .map(|c| c.results.iter().map(|t| t.name()).collect::<Vec<_>>().join(","))
            .map(|r| format!("->{r}"))
            .unwrap_or_default()
    };
    let class = match kind {
        DivergenceKind::Trap | DivergenceKind::ReturnVsTrap | DivergenceKind::Instantiation => {
            let mut traps: Vec<String> = groups
                .iter()
                .filter_map(|(o, _)| match o {
                    Some(Obs::Trapped(t, _)) | Some(Obs::InstantiateFailed(Some(t))) => Some(t.to_string()),
                    Some(Obs::Thrown(..)) => Some(TrapKind::UncaughtException.to_string()),
                    _ => None,
                })
                .collect();
            traps.sort();
            traps.dedup();
            format!(
                "{}{}",
                signature(),
                if traps.is_empty() {
                    String::new()
                } else {
                    format!(" {}", traps.join("/"))
                }
            )
        }
        DivergenceKind::Value => signature(),
        DivergenceKind::Global => {
            let fuel = groups.iter().any(|(o, _)| match o {
                Some(
                    Obs::Returned(_, s) | Obs::Trapped(_, s) | Obs::Thrown(_, _, s) | Obs::Instantiated(s),
                ) => s
                    .globals
                    .iter()
                    .any(|(n, _)| n == crate::source::generate::FUEL_GLOBAL),
                _ => false,
            });
            if fuel {
                "globals(fuel)".into()
            } else {
                "globals".into()
            }
        }
        DivergenceKind::Crash => match step {
            0 => "compile".into(),
            1 => "instantiate".into(),
            _ => "call".into(),
        },
        _ => String::new(),
    };
    // A sweep case holds one instruction in one form per export (`i32.eqz
    // select`, `i32.shl const1#3`): the export, less the boundary value's
    // number, says which instruction and form diverged, so two bugs in one
    // engine get two signatures.
    match (&case.origin, case.calls.get(step.wrapping_sub(2))) {
        (crate::source::case::Origin::Sweep { .. }, Some(call)) => {
            let form: Vec<String> = call
                .export
                .split(' ')
                .map(|w| w.split('#').next().unwrap_or(w).to_string())
                .collect();
            format!("{class} at {}", form.join(" "))
        }
        _ => class,
    }
}
