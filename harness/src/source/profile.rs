//! Generation profiles: which wasm features a generated module may use and how
//! large it may be. Each profile is defined once here and appears as the
//! `--profile` flag, in report headers and in every bundle's origin.

use serde::{Deserialize, Serialize};
use wasmgate_runners::Feature;

/// A named wasm-smith configuration for differential testing.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// WebAssembly 1.0 (plus exportable mutable globals).
    Mvp,
    /// MVP plus the finished proposals every engine supports: multi-value, bulk
    /// memory, reference types, sign extension, saturating conversions.
    Default,
    /// `default` plus 128-bit SIMD (relaxed SIMD stays off: it is non-deterministic).
    Simd,
    /// `simd` plus WebAssembly 3.0: garbage collection, exception handling
    /// with `exnref`, typed function references, tail calls, 64-bit and
    /// multiple memories, extended constant expressions. Relaxed SIMD stays
    /// off: the standard allows each engine a different result, and no
    /// oracle here accepts the allowed set yet.
    Wasm3,
    /// `default` on three seeds of four and `wasm3` on every fourth (seed
    /// 3, 7, 11, …): the 2.0 engines run most cases, and every run also
    /// hunts in the 3.0 features. A case records the profile its seed drew.
    Mixed,
}

/// Fuel each call starts with; see [`crate::source::generate`] for how it is enforced.
pub const CALL_FUEL: u32 = 1_000;

impl Profile {
    /// Every profile, in order.
    pub const ALL: [Profile; 5] = [
        Profile::Mvp,
        Profile::Default,
        Profile::Simd,
        Profile::Wasm3,
        Profile::Mixed,
    ];

    /// How often `mixed` draws `wasm3`: one seed in this many.
    pub const MIXED_WASM3_EVERY: u64 = 4;

    /// The profile a seed of this profile generates with: itself, or for
    /// `mixed`, `default` or `wasm3` by the seed.
    pub fn for_seed(self, seed: u64) -> Profile {
        match self {
            Profile::Mixed if seed % Self::MIXED_WASM3_EVERY == Self::MIXED_WASM3_EVERY - 1 => Profile::Wasm3,
            Profile::Mixed => Profile::Default,
            p => p,
        }
    }

    /// What `wasm3` adds to `simd`.
    pub const WASM3_ONLY: [Feature; 7] = [
        Feature::TailCall,
        Feature::ExtendedConst,
        Feature::MultiMemory,
        Feature::Memory64,
        Feature::Exceptions,
        Feature::FunctionReferences,
        Feature::Gc,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Mvp => "mvp",
            Profile::Default => "default",
            Profile::Simd => "simd",
            Profile::Wasm3 => "wasm3",
            Profile::Mixed => "mixed",
        }
    }

    /// The wasm features a module of this profile may use (for `mixed`,
    /// those of `wasm3`, which has every feature of `default`).
    pub fn features(self) -> Vec<Feature> {
        if self == Profile::Mixed {
            return Profile::Wasm3.features();
        }
        let mut features = vec![Feature::MutableGlobal];
        if self != Profile::Mvp {
            features.extend([
                Feature::MultiValue,
                Feature::BulkMemory,
                Feature::ReferenceTypes,
                Feature::SignExtension,
                Feature::SaturatingFloatToInt,
            ]);
        }
        if matches!(self, Profile::Simd | Profile::Wasm3) {
            features.push(Feature::Simd);
        }
        if self == Profile::Wasm3 {
            features.extend(Self::WASM3_ONLY);
        }
        features
    }

    /// The wasm-smith configuration for this profile.
    pub fn smith_config(self) -> wasm_smith::Config {
        let has = |f| self.features().contains(&f);
        wasm_smith::Config {
            // Differential settings: deterministic results, everything observable.
            canonicalize_nans: true,
            export_everything: true,
            allow_start_export: true,
            max_imports: 0,
            min_funcs: 3,
            max_funcs: 16,
            max_instructions: 200,
            max_globals: 12,
            max_data_segments: 8,
            max_element_segments: 8,
            max_elements: 32,
            max_memories: if has(Feature::MultiMemory) { 2 } else { 1 },
            min_memories: 0,
            max_memory32_bytes: 4 * 65536,
            max_memory64_bytes: 4 * 65536,
            memory_max_size_required: true,
            max_tables: if has(Feature::ReferenceTypes) { 2 } else { 1 },
            max_table_elements: 64,
            table_max_size_required: true,
            max_type_size: 200,
            generate_custom_sections: false,
            // Feature gates.
            multi_value_enabled: has(Feature::MultiValue),
            bulk_memory_enabled: has(Feature::BulkMemory),
            reference_types_enabled: has(Feature::ReferenceTypes),
            sign_extension_ops_enabled: has(Feature::SignExtension),
            saturating_float_to_int_enabled: has(Feature::SaturatingFloatToInt),
            simd_enabled: has(Feature::Simd),
            relaxed_simd_enabled: false,
            tail_call_enabled: has(Feature::TailCall),
            threads_enabled: false,
            shared_everything_threads_enabled: false,
            exceptions_enabled: has(Feature::Exceptions),
            gc_enabled: has(Feature::Gc),
            memory64_enabled: has(Feature::Memory64),
            custom_page_sizes_enabled: false,
            wide_arithmetic_enabled: false,
            extended_const_enabled: has(Feature::ExtendedConst),
            max_tags: if has(Feature::Exceptions) { 4 } else { 0 },
            max_types: if has(Feature::Gc) { 24 } else { 100 },
            ..wasm_smith::Config::default()
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
