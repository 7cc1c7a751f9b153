//! wasmgate: differential and conformance testing of WebAssembly runtimes.
//!
//! One pipeline, one folder per stage, imports pointing down it:
//! [`cli`] → [`check`] → [`campaign`] / [`conformance`] → [`report`] → [`isolate`] →
//! [`compare`] → [`execute`] → [`source`] → the runners crate. A
//! [`source::case::TestCase`] is made, [`execute`]d on every engine, the
//! outcomes are [`compare`]d into a verdict, and a [`report`] plus a
//! reproducer bundle per finding are written.

pub mod campaign;
pub mod check;
pub mod cli;
pub mod compare;
pub mod conformance;
pub mod corpus;
pub mod execute;
pub mod fuzzing;
pub mod isolate;
pub mod perf;
pub mod report;
pub mod source;
pub mod wasi;
