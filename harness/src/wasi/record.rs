//! `wasi --record FILE`: a case file whose cases expect what every runtime
//! agreed on — golden cases from a program, a seeded argument sweep or a
//! case file. A run the runtimes disagreed on is written without
//! expectations, and the file's header names it and its finding.

use crate::report::Report;
use crate::source::wasi_case::WasiSuite;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

#[derive(Serialize)]
struct File {
    program: String,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Serialize)]
struct Case {
    name: String,
    args: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    stdin: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dirs: Vec<Dir>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<i32>,
}

#[derive(Serialize)]
struct Dir {
    host: String,
    guest: String,
}

/// `to` as a path relative to the folder `from` (both made absolute).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
    };
    let (from, to) = (abs(from), abs(to));
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

/// Writes the case file; returns how many cases got expectations and how
/// many did not.
pub fn write(file: &Path, suite: &WasiSuite, report: &Report) -> Result<(usize, usize)> {
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let agreed: BTreeMap<u64, &crate::report::WasiAgreed> = report
        .wasi
        .iter()
        .flat_map(|w| &w.agreed)
        .map(|a| (a.run, a))
        .collect();
    let mut header = vec![
        format!(
            "# Recorded by `wasmgate wasi --record`: each case expects what {} runtimes agreed on.",
            report.envelope.engines.len()
        ),
        "# (See vectors/wasi/README.md for the format.)".to_string(),
    ];
    let (mut with, mut without) = (0, 0);
    let mut cases = Vec::new();
    for (i, case) in suite.cases.iter().enumerate() {
        let mut c = Case {
            name: case.name.clone(),
            args: case.args.clone(),
            env: case.env.iter().cloned().collect(),
            stdin: case.stdin.clone(),
            dirs: case
                .dirs
                .iter()
                .map(|d| Dir {
                    host: relative(&folder, &d.host).display().to_string(),
                    guest: d.guest.clone(),
                })
                .collect(),
            stdout: None,
            stderr: None,
            exit: None,
        };
        match agreed.get(&(i as u64)) {
            Some(a) if a.failed.is_none() => {
                // Output that is not text cannot be stated in a case file.
                let text = |s: &String| (!s.starts_with("base64:")).then(|| s.clone());
                c.exit = a.exit;
                c.stdout = text(&a.stdout);
                c.stderr = text(&a.stderr);
                if c.stdout.is_none() || c.stderr.is_none() {
                    header.push(format!(
                        "# {}: output that is not UTF-8 text is not recorded",
                        case.name
                    ));
                }
                with += 1;
            }
            Some(a) => {
                header.push(format!(
                    "# {}: not recorded: every runtime ended with {} (a case states exit codes and output)",
                    case.name,
                    a.failed.as_deref().unwrap_or_default()
                ));
                without += 1;
            }
            None => {
                let finding = report
                    .findings
                    .iter()
                    .find(|f| f.seeds.contains(&(i as u64)))
                    .map(|f| format!(" (finding {})", f.signature))
                    .unwrap_or_default();
                header.push(format!(
                    "# {}: not recorded: the runtimes disagree{finding}",
                    case.name
                ));
                without += 1;
            }
        }
        cases.push(c);
    }
    let body = toml::to_string(&File {
        program: relative(&folder, &suite.program).display().to_string(),
        cases,
    })
    .context("writing the case file")?;
    let text = format!("{}\n\n{body}", header.join("\n"));
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    Ok((with, without))
}
