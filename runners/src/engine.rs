//! The `Engine` trait every runtime adapter implements, and the outcome model
//! that all engines' native errors are normalised into.

use crate::value::{Val, ValType};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A WebAssembly feature (finished proposal) an engine may support.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    MutableGlobal,
    SaturatingFloatToInt,
    SignExtension,
    MultiValue,
    BulkMemory,
    ReferenceTypes,
    Simd,
    RelaxedSimd,
    TailCall,
    ExtendedConst,
    MultiMemory,
    Memory64,
    WideArithmetic,
    /// Exception handling with `exnref` (`try_table`, `throw_ref`), as in WebAssembly 3.0.
    Exceptions,
    /// The legacy exception encoding (`try`/`catch`/`delegate`/`rethrow`),
    /// which some engines ship instead of, or beside, `exnref`.
    LegacyExceptions,
    Threads,
    /// Garbage-collected structs, arrays, `i31` and the `any`/`eq` hierarchy.
    Gc,
    /// Typed function references (`call_ref`, `ref.as_non_null`, `br_on_null`).
    FunctionReferences,
    CustomPageSizes,
}

impl Feature {
    /// The features of WebAssembly 2.0 that every engine here has (all but
    /// SIMD): each adapter's list starts from these and adds its own.
    pub const WASM2_BASE: [Feature; 6] = [
        Feature::MutableGlobal,
        Feature::SaturatingFloatToInt,
        Feature::SignExtension,
        Feature::MultiValue,
        Feature::BulkMemory,
        Feature::ReferenceTypes,
    ];

    /// Every feature, in a stable order.
    pub const ALL: [Feature; 19] = [
        Feature::MutableGlobal,
        Feature::SaturatingFloatToInt,
        Feature::SignExtension,
        Feature::MultiValue,
        Feature::BulkMemory,
        Feature::ReferenceTypes,
        Feature::Simd,
        Feature::RelaxedSimd,
        Feature::TailCall,
        Feature::ExtendedConst,
        Feature::MultiMemory,
        Feature::Memory64,
        Feature::WideArithmetic,
        Feature::Exceptions,
        Feature::LegacyExceptions,
        Feature::Threads,
        Feature::Gc,
        Feature::FunctionReferences,
        Feature::CustomPageSizes,
    ];

    /// The proposals of WebAssembly 3.0 (beyond 2.0), as the spec lists them.
    pub const WASM3: [Feature; 8] = [
        Feature::Gc,
        Feature::FunctionReferences,
        Feature::Exceptions,
        Feature::TailCall,
        Feature::Memory64,
        Feature::MultiMemory,
        Feature::ExtendedConst,
        Feature::RelaxedSimd,
    ];

    /// The proposal's usual kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Feature::MutableGlobal => "mutable-global",
            Feature::SaturatingFloatToInt => "saturating-float-to-int",
            Feature::SignExtension => "sign-extension",
            Feature::MultiValue => "multi-value",
            Feature::BulkMemory => "bulk-memory",
            Feature::ReferenceTypes => "reference-types",
            Feature::Simd => "simd",
            Feature::RelaxedSimd => "relaxed-simd",
            Feature::TailCall => "tail-call",
            Feature::ExtendedConst => "extended-const",
            Feature::MultiMemory => "multi-memory",
            Feature::Memory64 => "memory64",
            Feature::WideArithmetic => "wide-arithmetic",
            Feature::Exceptions => "exceptions",
            Feature::LegacyExceptions => "legacy-exceptions",
            Feature::Threads => "threads",
            Feature::Gc => "gc",
            Feature::FunctionReferences => "function-references",
            Feature::CustomPageSizes => "custom-page-sizes",
        }
    }

    /// The features this one builds on (a module using it may use those too).
    pub fn builds_on(self) -> &'static [Feature] {
        match self {
            Feature::Gc => &[Feature::ReferenceTypes, Feature::FunctionReferences],
            Feature::FunctionReferences | Feature::Exceptions => &[Feature::ReferenceTypes],
            // Tags belong to the exceptions proposal (wasmparser's flag for
            // them): a module in the legacy encoding is valid only where
            // `exceptions` is on too, so an engine with the legacy encoding
            // alone runs no module with a tag — skipped, never blamed.
            Feature::LegacyExceptions => &[Feature::Exceptions],
            Feature::RelaxedSimd => &[Feature::Simd],
            Feature::WideArithmetic => &[Feature::MultiValue],
            _ => &[],
        }
    }

    /// wasmparser's flag for this feature.
    pub fn wasmparser(self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as W;
        match self {
            Feature::MutableGlobal => W::MUTABLE_GLOBAL,
            Feature::SaturatingFloatToInt => W::SATURATING_FLOAT_TO_INT,
            Feature::SignExtension => W::SIGN_EXTENSION,
            Feature::MultiValue => W::MULTI_VALUE,
            Feature::BulkMemory => W::BULK_MEMORY,
            Feature::ReferenceTypes => W::REFERENCE_TYPES,
            Feature::Simd => W::SIMD,
            Feature::RelaxedSimd => W::RELAXED_SIMD,
            Feature::TailCall => W::TAIL_CALL,
            Feature::ExtendedConst => W::EXTENDED_CONST,
            Feature::MultiMemory => W::MULTI_MEMORY,
            Feature::Memory64 => W::MEMORY64,
            Feature::WideArithmetic => W::WIDE_ARITHMETIC,
            Feature::Exceptions => W::EXCEPTIONS,
            Feature::LegacyExceptions => W::LEGACY_EXCEPTIONS,
            Feature::Threads => W::THREADS,
            Feature::Gc => W::GC,
            Feature::FunctionReferences => W::FUNCTION_REFERENCES,
            Feature::CustomPageSizes => W::CUSTOM_PAGE_SIZES,
        }
    }

    /// The wasmparser feature set for `features` (plus the MVP floor).
    pub fn wasmparser_set(features: &[Feature]) -> wasmparser::WasmFeatures {
        features
            .iter()
            .fold(wasmparser::WasmFeatures::MVP, |set, f| set | f.wasmparser())
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an engine says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EngineInfo {
    /// Configuration name, e.g. `wasmtime-cranelift`.
    pub name: String,
    /// Version of the runtime crate (or binary) behind it.
    pub version: String,
    /// The wasm features this configuration supports and has enabled.
    pub features: Vec<Feature>,
}

impl EngineInfo {
    /// Whether the engine supports `feature`.
    pub fn supports(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }
}

/// A trap, mapped from each engine's own trap codes into one vocabulary.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TrapKind {
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    /// A float-to-integer conversion trapped, but the engine does not say whether
    /// for overflow or NaN (V8's JS API reports both alike). Compares equal to
    /// either of those two kinds.
    ConversionToInteger,
    /// An indirect call trapped, but the engine does not say whether the table
    /// entry was null or of the wrong signature (V8 reports both alike).
    /// Compares equal to either of those two kinds.
    IndirectCall,
    NullReference,
    UnalignedAtomic,
    UncaughtException,
    /// A GC array accessed out of its bounds (`array.get`, `array.fill`, …).
    ArrayOutOfBounds,
    /// A `ref.cast` (or `br_on_cast` to a non-null target) that failed.
    CastFailure,
    /// An `array.new_data`/`array.new_elem`/`array.init_*` out of bounds,
    /// without the engine saying whether of the array or of the segment
    /// (JavaScriptCore). Compares equal to either.
    ArraySegmentOutOfBounds,
    /// An access out of bounds, without the engine saying whether of a
    /// memory, a table or an array (SpiderMonkey 102's "index out of
    /// bounds"). Compares equal to any of those.
    OutOfBounds,
    /// A trap the adapter could not classify; the message is in the outcome.
    Unknown,
}

impl TrapKind {
    /// The vague kind that stands for this one when an engine reports only
    /// that (V8, JavaScriptCore): "conversion to integer trapped" for overflow
    /// and NaN, "an indirect call trapped" for a null entry and a signature
    /// mismatch. Every other kind stands for itself.
    pub fn vague(self) -> TrapKind {
        match self {
            TrapKind::IntegerOverflow | TrapKind::BadConversionToInteger => TrapKind::ConversionToInteger,
            TrapKind::IndirectCallToNull | TrapKind::BadSignature => TrapKind::IndirectCall,
            other => other,
        }
    }

    /// Whether an engine that reports `vague` may have meant this kind: the
    /// kind itself, its [`vague`](Self::vague) form, or (for
    /// [`TrapKind::ArraySegmentOutOfBounds`]) any of the bounds it leaves open.
    pub fn within(self, vague: TrapKind) -> bool {
        self == vague
            || self.vague() == vague
            || (vague == TrapKind::ArraySegmentOutOfBounds
                && matches!(
                    self,
                    TrapKind::ArrayOutOfBounds | TrapKind::MemoryOutOfBounds | TrapKind::TableOutOfBounds
                ))
            || (vague == TrapKind::OutOfBounds
                && matches!(
                    self,
                    TrapKind::ArrayOutOfBounds
                        | TrapKind::MemoryOutOfBounds
                        | TrapKind::TableOutOfBounds
                        | TrapKind::ArraySegmentOutOfBounds
                ))
    }

    /// The kebab-case name used in reports and bundles.
    pub fn name(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::MemoryOutOfBounds => "memory-out-of-bounds",
            TrapKind::TableOutOfBounds => "table-out-of-bounds",
            TrapKind::IndirectCallToNull => "indirect-call-to-null",
            TrapKind::BadSignature => "bad-signature",
            TrapKind::IntegerOverflow => "integer-overflow",
            TrapKind::IntegerDivisionByZero => "integer-division-by-zero",
            TrapKind::BadConversionToInteger => "bad-conversion-to-integer",
            TrapKind::ConversionToInteger => "conversion-to-integer",
            TrapKind::IndirectCall => "indirect-call",
            TrapKind::NullReference => "null-reference",
            TrapKind::UnalignedAtomic => "unaligned-atomic",
            TrapKind::UncaughtException => "uncaught-exception",
            TrapKind::ArrayOutOfBounds => "array-out-of-bounds",
            TrapKind::CastFailure => "cast-failure",
            TrapKind::ArraySegmentOutOfBounds => "array-segment-out-of-bounds",
            TrapKind::OutOfBounds => "out-of-bounds",
            TrapKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A resource the spec lets an engine run out of at an implementation-defined point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exhaustion {
    StackOverflow,
    Fuel,
    Memory,
    Timeout,
}

impl fmt::Display for Exhaustion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exhaustion::StackOverflow => "stack-overflow",
            Exhaustion::Fuel => "fuel",
            Exhaustion::Memory => "memory",
            Exhaustion::Timeout => "timeout",
        })
    }
}

/// Why a call (or an instantiation) did not return values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// A WebAssembly trap.
    Trap { trap: TrapKind, message: String },
    /// A resource the spec leaves implementation-defined ran out.
    Exhausted { resource: Exhaustion, message: String },
    /// The engine cannot perform this operation (e.g. a signature its API can't call).
    Unsupported { message: String },
    /// Any other engine error (link error, host error, internal error).
    Error { message: String },
    /// An exception nothing caught, by its tag (the index in the module's
    /// tag index space) and payload values, as the harness observes it on
    /// every engine alike (a call it wraps in a `try_table` catching each of
    /// the module's tags). Engines that report an uncaught exception on
    /// their own say [`TrapKind::UncaughtException`] instead.
    Exception { tag: u32, payload: Vec<Val> },
}

impl Failure {
    /// A trap with a message.
    pub fn trap(trap: TrapKind, message: impl Into<String>) -> Self {
        Failure::Trap {
            trap,
            message: message.into(),
        }
    }

    /// An exhausted resource with a message.
    pub fn exhausted(resource: Exhaustion, message: impl Into<String>) -> Self {
        Failure::Exhausted {
            resource,
            message: message.into(),
        }
    }

    /// Any other error.
    pub fn error(message: impl Into<String>) -> Self {
        Failure::Error {
            message: message.into(),
        }
    }

    /// An operation the engine cannot perform.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Failure::Unsupported {
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Trap { trap, message } => write!(f, "trap {trap}: {message}"),
            Failure::Exhausted { resource, message } => {
                write!(f, "exhausted {resource}: {message}")
            }
            Failure::Unsupported { message } => write!(f, "unsupported: {message}"),
            Failure::Error { message } => write!(f, "error: {message}"),
            Failure::Exception { tag, payload } => {
                let payload: Vec<String> = payload.iter().map(|v| v.pretty()).collect();
                write!(f, "uncaught exception of tag {tag} ({})", payload.join(", "))
            }
        }
    }
}

/// One WebAssembly runtime configuration under test.
pub trait Engine: Send + Sync {
    /// Name, version and supported features.
    fn info(&self) -> &EngineInfo;

    /// Validates and compiles `wasm`; an `Err` means the engine rejects the module.
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String>;

    /// Why this engine cannot run `wasm` although it has every feature the
    /// module uses: a documented gap narrower than a feature (the engine
    /// runs the proposal, but not this use of it). The case is skipped on
    /// this engine with that reason, never blamed on it.
    fn cannot_run(&self, _wasm: &[u8]) -> Option<String> {
        None
    }

    /// Opens a [`Session`]: one store in which modules link to each other by name.
    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        Err(format!("{} does not support linked sessions", self.info().name))
    }

    /// Compiles `wasm`, instantiates it and calls `export` once, timing each
    /// phase (`wasmgate perf`). In-process engines are timed around their own
    /// calls; engines in other processes time the phases where they run.
    fn measure(
        &self,
        wasm: &[u8],
        export: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<crate::measure::Sample, Failure> {
        measure_around(self, wasm, export, args, results, "in-process")
    }
}

/// A module compiled in a [`Session`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModuleId(pub usize);

/// An instance living in a [`Session`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InstanceId(pub usize);

/// One store shared by several instances that import from each other, as a
/// spec-testsuite script needs: an instance registered under a name provides
/// the imports of that module name to every later instantiation.
pub trait Session {
    /// Validates and compiles `wasm`; an `Err` means the engine rejects it.
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String>;

    /// Instantiates a compiled module, resolving its imports from the
    /// registered instances. A link error is `Failure::Error`; a trap in the
    /// start function (or in segment initialisation) is `Failure::Trap`.
    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure>;

    /// Makes `instance`'s exports importable under the module name `name`.
    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String>;

    /// Calls the exported function `name`; `results` is its result types.
    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Vec<Val>, Failure>;

    /// Reads the exported global `name`.
    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure>;
}

/// A compiled module, ready to be instantiated.
pub trait Compiled {
    /// Instantiates the module with no imports (running its start function).
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure>;
}

/// A live module instance with its own store.
pub trait Instance {
    /// Calls the exported function `name` with `args`; `results` is its result types.
    fn call(&mut self, name: &str, args: &[Val], results: &[ValType]) -> Result<Vec<Val>, Failure>;

    /// Reads the exported global `name`.
    fn global(&mut self, name: &str) -> Option<Val>;

    /// Writes the exported mutable global `name`; returns false if it is not there.
    fn set_global(&mut self, name: &str, value: Val) -> bool;

    /// Hands the bytes of the exported memory `name` to `visit`; false if absent.
    fn memory(&mut self, name: &str, visit: &mut dyn FnMut(&[u8])) -> bool;

    /// Announces the calls about to be made, in order, each preceded by the
    /// global writes in `before` (e.g. a fuel refill). Out-of-process engines
    /// run them all in one round trip and answer the following `set_global`s and
    /// `call`s from the results; in-process engines ignore it.
    fn prefetch(&mut self, _calls: &[PlannedCall<'_>], _before: &[(&str, Val)]) {}
}

/// A call announced to [`Instance::prefetch`].
pub struct PlannedCall<'a> {
    pub name: &'a str,
    pub args: &'a [Val],
    pub results: &'a [ValType],
}

/// Times `engine`'s three phases around its own `compile`, `instantiate` and
/// `call` (what [`Engine::measure`] does unless an engine knows better).
pub fn measure_around<E: Engine + ?Sized>(
    engine: &E,
    wasm: &[u8],
    export: &str,
    args: &[Val],
    results: &[ValType],
    timed: &str,
) -> Result<crate::measure::Sample, Failure> {
    let start = crate::measure::Mark::now();
    let compiled = engine
        .compile(wasm)
        .map_err(|e| Failure::error(format!("the engine rejects the module: {e}")))?;
    let compile = start.elapsed();
    let start = crate::measure::Mark::now();
    let mut instance = compiled.instantiate()?;
    let instantiate = start.elapsed();
    let start = crate::measure::Mark::now();
    let values = instance.call(export, args, results)?;
    let execute = start.elapsed();
    let mut memory_bytes = 0u64;
    instance.memory("memory", &mut |bytes| memory_bytes = bytes.len() as u64);
    Ok(crate::measure::Sample {
        compile,
        instantiate,
        execute,
        results: values,
        memory_bytes,
        peak_rss_bytes: crate::measure::peak_rss_bytes(),
        timed: timed.to_string(),
    })
}
