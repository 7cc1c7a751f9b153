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
use maud::{DOCTYPE, Markup, PreEscaped, html};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A page being written: its title and gate, then its parts in order.
pub struct Page {
    title: String,
    passed: bool,
    reason: String,
    parts: Vec<Markup>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{background:#1a7f37;color:#fff;padding:2px 8px;border-radius:4px}.fail{background:#cf222e;color:#fff;padding:2px 8px;border-radius:4px}
code{background:#f6f8fa;padding:1px 4px;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:12px}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}details{margin:8px 0}summary{cursor:pointer}
.foot{color:#777;font-size:12px}";

/// Whether raw HTML in the summary's Markdown is only its own `<details>`
/// and `<summary>` tags around plain text: kept; any other is shown as text.
fn own_html(raw: &str) -> bool {
    let mut rest = raw.to_string();
    for tag in ["<details>", "</details>", "<summary>", "</summary>"] {
        rest = rest.replace(tag, "");
    }
    !rest.contains('<') && !rest.contains('&')
}

impl Page {
    /// A page titled `title`, with the gate's verdict as a badge.
    pub fn new(title: &str, passed: bool, reason: &str) -> Page {
        Page {
            title: title.to_string(),
            passed,
            reason: reason.to_string(),
            parts: Vec::new(),
        }
    }

    /// A section heading.
    pub fn h2(&mut self, text: &str) {
        self.parts.push(html! { h2 { (text) } });
    }

    /// A paragraph of plain text.
    pub fn p(&mut self, text: &str) {
        self.parts.push(html! { p { (text) } });
    }

    /// A report's Markdown summary (`summary.md`), its own title left out
    /// (the page has one): headings, tables, lists and code as HTML. Raw
    /// HTML in it other than its `<details>` is shown as text.
    pub fn markdown(&mut self, md: &str) {
        use pulldown_cmark::{Event, Options, Parser};
        let body = match md.strip_prefix("# ") {
            Some(rest) => rest.split_once('\n').map_or("", |(_, after)| after),
            None => md,
        };
        let events =
            Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| {
                match event {
                    Event::Html(raw) | Event::InlineHtml(raw) if !own_html(&raw) => Event::Text(raw),
                    // Symbols every font has, for the emoji Markdown viewers draw.
                    Event::Text(text) if text.contains(['✅', '❌', '⚠']) => Event::Text(
                        text.replace('✅', "✓")
                            .replace('❌', "✗")
                            .replace("⚠️", "⚠")
                            .into(),
                    ),
                    other => other,
                }
            });
        let mut out = String::new();
        pulldown_cmark::html::push_html(&mut out, events);
        self.parts.push(PreEscaped(out));
    }

    /// A table; cells are plain text, right-aligned when they start with a digit.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        let class = |cell: &str| {
            if cell.starts_with('✗') {
                Some("bad")
            } else if cell.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                Some("n")
            } else {
                None
            }
        };
        self.parts.push(html! {
            table {
                tr { @for h in header { th { (h) } } }
                @for row in rows {
                    tr { @for cell in row { td class=[class(cell)] { (cell) } } }
                }
            }
        });
    }

    /// Charts side by side (inline SVG drawn here).
    pub fn charts(&mut self, svgs: &[String]) {
        self.parts.push(html! {
            div.charts { @for svg in svgs { div { (PreEscaped(svg)) } } }
        });
    }

    /// The finished document.
    pub fn finish(self) -> String {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { (self.title) }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 {
                        (self.title) " "
                        span class=(if self.passed { "pass" } else { "fail" }) { "gate: " (self.reason) }
                    }
                    @for part in &self.parts { (part) }
                    p.foot {
                        "wasmgate " (env!("CARGO_PKG_VERSION"))
                        " — report.json is canonical; this page is rendered from it."
                    }
                }
            }
        }
        .into_string()
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
        Err(e) => html! { p { "(chart “" (title) "” could not be drawn: " (e) ")" } }.into_string(),
    }
}

/// What stands in for a chart with nothing to draw (plotters loops forever
/// over an empty band axis).
fn no_data(title: &str) -> String {
    html! { p { "(" (title) ": nothing measured)" } }.into_string()
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
    x: Axis,
) -> Result<Horizontal<'a>, Box<dyn std::error::Error + 'a>> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .margin_right(28)
        .x_label_area_size(28)
        .y_label_area_size(150)
        .build_cartesian_2d(x.lo..x.hi, (0..n.max(2) - 1).into_segmented())?;
    let desc = if x.log {
        format!("{unit} (log scale)")
    } else {
        unit.to_string()
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) if *k < n => labels[n - 1 - k].clone(),
            _ => String::new(),
        })
        .x_labels(6)
        .x_label_formatter(&|v| x.label(*v))
        .x_desc(desc)
        .draw()?;
    Ok(chart)
}

/// The value axis of bars: linear from 0, or log10 (drawn as exponents,
/// labelled as values) when the values span more than 10×.
#[derive(Clone, Copy)]
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
}

impl Axis {
    fn of(values: impl Iterator<Item = f64> + Clone) -> Axis {
        let max = values.clone().fold(0.0f64, f64::max);
        let min = values.filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        if min.is_finite() && max > 10.0 * min {
            Axis {
                log: true,
                lo: (min.log10() - 0.15).floor(),
                hi: (max.log10() + 0.05).ceil(),
            }
        } else {
            Axis {
                log: false,
                lo: 0.0,
                hi: (max * 1.08).max(1e-9),
            }
        }
    }
    /// Where a value goes on the axis.
    fn at(&self, v: f64) -> f64 {
        if self.log {
            v.max(10f64.powf(self.lo)).log10()
        } else {
            v
        }
    }
    fn label(&self, at: f64) -> String {
        let v = if self.log { 10f64.powf(at) } else { at };
        if v == 0.0 {
            "0".into()
        } else if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else if v.abs() >= 1.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        }
    }
}

/// A horizontal bar chart as inline SVG, or a note if it cannot be drawn.
pub fn bars(title: &str, unit: &str, items: &[Bar], color: RGBColor) -> String {
    let labels: Vec<String> = items.iter().map(|b| b.label.clone()).collect();
    let n = items.len();
    if n == 0 {
        return no_data(title);
    }
    let x = Axis::of(items.iter().flat_map(|b| {
        [
            b.value,
            b.interval.map_or(b.value, |(lo, _)| lo),
            b.interval.map_or(b.value, |(_, hi)| hi),
        ]
    }));
    svg(title, 560, 70 + 22 * n as u32, |root| {
        let mut chart = horizontal(root, title, unit, &labels, x)?;
        chart.draw_series(items.iter().enumerate().map(|(i, b)| {
            Rectangle::new(
                [(x.lo, band(i, n).0), (x.at(b.value), band(i, n).1)],
                color.mix(0.75).filled(),
            )
        }))?;
        chart.draw_series(items.iter().enumerate().filter_map(|(i, b)| {
            b.interval.map(|(lo, hi)| {
                ErrorBar::new_horizontal(
                    SegmentValue::CenterOf(n - 1 - i),
                    x.at(lo),
                    x.at(b.value),
                    x.at(hi),
                    BLACK.filled(),
                    8,
                )
            })
        }))?;
        Ok(())
    })
}

/// Stacked horizontal bars: per label, one segment per series.
pub fn stacked(title: &str, unit: &str, labels: &[String], series: &[(&str, RGBColor, Vec<f64>)]) -> String {
    let n = labels.len();
    let total = |i: usize| {
        series
            .iter()
            .map(|(_, _, v)| v.get(i).copied().unwrap_or(0.0))
            .sum::<f64>()
    };
    if n == 0 {
        return no_data(title);
    }
    let x = Axis {
        log: false,
        lo: 0.0,
        // Room right of the longest bar for its total.
        hi: ((0..n).map(total).fold(0.0f64, f64::max) * 1.15).max(1e-9),
    };
    let chart = svg(title, 560, 70 + 22 * n as u32, |root| {
        let mut chart = horizontal(root, title, unit, labels, x)?;
        let mut start = vec![0.0f64; n];
        for (_, color, values) in series {
            let color = *color;
            let begin = start.clone();
            chart.draw_series((0..n).map(|i| {
                let v = values.get(i).copied().unwrap_or(0.0);
                Rectangle::new(
                    [(begin[i], band(i, n).0), (begin[i] + v, band(i, n).1)],
                    color.filled(),
                )
            }))?;
            for (s, v) in start.iter_mut().zip(values) {
                *s += v;
            }
        }
        // Each bar's total at its end, so a short one is still read.
        chart.draw_series((0..n).map(|i| {
            Text::new(
                if start[i].fract() == 0.0 {
                    format!(" {:.0}", start[i])
                } else {
                    format!(" {}", x.label(start[i]))
                },
                (start[i], SegmentValue::CenterOf(n - 1 - i)),
                TextStyle::from(("sans-serif", 11).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))?;
        Ok(())
    });
    let names: Vec<(&str, RGBColor)> = series.iter().map(|(name, c, _)| (*name, *c)).collect();
    format!("{chart}{}", legend(&names))
}

/// Lines over runs: one series per name, x = run number, labelled by the
/// run's date (and commit) from `labels`.
fn trend(
    title: &str,
    series: &[(String, Vec<(i64, f64)>)],
    labels: &std::collections::BTreeMap<i64, String>,
) -> String {
    if series.iter().all(|(_, p)| p.is_empty()) {
        return no_data(title);
    }
    let xs = series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x));
    let (lo, hi) = xs.fold((i64::MAX, i64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    // A log axis when the series span more than 10× (as the bars do), so a
    // slow engine's line does not flatten the others into the floor.
    let y = Axis::of(series.iter().flat_map(|(_, p)| p.iter().map(|(_, y)| *y)));
    let chart = svg(title, 560, 300, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .margin_right(72)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi.max(lo + 1), y.lo..y.hi)?;
        chart
            .configure_mesh()
            .x_labels(labels.len().clamp(2, 6))
            .x_label_formatter(&|run| labels.get(run).cloned().unwrap_or_default())
            // On a log axis, one label per decade.
            .y_labels(if y.log { (y.hi - y.lo) as usize + 1 } else { 8 })
            .y_label_formatter(&|v| y.label(*v))
            .x_desc("run (date, commit)")
            .y_desc(if y.log { "ms (log scale)" } else { "ms" })
            .draw()?;
        for (k, (_, points)) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let placed: Vec<(i64, f64)> = points.iter().map(|(x, v)| (*x, y.at(*v))).collect();
            chart.draw_series(LineSeries::new(placed.iter().copied(), color.stroke_width(2)))?;
            chart.draw_series(placed.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        }
        Ok(())
    });
    let names: Vec<(&str, RGBColor)> = series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| (name.as_str(), PALETTE[k % PALETTE.len()]))
        .collect();
    format!("{chart}{}", legend(&names))
}

/// Okabe and Ito's colour-blind-safe palette (its yellow left out: too pale on white).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x00, 0x00),
];
const PHASE_COLORS: [RGBColor; 3] = [PALETTE[0], PALETTE[1], PALETTE[2]];

/// A legend below a chart, in HTML (never over the bars or lines).
fn legend(items: &[(&str, RGBColor)]) -> String {
    html! {
        p style="font-size:12px;margin:0 0 0 150px" {
            @for (name, c) in items {
                span style=(format!("display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;background:rgb({},{},{})", c.0, c.1, c.2)) {}
                (name)
            }
        }
    }
    .into_string()
}

/// The page of a run, sweep, check, compat, wasi, corpus, merge or perf
/// report: everything `summary.md` says (rendered from the same Markdown, so
/// the page is its superset), then the charts.
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
    page.markdown(&report.to_markdown());
    leads(&mut page, "case", &report.leads);
    if report.perf.is_none() && !report.timings.is_empty() {
        page.h2("Engine time per phase, per case run");
        // In the report's engine order; each engine's sums divided by the
        // cases it ran (engines that skip a feature run fewer).
        let timed: Vec<(&String, &super::model::EngineTimings)> = env
            .engines
            .iter()
            .filter_map(|e| report.timings.get_key_value(&e.name))
            .filter(|(_, t)| t.cases > 0)
            .collect();
        let labels: Vec<String> = timed.iter().map(|(name, _)| (*name).clone()).collect();
        let phase = |pick: fn(&crate::execute::Timings) -> u64| -> Vec<f64> {
            timed
                .iter()
                .map(|(_, t)| pick(&t.timings) as f64 / 1e3 / t.cases as f64)
                .collect()
        };
        let series: Vec<(&str, RGBColor, Vec<f64>)> = vec![
            ("compile", PHASE_COLORS[0], phase(|t| t.compile_us)),
            ("instantiate", PHASE_COLORS[1], phase(|t| t.instantiate_us)),
            ("execute", PHASE_COLORS[2], phase(|t| t.execute_us)),
        ];
        page.charts(&[stacked(
            "Engine time per case run",
            "ms per case",
            &labels,
            &series,
        )]);
    }
    if let Some(perf) = &report.perf {
        perf_charts(&mut page, perf);
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

/// The perf report's charts (its tables are in the Markdown above them).
fn perf_charts(page: &mut Page, perf: &PerfInfo) {
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
    let runs: std::collections::BTreeSet<i64> = perf.trend.iter().map(|t| t.run).collect();
    if runs.len() >= 2 {
        page.h2(&format!(
            "Trend over the last {} runs (execute median)",
            runs.len()
        ));
        // A run is named by its date, and its commit where the history has one.
        let run_labels: std::collections::BTreeMap<i64, String> = perf
            .trend
            .iter()
            .map(|t| {
                let day = t.started_at.get(..10).unwrap_or(&t.started_at).to_string();
                let commit = t
                    .git_commit
                    .as_deref()
                    .map(|c| format!(" {}", c.get(..7).unwrap_or(c)));
                (t.run, format!("{day}{}", commit.unwrap_or_default()))
            })
            .collect();
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
                trend(&w.name, &series, &run_labels)
            })
            .collect();
        page.charts(&charts);
    } else if let Some(h) = &perf.history {
        page.p(&format!(
            "History: {h} holds one run of these workloads so far; trend lines appear from the second."
        ));
    }
}
