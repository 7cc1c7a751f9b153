//! Edge values into operations: a rewrite of a generated module that plants,
//! after instructions whose result type is known, short snippets that put
//! boundary constants into operators and comparisons into branches — the
//! shapes engines compile down separate paths (immediate operands, strength
//! reduction, fused compare-and-branch) — and fills data segments with
//! boundary bit patterns, so loads see values with their high bits set.
//!
//! Snippets come in three forms:
//! - **checked branch**: the value is compared with an edge constant and the
//!   comparison drives `if`, `br_if` or `select`; each arm recomputes the
//!   comparison as a value and hands the original back only when the branch
//!   agreed with it, so a wrongly taken branch changes the result;
//! - **identity**: two operations with edge constants that undo each other
//!   (`+E −E`, `rotl k rotr k`, a rotate built from `shl`/`shr_u` with counts
//!   at and past the width, `and E | and ¬E`, division and remainder put back
//!   together, `× 1.0`, …) — wrong results of either show, right ones leave
//!   the value as it was;
//! - **edge operand** (only where traps are allowed): one operation with an
//!   edge constant that changes the value, so later operations see it.
//!
//! Checked and identity snippets leave every value as it was on a correct
//! engine, so trap-free code (whose guards compute addresses and divisors)
//! stays trap-free. Instructions of the fuel instrumentation are left alone.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::RngCore;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, utils};
use wasm_encoder::{CodeSection, DataSection, Function, Ieee32, Ieee64, Instruction as I, ValType};
use wasmparser::Operator as O;

use crate::source::edge_ops::{Allowed, EdgeOps};
use crate::source::edge_values::{F32S, F64S, I32S, I64S, Ty};
use crate::source::edge_wasm3::Wasm3;

/// What the rewrite may plant, chosen per seed.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Chance in 1024 of a snippet after each eligible instruction.
    pub density: u32,
    /// Which forms: checked branch, identity, edge operand.
    pub checked: bool,
    pub identity: bool,
    pub operand: bool,
    /// Chance in 4 that a data segment's bytes become boundary patterns.
    pub data: u32,
    /// Chance in 1024 of a self-checking edge operation
    /// ([`crate::source::edge_ops`]) after each eligible instruction, drawn
    /// from its own stream so the other snippets stay as they were.
    pub ops: u32,
    /// Operations beyond the MVP the seed's features allow.
    pub allowed: Allowed,
}

/// The result type of an operator, if it is a scalar one the rewrite knows.
fn result_of(op: &O) -> Option<Ty> {
    let name = crate::source::rewrite::variant_of(op);
    let name = name.as_str();
    // Stores, memory and table operations, and SIMD produce no scalar we plant after.
    if name.contains("Store") || name.starts_with('V') || name.get(3..4) == Some("x") {
        return None;
    }
    let compare = ["Eqz", "Eq", "Ne", "Lt", "Gt", "Le", "Ge"]
        .iter()
        .any(|c| name.ends_with(c) || name.ends_with(&format!("{c}S")) || name.ends_with(&format!("{c}U")));
    let prefix = |p: &str| name.starts_with(p);
    if prefix("I32") || prefix("I64") || prefix("F32") || prefix("F64") {
        if compare {
            return Some(Ty::I32);
        }
        return Some(if prefix("I32") {
            Ty::I32
        } else if prefix("I64") {
            Ty::I64
        } else if prefix("F32") {
            Ty::F32
        } else {
            Ty::F64
        });
    }
    None
}

struct Snippets<'a> {
    rng: &'a mut ChaCha8Rng,
    plan: Plan,
    /// Whether value-changing snippets are allowed (the module may trap).
    traps: bool,
    /// Scratch locals: one per type, and a second i32.
    scratch: [u32; 4],
}

fn pick<T: Clone>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.next_u32() as usize % items.len()].clone()
}

impl Snippets<'_> {
    fn local(&self, ty: Ty) -> u32 {
        self.scratch[ty as usize]
    }

    fn edge(&mut self, ty: Ty) -> I<'static> {
        match ty {
            Ty::I32 => I::I32Const(pick(self.rng, &I32S)),
            Ty::I64 => I::I64Const(pick(self.rng, &I64S)),
            Ty::F32 => I::F32Const(Ieee32::from(pick(self.rng, &F32S))),
            Ty::F64 => I::F64Const(Ieee64::from(pick(self.rng, &F64S))),
        }
    }

    fn konst(ty: Ty, v: i64) -> I<'static> {
        match ty {
            Ty::I32 => I::I32Const(v as i32),
            Ty::I64 => I::I64Const(v),
            Ty::F32 => I::F32Const(Ieee32::from(v as f32)),
            Ty::F64 => I::F64Const(Ieee64::from(v as f64)),
        }
    }

    /// Canonicalises a float NaN on top of the stack (as wasm-smith does).
    fn canon(&self, ty: Ty, out: &mut Vec<I<'static>>) {
        let s = self.local(ty);
        let (nan, eq) = match ty {
            Ty::F32 => (I::F32Const(Ieee32::from(f32::from_bits(0x7fc0_0000))), I::F32Eq),
            Ty::F64 => (
                I::F64Const(Ieee64::from(f64::from_bits(0x7ff8_0000_0000_0000))),
                I::F64Eq,
            ),
            _ => return,
        };
        out.extend([
            I::LocalSet(s),
            I::LocalGet(s),
            nan,
            I::LocalGet(s),
            I::LocalGet(s),
            eq,
            I::Select,
        ]);
    }

    /// `[local s] → [i32]`: s compared with an edge constant.
    fn compare(&mut self, ty: Ty) -> Vec<I<'static>> {
        let s = self.local(ty);
        if ty.is_int() && self.rng.next_u32().is_multiple_of(5) {
            return vec![I::LocalGet(s), if ty == Ty::I32 { I::I32Eqz } else { I::I64Eqz }];
        }
        let op = match ty {
            Ty::I32 => pick(
                self.rng,
                &[
                    I::I32Eq,
                    I::I32Ne,
                    I::I32LtS,
                    I::I32LtU,
                    I::I32GtS,
                    I::I32GtU,
                    I::I32LeS,
                    I::I32LeU,
                    I::I32GeS,
                    I::I32GeU,
                ],
            ),
            Ty::I64 => pick(
                self.rng,
                &[
                    I::I64Eq,
                    I::I64Ne,
                    I::I64LtS,
                    I::I64LtU,
                    I::I64GtS,
                    I::I64GtU,
                    I::I64LeS,
                    I::I64LeU,
                    I::I64GeS,
                    I::I64GeU,
                ],
            ),
            Ty::F32 => pick(
                self.rng,
                &[I::F32Eq, I::F32Ne, I::F32Lt, I::F32Gt, I::F32Le, I::F32Ge],
            ),
            Ty::F64 => pick(
                self.rng,
                &[I::F64Eq, I::F64Ne, I::F64Lt, I::F64Gt, I::F64Le, I::F64Ge],
            ),
        };
        vec![I::LocalGet(s), self.edge(ty), op]
    }

    /// `[] → [T]`: s when the comparison's value is `taken`, else s changed.
    fn check(&self, ty: Ty, cmp: &[I<'static>], taken: bool) -> Vec<I<'static>> {
        let s = self.local(ty);
        let mut out = Vec::new();
        if ty.is_int() {
            // s + (comparison != taken)
            out.push(I::LocalGet(s));
            out.extend(cmp.iter().cloned());
            if taken {
                out.push(I::I32Eqz);
            }
            match ty {
                Ty::I32 => out.push(I::I32Add),
                _ => out.extend([I::I64ExtendI32U, I::I64Add]),
            }
        } else {
            // select(-s, s, comparison != taken), the comparison not feeding
            // select directly (`xor 1` / `or 0`, not `eqz`: wasmi 2.0.0
            // miscompiles `select` on `i32.eqz`, and the snippets should not
            // drown the run in that one known bug).
            out.push(I::LocalGet(s));
            out.push(if ty == Ty::F32 { I::F32Neg } else { I::F64Neg });
            out.push(I::LocalGet(s));
            out.extend(cmp.iter().cloned());
            out.push(I::I32Const(taken as i32));
            out.push(if taken { I::I32Xor } else { I::I32Or });
            out.push(I::Select);
        }
        out
    }

    /// `[T] → [T]`: a comparison of the value drives a branch, checked.
    fn checked(&mut self, ty: Ty) -> Vec<I<'static>> {
        let s = self.local(ty);
        let cmp = self.compare(ty);
        let block = wasm_encoder::BlockType::Result(ty.val());
        let mut out = vec![I::LocalSet(s)];
        match self.rng.next_u32() % 3 {
            0 => {
                out.extend(cmp.iter().cloned());
                out.push(I::If(block));
                out.extend(self.check(ty, &cmp, true));
                out.push(I::Else);
                out.extend(self.check(ty, &cmp, false));
                out.push(I::End);
            }
            1 => {
                out.push(I::Block(block));
                out.extend(self.check(ty, &cmp, true));
                out.extend(cmp.iter().cloned());
                out.push(I::BrIf(0));
                out.push(I::Drop);
                out.extend(self.check(ty, &cmp, false));
                out.push(I::End);
            }
            _ => {
                out.extend(self.check(ty, &cmp, true));
                out.extend(self.check(ty, &cmp, false));
                out.extend(cmp.iter().cloned());
                out.push(I::Select);
            }
        }
        out
    }

    /// `[T] → [T]`: two operations with edge constants that undo each other.
    fn identity(&mut self, ty: Ty) -> Vec<I<'static>> {
        let s = self.local(ty);
        let mut out = Vec::new();
        match ty {
            Ty::I32 | Ty::I64 => {
                let i32s = ty == Ty::I32;
                let e = self.edge(ty);
                let e_val = match e {
                    I::I32Const(v) => v as i64,
                    I::I64Const(v) => v,
                    _ => 0,
                };
                let ops = |a: I<'static>, b: I<'static>| if i32s { a } else { b };
                let w = ty.width();
                match self.rng.next_u32() % 8 {
                    7 => out.extend([
                        // s + s rem_s -1: rem_s by -1 is 0 for every s, MIN included.
                        I::LocalTee(s),
                        Self::konst(ty, -1),
                        ops(I::I32RemS, I::I64RemS),
                        I::LocalGet(s),
                        ops(I::I32Add, I::I64Add),
                    ]),
                    0 => out.extend([e.clone(), ops(I::I32Add, I::I64Add), e, ops(I::I32Sub, I::I64Sub)]),
                    1 => out.extend([e.clone(), ops(I::I32Sub, I::I64Sub), e, ops(I::I32Add, I::I64Add)]),
                    2 => out.extend([e.clone(), ops(I::I32Xor, I::I64Xor), e, ops(I::I32Xor, I::I64Xor)]),
                    3 => out.extend([
                        I::LocalTee(s),
                        e,
                        ops(I::I32And, I::I64And),
                        I::LocalGet(s),
                        Self::konst(ty, !e_val),
                        ops(I::I32And, I::I64And),
                        ops(I::I32Or, I::I64Or),
                    ]),
                    4 => {
                        // An odd multiplier and its inverse modulo 2^w.
                        let m = e_val | 1;
                        let mut inv = m;
                        for _ in 0..6 {
                            inv = inv.wrapping_mul(2i64.wrapping_sub(m.wrapping_mul(inv)));
                        }
                        out.extend([
                            Self::konst(ty, m),
                            ops(I::I32Mul, I::I64Mul),
                            Self::konst(ty, inv),
                            ops(I::I32Mul, I::I64Mul),
                        ]);
                    }
                    5 => {
                        // rotl by shifts, counts at and past the width, then rotr.
                        let k = pick(self.rng, &[1, w - 1, w, w + 1, 2 * w - 1, 3, w / 2]);
                        out.extend([
                            I::LocalTee(s),
                            Self::konst(ty, k),
                            ops(I::I32Shl, I::I64Shl),
                            I::LocalGet(s),
                            Self::konst(ty, w - k),
                            ops(I::I32ShrU, I::I64ShrU),
                            ops(I::I32Or, I::I64Or),
                            Self::konst(ty, k),
                            ops(I::I32Rotr, I::I64Rotr),
                        ]);
                    }
                    _ => {
                        // (s / d) * d + s % d, with d neither 0 nor -1.
                        let d = match e_val {
                            0 | -1 => 7,
                            d => d,
                        };
                        let (div, rem) = if self.rng.next_u32() & 1 == 0 {
                            (ops(I::I32DivS, I::I64DivS), ops(I::I32RemS, I::I64RemS))
                        } else {
                            (ops(I::I32DivU, I::I64DivU), ops(I::I32RemU, I::I64RemU))
                        };
                        out.extend([
                            I::LocalTee(s),
                            Self::konst(ty, d),
                            div,
                            Self::konst(ty, d),
                            ops(I::I32Mul, I::I64Mul),
                            I::LocalGet(s),
                            Self::konst(ty, d),
                            rem,
                            ops(I::I32Add, I::I64Add),
                        ]);
                    }
                }
            }
            Ty::F32 | Ty::F64 => {
                let f = ty == Ty::F32;
                let c = |v: f64| {
                    if f {
                        I::F32Const(Ieee32::from(v as f32))
                    } else {
                        I::F64Const(Ieee64::from(v))
                    }
                };
                let ops = |a: I<'static>, b: I<'static>| if f { a } else { b };
                match self.rng.next_u32() % 6 {
                    0 => out.extend([c(1.0), ops(I::F32Mul, I::F64Mul)]),
                    1 => out.extend([c(1.0), ops(I::F32Div, I::F64Div)]),
                    2 => out.extend([c(-0.0), ops(I::F32Add, I::F64Add)]),
                    3 => out.extend([c(0.0), ops(I::F32Sub, I::F64Sub)]),
                    4 => out.extend([c(f64::INFINITY), ops(I::F32Min, I::F64Min)]),
                    _ => out.extend([c(f64::NEG_INFINITY), ops(I::F32Max, I::F64Max)]),
                }
                self.canon(ty, &mut out);
            }
        }
        out
    }

    /// `[T] → [T]`: one operation with an edge constant, changing the value.
    fn operand(&mut self, ty: Ty) -> Vec<I<'static>> {
        if !ty.is_int() && self.rng.next_u32().is_multiple_of(3) {
            // A rounding of the value moved onto a .5 tie.
            let f = ty == Ty::F32;
            let tie = pick(self.rng, &[0.5, -0.5, 1.5, 2.5, -2.5]);
            let mut out = if f {
                vec![I::F32Const(Ieee32::from(tie as f32)), I::F32Add]
            } else {
                vec![I::F64Const(Ieee64::from(tie)), I::F64Add]
            };
            out.push(match (f, self.rng.next_u32() % 4) {
                (true, 0) => I::F32Nearest,
                (true, 1) => I::F32Floor,
                (true, 2) => I::F32Ceil,
                (true, _) => I::F32Trunc,
                (false, 0) => I::F64Nearest,
                (false, 1) => I::F64Floor,
                (false, 2) => I::F64Ceil,
                (false, _) => I::F64Trunc,
            });
            self.canon(ty, &mut out);
            return out;
        }
        let mut out = vec![self.edge(ty)];
        out.push(match ty {
            Ty::I32 => pick(
                self.rng,
                &[
                    I::I32Add,
                    I::I32Sub,
                    I::I32Mul,
                    I::I32And,
                    I::I32Or,
                    I::I32Xor,
                    I::I32Shl,
                    I::I32ShrS,
                    I::I32ShrU,
                    I::I32Rotl,
                    I::I32Rotr,
                    I::I32DivU,
                    I::I32RemS,
                ],
            ),
            Ty::I64 => pick(
                self.rng,
                &[
                    I::I64Add,
                    I::I64Sub,
                    I::I64Mul,
                    I::I64And,
                    I::I64Or,
                    I::I64Xor,
                    I::I64Shl,
                    I::I64ShrS,
                    I::I64ShrU,
                    I::I64Rotl,
                    I::I64Rotr,
                    I::I64DivS,
                    I::I64RemU,
                ],
            ),
            Ty::F32 => pick(
                self.rng,
                &[
                    I::F32Add,
                    I::F32Sub,
                    I::F32Mul,
                    I::F32Div,
                    I::F32Min,
                    I::F32Max,
                    I::F32Copysign,
                ],
            ),
            Ty::F64 => pick(
                self.rng,
                &[
                    I::F64Add,
                    I::F64Sub,
                    I::F64Mul,
                    I::F64Div,
                    I::F64Min,
                    I::F64Max,
                    I::F64Copysign,
                ],
            ),
        });
        self.canon(ty, &mut out);
        out
    }

    /// A snippet for a value of `ty` just pushed, or none.
    fn after(&mut self, ty: Ty) -> Vec<I<'static>> {
        if self.rng.next_u32() % 1024 >= self.plan.density {
            return vec![];
        }
        let mut forms = Vec::new();
        if self.plan.checked {
            forms.push(0);
        }
        if self.plan.identity {
            forms.push(1);
        }
        if self.plan.operand && self.traps {
            forms.push(2);
        }
        match forms.get(self.rng.next_u32() as usize % forms.len().max(1)) {
            Some(0) => self.checked(ty),
            Some(1) => self.identity(ty),
            Some(2) => self.operand(ty),
            _ => vec![],
        }
    }
}

struct Rewriter<'a> {
    rng: &'a mut ChaCha8Rng,
    ops_rng: &'a mut ChaCha8Rng,
    plan: Plan,
    traps: bool,
    fuel: u32,
    params: std::vec::IntoIter<u32>,
    wasm3: Wasm3,
}

impl Reencode for Rewriter<'_> {
    type Error = std::convert::Infallible;

    // The tail-call chain's type, function and body go after the module's own.
    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_type_section(self, types, section)?;
        if self.wasm3.chain.is_some() {
            types.ty().function([ValType::I32, ValType::I64], [ValType::I64]);
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_function_section(self, functions, section)?;
        if let Some(chain) = self.wasm3.chain {
            functions.function(chain.ty);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_code_section(self, code, section)?;
        if let Some(chain) = self.wasm3.chain {
            code.function(&chain.body());
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        let params = self.params.next().unwrap_or(0);
        let (mut locals, count) = crate::source::rewrite::declared_locals(self, &func, params)?;
        let scratch = [count, count + 1, count + 2, count + 3];
        for _ in 0..3 {
            for ty in [Ty::I32, Ty::I64, Ty::F32, Ty::F64] {
                locals.push((1, ty.val()));
            }
        }
        if self.wasm3.gc {
            // Where array checks keep their array.
            self.wasm3.array_local = count + 12;
            locals.push((1, crate::source::edge_wasm3::ARRAY_LOCAL));
        }
        let mut f = Function::new(locals);
        let mut snippets = Snippets {
            rng: self.rng,
            plan: self.plan,
            traps: self.traps,
            scratch,
        };
        let mut ops = EdgeOps {
            rng: self.ops_rng,
            allowed: self.plan.allowed,
            wasm3: &self.wasm3,
            traps: self.traps,
            value: scratch,
            lhs: scratch.map(|s| s + 4),
            rhs: scratch.map(|s| s + 8),
        };
        let mut fuel = crate::source::rewrite::FuelWindow::new(Some(self.fuel));
        for op in crate::source::rewrite::operators(&func)? {
            let ty = if fuel.step(&op) { None } else { result_of(&op) };
            f.instruction(&RoundtripLike.instruction(op)?);
            if let Some(ty) = ty {
                for i in snippets.after(ty) {
                    f.instruction(&i);
                }
                if ops.rng.next_u32() % 1024 < self.plan.ops {
                    for i in ops.after(ty) {
                        f.instruction(&i);
                    }
                }
            }
        }
        code.function(&f);
        Ok(())
    }

    fn parse_data_section(
        &mut self,
        data: &mut DataSection,
        section: wasmparser::DataSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        for segment in section {
            let segment = segment?;
            if self.rng.next_u32() % 4 >= self.plan.data {
                utils::parse_data(self, data, segment)?;
                continue;
            }
            let bytes = patterned(self.rng, segment.data.len());
            match segment.kind {
                wasmparser::DataKind::Passive => {
                    data.passive(bytes);
                }
                wasmparser::DataKind::Active {
                    memory_index,
                    offset_expr,
                } => {
                    let offset = self.const_expr(offset_expr)?;
                    data.active(memory_index, &offset, bytes);
                }
            }
        }
        Ok(())
    }
}

/// Re-encodes single instructions as they are.
struct RoundtripLike;
impl Reencode for RoundtripLike {
    type Error = std::convert::Infallible;
}

/// `len` bytes of boundary values: 4- and 8-byte edges, high bits set.
fn patterned(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        match rng.next_u32() % 4 {
            0 => out.extend(pick(rng, &I32S).to_le_bytes()),
            1 => out.extend(pick(rng, &I64S).to_le_bytes()),
            2 => out.extend(pick(rng, &F32S).to_le_bytes()),
            _ => out.extend(pick(rng, &F64S).to_le_bytes()),
        }
    }
    out.truncate(len);
    out
}

/// Plants snippets and data patterns in `wasm` per `plan`, drawing from `rng`.
/// `ops_rng` draws the self-checking edge operations.
/// `traps`: whether the module may trap (else only value-preserving snippets);
/// `fuel`: the fuel global, whose instrumentation is left alone.
pub fn plant(
    wasm: &[u8],
    plan: Plan,
    rng: &mut ChaCha8Rng,
    ops_rng: &mut ChaCha8Rng,
    traps: bool,
    fuel: u32,
) -> anyhow::Result<Vec<u8>> {
    let params = crate::source::rewrite::defined_params(wasm)
        .ok_or_else(|| anyhow::anyhow!("cannot read the module's function types"))?;
    let mut module = wasm_encoder::Module::new();
    let mut rewriter = Rewriter {
        rng,
        ops_rng,
        plan,
        traps,
        fuel,
        params: params.into_iter(),
        wasm3: if plan.allowed.wasm3() {
            Wasm3::scan(wasm, plan.allowed)
        } else {
            Wasm3::default()
        },
    };
    rewriter
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| anyhow::anyhow!("planting edge values: {e}"))?;
    Ok(module.finish())
}
