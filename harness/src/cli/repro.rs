//! `wasmgate repro`: replay one case and show what each engine did.

use super::EngineOpts;
use crate::bundle::ReproBundle;
use crate::campaign::run_case;
use crate::case::TestCase;
use crate::compare::Verdict;
use crate::engines;
use crate::profile::Profile;
use crate::report::exit;
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// A bundle folder (or its bundle.json) written by `wasmgate run`.
    #[arg(conflicts_with_all = ["profile", "seed"])]
    bundle: Option<PathBuf>,
    /// Regenerate the case from this profile …
    #[arg(long, value_enum, requires = "seed")]
    profile: Option<Profile>,
    /// … and this seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Engines (default: those named in the bundle, or every engine in this build).
    #[command(flatten)]
    engines: EngineOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let (case, default_engines) = match (&opts.bundle, opts.seed) {
        (Some(path), _) => {
            let bundle = ReproBundle::load(path)?;
            let names: Vec<String> = bundle.engines.iter().map(|e| e.name.clone()).collect();
            (bundle.case, names)
        }
        (None, Some(seed)) => (
            TestCase::generated(opts.profile.unwrap_or(Profile::Default), seed)?,
            engines::default_names(),
        ),
        (None, None) => bail!("give a bundle path, or --seed N (with --profile P)"),
    };
    let names = if opts.engines.engines.is_empty() {
        default_engines
    } else {
        opts.engines.names()
    };
    let engines = engines::resolve_all(&names)?;
    let (outcomes, verdict) = run_case(&engines, &case);
    print!("{}", crate::repro::render(&case, &outcomes, &verdict));
    Ok(match verdict {
        Verdict::Diverge(_) => exit::FINDINGS,
        _ => exit::AGREE,
    })
}
