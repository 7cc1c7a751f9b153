//! The expected-failure list: engine failures the conformance gate tolerates,
//! each with the reason a runtime developer would accept.

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The list shipped with wasmgate (`vectors/expected-failures.toml`).
pub const BUILT_IN: &str = include_str!("../../../vectors/expected-failures.toml");

/// One tolerated failure (or set of failures).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Engine configuration name, e.g. `wasmi`, or `*` for every engine (a
    /// script that is out of date, not an engine fault).
    pub engine: String,
    /// Script as reports name it, e.g. `wasm-v2/float_exprs.wast`.
    pub file: String,
    /// The directive's line; absent (and no `lines`): every line of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Several lines sharing one reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<usize>,
    /// The directive keyword (`assert_exhaustion`, …); absent: any directive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directive: Option<String>,
    /// Why the failure is expected.
    pub reason: String,
}

impl Entry {
    /// Whether this entry covers a failure of `engine` at `file:line` on `directive`.
    pub fn covers(&self, engine: &str, file: &str, line: usize, directive: &str) -> bool {
        self.applies_to(engine, file)
            && match (self.line, self.lines.is_empty()) {
                (None, true) => true,
                (l, _) => l == Some(line) || self.lines.contains(&line),
            }
            && self.directive.as_deref().is_none_or(|d| d == directive)
    }

    /// Whether the entry is about `engine` running `file`.
    pub fn applies_to(&self, engine: &str, file: &str) -> bool {
        (self.engine == "*" || self.engine == engine) && self.file == file
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    failure: Vec<Entry>,
}

/// Parses TOML with an error of one line: `origin:line: message`.
pub fn from_toml<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].lines().count().max(1));
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        anyhow!("{origin}{at}: {}", e.message().trim().replace('\n', " "))
    })
}

/// Reads a list file, or uses `built_in` when no path is given.
pub fn read_list<T: serde::de::DeserializeOwned>(
    path: Option<&Path>,
    built_in: &str,
    what: &str,
) -> Result<T> {
    match path {
        None => from_toml(built_in, &format!("built-in {what}")),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            from_toml(&text, &p.display().to_string())
        }
    }
}

/// Parses a list; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Entry>> {
    let file: File = from_toml(text, origin)?;
    check(file.failure, origin)
}

fn check(list: Vec<Entry>, origin: &str) -> Result<Vec<Entry>> {
    if let Some(e) = list.iter().find(|e| e.reason.trim().is_empty()) {
        return Err(anyhow!(
            "{origin}: the entry for {} {} has no reason",
            e.engine,
            e.file
        ));
    }
    Ok(list)
}

/// Loads the list at `path`, or the built-in one.
pub fn load(path: Option<&Path>) -> Result<Vec<Entry>> {
    let origin = path.map_or("built-in expected-failure list".to_string(), |p| {
        p.display().to_string()
    });
    let file: File = read_list(path, BUILT_IN, "expected-failure list")?;
    check(file.failure, &origin)
}

/// The failures of an earlier conformance report, as expected-failure entries:
/// with `--baseline`, only what fails now but did not then fails the gate, and
/// what failed then but passes now is reported as stale (fixed).
pub fn from_baseline(path: &Path) -> Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: super::report::ConformanceReport = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{} is not a wasmgate conformance report: {e}", path.display()))?;
    Ok(report
        .failures
        .into_iter()
        .map(|f| Entry {
            engine: f.engine,
            file: f.file,
            line: Some(f.line),
            lines: vec![],
            directive: Some(f.directive),
            reason: format!("failed in the baseline run of {} too", report.started_at),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_list_parses() {
        load(None).unwrap();
    }

    #[test]
    fn entries_cover_lines_and_directives() {
        let list = parse(
            r#"
            [[failure]]
            engine = "e"
            file = "f.wast"
            directive = "assert_exhaustion"
            reason = "r"
            "#,
            "t",
        )
        .unwrap();
        assert!(list[0].covers("e", "f.wast", 10, "assert_exhaustion"));
        assert!(!list[0].covers("e", "f.wast", 10, "assert_return"));
        assert!(!list[0].covers("x", "f.wast", 10, "assert_exhaustion"));
        let list = parse(
            "[[failure]]\nengine='*'\nfile='f'\nlines=[3, 5]\nreason='old'",
            "t",
        )
        .unwrap();
        assert!(list[0].covers("any", "f", 5, "module"));
        assert!(!list[0].covers("any", "f", 4, "module"));
        assert!(parse("[[failure]]\nengine = 1", "t").is_err());
        assert!(parse("[[failure]]\nengine='e'\nfile='f'\nreason=' '", "t").is_err());
    }
}
