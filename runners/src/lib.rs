//! Engines under test for wasmgate: the [`Engine`] trait, the value and outcome
//! model every engine's results are normalised into, and one adapter per runtime
//! configuration, each behind its own cargo feature.
//!
//! This crate knows nothing about seeds, reports or CI; the harness drives it.

pub mod child;
pub mod engine;
pub mod js;
pub mod limits;
pub mod measure;
pub mod native;
pub mod probe;
pub mod registry;
pub mod value;
pub mod versions;
pub mod wasi;

pub use engine::{
    Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, InstanceId, ModuleId, PlannedCall,
    Session, TrapKind,
};
pub use value::{AnyVal, Val, ValType};
