//! The end-to-end tests, one module per file beside this one, in one test
//! binary: one link instead of twenty, and cargo's test threads keep both
//! cores busy across files instead of waiting for each file's slowest test.
//! `load.rs` stays a binary of its own, run alone (its busy processes would
//! slow every test running beside it).

mod common;

mod architecture;
mod bad_inputs;
mod browsers;
mod bug_finding;
mod campaign;
mod check;
mod ci_examples;
mod cli;
mod compare_rules;
mod conformance;
mod corpus;
mod docs;
mod gate;
mod junit;
mod options;
mod perf;
mod reliability;
mod report_render;
mod schema;
mod wasi;
