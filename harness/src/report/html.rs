//! `report.html`: one self-contained page per report (no scripts, no fonts,
//! no network), rendered from the report model: the gate, the summary, the
//! findings with their repro commands, and charts drawn by `plotters` into
//! inline SVG — engine time per phase for runs and sweeps, per-engine bars
//! with 95 % intervals per workload, the phase breakdown and the history's
//! trend for perf runs. The conformance report builds its page from the
//! same parts ([`Page`], [`bars`]).

use super::model::Report;
use super::perf::PerfInfo;
use crate::compare::perf::{PHASES, Phase};
use plotters::prelude::*;
use std::fmt::Write as _;

/// A page being written.
pub struct Page {
    html: String,
}

/// Escapes text for HTML.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{background:#1a7f37;color:#fff;padding:2px 8px;border-radius:4px}.fail{background:#cf222e;color:#fff;padding:2px 8px;border-radius:4px}
code{background:#f6f8fa;padding:1px 4px;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:12px}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}";

impl Page {
    /// A page titled `title`, with the gate's verdict as a badge.
    pub fn new(title: &str, passed: bool, reason: &str) -> Page {
        let mut html = String::new();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body>\n<h1>{t} <span class=\"{c}\">gate: {r}</span></h1>\n",
            t = esc(title),
            c = if passed { "pass" } else { "fail" },
            r = esc(reason)
        );
        Page { html }
    }

    /// A section heading.
    pub fn h2(&mut self, text: &str) {
        let _ = writeln!(self.html, "<h2>{}</h2>", esc(text));
    }

    /// A paragraph of plain text.
    pub fn p(&mut self, text: &str) {
        let _ = writeln!(self.html, "<p>{}</p>", esc(text));
    }

    /// A table; cells are plain text, right-aligned when they start with a digit.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        let _ = write!(self.html, "<table><tr>");
        for h in header {
            let _ = write!(self.html, "<th>{}</th>", esc(h));
        }
        let _ = writeln!(self.html, "</tr>");
        for row in rows {
            let _ = write!(self.html, "<tr>");
            for cell in row {
                let numeric = cell.chars().next().is_some_and(|c| c.is_ascii_digit());
                let class = if cell.starts_with("✗") {
                    " class=\"bad\""
                } else if numeric {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(self.html, "<td{class}>{}</td>", esc(cell));
            }
            let _ = writeln!(self.html, "</tr>");
        }
        let _ = writeln!(self.html, "</table>");
    }

    /// Charts side by side.
    pub fn charts(&mut self, svgs: &[String]) {
        let _ = writeln!(self.html, "<div class=\"charts\">");
        for svg in svgs {
            let _ = writeln!(self.html, "<div>{svg}</div>");
        }
        let _ = writeln!(self.html, "</div>");
    }

    /// The finished document.
    pub fn finish(mut self) -> String {
        let _ = writeln!(
            self.html,
            "<p style=\"color:#777;font-size:12px\">wasmgate {} — report.json is canonical; this page is rendered from it.</p></body></html>",
            env!("CARGO_PKG_VERSION")
        );
        self.html
    }
}

/// One horizontal bar per label, with an optional 95 % interval (low, high).
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

type Drawn<'a> = Result<(), Box<dyn std::error::Error + 'a>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Horizontal<'a> =
    ChartContext<'a, SVGBackend<'a>, Cartesian2d<plotters::coord::types::RangedCoordf64, RangedSlice>>;
type RangedSlice = plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize>;

/// A chart of `width` × `height` as inline SVG drawn by `draw`, or a note
/// saying why it could not be drawn.
fn svg(title: &str, width: u32, height: u32, draw: impl for<'a> FnOnce(&Area<'a>) -> Drawn<'a>) -> String {
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| draw(&root).map_err(|e| e.to_string()))
            .and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    match drawn {
        Ok(()) => out,
        Err(e) => format!("<p>(chart “{}” could not be drawn: {})</p>", esc(title), esc(&e)),
    }
}

/// What stands in for a chart with nothing to draw (plotters loops forever
/// over an empty band axis).
fn no_data(title: &str) -> String {
    format!("<p>({}: nothing measured)</p>", esc(title))
}

/// The band of the `i`-th of `n` bars: the first at the top.
fn band(i: usize, n: usize) -> (SegmentValue<usize>, SegmentValue<usize>) {
    (SegmentValue::Exact(n - 1 - i), SegmentValue::Exact(n - i))
}

/// Axes for horizontal bars: 0..`max` across, one band per label down, the
/// first label at the top.
fn horizontal<'a>(
    root: &Area<'a>,
    title: &str,
    unit: &str,
    labels: &[String],
    max: f64,
) -> Result<Horizontal<'a>, Box<dyn std::error::Error + 'a>> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..max.max(1e-9), (0..n.max(2) - 1).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) if *k < n => labels[n - 1 - k].clone(),
            _ => String::new(),
        })
        .x_desc(unit)
        .draw()?;
    Ok(chart)
}

/// A horizontal bar chart as inline SVG, or a note if it cannot be drawn.
pub fn bars(title: &str, unit: &str, items: &[Bar], color: RGBColor) -> String {
    let labels: Vec<String> = items.iter().map(|b| b.label.clone()).collect();
    let max = items
        .iter()
        .map(|b| b.interval.map_or(b.value, |(_, hi)| hi.max(b.value)))
        .fold(0.0f64, f64::max)
        * 1.08;
    let n = items.len();
    if n == 0 {
        return no_data(title);
    }
    svg(title, 560, 70 + 22 * n as u32, |root| {
        let mut chart = horizontal(root, title, unit, &labels, max)?;
        chart.draw_series(items.iter().enumerate().map(|(i, b)| {
            Rectangle::new(
                [(0.0, band(i, n).0), (b.value, band(i, n).1)],
                color.mix(0.75).filled(),
            )
        }))?;
        chart.draw_series(items.iter().enumerate().filter_map(|(i, b)| {
            b.interval.map(|(lo, hi)| {
                ErrorBar::new_horizontal(
                    SegmentValue::CenterOf(n - 1 - i),
                    lo,
                    b.value,
                    hi,
                    BLACK.filled(),
                    8,
                )
            })
        }))?;
        Ok(())
    })
}

/// Stacked horizontal bars: per label, one segment per series.
fn stacked(title: &str, unit: &str, labels: &[String], series: &[(&str, RGBColor, Vec<f64>)]) -> String {
    let n = labels.len();
    let total = |i: usize| {
        series
            .iter()
            .map(|(_, _, v)| v.get(i).copied().unwrap_or(0.0))
            .sum::<f64>()
    };
    let max = (0..n).map(total).fold(0.0f64, f64::max) * 1.05;
    if n == 0 {
        return no_data(title);
    }
    svg(title, 560, 90 + 22 * n as u32, |root| {
        let mut chart = horizontal(root, title, unit, labels, max)?;
        let mut start = vec![0.0f64; n];
        for (name, color, values) in series {
            let color = *color;
            let begin = start.clone();
            chart
                .draw_series((0..n).map(|i| {
                    let v = values.get(i).copied().unwrap_or(0.0);
                    Rectangle::new(
                        [(begin[i], band(i, n).0), (begin[i] + v, band(i, n).1)],
                        color.filled(),
                    )
                }))?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
            for (s, v) in start.iter_mut().zip(values) {
                *s += v;
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        Ok(())
    })
}

/// Lines over runs: one series per name, x = run number.
fn trend(title: &str, series: &[(String, Vec<(i64, f64)>)]) -> String {
    if series.iter().all(|(_, p)| p.is_empty()) {
        return no_data(title);
    }
    let xs = series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x));
    let (lo, hi) = xs.fold((i64::MAX, i64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    svg(title, 560, 300, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi.max(lo + 1), 0f64..max)?;
        chart.configure_mesh().x_desc("run").y_desc("ms").draw()?;
        for (k, (name, points)) in series.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2)));
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
    })
}

const PHASE_COLORS: [RGBColor; 3] = [
    RGBColor(0x44, 0x77, 0xaa),
    RGBColor(0xee, 0x99, 0x33),
    RGBColor(0x22, 0x88, 0x33),
];

/// The page of a run, sweep, check, compat, wasi, corpus, merge or perf report.
pub fn render(report: &Report) -> String {
    let env = &report.envelope;
    let mut page = Page::new(
        &format!("wasmgate {} {}", env.kind, report.run.name),
        env.gate.passed,
        &env.gate.reason,
    );
    page.p(&format!(
        "Started {}, {:.1} s. wasmgate {}.",
        env.timing.started_at,
        env.timing.wall_ms as f64 / 1000.0,
        env.tool.version
    ));
    page.h2("Engines");
    let rows: Vec<Vec<String>> = env
        .engines
        .iter()
        .map(|e| {
            let t = report.timings.get(&e.name);
            vec![
                e.name.clone(),
                e.version.clone(),
                t.map_or(String::new(), |t| t.cases.to_string()),
                report
                    .summary
                    .skipped
                    .get(&e.name)
                    .copied()
                    .unwrap_or(0)
                    .to_string(),
            ]
        })
        .collect();
    page.table(&["engine", "version", "cases run", "skipped"], &rows);
    for u in &env.unavailable {
        page.p(&format!("{} not run: {}", u.engine, u.reason));
    }
    let s = &report.summary;
    page.h2("Summary");
    page.table(
        &[
            "cases",
            "agreed",
            "diverged",
            "inconclusive",
            "findings",
            "known",
            "calls",
            "returned",
        ],
        &[vec![
            s.cases.to_string(),
            s.agreed.to_string(),
            s.diverged.to_string(),
            s.inconclusive.to_string(),
            s.unique_findings.to_string(),
            s.known_findings.to_string(),
            s.calls.to_string(),
            s.calls_returned.to_string(),
        ]],
    );
    page.h2(&format!("Findings ({})", report.findings.len()));
    if report.findings.is_empty() {
        page.p("No divergence: every engine agreed.");
    } else {
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.signature.clone(),
                    f.kind.to_string(),
                    f.blamed.join(", "),
                    f.step.clone(),
                    f.count.to_string(),
                    f.known
                        .clone()
                        .map_or("new".to_string(), |k| format!("known: {k}")),
                    format!("wasmgate repro {}", f.minimized.as_ref().unwrap_or(&f.bundle)),
                ]
            })
            .collect();
        page.table(
            &[
                "signature",
                "kind",
                "blamed",
                "at",
                "cases",
                "status",
                "repro (from the report folder)",
            ],
            &rows,
        );
    }
    if report.perf.is_none() && !report.timings.is_empty() {
        page.h2("Engine time per phase");
        // In the report's engine order.
        let timed: Vec<(&String, &super::model::EngineTimings)> = env
            .engines
            .iter()
            .filter_map(|e| report.timings.get_key_value(&e.name))
            .collect();
        let labels: Vec<String> = timed.iter().map(|(name, _)| (*name).clone()).collect();
        let phase = |pick: fn(&crate::execute::Timings) -> u64| -> Vec<f64> {
            timed.iter().map(|(_, t)| pick(&t.timings) as f64 / 1e3).collect()
        };
        let series: Vec<(&str, RGBColor, Vec<f64>)> = vec![
            ("compile", PHASE_COLORS[0], phase(|t| t.compile_us)),
            ("instantiate", PHASE_COLORS[1], phase(|t| t.instantiate_us)),
            ("execute", PHASE_COLORS[2], phase(|t| t.execute_us)),
        ];
        page.charts(&[stacked("Engine time, summed over cases", "ms", &labels, &series)]);
    }
    leads(&mut page, "case", &report.leads);
    if let Some(perf) = &report.perf {
        perf_sections(&mut page, perf);
    }
    page.finish()
}

/// The leads table (cross-engine outliers), if there are any.
fn leads(page: &mut Page, case: &str, leads: &[super::perf::PerfLead]) {
    if leads.is_empty() {
        return;
    }
    page.h2("Timing leads (cross-engine outliers; for triage, never a gate)");
    let rows: Vec<Vec<String>> = leads
        .iter()
        .map(|l| {
            vec![
                l.case.clone(),
                l.engine.clone(),
                format!("{:.2}×", l.factor),
                format!("{:.3}", l.distance),
                l.repro.clone(),
            ]
        })
        .collect();
    page.table(&[case, "engine", "share vs usual", "distance", "repro"], &rows);
}

fn perf_sections(page: &mut Page, perf: &PerfInfo) {
    let engines = perf.engines();
    page.h2("Execute time per workload (median, 95 % interval)");
    page.p(&format!(
        "{} measured rounds after {} warm-up, engines interleaved round by round. CPU time where the engine's process reports it, else wall time.",
        perf.reps, perf.warmup
    ));
    let charts: Vec<String> = perf
        .workloads
        .iter()
        .map(|w| {
            let items: Vec<Bar> = engines
                .iter()
                .filter_map(|e| perf.cell(e, &w.name))
                .map(|c| Bar {
                    label: c.engine.clone(),
                    value: c.execute.median_ns / 1e6,
                    interval: Some((c.execute.low_ns / 1e6, c.execute.high_ns / 1e6)),
                })
                .collect();
            bars(&format!("{} — {}", w.name, w.call), "ms", &items, PHASE_COLORS[2])
        })
        .collect();
    page.charts(&charts);
    page.h2("Phase breakdown (medians summed over workloads)");
    let series: Vec<(&str, RGBColor, Vec<f64>)> = PHASES
        .iter()
        .zip(PHASE_COLORS)
        .map(|(phase, color)| {
            let name = match phase {
                Phase::Compile => "compile",
                Phase::Instantiate => "instantiate",
                Phase::Execute => "execute",
            };
            let values = engines
                .iter()
                .map(|e| {
                    perf.cells
                        .iter()
                        .filter(|c| &c.engine == e)
                        .map(|c| c.estimate(*phase).median_ns / 1e6)
                        .sum()
                })
                .collect();
            (name, color, values)
        })
        .collect();
    page.charts(&[stacked("Compile, instantiate, execute", "ms", &engines, &series)]);
    let rows: Vec<Vec<String>> = perf
        .cells
        .iter()
        .map(|c| {
            vec![
                c.workload.clone(),
                c.engine.clone(),
                c.clock.clone(),
                super::perf::ms(&c.compile),
                super::perf::ms(&c.instantiate),
                super::perf::ms(&c.execute),
                format!("{:.1}", c.memory_bytes as f64 / (1u64 << 20) as f64),
                c.peak_rss_bytes
                    .map_or("—".into(), |b| format!("{:.0}", b as f64 / (1u64 << 20) as f64)),
            ]
        })
        .collect();
    page.table(
        &[
            "workload",
            "engine",
            "clock",
            "compile ms",
            "instantiate ms",
            "execute ms",
            "memory MiB",
            "peak RSS MiB",
        ],
        &rows,
    );
    if let Some(b) = &perf.baseline {
        page.h2(&format!("Against baseline {} ({})", b.name, b.created_at));
        page.p(&format!(
            "A phase fails the gate when it is confidently more than {:.0} % slower: the one-sided test against the threshold is significant at {:.1e} (Welch on log times; 0.05 over {} comparisons). Phases under {} ms in the baseline (pooled: geometric mean) are reported, not gated.",
            perf.threshold * 100.0,
            perf.alpha,
            perf.comparisons.len(),
            perf.gate_floor_ms
        ));
        let rows: Vec<Vec<String>> = perf
            .comparisons
            .iter()
            .map(|c| {
                let flag = if c.fails() { "✗ " } else { "" };
                vec![
                    c.workload.clone(),
                    c.engine.clone(),
                    c.phase.to_string(),
                    format!("{flag}{}", c.describe()),
                    format!("{:.3}", c.ratio.ratio),
                    format!("{:.1e}", c.ratio.p_value),
                ]
            })
            .collect();
        page.table(&["workload", "engine", "phase", "change", "ratio", "p"], &rows);
    }
    if !perf.failures.is_empty() {
        page.h2("Measurements that failed");
        let rows: Vec<Vec<String>> = perf
            .failures
            .iter()
            .map(|f| vec![f.workload.clone(), f.engine.clone(), f.reason.clone()])
            .collect();
        page.table(&["workload", "engine", "why"], &rows);
    }
    leads(page, "workload", &perf.leads);
    let runs: std::collections::BTreeSet<i64> = perf.trend.iter().map(|t| t.run).collect();
    if runs.len() >= 2 {
        page.h2(&format!(
            "Trend over the last {} runs (execute median)",
            runs.len()
        ));
        let charts: Vec<String> = perf
            .workloads
            .iter()
            .map(|w| {
                let series: Vec<(String, Vec<(i64, f64)>)> = engines
                    .iter()
                    .map(|e| {
                        let points = perf
                            .trend
                            .iter()
                            .filter(|t| t.workload == w.name && &t.engine == e)
                            .map(|t| (t.run, t.median_ns / 1e6))
                            .collect();
                        (e.clone(), points)
                    })
                    .filter(|(_, p): &(String, Vec<(i64, f64)>)| !p.is_empty())
                    .collect();
                trend(&w.name, &series)
            })
            .collect();
        page.charts(&charts);
    } else if let Some(h) = &perf.history {
        page.p(&format!(
            "History: {h} holds one run of these workloads so far; trend lines appear from the second."
        ));
    }
}
