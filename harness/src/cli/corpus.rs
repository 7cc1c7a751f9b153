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
    /// Mutate every corpus entry (and each `--wasm` module) with wasm-mutate
    /// and run the mutants on every engine, like `run`: a second generation
    /// source around programs that once broke an engine.
    Mutate {
        #[command(flatten)]
        cases: super::check::CaseOpts,
        /// More modules to mutate (a team's own, the spec testsuite's): `.wasm` or `.wat`.
        #[arg(long = "wasm", env = "WASMGATE_WASM", value_delimiter = ',')]
        wasm: Vec<PathBuf>,
        /// Vectors files giving the `--wasm` modules' imports, as for
        /// `check`: the host is linked in before mutation (their calls are not made).
        #[arg(long, value_name = "FILE", env = "WASMGATE_VECTORS", value_delimiter = ',')]
        vectors: Vec<PathBuf>,
        /// Mutants per module.
        #[arg(long, env = "WASMGATE_MUTANTS", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..))]
        mutants: u64,
        /// First mutation seed: mutant k of each module uses this + k.
        #[arg(long, env = "WASMGATE_MUTATION_SEED", default_value_t = 0)]
        mutation_seed: u64,
        /// Only wasm-mutate's semantics-preserving mutations.
        #[arg(long, env = "WASMGATE_PRESERVE_SEMANTICS", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
        preserve_semantics: bool,
        /// Mutate only the `--wasm` modules, not the corpus.
        #[arg(long, env = "WASMGATE_NO_CORPUS", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
        no_corpus: bool,
    },
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
        Action::Mutate {
            cases,
            wasm,
            vectors,
            mutants,
            mutation_seed: seed,
            preserve_semantics,
            no_corpus,
        } => {
            let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
            if !no_corpus {
                for e in corpus::load(&opts.corpus)? {
                    inputs.push((e.dir.display().to_string(), e.bundle.case.wasm.clone()));
                }
            }
            let files = crate::source::vectors_file::VectorsFile::read_all(&vectors)?;
            for path in &wasm {
                inputs.push((path.display().to_string(), crate::check::linked(path, &files)?));
            }
            if inputs.is_empty() {
                anyhow::bail!(
                    "nothing to mutate: the corpus {} has no entries and no --wasm module was given",
                    opts.corpus.display()
                );
            }
            let mut names = Vec::new();
            let mut cases_of = Vec::new();
            for (name, bytes) in &inputs {
                for k in 0..mutants {
                    if let Some(case) = crate::source::mutate::case(name, bytes, seed + k, preserve_semantics)
                    {
                        names.push(format!("{name} (wasm-mutate seed {})", seed + k));
                        cases_of.push(case);
                    }
                }
            }
            if cases_of.is_empty() {
                anyhow::bail!(
                    "wasm-mutate found no mutation to apply to the {} module(s)",
                    inputs.len()
                );
            }
            eprintln!(
                "wasmgate: {} mutants of {} module(s), seeds {}..{}",
                cases_of.len(),
                inputs.len(),
                seed,
                seed + mutants
            );
            let (report, out, _) = cases.run(ReportKind::Corpus, names, &cases_of, None)?;
            super::run::print_summary(&report, &out, cases.quiet.quiet);
            Ok(report.exit_code())
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
