//! `wasmgate gen`: write the module a seed generates, as binary or text.

use crate::source::generate as generator;
use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Generation profile.
    #[command(flatten)]
    profile: super::ProfileOpt,
    /// Seed.
    #[arg(long)]
    seed: u64,
    /// Print the text format instead of the binary.
    #[arg(long)]
    wat: bool,
    /// Output file (default: standard output).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

pub fn run(opts: Opts) -> Result<i32> {
    let wasm = generator::module(opts.profile.get(), opts.seed)?;
    let bytes = if opts.wat {
        wasmprinter::print_bytes(&wasm)?.into_bytes()
    } else {
        wasm
    };
    match &opts.output {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => {
            let mut stdout = std::io::stdout();
            if !opts.wat && stdout.is_terminal() {
                anyhow::bail!("refusing to write binary wasm to a terminal; give -o FILE or --wat");
            }
            match stdout.write_all(&bytes).and_then(|_| stdout.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                written => written?,
            }
        }
    }
    Ok(0)
}
