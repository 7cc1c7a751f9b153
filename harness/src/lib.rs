//! wasmgate: differential testing of WebAssembly runtimes.
//!
//! One pipeline: a [`case::TestCase`] is made (generated from a seed, or read
//! from a file), [`execute`]d on every engine, the outcomes are [`compare`]d
//! into a verdict, and a [`report`] plus a reproducer [`bundle`] per finding
//! are written.

pub mod aggregate;
pub mod bundle;
pub mod campaign;
pub mod case;
pub mod cli;
pub mod compare;
pub mod conformance;
pub mod engines;
pub mod execute;
pub mod fuzzing;
pub mod generate;
pub mod journal;
pub mod junit;
pub mod known;
pub mod merge;
pub mod module_info;
pub mod mutant;
pub mod parallel;
pub mod profile;
pub mod report;
pub mod repro;
pub mod rewrite;
pub mod shrink;
pub mod sweep;
pub mod vectors;
pub mod worker;
