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
    let resolved = engines::resolve_all(&engines::all_names())?;
    let opt_in = |name: &str| wasmgate_runners::registry::OPT_IN.contains(&name);
    let (wasi, wasi_unavailable) = super::wasi::resolve(&[])?;
    let core = resolved.engines.len();
    let infos: Vec<_> = resolved
        .engines
        .iter()
        .map(|e| e.info().clone())
        .chain(wasi.iter().map(|e| e.info().clone()))
        .collect();
    if opts.json {
        let listed: Vec<serde_json::Value> = infos
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let mut v = serde_json::to_value(i).unwrap_or_default();
                // `core`: runs modules (run, sweep, check, conformance); `wasi`: runs command programs (`wasmgate wasi`).
                v["kind"] = if n < core { "core" } else { "wasi" }.into();
                v["code_base"] = crate::compare::code_base(&i.name).into();
                v["tier"] = wasmgate_runners::registry::tier(&i.name).into();
                // Whether a command runs it when no engines are named.
                v["default"] = (!opt_in(&i.name)).into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(0);
    }
    let width = infos.iter().map(|i| i.name.len()).max().unwrap_or(6).max(6);
    let vwidth = infos.iter().map(|i| i.version.len()).max().unwrap_or(7).max(7);
    let bwidth = infos
        .iter()
        .map(|i| crate::compare::code_base(&i.name).len())
        .max()
        .unwrap_or(9)
        .max(9);
    let tier = |name: &str| {
        let t = wasmgate_runners::registry::tier(name);
        if opt_in(name) {
            format!("{t} (only when named)")
        } else {
            t.to_string()
        }
    };
    let twidth = infos
        .iter()
        .map(|i| tier(&i.name).len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:width$}  {:bwidth$}  {:vwidth$}  {:twidth$}  features",
        "engine", "code base", "version", "tier"
    );
    for i in &infos {
        let features: Vec<&str> = i.features.iter().map(|f| f.name()).collect();
        println!(
            "{:width$}  {:bwidth$}  {:vwidth$}  {:twidth$}  {}",
            i.name,
            crate::compare::code_base(&i.name),
            i.version,
            tier(&i.name),
            features.join(", ")
        );
    }
    for u in resolved.unavailable.iter().chain(&wasi_unavailable) {
        println!("{:width$}  unavailable: {}", u.engine, u.reason);
    }
    Ok(0)
}
