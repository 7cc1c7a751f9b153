//! `wasmgate merge`: join shard reports into one.

use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Reports to merge (`report.json` files or their folders).
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Folder for the merged report and bundles [default: reports/merged].
    #[command(flatten)]
    out: super::OutOpt,
    /// Pass the gate even if the reports do not cover their whole seed range
    /// (a shard missing); without it, a gap is an error (exit 2).
    #[arg(long, env = "WASMGATE_ALLOW_INCOMPLETE", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    allow_incomplete: bool,
}

pub fn run(opts: Opts) -> Result<i32> {
    let out = opts.out.or("reports/merged");
    let reports = crate::campaign::merge::load(&opts.reports)?;
    let merged = crate::campaign::merge::merge(&reports, &out)?;
    merged.check_compared_something(&out)?;
    if let Some(missing) = &merged.run.incomplete {
        if !opts.allow_incomplete {
            anyhow::bail!(
                "the merge is incomplete: {missing} (report: {}; --allow-incomplete accepts a gap)",
                out.join("report.json").display()
            );
        }
        eprintln!("wasmgate: warning: {missing}");
    }
    super::run::print_summary(&merged, &out, false);
    Ok(merged.exit_code())
}
