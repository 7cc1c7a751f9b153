//! A second generation source: modules made by mutating real ones — corpus
//! entries (programs that once broke an engine), a team's own modules, the
//! spec testsuite's — with `wasm-mutate`, so campaigns also explore the
//! neighbourhood of programs known to be interesting.
//!
//! `(module bytes, mutation seed)` → the same mutant on every machine.

use crate::source::case::{CALLS_PER_EXPORT, Origin, TestCase};

/// Fuel wasm-mutate may spend on one mutant (its own budget, not the module's).
const MUTATION_FUEL: u64 = 1_000;

/// Tries wasm-mutate with this seed and the next few until one yields a valid
/// module different from `wasm`; `None` when no mutation applies.
pub fn mutant(wasm: &[u8], seed: u64, preserve_semantics: bool) -> Option<Vec<u8>> {
    for attempt in 0..4u64 {
        let mut mutate = wasm_mutate::WasmMutate::default();
        mutate
            .seed(seed.wrapping_mul(4).wrapping_add(attempt))
            .fuel(MUTATION_FUEL)
            .preserve_semantics(preserve_semantics);
        let Ok(mut mutants) = mutate.run(wasm) else {
            continue;
        };
        if let Some(Ok(bytes)) = mutants.next()
            && bytes != wasm
            && crate::source::module_info::inspect(&bytes).is_ok()
        {
            return Some(bytes);
        }
    }
    None
}

/// The case for mutant `seed` of the module `name`: its seeded calls (seeded
/// by the mutation seed), refuelled if the mutant kept a generated module's fuel global.
pub fn case(name: &str, wasm: &[u8], seed: u64, preserve_semantics: bool) -> Option<TestCase> {
    let bytes = mutant(wasm, seed, preserve_semantics)?;
    let origin = Origin::File {
        path: format!("{name} (wasm-mutate seed {seed})"),
    };
    Some(TestCase::from_module(origin, bytes, seed, CALLS_PER_EXPORT))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mutants_are_seeded_valid_and_different() {
        let wasm = wat::parse_str(
            r#"(module (memory 1) (func (export "f") (param i32 i32) (result i32)
                 (i32.add (i32.mul (local.get 0) (i32.const 7)) (local.get 1))))"#,
        )
        .unwrap();
        let a = super::mutant(&wasm, 3, false).unwrap();
        assert_eq!(Some(a.clone()), super::mutant(&wasm, 3, false));
        assert_ne!(a, wasm);
        let distinct: std::collections::HashSet<Vec<u8>> =
            (0..10).filter_map(|s| super::mutant(&wasm, s, false)).collect();
        assert!(distinct.len() >= 4, "{} distinct mutants of 10", distinct.len());
    }
}
