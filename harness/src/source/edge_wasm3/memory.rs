//! The memory checks: the ends of memories, copies between two, and
//! addresses past 4 GiB.

use wasm_encoder::{BlockType, Instruction as I, MemArg, MemArgTarget, ValType};

use super::{Checks, Memory};
use crate::source::edge_values::{I32S, I64S, Ty};

impl Checks<'_> {
    /// `[] → []`: `local` = the memory's size in bytes (its address type).
    pub(super) fn bytes(m: Memory, local: u32) -> Vec<I<'static>> {
        if m.is64 {
            vec![
                I::MemorySize(m.index),
                I::I64Const(m.page_log2 as i64),
                I::I64Shl,
                I::LocalSet(local),
            ]
        } else {
            vec![
                I::MemorySize(m.index),
                I::I32Const(m.page_log2 as i32),
                I::I32Shl,
                I::LocalSet(local),
            ]
        }
    }

    /// `[] → [addr]`: `local` (the size in bytes) minus `back`.
    pub(super) fn end(m: Memory, local: u32, back: i64) -> Vec<I<'static>> {
        if m.is64 {
            vec![I::LocalGet(local), I::I64Const(back), I::I64Sub]
        } else {
            vec![I::LocalGet(local), I::I32Const(back as i32), I::I32Sub]
        }
    }

    /// `[] → [i32]`: 1 when the memory whose size is in `local` has fewer than 16 bytes.
    pub(super) fn small(m: Memory, local: u32) -> Vec<I<'static>> {
        if m.is64 {
            vec![I::LocalGet(local), I::I64Const(16), I::I64LtU]
        } else {
            vec![I::LocalGet(local), I::I32Const(16), I::I32LtU]
        }
    }

    pub(super) fn size_local(&self, m: Memory, second: bool) -> u32 {
        let ty = if m.is64 { Ty::I64 } else { Ty::I32 } as usize;
        if second { self.rhs[ty] } else { self.lhs[ty] }
    }

    pub(super) fn memory(&mut self) -> Vec<I<'static>> {
        let mems = self.wasm3.memories.clone();
        let m = self.pick(&mems);
        let size = self.size_local(m, false);
        let arg = |offset: u64, align: u32| MemArg {
            offset,
            align,
            target: MemArgTarget::Memory(m.index),
            ordering: None,
        };
        // Skipped (flag 0) when the memory is smaller than 16 bytes. Stores
        // change memory but never add a trap (trap-free code guards its
        // accesses and divisors at run time, whatever the values).
        let mut out = vec![I::Block(BlockType::Result(ValType::I32)), I::I32Const(0)];
        out.extend(Self::bytes(m, size));
        out.extend(Self::small(m, size));
        out.extend([I::BrIf(0), I::Drop]);
        let choice = self.below(if self.traps { 8 } else { 7 });
        match choice {
            // The last 8 bytes whole, against their two halves.
            0..4 => {
                let (back, offset) = self.pick(&[(8, 0), (16, 8), (12, 4), (9, 1)]);
                out.extend(Self::end(m, size, back));
                out.push(I::I64Load(arg(offset, if offset % 8 == 0 { 3 } else { 0 })));
                out.extend(Self::end(m, size, back));
                out.push(I::I64Load32U(arg(offset, 0)));
                out.extend(Self::end(m, size, back));
                out.push(I::I64Load32U(arg(offset + 4, 0)));
                out.extend([I::I64Const(32), I::I64Shl, I::I64Or, I::I64Ne]);
            }
            // A store at the very last byte, read back.
            4 | 5 => {
                let v = self.pick(&I32S);
                out.extend(Self::end(m, size, 1));
                out.extend([I::I32Const(v), I::I32Store8(arg(0, 0))]);
                out.extend(Self::end(m, size, 1));
                out.extend([I::I32Load8U(arg(0, 0)), I::I32Const(v & 0xff), I::I32Ne]);
            }
            // The ends of two memories: a known word stored at the end of
            // one and copied to the end of the other, read back there.
            6 if mems.len() > 1 && self.wasm3.copy => {
                let others: Vec<Memory> = mems.iter().copied().filter(|o| o.index != m.index).collect();
                let other = self.pick(&others);
                let src_size = self.size_local(other, true);
                let word = self.pick(&I64S[5..]);
                let src_arg = |offset: u64| MemArg {
                    offset,
                    align: 0,
                    target: MemArgTarget::Memory(other.index),
                    ordering: None,
                };
                out.push(I::I32Const(0));
                out.extend(Self::bytes(other, src_size));
                out.extend(Self::small(other, src_size));
                out.extend([I::BrIf(0), I::Drop]);
                out.extend(Self::end(other, src_size, 8));
                out.extend([I::I64Const(word), I::I64Store(src_arg(0))]);
                out.extend(Self::end(m, size, 8));
                out.extend(Self::end(other, src_size, 8));
                out.push(if m.is64 && other.is64 {
                    I::I64Const(8)
                } else {
                    I::I32Const(8)
                });
                out.push(I::MemoryCopy {
                    dst_mem: m.index,
                    src_mem: other.index,
                });
                out.extend(Self::end(m, size, 8));
                out.extend([I::I64Load(arg(0, 0)), I::I64Const(word), I::I64Ne]);
            }
            // 2^32 past the end of a 64-bit memory: a trap, unless the engine
            // truncates the address to 32 bits.
            7 if m.is64 => {
                out.extend(Self::end(m, size, 8));
                out.extend([I::I64Const(1 << 32), I::I64Add, I::I64Load(arg(0, 0)), I::Drop]);
                out.push(I::I32Const(0));
            }
            _ => out.push(I::I32Const(0)),
        }
        out.push(I::End);
        out
    }
}
