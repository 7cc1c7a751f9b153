//! The conformance report: engine × file counts, per-engine totals, every
//! failure (expected or new), stale expected failures and the differential
//! view. Same conventions as the run report: `report.json` is canonical,
//! `summary.md` is rendered from it, exit codes from [`crate::report::exit`].

use super::exec::{FileRun, Verdict};
use super::expected::Entry;
use super::script::Script;
use crate::execute::engines::Unavailable;
use crate::report::{Envelope, Gate, ReportKind, Timing, exit};
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use wasmgate_runners::EngineInfo;

/// Directive counts of one engine on one file (or in total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counts {
    pub passed: u64,
    /// Failures not on the expected-failure list.
    pub failed: u64,
    /// Failures on the expected-failure list.
    pub expected_failures: u64,
    pub skipped: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.expected_failures += o.expected_failures;
        self.skipped += o.skipped;
    }

    /// Directives the engine ran (everything but the skipped ones).
    pub fn ran(&self) -> u64 {
        self.passed + self.failed + self.expected_failures
    }
}

/// One engine's result on one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cell {
    #[serde(flatten)]
    pub counts: Counts,
    /// Why the whole file was skipped on this engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
}

/// One file: its directives and each engine's counts (in `engines` order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileRow {
    pub file: String,
    pub directives: u64,
    /// Text-format checks (malformed text the parser must reject): passed, failed lines.
    pub text_checks_passed: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_checks_failed: Vec<usize>,
    pub engines: Vec<Cell>,
}

/// One engine failure on one directive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Failure {
    pub engine: String,
    pub file: String,
    pub line: usize,
    pub directive: String,
    pub expected: String,
    pub got: String,
    /// The expected-failure list's reason, if this failure is listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_failure: Option<String>,
}

/// A directive on which engines that ran it do not all behave alike.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Disagreement {
    pub file: String,
    pub line: usize,
    pub directive: String,
    /// Each engine's observed outcome (engines that skipped it are left out).
    pub outcomes: BTreeMap<String, String>,
    /// Engines that failed the directive.
    pub failed: Vec<String>,
}

/// A complete conformance report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConformanceReport {
    /// Kind `conformance`; the gate's `new` counts new failures, `known`
    /// expected ones, `stale` expected-failure entries that matched nothing.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// Suite name (`wasm-v2`, `proposals/simd`) or `files`.
    pub suite: String,
    pub testsuite: String,
    pub jobs: usize,
    /// Per engine, over all files.
    pub totals: BTreeMap<String, Counts>,
    /// Per engine: wall time spent running its files (summed over threads).
    pub engine_ms: BTreeMap<String, u64>,
    /// Per engine: why directives were skipped, with counts.
    pub skip_reasons: BTreeMap<String, BTreeMap<String, u64>>,
    pub files: Vec<FileRow>,
    pub failures: Vec<Failure>,
    /// Expected-failure entries that matched no failure although their engine
    /// ran their file: the engine (or the harness) got fixed; remove them.
    pub stale: Vec<Entry>,
    pub disagreements: Vec<Disagreement>,
}

/// What a run was, for the report header.
pub struct RunMeta {
    pub suite: String,
    pub started_at: String,
    pub wall_ms: u64,
    pub jobs: usize,
    pub unavailable: Vec<Unavailable>,
}

/// Judges `runs` (indexed `[script][engine]`) against the expected-failure list.
pub fn build(
    meta: RunMeta,
    scripts: &[Script],
    engines: &[EngineInfo],
    runs: &[Vec<FileRun>],
    expected: &[Entry],
) -> ConformanceReport {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    let mut disagreements = Vec::new();
    let mut totals: BTreeMap<String, Counts> = engines
        .iter()
        .map(|e| (e.name.clone(), Counts::default()))
        .collect();
    let mut engine_ms: BTreeMap<String, u64> = BTreeMap::new();
    let mut skip_reasons: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut used = vec![false; expected.len()];
    let mut applicable = vec![false; expected.len()];
    for (script, row) in scripts.iter().zip(runs) {
        let mut cells = Vec::new();
        for (engine, run) in engines.iter().zip(row) {
            let mut counts = Counts::default();
            *engine_ms.entry(engine.name.clone()).or_default() += run.elapsed.as_millis() as u64;
            if run.skipped.is_none() {
                for (i, e) in expected.iter().enumerate() {
                    if e.applies_to(engine, &script.file) {
                        applicable[i] = true;
                    }
                }
            }
            for (step, result) in script.steps.iter().zip(&run.results) {
                match &result.verdict {
                    Verdict::Pass => counts.passed += 1,
                    Verdict::Skip { why } => {
                        counts.skipped += 1;
                        *skip_reasons
                            .entry(engine.name.clone())
                            .or_default()
                            .entry(why.clone())
                            .or_default() += 1;
                    }
                    Verdict::Fail { expected: want, got } => {
                        let listed = expected
                            .iter()
                            .position(|e| e.covers(engine, &script.file, step.line, step.directive));
                        if let Some(i) = listed {
                            used[i] = true;
                            counts.expected_failures += 1;
                        } else {
                            counts.failed += 1;
                        }
                        failures.push(Failure {
                            engine: engine.name.clone(),
                            file: script.file.clone(),
                            line: step.line,
                            directive: step.directive.to_string(),
                            expected: want.clone(),
                            got: got.clone(),
                            expected_failure: listed.map(|i| expected[i].reason.clone()),
                        });
                    }
                }
            }
            totals.entry(engine.name.clone()).or_default().add(&counts);
            cells.push(Cell {
                counts,
                skipped_because: run.skipped.clone(),
            });
        }
        for (index, step) in script.steps.iter().enumerate() {
            let mut outcomes = BTreeMap::new();
            let mut failed = Vec::new();
            for (engine, run) in engines.iter().zip(row) {
                let r = &run.results[index];
                match r.verdict {
                    Verdict::Skip { .. } => continue,
                    Verdict::Fail { .. } => failed.push(engine.name.clone()),
                    Verdict::Pass => {}
                }
                outcomes.insert(engine.name.clone(), r.observed.clone());
            }
            let ran = outcomes.len();
            let all_failed_alike = failed.len() == ran && {
                let distinct: std::collections::BTreeSet<&String> = outcomes.values().collect();
                distinct.len() == 1
            };
            if ran > 1 && !failed.is_empty() && !all_failed_alike {
                disagreements.push(Disagreement {
                    file: script.file.clone(),
                    line: step.line,
                    directive: step.directive.to_string(),
                    outcomes,
                    failed,
                });
            }
        }
        files.push(FileRow {
            file: script.file.clone(),
            directives: script.steps.len() as u64,
            text_checks_passed: script.text.passed as u64,
            text_checks_failed: script.text.failed.clone(),
            engines: cells,
        });
    }
    let stale: Vec<Entry> = expected
        .iter()
        .zip(used.iter().zip(&applicable))
        .filter(|(_, (used, applicable))| **applicable && !**used)
        .map(|(e, _)| e.clone())
        .collect();
    let new_failures = totals.values().map(|c| c.failed).sum();
    let expected_failures = totals.values().map(|c| c.expected_failures).sum();
    let mut envelope = Envelope::new(
        ReportKind::Conformance,
        engines.to_vec(),
        meta.unavailable,
        Timing {
            started_at: meta.started_at,
            wall_ms: meta.wall_ms,
        },
    );
    let nothing = (engines.is_empty() || totals.values().all(|c| c.ran() == 0))
        .then(|| "compared nothing: no directive ran on any engine".to_string());
    envelope.gate = Gate::judge(new_failures, expected_failures, stale.len() as u64, nothing);
    ConformanceReport {
        envelope,
        suite: meta.suite,
        testsuite: super::TESTSUITE.into(),
        jobs: meta.jobs,
        totals,
        engine_ms,
        skip_reasons,
        files,
        failures,
        stale,
        disagreements,
    }
}

fn percent(c: &Counts) -> String {
    if c.ran() == 0 {
        return "–".into();
    }
    // Two decimals, rounded down: 99.99 % must not read as 100 %.
    let hundredths = 10_000 * c.passed / c.ran();
    format!("{}.{:02} %", hundredths / 100, hundredths % 100)
}

impl ConformanceReport {
    /// 0 when the gate passed, 1 on new failures.
    pub fn exit_code(&self) -> i32 {
        if self.envelope.gate.passed {
            exit::AGREE
        } else {
            exit::FINDINGS
        }
    }

    /// The per-engine totals as a Markdown table (docs/src/conformance.md shows this one).
    pub fn totals_table(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "| engine | version | passed | failed | expected failures | skipped | pass rate of run | mainly skipped because |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---|");
        for e in &self.envelope.engines {
            let c = self.totals.get(&e.name).copied().unwrap_or_default();
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
                e.name,
                e.version,
                c.passed,
                c.failed,
                c.expected_failures,
                c.skipped,
                percent(&c),
                self.main_skip_reasons(&e.name)
            );
        }
        md
    }

    /// An engine's two most frequent skip reasons, with counts.
    fn main_skip_reasons(&self, engine: &str) -> String {
        let mut reasons: Vec<(&String, &u64)> = self.skip_reasons.get(engine).into_iter().flatten().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = reasons
            .iter()
            .take(2)
            .map(|(r, n)| format!("{r} ({n})"))
            .collect();
        let more = reasons.len().saturating_sub(2);
        let mut text = shown.join("; ");
        if more > 0 {
            text.push_str(&format!("; {more} more reasons"));
        }
        text.replace('|', "\\|")
    }

    /// The engine × file table.
    pub fn file_table(&self) -> String {
        let mut md = String::new();
        let names: Vec<String> = self
            .envelope
            .engines
            .iter()
            .map(|e| format!("`{}`", e.name))
            .collect();
        let _ = writeln!(md, "| file | directives | {} |", names.join(" | "));
        let _ = writeln!(md, "|---|---:|{}", "---|".repeat(names.len()));
        for f in &self.files {
            let cells: Vec<String> = f
                .engines
                .iter()
                .map(|c| match &c.skipped_because {
                    Some(why) => format!("skipped ({why})"),
                    None => {
                        let k = &c.counts;
                        let mut s = if k.failed == 0 && k.expected_failures == 0 {
                            format!("✅ {}", k.passed)
                        } else {
                            format!("❌ {}/{}", k.passed, k.ran())
                        };
                        if k.expected_failures > 0 {
                            let _ = write!(s, " ({} expected)", k.expected_failures);
                        }
                        if k.skipped > 0 {
                            let _ = write!(s, " +{} skipped", k.skipped);
                        }
                        s
                    }
                })
                .collect();
            let _ = writeln!(md, "| {} | {} | {} |", f.file, f.directives, cells.join(" | "));
        }
        md
    }

    /// The Markdown summary.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let status = if self.envelope.gate.passed {
            "✅ no new failures"
        } else {
            "❌ new failures"
        };
        let _ = writeln!(md, "# wasmgate conformance `{}`: {status}\n", self.suite);
        let _ = writeln!(
            md,
            "{} scripts from {}, {} engines, {:.1} s with {} jobs. Cells count wast directives \
             (modules, registrations, actions and assertions); a file whose modules need a \
             feature an engine lacks is skipped for that engine.\n",
            self.files.len(),
            self.testsuite,
            self.envelope.engines.len(),
            self.envelope.timing.wall_ms as f64 / 1000.0,
            self.jobs
        );
        for u in &self.envelope.unavailable {
            let _ = writeln!(md, "- `{}` not run: {}", u.engine, u.reason);
        }
        md.push_str(&self.totals_table());
        let _ = writeln!(md, "\n## Files\n");
        md.push_str(&self.file_table());
        let new: Vec<&Failure> = self
            .failures
            .iter()
            .filter(|f| f.expected_failure.is_none())
            .collect();
        if !new.is_empty() {
            let _ = writeln!(md, "\n## New failures\n");
            for f in new.iter().take(200) {
                let _ = writeln!(
                    md,
                    "- `{}` {}:{} `{}`: expected {}, got {}",
                    f.engine, f.file, f.line, f.directive, f.expected, f.got
                );
            }
            if new.len() > 200 {
                let _ = writeln!(md, "- … {} more in report.json", new.len() - 200);
            }
        }
        if !self.stale.is_empty() {
            let _ = writeln!(md, "\n## Stale expected failures (they pass now; remove them)\n");
            for e in &self.stale {
                let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                let _ = writeln!(md, "- `{}` {}{line}: {}", e.engine, e.file, e.reason);
            }
        }
        let listed = self
            .failures
            .iter()
            .filter(|f| f.expected_failure.is_some())
            .count();
        if listed > 0 {
            let _ = writeln!(md, "\n## Expected failures ({listed})\n");
            let mut by_reason: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for f in &self.failures {
                if let Some(r) = &f.expected_failure {
                    *by_reason.entry((f.engine.as_str(), r.as_str())).or_default() += 1;
                }
            }
            for ((engine, reason), n) in by_reason {
                let _ = writeln!(md, "- `{engine}` × {n}: {reason}");
            }
        }
        if !self.disagreements.is_empty() {
            let _ = writeln!(
                md,
                "\n## Engines disagree ({} directives)\n",
                self.disagreements.len()
            );
            for d in self.disagreements.iter().take(100) {
                let outcomes: Vec<String> = d.outcomes.iter().map(|(e, o)| format!("`{e}`: {o}")).collect();
                let _ = writeln!(
                    md,
                    "- {}:{} `{}` — {}",
                    d.file,
                    d.line,
                    d.directive,
                    outcomes.join("; ")
                );
            }
            if self.disagreements.len() > 100 {
                let _ = writeln!(md, "- … {} more in report.json", self.disagreements.len() - 100);
            }
        }
        md
    }
}
impl ConformanceReport {
    /// `report.html`: everything `summary.md` says (per-engine and per-file
    /// tables, new failures, expected failures with their reasons, each
    /// disagreement with what every engine did), rendered from the same
    /// Markdown, and a pass-rate chart.
    pub fn to_html(&self) -> String {
        use crate::report::html::{Page, stacked};
        use plotters::style::RGBColor;
        let env = &self.envelope;
        let mut page = Page::new(
            &format!("wasmgate conformance {}", self.suite),
            env.gate.passed,
            &env.gate.reason,
        );
        page.p(&format!(
            "Testsuite {}, started {}, {:.1} s.",
            self.testsuite,
            env.timing.started_at,
            env.timing.wall_ms as f64 / 1000.0
        ));
        // What did not pass, per engine: with every engine at 97–100 % of
        // the directives, pass-rate bars on a 0–100 % axis all look full.
        let totals: Vec<Counts> = env
            .engines
            .iter()
            .map(|e| self.totals.get(&e.name).cloned().unwrap_or_default())
            .collect();
        let labels: Vec<String> = env.engines.iter().map(|e| e.name.clone()).collect();
        let count =
            |pick: fn(&Counts) -> u64| -> Vec<f64> { totals.iter().map(|t| pick(t) as f64).collect() };
        if totals.iter().all(|t| t.failed + t.expected_failures == 0) {
            page.p("Every engine passed every directive it ran.");
        } else {
            page.charts(&[stacked(
                "Directives not passed, of those run",
                "directives",
                &labels,
                &[
                    ("failed", RGBColor(0xd5, 0x5e, 0x00), count(|t| t.failed)),
                    (
                        "expected failures",
                        RGBColor(0xe6, 0x9f, 0x00),
                        count(|t| t.expected_failures),
                    ),
                ],
            )]);
        }
        page.markdown(&self.to_markdown());
        page.finish()
    }
}

/// The failures of an earlier conformance report, as expected-failure entries:
/// with `--baseline`, only what fails now but did not then fails the gate, and
/// what failed then but passes now is reported as stale (fixed).
pub fn from_baseline(path: &Path) -> Result<Vec<Entry>> {
    let path = &if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: ConformanceReport = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{} is not a wasmgate conformance report: {e}", path.display()))?;
    Ok(report
        .failures
        .into_iter()
        .map(|f| Entry {
            engine: f.engine,
            file: f.file,
            line: Some(f.line),
            lines: vec![],
            versions: None,
            directive: Some(f.directive),
            reason: format!(
                "failed in the baseline run of {} too",
                report.envelope.timing.started_at
            ),
        })
        .collect())
}
