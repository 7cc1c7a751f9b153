//! The GC checks: i31, casts and `ref.eq`, and arrays against a model.

use wasm_encoder::{AbstractHeapType, BlockType, HeapType, Instruction as I, ValType};

use super::{Checks, Elem, N};
use crate::source::edge_values::{I32S, Ty};

/// i32 values around i31's boundaries: ±2^30, one past them, and the i32 extremes.
const I31S: [i32; 12] = [
    0,
    1,
    -1,
    0x3fff_ffff,
    0x4000_0000,
    -0x4000_0000,
    -0x4000_0001,
    0x3fff_fffe,
    0x7fff_ffff,
    i32::MIN,
    0x5555_5555,
    -0x2aaa_aaab,
];

/// Lengths of arrays: empty, one, and a few past the small-array paths.
const LENGTHS: [u32; 9] = [0, 1, 1, 2, 3, 5, 8, 16, 33];

const fn abs(ty: AbstractHeapType) -> HeapType {
    HeapType::Abstract { shared: false, ty }
}

/// A subject of a cast check: what it is, for the answers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Subject {
    I31,
    Null,
    Array(u32),
}

impl Checks<'_> {
    pub(super) fn i31(&mut self) -> Vec<I<'static>> {
        let v = if self.chance(2, 3) {
            self.pick(&I31S)
        } else {
            self.pick(&I32S)
        };
        let signed = self.chance(1, 2);
        let answer = if signed { (v << 1) >> 1 } else { v & 0x7fff_ffff };
        let mut out = Vec::new();
        if self.chance(1, 2) {
            let l = self.lhs[Ty::I32 as usize];
            out.extend([I::I32Const(v), I::LocalSet(l), I::LocalGet(l)]);
        } else {
            out.push(I::I32Const(v));
        }
        out.push(I::RefI31);
        match self.below(4) {
            0 => out.extend([
                I::ExternConvertAny,
                I::AnyConvertExtern,
                I::RefCastNonNull(abs(AbstractHeapType::I31)),
            ]),
            1 => out.push(I::RefCastNullable(abs(AbstractHeapType::I31))),
            2 => out.push(I::RefAsNonNull),
            _ => {}
        }
        out.push(if signed { I::I31GetS } else { I::I31GetU });
        out.extend([I::I32Const(answer), I::I32Ne]);
        out
    }

    /// `[] → [anyref]`: a subject, and what it is.
    fn subject(&mut self) -> (Vec<I<'static>>, Subject) {
        let arrays = self.wasm3.arrays.clone();
        match self.below(if arrays.is_empty() { 3 } else { 4 }) {
            0 => {
                let v = self.pick(&I31S);
                (vec![I::I32Const(v), I::RefI31], Subject::I31)
            }
            1 => {
                let v = self.pick(&I31S);
                (
                    vec![
                        I::I32Const(v),
                        I::RefI31,
                        I::ExternConvertAny,
                        I::AnyConvertExtern,
                    ],
                    Subject::I31,
                )
            }
            2 => {
                let heap = self.pick(&[
                    abs(AbstractHeapType::None),
                    abs(AbstractHeapType::Any),
                    abs(AbstractHeapType::Eq),
                    abs(AbstractHeapType::I31),
                ]);
                (vec![I::RefNull(heap)], Subject::Null)
            }
            _ => {
                let a = self.pick(&arrays);
                let len = self.pick(&LENGTHS[..5]);
                (
                    vec![I::I32Const(len as i32), I::ArrayNewDefault(a.ty)],
                    Subject::Array(a.ty),
                )
            }
        }
    }

    pub(super) fn cast(&mut self) -> Vec<I<'static>> {
        if self.chance(1, 5) {
            return self.eq();
        }
        let (mut out, subject) = self.subject();
        match self.below(4) {
            // br_on_null: 1 when taken.
            0 => {
                let mut b = vec![I::Block(BlockType::Result(ValType::I32)), I::I32Const(1)];
                b.extend(out);
                b.extend([I::BrOnNull(0), I::Drop, I::Drop, I::I32Const(0), I::End]);
                b.extend([I::I32Const((subject == Subject::Null) as i32), I::I32Ne]);
                b
            }
            1 => {
                out.extend([
                    I::RefIsNull,
                    I::I32Const((subject == Subject::Null) as i32),
                    I::I32Ne,
                ]);
                out
            }
            _ => {
                let mut targets = vec![
                    AbstractHeapType::Any,
                    AbstractHeapType::Eq,
                    AbstractHeapType::I31,
                    AbstractHeapType::Struct,
                    AbstractHeapType::Array,
                    AbstractHeapType::None,
                ]
                .into_iter()
                .map(abs)
                .collect::<Vec<_>>();
                if let Subject::Array(t) = subject {
                    targets.push(HeapType::Concrete(t));
                }
                let target = self.pick(&targets);
                let nullable = self.chance(1, 2);
                let answer = match subject {
                    Subject::Null => nullable,
                    Subject::I31 => matches!(
                        target,
                        HeapType::Abstract {
                            ty: AbstractHeapType::Any | AbstractHeapType::Eq | AbstractHeapType::I31,
                            ..
                        }
                    ),
                    Subject::Array(_) => matches!(
                        target,
                        HeapType::Concrete(_)
                            | HeapType::Abstract {
                                ty: AbstractHeapType::Any | AbstractHeapType::Eq | AbstractHeapType::Array,
                                ..
                            }
                    ),
                };
                out.push(if nullable {
                    I::RefTestNullable(target)
                } else {
                    I::RefTestNonNull(target)
                });
                out.extend([I::I32Const(answer as i32), I::I32Ne]);
                out
            }
        }
    }

    /// `[] → [i32]`: `ref.eq` of two i31s, nulls, or arrays.
    pub(super) fn eq(&mut self) -> Vec<I<'static>> {
        let arrays = self.wasm3.arrays.clone();
        let null = |h| I::RefNull(abs(h));
        let (mut out, answer) = match self.below(if arrays.is_empty() { 3 } else { 5 }) {
            0 | 1 => {
                let a = self.pick(&I31S);
                // Half the time the second differs only in the bit i31 drops.
                let b = if self.chance(1, 2) {
                    a ^ i32::MIN
                } else {
                    self.pick(&I31S)
                };
                (
                    vec![I::I32Const(a), I::RefI31, I::I32Const(b), I::RefI31, I::RefEq],
                    (a ^ b) & 0x7fff_ffff == 0,
                )
            }
            2 => {
                let (x, y) = (
                    self.pick(&[
                        AbstractHeapType::None,
                        AbstractHeapType::Eq,
                        AbstractHeapType::I31,
                    ]),
                    self.pick(&[
                        AbstractHeapType::None,
                        AbstractHeapType::Eq,
                        AbstractHeapType::Array,
                    ]),
                );
                if self.chance(1, 2) {
                    (vec![null(x), null(y), I::RefEq], true)
                } else {
                    (vec![I::I32Const(0), I::RefI31, null(y), I::RefEq], false)
                }
            }
            3 => {
                let a = self.pick(&arrays);
                (
                    vec![
                        I::I32Const(1),
                        I::ArrayNewDefault(a.ty),
                        I::I32Const(1),
                        I::ArrayNewDefault(a.ty),
                        I::RefEq,
                    ],
                    false,
                )
            }
            _ => {
                let a = self.pick(&arrays);
                let l = self.wasm3.array_local;
                (
                    vec![
                        I::I32Const(2),
                        I::ArrayNewDefault(a.ty),
                        I::LocalTee(l),
                        I::LocalGet(l),
                        I::RefEq,
                    ],
                    true,
                )
            }
        };
        out.extend([I::I32Const(answer as i32), I::I32Ne]);
        out
    }

    /// `[] → [i32]`: an array of one of the module's types, built, changed and
    /// read against a model of it.
    pub(super) fn array(&mut self) -> Vec<I<'static>> {
        let a = self.pick(&self.wasm3.arrays.clone());
        let local = self.wasm3.array_local;
        let len = self.pick(&LENGTHS) as usize;
        let ty = match a.elem {
            Elem::I8 | Elem::I16 => Ty::I32,
            Elem::Num(t) => t,
        };
        // Stored values: what a get returns (packed ones wrapped to their width).
        let stored = |v: N| match (a.elem, v) {
            (Elem::I8, N::I32(x)) => N::I32(x as u8 as i32),
            (Elem::I16, N::I32(x)) => N::I32(x as u16 as i32),
            _ => v,
        };
        let zero = match ty {
            Ty::I32 => N::I32(0),
            Ty::I64 => N::I64(0),
            Ty::F32 => N::F32(0.0),
            Ty::F64 => N::F64(0.0),
        };
        let mut model: Vec<N>;
        let mut out = Vec::new();
        match self.below(3) {
            0 => {
                model = vec![zero; len];
                out.extend([I::I32Const(len as i32), I::ArrayNewDefault(a.ty)]);
            }
            1 => {
                let v = self.value(ty);
                model = vec![stored(v); len];
                out.extend([v.konst(), I::I32Const(len as i32), I::ArrayNew(a.ty)]);
            }
            _ => {
                let len = len.min(16);
                model = Vec::new();
                for _ in 0..len {
                    let v = self.value(ty);
                    model.push(stored(v));
                    out.push(v.konst());
                }
                out.push(I::ArrayNewFixed {
                    array_type_index: a.ty,
                    array_size: len as u32,
                });
            }
        }
        let len = model.len();
        let plain_get = match a.elem {
            Elem::I8 | Elem::I16 => I::ArrayGetU(a.ty),
            Elem::Num(_) => I::ArrayGet(a.ty),
        };
        out.push(I::LocalSet(local));
        let this = |out: &mut Vec<I<'static>>| {
            out.extend([I::LocalGet(local), I::RefCastNullable(HeapType::Concrete(a.ty))]);
        };
        // The flag so far.
        out.push(I::I32Const(0));
        for _ in 0..1 + self.below(3) {
            match self.below(if a.mutable { 6 } else { 3 }) {
                0 => out.extend([
                    I::LocalGet(local),
                    I::ArrayLen,
                    I::I32Const(len as i32),
                    I::I32Ne,
                    I::I32Or,
                ]),
                1 | 2 if len > 0 => {
                    let i = self.pick(&[0, len - 1, len - 1, len / 2]);
                    this(&mut out);
                    self.index(&mut out, i as i32);
                    let (get, want) = match (a.elem, model[i]) {
                        (Elem::I8 | Elem::I16, N::I32(x)) => {
                            let bits = if a.elem == Elem::I8 { 8 } else { 16 };
                            if self.chance(1, 2) {
                                (I::ArrayGetU(a.ty), N::I32(x))
                            } else {
                                let s = (x << (32 - bits)) >> (32 - bits);
                                (I::ArrayGetS(a.ty), N::I32(s))
                            }
                        }
                        (_, v) => (I::ArrayGet(a.ty), v),
                    };
                    out.push(get);
                    out.extend(want.differs());
                    out.push(I::I32Or);
                }
                // An empty array: a get at 0 is out of bounds.
                1 | 2 if self.traps && self.chance(1, 4) => {
                    this(&mut out);
                    out.extend([I::I32Const(0), plain_get.clone()]);
                    out.extend(zero.differs());
                    out.push(I::I32Or);
                }
                3 if len > 0 => {
                    let i = self.pick(&[0, len - 1]);
                    let v = self.value(ty);
                    this(&mut out);
                    self.index(&mut out, i as i32);
                    out.extend([v.konst(), I::ArraySet(a.ty)]);
                    model[i] = stored(v);
                }
                4 => {
                    // A fill ending at the array's end (length 0 at `len` too).
                    let n = self.below(len as u32 + 1) as usize;
                    let at = len - n;
                    let v = self.value(ty);
                    this(&mut out);
                    out.extend([
                        I::I32Const(at as i32),
                        v.konst(),
                        I::I32Const(n as i32),
                        I::ArrayFill(a.ty),
                    ]);
                    for m in &mut model[at..] {
                        *m = stored(v);
                    }
                }
                5 if len > 1 => {
                    // An overlapping copy within the array, one end at `len`.
                    let n = 1 + self.below(len as u32 - 1) as usize;
                    let (dst, src) = if self.chance(1, 2) {
                        (len - n, 0)
                    } else {
                        (0, len - n)
                    };
                    this(&mut out);
                    out.push(I::I32Const(dst as i32));
                    this(&mut out);
                    out.extend([
                        I::I32Const(src as i32),
                        I::I32Const(n as i32),
                        I::ArrayCopy {
                            array_type_index_dst: a.ty,
                            array_type_index_src: a.ty,
                        },
                    ]);
                    let from = model[src..src + n].to_vec();
                    model[dst..dst + n].copy_from_slice(&from);
                }
                _ => {}
            }
        }
        if self.traps && self.chance(1, 16) {
            // One past the end: a trap on a correct engine.
            this(&mut out);
            out.extend([I::I32Const(len as i32), plain_get, I::Drop]);
        }
        out
    }

    /// Pushes the index `i`, from a local or as a constant.
    pub(super) fn index(&mut self, out: &mut Vec<I<'static>>, i: i32) {
        if self.chance(1, 2) {
            let l = self.lhs[Ty::I32 as usize];
            out.extend([I::I32Const(i), I::LocalSet(l), I::LocalGet(l)]);
        } else {
            out.push(I::I32Const(i));
        }
    }
}
