//! The sweep's WebAssembly 3.0 items (`sweep --profile wasm3`): the 3.0
//! operations that take operands, each in one small module whose exports
//! take the sweep's boundary operands and return what the operation gave, so
//! every engine with the feature answers the same calls.
//!
//! - `i31`: `ref.i31` then `i31.get_s`/`i31.get_u` of every i32 boundary
//!   (the 31-bit wrap and sign extension at ±2^30).
//! - `ref.eq`: two i31s of every boundary pair; a struct with itself and
//!   with another; nulls; an i31 with a struct.
//! - `array`: `array.len` of a new array of every small length (the low
//!   byte of the operand), `array.get` at every boundary index of a
//!   three-element array (in bounds, at `len`, far past it).
//! - `throw`: a payload of each number type (and an i32/i64 pair) thrown and
//!   caught by `try_table`, returned as it was thrown.
//! - `memory64`: `i32.load` and `i32.store` at every i64 boundary address of
//!   a one-page 64-bit memory (above 2^32 must trap, never wrap to 32 bits),
//!   and `memory.copy` between two memories (a 32-bit one into the 64-bit
//!   one, and between two 32-bit ones).
//! - `ref.test`: one value of each kind (null, i31, a struct type, its two
//!   sibling subtypes, a final subtype of one of them, an array) tested
//!   against every type of the hierarchy, the answers folded into a bit
//!   mask; `ref.cast` of each to one subtype (the failures trap).
//! - `return_call`: a tail-recursive sum whose depth is the operand (up to
//!   2^20 calls: without tail calls the stack overflows) and a tail call
//!   passing a number of each type through.
//! - `wide-arithmetic` (where engines have it: wasmtime, wasmer's Cranelift,
//!   wasmi): `i64.add128`/`i64.sub128` of every pair of i64 boundaries as the
//!   low halves (the carry and borrow) with high halves 0, -1 and MAX, and
//!   `i64.mul_wide_s`/`i64.mul_wide_u` of every boundary pair (the high half
//!   of a 128-bit product).

use super::case::{Call, TestCase};
use super::profile::Profile;
use super::sweep::{Item, operands};
use anyhow::Result;
use wasmgate_runners::{Val, ValType};

fn call(export: &str, args: Vec<Val>, result: ValType) -> Call {
    Call {
        export: export.to_string(),
        args,
        results: vec![result],
        expect: None,
    }
}

/// A call of `export` per boundary value of `ty`.
fn each(export: &str, ty: ValType, result: ValType) -> Vec<Call> {
    operands(ty)
        .into_iter()
        .map(|v| call(export, vec![v], result))
        .collect()
}

fn items() -> Vec<Item> {
    use ValType::{F32, F64, I32, I64};
    let mut out = Vec::new();

    let mut calls = each("get_s", I32, I32);
    calls.extend(each("get_u", I32, I32));
    out.push(Item {
        name: "i31",
        wat: r#"(module
  (func (export "get_s") (param i32) (result i32) (i31.get_s (ref.i31 (local.get 0))))
  (func (export "get_u") (param i32) (result i32) (i31.get_u (ref.i31 (local.get 0)))))"#
            .into(),
        calls,
    });

    let i32s = operands(I32);
    let mut calls = Vec::new();
    for a in &i32s {
        for b in &i32s {
            calls.push(call("i31s", vec![*a, *b], I32));
        }
    }
    for export in ["same_struct", "two_structs", "nulls", "i31_struct"] {
        calls.push(call(export, vec![], I32));
    }
    out.push(Item {
        name: "ref.eq",
        wat: r#"(module
  (type $s (struct (field i32)))
  (func (export "i31s") (param i32 i32) (result i32)
    (ref.eq (ref.i31 (local.get 0)) (ref.i31 (local.get 1))))
  (func (export "same_struct") (result i32) (local $x (ref null $s))
    (local.set $x (struct.new $s (i32.const 1)))
    (ref.eq (local.get $x) (local.get $x)))
  (func (export "two_structs") (result i32)
    (ref.eq (struct.new $s (i32.const 1)) (struct.new $s (i32.const 1))))
  (func (export "nulls") (result i32) (ref.eq (ref.null eq) (ref.null none)))
  (func (export "i31_struct") (result i32)
    (ref.eq (ref.i31 (i32.const 1)) (struct.new $s (i32.const 1)))))"#
            .into(),
        calls,
    });

    let mut calls = each("len", I32, I32);
    calls.extend(each("get", I32, I32));
    out.push(Item {
        name: "array",
        wat: r#"(module
  (type $a (array (mut i32)))
  (func (export "len") (param i32) (result i32)
    (array.len (array.new_default $a (i32.and (local.get 0) (i32.const 255)))))
  (func (export "get") (param i32) (result i32)
    (array.get $a (array.new_fixed $a 3 (i32.const 10) (i32.const 20) (i32.const 30)) (local.get 0))))"#
            .into(),
        calls,
    });

    let mut calls = Vec::new();
    for ty in [I32, I64, F32, F64] {
        calls.extend(each(&format!("{ty}"), ty, ty));
    }
    for a in &i32s {
        calls.push(Call {
            export: "pair".into(),
            args: vec![*a, Val::I64(-2)],
            results: vec![I32, I64],
            expect: None,
        });
    }
    let mut wat = String::from("(module\n  (tag $pair (param i32 i64))\n");
    for ty in ["i32", "i64", "f32", "f64"] {
        wat.push_str(&format!(
            "  (tag $t{ty} (param {ty}))
  (func (export \"{ty}\") (param {ty}) (result {ty})
    (block $caught (result {ty})
      (try_table (catch $t{ty} $caught) (throw $t{ty} (local.get 0)))
      (unreachable)))\n"
        ));
    }
    wat.push_str(
        "  (func (export \"pair\") (param i32 i64) (result i32 i64)
    (block $caught (result i32 i64)
      (try_table (catch $pair $caught) (throw $pair (local.get 0) (local.get 1)))
      (unreachable))))",
    );
    out.push(Item {
        name: "throw",
        wat,
        calls,
    });

    let mut calls = each("load", I64, I32);
    calls.extend(each("store", I64, I32));
    calls.extend(each("copy", I64, I32));
    calls.extend(each("copy32", I32, I32));
    out.push(Item {
        name: "memory64",
        wat: r#"(module
  (memory $m i64 1 1)
  (memory $other 1 1)
  (memory $third 1 1)
  (data (memory $m) (i64.const 65532) "\01\02\03\04")
  (data (memory $other) (i32.const 0) "\05\06\07\08")
  (data (memory $third) (i32.const 0) "\09\0a\0b\0c")
  (func (export "load") (param i64) (result i32) (i32.load $m (local.get 0)))
  (func (export "store") (param i64) (result i32)
    (i32.store $m (local.get 0) (i32.const 0x5a5a5a5a))
    (i32.load $m (local.get 0)))
  (func (export "copy") (param i64) (result i32)
    (memory.copy $m $other (local.get 0) (i32.const 0) (i32.const 4))
    (i32.load $m (local.get 0)))
  (func (export "copy32") (param i32) (result i32)
    (memory.copy $other $third (local.get 0) (i32.const 0) (i32.const 4))
    (i32.load $other (local.get 0))))"#
            .into(),
        calls,
    });

    let mut calls = each("test", I32, I32);
    calls.extend(each("cast", I32, I32));
    out.push(Item {
        name: "ref.test",
        wat: r#"(module
  (rec
    (type $top (sub (struct)))
    (type $left (sub $top (struct (field i32))))
    (type $right (sub $top (struct (field i64))))
    (type $leaf (sub final $left (struct (field i32) (field f32))))
    (type $arr (array i8)))
  ;; One value per kind, picked by the operand (unsigned, modulo 7).
  (func $pick (param i32) (result anyref)
    (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
      (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 (i32.rem_u (local.get 0) (i32.const 7))))
      (return (ref.null none)))
      (return (ref.i31 (local.get 0))))
      (return (struct.new $top)))
      (return (struct.new $left (i32.const 1))))
      (return (struct.new $right (i64.const 2))))
      (return (struct.new $leaf (i32.const 3) (f32.const 4))))
    (array.new_default $arr (i32.const 2)))
  (func (export "test") (param i32) (result i32) (local $v anyref)
    (local.set $v (call $pick (local.get 0)))
    (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or
      (ref.test anyref (local.get $v))
      (i32.shl (ref.test (ref any) (local.get $v)) (i32.const 1)))
      (i32.shl (ref.test (ref eq) (local.get $v)) (i32.const 2)))
      (i32.shl (ref.test (ref i31) (local.get $v)) (i32.const 3)))
      (i32.shl (ref.test (ref struct) (local.get $v)) (i32.const 4)))
      (i32.shl (ref.test (ref array) (local.get $v)) (i32.const 5)))
      (i32.shl (ref.test (ref $top) (local.get $v)) (i32.const 6)))
      (i32.shl (ref.test (ref $left) (local.get $v)) (i32.const 7)))
      (i32.shl (ref.test (ref $right) (local.get $v)) (i32.const 8)))
      (i32.shl (ref.test (ref null $leaf) (local.get $v)) (i32.const 9)))
      (i32.shl (ref.test (ref $arr) (local.get $v)) (i32.const 10))))
  (func (export "cast") (param i32) (result i32)
    (struct.get $left 0 (ref.cast (ref $left) (call $pick (local.get 0))))))"#
            .into(),
        calls,
    });

    let mut calls = each("sum", I32, I64);
    for ty in [I32, I64, F32, F64] {
        calls.extend(each(&format!("pass_{ty}"), ty, ty));
    }
    let mut wat = String::from(
        r#"(module
  (func $sum (param $n i32) (param $acc i64) (result i64)
    (if (i32.eqz (local.get $n)) (then (return (local.get $acc))))
    (return_call $sum (i32.sub (local.get $n) (i32.const 1))
      (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n)))))
  (func (export "sum") (param i32) (result i64)
    (return_call $sum (i32.and (local.get 0) (i32.const 0xfffff)) (i64.const 0)))
"#,
    );
    for ty in ["i32", "i64", "f32", "f64"] {
        wat.push_str(&format!(
            "  (func $id_{ty} (param i32 {ty}) (result {ty}) (local.get 1))
  (func (export \"pass_{ty}\") (param {ty}) (result {ty})
    (return_call $id_{ty} (i32.const 7) (local.get 0)))\n"
        ));
    }
    wat.push(')');
    out.push(Item {
        name: "return_call",
        wat,
        calls,
    });

    let i64s = operands(I64);
    let highs = [Val::I64(0), Val::I64(-1), Val::I64(i64::MAX)];
    let mut calls = Vec::new();
    for (k, a) in i64s.iter().enumerate() {
        for (j, b) in i64s.iter().enumerate() {
            let (ha, hb) = (highs[k % 3], highs[(j + k) % 3]);
            for export in ["add128", "sub128"] {
                calls.push(Call {
                    export: export.into(),
                    args: vec![*a, ha, *b, hb],
                    results: vec![I64, I64],
                    expect: None,
                });
            }
            for export in ["mul_wide_s", "mul_wide_u"] {
                calls.push(Call {
                    export: export.into(),
                    args: vec![*a, *b],
                    results: vec![I64, I64],
                    expect: None,
                });
            }
        }
    }
    out.push(Item {
        name: "wide-arithmetic",
        wat: r#"(module
  (func (export "add128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "sub128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mul_wide_s") (param i64 i64) (result i64 i64)
    (i64.mul_wide_s (local.get 0) (local.get 1)))
  (func (export "mul_wide_u") (param i64 i64) (result i64 i64)
    (i64.mul_wide_u (local.get 0) (local.get 1))))"#
            .into(),
        calls,
    });
    out
}

/// The 3.0 items whose name `keep` accepts, as sweep cases.
pub fn cases(keep: impl Fn(&str) -> bool) -> Result<Vec<TestCase>> {
    items()
        .into_iter()
        .filter(|item| keep(item.name))
        .map(|item| {
            let mut features = Profile::Wasm3.features();
            // Not in the profile (few engines have it): this item only.
            if item.name == "wide-arithmetic" {
                features.push(wasmgate_runners::Feature::WideArithmetic);
            }
            item.case(features)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_valid_wasm3_and_calls_its_own_exports() {
        let cases = cases(|_| true).unwrap();
        assert_eq!(cases.len(), 8);
        for c in &cases {
            crate::source::module_info::validate(&c.wasm, c.features.as_ref().unwrap()).unwrap();
            let info = crate::source::module_info::inspect(&c.wasm).unwrap();
            assert!(!c.calls.is_empty());
            for call in &c.calls {
                assert!(
                    info.funcs.iter().any(|f| f.name == call.export),
                    "{}: no export {}",
                    c.origin,
                    call.export
                );
            }
        }
    }
}
