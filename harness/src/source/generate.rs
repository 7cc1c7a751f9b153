//! Seeded module generation: `(profile, seed, generator version)` → module bytes,
//! identical on every machine.
//!
//! seed → a [`Swarm`] (stream 2: which features, instruction kinds and edge
//! snippets this seed may use, within its profile) → ChaCha8 byte stream
//! (odd seeds: trap-free code) → `arbitrary::Unstructured` → wasm-smith module →
//! fuel instrumentation (`ensure_termination`) → edge values planted in code
//! and data ([`crate::source::edges`], stream 3), with self-checking edge
//! operations among them ([`crate::source::edge_ops`], stream 4) → the fuel global exported as
//! [`FUEL_GLOBAL`] so the executor can refill it before each call.

use crate::source::edge_ops::Allowed;
use crate::source::edges::{self, Plan};
use crate::source::profile::{CALL_FUEL, Profile};
use anyhow::{Context, Result};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use wasm_smith::{InstructionKind, InstructionKinds};
use wasmgate_runners::Feature;

/// Changes whenever the same seed could produce different bytes: our own
/// revision, plus the wasm-smith version whose output we depend on.
pub const GENERATOR_VERSION: &str = "wasmgate-gen-4+wasm-smith-0.263.0";

/// Name under which a generated module exports its fuel global.
pub const FUEL_GLOBAL: &str = "__wasmgate_fuel";

/// Bytes of entropy handed to wasm-smith per module.
const INPUT_BYTES: usize = 16384;

/// A deterministic random stream for one purpose of one seed.
pub fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Stream numbers, so each use of a seed draws independent bytes.
pub mod streams {
    /// Bytes for wasm-smith.
    pub const MODULE: u64 = 0;
    /// Argument vectors.
    pub const VECTORS: u64 = 1;
    /// The seed's swarm choices.
    pub const SWARM: u64 = 2;
    /// Edge values planted in the module.
    pub const EDGES: u64 = 3;
    /// Self-checking edge operations planted in the module.
    pub const EDGE_OPS: u64 = 4;
}

/// What one seed may use (swarm testing: each seed enables a random subset of
/// its profile's features and instruction kinds, so some modules are dense in
/// one kind of operation and some run on engines that lack a feature).
#[derive(Clone, Debug)]
pub struct Swarm {
    /// The wasm features this seed's module may use (a subset of the profile's).
    pub features: Vec<Feature>,
    /// wasm-smith instruction kinds enabled.
    pub kinds: Vec<InstructionKind>,
    /// Instructions per function, at most.
    pub max_instructions: usize,
    /// The edge snippets planted.
    pub plan: Plan,
}

/// The swarm choices of `(profile, seed)`.
pub fn swarm(profile: Profile, seed: u64) -> Swarm {
    let profile = profile.for_seed(seed);
    let mut rng = rng(seed, streams::SWARM);
    let mut chance = |num: u32, den: u32| rng.next_u32() % den < num;
    let mut features = vec![Feature::MutableGlobal];
    for f in profile.features() {
        let keep = match f {
            Feature::MutableGlobal => continue,
            // Half the seeds leave reference types out, so engines without them (winch) run those.
            Feature::ReferenceTypes => chance(1, 2),
            Feature::Simd => chance(3, 4),
            _ => chance(3, 4),
        };
        if keep {
            features.push(f);
        }
    }
    // What a kept feature builds on is kept too (gc needs typed function
    // references, exceptions' exnref needs reference types).
    for f in features.clone() {
        for base in f.builds_on() {
            if !features.contains(base) && profile.features().contains(base) {
                features.push(*base);
            }
        }
    }
    let mut kinds = Vec::new();
    for (kind, num) in [
        (InstructionKind::Numeric, 7),
        (InstructionKind::Parametric, 6),
        (InstructionKind::Variable, 6),
        (InstructionKind::Memory, 6),
        (InstructionKind::Control, 6),
        (InstructionKind::Table, 4),
        (InstructionKind::Reference, 4),
        (InstructionKind::Vector, 6),
    ] {
        if chance(num, 8) {
            kinds.push(kind);
        }
    }
    if !kinds.contains(&InstructionKind::Numeric) && !kinds.contains(&InstructionKind::Memory) {
        kinds.push(InstructionKind::Numeric);
    }
    // GC's struct and array instructions (drawn for wasm3 only, so that the
    // other profiles' seeds keep their modules).
    if features.contains(&Feature::Gc) && chance(7, 8) {
        kinds.push(InstructionKind::Aggregate);
    }
    let max_instructions = [60, 120, 200, 300][rng.next_u32() as usize % 4];
    let density = [0, 48, 96, 192, 320][rng.next_u32() as usize % 5];
    let mut forms = [0u32; 3].map(|_| !rng.next_u32().is_multiple_of(4));
    if forms == [false; 3] {
        forms[0] = true;
    }
    let plan = Plan {
        density,
        checked: forms[0],
        identity: forms[1],
        operand: forms[2],
        data: [0, 2, 4][rng.next_u32() as usize % 3],
        ops: 0,
        allowed: Allowed {
            sign_extension: features.contains(&Feature::SignExtension),
            saturating: features.contains(&Feature::SaturatingFloatToInt),
            gc: features.contains(&Feature::Gc),
            exceptions: features.contains(&Feature::Exceptions),
            memories: features.contains(&Feature::Memory64) || features.contains(&Feature::MultiMemory),
            tail_call: features.contains(&Feature::TailCall),
            bulk_memory: features.contains(&Feature::BulkMemory),
        },
    };
    // Drawn last, so the earlier choices of every seed stay as they were.
    let plan = Plan {
        ops: [0, 24, 48, 96][rng.next_u32() as usize % 4],
        ..plan
    };
    Swarm {
        features,
        kinds,
        max_instructions,
        plan,
    }
}

/// Generates the module for `(profile, seed)`.
pub fn module(profile: Profile, seed: u64) -> Result<Vec<u8>> {
    let profile = profile.for_seed(seed);
    let swarm = swarm(profile, seed);
    let mut input = vec![0u8; INPUT_BYTES];
    rng(seed, streams::MODULE).fill_bytes(&mut input);
    let mut u = arbitrary::Unstructured::new(&input);
    let mut config = profile.smith_config();
    let has = |f| swarm.features.contains(&f);
    config.multi_value_enabled = has(Feature::MultiValue);
    config.bulk_memory_enabled = has(Feature::BulkMemory);
    config.reference_types_enabled = has(Feature::ReferenceTypes);
    config.sign_extension_ops_enabled = has(Feature::SignExtension);
    config.saturating_float_to_int_enabled = has(Feature::SaturatingFloatToInt);
    config.simd_enabled = has(Feature::Simd);
    config.tail_call_enabled = has(Feature::TailCall);
    config.extended_const_enabled = has(Feature::ExtendedConst);
    config.memory64_enabled = has(Feature::Memory64);
    config.exceptions_enabled = has(Feature::Exceptions);
    config.gc_enabled = has(Feature::Gc);
    if !has(Feature::MultiMemory) {
        config.max_memories = 1;
    }
    if !has(Feature::Exceptions) {
        config.max_tags = 0;
    }
    if !has(Feature::ReferenceTypes) {
        config.max_tables = 1;
    }
    config.allowed_instructions = InstructionKinds::new(&swarm.kinds);
    config.max_instructions = swarm.max_instructions;
    // Odd seeds make trap-free code (wasm-smith guards divisions, conversions
    // and accesses), so more results reach an observable value; even seeds keep
    // traps, whose kinds engines must agree on too.
    config.disallow_traps = seed % 2 == 1;
    let mut module = wasm_smith::Module::new(config, &mut u)
        .with_context(|| format!("wasm-smith failed for profile {profile} seed {seed}"))?;
    let fuel = module
        .ensure_termination(CALL_FUEL)
        .context("adding fuel instrumentation")?;
    let planted = edges::plant(
        &module.to_bytes(),
        swarm.plan,
        &mut rng(seed, streams::EDGES),
        &mut rng(seed, streams::EDGE_OPS),
        seed.is_multiple_of(2),
        fuel,
    )?;
    crate::source::rewrite::export_global(&planted, fuel, FUEL_GLOBAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha(bytes: &[u8]) -> String {
        format!("{:x}", Sha256::digest(bytes))
    }

    /// Pinned on one machine: any change here breaks every saved seed, so it
    /// must come with a new [`GENERATOR_VERSION`].
    #[test]
    fn seeds_give_pinned_module_hashes() {
        let pinned = [
            (
                Profile::Default,
                0,
                "bf1fa0c3b6f66e74b07006397ba4a44eb4a844c23cf232136b5ab7238fe0d2e2",
            ),
            (
                Profile::Default,
                1,
                "10d6656ca69d5c8b56f6e20f4f70700f0736d77ada4cb83785bed104e881026e",
            ),
            (
                Profile::Default,
                42,
                "0da1511c10b49db397657f006ee613f65762aa24ec63d49c6f8dacc7e07d8927",
            ),
            (
                Profile::Mvp,
                42,
                "743b36a0bcc75917df7c53daeccd9f54a801d80d8363a5744ad5b9d6f4b2884b",
            ),
            (
                Profile::Simd,
                42,
                "27afa73951811318001c78eabef50ee35ce5fd44547cf062f3a56d1a635fdd7e",
            ),
            (
                Profile::Wasm3,
                42,
                "64d3704c0e594cb926b04a6eea9809a30e2e9d16f8b9bcc160f864f3aee28c5c",
            ),
        ];
        let wrong: Vec<String> = pinned
            .iter()
            .filter_map(|(profile, seed, hash)| {
                let got = sha(&module(*profile, *seed).unwrap());
                (got != *hash).then(|| format!("{profile} seed {seed}: {got}"))
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{GENERATOR_VERSION} changed:\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn same_seed_gives_same_bytes_and_different_seeds_differ() {
        for profile in Profile::ALL {
            let a = module(profile, 7).unwrap();
            let b = module(profile, 7).unwrap();
            assert_eq!(a, b, "{profile}");
            assert_ne!(a, module(profile, 8).unwrap(), "{profile}");
        }
    }

    #[test]
    fn swarm_features_are_a_subset_and_modules_keep_to_them() {
        let mut without_reference_types = 0;
        for seed in 0..60 {
            let swarm = swarm(Profile::Default, seed);
            assert!(
                swarm
                    .features
                    .iter()
                    .all(|f| Profile::Default.features().contains(f))
            );
            if !swarm.features.contains(&Feature::ReferenceTypes) {
                without_reference_types += 1;
            }
            let wasm = module(Profile::Default, seed).unwrap();
            crate::source::module_info::validate(&wasm, &swarm.features)
                .unwrap_or_else(|e| panic!("seed {seed} uses more than its swarm's features: {e}"));
        }
        assert!(
            (15..=45).contains(&without_reference_types),
            "{without_reference_types} of 60"
        );
        // The 3.0 checks planted keep to the seed's features too (a
        // `memory.copy` needs bulk memory, a `ref.i31` GC, …).
        for seed in 0..400 {
            let swarm = swarm(Profile::Wasm3, seed);
            let wasm = module(Profile::Wasm3, seed).unwrap();
            crate::source::module_info::validate(&wasm, &swarm.features)
                .unwrap_or_else(|e| panic!("wasm3 seed {seed} uses more than its swarm's features: {e}"));
        }
    }

    #[test]
    fn wasm3_modules_use_every_feature_of_3_0_across_seeds() {
        let text: Vec<String> = (0..80)
            .map(|seed| wasmprinter::print_bytes(module(Profile::Wasm3, seed).unwrap()).unwrap())
            .collect();
        let seeds_with = |needles: &[&str]| {
            text.iter()
                .filter(|t| needles.iter().any(|n| t.contains(n)))
                .count()
        };
        for (what, needles) in [
            (
                "gc instructions",
                &["struct.new", "array.new", "ref.i31", "ref.test", "ref.cast"][..],
            ),
            ("exceptions", &["try_table", "throw"]),
            ("tail calls", &["return_call"]),
            (
                "typed function references",
                &["call_ref", "br_on_null", "ref.as_non_null"],
            ),
            ("memory64", &[" i64 1", " i64 2", " i64 3", " i64 4", " i64 0"]),
            ("two memories", &["(memory (;1;)"]),
        ] {
            let n = seeds_with(needles);
            assert!(n >= 3, "{what}: {n} of 80 seeds");
        }
    }

    #[test]
    fn generated_modules_validate_under_their_profile() {
        for profile in Profile::ALL {
            for seed in 0..40 {
                let wasm = module(profile, seed).unwrap();
                crate::source::module_info::validate(&wasm, &profile.features())
                    .unwrap_or_else(|e| panic!("{profile} seed {seed}: {e}"));
            }
        }
    }

    #[test]
    fn mixed_is_default_with_every_fourth_seed_wasm3() {
        for seed in 0..8u64 {
            let drawn = if seed % 4 == 3 {
                Profile::Wasm3
            } else {
                Profile::Default
            };
            assert_eq!(Profile::Mixed.for_seed(seed), drawn);
            assert_eq!(
                module(Profile::Mixed, seed).unwrap(),
                module(drawn, seed).unwrap()
            );
            let case = crate::source::case::TestCase::generated(Profile::Mixed, seed).unwrap();
            assert!(
                matches!(case.origin, crate::source::case::Origin::Generated { profile, .. } if profile == drawn),
                "a case records the profile its seed drew"
            );
        }
    }
}
