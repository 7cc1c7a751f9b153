//! Self-checking WebAssembly 3.0 edge operations: planted beside the scalar
//! ones of [`crate::source::edge_ops`] in modules whose seed has 3.0 features,
//! each computing a flag that is 1 only when the engine answered wrong — the
//! same contract, so a wrong answer changes the value the snippet hands on.
//!
//! - **i31**: `ref.i31` then `i31.get_s`/`i31.get_u` of values at the ±2^30
//!   boundaries and past them (wrap-around), directly or through
//!   `extern.convert_any`/`any.convert_extern` and a `ref.cast`;
//! - **casts**: `ref.test` (nullable or not) of an i31, a null, an array of the
//!   module's own types or an extern round trip, against `any`, `eq`, `i31`,
//!   `struct`, `array`, `none` and the array's type; `br_on_null` and
//!   `ref.is_null` on the same subjects; `ref.eq` of i31s that differ only
//!   in the bit i31 drops, of nulls, and of one array or two;
//! - **arrays** of the module's array types with numeric or packed elements:
//!   `array.new`/`new_fixed`/`new_default` with length 0 and up, `array.len`,
//!   `array.get`(`_s`/`_u`) at 0 and `len-1`, `array.set`, `array.fill` and
//!   overlapping `array.copy` ending at `len` — answered by a model of the
//!   array here; where the module may trap, now and then a get at `len`;
//! - **memories** (memory64 or several memories): loads at the last bytes of a
//!   memory (its size read at run time, its page size from its type) with and
//!   without a static offset, checked against the same bytes read in halves;
//!   a store and load at the last byte; a known word stored at the end of one
//!   memory and copied by `memory.copy` to the end of another; and, where the
//!   module may trap, a load 2^32 past the end of a 64-bit memory, which must
//!   trap (an engine that truncates addresses to 32 bits reads memory instead);
//! - **exceptions** with the module's tags of no or one numeric parameter:
//!   `throw` caught by `catch` (the payload compared), `catch_all`, and
//!   `catch_all_ref` whose exnref is rethrown by `throw_ref` to an outer catch;
//! - **tail calls**: a function added to the module sums `n` into an i64
//!   accumulator by `return_call`ing itself, called with `n` up to 100,000 —
//!   deeper than any engine's stack without real tail calls.
//!
//! Floats stored, thrown or loaded are never NaN, so bits compare exactly.
//! Nothing here is drawn for a seed without 3.0 features: the other profiles'
//! modules stay as they were.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::RngCore;
use wasm_encoder::{BlockType, Catch, Ieee32, Ieee64, Instruction as I, RefType, ValType};

use crate::source::edge_values::{F32S, F64S, I32S, I64S, Ty};

mod gc;
mod memory;
#[cfg(test)]
mod tests;

/// A memory of the module: its index, address type and page size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Memory {
    pub index: u32,
    pub is64: bool,
    pub page_log2: u32,
}

/// An array element the checks can model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Elem {
    I8,
    I16,
    Num(Ty),
}

/// An array type of the module whose element the checks can model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Array {
    pub ty: u32,
    pub elem: Elem,
    pub mutable: bool,
}

/// What of WebAssembly 3.0 a module offers the checks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Wasm3 {
    /// GC instructions are allowed (i31, casts, arrays).
    pub gc: bool,
    /// The memories, when memory64 or several memories are allowed.
    pub memories: Vec<Memory>,
    /// `memory.copy` is allowed (bulk memory).
    pub copy: bool,
    pub arrays: Vec<Array>,
    /// Tags (index, their one numeric parameter or none).
    pub tags: Vec<(u32, Option<Ty>)>,
    /// The function's `arrayref` scratch local (set per function).
    pub array_local: u32,
    /// The tail-call chain function the rewrite adds (tail calls on, and the
    /// module has functions).
    pub chain: Option<Chain>,
}

/// The added function `(i32 n, i64 acc) → i64`: acc + n(n+1)/2, by tail calls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Chain {
    /// Its function index and its type's index (both after the module's own).
    pub func: u32,
    pub ty: u32,
}

impl Chain {
    /// The function's body.
    pub(crate) fn body(self) -> wasm_encoder::Function {
        let mut f = wasm_encoder::Function::new([]);
        for i in [
            I::LocalGet(0),
            I::I32Eqz,
            I::If(BlockType::Result(ValType::I64)),
            I::LocalGet(1),
            I::Else,
            I::LocalGet(0),
            I::I32Const(1),
            I::I32Sub,
            I::LocalGet(1),
            I::LocalGet(0),
            I::I64ExtendI32U,
            I::I64Add,
            I::ReturnCall(self.func),
            I::End,
            I::End,
        ] {
            f.instruction(&i);
        }
        f
    }
}

impl Wasm3 {
    pub(crate) fn any(&self) -> bool {
        self.gc || !self.memories.is_empty() || !self.tags.is_empty() || self.chain.is_some()
    }

    /// What `wasm` offers, given which 3.0 features its seed has.
    pub(crate) fn scan(wasm: &[u8], allowed: crate::source::edge_values::Allowed) -> Wasm3 {
        let (gc, exceptions, memories) = (allowed.gc, allowed.exceptions, allowed.memories);
        use wasmparser::{CompositeInnerType, Payload, StorageType, TypeRef};
        let mut out = Wasm3 {
            gc,
            copy: allowed.bulk_memory,
            ..Wasm3::default()
        };
        let mut func_params: Vec<Option<Vec<wasmparser::ValType>>> = Vec::new();
        let mut mems = Vec::new();
        let mut tag_types = Vec::new();
        let (mut imported_funcs, mut defined_funcs, mut code) = (0, 0, false);
        let num = |t: &wasmparser::ValType| match t {
            wasmparser::ValType::I32 => Some(Ty::I32),
            wasmparser::ValType::I64 => Some(Ty::I64),
            wasmparser::ValType::F32 => Some(Ty::F32),
            wasmparser::ValType::F64 => Some(Ty::F64),
            _ => None,
        };
        for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
            match payload {
                Payload::TypeSection(reader) => {
                    for group in reader.into_iter().flatten() {
                        for sub in group.into_types() {
                            let index = func_params.len() as u32;
                            match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => func_params.push(Some(f.params().to_vec())),
                                CompositeInnerType::Array(a) if !sub.composite_type.shared => {
                                    func_params.push(None);
                                    let elem = match a.0.element_type {
                                        StorageType::I8 => Some(Elem::I8),
                                        StorageType::I16 => Some(Elem::I16),
                                        StorageType::Val(v) => num(&v).map(Elem::Num),
                                    };
                                    if let Some(elem) = elem {
                                        out.arrays.push(Array {
                                            ty: index,
                                            elem,
                                            mutable: a.0.mutable,
                                        });
                                    }
                                }
                                _ => func_params.push(None),
                            }
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports().flatten() {
                        match import.ty {
                            TypeRef::Memory(m) => mems.push(m),
                            TypeRef::Tag(t) => tag_types.push(t.func_type_idx),
                            TypeRef::Func(_) | TypeRef::FuncExact(_) => imported_funcs += 1,
                            _ => {}
                        }
                    }
                }
                Payload::MemorySection(reader) => mems.extend(reader.into_iter().flatten()),
                Payload::FunctionSection(reader) => defined_funcs = reader.count(),
                Payload::CodeSectionStart { .. } => code = true,
                Payload::TagSection(reader) => {
                    tag_types.extend(reader.into_iter().flatten().map(|t| t.func_type_idx));
                }
                _ => {}
            }
        }
        if !gc {
            out.arrays.clear();
        }
        if allowed.tail_call && code && defined_funcs > 0 && !func_params.is_empty() {
            out.chain = Some(Chain {
                func: imported_funcs + defined_funcs,
                ty: func_params.len() as u32,
            });
        }
        if memories {
            out.memories = mems
                .iter()
                .enumerate()
                .filter(|(_, m)| !m.shared)
                .map(|(i, m)| Memory {
                    index: i as u32,
                    is64: m.memory64,
                    page_log2: m.page_size_log2.unwrap_or(16),
                })
                .collect();
        }
        if exceptions {
            for (index, ty) in tag_types.iter().enumerate() {
                let Some(Some(params)) = func_params.get(*ty as usize) else {
                    continue;
                };
                match params.as_slice() {
                    [] => out.tags.push((index as u32, None)),
                    [p] => {
                        if let Some(t) = num(p) {
                            out.tags.push((index as u32, Some(t)));
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

/// A value of one of the four scalar types, never a NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
enum N {
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
}

impl N {
    fn konst(self) -> I<'static> {
        match self {
            N::I32(v) => I::I32Const(v),
            N::I64(v) => I::I64Const(v),
            N::F32(v) => I::F32Const(Ieee32::from(v)),
            N::F64(v) => I::F64Const(Ieee64::from(v)),
        }
    }
    /// `[T] → [i32]`: 1 when the value on the stack is not this one (floats by bits).
    fn differs(self) -> Vec<I<'static>> {
        match self {
            N::I32(v) => vec![I::I32Const(v), I::I32Ne],
            N::I64(v) => vec![I::I64Const(v), I::I64Ne],
            N::F32(v) => vec![I::I32ReinterpretF32, I::I32Const(v.to_bits() as i32), I::I32Ne],
            N::F64(v) => vec![I::I64ReinterpretF64, I::I64Const(v.to_bits() as i64), I::I64Ne],
        }
    }
}

pub(crate) struct Checks<'a> {
    pub rng: &'a mut ChaCha8Rng,
    pub wasm3: &'a Wasm3,
    /// Whether the module may trap (and so may be changed or end in a trap).
    pub traps: bool,
    /// Scratch locals per type, free while a check runs: two of each.
    pub lhs: [u32; 4],
    pub rhs: [u32; 4],
}

impl Checks<'_> {
    fn below(&mut self, n: u32) -> u32 {
        self.rng.next_u32() % n
    }

    fn chance(&mut self, num: u32, den: u32) -> bool {
        self.below(den) < num
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }

    /// A value of `ty` from the edge tables, never a NaN.
    fn value(&mut self, ty: Ty) -> N {
        loop {
            let v = match ty {
                Ty::I32 => N::I32(self.pick(&I32S)),
                Ty::I64 => N::I64(self.pick(&I64S)),
                Ty::F32 => N::F32(self.pick(&F32S)),
                Ty::F64 => N::F64(self.pick(&F64S)),
            };
            match v {
                N::F32(x) if x.is_nan() => continue,
                N::F64(x) if x.is_nan() => continue,
                _ => return v,
            }
        }
    }

    /// `[] → [i32]`: a 3.0 check, 1 when the engine answered wrong; none when
    /// the module offers nothing for the kind drawn.
    pub(crate) fn wrong(&mut self) -> Option<Vec<I<'static>>> {
        let w = self.wasm3;
        let mut kinds = Vec::new();
        if w.gc {
            kinds.extend([0, 1]);
        }
        if !w.arrays.is_empty() {
            kinds.extend([2, 2]);
        }
        if !w.memories.is_empty() {
            kinds.extend([3, 3]);
        }
        if !w.tags.is_empty() {
            kinds.extend([4, 4]);
        }
        if w.chain.is_some() {
            kinds.push(5);
        }
        if kinds.is_empty() {
            return None;
        }
        Some(match self.pick(&kinds) {
            0 => self.i31(),
            1 => self.cast(),
            2 => self.array(),
            3 => self.memory(),
            4 => self.exception(),
            _ => self.chain(),
        })
    }

    fn chain(&mut self) -> Vec<I<'static>> {
        let chain = self.wasm3.chain.expect("a chain function");
        let n = self.pick(&[0u32, 1, 2, 1000, 100_000]);
        let acc = self.pick(&I64S);
        let answer = acc.wrapping_add((n as i64) * (n as i64 + 1) / 2);
        let mut out = Vec::new();
        self.index(&mut out, n as i32);
        out.extend([
            I::I64Const(acc),
            I::Call(chain.func),
            I::I64Const(answer),
            I::I64Ne,
        ]);
        out
    }

    fn exception(&mut self) -> Vec<I<'static>> {
        let tags = self.wasm3.tags.clone();
        let (tag, param) = self.pick(&tags);
        let payload = param.map(|t| self.value(t));
        let throw = |out: &mut Vec<I<'static>>| {
            if let Some(v) = payload {
                out.push(v.konst());
            }
            out.push(I::Throw(tag));
        };
        let result = match payload {
            Some(v) => BlockType::Result(match v {
                N::I32(_) => ValType::I32,
                N::I64(_) => ValType::I64,
                N::F32(_) => ValType::F32,
                N::F64(_) => ValType::F64,
            }),
            None => BlockType::Empty,
        };
        let mut out = vec![I::Block(result)];
        match self.below(3) {
            0 => {
                out.push(I::TryTable(
                    BlockType::Empty,
                    vec![Catch::One { tag, label: 0 }].into(),
                ));
                throw(&mut out);
                out.extend([I::End, I::Unreachable, I::End]);
            }
            1 => {
                // catch_all: the payload is not delivered; the flag is the
                // block being left by the catch.
                let mut all = vec![
                    I::Block(BlockType::Empty),
                    I::TryTable(BlockType::Empty, vec![Catch::All { label: 0 }].into()),
                ];
                throw(&mut all);
                all.extend([I::End, I::Unreachable, I::End, I::I32Const(0)]);
                return all;
            }
            _ => {
                out.push(I::TryTable(
                    BlockType::Empty,
                    vec![Catch::One { tag, label: 0 }].into(),
                ));
                out.push(I::Block(BlockType::Result(ValType::EXNREF)));
                out.push(I::TryTable(
                    BlockType::Empty,
                    vec![Catch::AllRef { label: 0 }].into(),
                ));
                throw(&mut out);
                out.extend([
                    I::End,
                    I::Unreachable,
                    I::End,
                    I::ThrowRef,
                    I::End,
                    I::Unreachable,
                    I::End,
                ]);
            }
        }
        match payload {
            Some(v) => out.extend(v.differs()),
            None => out.push(I::I32Const(0)),
        }
        out
    }
}

/// The type of the scratch local array checks keep their array in.
pub(crate) const ARRAY_LOCAL: ValType = ValType::Ref(RefType::ARRAYREF);
