//! Seeded argument vectors: about half boundary values, half random bit patterns.

use crate::source::case::Call;
use crate::source::generate::{rng, streams};
use crate::source::module_info::ModuleInfo;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::RngCore;
use wasmgate_runners::{Val, ValType};

pub(crate) const I32_EDGES: [i32; 12] = [
    0,
    1,
    -1,
    2,
    i32::MIN,
    i32::MAX,
    i32::MIN + 1,
    31,
    32,
    0x80,
    0xffff,
    0x7fff_fff0,
];
pub(crate) const I64_EDGES: [i64; 12] = [
    0,
    1,
    -1,
    2,
    i64::MIN,
    i64::MAX,
    i64::MIN + 1,
    63,
    64,
    0xffff_ffff,
    0x8000_0000,
    -0x8000_0000,
];
pub(crate) const F32_EDGES: [u32; 16] = [
    0x0000_0000, // +0
    0x8000_0000, // -0
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x7f80_0000, // +inf
    0xff80_0000, // -inf
    0x7fc0_0000, // canonical NaN
    0x0000_0001, // smallest subnormal
    0x007f_ffff, // largest subnormal
    0x0080_0000, // smallest normal
    0x7f7f_ffff, // largest finite
    0x3f00_0000, // 0.5
    0x4f00_0000, // 2^31 (int conversion edge)
    0xcf00_0000, // -2^31
    0x4f80_0000, // 2^32
    0x5f00_0000, // 2^63
];
pub(crate) const F64_EDGES: [u64; 16] = [
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x3fe0_0000_0000_0000,
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0020_0000, // just below -2^31 - 1
    0x41f0_0000_0000_0000, // 2^32
    0x43e0_0000_0000_0000, // 2^63
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[(rng.next_u32() as usize) % items.len()]
}

fn splat32(x: u32) -> u128 {
    let x = x as u128;
    x | (x << 32) | (x << 64) | (x << 96)
}

/// One argument of type `ty`: a boundary value or random bits, even odds.
pub fn value(rng: &mut ChaCha8Rng, ty: ValType) -> Val {
    let edge = rng.next_u32() & 1 == 0;
    value_of(rng, ty, edge)
}

/// One argument of type `ty`, a boundary value if `edge`, else random bits.
fn value_of(rng: &mut ChaCha8Rng, ty: ValType, edge: bool) -> Val {
    match ty {
        ValType::I32 if edge => Val::I32(pick(rng, &I32_EDGES)),
        ValType::I32 => Val::I32(rng.next_u32() as i32),
        ValType::I64 if edge => Val::I64(pick(rng, &I64_EDGES)),
        ValType::I64 => Val::I64(rng.next_u64() as i64),
        ValType::F32 if edge => Val::F32(pick(rng, &F32_EDGES)),
        ValType::F32 => Val::F32(rng.next_u32()),
        ValType::F64 if edge => Val::F64(pick(rng, &F64_EDGES)),
        ValType::F64 => Val::F64(rng.next_u64()),
        ValType::V128 if edge => Val::V128(match rng.next_u32() % 4 {
            0 => splat32(pick(rng, &F32_EDGES)),
            1 => splat32(pick(rng, &I32_EDGES) as u32),
            2 => u128::from(pick(rng, &F64_EDGES)) | (u128::from(pick(rng, &F64_EDGES)) << 64),
            _ => pick(rng, &[0, u128::MAX, 1, 1 << 127]),
        }),
        ValType::V128 => Val::V128(u128::from(rng.next_u64()) | (u128::from(rng.next_u64()) << 64)),
        // Without a host, null is the only reference an argument can hold.
        // A null is the one reference a vector can name for every reference
        // type that has one (an engine refuses it for a non-null parameter).
        ValType::FuncRef | ValType::ExternRef | ValType::AnyRef | ValType::ExnRef => Val::zero(ty),
    }
}

/// Arguments for one call, in one of four mixes: each a boundary value or
/// random bits at even odds, all boundary values, all random, or one boundary
/// value repeated for every parameter of its type (`x op x`).
fn arguments(rng: &mut ChaCha8Rng, params: &[ValType]) -> Vec<Val> {
    match rng.next_u32() % 4 {
        0 => params.iter().map(|t| value(rng, *t)).collect(),
        1 => params.iter().map(|t| value_of(rng, *t, true)).collect(),
        2 => params.iter().map(|t| value_of(rng, *t, false)).collect(),
        _ => {
            let mut first: Vec<(ValType, Val)> = Vec::new();
            params
                .iter()
                .map(|t| match first.iter().find(|(ty, _)| ty == t) {
                    Some((_, v)) => *v,
                    None => {
                        let v = value_of(rng, *t, true);
                        first.push((*t, v));
                        v
                    }
                })
                .collect()
        }
    }
}

/// The calls for a module: every callable export, in export order,
/// `per_export` times each with fresh arguments, each a boundary value or
/// random bits at even odds (the vectors of module files and `check`).
pub fn calls(info: &ModuleInfo, seed: u64, per_export: usize) -> Vec<Call> {
    calls_with(info, seed, per_export, |rng, params| {
        params.iter().map(|t| value(rng, *t)).collect()
    })
}

/// [`calls`] for generated modules: each call's arguments in one of the
/// four mixes of [`arguments`].
pub fn mixed_calls(info: &ModuleInfo, seed: u64, per_export: usize) -> Vec<Call> {
    calls_with(info, seed, per_export, arguments)
}

fn calls_with(
    info: &ModuleInfo,
    seed: u64,
    per_export: usize,
    args: impl Fn(&mut ChaCha8Rng, &[ValType]) -> Vec<Val>,
) -> Vec<Call> {
    let mut rng = rng(seed, streams::VECTORS);
    let mut calls = Vec::with_capacity(info.funcs.len() * per_export);
    for func in &info.funcs {
        for _ in 0..per_export {
            calls.push(Call {
                export: func.name.clone(),
                args: args(&mut rng, &func.params),
                results: func.results.clone(),
                expect: None,
            });
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_half_the_arguments_are_boundary_values() {
        let mut rng = rng(1, streams::VECTORS);
        let n = 4000;
        let edges = (0..n)
            .filter(|_| matches!(value(&mut rng, ValType::I32), Val::I32(x) if I32_EDGES.contains(&x)))
            .count();
        assert!((n * 4 / 10..n * 6 / 10).contains(&edges), "{edges} of {n}");
    }

    #[test]
    fn vectors_are_seeded() {
        let info = crate::source::module_info::inspect(
            &wat::parse_str(r#"(module (func (export "f") (param i64 f32 v128)))"#).unwrap(),
        )
        .unwrap();
        assert_eq!(calls(&info, 5, 4), calls(&info, 5, 4));
        assert_ne!(calls(&info, 5, 4), calls(&info, 6, 4));
        assert_eq!(calls(&info, 5, 4).len(), 4);
    }
}
