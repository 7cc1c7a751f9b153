//! `wasmgate compat OLD NEW`: is the new version of a module a drop-in
//! replacement for the old one, on every engine?

use crate::check::{self, compat};
use crate::compare::judge::CaseResult;
use crate::report::{Compat, ReportKind};
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The version in use (`.wasm` or `.wat`).
    old: PathBuf,
    /// The version that replaces it.
    new: PathBuf,
    #[command(flatten)]
    common: super::check::ModuleOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    let files = opts.common.vectors.read()?;
    let all: Vec<_> = files.iter().collect();
    // Vectors files that name a module are for the old one; files naming none apply to both.
    let old = check::prepare(
        &opts.old,
        &all,
        opts.common.vectors.calls(),
        opts.common.vectors.seed,
    )?;
    // The new version's imports come from the same files; its calls are the old one's.
    let mut new = check::prepare_with(&opts.new, &all, 0, 0, false)?;
    let (old_name, new_name) = (opts.old.display().to_string(), opts.new.display().to_string());
    let (result, common) = compat::exports(&old.original, &new.original, &old_name, &new_name)?;
    let mut old_case = old.case.clone();
    // Calls of exports both versions have, and scenario steps (exports the
    // harness added to both, from the same files).
    old_case.calls.retain(|c| {
        common.contains(&c.export) || (old.steps.contains(&c.export) && new.steps.contains(&c.export))
    });
    old_case.calls.iter_mut().for_each(|c| c.expect = None);
    if old_case.calls.is_empty()
        && result.incompatibilities() == 0
        && common.is_empty()
        && result.added.is_empty()
    {
        bail!("compared nothing: {old_name} exports no function wasmgate can call");
    }
    new.case.calls = old_case.calls.clone();
    let cases = vec![old_case, new.case.clone()];
    let exports = result.clone();
    let changes = |results: &[CaseResult]| Compat {
        behaviour: compat::behaviour_changes(&cases[0], &results[0], &results[1]),
        ..exports.clone()
    };
    let (report, out, _) = opts.common.cases.run(
        ReportKind::Compat,
        vec![old_name, new_name],
        &cases,
        Some(&changes),
    )?;
    print_compat(&report);
    super::run::print_summary(&report, &out, opts.common.cases.quiet.quiet);
    Ok(report.exit_code())
}

fn print_compat(report: &crate::report::Report) {
    let Some(c) = &report.compat else { return };
    for a in &c.added {
        println!("added: {a}");
    }
    for r in &c.removed {
        println!("INCOMPATIBLE: removed export {r}");
    }
    for ch in &c.changed {
        println!(
            "INCOMPATIBLE: {} changed signature: {} -> {}",
            ch.export, ch.old, ch.new
        );
    }
    for b in &c.behaviour {
        println!("INCOMPATIBLE: {b}");
    }
    println!(
        "compat: {}",
        if c.incompatibilities() == 0 {
            format!("compatible ({} export(s) added)", c.added.len())
        } else {
            format!("{} incompatibilit(ies)", c.incompatibilities())
        }
    );
}
