//! Side-by-side rendering of what every engine did with one case.

use crate::compare::Verdict;
use crate::execute::{CallResult, EngineOutcome, Phase, State, Status};
use crate::source::case::TestCase;
use std::fmt::Write as _;
use wasmgate_runners::Failure;

fn failure_cell(f: &Failure) -> String {
    match f {
        Failure::Trap { trap, .. } => format!("trap {trap}"),
        Failure::Exhausted { resource, .. } => format!("exhausted {resource}"),
        Failure::Unsupported { .. } => "unsupported".into(),
        Failure::Exception { tag, payload } => {
            let payload: Vec<String> = payload.iter().map(|v| v.pretty()).collect();
            format!("exception tag {tag} ({})", payload.join(", "))
        }
        Failure::Error { message } => format!("error: {}", message.lines().next().unwrap_or("")),
    }
}

fn state_tag(s: &State) -> String {
    let text = format!("{:?}", (&s.globals, &s.memories));
    format!("{:06x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()) & 0xff_ffff)
}

/// One engine's cell and state for row `step` (0 = compile, 1 = instantiate, 2.. = calls).
fn cell(o: &EngineOutcome, step: usize) -> (String, Option<String>) {
    let crashed_here = |p: Phase| matches!(&o.status, Status::Crashed { phase, .. } if *phase == p);
    match step {
        0 => match &o.status {
            Status::Skipped { .. } => ("skipped".into(), None),
            Status::Rejected { message } => (
                format!("rejected: {}", message.lines().next().unwrap_or("")),
                None,
            ),
            _ if crashed_here(Phase::Compile) => ("CRASHED".into(), None),
            _ => ("ok".into(), None),
        },
        1 => match &o.status {
            Status::Skipped { .. } | Status::Rejected { .. } => ("".into(), None),
            Status::InstantiateFailed { failure } => (failure_cell(failure), None),
            _ if crashed_here(Phase::Compile) => ("".into(), None),
            _ if crashed_here(Phase::Instantiate) => ("CRASHED".into(), None),
            _ => ("ok".into(), o.initial.as_ref().map(state_tag)),
        },
        n => match o.calls.get(n - 2) {
            Some(rec) => {
                let text = match &rec.result {
                    CallResult::Returned(v) => {
                        let vals: Vec<String> = v.iter().map(|v| v.pretty()).collect();
                        format!("[{}]", vals.join(", "))
                    }
                    CallResult::Failed(f) => failure_cell(f),
                };
                (text, Some(state_tag(&rec.state)))
            }
            None if crashed_here(Phase::Call(n - 2)) => ("CRASHED".into(), None),
            None => ("".into(), None),
        },
    }
}

/// A table with one column per engine and one row per step, up to and
/// including the divergent step; rows where engines differ are marked `<<`.
/// Each cell shows what the engine returned; `s:xxxxxx` tags the state
/// (globals + memories) after the step, so state differences show too.
pub fn render(case: &TestCase, outcomes: &[EngineOutcome], verdict: &Verdict) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case: {}", case.origin);
    let _ = writeln!(
        out,
        "module: {} bytes, sha256 {}",
        case.wasm.len(),
        crate::report::bundle::sha256(&case.wasm)
    );
    let rows = 2 + case.calls.len();
    let mut labels = vec!["compile".to_string(), "instantiate".to_string()];
    labels.extend(
        case.calls
            .iter()
            .enumerate()
            .map(|(i, c)| format!("call {i} {c}")),
    );
    let label_w = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(8)
        .min(48);
    let cells: Vec<Vec<String>> = (0..rows)
        .map(|step| {
            outcomes
                .iter()
                .map(|o| match cell(o, step) {
                    (text, Some(tag)) => format!("{text} s:{tag}"),
                    (text, None) => text,
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..outcomes.len())
        .map(|i| {
            let content = cells.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
            content.max(outcomes[i].engine.len()).min(40)
        })
        .collect();
    let clip = |s: &str, w: usize| -> String {
        if s.chars().count() <= w {
            format!("{s:w$}")
        } else {
            s.chars().take(w - 1).collect::<String>() + "…"
        }
    };
    let _ = write!(out, "{}", clip("step", label_w));
    for (i, o) in outcomes.iter().enumerate() {
        let _ = write!(out, "  {}", clip(&o.engine, widths[i]));
    }
    let _ = writeln!(out);
    for (step, row) in cells.iter().enumerate() {
        if row.iter().all(|c| c.is_empty()) {
            continue;
        }
        let _ = write!(out, "{}", clip(&labels[step], label_w));
        for (i, c) in row.iter().enumerate() {
            let _ = write!(out, "  {}", clip(c, widths[i]));
        }
        let present: Vec<&String> = row
            .iter()
            .filter(|c| !c.is_empty() && c.as_str() != "skipped")
            .collect();
        let differs = present.windows(2).any(|w| w[0] != w[1]);
        let _ = writeln!(out, "{}", if differs { "  <<" } else { "" });
    }
    let _ = writeln!(out);
    verdict_lines(&mut out, verdict);
    for o in outcomes {
        if let Status::Skipped { reason } = &o.status {
            let _ = writeln!(out, "skipped {}: {reason}", o.engine);
        }
        if let Status::Crashed { message, phase } = &o.status {
            let _ = writeln!(out, "crashed {} during {phase:?}: {message}", o.engine);
        }
    }
    out
}

/// The verdict, its groups and whom it blames.
fn verdict_lines(out: &mut String, verdict: &Verdict) {
    match verdict {
        Verdict::Agree { engines } => {
            let _ = writeln!(out, "verdict: all {engines} engines agree");
        }
        Verdict::Inconclusive { reason, at } => {
            let at = at.as_deref().map(|a| format!(" at {a}")).unwrap_or_default();
            let _ = writeln!(out, "verdict: inconclusive — {reason}{at}");
        }
        Verdict::Diverge(d) => {
            let _ = writeln!(
                out,
                "verdict: DIVERGES at {} ({} divergence, signature {})",
                d.step, d.kind, d.signature
            );
            for g in &d.groups {
                let _ = writeln!(out, "  {}: {}", g.engines.join(", "), g.observed);
            }
            if let Some(e) = &d.expected {
                let _ = writeln!(out, "  expected: {e}");
            }
            let who = crate::report::who(d.majority, d.code_bases, d.expected.is_some());
            let _ = writeln!(out, "  {who}: {}", d.blamed.join(", "));
        }
    }
}

/// What every runtime did with one WASI run: its end, stdout, stderr and
/// the files it left, then the verdict.
pub fn render_wasi(
    program: &str,
    case: &crate::source::wasi_case::WasiCase,
    observed: &[crate::execute::wasi::WasiObserved],
    verdict: &Verdict,
) -> String {
    use wasmgate_runners::wasi::WasiEnd;
    let mut out = String::new();
    let _ = writeln!(out, "{program} {}", crate::compare::wasi::shell_words(&case.args));
    if !case.env.is_empty() {
        let env: Vec<String> = case.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "env: {}", env.join(" "));
    }
    if !case.stdin.is_empty() {
        let _ = writeln!(
            out,
            "stdin: {}",
            crate::compare::wasi::excerpt(case.stdin.as_bytes(), 80)
        );
    }
    for d in &case.dirs {
        let _ = writeln!(out, "pre-opened: {} (a copy of {})", d.guest, d.host.display());
    }
    for o in observed {
        let end = match &o.output.end {
            WasiEnd::Exit { code } => format!("exit {code}"),
            WasiEnd::Failed { failure } => failure_cell(failure),
        };
        let _ = writeln!(out, "\n{}: {end}", o.engine);
        let _ = writeln!(
            out,
            "  stdout: {}",
            crate::compare::wasi::excerpt(&o.output.stdout, 400)
        );
        let _ = writeln!(
            out,
            "  stderr: {}",
            crate::compare::wasi::excerpt(&o.output.stderr, 400)
        );
        for (path, entry) in &o.files {
            let _ = writeln!(out, "  file {path}: {entry}");
        }
    }
    let _ = writeln!(out);
    verdict_lines(&mut out, verdict);
    out
}
