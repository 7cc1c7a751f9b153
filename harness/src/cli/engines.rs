//! `wasmgate engines`: what this build can test.

use crate::execute::engines;
use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(opts: Opts) -> Result<i32> {
    let resolved = engines::resolve_all(&engines::default_names())?;
    let infos: Vec<_> = resolved.engines.iter().map(|e| e.info().clone()).collect();
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(0);
    }
    let width = infos.iter().map(|i| i.name.len()).max().unwrap_or(6).max(6);
    println!("{:width$}  {:9}  features", "engine", "version");
    for i in &infos {
        let features: Vec<&str> = i.features.iter().map(|f| f.name()).collect();
        println!("{:width$}  {:9}  {}", i.name, i.version, features.join(", "));
    }
    for u in &resolved.unavailable {
        println!("{:width$}  unavailable: {}", u.engine, u.reason);
    }
    Ok(0)
}
