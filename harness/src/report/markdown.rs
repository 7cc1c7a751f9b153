//! `summary.md`: the Markdown rendering of a run report, for CI step summaries
//! and people.

use super::model::{Finding, Report};
use std::fmt::Write as _;

impl Report {
    /// The Markdown summary (for CI step summaries and humans).
    pub fn to_markdown(&self) -> String {
        let s = &self.summary;
        let mut md = String::new();
        let status = if self.findings.is_empty() {
            "✅ all engines agree"
        } else if self.findings.iter().all(|f| f.known.is_some()) {
            "✅ only known divergences"
        } else {
            "❌ engines diverge"
        };
        let _ = writeln!(
            md,
            "# wasmgate {} `{}`: {status}\n",
            self.envelope.kind, self.run.name
        );
        if self.run.modules.is_empty() {
            let _ = writeln!(
                md,
                "Profile `{}`, seeds `{}`, generator `{}`.\n",
                self.run.profile, self.run.seeds, self.run.generator_version
            );
        } else {
            let modules: Vec<String> = self.run.modules.iter().map(|m| format!("`{m}`")).collect();
            let _ = writeln!(md, "Modules: {}.\n", modules.join(", "));
        }
        if let Some(c) = &self.compat {
            compat_section(&mut md, c);
        }
        if let Some(p) = &self.perf {
            p.markdown(&mut md);
        }
        if let Some(w) = &self.wasi {
            let _ = writeln!(md, "WASI preview1 runs: {}.\n", w.deterministic);
            let _ = writeln!(md, "Not compared: {}.\n", w.not_compared);
        }
        if let Some(missing) = &self.run.incomplete {
            let _ = writeln!(md, "⚠️ Incomplete: {missing}.\n");
        }
        let _ = writeln!(
            md,
            "| cases | agreed | diverged | inconclusive | generation errors | unique findings |"
        );
        let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |\n",
            s.cases, s.agreed, s.diverged, s.inconclusive, s.generation_errors, s.unique_findings
        );
        if s.calls > 0 && self.wasi.is_some() {
            let _ = writeln!(
                md,
                "{} runs compared, {} ({:.0}%) exited with a code; the rest trapped or failed.\n",
                s.calls,
                s.calls_returned,
                100.0 * s.calls_returned as f64 / s.calls as f64
            );
        } else if s.calls > 0 {
            let _ = writeln!(
                md,
                "{} calls compared, {} ({:.0}%) returned values; the rest trapped.\n",
                s.calls,
                s.calls_returned,
                100.0 * s.calls_returned as f64 / s.calls as f64
            );
        }
        let _ = writeln!(md, "## Engines\n");
        for u in &self.envelope.unavailable {
            let _ = writeln!(md, "- `{}` not run: {}", u.engine, u.reason);
        }
        if !self.envelope.unavailable.is_empty() {
            let _ = writeln!(md);
        }
        let _ = writeln!(md, "| engine | version | cases run | skipped cases | features |");
        let _ = writeln!(md, "|---|---|---:|---:|---|");
        for e in &self.envelope.engines {
            let features: Vec<&str> = e.features.iter().map(|f| f.name()).collect();
            let skipped = s.skipped.get(&e.name).copied().unwrap_or(0);
            let ran = self.timings.get(&e.name).map_or(0, |t| t.cases);
            let _ = writeln!(
                md,
                "| `{}` | {} | {ran} | {skipped} | {} |",
                e.name,
                e.version,
                features.join(", ")
            );
        }
        if !s.features.is_empty() {
            let _ = writeln!(md, "\n## Features used\n");
            let _ = writeln!(md, "| feature | cases | run on | skipped on |");
            let _ = writeln!(md, "|---|---:|---|---|");
            let counts = |m: &std::collections::BTreeMap<String, u64>| {
                let v: Vec<String> = m
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(e, n)| format!("`{e}` {n}"))
                    .collect();
                if v.is_empty() {
                    "—".to_string()
                } else {
                    v.join(", ")
                }
            };
            for (f, u) in &s.features {
                let _ = writeln!(
                    md,
                    "| `{f}` | {} | {} | {} |",
                    u.cases,
                    counts(&u.ran),
                    counts(&u.skipped)
                );
            }
            if s.wasm3_cases > 0 {
                let _ = writeln!(
                    md,
                    "\n{} of {} cases ({:.1} %) used a WebAssembly 3.0 feature.",
                    s.wasm3_cases,
                    s.cases,
                    100.0 * s.wasm3_cases as f64 / s.cases.max(1) as f64
                );
            }
        }
        let causes = super::cause_groups(&self.findings);
        if !causes.is_empty() {
            let _ = writeln!(md, "\n## Root causes\n");
            let _ = writeln!(
                md,
                "| cause | without it the engines agree | findings | cases | known |"
            );
            let _ = writeln!(md, "|---|---|---:|---:|---|");
            for g in &causes {
                let _ = writeln!(
                    md,
                    "| `{}` | {} | {} | {} | {} |",
                    g.cause.id,
                    g.cause.text,
                    g.signatures.len(),
                    g.cases,
                    if g.known { "yes" } else { "" }
                );
            }
        }
        if !self.findings.is_empty() {
            let _ = writeln!(md, "\n## Findings\n");
            // New findings first, the most hit first; past the first few, one
            // table row each inside <details>, so the summary stays readable
            // (and under CI step-summary limits) however many there are.
            let mut order: Vec<&Finding> = self.findings.iter().collect();
            order.sort_by_key(|f| (f.known.is_some(), std::cmp::Reverse(f.count), f.signature.clone()));
            let (full, rest) = order.split_at(order.len().min(FINDINGS_IN_FULL));
            for f in full {
                finding_in_full(&mut md, self, f);
            }
            if !rest.is_empty() {
                let _ = writeln!(
                    md,
                    "<details><summary>{} more finding(s)</summary>\n\n| signature | kind | blamed | cases | first seed | known |\n|---|---|---|---:|---:|---|",
                    rest.len()
                );
                for (shown, f) in rest.iter().enumerate() {
                    if md.len() > MARKDOWN_BUDGET {
                        let _ = writeln!(md, "\n… and {} more: see report.json", rest.len() - shown);
                        break;
                    }
                    let _ = writeln!(
                        md,
                        "| `{}` | {} | {} | {} | {} | {} |",
                        f.signature,
                        f.kind,
                        f.blamed.join(", "),
                        f.count,
                        f.seeds.first().copied().unwrap_or_default(),
                        if f.known.is_some() { "yes" } else { "" }
                    );
                }
                let _ = writeln!(md, "\n</details>\n");
            }
        }
        if !self.known_list.explained.is_empty() {
            let _ = writeln!(
                md,
                "\n## Known divergences\n\nEach case was explained on its own: its divergence goes away once the entry's cause is taken out of its module.\n\n| entry | cases explained |\n|---|---:|"
            );
            for e in &self.known_list.explained {
                let _ = writeln!(md, "| `{}` | {} |", e.entry, e.cases);
            }
            for j in &self.known_list.jumped {
                let _ = writeln!(md, "\n- ⚠️ {j}");
            }
        }
        if !self.known_list.expired.is_empty() {
            let _ = writeln!(md, "\n## Expired known divergences (these fail the gate)\n");
            for e in &self.known_list.expired {
                let _ = writeln!(md, "- ❌ {e}");
            }
        }
        if s.lost_replays > 0 {
            let _ = writeln!(md, "\n{}", crate::report::lost_replays(s.lost_replays));
        }
        if !s.inconclusive_reasons.is_empty() {
            let _ = writeln!(md, "\n## Inconclusive cases\n");
            for (reason, n) in &s.inconclusive_reasons {
                let _ = writeln!(md, "- {n} × {reason}");
            }
        }
        if !self.timings.is_empty() {
            let _ = writeln!(md, "\n## Engine time\n");
            let _ = writeln!(
                md,
                "| engine | cases | compile ms | instantiate ms | execute ms | teardown ms |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
            for (name, t) in &self.timings {
                let _ = writeln!(
                    md,
                    "| `{name}` | {} | {} | {} | {} | {} |",
                    t.cases,
                    t.timings.compile_us / 1000,
                    t.timings.instantiate_us / 1000,
                    t.timings.execute_us / 1000,
                    t.timings.teardown_us / 1000
                );
            }
        }
        md
    }
}

fn compat_section(md: &mut String, c: &super::model::Compat) {
    let verdict = if c.incompatibilities() == 0 {
        "✅ compatible"
    } else {
        "❌ incompatible"
    };
    let _ = writeln!(
        md,
        "## Compatibility of `{}` with `{}`: {verdict}\n",
        c.new, c.old
    );
    for a in &c.added {
        let _ = writeln!(md, "- added export `{a}`");
    }
    for r in &c.removed {
        let _ = writeln!(md, "- **removed** export `{r}`");
    }
    for ch in &c.changed {
        let _ = writeln!(
            md,
            "- **changed** signature of `{}`: `{}` → `{}`",
            ch.export, ch.old, ch.new
        );
    }
    for b in &c.behaviour {
        let _ = writeln!(md, "- **behaviour** of {b}");
    }
    let _ = writeln!(md);
}

/// Findings shown in full in `summary.md`; the rest are table rows.
const FINDINGS_IN_FULL: usize = 20;

/// Past this size the Markdown lists no more findings (GitHub's step summary
/// takes at most 1 MiB).
const MARKDOWN_BUDGET: usize = 900 * 1024;

fn finding_in_full(md: &mut String, report: &Report, f: &Finding) {
    let who = super::who(f.majority, f.code_bases, f.expected.is_some());
    let _ = writeln!(
        md,
        "### `{}` — {} divergence, {who}: {}\n",
        f.signature,
        f.kind,
        f.blamed
            .iter()
            .map(|b| format!("`{b}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let seeds: Vec<String> = f.seeds.iter().take(10).map(|s| s.to_string()).collect();
    let more = if f.seeds.len() > 10 {
        format!(" (+{} more)", f.seeds.len() - 10)
    } else {
        String::new()
    };
    if report.run.modules.is_empty() {
        let _ = writeln!(
            md,
            "- hit by {} case(s): seeds {}{more}",
            f.count,
            seeds.join(", ")
        );
    } else {
        let mut modules: Vec<String> = f
            .seeds
            .iter()
            .filter_map(|&i| report.module_of(i))
            .map(|m| format!("`{m}`"))
            .collect();
        modules.dedup();
        let _ = writeln!(md, "- in module(s) {}", modules.join(", "));
    }
    let _ = writeln!(md, "- at `{}`", f.step);
    if let Some(e) = &f.expected {
        let _ = writeln!(md, "  - expected: {e}");
    }
    for g in &f.groups {
        let _ = writeln!(md, "  - {}: {}", g.engines.join(", "), g.observed);
    }
    if let Some(reason) = &f.known {
        let _ = writeln!(md, "- **known divergence**: {reason}");
    }
    if let Some(m) = &f.minimized {
        let _ = writeln!(md, "- minimised: `wasmgate repro {m}`");
    }
    let _ = writeln!(
        md,
        "- reproduce from this folder: `wasmgate repro {}`\n",
        f.bundle
    );
}
