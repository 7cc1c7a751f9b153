//! Seeded module generation: `(profile, seed, generator version)` → module bytes,
//! identical on every machine.
//!
//! seed → ChaCha8 byte stream (odd seeds: trap-free code) → `arbitrary::Unstructured` → wasm-smith module →
//! fuel instrumentation (`ensure_termination`) → the fuel global exported as
//! [`FUEL_GLOBAL`] so the executor can refill it before each call.

use crate::source::profile::{CALL_FUEL, Profile};
use anyhow::{Context, Result};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Changes whenever the same seed could produce different bytes: our own
/// revision, plus the wasm-smith version whose output we depend on.
pub const GENERATOR_VERSION: &str = "wasmgate-gen-1+wasm-smith-0.263.0";

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
}

/// Generates the module for `(profile, seed)`.
pub fn module(profile: Profile, seed: u64) -> Result<Vec<u8>> {
    let mut input = vec![0u8; INPUT_BYTES];
    rng(seed, streams::MODULE).fill_bytes(&mut input);
    let mut u = arbitrary::Unstructured::new(&input);
    let mut config = profile.smith_config();
    // Odd seeds make trap-free code (wasm-smith guards divisions, conversions
    // and accesses), so more results reach an observable value; even seeds keep
    // traps, whose kinds engines must agree on too.
    config.disallow_traps = seed % 2 == 1;
    let mut module = wasm_smith::Module::new(config, &mut u)
        .with_context(|| format!("wasm-smith failed for profile {profile} seed {seed}"))?;
    let fuel = module
        .ensure_termination(CALL_FUEL)
        .context("adding fuel instrumentation")?;
    crate::source::rewrite::export_global(&module.to_bytes(), fuel, FUEL_GLOBAL)
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
                "a0b8cbb3ca1ccf00d4f96fcee299eb6a98801e51cf584b61cd0862d4d60bb0d0",
            ),
            (
                Profile::Default,
                42,
                "a540fb11818965d84483eddb967bb162d2c06b5811a41347002847869bfae46e",
            ),
            (
                Profile::Mvp,
                42,
                "141648d58fe5986cd65ba106b4005f5b1f7536cbca971f2779fee582548292b7",
            ),
            (
                Profile::Simd,
                42,
                "9b33e21dd1227df7adb651d7ab8ed1403ab7cf1410865fbcec77de1cd31785e6",
            ),
        ];
        for (profile, seed, hash) in pinned {
            assert_eq!(
                sha(&module(profile, seed).unwrap()),
                hash,
                "{profile} seed {seed} ({GENERATOR_VERSION})"
            );
        }
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
    fn generated_modules_validate_under_their_profile() {
        for profile in Profile::ALL {
            for seed in 0..40 {
                let wasm = module(profile, seed).unwrap();
                crate::source::module_info::validate(&wasm, &profile.features())
                    .unwrap_or_else(|e| panic!("{profile} seed {seed}: {e}"));
            }
        }
    }
}
