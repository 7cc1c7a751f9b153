//! Named baselines, as criterion keeps them: `--save-baseline NAME` stores a
//! run's samples in `reports/baselines/NAME.json`; `--baseline NAME` compares
//! a later run with them. A NAME with a `/` or ending in `.json` is a path.

use crate::execute::slow::measured_name;
use crate::report::bundle::write_atomic;
use crate::report::perf::{BaselineRef, PerfCell};
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use wasmgate_runners::EngineInfo;

/// Version of the baseline file format.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// Where named baselines live by default.
pub const DEFAULT_DIR: &str = "reports/baselines";

/// A saved baseline: the samples of every cell, and what measured them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema_version: u32,
    pub name: String,
    pub created_at: String,
    pub wasmgate_version: String,
    pub engines: Vec<EngineInfo>,
    pub workloads: Vec<String>,
    pub reps: u32,
    pub cells: Vec<PerfCell>,
}

/// The file a baseline NAME stands for.
pub fn path_of(dir: &Path, name: &str) -> Result<PathBuf> {
    if name.ends_with(".json") {
        return Ok(PathBuf::from(name));
    }
    if name.contains('/') {
        bail!("`{name}` is neither a baseline name nor a path to a .json file");
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        bail!(
            "`{name}` cannot name a baseline: use letters, digits, `-`, `_` or `.` (or give a path to a .json file)"
        );
    }
    Ok(dir.join(format!("{name}.json")))
}

/// Saves `cells` as baseline `name`.
pub fn save(
    dir: &Path,
    name: &str,
    engines: &[EngineInfo],
    workloads: &[String],
    reps: u32,
    cells: &[PerfCell],
    created_at: &str,
) -> Result<BaselineRef> {
    let path = path_of(dir, name)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let baseline = Baseline {
        schema_version: BASELINE_SCHEMA_VERSION,
        name: name.to_string(),
        created_at: created_at.to_string(),
        wasmgate_version: env!("CARGO_PKG_VERSION").to_string(),
        engines: engines.to_vec(),
        workloads: workloads.to_vec(),
        reps,
        cells: cells.to_vec(),
    };
    write_atomic(&path, &serde_json::to_vec_pretty(&baseline)?)?;
    Ok(BaselineRef {
        name: name.to_string(),
        path: path.display().to_string(),
        created_at: created_at.to_string(),
    })
}

/// Reads baseline `name` and checks that it measured the same engines (by
/// the engine measured: `slow:wasmi:25` is `wasmi`) and every workload of
/// this run.
pub fn load(
    dir: &Path,
    name: &str,
    engines: &[String],
    workloads: &[String],
) -> Result<(Baseline, BaselineRef)> {
    let path = path_of(dir, name)?;
    let text = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!(
            "no baseline `{name}` at {} (save one with --save-baseline {name})",
            path.display()
        ),
        _ => anyhow!("cannot read baseline {}: {e}", path.display()),
    })?;
    let baseline: Baseline = serde_json::from_slice(&text)
        .map_err(|e| anyhow!("{} is not a wasmgate perf baseline: {e}", path.display()))?;
    if baseline.schema_version != BASELINE_SCHEMA_VERSION {
        bail!(
            "{} is a baseline of format {}; this wasmgate reads format {BASELINE_SCHEMA_VERSION}: save it again",
            path.display(),
            baseline.schema_version
        );
    }
    let theirs: BTreeSet<&str> = baseline.engines.iter().map(|e| e.name.as_str()).collect();
    let ours: BTreeSet<&str> = engines.iter().map(|e| measured_name(e)).collect();
    if theirs != ours {
        bail!(
            "baseline `{name}` was measured on {}, this run measures {}: compare like with like (the same --engine list)",
            theirs.into_iter().collect::<Vec<_>>().join(", "),
            ours.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(w) = workloads.iter().find(|w| !baseline.workloads.contains(w)) {
        bail!(
            "baseline `{name}` has no workload `{w}` (it has: {})",
            baseline.workloads.join(", ")
        );
    }
    let reference = BaselineRef {
        name: baseline.name.clone(),
        path: path.display().to_string(),
        created_at: baseline.created_at.clone(),
    };
    Ok((baseline, reference))
}
