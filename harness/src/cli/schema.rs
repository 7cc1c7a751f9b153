//! `wasmgate schema`: the JSON Schema of the reports, generated from the
//! report model itself (schemars), so it cannot drift from what is written.
//! The published copies are `schema/*.schema.json`; a test keeps them equal.

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Which report: `report` (run, sweep and merge) or `conformance`.
    #[arg(value_parser = ["report", "conformance"], default_value = "report")]
    which: String,
}

/// The schema of `which` report, as pretty JSON.
pub fn schema(which: &str) -> Result<String> {
    let schema = match which {
        "conformance" => schemars::schema_for!(crate::conformance::report::ConformanceReport),
        _ => schemars::schema_for!(crate::report::Report),
    };
    Ok(serde_json::to_string_pretty(&schema)? + "\n")
}

pub fn run(opts: Opts) -> Result<i32> {
    print!("{}", schema(&opts.which)?);
    Ok(crate::report::exit::AGREE)
}
