//! `wasmgate merge`: join shard reports into one.

use crate::report::exit;
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
}

pub fn run(opts: Opts) -> Result<i32> {
    let reports = crate::campaign::merge::load(&opts.reports)?;
    let merged = crate::campaign::merge::merge(&reports, &opts.out)?;
    super::run::print_summary(&merged, &opts.out);
    Ok(if merged.findings.is_empty() {
        exit::AGREE
    } else {
        exit::FINDINGS
    })
}
