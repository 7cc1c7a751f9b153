//! Fault injection: engine wrappers that are wrong on purpose, so the gate can
//! prove it fails when an engine is (`wasmgate selftest`).
//!
//! - `mutant:ENGINE:OP` runs ENGINE on a rewritten module in which the result of
//!   every OP (a numeric instruction such as `i32.add`) is corrupted: integers
//!   get their lowest bit flipped, floats their sign.
//! - `mutant:ENGINE:OP@TRIGGER` corrupts OP's result only sometimes, as real
//!   miscompilations do. *Edge* triggers look at the operands (`zero`,
//!   `neg-zero`, `min-neg1`, `wide-shift`, `tie`, `high-bit`, and `grown` for a
//!   successful `memory.grow`); *path* triggers look at the code around OP
//!   (`const`: its last operand is a constant right before it; `branch`: its
//!   result feeds `br_if`, `if` or `select` right after it). A path and an
//!   edge trigger combine: `i32.shl@const+wide-shift` is wrong only for a
//!   constant count at or past the width.
//! - WebAssembly 3.0 operators: `i31.get_s`, `i31.get_u`, `array.len` and
//!   `ref.eq` (GC; their i32 result is corrupted like any other), and `throw`
//!   (exceptions: the last value of the thrown payload is corrupted before it
//!   is thrown, when it is a number).
//! - Structural 3.0 faults, which change what an instruction does rather
//!   than its result: `return_call` (a tail call's last argument arrives as
//!   zero when it is a number), `memory64` (a load from a 64-bit memory uses
//!   only the low 32 bits of its address, so its bounds check passes above
//!   4 GiB) and `memory.copy` (a copy between two memories reads from the
//!   destination memory; only between memories of one address type, so the
//!   rewritten module stays valid). `ref.test` has its i32 result corrupted
//!   (true for a sibling type, false for its own).
//! - `crash:ENGINE:OP` aborts the process when asked to compile a module that
//!   contains OP (an engine segfault, as the supervisor sees it).
//! - `hang:ENGINE:OP` never returns from compiling a module that contains OP.

use anyhow::{Result, bail};
use std::sync::Arc;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{CodeSection, Instruction};
use wasmgate_runners::{Compiled, Engine, EngineInfo, Failure, InstanceId, ModuleId, Session, Val, ValType};

/// The prefix that selects a result-corrupting engine.
pub const PREFIX: &str = "mutant:";
/// The prefix of a result-corrupting engine that keeps its inner engine's
/// name (`--fault ENGINE:OP`): the engine itself is faulty, with its code
/// base and its known-divergence entries.
pub const FAULT: &str = "fault:";
/// The prefixes of every fault-injecting engine.
pub const PREFIXES: [&str; 4] = [PREFIX, FAULT, "crash:", "hang:"];

/// Faults that rewrite what an instruction does (not its result), so no
/// operand trigger applies to them.
const STRUCTURAL: [&str; 4] = ["throw", "return_call", "memory64", "memory.copy"];

/// What the wrapper does wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Corrupts the instruction's result.
    Corrupt,
    /// Aborts the process.
    Crash,
    /// Blocks forever.
    Hang,
}

/// An engine that corrupts one instruction's result before running `inner`.
pub struct MutantEngine {
    inner: Arc<dyn Engine>,
    op: String,
    /// The operator's name without its triggers.
    name: String,
    variant: String,
    params: Vec<ValType>,
    result: ValType,
    /// The operand condition (or `Always`).
    trigger: Trigger,
    /// The code-shape condition (`Const`, `Branch`, or `Always`).
    path: Trigger,
    fault: Fault,
    info: EngineInfo,
}

/// wasmparser's `Operator` variant name for a text-format instruction name:
/// `i32.shr_s` → `I32ShrS`.
fn variant_name(op: &str) -> String {
    op.split(['.', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
fn corruption_for(op: &str) -> Result<Vec<Instruction<'static>>> {
    Ok(corruption(signature_of(op)?.1))
}

/// The instructions that corrupt a value of type `ty` on top of the stack.
fn corruption(ty: ValType) -> Vec<Instruction<'static>> {
    match ty {
        ValType::I32 => vec![Instruction::I32Const(1), Instruction::I32Xor],
        ValType::I64 => vec![Instruction::I64Const(1), Instruction::I64Xor],
        ValType::F32 => vec![Instruction::F32Neg],
        _ => vec![Instruction::F64Neg],
    }
}

/// Operand and result types of a mutable operator.
fn signature_of(op: &str) -> Result<(Vec<ValType>, ValType)> {
    if !op.contains('.') && !STRUCTURAL.contains(&op) {
        bail!("`{op}` is not an instruction name like i32.add");
    }
    if op == "memory.grow" {
        return Ok((vec![ValType::I32], ValType::I32));
    }
    match op {
        "i31.get_s" | "i31.get_u" | "array.len" => return Ok((vec![ValType::AnyRef], ValType::I32)),
        "ref.eq" => return Ok((vec![ValType::AnyRef, ValType::AnyRef], ValType::I32)),
        "ref.test" => return Ok((vec![ValType::AnyRef], ValType::I32)),
        // The corrupted value's type is the thrown tag's (see `Rewriter::tags`);
        // the others corrupt no result.
        "throw" | "return_call" | "memory64" | "memory.copy" => return Ok((Vec::new(), ValType::I32)),
        _ => {}
    }
    let scalar = crate::source::sweep::scalar_ops();
    match scalar.into_iter().find(|o| o.text == op) {
        Some(o) => Ok((o.params, o.result)),
        None if op.starts_with("v128.") || op.contains('x') => {
            bail!("`{op}` cannot be mutated: only i32/i64/f32/f64 operators are supported")
        }
        None => bail!(
            "`{op}` cannot be mutated: pick a numeric operator such as i32.add or f64.mul (or memory.grow)"
        ),
    }
}

/// When a fault corrupts its operator's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Every time.
    Always,
    /// When an operand is zero (either zero, for floats).
    Zero,
    /// When a float operand is -0.0.
    NegZero,
    /// When the operands are MIN and -1.
    MinNegOne,
    /// When the shift or rotate count is at or past the width.
    WideShift,
    /// When a float operand lies exactly halfway between two integers.
    Tie,
    /// When an integer operand has its high (sign) bit set.
    HighBit,
    /// When `memory.grow` succeeds.
    Grown,
    /// When the last operand is a constant pushed right before the operator.
    Const,
    /// When the result feeds `br_if`, `if` or `select` right after the operator.
    Branch,
}

impl Trigger {
    /// Every trigger's name after `@`.
    pub const NAMES: [(&'static str, Trigger); 9] = [
        ("zero", Trigger::Zero),
        ("neg-zero", Trigger::NegZero),
        ("min-neg1", Trigger::MinNegOne),
        ("wide-shift", Trigger::WideShift),
        ("tie", Trigger::Tie),
        ("high-bit", Trigger::HighBit),
        ("grown", Trigger::Grown),
        ("const", Trigger::Const),
        ("branch", Trigger::Branch),
    ];

    fn parse(name: &str) -> Result<Trigger> {
        match Self::NAMES.iter().find(|(n, _)| *n == name) {
            Some((_, t)) => Ok(*t),
            None => bail!(
                "unknown fault trigger `@{name}`: use one of {}",
                Self::NAMES.map(|(n, _)| n).join(", ")
            ),
        }
    }

    /// Whether this trigger reads the operands (and so needs scratch locals).
    fn on_values(self) -> bool {
        !matches!(self, Trigger::Always | Trigger::Const | Trigger::Branch)
    }

    /// Checks the trigger makes sense for an operator of this signature.
    fn check(self, op: &str, params: &[ValType]) -> Result<()> {
        let ints = params.iter().any(|t| matches!(t, ValType::I32 | ValType::I64));
        let floats = params.iter().any(|t| matches!(t, ValType::F32 | ValType::F64));
        let binary_int = params.len() == 2 && params[0] == params[1] && ints;
        let ok = match self {
            Trigger::Always => true,
            _ if STRUCTURAL.contains(&op) => false,
            Trigger::Zero => ints || floats,
            Trigger::Const | Trigger::Branch => true,
            Trigger::NegZero | Trigger::Tie => floats,
            Trigger::HighBit => ints,
            Trigger::MinNegOne | Trigger::WideShift => binary_int,
            Trigger::Grown => op == "memory.grow",
        };
        if !ok {
            bail!(
                "fault trigger does not apply to `{op}`: see `wasmgate selftest --help` for which operators each takes"
            );
        }
        Ok(())
    }
}

impl MutantEngine {
    /// Parses `mutant:ENGINE:OP` (or `crash:…`, `hang:…`), building ENGINE with `build`.
    pub fn parse(spec: &str, build: impl Fn(&str) -> Result<Arc<dyn Engine>>) -> Result<Self> {
        let (prefix, fault) = [
            ("mutant:", Fault::Corrupt),
            (FAULT, Fault::Corrupt),
            ("crash:", Fault::Crash),
            ("hang:", Fault::Hang),
        ]
        .into_iter()
        .find(|(p, _)| spec.starts_with(p))
        .unwrap_or((PREFIX, Fault::Corrupt));
        let rest = spec.strip_prefix(prefix).unwrap_or(spec);
        let Some((inner, op)) = rest.rsplit_once(':') else {
            bail!(
                "fault-injecting engine `{spec}` must look like {prefix}ENGINE:OP, e.g. {prefix}wasmi:i32.add"
            );
        };
        let (op_name, triggers) = op.split_once('@').unwrap_or((op, ""));
        let (mut trigger, mut path) = (Trigger::Always, Trigger::Always);
        let (params, result) = signature_of(op_name)?;
        for name in triggers.split('+').filter(|t| !t.is_empty()) {
            let t = Trigger::parse(name)?;
            t.check(op_name, &params)?;
            let slot = if t.on_values() { &mut trigger } else { &mut path };
            if *slot != Trigger::Always {
                bail!(
                    "fault `{op}` names two {} triggers: combine at most one path trigger (const, branch) with one operand trigger",
                    if t.on_values() { "operand" } else { "path" }
                );
            }
            *slot = t;
        }
        let inner = build(inner)?;
        let info = if prefix == FAULT {
            // The name stays; the version says what was put in (see `spec_of`).
            EngineInfo {
                name: inner.info().name.clone(),
                version: format!("{}{FAULT_MARK}{op})", inner.info().version),
                features: inner.info().features.clone(),
            }
        } else {
            EngineInfo {
                name: format!("{prefix}{}:{op}", inner.info().name),
                version: inner.info().version.clone(),
                features: inner.info().features.clone(),
            }
        };
        Ok(MutantEngine {
            inner,
            op: op.to_string(),
            name: op_name.to_string(),
            variant: variant_name(op_name),
            params,
            result,
            trigger,
            path,
            fault,
            info,
        })
    }

    /// The module with every `op` result corrupted, or `None` if the bytes
    /// can't be re-encoded (then the engine sees them untouched and must reject them).
    pub fn mutate(&self, wasm: &[u8]) -> Option<Vec<u8>> {
        self.rewrite(wasm).map(|(bytes, _)| bytes)
    }

    /// The rewritten module and how many times `op` occurs in it.
    fn rewrite(&self, wasm: &[u8]) -> Option<(Vec<u8>, usize)> {
        let mut module = wasm_encoder::Module::new();
        let mut rewriter = Rewriter {
            engine: self,
            // Only a `throw` fault needs the tags' types.
            tags: if self.variant == "Throw" {
                thrown_types(wasm)
            } else {
                Vec::new()
            },
            memories: if self.name == "memory64" || self.name == "memory.copy" {
                memories64(wasm)
            } else {
                Vec::new()
            },
            callee_last: if self.name == "return_call" {
                last_params(wasm)
            } else {
                Vec::new()
            },
            params: crate::source::rewrite::defined_params(wasm)?.into_iter(),
            fuel: crate::source::rewrite::exported_global(wasm, crate::source::generate::FUEL_GLOBAL),
            hits: 0,
        };
        rewriter
            .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
            .ok()?;
        Some((module.finish(), rewriter.hits))
    }

    /// The instruction being corrupted (with its trigger, if any).
    pub fn op(&self) -> &str {
        &self.op
    }
}

/// What a faulty engine's version carries per fault: `2.0.0 (fault: i32.clz@zero)`.
const FAULT_MARK: &str = " (fault: ";

/// The spec that builds the engine `info` describes again: its name, wrapped
/// in the faults its version says were put into it.
pub fn spec_of(info: &EngineInfo) -> String {
    let mut spec = info.name.clone();
    for part in info.version.split(FAULT_MARK).skip(1) {
        let op = part.split(')').next().unwrap_or(part);
        spec = format!("{FAULT}{spec}:{op}");
    }
    spec
}

/// Puts each `--fault ENGINE:OP[@TRIGGER]` into ENGINE among `specs`, which
/// keeps its name: `wasmi` becomes `fault:wasmi:OP`.
pub fn put_faults(specs: &mut [String], faults: &[String]) -> Result<()> {
    fn innermost(spec: &str) -> &str {
        match spec.strip_prefix(FAULT) {
            Some(rest) => innermost(rest.rsplit_once(':').map_or(rest, |(e, _)| e)),
            None => spec,
        }
    }
    for fault in faults {
        let Some((engine, op)) = fault
            .split_once(':')
            .filter(|(e, o)| !e.is_empty() && !o.is_empty())
        else {
            bail!("--fault `{fault}` must look like ENGINE:OP[@TRIGGER], e.g. wasmi:i32.clz@zero");
        };
        let Some(spec) = specs.iter_mut().find(|s| innermost(s) == engine) else {
            bail!(
                "--fault `{fault}` names engine `{engine}`, which is not among this run's engines ({})",
                specs.iter().map(|s| innermost(s)).collect::<Vec<_>>().join(", ")
            );
        };
        *spec = format!("{FAULT}{spec}:{op}");
    }
    Ok(())
}

/// The type of a function type's last parameter, when it is a number.
fn last_number(ty: &wasmparser::FuncType) -> Option<ValType> {
    ty.params()
        .last()
        .and_then(|t| crate::source::module_info::val_type(*t))
        .filter(|t| matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64))
}

/// For each tag, the type of the last value of its payload when it is a
/// number (what a `throw` fault corrupts), in tag index order.
fn thrown_types(wasm: &[u8]) -> Vec<Option<ValType>> {
    let mut funcs: Vec<Option<ValType>> = Vec::new();
    let mut tags = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            wasmparser::Payload::TypeSection(reader) => {
                for group in reader.into_iter().flatten() {
                    for sub in group.types() {
                        funcs.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(ty) => last_number(ty),
                            _ => None,
                        });
                    }
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports().flatten() {
                    if let wasmparser::TypeRef::Tag(t) = import.ty {
                        tags.push(funcs.get(t.func_type_idx as usize).copied().flatten());
                    }
                }
            }
            wasmparser::Payload::TagSection(reader) => {
                for t in reader.into_iter().flatten() {
                    tags.push(funcs.get(t.func_type_idx as usize).copied().flatten());
                }
            }
            _ => {}
        }
    }
    tags
}

/// Whether each memory is 64-bit, in memory index order.
fn memories64(wasm: &[u8]) -> Vec<bool> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports().flatten() {
                    if let wasmparser::TypeRef::Memory(m) = import.ty {
                        out.push(m.memory64);
                    }
                }
            }
            wasmparser::Payload::MemorySection(reader) => {
                out.extend(reader.into_iter().flatten().map(|m| m.memory64));
            }
            _ => {}
        }
    }
    out
}

/// For each function (imported, then defined), the type of its last
/// parameter when it is a number (what a `return_call` fault zeroes).
fn last_params(wasm: &[u8]) -> Vec<Option<ValType>> {
    let mut types: Vec<Option<ValType>> = Vec::new();
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            wasmparser::Payload::TypeSection(reader) => {
                for group in reader.into_iter().flatten() {
                    for sub in group.types() {
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(ty) => last_number(ty),
                            _ => None,
                        });
                    }
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports().flatten() {
                    if let wasmparser::TypeRef::Func(t) = import.ty {
                        out.push(types.get(t as usize).copied().flatten());
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                out.extend(
                    reader
                        .into_iter()
                        .flatten()
                        .map(|t| types.get(t as usize).copied().flatten()),
                );
            }
            _ => {}
        }
    }
    out
}

/// The memory a plain load reads from (the loads a `memory64` fault truncates).
fn load_memory(op: &wasmparser::Operator) -> Option<u32> {
    use wasmparser::Operator as O;
    match op {
        O::I32Load { memarg }
        | O::I64Load { memarg }
        | O::F32Load { memarg }
        | O::F64Load { memarg }
        | O::I32Load8S { memarg }
        | O::I32Load8U { memarg }
        | O::I32Load16S { memarg }
        | O::I32Load16U { memarg }
        | O::I64Load8S { memarg }
        | O::I64Load8U { memarg }
        | O::I64Load16S { memarg }
        | O::I64Load16U { memarg }
        | O::I64Load32S { memarg }
        | O::I64Load32U { memarg }
        | O::V128Load { memarg } => match memarg.target {
            wasmparser::MemArgTarget::Memory(m) => Some(m),
            wasmparser::MemArgTarget::Array(_) => None,
        },
        _ => None,
    }
}

/// The zero of a number type.
fn zero(ty: ValType) -> Instruction<'static> {
    match ty {
        ValType::I32 => Instruction::I32Const(0),
        ValType::I64 => Instruction::I64Const(0),
        ValType::F32 => Instruction::F32Const(0.0.into()),
        _ => Instruction::F64Const(0.0.into()),
    }
}

struct Rewriter<'a> {
    engine: &'a MutantEngine,
    /// The thrown value's type per tag ([`thrown_types`]).
    tags: Vec<Option<ValType>>,
    /// Whether each memory is 64-bit ([`memories64`]; `memory64` and `memory.copy` faults).
    memories: Vec<bool>,
    /// Each callee's last numeric parameter ([`last_params`]; `return_call` faults).
    callee_last: Vec<Option<ValType>>,
    /// Parameter counts of the functions still to come.
    params: std::vec::IntoIter<u32>,
    /// The fuel global of a generated module: its instrumentation is wasmgate's
    /// own code, not the program's, and stays correct (else a fault in, say,
    /// `i32.eqz` would turn every loop into a hang instead of a wrong value).
    fuel: Option<u32>,
    hits: usize,
}

/// `local.get x` then `cond` per operand, OR-ed together.
fn any_of(
    locals: &[(u32, ValType)],
    mut cond: impl FnMut(u32, ValType) -> Vec<Instruction<'static>>,
) -> Vec<Instruction<'static>> {
    let mut out = Vec::new();
    let mut n = 0;
    for (local, ty) in locals {
        let c = cond(*local, *ty);
        if c.is_empty() {
            continue;
        }
        out.extend(c);
        n += 1;
        if n > 1 {
            out.push(Instruction::I32Or);
        }
    }
    if n == 0 {
        out.push(Instruction::I32Const(0));
    }
    out
}

/// The i32 condition under which `trigger` corrupts, over the operands saved in
/// `operands` and the result saved in `result`.
fn condition(trigger: Trigger, operands: &[(u32, ValType)], result: u32) -> Vec<Instruction<'static>> {
    use Instruction as I;
    let get = I::LocalGet;
    match trigger {
        Trigger::Zero => any_of(operands, |l, t| match t {
            ValType::I32 => vec![get(l), I::I32Eqz],
            ValType::I64 => vec![get(l), I::I64Eqz],
            ValType::F32 => vec![get(l), I::F32Const(0.0.into()), I::F32Eq],
            _ => vec![get(l), I::F64Const(0.0.into()), I::F64Eq],
        }),
        Trigger::NegZero => any_of(operands, |l, t| match t {
            ValType::F32 => vec![get(l), I::I32ReinterpretF32, I::I32Const(i32::MIN), I::I32Eq],
            ValType::F64 => vec![get(l), I::I64ReinterpretF64, I::I64Const(i64::MIN), I::I64Eq],
            _ => vec![],
        }),
        Trigger::HighBit => any_of(operands, |l, t| match t {
            ValType::I32 => vec![get(l), I::I32Const(0), I::I32LtS],
            ValType::I64 => vec![get(l), I::I64Const(0), I::I64LtS],
            _ => vec![],
        }),
        Trigger::Tie => any_of(operands, |l, t| match t {
            ValType::F32 => vec![
                get(l),
                get(l),
                I::F32Trunc,
                I::F32Sub,
                I::F32Abs,
                I::F32Const(0.5.into()),
                I::F32Eq,
            ],
            ValType::F64 => vec![
                get(l),
                get(l),
                I::F64Trunc,
                I::F64Sub,
                I::F64Abs,
                I::F64Const(0.5.into()),
                I::F64Eq,
            ],
            _ => vec![],
        }),
        Trigger::MinNegOne => {
            let ((a, t), (b, _)) = (operands[0], operands[1]);
            if t == ValType::I32 {
                vec![
                    get(a),
                    I::I32Const(i32::MIN),
                    I::I32Eq,
                    get(b),
                    I::I32Const(-1),
                    I::I32Eq,
                    I::I32And,
                ]
            } else {
                vec![
                    get(a),
                    I::I64Const(i64::MIN),
                    I::I64Eq,
                    get(b),
                    I::I64Const(-1),
                    I::I64Eq,
                    I::I32And,
                ]
            }
        }
        Trigger::WideShift => {
            let (b, t) = operands[1];
            if t == ValType::I32 {
                vec![get(b), I::I32Const(32), I::I32GeU]
            } else {
                vec![get(b), I::I64Const(64), I::I64GeU]
            }
        }
        Trigger::Grown => vec![get(result), I::I32Const(-1), I::I32Ne],
        Trigger::Always | Trigger::Const | Trigger::Branch => vec![I::I32Const(1)],
    }
}

impl Rewriter<'_> {
    /// Whether `op` is an instance of the fault's operator.
    fn targets(&self, op: &wasmparser::Operator) -> bool {
        use wasmparser::Operator as O;
        let memory64 = |m: u32| self.memories.get(m as usize).copied().unwrap_or(false);
        match self.engine.name.as_str() {
            "ref.test" => matches!(op, O::RefTestNonNull { .. } | O::RefTestNullable { .. }),
            "memory64" => load_memory(op).is_some_and(memory64),
            "memory.copy" => {
                matches!(op, O::MemoryCopy { dst_mem, src_mem } if dst_mem != src_mem && memory64(*dst_mem) == memory64(*src_mem))
            }
            _ => crate::source::rewrite::variant_of(op) == self.engine.variant,
        }
    }
}

impl Reencode for Rewriter<'_> {
    type Error = std::convert::Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        let engine = self.engine;
        let params = self.params.next().unwrap_or(0);
        // Locals as declared, then scratch locals for the operands and result.
        let (mut locals, mut count) = crate::source::rewrite::declared_locals(self, &func, params)?;
        let mut operands = Vec::new();
        let mut result = 0;
        if engine.trigger.on_values() {
            for ty in &engine.params {
                locals.push((1, crate::source::rewrite::number_type(*ty)));
                operands.push((count, *ty));
                count += 1;
            }
            locals.push((1, crate::source::rewrite::number_type(engine.result)));
            result = count;
        }
        let mut f = wasm_encoder::Function::new(locals);
        let ops = crate::source::rewrite::operators(&func)?;
        let mut fuel = crate::source::rewrite::FuelWindow::new(self.fuel);
        for (i, op) in ops.iter().enumerate() {
            if fuel.step(op) || !self.targets(op) {
                f.instruction(&self.instruction(op.clone())?);
                continue;
            }
            use crate::source::rewrite::{const_type, feeds_branch};
            let fires = match engine.path {
                Trigger::Const => i > 0 && const_type(&ops[i - 1]).is_some(),
                Trigger::Branch => feeds_branch(ops.get(i + 1)),
                _ => true,
            };
            if !fires {
                f.instruction(&self.instruction(op.clone())?);
                continue;
            }
            match op {
                wasmparser::Operator::ReturnCall { function_index } => {
                    // The last argument arrives as zero.
                    if let Some(ty) = self.callee_last.get(*function_index as usize).copied().flatten() {
                        self.hits += 1;
                        f.instruction(&Instruction::Drop);
                        f.instruction(&zero(ty));
                    }
                    f.instruction(&self.instruction(op.clone())?);
                    continue;
                }
                wasmparser::Operator::MemoryCopy { dst_mem, .. } => {
                    // Read from the destination memory instead.
                    self.hits += 1;
                    f.instruction(&Instruction::MemoryCopy {
                        src_mem: *dst_mem,
                        dst_mem: *dst_mem,
                    });
                    continue;
                }
                _ if engine.name == "memory64" => {
                    // Bounds checked and read at the address's low 32 bits.
                    self.hits += 1;
                    f.instruction(&Instruction::I32WrapI64);
                    f.instruction(&Instruction::I64ExtendI32U);
                    f.instruction(&self.instruction(op.clone())?);
                    continue;
                }
                _ => {}
            }
            if let wasmparser::Operator::Throw { tag_index } = op {
                // The payload's last value, corrupted on its way out.
                if let Some(ty) = self.tags.get(*tag_index as usize).copied().flatten() {
                    self.hits += 1;
                    for i in corruption(ty) {
                        f.instruction(&i);
                    }
                }
                f.instruction(&self.instruction(op.clone())?);
                continue;
            }
            self.hits += 1;
            if !engine.trigger.on_values() {
                f.instruction(&self.instruction(op.clone())?);
                for i in corruption(engine.result) {
                    f.instruction(&i);
                }
                continue;
            }
            // Save the operands, run the operator, keep its result, then
            // select the corrupted result when the condition holds.
            for (local, _) in operands.iter().rev() {
                f.instruction(&Instruction::LocalSet(*local));
            }
            for (local, _) in &operands {
                f.instruction(&Instruction::LocalGet(*local));
            }
            f.instruction(&self.instruction(op.clone())?);
            f.instruction(&Instruction::LocalSet(result));
            f.instruction(&Instruction::LocalGet(result));
            for i in corruption(engine.result) {
                f.instruction(&i);
            }
            f.instruction(&Instruction::LocalGet(result));
            for i in condition(engine.trigger, &operands, result) {
                f.instruction(&i);
            }
            f.instruction(&Instruction::Select);
        }
        code.function(&f);
        Ok(())
    }
}

impl Engine for MutantEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn cannot_run(&self, wasm: &[u8]) -> Option<String> {
        self.inner.cannot_run(wasm)
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        match (self.fault, self.rewrite(wasm)) {
            (Fault::Corrupt, Some((mutated, _))) => self.inner.compile(&mutated),
            (Fault::Crash, Some((_, hits))) if hits > 0 => std::process::abort(),
            (Fault::Hang, Some((_, hits))) if hits > 0 => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            _ => self.inner.compile(wasm),
        }
    }

    /// Linked sessions (conformance runs), with the same faults as `compile`.
    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        Ok(Box::new(MutantSession {
            engine: self,
            inner: self.inner.session()?,
        }))
    }
}

/// A session whose modules are corrupted before the inner engine compiles them.
struct MutantSession<'a> {
    engine: &'a MutantEngine,
    inner: Box<dyn Session + 'a>,
}

impl Session for MutantSession<'_> {
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String> {
        match (self.engine.fault, self.engine.rewrite(wasm)) {
            (Fault::Corrupt, Some((mutated, _))) => self.inner.compile(&mutated),
            (Fault::Crash, Some((_, hits))) if hits > 0 => std::process::abort(),
            (Fault::Hang, Some((_, hits))) if hits > 0 => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            _ => self.inner.compile(wasm),
        }
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure> {
        self.inner.instantiate(module)
    }

    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String> {
        self.inner.register(instance, name)
    }

    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Vec<Val>, Failure> {
        self.inner.call(instance, name, args, results)
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure> {
        self.inner.global(instance, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_follow_wasmparser() {
        assert_eq!(variant_name("i32.add"), "I32Add");
        assert_eq!(variant_name("i64.shr_s"), "I64ShrS");
        assert_eq!(variant_name("f32.convert_i32_u"), "F32ConvertI32U");
    }

    /// Every 3.0 fault rewrites the sweep's 3.0 items into valid modules (an
    /// invalid one would be rejected, a divergence the fault did not cause),
    /// and finds its operator in one of them.
    #[test]
    fn wasm3_faults_keep_modules_valid_and_hit() {
        let items = crate::source::sweep_wasm3::cases(|_| true).unwrap();
        for (fault, _) in crate::campaign::score::WASM3_FAULTS {
            let engine = MutantEngine::parse(&format!("mutant:wasmtime-cranelift:{fault}"), |s| {
                crate::execute::engines::resolve(s)
            })
            .unwrap();
            let mut hits = 0;
            for item in &items {
                let (bytes, n) = engine.rewrite(&item.wasm).unwrap();
                // Each item's own features (wide-arithmetic is one item's).
                crate::source::module_info::validate(&bytes, item.features.as_ref().unwrap())
                    .unwrap_or_else(|e| panic!("{fault} on {}: {e}", item.origin));
                hits += n;
            }
            assert!(hits > 0, "{fault} found nothing to rewrite in the 3.0 items");
        }
    }

    #[test]
    fn rejects_unmutatable_ops() {
        assert!(corruption_for("i32.load").is_err());
        assert!(corruption_for("nop").is_err());
        assert!(corruption_for("v128.and").is_err());
        assert!(matches!(
            corruption_for("i64.lt_s").unwrap()[1],
            Instruction::I32Xor
        ));
    }
}
