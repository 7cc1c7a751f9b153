//! One tiny module per feature, the smallest use of that feature: an engine
//! runs a feature when it compiles and instantiates its probe. JavaScript
//! engines are probed as they start (they declare what they really run);
//! the in-process engines' declared lists are checked against their probes
//! by a test. Invariant: each probe validates under wasmparser with exactly
//! the MVP plus its own feature (and the ones it builds on), so a probe never
//! tests two things at once.

use crate::engine::Feature;

/// The probe of `feature`, in the text format.
pub fn wat(feature: Feature) -> &'static str {
    match feature {
        Feature::MutableGlobal => r#"(module (global (export "g") (mut i32) (i32.const 0)))"#,
        Feature::SaturatingFloatToInt => "(module (func (result i32) (i32.trunc_sat_f32_s (f32.const 1))))",
        Feature::SignExtension => "(module (func (result i32) (i32.extend8_s (i32.const 1))))",
        Feature::MultiValue => "(module (func (result i32 i32) (i32.const 1) (i32.const 2)))",
        Feature::BulkMemory => {
            "(module (memory 1) (func (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))))"
        }
        Feature::ReferenceTypes => {
            "(module (table 1 externref) (func (param externref) (table.set (i32.const 0) (local.get 0))))"
        }
        Feature::Simd => "(module (func (result v128) (v128.const i64x2 0 0)))",
        Feature::RelaxedSimd => {
            "(module (func (result v128) (i32x4.relaxed_trunc_f32x4_s (v128.const i64x2 0 0))))"
        }
        Feature::TailCall => "(module (func $f (return_call $f)))",
        Feature::ExtendedConst => "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
        Feature::MultiMemory => "(module (memory 1) (memory 1))",
        Feature::Memory64 => "(module (memory i64 1) (func (result i32) (i32.load (i64.const 0))))",
        Feature::WideArithmetic => {
            "(module (func (result i64 i64) (i64.add128 (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 0))))"
        }
        Feature::Exceptions => {
            "(module (tag $t) (func (result exnref) (block $h (result exnref) (try_table (catch_all_ref $h) (throw $t)) (unreachable))))"
        }
        Feature::LegacyExceptions => "(module (tag $t) (func try throw $t catch $t end))",
        Feature::Threads => {
            "(module (memory 1 1 shared) (func (result i32) (i32.atomic.load (i32.const 0))))"
        }
        Feature::Gc => {
            "(module (type $s (struct (field i32))) (func (result anyref) (struct.new $s (i32.const 1))))"
        }
        Feature::FunctionReferences => {
            "(module (type $t (func)) (func (param (ref null $t)) (call_ref $t (local.get 0))))"
        }
        Feature::CustomPageSizes => "(module (memory 1 (pagesize 1)))",
    }
}

/// The probe of `feature` in the binary format.
pub fn wasm(feature: Feature) -> Vec<u8> {
    wat::parse_str(wat(feature)).unwrap_or_else(|e| panic!("the probe of {feature} does not parse: {e}"))
}

/// The observer module a JavaScript engine with GC keeps beside its cases:
/// JavaScript sees a struct, an array and a host value alike (opaque
/// objects), so the worker asks this module what a reference of the `any`
/// hierarchy is — `kind`: 0 null, 1 i31, 2 struct, 3 array, 4 anything else —
/// and an i31's value, as a native engine reads them off its own references.
pub const OBSERVER_WAT: &str = r#"(module
  (func (export "kind") (param anyref) (result i32)
    (if (ref.is_null (local.get 0)) (then (return (i32.const 0))))
    (if (ref.test (ref i31) (local.get 0)) (then (return (i32.const 1))))
    (if (ref.test (ref struct) (local.get 0)) (then (return (i32.const 2))))
    (if (ref.test (ref array) (local.get 0)) (then (return (i32.const 3))))
    (i32.const 4))
  (func (export "i31") (param anyref) (result i32)
    (i31.get_s (ref.cast (ref i31) (local.get 0)))))"#;

/// [`OBSERVER_WAT`] in the binary format.
pub fn observer() -> Vec<u8> {
    wat::parse_str(OBSERVER_WAT).expect("the observer module parses")
}

/// The features whose probe `runs` accepts, in [`Feature::ALL`]'s (sorted) order.
pub fn supported(mut runs: impl FnMut(&[u8]) -> bool) -> Vec<Feature> {
    Feature::ALL.into_iter().filter(|f| runs(&wasm(*f))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_probe_needs_its_feature_and_nothing_else() {
        for f in Feature::ALL {
            let wasm = wasm(f);
            let floor = Feature::wasmparser_set(f.builds_on());
            let with = floor | f.wasmparser();
            assert!(
                wasmparser::Validator::new_with_features(with)
                    .validate_all(&wasm)
                    .is_ok(),
                "the probe of {f} is invalid with {f}: {:?}",
                wasmparser::Validator::new_with_features(with)
                    .validate_all(&wasm)
                    .err()
            );
            assert!(
                wasmparser::Validator::new_with_features(floor)
                    .validate_all(&wasm)
                    .is_err(),
                "the probe of {f} is valid without {f}"
            );
        }
    }

    #[test]
    fn the_observer_needs_gc_only() {
        let gc =
            Feature::wasmparser_set(&[Feature::Gc, Feature::ReferenceTypes, Feature::FunctionReferences]);
        assert!(
            wasmparser::Validator::new_with_features(gc)
                .validate_all(&observer())
                .is_ok()
        );
    }

    /// The in-process engines declare their features by configuration: each
    /// runs exactly the probes of the features it declares.
    #[test]
    fn in_process_engines_declare_exactly_what_they_run() {
        let native = crate::registry::names()
            .into_iter()
            .filter(|n| !n.starts_with("v8") && !n.starts_with("jsc") && !n.starts_with("spidermonkey"));
        for name in native {
            let engine = crate::registry::build(name).unwrap();
            let ran = supported(|wasm| {
                engine
                    .compile(wasm)
                    .is_ok_and(|compiled| compiled.instantiate().is_ok())
            });
            assert_eq!(
                engine.info().features,
                ran,
                "{name}: declared (in order) vs probed"
            );
        }
    }
}
