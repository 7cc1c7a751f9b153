//! `wasmgate worker`: the child side of process isolation (see `worker.rs`).

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Engines this worker runs, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    engines: Vec<String>,
}

pub fn run(opts: Opts) -> Result<i32> {
    crate::worker::serve(&opts.engines)?;
    Ok(0)
}
