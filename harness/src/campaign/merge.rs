//! Merging the reports of shards (or of any runs of the same profile and
//! engines) into one: counts add up, findings join by signature, and each
//! finding keeps the bundle of its lowest seed.

use crate::report::{Finding, Report};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Reads `report.json` files (or the folders holding them).
pub fn load(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Report)>> {
    paths
        .iter()
        .map(|p| {
            let file = if p.is_dir() {
                p.join("report.json")
            } else {
                p.clone()
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read report {}", file.display()))?;
            let kind = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from));
            if let Some(kind) = kind {
                anyhow::bail!(
                    "{} is a {kind} report; merge combines run reports",
                    file.display()
                );
            }
            let report: Report = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a wasmgate report", file.display()))?;
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            Ok((dir, report))
        })
        .collect()
}

/// Merges reports into one written to `out` (bundles copied along).
pub fn merge(reports: &[(PathBuf, Report)], out: &Path) -> Result<Report> {
    let Some((_, first)) = reports.first() else {
        bail!("nothing to merge")
    };
    let engine_names = |r: &Report| r.engines.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    for (dir, r) in reports {
        if r.schema_version != first.schema_version {
            bail!(
                "{} has report schema {}, not {}",
                dir.display(),
                r.schema_version,
                first.schema_version
            );
        }
        if r.run.profile != first.run.profile || r.run.generator_version != first.run.generator_version {
            bail!(
                "{} is a run of another profile or generator version; only like runs merge",
                dir.display()
            );
        }
        if engine_names(r) != engine_names(first) {
            bail!(
                "{} ran other engines ({}); only like runs merge",
                dir.display(),
                engine_names(r).join(", ")
            );
        }
    }
    let mut merged = first.clone();
    merged.run.name = format!("merge of {} reports", reports.len());
    merged.run.shard = None;
    merged.run.seeds.start = reports.iter().map(|(_, r)| r.run.seeds.start).min().unwrap_or(0);
    merged.run.seeds.end = reports.iter().map(|(_, r)| r.run.seeds.end).max().unwrap_or(0);
    merged.run.wall_ms = reports.iter().map(|(_, r)| r.run.wall_ms).max().unwrap_or(0);
    let s = &mut merged.summary;
    *s = Default::default();
    let mut findings: BTreeMap<String, (Finding, PathBuf)> = BTreeMap::new();
    merged.timings.clear();
    for (dir, r) in reports {
        let t = &r.summary;
        s.cases += t.cases;
        s.agreed += t.agreed;
        s.diverged += t.diverged;
        s.inconclusive += t.inconclusive;
        s.generation_errors += t.generation_errors;
        s.calls += t.calls;
        s.calls_returned += t.calls_returned;
        for (k, v) in &t.skipped {
            *s.skipped.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &t.inconclusive_reasons {
            *s.inconclusive_reasons.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &r.timings {
            let e = merged.timings.entry(k.clone()).or_default();
            e.cases += v.cases;
            e.timings.add(&v.timings);
        }
        for f in &r.findings {
            match findings.get_mut(&f.signature) {
                None => {
                    findings.insert(f.signature.clone(), (f.clone(), dir.clone()));
                }
                Some((m, from)) => {
                    if f.seeds.first() < m.seeds.first() {
                        (m.step, m.groups, *from) = (f.step.clone(), f.groups.clone(), dir.clone());
                    }
                    m.count += f.count;
                    m.seeds.extend(&f.seeds);
                    m.seeds.sort_unstable();
                }
            }
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (f, from) in findings.values() {
        copy_dir(&from.join(&f.bundle), &out.join(&f.bundle))?;
    }
    merged.findings = findings.into_values().map(|(f, _)| f).collect();
    merged.summary.unique_findings = merged.findings.len() as u64;
    crate::report::write_report(&merged, out)?;
    Ok(merged)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()))?;
        } else if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
