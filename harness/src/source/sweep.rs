//! The instruction boundary sweep: every numeric instruction of the MVP, sign
//! extension and saturating conversions (and SIMD lane operations under the
//! `simd` profile) as a one-instruction module, called with every combination
//! of boundary operands, through the ordinary execute → compare → report path.
//! Float-vector results get their NaN lanes canonicalised in the module.

use crate::source::case::{Call, Origin, TestCase};
use crate::source::profile::Profile;
use crate::source::vectors::{F32_EDGES, F64_EDGES, I32_EDGES, I64_EDGES};
use anyhow::{Context, Result};
use wasmgate_runners::{Val, ValType};

/// Version of the sweep's instruction list and operands; reports carry it
/// where generated runs carry the generator version.
pub const SWEEP_VERSION: &str = "wasmgate-sweep-2";

/// One instruction under test: its text (with immediates), operand and result types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub text: String,
    pub params: Vec<ValType>,
    pub result: ValType,
}

fn op(text: impl Into<String>, params: &[ValType], result: ValType) -> Op {
    Op {
        text: text.into(),
        params: params.to_vec(),
        result,
    }
}

fn ty(name: &str) -> ValType {
    match name {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        _ => ValType::V128,
    }
}

/// The scalar instructions: MVP numerics, sign extension, saturating conversions.
pub fn scalar_ops() -> Vec<Op> {
    use ValType::*;
    let mut ops = Vec::new();
    for (t, tt) in [("i32", I32), ("i64", I64)] {
        for u in ["clz", "ctz", "popcnt", "extend8_s", "extend16_s"] {
            ops.push(op(format!("{t}.{u}"), &[tt], tt));
        }
        ops.push(op(format!("{t}.eqz"), &[tt], I32));
        for b in [
            "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s",
            "shr_u", "rotl", "rotr",
        ] {
            ops.push(op(format!("{t}.{b}"), &[tt, tt], tt));
        }
        for c in [
            "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
        ] {
            ops.push(op(format!("{t}.{c}"), &[tt, tt], I32));
        }
    }
    ops.push(op("i64.extend32_s", &[I64], I64));
    for (t, tt) in [("f32", F32), ("f64", F64)] {
        for u in ["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"] {
            ops.push(op(format!("{t}.{u}"), &[tt], tt));
        }
        for b in ["add", "sub", "mul", "div", "min", "max", "copysign"] {
            ops.push(op(format!("{t}.{b}"), &[tt, tt], tt));
        }
        for c in ["eq", "ne", "lt", "gt", "le", "ge"] {
            ops.push(op(format!("{t}.{c}"), &[tt, tt], I32));
        }
    }
    let conversions = [
        ("i32.wrap_i64", "i64", "i32"),
        ("i64.extend_i32_s", "i32", "i64"),
        ("i64.extend_i32_u", "i32", "i64"),
        ("f32.demote_f64", "f64", "f32"),
        ("f64.promote_f32", "f32", "f64"),
        ("i32.reinterpret_f32", "f32", "i32"),
        ("i64.reinterpret_f64", "f64", "i64"),
        ("f32.reinterpret_i32", "i32", "f32"),
        ("f64.reinterpret_i64", "i64", "f64"),
    ];
    for (name, from, to) in conversions {
        ops.push(op(name, &[ty(from)], ty(to)));
    }
    for to in ["i32", "i64"] {
        for from in ["f32", "f64"] {
            for sign in ["s", "u"] {
                ops.push(op(format!("{to}.trunc_{from}_{sign}"), &[ty(from)], ty(to)));
                ops.push(op(format!("{to}.trunc_sat_{from}_{sign}"), &[ty(from)], ty(to)));
            }
        }
    }
    for to in ["f32", "f64"] {
        for from in ["i32", "i64"] {
            for sign in ["s", "u"] {
                ops.push(op(format!("{to}.convert_{from}_{sign}"), &[ty(from)], ty(to)));
            }
        }
    }
    ops
}

/// SIMD lane operations: splats, lane accesses, lane-wise arithmetic,
/// comparisons, shifts, conversions and reductions.
pub fn simd_ops() -> Vec<Op> {
    use ValType::*;
    let mut ops = Vec::new();
    let shapes = [
        ("i8x16", I32, 16),
        ("i16x8", I32, 8),
        ("i32x4", I32, 4),
        ("i64x2", I64, 2),
    ];
    for (shape, scalar, lanes) in shapes {
        ops.push(op(format!("{shape}.splat"), &[scalar], V128));
        let signs: &[&str] = if lanes > 4 { &["_s", "_u"] } else { &[""] };
        for lane in [0, lanes - 1] {
            for s in signs {
                ops.push(op(format!("{shape}.extract_lane{s} {lane}"), &[V128], scalar));
            }
            ops.push(op(format!("{shape}.replace_lane {lane}"), &[V128, scalar], V128));
        }
        for u in ["abs", "neg"] {
            ops.push(op(format!("{shape}.{u}"), &[V128], V128));
        }
        ops.push(op(format!("{shape}.all_true"), &[V128], I32));
        ops.push(op(format!("{shape}.bitmask"), &[V128], I32));
        for s in ["shl", "shr_s", "shr_u"] {
            ops.push(op(format!("{shape}.{s}"), &[V128, I32], V128));
        }
        let mut binary = vec!["add", "sub", "eq", "ne", "lt_s", "gt_s", "le_s", "ge_s"];
        if shape != "i8x16" {
            binary.push("mul");
        }
        if shape != "i64x2" {
            binary.extend(["lt_u", "gt_u", "le_u", "ge_u", "min_s", "min_u", "max_s", "max_u"]);
        }
        if lanes >= 8 {
            binary.extend(["add_sat_s", "add_sat_u", "sub_sat_s", "sub_sat_u", "avgr_u"]);
        }
        for b in binary {
            ops.push(op(format!("{shape}.{b}"), &[V128, V128], V128));
        }
    }
    for b in [
        "i8x16.narrow_i16x8_s",
        "i8x16.narrow_i16x8_u",
        "i8x16.swizzle",
        "i16x8.narrow_i32x4_s",
        "i16x8.narrow_i32x4_u",
        "i16x8.q15mulr_sat_s",
        "i16x8.extmul_low_i8x16_s",
        "i16x8.extmul_high_i8x16_u",
        "i32x4.dot_i16x8_s",
        "i32x4.extmul_low_i16x8_s",
        "i64x2.extmul_high_i32x4_u",
        "v128.and",
        "v128.or",
        "v128.xor",
        "v128.andnot",
    ] {
        ops.push(op(b, &[V128, V128], V128));
    }
    for u in [
        "i8x16.popcnt",
        "i16x8.extend_low_i8x16_s",
        "i16x8.extend_high_i8x16_u",
        "i16x8.extadd_pairwise_i8x16_s",
        "i32x4.extend_low_i16x8_u",
        "i32x4.extadd_pairwise_i16x8_u",
        "i64x2.extend_high_i32x4_s",
        "i32x4.trunc_sat_f32x4_s",
        "i32x4.trunc_sat_f32x4_u",
        "i32x4.trunc_sat_f64x2_s_zero",
        "i32x4.trunc_sat_f64x2_u_zero",
        "f32x4.convert_i32x4_s",
        "f32x4.convert_i32x4_u",
        "f32x4.demote_f64x2_zero",
        "f64x2.promote_low_f32x4",
        "f64x2.convert_low_i32x4_s",
        "f64x2.convert_low_i32x4_u",
        "v128.not",
    ] {
        ops.push(op(u, &[V128], V128));
    }
    ops.push(op("v128.any_true", &[V128], I32));
    for (shape, scalar, lanes) in [("f32x4", F32, 4), ("f64x2", F64, 2)] {
        ops.push(op(format!("{shape}.splat"), &[scalar], V128));
        for lane in [0, lanes - 1] {
            ops.push(op(format!("{shape}.extract_lane {lane}"), &[V128], scalar));
            ops.push(op(format!("{shape}.replace_lane {lane}"), &[V128, scalar], V128));
        }
        for u in ["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"] {
            ops.push(op(format!("{shape}.{u}"), &[V128], V128));
        }
        for b in [
            "add", "sub", "mul", "div", "min", "max", "pmin", "pmax", "eq", "ne", "lt", "gt", "le", "ge",
        ] {
            ops.push(op(format!("{shape}.{b}"), &[V128, V128], V128));
        }
    }
    ops
}

/// Boundary operands of a type: the vector generator's edges plus the values
/// that sit on conversion and rounding boundaries.
pub fn operands(ty: ValType) -> Vec<Val> {
    match ty {
        ValType::I32 => I32_EDGES
            .iter()
            .chain(&[0x7f, -0x80, 33])
            .map(|v| Val::I32(*v))
            .collect(),
        ValType::I64 => I64_EDGES
            .iter()
            .chain(&[0x7f, i32::MIN as i64 - 1])
            .map(|v| Val::I64(*v))
            .collect(),
        ValType::F32 => F32_EDGES
            .iter()
            .chain(&[
                0xffc0_0000,
                0x7fa0_0000,
                0x4eff_ffff,
                0xbf00_0000,
                0x3fc0_0000,
                0x4020_0000,
            ])
            .map(|v| Val::F32(*v))
            .collect(),
        ValType::F64 => F64_EDGES
            .iter()
            .chain(&[
                0xfff8_0000_0000_0000,
                0x7ff4_0000_0000_0000,
                0x41df_ffff_ffc0_0000,
                0xbfe0_0000_0000_0000,
                0x3ff8_0000_0000_0000,
                0x4004_0000_0000_0000,
            ])
            .map(|v| Val::F64(*v))
            .collect(),
        ValType::V128 => vectors(),
        ValType::FuncRef | ValType::ExternRef | ValType::AnyRef | ValType::ExnRef => vec![Val::zero(ty)],
    }
}

/// Vectors whose lanes walk through every lane shape's boundary values: each
/// list rotated across the lanes, so each edge appears in every lane position.
fn vectors() -> Vec<Val> {
    let mut out = vec![Val::V128(0), Val::V128(u128::MAX)];
    let rotate = |edges: &[u128], width: u32| {
        let lanes = 128 / width;
        let mask = if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        (0..edges.len().min(lanes as usize))
            .map(|k| {
                (0..lanes).fold(0u128, |acc, i| {
                    acc | ((edges[(i as usize + k) % edges.len()] & mask) << (width * i))
                })
            })
            .map(Val::V128)
            .collect::<Vec<_>>()
    };
    let i8: Vec<u128> = [0u8, 1, 0xff, 0x7f, 0x80, 0x81, 2, 0xfe]
        .iter()
        .map(|v| *v as u128)
        .collect();
    let i16: Vec<u128> = [0u16, 1, 0xffff, 0x7fff, 0x8000, 0x00ff, 0xff00, 0x8001]
        .iter()
        .map(|v| *v as u128)
        .collect();
    let f32: Vec<u128> = F32_EDGES.iter().map(|v| *v as u128).collect();
    let f64: Vec<u128> = F64_EDGES.iter().map(|v| *v as u128).collect();
    let i32: Vec<u128> = I32_EDGES.iter().map(|v| *v as u32 as u128).collect();
    out.extend(rotate(&i8, 8).into_iter().take(2));
    out.extend(rotate(&i16, 16).into_iter().take(2));
    out.extend(rotate(&i32, 32).into_iter().take(3));
    out.extend(rotate(&f32, 32).into_iter().take(4));
    out.extend(rotate(&f64, 64));
    out
}

/// The canonical NaN of a float-vector result's lanes, if `op` has one: the
/// spec leaves NaN payloads of arithmetic nondeterministic, so such lanes are
/// canonicalised in the module (as wasm-smith does for generated cases), just
/// as scalar NaNs compare equal to each other.
fn float_lanes(op: &Op) -> Option<&'static str> {
    let compare = [".eq", ".ne", ".lt", ".gt", ".le", ".ge"]
        .iter()
        .any(|c| op.text.ends_with(c));
    if op.result != ValType::V128 || compare {
        return None;
    }
    if op.text.starts_with("f32x4.") {
        Some("(v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000)")
    } else if op.text.starts_with("f64x2.") {
        Some("(v128.const i64x2 0x7ff8000000000000 0x7ff8000000000000)")
    } else {
        None
    }
}

/// The one-instruction module for `op`: `(func (export OP) (param …) (result …))`.
pub fn module(op: &Op) -> Result<Vec<u8>> {
    let params: Vec<&str> = op.params.iter().map(|t| t.name()).collect();
    let gets: String = (0..op.params.len())
        .map(|i| format!("(local.get {i}) "))
        .collect();
    let body = match float_lanes(op) {
        None => format!("{gets}({text})", text = op.text),
        Some(nan) => {
            let (shape, r) = (&op.text[..5], op.params.len());
            format!(
                "(local v128) {gets}({text}) (local.set {r}) \
                 (v128.bitselect (local.get {r}) {nan} ({shape}.eq (local.get {r}) (local.get {r})))",
                text = op.text
            )
        }
    };
    let wat = format!(
        "(module (func (export {name:?}) (param {params}) (result {result}) {body}))",
        name = op.text,
        params = params.join(" "),
        result = op.result.name(),
    );
    wat::parse_str(&wat).with_context(|| format!("sweep module for `{}`", op.text))
}

/// Every combination of boundary operands for `op`, one call each.
pub fn calls(op: &Op) -> Vec<Call> {
    combos(&op.params)
        .into_iter()
        .map(|args| Call {
            export: op.text.clone(),
            args,
            results: vec![op.result],
            expect: None,
        })
        .collect()
}

/// The instructions a profile sweeps: the scalar ones, plus SIMD under `simd`.
pub fn ops(profile: Profile) -> Vec<Op> {
    let mut ops = scalar_ops();
    if profile == Profile::Simd {
        ops.extend(simd_ops());
    }
    ops
}

/// The case for one instruction.
pub fn case(profile: Profile, op: &Op) -> Result<TestCase> {
    let wasm = module(op)?;
    Ok(TestCase {
        origin: Origin::Sweep {
            instruction: op.text.clone(),
            version: SWEEP_VERSION.to_string(),
        },
        wasm,
        calls: calls(op),
        globals: vec![],
        memories: vec![],
        refuel: None,
        features: Some(profile.features()),
        valid: true,
    })
}

/// A boundary value as a WAT constant instruction, exact to the bit.
fn wat_const(v: &Val) -> String {
    fn float(bits: u64, frac_bits: u32, exp_bits: u32) -> String {
        let sign = if bits >> (frac_bits + exp_bits) & 1 == 1 {
            "-"
        } else {
            ""
        };
        let exp = (bits >> frac_bits) & ((1 << exp_bits) - 1);
        let frac = bits & ((1 << frac_bits) - 1);
        let bias = (1i64 << (exp_bits - 1)) - 1;
        let digits = frac_bits.div_ceil(4) as usize;
        let frac = frac << (digits as u32 * 4 - frac_bits);
        if exp == (1 << exp_bits) - 1 {
            if frac == 0 {
                format!("{sign}inf")
            } else {
                format!("{sign}nan:0x{:x}", bits & ((1 << frac_bits) - 1))
            }
        } else if exp == 0 {
            format!("{sign}0x0.{frac:0digits$x}p{}", 1 - bias)
        } else {
            format!("{sign}0x1.{frac:0digits$x}p{}", exp as i64 - bias)
        }
    }
    match v {
        Val::I32(x) => format!("(i32.const {x})"),
        Val::I64(x) => format!("(i64.const {x})"),
        Val::F32(b) => format!("(f32.const {})", float(u64::from(*b), 23, 8)),
        Val::F64(b) => format!("(f64.const {})", float(*b, 52, 11)),
        other => format!("{other}"),
    }
}

/// Every combination of boundary values for `params`.
fn combos(params: &[ValType]) -> Vec<Vec<Val>> {
    let mut combos: Vec<Vec<Val>> = vec![vec![]];
    for p in params {
        let values = operands(*p);
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut args = prefix.clone();
                    args.push(*v);
                    args
                })
            })
            .collect();
    }
    combos
}

/// How the sweep presents an instruction to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Operands from parameters, the result returned.
    Plain,
    /// One operand an immediate constant, once per boundary value and position.
    Const,
    /// The result (or, for comparisons, a comparison with a constant operand)
    /// feeding `if`, `br_if` and `select`.
    Branch,
}

impl Form {
    /// Every form, in sweep order.
    pub const ALL: [Form; 3] = [Form::Plain, Form::Const, Form::Branch];

    fn suffix(self) -> &'static str {
        match self {
            Form::Plain => "",
            Form::Const => " (constant operand)",
            Form::Branch => " (feeding a branch)",
        }
    }
}

/// One function of a form's module: its name, the operator's operands as
/// parameters or constants, and what it does with the result.
struct Variant {
    name: String,
    /// Per operand: `None` from a parameter, `Some(v)` a constant.
    operands: Vec<Option<Val>>,
    /// `None`: return the result; `Some(consumer)`: 1 or 0 from `if`, `br_if` or `select`.
    consumer: Option<&'static str>,
}

fn variant_body(op: &Op, v: &Variant) -> String {
    let mut param = 0;
    let mut args = String::new();
    for o in &v.operands {
        match o {
            Some(val) => args.push_str(&wat_const(val)),
            None => {
                args.push_str(&format!("(local.get {param})"));
                param += 1;
            }
        }
        args.push(' ');
    }
    let instr = format!("{args}({})", op.text);
    match v.consumer {
        None => instr,
        Some("if") => format!("{instr} (if (result i32) (then (i32.const 1)) (else (i32.const 0)))"),
        Some("br_if") => format!("(block (result i32) (i32.const 1) {instr} (br_if 0) (drop) (i32.const 0))"),
        Some(_) => format!("(i32.const 1) (i32.const 0) {instr} (select)"),
    }
}

/// The variants of `op` in `form` (none when the form does not apply).
fn variants(op: &Op, form: Form) -> Vec<Variant> {
    let params = || op.params.iter().map(|_| None).collect::<Vec<_>>();
    match form {
        Form::Plain => vec![Variant {
            name: op.text.clone(),
            operands: params(),
            consumer: None,
        }],
        Form::Const => {
            let mut out = Vec::new();
            for (k, ty) in op.params.iter().enumerate() {
                for (n, val) in operands(*ty).into_iter().enumerate() {
                    let mut operands = params();
                    operands[k] = Some(val);
                    out.push(Variant {
                        name: format!("{} const{k}#{n}", op.text),
                        operands,
                        consumer: None,
                    });
                }
            }
            out
        }
        Form::Branch if op.result == ValType::I32 => {
            let mut out = Vec::new();
            for consumer in ["if", "br_if", "select"] {
                out.push(Variant {
                    name: format!("{} {consumer}", op.text),
                    operands: params(),
                    consumer: Some(consumer),
                });
                // Comparisons against a constant feeding a branch: `x < 10 → br_if`.
                if op.params.len() == 2 {
                    let last = op.params.len() - 1;
                    for (n, val) in operands(op.params[last]).into_iter().enumerate() {
                        let mut operands = params();
                        operands[last] = Some(val);
                        out.push(Variant {
                            name: format!("{} const{last}#{n} {consumer}", op.text),
                            operands,
                            consumer: Some(consumer),
                        });
                    }
                }
            }
            out
        }
        Form::Branch => vec![],
    }
}

/// The case for `op` in `form`, if the form applies to it.
pub fn case_in(profile: Profile, op: &Op, form: Form) -> Result<Option<TestCase>> {
    if form == Form::Plain {
        return case(profile, op).map(Some);
    }
    let variants = variants(op, form);
    if variants.is_empty() || op.params.contains(&ValType::V128) || op.result == ValType::V128 {
        return Ok(None);
    }
    let mut funcs = String::new();
    let mut calls = Vec::new();
    for v in &variants {
        let params: Vec<ValType> = op
            .params
            .iter()
            .zip(&v.operands)
            .filter(|(_, o)| o.is_none())
            .map(|(t, _)| *t)
            .collect();
        let result = if v.consumer.is_some() {
            ValType::I32
        } else {
            op.result
        };
        let names: Vec<&str> = params.iter().map(|t| t.name()).collect();
        funcs.push_str(&format!(
            "(func (export {name:?}) (param {p}) (result {r}) {body})\n",
            name = v.name,
            p = names.join(" "),
            r = result.name(),
            body = variant_body(op, v)
        ));
        for args in combos(&params) {
            calls.push(Call {
                export: v.name.clone(),
                args,
                results: vec![result],
                expect: None,
            });
        }
    }
    let wasm = wat::parse_str(format!("(module {funcs})"))
        .with_context(|| format!("sweep module for `{}`{}", op.text, form.suffix()))?;
    Ok(Some(TestCase {
        origin: Origin::Sweep {
            instruction: format!("{}{}", op.text, form.suffix()),
            version: SWEEP_VERSION.to_string(),
        },
        wasm,
        calls,
        globals: vec![],
        memories: vec![],
        refuel: None,
        features: Some(profile.features()),
        valid: true,
    }))
}

/// One sweep item written as a module's text (the 3.0 and control items):
/// its name, the module and its calls.
pub struct Item {
    pub name: &'static str,
    pub wat: String,
    pub calls: Vec<Call>,
}

impl Item {
    /// The item as a sweep case whose module may use `features`.
    pub fn case(self, features: Vec<wasmgate_runners::Feature>) -> Result<TestCase> {
        let wasm = wat::parse_str(&self.wat).with_context(|| format!("the sweep item {}", self.name))?;
        Ok(TestCase {
            origin: Origin::Sweep {
                instruction: self.name.to_string(),
                version: SWEEP_VERSION.to_string(),
            },
            wasm,
            calls: self.calls,
            globals: vec![],
            memories: vec![],
            refuel: None,
            features: Some(features),
            valid: true,
        })
    }
}

/// The cases a profile sweeps, for the instructions `keep` accepts: those
/// that validate under the profile (the mvp profile leaves out what needs sign
/// extension or saturating conversions).
pub fn cases(profile: Profile, keep: impl Fn(&str) -> bool) -> Result<Vec<TestCase>> {
    let features = profile.features();
    let mut cases = Vec::new();
    if profile == Profile::Wasm3 {
        // The 3.0 items first: they are what this profile's sweep adds.
        cases.extend(crate::source::sweep_wasm3::cases(&keep)?);
    }
    cases.extend(crate::source::sweep_control::cases(profile, &keep)?);
    for form in Form::ALL {
        for op in ops(profile) {
            if !keep(&op.text) {
                continue;
            }
            let Some(case) = case_in(profile, &op, form)? else {
                continue;
            };
            if crate::source::module_info::validate(&case.wasm, &features).is_ok() {
                cases.push(case);
            }
        }
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_builds_a_valid_module_for_its_profile() {
        for profile in [Profile::Default, Profile::Simd] {
            for op in ops(profile) {
                let c = case(profile, &op).unwrap();
                crate::source::module_info::validate(&c.wasm, &profile.features()).unwrap();
                let combos: usize = op.params.iter().map(|p| operands(*p).len()).product();
                assert_eq!(c.calls.len(), combos, "{}", op.text);
            }
        }
        assert!(ops(Profile::Default).len() > 120);
        assert!(ops(Profile::Simd).len() > ops(Profile::Default).len() + 100);
    }

    #[test]
    fn calls_cover_every_operand_pair() {
        let add = op("i32.add", &[ValType::I32, ValType::I32], ValType::I32);
        let n = operands(ValType::I32).len();
        let calls = calls(&add);
        assert_eq!(calls.len(), n * n);
        assert!(
            calls
                .iter()
                .any(|c| c.args == vec![Val::I32(i32::MIN), Val::I32(-1)])
        );
    }
}
