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
            if let Some(kind) = kind.filter(|k| k != "run" && k != "merge") {
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
    let engine_names = |r: &Report| {
        r.envelope
            .engines
            .iter()
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
    };
    for (dir, r) in reports {
        if r.envelope.schema_version != first.envelope.schema_version {
            bail!(
                "{} has report schema {}, not {}",
                dir.display(),
                r.envelope.schema_version,
                first.envelope.schema_version
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
    let covered: Vec<Coverage> = reports.iter().map(|(_, r)| Coverage::of(r)).collect();
    for (i, a) in covered.iter().enumerate() {
        for (j, b) in covered.iter().enumerate().skip(i + 1) {
            if let Some(seed) = a.first_common(b) {
                bail!(
                    "{} and {} both cover seed {seed} ({} and {}): a report would be counted twice",
                    reports[i].0.display(),
                    reports[j].0.display(),
                    a.describe(),
                    b.describe()
                );
            }
        }
    }
    let mut merged = first.clone();
    merged.run.name = format!("merge of {} reports", reports.len());
    merged.envelope.kind = crate::report::ReportKind::Merge;
    merged.run.shard = None;
    merged.run.seeds.start = reports.iter().map(|(_, r)| r.run.seeds.start).min().unwrap_or(0);
    merged.run.seeds.end = reports.iter().map(|(_, r)| r.run.seeds.end).max().unwrap_or(0);
    merged.envelope.timing.wall_ms = reports
        .iter()
        .map(|(_, r)| r.envelope.timing.wall_ms)
        .max()
        .unwrap_or(0);
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
        for (k, v) in &t.features {
            s.features.entry(k.clone()).or_default().add(v);
        }
        s.wasm3_cases += t.wasm3_cases;
        s.lost_replays += t.lost_replays;
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
                        (m.step, m.at, m.groups, *from) =
                            (f.step.clone(), f.at.clone(), f.groups.clone(), dir.clone());
                    }
                    m.count += f.count;
                    m.seeds.extend(&f.seeds);
                    m.seeds.sort_unstable();
                }
            }
        }
    }
    // Every bundle must be there and intact (its module's SHA-256) before the
    // merged report points at it, and before the output folder is touched.
    for (f, from) in findings.values() {
        for bundle in std::iter::once(&f.bundle).chain(&f.minimized) {
            crate::report::bundle::ReproBundle::load(&from.join(bundle)).with_context(|| {
                format!(
                    "cannot merge {}: finding {}'s bundle is missing or damaged",
                    from.display(),
                    f.signature
                )
            })?;
        }
    }
    let inputs: Vec<PathBuf> = reports.iter().map(|(dir, _)| dir.clone()).collect();
    let _lock = crate::report::open_dir(out, &inputs, true)?;
    for (f, from) in findings.values() {
        copy_dir(&from.join(&f.bundle), &out.join(&f.bundle))?;
    }
    merged.findings = findings.into_values().map(|(f, _)| f).collect();
    merged.summary.unique_findings = merged.findings.len() as u64;
    merged.summary.known_findings = merged.findings.iter().filter(|f| f.known.is_some()).count() as u64;
    // Shards with a time budget cover what their time allowed: gaps are expected.
    let budgeted = reports.iter().any(|(_, r)| r.run.time_budget_ms.is_some());
    merged.run.incomplete = (!budgeted)
        .then(|| missing_seeds(&covered, merged.run.seeds))
        .flatten();
    crate::report::write_report(&mut merged, out)?;
    Ok(merged)
}

/// The seeds one report covers: `start..end`, only those `s` with
/// `s % count == index - 1` (count 1: all of them).
#[derive(Clone, Copy, Debug)]
struct Coverage {
    start: u64,
    end: u64,
    index: u64,
    count: u64,
}

impl Coverage {
    fn of(r: &Report) -> Self {
        let (index, count) = r.run.shard.map_or((1, 1), |s| (s.index, s.count));
        Coverage {
            start: r.run.seeds.start,
            end: r.run.seeds.end,
            index,
            count,
        }
    }

    fn describe(&self) -> String {
        match self.count {
            1 => format!("seeds {}..{}", self.start, self.end),
            n => format!("shard {}/{n} of seeds {}..{}", self.index, self.start, self.end),
        }
    }

    /// How many seeds it covers.
    fn len(&self) -> u64 {
        let below = |x: u64| -> u64 {
            // Seeds s < x with s % count == index - 1.
            let r = self.index - 1;
            if x <= r { 0 } else { (x - r - 1) / self.count + 1 }
        };
        below(self.end).saturating_sub(below(self.start))
    }

    /// The lowest seed both cover, if any (the Chinese remainder theorem on
    /// the two residues, within the overlap of the two ranges).
    fn first_common(&self, other: &Coverage) -> Option<u64> {
        let (lo, hi) = (self.start.max(other.start), self.end.min(other.end));
        if lo >= hi {
            return None;
        }
        let (a, n, b, m) = (
            (self.index - 1) as i128,
            self.count as i128,
            (other.index - 1) as i128,
            other.count as i128,
        );
        let (g, p, _) = ext_gcd(n, m);
        if (b - a) % g != 0 {
            return None;
        }
        let l = n / g * m;
        let x = (a + n * ((b - a) / g * p).rem_euclid(m / g)).rem_euclid(l);
        let lo = lo as i128;
        let first = lo + (x - lo).rem_euclid(l);
        (first < hi as i128).then_some(first as u64)
    }
}

/// `(g, x, y)` with `a*x + b*y == g == gcd(a, b)`.
fn ext_gcd(a: i128, b: i128) -> (i128, i128, i128) {
    if b == 0 {
        (a, 1, 0)
    } else {
        let (g, x, y) = ext_gcd(b, a % b);
        (g, y, x - a / b * y)
    }
}

/// What the merged range lacks: the missing shards when all reports split
/// the same range the same way, else how many seeds no report covers.
fn missing_seeds(covered: &[Coverage], range: crate::report::SeedRange) -> Option<String> {
    let have: u64 = covered.iter().map(Coverage::len).sum();
    if have >= range.len() {
        return None;
    }
    let first = covered[0];
    let like = covered
        .iter()
        .all(|c| (c.start, c.end, c.count) == (first.start, first.end, first.count));
    if like && first.count > 1 {
        let missing: Vec<String> = (1..=first.count)
            .filter(|k| !covered.iter().any(|c| c.index == *k))
            .map(|k| format!("{k}/{}", first.count))
            .collect();
        return Some(format!(
            "shard(s) {} of seeds {range} are missing",
            missing.join(", ")
        ));
    }
    Some(format!(
        "{} of the {} seeds in {range} are in no merged report",
        range.len() - have,
        range.len()
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cov(start: u64, end: u64, index: u64, count: u64) -> Coverage {
        Coverage {
            start,
            end,
            index,
            count,
        }
    }

    #[test]
    fn coverage_counts_and_overlaps() {
        assert_eq!(cov(0, 10, 1, 1).len(), 10);
        assert_eq!(cov(0, 10, 1, 4).len(), 3); // 0, 4, 8
        assert_eq!(cov(0, 10, 4, 4).len(), 2); // 3, 7
        assert_eq!(cov(5, 10, 2, 4).len(), 2); // 5, 9
        assert_eq!(cov(0, 10, 1, 4).first_common(&cov(0, 10, 2, 4)), None);
        assert_eq!(cov(0, 10, 1, 4).first_common(&cov(0, 10, 1, 4)), Some(0));
        assert_eq!(cov(0, 100, 2, 4).first_common(&cov(0, 100, 2, 6)), Some(1));
        assert_eq!(cov(0, 100, 1, 2).first_common(&cov(0, 100, 2, 4)), None);
        assert_eq!(cov(0, 50, 1, 1).first_common(&cov(50, 90, 1, 1)), None);
        assert_eq!(cov(0, 51, 1, 1).first_common(&cov(50, 90, 1, 1)), Some(50));
        assert_eq!(
            cov(0, u64::MAX, 3, 7).first_common(&cov(0, u64::MAX, 5, 11)),
            Some(37)
        );
    }
}
