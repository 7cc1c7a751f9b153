//! The report model (what CI reads): `report.json` is its canonical form, and
//! every other rendering is made from the same [`Report`].

use crate::compare::{DivergenceKind, Group};
use crate::execute::Timings;
use crate::source::profile::Profile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wasmgate_runners::EngineInfo;

/// Version of the report schema; bumped (with a line in docs/src/schema-changelog.md) on any
/// change a consumer could notice.
pub const REPORT_SCHEMA_VERSION: u32 = 9;

/// Exit codes, as documented in the README and docs/src/commands.md.
pub mod exit {
    /// Every engine agreed on every case.
    pub const AGREE: i32 = 0;
    /// At least one finding.
    pub const FINDINGS: i32 = 1;
    /// Bad usage, configuration or input.
    pub const USAGE: i32 = 2;
}

/// How a divergence's blame reads: a majority of at least three independent
/// code bases blames; a smaller one is said to be weak; without one, every
/// engine is involved.
pub fn blame_label(majority: bool, code_bases: u32) -> &'static str {
    match (majority, code_bases) {
        (false, _) => "no majority of independent code bases; involved",
        (true, 0..=2) => "blamed by a vote of fewer than three independent code bases",
        (true, _) => "blamed",
    }
}

/// What a summary says of `n` lost replays.
pub fn lost_replays(n: u64) -> String {
    format!("causes: {n} replay(s) ended in an engine's crash or hang; the cases they were for keep no cause")
}

/// [`blame_label`], or for a finding against a vectors file's expectation
/// (the expectation is the oracle, not the vote) what that says.
pub fn who(majority: bool, code_bases: u32, expected: bool) -> &'static str {
    if expected {
        "differ from the vectors file's expectation"
    } else {
        blame_label(majority, code_bases)
    }
}

/// The resource limits in force for a run: the same for every engine, so that
/// reaching one is never a divergence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Limits {
    /// Largest linear memory an instance may grow to.
    pub memory_bytes: u64,
    /// Largest table an instance may grow to.
    pub table_elements: u64,
    /// V8's JavaScript heap in each `node` engine process.
    pub js_heap_mb: u64,
    /// Data each worker process (and each engine process it starts) may
    /// commit (`RLIMIT_DATA`); absent when engines ran in the harness process.
    pub worker_data_bytes: Option<u64>,
    /// Wall time per case in a worker process; absent in-process.
    pub case_timeout_s: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        use wasmgate_runners::limits;
        Limits {
            memory_bytes: limits::MEMORY_BYTES as u64,
            table_elements: limits::TABLE_ELEMENTS as u64,
            js_heap_mb: limits::JS_HEAP_MB as u64,
            worker_data_bytes: None,
            case_timeout_s: None,
        }
    }
}

impl Limits {
    /// The limits of a run isolated as `isolation` says.
    pub fn of(isolation: &crate::isolate::Isolation) -> Self {
        match isolation {
            crate::isolate::Isolation::InProcess => Limits::default(),
            crate::isolate::Isolation::Processes { timeout, .. } => Limits {
                worker_data_bytes: Some(crate::isolate::worker_data_bytes()),
                case_timeout_s: Some(timeout.as_secs()),
                ..Limits::default()
            },
        }
    }
}

/// Exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT).
pub const INTERRUPTED: i32 = 130;

/// The tool that wrote a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "wasmgate".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The parameters of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunInfo {
    pub name: String,
    pub profile: Profile,
    /// Seeds `start..end` (end exclusive).
    pub seeds: SeedRange,
    /// The shard of `seeds` this run covered, if sharded.
    #[serde(default)]
    pub shard: Option<Shard>,
    pub generator_version: String,
    /// Set when the report does not cover all of `seeds` (a merge missing
    /// shards): which seeds are missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    /// The resource limits every engine ran under.
    #[serde(default)]
    pub limits: Limits,
    /// Whether SIGINT or SIGTERM stopped the run before it was done (its
    /// journal resumes it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The time budget (`--time`) the run had, over all its sessions; with
    /// it, `seeds` are those the run covered before the budget ran out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_budget_ms: Option<u64>,
    pub jobs: usize,
    /// For `check`, `compat` and `corpus`: the module files (or corpus
    /// entries), one case each; a finding's `seeds` are indices into this
    /// list. For `wasi`: the programs (see `wasi.programs` for their runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
}

impl RunInfo {
    /// The run of a report over files given by the user (`check`, `compat`,
    /// `corpus`, `wasi`): `cases` cases numbered from 0, no profile or shard.
    pub fn of_files(
        name: String,
        kind: ReportKind,
        modules: Vec<String>,
        cases: u64,
        limits: Limits,
        jobs: usize,
    ) -> RunInfo {
        RunInfo {
            name,
            profile: Profile::Default,
            seeds: SeedRange { start: 0, end: cases },
            shard: None,
            generator_version: kind.to_string(),
            incomplete: None,
            limits,
            interrupted: false,
            time_budget_ms: None,
            jobs,
            modules,
        }
    }
}

/// Shard `index` of `count` (1-based): the seeds `s` with `s % count == index - 1`.
/// This split is a stable promise: the same `k/N` selects the same seeds in
/// every version, so CI matrix jobs can be merged across upgrades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether `seed` belongs to this shard.
    pub fn contains(&self, seed: u64) -> bool {
        seed % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid shard `{s}`: expected K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// A half-open range of seeds, written `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

impl SeedRange {
    /// Number of seeds.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of the range's seeds in `shard` (all of them without one).
    pub fn len_in(&self, shard: Option<Shard>) -> u64 {
        let Some(s) = shard else { return self.len() };
        let offset = (s.index - 1 + s.count - self.start % s.count) % s.count;
        match self.start.checked_add(offset) {
            Some(first) if first < self.end => (self.end - 1 - first) / s.count + 1,
            _ => 0,
        }
    }
}

impl std::fmt::Display for SeedRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl std::str::FromStr for SeedRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid seed range `{s}`: expected START..END, e.g. 0..2000");
        let (a, b) = s.split_once("..").ok_or_else(bad)?;
        let start: u64 = a.trim().parse().map_err(|_| bad())?;
        let end: u64 = b.trim().parse().map_err(|_| bad())?;
        if end < start {
            return Err(format!("invalid seed range `{s}`: end is before start"));
        }
        Ok(SeedRange { start, end })
    }
}

/// Counts over all cases of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub cases: u64,
    pub agreed: u64,
    pub diverged: u64,
    pub inconclusive: u64,
    /// Seeds for which no module could be generated.
    pub generation_errors: u64,
    /// Distinct divergence signatures.
    pub unique_findings: u64,
    /// Of those, the ones on the known-divergence list (they do not fail the gate).
    #[serde(default)]
    pub known_findings: u64,
    /// Calls made (counted once per case, on the first engine that ran it), and
    /// how many returned values rather than trapping: a measure of how much
    /// behaviour the compared results actually cover.
    pub calls: u64,
    pub calls_returned: u64,
    /// Per engine: cases skipped because the module needs a feature it lacks.
    pub skipped: BTreeMap<String, u64>,
    /// Why cases were inconclusive, with counts.
    pub inconclusive_reasons: BTreeMap<String, u64>,
    /// Per feature the cases' modules used: how many cases, and per engine
    /// how many it ran and how many it skipped (generated and module cases;
    /// a case a worker crashed or hung on is not counted here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, FeatureUse>,
    /// Cases whose module used at least one WebAssembly 3.0 feature
    /// (`Feature::WASM3`): how much of the run hunts in 3.0.
    #[serde(default)]
    pub wasm3_cases: u64,
    /// Root-cause replays (and bundle re-runs) that ended in an engine's
    /// crash or hang: the cases they were for keep no cause.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lost_replays: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How often a feature was used, and by which engines it was run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeatureUse {
    pub cases: u64,
    /// Per engine: cases using the feature that it ran.
    pub ran: BTreeMap<String, u64>,
    /// Per engine: cases using the feature that it skipped.
    pub skipped: BTreeMap<String, u64>,
}

impl FeatureUse {
    /// Adds `other`'s counts (merging shards).
    pub fn add(&mut self, other: &FeatureUse) {
        self.cases += other.cases;
        for (e, n) in &other.ran {
            *self.ran.entry(e.clone()).or_default() += n;
        }
        for (e, n) in &other.skipped {
            *self.skipped.entry(e.clone()).or_default() += n;
        }
    }
}

/// A finding's root cause: the operator and code shape without which the
/// engines agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cause {
    /// `cause-xxxxxxxx`: the same for every finding of the same cause.
    pub id: String,
    /// `wasmi: i32.eqz feeding a select`.
    pub text: String,
    /// Read from schema-6 reports only (other cures of the representative
    /// case); each case now gets one cause, so new reports leave it empty and
    /// no known-divergence entry matches through it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

/// The findings of one root cause.
#[derive(Clone, Debug)]
pub struct CauseGroup<'a> {
    pub cause: &'a Cause,
    pub signatures: Vec<&'a str>,
    pub cases: u64,
    /// Whether every one of its findings is known.
    pub known: bool,
}

/// The report's findings grouped by root cause (findings without one are not in any group).
pub fn cause_groups(findings: &[Finding]) -> Vec<CauseGroup<'_>> {
    let mut groups: Vec<CauseGroup> = Vec::new();
    for f in findings {
        let Some(c) = &f.cause else { continue };
        let i = match groups.iter().position(|g| g.cause.id == c.id) {
            Some(i) => i,
            None => {
                groups.push(CauseGroup {
                    cause: c,
                    signatures: vec![],
                    cases: 0,
                    known: true,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.signatures.push(&f.signature);
        g.cases += f.count;
        g.known &= f.known.is_some();
    }
    groups.sort_by_key(|g| (g.known, std::cmp::Reverse(g.cases)));
    groups
}

/// One distinct divergence (deduplicated by signature).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub signature: String,
    pub signature_text: String,
    pub kind: DivergenceKind,
    pub blamed: Vec<String>,
    pub majority: bool,
    /// Independent code bases in the vote (see `compare::code_base`).
    #[serde(default)]
    pub code_bases: u32,
    /// The step and groups of the representative (lowest) seed.
    pub step: String,
    /// The same step, as data.
    #[serde(default)]
    pub at: crate::compare::At,
    pub groups: Vec<Group>,
    /// How many cases hit this signature, and which seeds.
    pub count: u64,
    pub seeds: Vec<u64>,
    /// Bundle folder of the representative seed, relative to the report.
    pub bundle: String,
    /// Bundle folder of its minimised module, if shrinking kept the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimized: Option<String>,
    /// Its root cause, when taking one operator out of one code shape makes
    /// the engines agree (see `campaign::cause`); findings of one cause share it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// The known-divergence list's reason, if the finding is on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    /// For an `expected` finding: what the vectors file expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// … and where it says so: `FILE:LINE` of the vector or scenario step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated: Option<String>,
}

/// Engine time per engine, summed over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EngineTimings {
    pub cases: u64,
    #[serde(flatten)]
    pub timings: Timings,
}

/// What produced a report of this model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    /// `wasmgate run`: seeded modules.
    #[default]
    Run,
    /// `wasmgate sweep`: one case per instruction.
    Sweep,
    /// `wasmgate merge`: shard reports joined.
    Merge,
    /// `wasmgate conformance`: the spec testsuite, per directive.
    Conformance,
    /// `wasmgate check`: a team's own modules, with their vectors.
    Check,
    /// `wasmgate compat`: a module's new version against its old one.
    Compat,
    /// `wasmgate wasi`: WASI command programs on each runtime's own WASI.
    Wasi,
    /// `wasmgate corpus run`: the regression corpus replayed.
    Corpus,
    /// `wasmgate perf`: workloads measured on every engine (and checked).
    Perf,
}

impl std::fmt::Display for ReportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReportKind::Run => "run",
            ReportKind::Sweep => "sweep",
            ReportKind::Merge => "merge",
            ReportKind::Conformance => "conformance",
            ReportKind::Check => "check",
            ReportKind::Compat => "compat",
            ReportKind::Wasi => "wasi",
            ReportKind::Corpus => "corpus",
            ReportKind::Perf => "perf",
        })
    }
}

/// When a report's run started and how long it took.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Timing {
    /// RFC 3339, UTC.
    pub started_at: String,
    /// Wall time, over every session of a resumed run.
    pub wall_ms: u64,
}

impl Timing {
    /// Started at `started` (wall clock, and the instant to measure from), until now.
    pub fn since(started: (std::time::SystemTime, std::time::Instant)) -> Timing {
        Timing {
            started_at: humantime::format_rfc3339_seconds(started.0).to_string(),
            wall_ms: started.1.elapsed().as_millis() as u64,
        }
    }
}

/// The verdict a CI gate reads, the same in every kind of report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Gate {
    pub passed: bool,
    /// The exit code the command gave for this report: 0 passed, 1 new
    /// findings or failures, 2 compared nothing.
    pub exit_code: i32,
    /// New findings (run, sweep, merge) or new failures (conformance): these fail the gate.
    pub new: u64,
    /// Known divergences or expected failures: reported, not failing.
    pub known: u64,
    /// List entries that matched nothing (fixed since): reported, not failing.
    pub stale: u64,
    /// Why, in one sentence.
    pub reason: String,
}

impl Gate {
    /// The gate for `new` new, `known` known and `stale` stale entries, or
    /// failed with exit code 2 when the report compared nothing.
    pub fn judge(new: u64, known: u64, stale: u64, compared_nothing: Option<String>) -> Gate {
        let (passed, exit_code, reason) = match (compared_nothing, new) {
            (Some(why), _) => (false, exit::USAGE, why),
            (None, 0) if known > 0 => (true, exit::AGREE, format!("passed ({known} known)")),
            (None, 0) => (true, exit::AGREE, "passed".to_string()),
            (None, n) => (false, exit::FINDINGS, format!("failed: {n} new, {known} known")),
        };
        Gate {
            passed,
            exit_code,
            new,
            known,
            stale,
            reason,
        }
    }
}

/// What every wasmgate report starts with, whatever its kind: a consumer reads
/// `kind`, `gate` and `engines` the same way in a run, sweep, merge or
/// conformance report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Envelope {
    pub schema_version: u32,
    pub kind: ReportKind,
    pub tool: Tool,
    pub engines: Vec<EngineInfo>,
    /// Engines asked for that could not run on this machine, and why.
    #[serde(default)]
    pub unavailable: Vec<crate::execute::engines::Unavailable>,
    pub timing: Timing,
    pub gate: Gate,
}

impl Envelope {
    /// A new envelope of `kind`; the gate is judged once the report is complete.
    pub fn new(
        kind: ReportKind,
        engines: Vec<EngineInfo>,
        unavailable: Vec<crate::execute::engines::Unavailable>,
        timing: Timing,
    ) -> Self {
        Envelope {
            schema_version: REPORT_SCHEMA_VERSION,
            kind,
            tool: Tool::default(),
            engines,
            unavailable,
            timing,
            gate: Gate::default(),
        }
    }
}

/// A complete run, sweep or merge report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub run: RunInfo,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub timings: BTreeMap<String, EngineTimings>,
    /// For `compat`: what changed between the two versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compat: Option<Compat>,
    /// How the known-divergence list fared.
    #[serde(default, skip_serializing_if = "KnownList::is_empty")]
    pub known_list: KnownList,
    /// For `wasi`: the environment every run had, and what was not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasi: Option<WasiInfo>,
    /// For `perf`: the measurements, the baseline comparison and the leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perf: Option<crate::report::perf::PerfInfo>,
    /// Cross-engine timing outliers of a run's cases (WarpDiff): leads for
    /// triage, never a gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<crate::report::perf::PerfLead>,
    /// For `check` and `compat`: the calls made on each module, in order
    /// (vectors, scenario steps, seeded calls), so JUnit lists one test
    /// case per call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<ModuleCalls>,
}

/// The calls made on one module of a `check` or `compat`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModuleCalls {
    pub module: String,
    /// Each call as `export(args)`, in order.
    pub calls: Vec<String>,
}

/// The environment of a `wasmgate wasi` run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WasiInfo {
    /// What every runtime's environment holds fixed.
    pub deterministic: String,
    /// What no runtime can fix, left out of the comparison.
    pub not_compared: String,
    /// Programs run, with how many runs each.
    pub programs: Vec<WasiProgramRuns>,
    /// Wall time one run may take.
    pub run_timeout_ms: u64,
    /// Each runtime against the expectations the cases state (a testsuite's
    /// exit codes and output), beside the cross-runtime comparison.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expectations: BTreeMap<String, WasiExpectations>,
    /// Each run whose expectation a runtime missed: what it did instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missed: Vec<WasiMiss>,
    /// Programs not run, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<WasiSkip>,
    /// What every runtime did alike, run by run (the runs they agreed on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreed: Vec<WasiAgreed>,
}

/// A run every runtime agreed on, and what they all did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WasiAgreed {
    /// The run's index in the report (its `seed`).
    pub run: u64,
    pub program: String,
    pub case: String,
    /// The exit code, when the program exited (`_start` returned: 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    /// How it ended otherwise: the trap kind or failure every runtime reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// Standard output and error, as text (or `base64:…` when not UTF-8).
    pub stdout: String,
    pub stderr: String,
}

/// One runtime's runs against the cases' expectations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WasiExpectations {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// A run whose expectation one runtime missed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WasiMiss {
    pub program: String,
    pub case: String,
    pub engine: String,
    pub expected: String,
    pub got: String,
}

/// A program `wasmgate wasi` did not run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WasiSkip {
    pub program: String,
    pub why: String,
}

/// A program of a `wasmgate wasi` run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WasiProgramRuns {
    pub program: String,
    pub runs: u64,
    /// The report's seeds (case indices) of this program's runs: `start..end`.
    pub seeds: SeedRange,
}

/// What the known-divergence list did: entries that matched nothing, or are
/// past their date, and how many cases each entry explained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KnownList {
    /// Signatures of entries no finding matched (fixed since, or not reached
    /// by this run): reported, not failing.
    #[serde(default)]
    pub stale: Vec<String>,
    /// One sentence per entry past its `expires` date: each fails the gate.
    #[serde(default)]
    pub expired: Vec<String>,
    /// Per entry that matched: how many cases it explained.
    #[serde(default)]
    pub explained: Vec<Explained>,
    /// One sentence per entry that explained more cases than in the previous
    /// report written to the same folder over the same seeds (not failing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jumped: Vec<String>,
}

/// How many cases one known-divergence entry explained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Explained {
    /// The entry's cause id or signature.
    pub entry: String,
    pub cases: u64,
}

impl KnownList {
    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.expired.is_empty()
    }
}

/// What `wasmgate compat` found between two versions of a module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Compat {
    pub old: String,
    pub new: String,
    /// Exported functions only the new version has (compatible).
    pub added: Vec<String>,
    /// Exported functions the new version lacks (incompatible).
    pub removed: Vec<String>,
    /// Exported functions whose signature changed (incompatible).
    pub changed: Vec<SignatureChange>,
    /// Calls that return, trap or call the host differently (incompatible).
    pub behaviour: Vec<BehaviourChange>,
}

impl Compat {
    /// How many incompatibilities: each fails the gate.
    pub fn incompatibilities(&self) -> u64 {
        (self.removed.len() + self.changed.len() + self.behaviour.len()) as u64
    }
}

/// An export whose signature changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignatureChange {
    pub export: String,
    pub old: String,
    pub new: String,
}

impl std::fmt::Display for BehaviourChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let args: Vec<String> = self.args.iter().map(|a| a.pretty()).collect();
        write!(
            f,
            "call {} {}({}): {} before, {} now, on {}",
            self.call,
            self.export,
            args.join(", "),
            self.old,
            self.new,
            self.engines.join(", ")
        )
    }
}

/// A call whose behaviour changed between versions, on the engines listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BehaviourChange {
    /// The call's index in the compared sequence.
    pub call: usize,
    pub export: String,
    pub args: Vec<wasmgate_runners::Val>,
    pub old: String,
    pub new: String,
    pub engines: Vec<String>,
}

impl Report {
    /// The module file case `seed` ran, for reports of a user's own modules
    /// (`check`, `compat`: one case per module; `wasi`: runs per program).
    pub fn module_of(&self, seed: u64) -> Option<&str> {
        match &self.wasi {
            Some(w) => w
                .programs
                .iter()
                .find(|p| (p.seeds.start..p.seeds.end).contains(&seed))
                .map(|p| p.program.as_str()),
            None => self.run.modules.get(seed as usize).map(String::as_str),
        }
    }

    /// Why this report cannot pass a gate although it has no new finding: it
    /// compared nothing (no case, fewer than two engines, or every case
    /// inconclusive). A gate that compared nothing has not passed.
    pub fn compared_nothing(&self) -> Option<String> {
        let s = &self.summary;
        if let Some(perf) = &self.perf {
            // One engine measured against its baseline is a comparison.
            let why = perf.measured_nothing();
            if why.is_some()
                || perf.baseline.is_some()
                || perf.saved_baseline.is_some()
                || self.envelope.engines.len() > 1
            {
                return why;
            }
        }
        let scope = match self.run.shard {
            Some(shard) => format!("shard {shard} of seeds {}", self.run.seeds),
            None => format!("seeds {}", self.run.seeds),
        };
        if s.cases == 0 {
            Some(format!(
                "compared nothing: the run made no case ({scope}, or its time ran out before the first)"
            ))
        } else if self.envelope.engines.len() < 2 {
            let why: Vec<String> = self
                .envelope
                .unavailable
                .iter()
                .map(|u| format!("{} not run: {}", u.engine, u.reason))
                .collect();
            Some(format!(
                "compared nothing: only {} engine ran{}",
                self.envelope.engines.len(),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join("; "))
                }
            ))
        } else if s.agreed + s.diverged == 0 {
            Some(format!(
                "compared nothing: all {} cases were inconclusive or could not be generated",
                s.cases
            ))
        } else if self.envelope.kind == ReportKind::Check && s.calls == 0 && s.diverged == 0 {
            // `compat` says the same of a module it cannot call.
            Some(
                "compared nothing: no function was called (the modules export no function wasmgate can call, \
                 or --calls is 0)"
                    .into(),
            )
        } else {
            None
        }
    }

    /// An error naming why, and where the report is, if the report compared nothing.
    pub fn check_compared_something(&self, dir: &std::path::Path) -> anyhow::Result<()> {
        match self.compared_nothing() {
            Some(why) => anyhow::bail!("{why} (report: {})", dir.join("report.json").display()),
            None => Ok(()),
        }
    }

    /// Judges the gate from the findings (call once they are final).
    pub fn judge_gate(&mut self) {
        let known = self.findings.iter().filter(|f| f.known.is_some()).count() as u64;
        let incompatible = self.compat.as_ref().map_or(0, Compat::incompatibilities);
        let slower = self
            .perf
            .as_ref()
            .map_or(0, |p| p.regressions() + p.failures.len() as u64);
        let new = self.findings.len() as u64 - known + incompatible + slower;
        let stale = self.known_list.stale.len() as u64;
        self.envelope.gate = Gate::judge(new, known, stale, self.compared_nothing());
        if let Some(first) = self.known_list.expired.first()
            && self.envelope.gate.exit_code != exit::USAGE
        {
            let gate = &mut self.envelope.gate;
            gate.passed = false;
            gate.exit_code = exit::FINDINGS;
            gate.reason = format!("failed: {first}");
        }
        if self.run.interrupted {
            let gate = &mut self.envelope.gate;
            gate.passed = false;
            gate.exit_code = INTERRUPTED;
            gate.reason = format!("interrupted ({})", gate.reason);
        }
    }

    /// The exit code a CI gate should use for this report.
    pub fn exit_code(&self) -> i32 {
        let incompatible = self.compat.as_ref().is_some_and(|c| c.incompatibilities() > 0)
            || self
                .perf
                .as_ref()
                .is_some_and(|p| p.regressions() > 0 || !p.failures.is_empty());
        if !incompatible
            && self.known_list.expired.is_empty()
            && self.findings.iter().all(|f| f.known.is_some())
        {
            exit::AGREE
        } else {
            exit::FINDINGS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_counts_the_seeds_it_owns() {
        let range = |start, end| SeedRange { start, end };
        for (start, end) in [(0, 0), (0, 1), (0, 10), (3, 17), (5, 6), (u64::MAX - 7, u64::MAX)] {
            for count in 1..6 {
                for index in 1..=count {
                    let shard = Shard { index, count };
                    let owned = (start..end).filter(|s| shard.contains(*s)).count() as u64;
                    assert_eq!(
                        range(start, end).len_in(Some(shard)),
                        owned,
                        "{start}..{end} {shard}"
                    );
                }
            }
        }
        assert_eq!(range(4, 9).len_in(None), 5);
    }
}
