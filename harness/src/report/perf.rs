//! The performance part of a `perf` report: what was measured, the estimates
//! per engine × workload × phase, the comparison with a baseline, the
//! cross-engine leads and the trend from the history; and its renderings as
//! a terminal table and Markdown.

use crate::compare::perf::{Change, Estimate, Phase, Ratio};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A measured program.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PerfWorkload {
    pub name: String,
    pub module: String,
    /// The measured call, e.g. `run(27)`.
    pub call: String,
    #[serde(default)]
    pub shape: String,
    /// The pinned checksum, if the manifest pins one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

/// Every kept sample of one phase, in nanoseconds of the cell's clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PhaseSamples {
    pub compile: Vec<u64>,
    pub instantiate: Vec<u64>,
    pub execute: Vec<u64>,
}

impl PhaseSamples {
    /// The samples of `phase`.
    pub fn of(&self, phase: Phase) -> &[u64] {
        match phase {
            Phase::Compile => &self.compile,
            Phase::Instantiate => &self.instantiate,
            Phase::Execute => &self.execute,
        }
    }

    /// The samples of `phase`, to append to.
    pub fn of_mut(&mut self, phase: Phase) -> &mut Vec<u64> {
        match phase {
            Phase::Compile => &mut self.compile,
            Phase::Instantiate => &mut self.instantiate,
            Phase::Execute => &mut self.execute,
        }
    }
}

/// One engine on one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PerfCell {
    pub engine: String,
    pub workload: String,
    /// `cpu` (CPU time of the process running the engine, all threads) or
    /// `wall` (where the engine's host has no CPU clock: jsc, browsers).
    pub clock: String,
    /// Where the phases were timed: `in-process`, `in-engine`, `round-trip`.
    pub timed: String,
    pub compile: Estimate,
    pub instantiate: Estimate,
    pub execute: Estimate,
    /// Wall time of the execute phase (whatever `clock` is).
    pub execute_wall: Estimate,
    /// Largest linear memory after a run, in bytes.
    pub memory_bytes: u64,
    /// Peak resident set of the engine's process, in bytes, where measurable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    pub samples: PhaseSamples,
}

impl PerfCell {
    /// The estimate of `phase`.
    pub fn estimate(&self, phase: Phase) -> &Estimate {
        match phase {
            Phase::Compile => &self.compile,
            Phase::Instantiate => &self.instantiate,
            Phase::Execute => &self.execute,
        }
    }
}

/// One phase of one cell against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PerfComparison {
    pub engine: String,
    /// The baseline's engine this one is compared with (`wasmi` for `slow:wasmi:25`).
    pub baseline_engine: String,
    pub workload: String,
    pub phase: Phase,
    pub clock: String,
    #[serde(flatten)]
    pub ratio: Ratio,
    pub change: Change,
    /// Whether this comparison can fail the gate: false when the baseline
    /// time is under the gate floor, and for compile phases unless
    /// `--compile-gate-floor` is given and reached.
    pub gated: bool,
}

impl PerfComparison {
    /// "1.04× to 1.11× slower", "no difference (0.98× to 1.03×)".
    pub fn describe(&self) -> String {
        let r = &self.ratio;
        let floor = if self.gated { "" } else { " (not gated)" };
        let text = match self.change {
            Change::NoDifference => format!("no difference ({:.3}× to {:.3}×)", r.low, r.high),
            Change::Regressed | Change::WithinThreshold if r.ratio >= 1.0 => {
                format!("{:.3}× to {:.3}× slower", r.low, r.high)
            }
            _ => format!("{:.3}× to {:.3}× faster", 1.0 / r.high, 1.0 / r.low),
        };
        format!("{text}{floor}")
    }

    /// Whether this comparison fails the gate.
    pub fn fails(&self) -> bool {
        self.gated && self.change == Change::Regressed
    }
}

/// A case whose engine times stand out (WarpDiff): a lead for triage, never a gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PerfLead {
    /// The workload, or the seed of a run's case.
    pub case: String,
    /// The engine that is anomalously slow on it.
    pub engine: String,
    /// Distance of the case's normalised time vector from the mean vector.
    pub distance: f64,
    /// The engine's share of the case's time against its usual share.
    pub factor: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub repro: String,
}

/// A measurement that did not produce a time: a crash, hang, trap or wrong
/// checksum. It fails the gate like a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PerfFailure {
    pub engine: String,
    pub workload: String,
    pub reason: String,
}

/// One run's median of one phase, from the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TrendPoint {
    pub run: i64,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    pub engine: String,
    pub workload: String,
    pub phase: Phase,
    pub median_ns: f64,
}

/// The baseline a run was compared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineRef {
    pub name: String,
    pub path: String,
    pub created_at: String,
}

/// Everything `wasmgate perf` measured and concluded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PerfInfo {
    /// Measured rounds per engine × workload (after the warm-up).
    pub reps: u32,
    /// Rounds run first and discarded.
    pub warmup: u32,
    /// Slowdown that fails the gate when significant (0.10 = 10 %).
    pub threshold: f64,
    /// Phases whose baseline time is shorter than this (ms; pooled: the
    /// geometric mean over the workloads) are reported, not gated.
    pub gate_floor_ms: f64,
    /// Compile phases gate only from this baseline time (ms); absent, they
    /// are reported, never gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_gate_floor_ms: Option<f64>,
    /// Significance level of each comparison (0.05 over the number of comparisons).
    pub alpha: f64,
    pub workloads: Vec<PerfWorkload>,
    pub cells: Vec<PerfCell>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<PerfFailure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_baseline: Option<BaselineRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<PerfComparison>,
    /// Cross-engine outliers, most distant first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<PerfLead>,
    /// The history file this run was appended to, and its run number there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_run: Option<i64>,
    /// Earlier runs' medians of these workloads and engines (execute phase).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<TrendPoint>,
}

impl PerfInfo {
    /// Comparisons that fail the gate.
    pub fn regressions(&self) -> u64 {
        self.comparisons.iter().filter(|c| c.fails()).count() as u64
    }

    /// Why the perf part measured nothing worth a gate, if so.
    pub fn measured_nothing(&self) -> Option<String> {
        if self.failures.is_empty() && self.cells.iter().all(|c| c.execute.samples == 0) {
            Some("compared nothing: no engine produced a single measurement".into())
        } else {
            None
        }
    }

    /// The cell of `engine` on `workload`.
    pub fn cell(&self, engine: &str, workload: &str) -> Option<&PerfCell> {
        self.cells
            .iter()
            .find(|c| c.engine == engine && c.workload == workload)
    }

    /// The engines measured, in order of first appearance.
    pub fn engines(&self) -> Vec<String> {
        engines_of(&self.cells)
    }

    /// Per workload, the fastest execute wall time (the one clock every
    /// engine has) and each engine's ratio to it.
    fn wall_ratio(&self, c: &PerfCell) -> String {
        let fastest = self
            .cells
            .iter()
            .filter(|o| o.workload == c.workload && o.execute_wall.samples > 0)
            .map(|o| o.execute_wall.median_ns)
            .fold(f64::INFINITY, f64::min);
        if c.execute_wall.samples == 0 || !fastest.is_finite() || fastest <= 0.0 {
            return "—".into();
        }
        let r = c.execute_wall.median_ns / fastest;
        if r <= 1.0 + 1e-9 {
            "1.00× (fastest)".into()
        } else {
            format!("{r:.2}×")
        }
    }

    /// What the table's columns are: units, samples, intervals and clocks.
    pub fn legend(&self) -> String {
        format!(
            "Medians in ms with their 95 % interval, of {} rounds after {} warm-up, engines interleaved. \
             `clock` is what compile, instantiate and `execute CPU` were timed with: `cpu` (the engine \
             process's CPU time) or `wall` where the host has no CPU clock (jsc, browsers: their CPU \
             column is empty). `execute wall` is timed the same way on every engine, so the ratio to \
             the fastest (×) compares them. JavaScript engines' execute includes the optimising \
             compiles they run while executing (jsc-omg's OMG, V8's TurboFan tier-up).",
            self.reps, self.warmup
        )
    }

    /// A cell's change against the baseline, for the table: every phase
    /// that is gated (over the floor) or failed, else execute's.
    fn against_baseline(&self, c: &PerfCell) -> String {
        let of_cell: Vec<&PerfComparison> = self
            .comparisons
            .iter()
            .filter(|x| x.engine == c.engine && x.workload == c.workload)
            .collect();
        let mut shown: Vec<&PerfComparison> =
            of_cell.iter().copied().filter(|x| x.gated || x.fails()).collect();
        if shown.is_empty() {
            shown = of_cell
                .into_iter()
                .filter(|x| x.phase == Phase::Execute)
                .collect();
        }
        if shown.is_empty() {
            return "—".into();
        }
        shown
            .iter()
            .map(|x| {
                let flag = if x.fails() { "✗ " } else { "" };
                format!("{flag}{}: {}", x.phase, x.describe())
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The table printed after a run: per workload and engine, the median of
    /// each phase with its interval, execute in both clocks with the ratio to
    /// the fastest, and the change against the baseline.
    pub fn table(&self) -> String {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        let mut header = vec![
            "workload",
            "engine",
            "clock",
            "compile ms",
            "instantiate ms",
            "execute CPU ms",
            "execute wall ms",
            "× fastest",
            "memory",
        ];
        if self.baseline.is_some() {
            header.push("vs baseline");
        }
        table.set_header(header);
        let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
        for w in &self.workloads {
            for c in self.cells.iter().filter(|c| c.workload == w.name) {
                let mut row = vec![
                    Cell::new(&w.name),
                    Cell::new(&c.engine),
                    Cell::new(&c.clock),
                    right(ms(&c.compile)),
                    right(ms(&c.instantiate)),
                    right(if c.clock == "cpu" {
                        ms(&c.execute)
                    } else {
                        "—".into()
                    }),
                    right(ms(&c.execute_wall)),
                    right(self.wall_ratio(c)),
                    right(mib(c.memory_bytes)),
                ];
                if self.baseline.is_some() {
                    row.push(Cell::new(self.against_baseline(c)));
                }
                table.add_row(row);
            }
        }
        table.to_string()
    }

    /// The Markdown section of the summary.
    pub fn markdown(&self, md: &mut String) {
        let _ = writeln!(md, "## Performance\n\n{}\n", self.legend());
        let _ = writeln!(
            md,
            "| workload | engine | clock | compile ms | instantiate ms | execute CPU ms | execute wall ms | × fastest | memory | peak RSS |"
        );
        let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for c in &self.cells {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.workload,
                c.engine,
                c.clock,
                ms(&c.compile),
                ms(&c.instantiate),
                if c.clock == "cpu" {
                    ms(&c.execute)
                } else {
                    "—".into()
                },
                ms(&c.execute_wall),
                self.wall_ratio(c),
                mib(c.memory_bytes),
                c.peak_rss_bytes.map_or("—".into(), mib)
            );
        }
        if let Some(b) = &self.baseline {
            let _ = writeln!(
                md,
                "\n### Against baseline `{}`\n\n{} comparisons; a phase fails the gate when it is confidently more than {:.0} % slower: the one-sided test against the threshold is significant at {:.2e} (0.05 over the comparisons). Phases under {} ms in the baseline (pooled: geometric mean) are reported, not gated; {}.\n",
                b.name,
                self.comparisons.len(),
                self.threshold * 100.0,
                self.alpha,
                self.gate_floor_ms,
                match self.compile_gate_floor_ms {
                    Some(ms) => format!("compile phases gate from {ms} ms"),
                    None => "compile phases are reported, not gated (`--compile-gate-floor` gates them)"
                        .to_string(),
                }
            );
            let _ = writeln!(md, "| workload | engine | phase | change | p |");
            let _ = writeln!(md, "|---|---|---|---|---:|");
            for c in &self.comparisons {
                let flag = if c.fails() { "❌ " } else { "" };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {flag}{} | {:.1e} |",
                    c.workload,
                    c.engine,
                    c.phase,
                    c.describe(),
                    c.ratio.p_value
                );
            }
        }
        if !self.failures.is_empty() {
            let _ = writeln!(md, "\n### Measurements that failed\n");
            for f in &self.failures {
                let _ = writeln!(md, "- `{}` on `{}`: {}", f.engine, f.workload, f.reason);
            }
        }
        if !self.leads.is_empty() {
            let _ = writeln!(
                md,
                "\n### Leads (cross-engine outliers, for triage; never a gate)\n"
            );
            for l in &self.leads {
                let _ = writeln!(
                    md,
                    "- `{}` on `{}`: {:.2}× its usual share of the time (distance {:.3}) — `{}`",
                    l.engine, l.case, l.factor, l.distance, l.repro
                );
            }
        }
        let _ = writeln!(md);
    }
}

/// The engines of `cells`, in order of first appearance.
pub fn engines_of(cells: &[PerfCell]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in cells {
        if !out.contains(&c.engine) {
            out.push(c.engine.clone());
        }
    }
    out
}

/// `1.234 [1.200–1.300]` in milliseconds.
pub fn ms(e: &Estimate) -> String {
    if e.samples == 0 {
        return "—".into();
    }
    let f = |ns: f64| {
        let v = ns / 1e6;
        if v >= 100.0 {
            format!("{v:.0}")
        } else if v >= 1.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.3}")
        }
    };
    format!("{} [{}–{}]", f(e.median_ns), f(e.low_ns), f(e.high_ns))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}
