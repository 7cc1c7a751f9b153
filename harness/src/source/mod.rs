//! Sources: everything that makes a [`TestCase`] — generation profiles,
//! seeded modules, argument vectors, the instruction sweep, fuzz inputs, module
//! inspection and rewriting, and the TOML lists in `vectors/`.
//!
//! Hands on a `TestCase` (module bytes, calls, origin) to `execute/`.
//! Invariant: imports nothing of the harness outside this folder; a case
//! carries its [`Origin`](case::Origin) so it can be rebuilt or replayed.

pub mod case;
pub mod edge_ops;
pub mod edge_values;
pub mod edge_wasm3;
pub mod edges;
pub mod expect;
pub mod fuzz_input;
pub mod generate;
pub mod host;
pub mod module_info;
pub mod mutate;
pub mod profile;
pub mod rewrite;
pub mod scenario;
pub mod sweep;
pub mod sweep_control;
pub mod sweep_wasm3;
pub mod toml_file;
pub mod vectors;
pub mod vectors_file;
pub mod wasi_case;
pub mod workloads;

use anyhow::Result;
use case::{Origin, TestCase};
use generate::{FUEL_GLOBAL, GENERATOR_VERSION};
use profile::{CALL_FUEL, Profile};

impl TestCase {
    /// The generated case for `(profile, seed)`.
    pub fn generated(profile: Profile, seed: u64) -> Result<TestCase> {
        let profile = profile.for_seed(seed);
        let wasm = generate::module(profile, seed)?;
        // A generated module is valid by construction: one that is not is the
        // generator's error, never a case every engine "agrees" to reject.
        let features = generate::swarm(profile, seed).features;
        module_info::validate(&wasm, &features)
            .map_err(|e| anyhow::anyhow!("generated module for {profile} seed {seed} is invalid: {e}"))?;
        let origin = Origin::Generated {
            profile,
            seed,
            generator_version: GENERATOR_VERSION.to_string(),
        };
        let per_export = case::calls_per_export(&origin);
        let mut case = TestCase::from_module(origin, wasm, seed, per_export);
        case.features = Some(features);
        Ok(case)
    }

    /// A case for arbitrary module bytes: seeded calls to every export. An
    /// invalid module becomes a case with no calls, which engines must reject.
    pub fn from_module(origin: Origin, wasm: Vec<u8>, vector_seed: u64, per_export: usize) -> TestCase {
        let (info, valid) = match module_info::inspect(&wasm) {
            Ok(info) => (info, true),
            Err(_) => (Default::default(), false),
        };
        // Generated cases mix their arguments; module files keep the seeded
        // vectors they always had.
        let calls = match origin {
            Origin::Generated { .. } => vectors::mixed_calls(&info, vector_seed, per_export),
            _ => vectors::calls(&info, vector_seed, per_export),
        };
        let refuel = info.globals.iter().any(|g| g == FUEL_GLOBAL).then_some(CALL_FUEL);
        TestCase {
            origin,
            wasm,
            calls,
            globals: info.globals,
            memories: info.memories,
            refuel,
            features: None,
            valid,
        }
    }
}
