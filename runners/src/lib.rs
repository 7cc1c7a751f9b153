//! Engines under test for wasmgate: the [`Engine`] trait, the value and outcome
//! model every engine's results are normalised into, and one adapter per runtime
//! configuration, each behind its own cargo feature.
//!
//! This crate knows nothing about seeds, reports or CI; the harness drives it.

#[cfg(feature = "chromium")]
pub mod browser;
pub mod caps;
pub mod child;
pub mod engine;
pub mod external;
pub mod limits;
pub mod measure;
pub mod registry;
pub mod value;
pub mod versions;

pub mod wasi;
#[cfg(feature = "wasmer-wasi")]
pub mod wasi_wasmer;
#[cfg(feature = "wasmi-wasi")]
pub mod wasi_wasmi;
#[cfg(feature = "wasmtime-wasi")]
pub mod wasi_wasmtime;
#[cfg(any(
    feature = "wasmer-cranelift",
    feature = "wasmer-singlepass",
    feature = "wasmer-wasi"
))]
pub mod wasmer_engine;
#[cfg(any(feature = "wasmi", feature = "wasmi-wasi"))]
pub mod wasmi_engine;
#[cfg(any(
    feature = "wasmtime-cranelift",
    feature = "wasmtime-winch",
    feature = "wasmtime-pulley",
    feature = "wasmtime-wasi"
))]
pub mod wasmtime_engine;

pub use engine::{
    Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, InstanceId, ModuleId, PlannedCall,
    Session, TrapKind,
};
pub use value::{Val, ValType};
