//! Performance runs (`wasmgate perf`): every workload measured on every
//! engine, phase by phase, with engines interleaved run by run so that drift
//! on the machine hits all of them alike; the samples folded into estimates,
//! compared with a baseline ([`baseline`]), appended to the history
//! ([`history`]), and scanned for cross-engine outliers.
//!
//! Each engine measures in its own worker process (its peak RSS is the
//! engine's): a crash or hang is a failed measurement that fails the gate,
//! and the worker is replaced. May import `report/`, `isolate/`, `compare/`,
//! `execute/` and `source/`.

pub mod baseline;
pub mod history;

use crate::compare::perf::{self, Change, PHASES, Phase};
use crate::execute::slow::measured_name;
use crate::isolate::Isolation;
use crate::isolate::worker::{MeasureReply, Request, WorkerProcess};
use crate::report::perf::{
    PerfCell, PerfComparison, PerfFailure, PerfInfo, PerfLead, PerfWorkload, PhaseSamples,
};
use crate::source::workloads::Workload;
use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;
use wasmgate_runners::Engine;
use wasmgate_runners::measure::Sample;

/// How a perf run measures.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Measured rounds per engine × workload.
    pub reps: u32,
    /// Rounds run first and discarded.
    pub warmup: u32,
    /// Limit per measurement.
    pub timeout: Duration,
}

/// Where one engine measures: its own worker process, or this process.
enum Runner {
    Worker {
        exe: std::path::PathBuf,
        spec: String,
        process: Option<WorkerProcess>,
    },
    Here(Arc<dyn Engine>),
}

impl Runner {
    fn measure(&mut self, w: &Workload, timeout: Duration) -> Result<Sample, String> {
        match self {
            Runner::Here(engine) => engine
                .measure(&w.wasm, &w.export, &w.args, &w.results)
                .map_err(|f| f.to_string()),
            Runner::Worker { exe, spec, process } => {
                if process.is_none() {
                    let started = WorkerProcess::spawn(exe, std::slice::from_ref(spec), timeout)
                        .map_err(|e| format!("{e:#}"))?;
                    *process = Some(started);
                }
                let Some(worker) = process.as_mut() else {
                    return Err("no worker".into());
                };
                let request = Request::Measure {
                    wasm_hex: crate::isolate::worker::to_hex(&w.wasm),
                    export: w.export.clone(),
                    args: w.args.clone(),
                    results: w.results.clone(),
                };
                match worker.measure(&request, timeout) {
                    MeasureReply::Done(r) => r.map_err(|f| f.to_string()),
                    MeasureReply::Died(how) => {
                        *process = None;
                        Err(format!("the engine's process died: {how}"))
                    }
                    MeasureReply::Hung => {
                        *process = None;
                        Err(format!("no answer within {}s (hang)", timeout.as_secs()))
                    }
                }
            }
        }
    }
}

/// Raw samples of one cell.
#[derive(Default)]
struct Collected {
    samples: Vec<Sample>,
    failed: Option<String>,
}

/// Measures every workload on every engine: `warmup + reps` rounds; in each
/// round every workload runs once on every engine, the engines in an order
/// rotated round by round. `progress` hears (round, rounds).
pub fn measure(
    workloads: &[Workload],
    engines: &[Arc<dyn Engine>],
    specs: &[String],
    isolation: &Isolation,
    plan: &Plan,
    progress: &mut dyn FnMut(u32, u32),
) -> (Vec<PerfCell>, Vec<PerfFailure>) {
    let mut runners: Vec<Runner> = engines
        .iter()
        .zip(specs)
        .map(|(engine, spec)| match isolation {
            Isolation::InProcess => Runner::Here(engine.clone()),
            Isolation::Processes { exe, .. } => Runner::Worker {
                exe: exe.clone(),
                spec: spec.clone(),
                process: None,
            },
        })
        .collect();
    let mut collected: Vec<Vec<Collected>> = workloads
        .iter()
        .map(|_| engines.iter().map(|_| Collected::default()).collect())
        .collect();
    let rounds = plan.warmup + plan.reps;
    for round in 0..rounds {
        progress(round, rounds);
        for (wi, w) in workloads.iter().enumerate() {
            for k in 0..engines.len() {
                let ei = (k + round as usize) % engines.len();
                let cell = &mut collected[wi][ei];
                if cell.failed.is_some() {
                    continue;
                }
                match runners[ei].measure(w, plan.timeout) {
                    Ok(sample) => {
                        if let Some(sum) = &w.checksum
                            && &sample.results != sum
                        {
                            cell.failed = Some(format!(
                                "returned {}, the pinned checksum is {}",
                                show(&sample.results),
                                show(sum)
                            ));
                        } else if round >= plan.warmup {
                            cell.samples.push(sample);
                        }
                    }
                    Err(e) => cell.failed = Some(e),
                }
            }
        }
    }
    progress(rounds, rounds);
    let mut cells = Vec::new();
    let mut failures = Vec::new();
    for (w, row) in workloads.iter().zip(collected) {
        for (engine, c) in engines.iter().zip(row) {
            let name = engine.info().name.clone();
            if let Some(reason) = c.failed {
                failures.push(PerfFailure {
                    engine: name,
                    workload: w.name.clone(),
                    reason,
                });
                continue;
            }
            cells.push(cell_of(&name, &w.name, &c.samples));
        }
    }
    (cells, failures)
}

fn show(values: &[wasmgate_runners::Val]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The estimates of one engine on one workload. CPU time when every sample
/// has it, else wall time.
pub fn cell_of(engine: &str, workload: &str, samples: &[Sample]) -> PerfCell {
    let cpu = !samples.is_empty()
        && samples.iter().all(|s| {
            s.compile.cpu_ns.is_some() && s.execute.cpu_ns.is_some() && s.instantiate.cpu_ns.is_some()
        });
    let pick = |t: &wasmgate_runners::measure::PhaseTime| {
        if cpu {
            t.cpu_ns.unwrap_or(t.wall_ns)
        } else {
            t.wall_ns
        }
    };
    let mut kept = PhaseSamples::default();
    for s in samples {
        kept.compile.push(pick(&s.compile));
        kept.instantiate.push(pick(&s.instantiate));
        kept.execute.push(pick(&s.execute));
    }
    let wall: Vec<u64> = samples.iter().map(|s| s.execute.wall_ns).collect();
    PerfCell {
        engine: engine.to_string(),
        workload: workload.to_string(),
        clock: if cpu { "cpu" } else { "wall" }.into(),
        timed: samples.first().map_or_else(String::new, |s| s.timed.clone()),
        compile: perf::estimate(&kept.compile),
        instantiate: perf::estimate(&kept.instantiate),
        execute: perf::estimate(&kept.execute),
        execute_wall: perf::estimate(&wall),
        memory_bytes: samples.iter().map(|s| s.memory_bytes).max().unwrap_or(0),
        peak_rss_bytes: samples.iter().filter_map(|s| s.peak_rss_bytes).max(),
        samples: kept,
    }
}

/// The workload name of a pooled comparison (every workload at once).
pub const POOLED: &str = "(all workloads)";

/// One engine's phase over every workload: log ratios of the medians, and
/// log baseline medians.
struct Pool {
    engine: String,
    baseline_engine: String,
    phase: Phase,
    clock: String,
    log_ratios: Vec<f64>,
    log_base: Vec<f64>,
}

/// The baseline times from which comparisons gate.
pub struct Floors {
    /// Every phase: shorter baseline times are reported, not gated.
    pub ns: f64,
    /// Compile phases gate only from this baseline time; `None`: never.
    pub compile_ns: Option<f64>,
}

impl Floors {
    /// Whether a comparison of `phase` whose baseline time is `base_ns` gates.
    fn gates(&self, phase: Phase, base_ns: f64) -> bool {
        base_ns >= self.ns
            && (phase != Phase::Compile || self.compile_ns.is_some_and(|floor| base_ns >= floor))
    }
}

/// Every phase of every cell against the baseline's cell of the same
/// workload and measured engine, and per engine and phase all workloads
/// pooled ([`perf::pooled`]). The significance level is 0.05 over the number
/// of comparisons (Bonferroni), so a run's false alarms stay rare. A
/// comparison whose baseline time is under the floor (for a pooled one: the
/// geometric mean over the workloads) is reported but does not gate: phases
/// that short move by tens of percent from one run to the next on a shared
/// machine (allocation, page faults, caches), whatever the engine does; nor
/// does a compile phase, unless its own floor is given and reached.
pub fn compare(
    cells: &[PerfCell],
    base: &[PerfCell],
    threshold: f64,
    floors: &Floors,
) -> (Vec<PerfComparison>, f64) {
    let mut out = Vec::new();
    let mut pools: Vec<Pool> = Vec::new();
    for c in cells {
        let wanted = measured_name(&c.engine);
        let Some(b) = base
            .iter()
            .find(|b| b.engine == wanted && b.workload == c.workload)
        else {
            continue;
        };
        // Only like with like: the clock both were measured with.
        if c.clock != b.clock {
            continue;
        }
        for phase in PHASES {
            let (new, old) = (c.samples.of(phase), b.samples.of(phase));
            let Some(r) = perf::ratio(new, old, threshold) else {
                continue;
            };
            out.push(PerfComparison {
                engine: c.engine.clone(),
                baseline_engine: b.engine.clone(),
                workload: c.workload.clone(),
                phase,
                clock: c.clock.clone(),
                change: Change::NoDifference,
                gated: floors.gates(phase, b.estimate(phase).median_ns),
                ratio: r,
            });
            let (mn, mb) = (c.estimate(phase).median_ns, b.estimate(phase).median_ns);
            if mn > 0.0 && mb > 0.0 {
                let at = pools
                    .iter()
                    .position(|p| p.engine == c.engine && p.phase == phase && p.clock == c.clock);
                let pool = match at {
                    Some(i) => &mut pools[i],
                    None => {
                        pools.push(Pool {
                            engine: c.engine.clone(),
                            baseline_engine: b.engine.clone(),
                            phase,
                            clock: c.clock.clone(),
                            log_ratios: vec![],
                            log_base: vec![],
                        });
                        pools.last_mut().expect("just pushed")
                    }
                };
                pool.log_ratios.push((mn / mb).ln());
                pool.log_base.push(mb.ln());
            }
        }
    }
    for p in pools {
        // The typical (geometric mean) baseline time of the phase decides
        // whether the pooled comparison gates.
        let typical = (p.log_base.iter().sum::<f64>() / p.log_base.len().max(1) as f64).exp();
        if let Some(r) = perf::pooled(&p.log_ratios, threshold) {
            out.push(PerfComparison {
                engine: p.engine,
                baseline_engine: p.baseline_engine,
                workload: POOLED.into(),
                phase: p.phase,
                clock: p.clock,
                change: Change::NoDifference,
                gated: floors.gates(p.phase, typical),
                ratio: r,
            });
        }
    }
    let alpha = 0.05 / out.len().max(1) as f64;
    for c in &mut out {
        c.change = perf::judge(&c.ratio, alpha);
    }
    (out, alpha)
}

/// The repro command of a workload on some engines.
pub fn repro(w: &Workload, engines: &[&str]) -> String {
    let args: Vec<String> = w.args.iter().map(|a| a.pretty()).collect();
    let mut cmd = format!("wasmgate perf --wasm {} --call {}", w.path.display(), w.export);
    for a in args {
        cmd.push(' ');
        cmd.push_str(&a);
    }
    if !engines.is_empty() {
        cmd.push_str(" --engines ");
        cmd.push_str(&engines.join(","));
    }
    cmd
}

/// How far above its usual share of a case's time an engine must be for the
/// case to be a lead.
pub const LEAD_FACTOR: f64 = 1.5;

/// Cross-engine outliers over the workloads' execute medians: the top
/// three where an engine takes at least [`LEAD_FACTOR`] times its usual
/// share, with the engine that stands out and the command that measures it
/// against the fastest engine on that workload.
pub fn leads(workloads: &[Workload], cells: &[PerfCell]) -> Vec<PerfLead> {
    let engines = crate::report::perf::engines_of(cells);
    let vectors: Vec<Vec<f64>> = workloads
        .iter()
        .map(|w| {
            engines
                .iter()
                .filter_map(|e| cells.iter().find(|c| &c.engine == e && c.workload == w.name))
                .map(|c| c.execute.median_ns)
                .collect()
        })
        .collect();
    perf::outliers(&engines, &vectors)
        .into_iter()
        .filter(|o| o.factor >= LEAD_FACTOR)
        .take(3)
        .map(|o| {
            let w = &workloads[o.case];
            let fastest = cells
                .iter()
                .filter(|c| c.workload == w.name && c.engine != o.engine)
                .min_by(|a, b| a.execute.median_ns.total_cmp(&b.execute.median_ns))
                .map(|c| c.engine.as_str());
            let mut pair = vec![o.engine.as_str()];
            pair.extend(fastest);
            PerfLead {
                case: w.name.clone(),
                engine: o.engine.clone(),
                distance: o.distance,
                factor: o.factor,
                module: Some(w.path.display().to_string()),
                repro: repro(w, &pair),
            }
        })
        .collect()
}

/// The workloads as the report lists them.
pub fn listed(workloads: &[Workload]) -> Vec<PerfWorkload> {
    workloads
        .iter()
        .map(|w| PerfWorkload {
            name: w.name.clone(),
            module: w.path.display().to_string(),
            call: w.call_text(),
            shape: w.shape.clone(),
            checksum: w.checksum.as_ref().map(|c| show(c)),
        })
        .collect()
}

/// The perf part of the report, before baseline and history.
pub fn info(
    plan: &Plan,
    threshold: f64,
    workloads: &[Workload],
    cells: Vec<PerfCell>,
    failures: Vec<PerfFailure>,
) -> PerfInfo {
    PerfInfo {
        reps: plan.reps,
        warmup: plan.warmup,
        threshold,
        gate_floor_ms: 0.0,
        compile_gate_floor_ms: None,
        alpha: 0.05,
        leads: leads(workloads, &cells),
        workloads: listed(workloads),
        cells,
        failures,
        baseline: None,
        saved_baseline: None,
        comparisons: vec![],
        history: None,
        history_run: None,
        trend: vec![],
    }
}
