//! `wasmgate corpus add|run|min`: the regression corpus.

use crate::corpus::{self, Added};
use crate::report::ReportKind;
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[command(subcommand)]
    action: Action,
    /// The corpus folder.
    #[arg(long, global = true, env = "WASMGATE_CORPUS", default_value = corpus::DEFAULT_DIR)]
    corpus: PathBuf,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Store findings' bundles (their minimised bundle when shrinking kept one).
    Add {
        /// Bundle folders (or their bundle.json), e.g. reports/RUN/findings/SIG.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
    },
    /// Replay every entry on every engine: a divergence not on the known list fails the gate.
    Run {
        #[command(flatten)]
        cases: super::check::CaseOpts,
    },
    /// Keep only the smallest entry of each signature.
    Min,
}

pub fn run(opts: Opts) -> Result<i32> {
    match opts.action {
        Action::Add { bundles } => {
            for b in &bundles {
                match corpus::add(&opts.corpus, b)? {
                    Added::Stored(dir) => println!("stored {}", dir.display()),
                    Added::Present(dir) => println!("already stored as {}", dir.display()),
                }
            }
            Ok(0)
        }
        Action::Min => {
            let (kept, removed) = corpus::minimize(&opts.corpus)?;
            for dir in &removed {
                println!("removed {} (a smaller entry has its signature)", dir.display());
            }
            println!(
                "corpus {}: kept {} entries, one per signature; removed {}",
                opts.corpus.display(),
                kept.len(),
                removed.len()
            );
            Ok(0)
        }
        Action::Run { cases } => {
            let entries = corpus::load(&opts.corpus)?;
            if entries.is_empty() {
                anyhow::bail!(
                    "the corpus {} has no entries: `wasmgate corpus add BUNDLE` stores one",
                    opts.corpus.display()
                );
            }
            let names = entries.iter().map(|e| e.dir.display().to_string()).collect();
            let cases_of: Vec<_> = entries.iter().map(|e| e.bundle.case.clone()).collect();
            let (report, out, _) = cases.run(ReportKind::Corpus, names, &cases_of, None)?;
            super::run::print_summary(&report, &out, cases.quiet.quiet);
            Ok(report.exit_code())
        }
    }
}
