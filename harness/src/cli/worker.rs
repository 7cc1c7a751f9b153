//! `wasmgate worker`: the child side of process isolation (see `worker.rs`).

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// An engine this worker runs (repeatable; specs may contain commas).
    #[arg(long = "engine", required_unless_present = "wasi")]
    engines: Vec<String>,
    /// Run conformance scripts instead of cases.
    #[arg(long)]
    conformance: bool,
    /// Run WASI programs on this WASI runtime instead.
    #[arg(long, conflicts_with_all = ["engines", "conformance"])]
    wasi: Option<String>,
}

pub fn run(opts: Opts) -> Result<i32> {
    if let Some(runtime) = &opts.wasi {
        crate::wasi::isolate::serve(runtime)?;
    } else if opts.conformance {
        crate::conformance::isolate::serve(&opts.engines)?;
    } else {
        crate::isolate::worker::serve(&opts.engines)?;
    }
    Ok(0)
}
