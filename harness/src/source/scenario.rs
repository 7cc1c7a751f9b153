//! Scenarios in vectors files (`[[scenario]]`): a library used the way its
//! callers use it — allocate, write the input into memory, call, read the
//! output back — as ordered steps on one instance per engine.
//!
//! ```toml
//! [[scenario]]
//! name = "hash"
//! step = [
//!   { let = "p", call = "malloc", args = [16] },
//!   { write = "$p", text = "hello" },
//!   { call = "fnv1a", args = ["$p", 5], returns = [1335831723] },
//!   { read = "$p", len = 5, text = "hello" },
//!   { global = "calls", returns = [1] },
//! ]
//! ```
//!
//! Every engine runs the same steps: the harness compiles each step into an
//! export of its own, added to the module (`hash[3] fnv1a($p, 5)`), which
//! calls the library's export with constants and the variables earlier
//! steps bound (mutable globals the harness adds), writes bytes into a
//! memory, or reads a memory range back as little-endian i64 words. A step
//! is then an ordinary call: compared across engines, checked against its
//! expectation, named in reports, diffed by `compat` and recorded by
//! `check --record` — and the engines need no way to reach into memory.

use crate::source::case::Call;
use crate::source::expect::{Expect, Outcome, Pattern};
use crate::source::rewrite::{Additions, append};
use crate::source::toml_file::{pattern, trap_kind, value};
use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use toml::Value;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{ConstExpr, ExportKind, Function, GlobalType, Instruction as I, MemArg};
use wasmgate_runners::{Val, ValType};

/// The most bytes one `read` step returns (as 128 i64 words: engines cap
/// how many values a call may return).
pub const MAX_READ: u64 = 1024;

/// One `[[scenario]]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub step: Vec<toml::Spanned<RawStep>>,
}

/// One step as written: a `call` (optionally `let`-binding its result), a
/// `write` into memory, a `read` of memory, or a `global` read.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    #[serde(rename = "let", default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Value>,
    /// An address: a number, `$var`, `$var+N` or `$var-N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
    /// The memory: an exported memory's name (default: memory 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<String>,
    /// Bytes written, or expected back: exactly one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i32: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i64: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f32: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f64: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trap: Option<String>,
}

impl RawStep {
    /// How the step reads in a report: `p = malloc(16)`, `write "hello" at $p`.
    fn describe(&self) -> String {
        let arg = |v: &Value| match v {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        if let Some(f) = &self.call {
            let args: Vec<String> = self.args.iter().map(arg).collect();
            let call = format!("{f}({})", args.join(", "));
            return match &self.bind {
                Some(v) => format!("{v} = {call}"),
                None => call,
            };
        }
        if let Some(at) = &self.write {
            return format!(
                "write {} bytes at {}",
                self.bytes().map_or(0, |b| b.len()),
                arg(at)
            );
        }
        if let Some(at) = &self.read {
            return format!("read {} bytes at {}", self.read_len().unwrap_or(0), arg(at));
        }
        match &self.global {
            Some(g) => format!("global {g}"),
            None => "empty step".into(),
        }
    }

    /// The bytes of `hex`, `text` or the typed lists (`Err` names the problem).
    fn bytes(&self) -> Result<Vec<u8>> {
        let mut given = Vec::new();
        if let Some(h) = &self.hex {
            given.push(
                crate::source::toml_file::hex(h)
                    .ok_or_else(|| anyhow!("`hex` is not an even number of hex digits"))?,
            );
        }
        if let Some(t) = &self.text {
            given.push(t.as_bytes().to_vec());
        }
        for (list, ty) in [
            (&self.i32, ValType::I32),
            (&self.i64, ValType::I64),
            (&self.f32, ValType::F32),
            (&self.f64, ValType::F64),
        ] {
            let Some(list) = list else { continue };
            let mut out = Vec::new();
            for v in list {
                match value(v, ty)? {
                    Val::I32(x) => out.extend(x.to_le_bytes()),
                    Val::I64(x) => out.extend(x.to_le_bytes()),
                    Val::F32(b) => out.extend(b.to_le_bytes()),
                    Val::F64(b) => out.extend(b.to_le_bytes()),
                    _ => {}
                }
            }
            given.push(out);
        }
        match given.len() {
            1 => Ok(given.remove(0)),
            0 => bail!("no bytes: give one of `hex`, `text`, `i32`, `i64`, `f32`, `f64`"),
            _ => bail!("give the bytes once: only one of `hex`, `text`, `i32`, `i64`, `f32`, `f64`"),
        }
    }

    fn has_bytes(&self) -> bool {
        self.hex.is_some()
            || self.text.is_some()
            || self.i32.is_some()
            || self.i64.is_some()
            || self.f32.is_some()
            || self.f64.is_some()
    }

    /// How many bytes a `read` step reads.
    fn read_len(&self) -> Result<u64> {
        match (self.len, self.has_bytes()) {
            (Some(n), false) => Ok(n),
            (None, true) => Ok(self.bytes()?.len() as u64),
            (Some(n), true) => {
                let expected = self.bytes()?.len() as u64;
                if n != expected {
                    bail!("`len = {n}` but the expected bytes are {expected}");
                }
                Ok(n)
            }
            (None, false) => bail!("a `read` needs `len`, or the bytes it expects"),
        }
    }
}

/// The export a step becomes: `NAME[N] DESCRIPTION` (N from 1).
pub fn step_export(scenario: &str, n: usize, step: &RawStep) -> String {
    format!("{scenario}[{n}] {}", step.describe())
}

/// What a module has, by index, for the steps to refer to.
struct Layout {
    types: usize,
    /// Per type index: a function type's params and results.
    func_types: Vec<Option<(Vec<wasmparser::ValType>, Vec<wasmparser::ValType>)>>,
    /// Per function index: its type index.
    funcs: Vec<u32>,
    globals: u32,
    /// Per memory index: whether it is 64-bit.
    memories: Vec<bool>,
    exports: Vec<(String, wasmparser::ExternalKind, u32)>,
    /// Per global index: its value type.
    global_types: Vec<wasmparser::ValType>,
}

impl Layout {
    fn of(wasm: &[u8]) -> Result<Layout> {
        use wasmparser::{Payload, TypeRef};
        let mut l = Layout {
            types: 0,
            func_types: Vec::new(),
            funcs: Vec::new(),
            globals: 0,
            memories: Vec::new(),
            exports: Vec::new(),
            global_types: Vec::new(),
        };
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub in group?.into_types() {
                            l.func_types.push(match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => {
                                    Some((f.params().to_vec(), f.results().to_vec()))
                                }
                                _ => None,
                            });
                        }
                    }
                    l.types = l.func_types.len();
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        match import?.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => l.funcs.push(t),
                            TypeRef::Global(g) => {
                                l.globals += 1;
                                l.global_types.push(g.content_type);
                            }
                            TypeRef::Memory(m) => l.memories.push(m.memory64),
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for t in reader {
                        l.funcs.push(t?);
                    }
                }
                Payload::MemorySection(reader) => {
                    for m in reader {
                        l.memories.push(m?.memory64);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for g in reader {
                        l.globals += 1;
                        l.global_types.push(g?.ty.content_type);
                    }
                }
                Payload::ExportSection(reader) => {
                    for e in reader {
                        let e = e?;
                        l.exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                _ => {}
            }
        }
        Ok(l)
    }

    fn export(&self, name: &str, kind: wasmparser::ExternalKind) -> Option<u32> {
        self.exports
            .iter()
            .find(|(n, k, _)| n == name && *k == kind)
            .map(|(_, _, i)| *i)
    }
}

fn encoder(t: wasmparser::ValType) -> Result<wasm_encoder::ValType> {
    RoundtripReencoder
        .val_type(t)
        .map_err(|e| anyhow!("cannot re-encode a value type: {e:?}"))
}

fn number(t: wasmparser::ValType) -> Option<ValType> {
    crate::source::module_info::val_type(t)
        .filter(|t| matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64))
}

fn konst(v: Val) -> I<'static> {
    match v {
        Val::I32(x) => I::I32Const(x),
        Val::I64(x) => I::I64Const(x),
        Val::F32(b) => I::F32Const(f32::from_bits(b).into()),
        Val::F64(b) => I::F64Const(f64::from_bits(b).into()),
        // Only numbers are written as constants (`push` reads them by type).
        _ => I::I32Const(0),
    }
}

/// A variable bound by `let`: its global and type.
struct Var {
    name: String,
    global: u32,
    ty: ValType,
}

/// An address or argument naming a variable: `$p`, `$p+16`, `$p-4`.
fn var_ref(s: &str) -> Option<(&str, i64)> {
    let rest = s.strip_prefix('$')?;
    let (name, off) = match rest.find(['+', '-']) {
        Some(i) => {
            let off: i64 = rest[i + 1..].trim().parse().ok()?;
            (rest[..i].trim(), if &rest[i..i + 1] == "-" { -off } else { off })
        }
        None => (rest.trim(), 0),
    };
    (!name.is_empty()).then_some((name, off))
}

/// The instructions that push `v` as a value of type `ty`: a constant, or a
/// variable (plus its offset), widened from i32 to i64 where `ty` is i64.
fn push(v: &Value, ty: ValType, vars: &[Var]) -> Result<Vec<I<'static>>> {
    if let Value::String(s) = v
        && let Some((name, off)) = var_ref(s)
    {
        let var = vars
            .iter()
            .find(|x| x.name == name)
            .ok_or_else(|| anyhow!("`${name}` is not bound by an earlier step's `let`"))?;
        let mut out = vec![I::GlobalGet(var.global)];
        match (var.ty, ty) {
            (a, b) if a == b => {}
            (ValType::I32, ValType::I64) => out.push(I::I64ExtendI32U),
            (a, b) => bail!("`${name}` is {a}, which cannot be passed as {b}"),
        }
        if off != 0 {
            match ty {
                ValType::I32 => out.extend([I::I32Const(off as i32), I::I32Add]),
                ValType::I64 => out.extend([I::I64Const(off), I::I64Add]),
                _ => bail!("`{s}`: only an integer variable takes an offset"),
            }
        }
        return Ok(out);
    }
    Ok(vec![konst(value(v, ty)?)])
}

/// The module with one export per scenario step, and the calls that run the
/// steps in order. `at(s, n)` names where step `n` (from 0) of scenario `s`
/// is written, for errors.
pub fn apply(
    wasm: &[u8],
    scenarios: &[RawScenario],
    at: impl Fn(usize, usize) -> String,
) -> Result<(Vec<u8>, Vec<Call>)> {
    if scenarios.is_empty() {
        return Ok((wasm.to_vec(), Vec::new()));
    }
    let layout = Layout::of(wasm)?;
    let mut add = Additions::default();
    let mut calls = Vec::new();
    let mut vars: Vec<Var> = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (s, scenario) in scenarios.iter().enumerate() {
        if !names.insert(scenario.name.clone()) {
            bail!(
                "{}: two scenarios are named `{}`",
                at(s, usize::MAX),
                scenario.name
            );
        }
        if scenario.step.is_empty() {
            bail!("{}: scenario `{}` has no steps", at(s, usize::MAX), scenario.name);
        }
        // Variables are the scenario's own.
        vars.clear();
        for (n, step) in scenario.step.iter().map(|st| st.get_ref()).enumerate() {
            let here = at(s, n);
            let built = build_step(&layout, step, &mut vars, &mut add)
                .map_err(|e| anyhow!("{here}: scenario `{}` step {}: {e}", scenario.name, n + 1))?;
            let export = step_export(&scenario.name, n + 1, step);
            let index = layout.funcs.len() as u32 + add.functions.len() as u32;
            let ty = layout.types as u32 + add.types.len() as u32;
            add.types.push((
                Vec::new(),
                built.results.iter().map(|t| encoder(*t)).collect::<Result<_>>()?,
            ));
            add.functions.push((ty, built.body));
            add.exports.push((export.clone(), ExportKind::Func, index));
            let results: Vec<ValType> = built
                .results
                .iter()
                .map(|t| {
                    crate::source::module_info::val_type(*t)
                        .ok_or_else(|| anyhow!("{here}: a result type wasmgate cannot read"))
                })
                .collect::<Result<_>>()?;
            let outcome = match (&step.trap, built.expected) {
                (Some(_), Some(_)) => {
                    bail!("{here}: a step has either an expected value or `trap`, not both")
                }
                (Some(t), None) if t == "any" => Some(Outcome::Traps(None)),
                (Some(t), None) => Some(Outcome::Traps(Some(
                    trap_kind(t).map_err(|e| anyhow!("{here}: {e}"))?,
                ))),
                (None, Some(patterns)) => Some(Outcome::Returns(patterns)),
                (None, None) => None,
            };
            calls.push(Call {
                export,
                args: Vec::new(),
                results,
                expect: outcome.map(|outcome| Expect {
                    outcome: Some(outcome),
                    host_calls: None,
                    host_digest: None,
                    stated: Some(here.clone()),
                }),
            });
        }
    }
    let wasm = append(wasm, add)?;
    Ok((wasm, calls))
}

struct Built {
    body: Function,
    results: Vec<wasmparser::ValType>,
    expected: Option<Vec<Pattern>>,
}

fn build_step(layout: &Layout, step: &RawStep, vars: &mut Vec<Var>, add: &mut Additions) -> Result<Built> {
    let kinds = [
        step.call.is_some(),
        step.write.is_some(),
        step.read.is_some(),
        step.global.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        bail!("a step is exactly one of `call`, `write`, `read` and `global`");
    }
    if step.bind.is_some() && step.call.is_none() {
        bail!("only a `call` step binds a variable with `let`");
    }
    if step.call.is_none() && !step.args.is_empty() {
        bail!("only a `call` step takes `args`");
    }
    if step.read.is_none() && step.write.is_none() && (step.len.is_some() || step.memory.is_some()) {
        bail!("`len` and `memory` belong to `read` and `write` steps");
    }
    if let Some(f) = &step.call {
        return build_call(layout, step, f, vars, add);
    }
    if let Some(g) = &step.global {
        if step.has_bytes() {
            bail!("a `global` step expects `returns`, not bytes");
        }
        let index = layout
            .export(g, wasmparser::ExternalKind::Global)
            .ok_or_else(|| anyhow!("the module exports no global `{g}`"))?;
        let ty = layout.global_types[index as usize];
        let mut body = Function::new([]);
        body.instruction(&I::GlobalGet(index));
        body.instruction(&I::End);
        let expected = expected_returns(step, &[ty])?;
        return Ok(Built {
            body,
            results: vec![ty],
            expected,
        });
    }
    // A memory access.
    if step.returns.is_some() {
        bail!("a `read` states the bytes it expects (`hex`, `text`, `i32`, …), not `returns`");
    }
    let memory = match &step.memory {
        Some(name) => layout
            .export(name, wasmparser::ExternalKind::Memory)
            .ok_or_else(|| anyhow!("the module exports no memory `{name}`"))?,
        None if layout.memories.is_empty() => bail!("the module has no memory"),
        None => 0,
    };
    let wide = layout.memories[memory as usize];
    let addr_ty = if wide { ValType::I64 } else { ValType::I32 };
    let at = step
        .write
        .as_ref()
        .or(step.read.as_ref())
        .cloned()
        .unwrap_or(Value::Integer(0));
    let address = push(&at, addr_ty, vars)?;
    // The base address in local 0, then each access at a constant offset.
    let local = if wide {
        wasm_encoder::ValType::I64
    } else {
        wasm_encoder::ValType::I32
    };
    let mut body = Function::new([(1, local)]);
    for i in address {
        body.instruction(&i);
    }
    body.instruction(&I::LocalSet(0));
    let arg = |offset: u64, align: u32| MemArg {
        offset,
        align,
        target: wasm_encoder::MemArgTarget::Memory(memory),
        ordering: None,
    };
    if step.write.is_some() {
        let bytes = step.bytes()?;
        for (k, chunk) in bytes.chunks(8).enumerate() {
            let base = 8 * k as u64;
            if chunk.len() == 8 {
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                body.instruction(&I::LocalGet(0));
                body.instruction(&I::I64Const(i64::from_le_bytes(w)));
                body.instruction(&I::I64Store(arg(base, 0)));
            } else {
                for (j, b) in chunk.iter().enumerate() {
                    body.instruction(&I::LocalGet(0));
                    body.instruction(&I::I32Const(i32::from(*b)));
                    body.instruction(&I::I32Store8(arg(base + j as u64, 0)));
                }
            }
        }
        body.instruction(&I::End);
        return Ok(Built {
            body,
            results: Vec::new(),
            expected: None,
        });
    }
    let len = step.read_len()?;
    if len == 0 || len > MAX_READ {
        bail!("a `read` reads 1 to {MAX_READ} bytes, not {len}");
    }
    let words = len.div_ceil(8);
    for k in 0..words {
        let base = 8 * k;
        let in_word = (len - base).min(8);
        if in_word == 8 {
            body.instruction(&I::LocalGet(0));
            body.instruction(&I::I64Load(arg(base, 0)));
        } else {
            // The last, partial word byte by byte (never past the range).
            body.instruction(&I::I64Const(0));
            for j in 0..in_word {
                body.instruction(&I::LocalGet(0));
                body.instruction(&I::I64Load8U(arg(base + j, 0)));
                body.instruction(&I::I64Const(8 * j as i64));
                body.instruction(&I::I64Shl);
                body.instruction(&I::I64Or);
            }
        }
    }
    body.instruction(&I::End);
    let expected = if step.has_bytes() {
        let mut bytes = step.bytes()?;
        bytes.resize((words * 8) as usize, 0);
        Some(
            bytes
                .chunks(8)
                .map(|c| {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(c);
                    Pattern::Exact(Val::I64(i64::from_le_bytes(w)))
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Built {
        body,
        results: vec![wasmparser::ValType::I64; words as usize],
        expected,
    })
}

fn expected_returns(step: &RawStep, results: &[wasmparser::ValType]) -> Result<Option<Vec<Pattern>>> {
    let Some(r) = &step.returns else {
        return Ok(None);
    };
    if r.len() != results.len() {
        bail!(
            "the step returns {} value(s), but `returns` gives {}",
            results.len(),
            r.len()
        );
    }
    r.iter()
        .zip(results)
        .map(|(v, t)| {
            let ty = crate::source::module_info::val_type(*t)
                .ok_or_else(|| anyhow!("a result type wasmgate cannot read"))?;
            pattern(v, ty)
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn build_call(
    layout: &Layout,
    step: &RawStep,
    name: &str,
    vars: &mut Vec<Var>,
    add: &mut Additions,
) -> Result<Built> {
    if step.has_bytes() {
        bail!("a `call` step expects `returns` or `trap`, not bytes");
    }
    let func = layout
        .export(name, wasmparser::ExternalKind::Func)
        .ok_or_else(|| anyhow!("the module exports no function `{name}`"))?;
    let (params, results) = layout
        .funcs
        .get(func as usize)
        .and_then(|t| layout.func_types.get(*t as usize).cloned().flatten())
        .ok_or_else(|| anyhow!("`{name}` has no function type"))?;
    if step.args.len() != params.len() {
        bail!(
            "`{name}` takes {} argument(s), but the step gives {}",
            params.len(),
            step.args.len()
        );
    }
    let mut locals = Vec::new();
    let bound = match &step.bind {
        Some(v) => {
            let [ty] = results.as_slice() else {
                bail!(
                    "`let {v}` needs one result, but `{name}` returns {}",
                    results.len()
                );
            };
            let ty = number(*ty).ok_or_else(|| anyhow!("`let {v}` binds numbers only"))?;
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                bail!("`{v}` cannot name a variable: use letters, digits and `_`");
            }
            locals.push((1, encoder(results[0])?));
            Some((v.clone(), ty))
        }
        None => None,
    };
    let mut body = Function::new(locals);
    for (n, (a, t)) in step.args.iter().zip(&params).enumerate() {
        let ty = number(*t).ok_or_else(|| anyhow!("argument {} of `{name}` is not a number", n + 1))?;
        for i in push(a, ty, vars).map_err(|e| anyhow!("argument {} of `{name}`: {e}", n + 1))? {
            body.instruction(&i);
        }
    }
    body.instruction(&I::Call(func));
    if let Some((v, ty)) = bound {
        let global = layout.globals + add.globals.len() as u32;
        add.globals.push((
            GlobalType {
                val_type: crate::source::rewrite::number_type(ty),
                mutable: true,
                shared: false,
            },
            match ty {
                ValType::I32 => ConstExpr::i32_const(0),
                ValType::I64 => ConstExpr::i64_const(0),
                ValType::F32 => ConstExpr::f32_const(0.0.into()),
                _ => ConstExpr::f64_const(0.0.into()),
            },
        ));
        body.instruction(&I::LocalTee(0));
        body.instruction(&I::GlobalSet(global));
        body.instruction(&I::LocalGet(0));
        vars.retain(|x| x.name != v);
        vars.push(Var { name: v, global, ty });
    }
    body.instruction(&I::End);
    let expected = expected_returns(step, &results)?;
    Ok(Built {
        body,
        results,
        expected,
    })
}

/// What a step's agreed result says, written back into the step by
/// `check --record`: `returns` of a call or global, the bytes of a read (as
/// `hex`, or `text` when they are printable), `trap` of any step.
pub fn record(step: &mut RawStep, result: &std::result::Result<Vec<Val>, wasmgate_runners::TrapKind>) {
    step.returns = None;
    step.trap = None;
    match result {
        Err(t) => step.trap = Some(t.name().to_string()),
        Ok(values) if step.read.is_some() => {
            let len = step.read_len().unwrap_or(0) as usize;
            let mut bytes: Vec<u8> = values
                .iter()
                .flat_map(|v| match v {
                    Val::I64(x) => x.to_le_bytes(),
                    _ => [0; 8],
                })
                .collect();
            bytes.truncate(len);
            step.hex = None;
            step.text = None;
            step.i32 = None;
            step.i64 = None;
            step.f32 = None;
            step.f64 = None;
            step.len = None;
            match std::str::from_utf8(&bytes) {
                Ok(t) if t.chars().all(|c| !c.is_control()) => step.text = Some(t.to_string()),
                _ => step.hex = Some(bytes.iter().map(|b| format!("{b:02x}")).collect()),
            }
        }
        Ok(_) if step.write.is_some() => {}
        Ok(values) => step.returns = Some(values.iter().map(crate::source::toml_file::to_toml).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_name_offsets() {
        assert_eq!(var_ref("$p"), Some(("p", 0)));
        assert_eq!(var_ref("$p+16"), Some(("p", 16)));
        assert_eq!(var_ref("$buf - 4"), Some(("buf", -4)));
        assert_eq!(var_ref("p"), None);
        assert_eq!(var_ref("$"), None);
    }
}
