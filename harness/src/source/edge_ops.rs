//! Self-checking edge operations: one operation on boundary operands whose
//! answer the generator computes itself, planted so the module checks the
//! engine's answer (a wrong answer changes the value the snippet hands on).
//!
//! The operands reach the operation the ways engines compile differently:
//! both from locals (registers), one from a local and one constant (an
//! immediate, on either side), both constant (folding); an `i32` result may
//! drive `br_if`, `if` or `select` directly (fused compare-and-branch and
//! compare-and-select forms), with or without an `i32.eqz` between. The edges
//! are the tables of [`crate::source::edges`], so `MIN rem_s -1`,
//! `min(-0, +0)`, `copysign` of zeros and shifts past the width meet the plain
//! register path, not only the immediate one. Operations that would trap are
//! never planted, so a snippet keeps trap-free code trap-free.
//!
//! Two shapes are left out because one engine's known bug (wasmi 2.0.0:
//! `select` on `i32.eqz`, or on `i32.eq`/`i32.ne` with a zero) would answer
//! for every case they reach: `i32.eqz` feeding `select`, and `i32.eq`/`i32.ne`
//! with a zero operand feeding `select`. The sweep still tries both.

pub use crate::source::edge_values::Allowed;
use crate::source::edge_values::{F32S, F64S, I32S, I64S, Ty};
use crate::source::edge_wasm3::{Checks, Wasm3};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::RngCore;
use wasm_encoder::{BlockType, Ieee32, Ieee64, Instruction as I, ValType};

/// A value of one of the four scalar types.
#[derive(Clone, Copy, Debug, PartialEq)]
enum V {
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
}

impl V {
    fn ty(self) -> Ty {
        match self {
            V::I32(_) => Ty::I32,
            V::I64(_) => Ty::I64,
            V::F32(_) => Ty::F32,
            V::F64(_) => Ty::F64,
        }
    }
    fn konst(self) -> I<'static> {
        match self {
            V::I32(v) => I::I32Const(v),
            V::I64(v) => I::I64Const(v),
            V::F32(v) => I::F32Const(Ieee32::from(v)),
            V::F64(v) => I::F64Const(Ieee64::from(v)),
        }
    }
    /// The integer value, sign-extended from its width.
    fn int(self) -> i64 {
        match self {
            V::I32(v) => v as i64,
            V::I64(v) => v,
            _ => 0,
        }
    }
    fn is_zero(self) -> bool {
        matches!(self, V::I32(0) | V::I64(0))
    }
}

/// Integer operations, one enum for both widths.
#[derive(Clone, Copy, Debug, PartialEq)]
enum IntOp {
    Add,
    Sub,
    Mul,
    DivS,
    DivU,
    RemS,
    RemU,
    And,
    Or,
    Xor,
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
    Clz,
    Ctz,
    Popcnt,
    Eqz,
    Ext8,
    Ext16,
    Ext32,
}

const INT_BINARY: [IntOp; 25] = {
    use IntOp::*;
    [
        Add, Sub, Mul, DivS, DivU, RemS, RemU, And, Or, Xor, Shl, ShrS, ShrU, Rotl, Rotr, Eq, Ne, LtS, LtU,
        GtS, GtU, LeS, LeU, GeS, GeU,
    ]
};

impl IntOp {
    fn instr(self, w64: bool) -> I<'static> {
        use IntOp::*;
        let p = |a: I<'static>, b: I<'static>| if w64 { b } else { a };
        match self {
            Add => p(I::I32Add, I::I64Add),
            Sub => p(I::I32Sub, I::I64Sub),
            Mul => p(I::I32Mul, I::I64Mul),
            DivS => p(I::I32DivS, I::I64DivS),
            DivU => p(I::I32DivU, I::I64DivU),
            RemS => p(I::I32RemS, I::I64RemS),
            RemU => p(I::I32RemU, I::I64RemU),
            And => p(I::I32And, I::I64And),
            Or => p(I::I32Or, I::I64Or),
            Xor => p(I::I32Xor, I::I64Xor),
            Shl => p(I::I32Shl, I::I64Shl),
            ShrS => p(I::I32ShrS, I::I64ShrS),
            ShrU => p(I::I32ShrU, I::I64ShrU),
            Rotl => p(I::I32Rotl, I::I64Rotl),
            Rotr => p(I::I32Rotr, I::I64Rotr),
            Eq => p(I::I32Eq, I::I64Eq),
            Ne => p(I::I32Ne, I::I64Ne),
            LtS => p(I::I32LtS, I::I64LtS),
            LtU => p(I::I32LtU, I::I64LtU),
            GtS => p(I::I32GtS, I::I64GtS),
            GtU => p(I::I32GtU, I::I64GtU),
            LeS => p(I::I32LeS, I::I64LeS),
            LeU => p(I::I32LeU, I::I64LeU),
            GeS => p(I::I32GeS, I::I64GeS),
            GeU => p(I::I32GeU, I::I64GeU),
            Clz => p(I::I32Clz, I::I64Clz),
            Ctz => p(I::I32Ctz, I::I64Ctz),
            Popcnt => p(I::I32Popcnt, I::I64Popcnt),
            Eqz => p(I::I32Eqz, I::I64Eqz),
            Ext8 => p(I::I32Extend8S, I::I64Extend8S),
            Ext16 => p(I::I32Extend16S, I::I64Extend16S),
            Ext32 => I::I64Extend32S,
        }
    }

    /// The wasm answer for operands `a`, `b` (sign-extended from `w` bits), or
    /// `None` where the operation traps.
    fn eval(self, w: u32, a: i64, b: i64) -> Option<V> {
        use IntOp::*;
        let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
        let (ua, ub) = (a as u64 & mask, b as u64 & mask);
        let norm = |x: u64| -> i64 {
            let x = x & mask;
            if w == 64 {
                x as i64
            } else {
                ((x << (64 - w)) as i64) >> (64 - w)
            }
        };
        let k = (ub & (w as u64 - 1)) as u32;
        let min = if w == 64 { i64::MIN } else { -(1i64 << (w - 1)) };
        let flag = |c: bool| Some(V::I32(c as i32));
        let n = match self {
            Add => norm(a.wrapping_add(b) as u64),
            Sub => norm(a.wrapping_sub(b) as u64),
            Mul => norm(a.wrapping_mul(b) as u64),
            DivS if b == 0 || (a == min && b == -1) => return None,
            DivS => norm((a / b) as u64),
            DivU | RemU if ub == 0 => return None,
            DivU => norm(ua / ub),
            RemU => norm(ua % ub),
            RemS if b == 0 => return None,
            RemS => a.checked_rem(b).unwrap_or(0),
            And => a & b,
            Or => a | b,
            Xor => a ^ b,
            Shl => norm(ua << k),
            ShrS => a >> k,
            ShrU => norm(ua >> k),
            Rotl if k == 0 => a,
            Rotl => norm((ua << k) | (ua >> (w - k))),
            Rotr if k == 0 => a,
            Rotr => norm((ua >> k) | (ua << (w - k))),
            Eq => return flag(a == b),
            Ne => return flag(a != b),
            LtS => return flag(a < b),
            LtU => return flag(ua < ub),
            GtS => return flag(a > b),
            GtU => return flag(ua > ub),
            LeS => return flag(a <= b),
            LeU => return flag(ua <= ub),
            GeS => return flag(a >= b),
            GeU => return flag(ua >= ub),
            Eqz => return flag(a == 0),
            Clz => (ua.leading_zeros() - (64 - w)) as i64,
            Ctz if ua == 0 => w as i64,
            Ctz => ua.trailing_zeros() as i64,
            Popcnt => ua.count_ones() as i64,
            Ext8 => a as i8 as i64,
            Ext16 => a as i16 as i64,
            Ext32 => a as i32 as i64,
        };
        Some(if w == 64 { V::I64(n) } else { V::I32(n as i32) })
    }
}

/// Float operations, one enum for both widths.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Copysign,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Abs,
    Neg,
    Sqrt,
    Ceil,
    Floor,
    Trunc,
    Nearest,
}

const FLOAT_BINARY: [FloatOp; 13] = {
    use FloatOp::*;
    [Add, Sub, Mul, Div, Min, Max, Copysign, Eq, Ne, Lt, Gt, Le, Ge]
};
const FLOAT_UNARY: [FloatOp; 7] = {
    use FloatOp::*;
    [Abs, Neg, Sqrt, Ceil, Floor, Trunc, Nearest]
};

macro_rules! float_eval {
    ($name:ident, $f:ty, $V:ident) => {
        fn $name(op: FloatOp, a: $f, b: $f) -> V {
            use FloatOp::*;
            let flag = |c: bool| V::I32(c as i32);
            V::$V(match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div => a / b,
                Min | Max if a.is_nan() || b.is_nan() => <$f>::NAN,
                // Of two zeros, min takes the negative and max the positive one.
                Min if a == b => {
                    if a.is_sign_negative() {
                        a
                    } else {
                        b
                    }
                }
                Max if a == b => {
                    if a.is_sign_positive() {
                        a
                    } else {
                        b
                    }
                }
                Min => a.min(b),
                Max => a.max(b),
                Copysign => a.copysign(b),
                Eq => return flag(a == b),
                Ne => return flag(a != b),
                Lt => return flag(a < b),
                Gt => return flag(a > b),
                Le => return flag(a <= b),
                Ge => return flag(a >= b),
                Abs => a.abs(),
                Neg => -a,
                Sqrt => a.sqrt(),
                Ceil => a.ceil(),
                Floor => a.floor(),
                Trunc => a.trunc(),
                Nearest => a.round_ties_even(),
            })
        }
    };
}
float_eval!(eval_f32, f32, F32);
float_eval!(eval_f64, f64, F64);

impl FloatOp {
    fn instr(self, w64: bool) -> I<'static> {
        use FloatOp::*;
        let p = |a: I<'static>, b: I<'static>| if w64 { b } else { a };
        match self {
            Add => p(I::F32Add, I::F64Add),
            Sub => p(I::F32Sub, I::F64Sub),
            Mul => p(I::F32Mul, I::F64Mul),
            Div => p(I::F32Div, I::F64Div),
            Min => p(I::F32Min, I::F64Min),
            Max => p(I::F32Max, I::F64Max),
            Copysign => p(I::F32Copysign, I::F64Copysign),
            Eq => p(I::F32Eq, I::F64Eq),
            Ne => p(I::F32Ne, I::F64Ne),
            Lt => p(I::F32Lt, I::F64Lt),
            Gt => p(I::F32Gt, I::F64Gt),
            Le => p(I::F32Le, I::F64Le),
            Ge => p(I::F32Ge, I::F64Ge),
            Abs => p(I::F32Abs, I::F64Abs),
            Neg => p(I::F32Neg, I::F64Neg),
            Sqrt => p(I::F32Sqrt, I::F64Sqrt),
            Ceil => p(I::F32Ceil, I::F64Ceil),
            Floor => p(I::F32Floor, I::F64Floor),
            Trunc => p(I::F32Trunc, I::F64Trunc),
            Nearest => p(I::F32Nearest, I::F64Nearest),
        }
    }
}

/// Conversions between the four types, with their answers.
fn convert(rng: &mut ChaCha8Rng, x: V, saturating: bool) -> Option<(I<'static>, V)> {
    // Float → int: in range after truncation, else a trap (or saturation).
    fn trunc(x: f64, lo: f64, hi: f64) -> Option<f64> {
        let t = x.trunc();
        (!x.is_nan() && t >= lo && t < hi).then_some(t)
    }
    const P31: f64 = 2147483648.0;
    const P32: f64 = 4294967296.0;
    const P63: f64 = 9223372036854775808.0;
    const P64: f64 = 18446744073709551616.0;
    let pick = rng.next_u32();
    Some(match x {
        V::I32(a) => match pick % 6 {
            0 => (I::I64ExtendI32S, V::I64(a as i64)),
            1 => (I::I64ExtendI32U, V::I64(a as u32 as i64)),
            2 => (I::F32ConvertI32S, V::F32(a as f32)),
            3 => (I::F32ConvertI32U, V::F32(a as u32 as f32)),
            4 => (I::F64ConvertI32S, V::F64(a as f64)),
            _ => (I::F64ConvertI32U, V::F64(a as u32 as f64)),
        },
        V::I64(a) => match pick % 5 {
            0 => (I::I32WrapI64, V::I32(a as i32)),
            1 => (I::F32ConvertI64S, V::F32(a as f32)),
            2 => (I::F32ConvertI64U, V::F32(a as u64 as f32)),
            3 => (I::F64ConvertI64S, V::F64(a as f64)),
            _ => (I::F64ConvertI64U, V::F64(a as u64 as f64)),
        },
        V::F32(a) => {
            let d = a as f64;
            match pick % 7 {
                0 => (I::F64PromoteF32, V::F64(d)),
                1 => (I::I32ReinterpretF32, V::I32(a.to_bits() as i32)),
                2 if saturating => (I::I32TruncSatF32S, V::I32(a as i32)),
                3 if saturating => (I::I64TruncSatF32U, V::I64(a as u64 as i64)),
                2 => (I::I32TruncF32S, V::I32(trunc(d, -P31, P31)? as i32)),
                3 => (I::I32TruncF32U, V::I32(trunc(d, 0.0, P32)? as u32 as i32)),
                4 => (I::I64TruncF32S, V::I64(trunc(d, -P63, P63)? as i64)),
                5 => (I::I64TruncF32U, V::I64(trunc(d, 0.0, P64)? as u64 as i64)),
                _ => (I::F32Nearest, V::F32(a.round_ties_even())),
            }
        }
        V::F64(a) => match pick % 7 {
            0 => (I::F32DemoteF64, V::F32(a as f32)),
            1 => (I::I64ReinterpretF64, V::I64(a.to_bits() as i64)),
            2 if saturating => (I::I32TruncSatF64U, V::I32(a as u32 as i32)),
            3 if saturating => (I::I64TruncSatF64S, V::I64(a as i64)),
            2 => (I::I32TruncF64S, V::I32(trunc(a, -P31, P31)? as i32)),
            3 => (I::I32TruncF64U, V::I32(trunc(a, 0.0, P32)? as u32 as i32)),
            4 => (I::I64TruncF64S, V::I64(trunc(a, -P63, P63)? as i64)),
            5 => (I::I64TruncF64U, V::I64(trunc(a, 0.0, P64)? as u64 as i64)),
            _ => (I::F64Nearest, V::F64(a.round_ties_even())),
        },
    })
}

/// Plants self-checking operations, drawing from their own random stream.
pub(crate) struct EdgeOps<'a> {
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) allowed: Allowed,
    /// What of WebAssembly 3.0 the module offers the checks.
    pub(crate) wasm3: &'a Wasm3,
    /// Whether the module may trap.
    pub(crate) traps: bool,
    /// Per type: the value's own scratch local, and the two operand locals.
    pub(crate) value: [u32; 4],
    pub(crate) lhs: [u32; 4],
    pub(crate) rhs: [u32; 4],
}

/// One planned operation: its operands, instruction and answer.
struct Planned {
    args: Vec<V>,
    instr: I<'static>,
    answer: V,
    /// The instruction is `i32.eqz`, or `i32.eq`/`i32.ne` with a zero operand.
    select_shy: bool,
}

impl EdgeOps<'_> {
    fn below(&mut self, n: u32) -> u32 {
        self.rng.next_u32() % n
    }

    fn edge(&mut self, ty: Ty) -> V {
        let i = self.rng.next_u32() as usize;
        match ty {
            Ty::I32 => V::I32(I32S[i % I32S.len()]),
            Ty::I64 => V::I64(I64S[i % I64S.len()]),
            Ty::F32 => V::F32(F32S[i % F32S.len()]),
            Ty::F64 => V::F64(F64S[i % F64S.len()]),
        }
    }

    /// An operation on edge operands of type `ty` that does not trap.
    fn plan(&mut self, ty: Ty) -> Option<Planned> {
        let a = self.edge(ty);
        let b = self.edge(ty);
        let choice = self.below(16);
        if ty.is_int() {
            let w = ty.width() as u32;
            let op = if choice < 12 {
                INT_BINARY[self.below(INT_BINARY.len() as u32) as usize]
            } else {
                let mut unary = vec![IntOp::Clz, IntOp::Ctz, IntOp::Popcnt, IntOp::Eqz];
                if self.allowed.sign_extension {
                    unary.extend([IntOp::Ext8, IntOp::Ext16]);
                    if w == 64 {
                        unary.push(IntOp::Ext32);
                    }
                }
                unary[self.below(unary.len() as u32) as usize]
            };
            let binary = INT_BINARY.contains(&op);
            let answer = op.eval(w, a.int(), if binary { b.int() } else { 0 })?;
            let args = if binary { vec![a, b] } else { vec![a] };
            let select_shy = w == 32
                && (op == IntOp::Eqz
                    || (matches!(op, IntOp::Eq | IntOp::Ne) && args.iter().any(|v| v.is_zero())));
            return Some(Planned {
                instr: op.instr(w == 64),
                args,
                answer,
                select_shy,
            });
        }
        let w64 = ty == Ty::F64;
        let eval = |op, x: V, y: V| match (x, y) {
            (V::F32(x), V::F32(y)) => eval_f32(op, x, y),
            (V::F64(x), V::F64(y)) => eval_f64(op, x, y),
            _ => unreachable!("float operands"),
        };
        if choice < 10 {
            let op = FLOAT_BINARY[self.below(FLOAT_BINARY.len() as u32) as usize];
            return Some(Planned {
                instr: op.instr(w64),
                args: vec![a, b],
                answer: eval(op, a, b),
                select_shy: false,
            });
        }
        if choice < 13 {
            let op = FLOAT_UNARY[self.below(FLOAT_UNARY.len() as u32) as usize];
            return Some(Planned {
                instr: op.instr(w64),
                args: vec![a],
                answer: eval(op, a, a),
                select_shy: false,
            });
        }
        let saturating = self.allowed.saturating;
        let (instr, answer) = convert(self.rng, a, saturating)?;
        Some(Planned {
            instr,
            args: vec![a],
            answer,
            select_shy: false,
        })
    }

    /// `[] → [i32]`: 1 when the engine's answer to `p` is wrong, else 0.
    fn wrong(&mut self, p: &Planned) -> Vec<I<'static>> {
        // Operands: from locals (registers) or as constants (immediates).
        let ty = p.args[0].ty();
        let locals = [self.lhs[ty as usize], self.rhs[ty as usize]];
        let mut setup = Vec::new();
        let mut compute = Vec::new();
        for (i, v) in p.args.iter().enumerate() {
            if self.below(3) != 0 {
                setup.extend([v.konst(), I::LocalSet(locals[i])]);
                compute.push(I::LocalGet(locals[i]));
            } else {
                compute.push(v.konst());
            }
        }
        compute.push(p.instr.clone());
        let mut out = setup;
        if p.answer.ty() == Ty::I32 && self.below(2) == 0 {
            // Fused: the i32 drives a branch or select directly, negated or not.
            let negate = self.below(3) == 0;
            if negate {
                compute.push(I::I32Eqz);
            }
            let (one, zero) = (I::I32Const(1), I::I32Const(0));
            let result = BlockType::Result(ValType::I32);
            match self.below(if negate || p.select_shy { 2 } else { 3 }) {
                0 => {
                    out.extend(compute);
                    out.extend([I::If(result), one, I::Else, zero, I::End]);
                }
                1 => {
                    out.extend([I::Block(result), one]);
                    out.extend(compute);
                    out.extend([I::BrIf(0), I::Drop, zero, I::End]);
                }
                _ => {
                    out.extend([one, zero]);
                    out.extend(compute);
                    out.push(I::Select);
                }
            }
            let truth = p.answer.int() != 0;
            out.extend([I::I32Const((truth != negate) as i32), I::I32Ne]);
            return out;
        }
        out.extend(compute);
        match p.answer {
            V::I32(_) | V::I64(_) => out.extend([
                p.answer.konst(),
                if p.answer.ty() == Ty::I32 {
                    I::I32Ne
                } else {
                    I::I64Ne
                },
            ]),
            // A NaN's bits may differ between engines: only NaN-ness is checked.
            V::F32(x) if x.is_nan() => {
                let t = self.lhs[Ty::F32 as usize];
                out.extend([I::LocalTee(t), I::LocalGet(t), I::F32Eq]);
            }
            V::F64(x) if x.is_nan() => {
                let t = self.lhs[Ty::F64 as usize];
                out.extend([I::LocalTee(t), I::LocalGet(t), I::F64Eq]);
            }
            V::F32(x) => out.extend([I::I32ReinterpretF32, I::I32Const(x.to_bits() as i32), I::I32Ne]),
            V::F64(x) => out.extend([I::I64ReinterpretF64, I::I64Const(x.to_bits() as i64), I::I64Ne]),
        }
        out
    }

    /// `[T] → [T]` for the value of type `ty` just pushed: an edge operation
    /// of a random type, checked; the value comes back changed only when the
    /// engine's answer was wrong.
    pub(crate) fn after(&mut self, ty: Ty) -> Vec<I<'static>> {
        // A 3.0 check a third of the time, where the module offers one (drawn
        // only then, so other seeds' modules stay as they were).
        let wrong = if self.wasm3.any() && self.below(3) == 0 {
            let mut checks = Checks {
                rng: self.rng,
                wasm3: self.wasm3,
                traps: self.traps,
                lhs: self.lhs,
                rhs: self.rhs,
            };
            checks.wrong()
        } else {
            let op_ty = [Ty::I32, Ty::I64, Ty::F32, Ty::F64][self.below(4) as usize];
            self.plan(op_ty).map(|planned| self.wrong(&planned))
        };
        let Some(wrong) = wrong else {
            return vec![];
        };
        let s = self.value[ty as usize];
        let mut out = vec![I::LocalSet(s)];
        match ty {
            Ty::I32 | Ty::I64 => {
                out.push(I::LocalGet(s));
                out.extend(wrong);
                if ty == Ty::I32 {
                    out.push(I::I32Add);
                } else {
                    out.extend([I::I64ExtendI32U, I::I64Add]);
                }
            }
            Ty::F32 | Ty::F64 => {
                // select(-s, s, wrong), the flag not fed to select by a
                // comparison directly (`or 0`), as in the checked snippets.
                out.push(I::LocalGet(s));
                out.push(if ty == Ty::F32 { I::F32Neg } else { I::F64Neg });
                out.push(I::LocalGet(s));
                out.extend(wrong);
                out.extend([I::I32Const(0), I::I32Or, I::Select]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, Module, TypeSection,
    };

    /// A module of `n` functions `() → i32`, each answering whether the
    /// engine got one planned operation wrong.
    fn checks(n: u32, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        let (mut funcs, mut code, mut exports) =
            (FunctionSection::new(), CodeSection::new(), ExportSection::new());
        let mut planted = 0;
        while planted < n {
            let wasm3 = Wasm3::default();
            let mut ops = EdgeOps {
                rng: &mut rng,
                wasm3: &wasm3,
                traps: false,
                allowed: Allowed {
                    sign_extension: true,
                    saturating: planted % 2 == 0,
                    ..Allowed::default()
                },
                value: [0, 1, 2, 3],
                lhs: [4, 5, 6, 7],
                rhs: [8, 9, 10, 11],
            };
            let ty = [Ty::I32, Ty::I64, Ty::F32, Ty::F64][(planted % 4) as usize];
            let Some(p) = ops.plan(ty) else { continue };
            let body = ops.wrong(&p);
            let mut f = Function::new(
                [ValType::I32, ValType::I64, ValType::F32, ValType::F64]
                    .repeat(3)
                    .into_iter()
                    .map(|t| (1, t)),
            );
            for i in &body {
                f.instruction(i);
            }
            f.instruction(&I::End);
            funcs.function(0);
            code.function(&f);
            exports.export(&format!("c{planted}"), ExportKind::Func, planted);
            planted += 1;
        }
        let mut m = Module::new();
        m.section(&types).section(&funcs).section(&exports).section(&code);
        m.finish()
    }

    #[test]
    fn planted_answers_are_what_reference_engines_compute() {
        let n = 1500;
        let wasm = checks(n, 7);
        crate::source::module_info::validate(&wasm, &wasmgate_runners::Feature::ALL).unwrap();
        for engine in ["wasmtime-cranelift", "wasmi"] {
            let engine = wasmgate_runners::registry::build(engine).unwrap();
            let mut instance = engine.compile(&wasm).unwrap().instantiate().unwrap();
            let wrong: Vec<u32> = (0..n)
                .filter(|i| {
                    let got = instance.call(&format!("c{i}"), &[], &[wasmgate_runners::ValType::I32]);
                    got.unwrap() != vec![wasmgate_runners::Val::I32(0)]
                })
                .collect();
            assert!(
                wrong.is_empty(),
                "{}: checks {wrong:?} answered wrong",
                engine.info().name
            );
        }
    }
}
