//! `wasmgate worker`: the child side of process isolation (see `worker.rs`).

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// An engine this worker runs (repeatable; specs may contain commas).
    #[arg(long = "engine", required = true)]
    engines: Vec<String>,
    /// Run conformance scripts instead of cases.
    #[arg(long)]
    conformance: bool,
}

pub fn run(opts: Opts) -> Result<i32> {
    if opts.conformance {
        crate::conformance::isolate::serve(&opts.engines)?;
    } else {
        crate::isolate::worker::serve(&opts.engines)?;
    }
    Ok(0)
}
