//! `wasmgate shrink`: minimise one finding's module.

use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The bundle folder of a finding.
    bundle: PathBuf,
    /// Candidates to try.
    #[arg(
        long = "shrink-attempts",
        alias = "attempts",
        default_value_t = 1000,
        env = "WASMGATE_SHRINK_ATTEMPTS"
    )]
    attempts: u32,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let shrunk = crate::campaign::shrink::shrink_bundle(
        &opts.bundle,
        &opts.isolation.isolation()?,
        opts.attempts,
        None,
    )?;
    println!(
        "shrink: {} kept, {} → {} bytes; replay with: wasmgate repro {}",
        shrunk.signature,
        shrunk.input_size,
        shrunk.output_size,
        shrunk.dir.display()
    );
    Ok(0)
}
