//! `wasmgate merge`: join shard reports into one.

use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Reports to merge (`report.json` files or their folders).
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Folder for the merged report and bundles.
    #[arg(long, default_value = "reports/merged")]
    out: PathBuf,
    /// Pass the gate even if the reports do not cover their whole seed range
    /// (a shard missing); without it, a gap is an error (exit 2).
    #[arg(long)]
    allow_incomplete: bool,
}

pub fn run(opts: Opts) -> Result<i32> {
    let reports = crate::campaign::merge::load(&opts.reports)?;
    let merged = crate::campaign::merge::merge(&reports, &opts.out)?;
    merged.check_compared_something(&opts.out)?;
    if let Some(missing) = &merged.run.incomplete {
        if !opts.allow_incomplete {
            anyhow::bail!(
                "the merge is incomplete: {missing} (report: {}; --allow-incomplete accepts a gap)",
                opts.out.join("report.json").display()
            );
        }
        eprintln!("wasmgate: warning: {missing}");
    }
    super::run::print_summary(&merged, &opts.out, false);
    Ok(merged.exit_code())
}
