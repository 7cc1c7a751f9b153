//! Reports: the report model CI reads ([`Report`], exit codes) and every
//! rendering of it — JSON, Markdown ([`markdown`]), JUnit ([`junit`]) — plus
//! reproducer bundles ([`bundle`]) and the side-by-side view of one case
//! ([`side_by_side`]).
//!
//! Takes verdicts and outcomes from `compare/` and `execute/`.
//! Invariant: a renderer reads only the report model; nothing here runs an engine.

pub mod bundle;
pub mod junit;
mod markdown;
mod model;
pub mod side_by_side;

pub use model::*;

use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Writes `report.json`, `summary.md` and `report.xml` (JUnit) into `dir`.
pub fn write_report(report: &Report, dir: &Path) -> Result<()> {
    let json = serde_json::to_vec_pretty(report)?;
    crate::report::bundle::write_atomic(&dir.join("report.json"), &json)?;
    crate::report::bundle::write_atomic(&dir.join("summary.md"), report.to_markdown().as_bytes())?;
    crate::report::bundle::write_atomic(
        &dir.join("report.xml"),
        crate::report::junit::run(report).as_bytes(),
    )?;
    let _ = std::io::stderr().flush();
    Ok(())
}
