//! The expected-failure list: engine failures the conformance gate tolerates,
//! each with the reason a runtime developer would accept.

use crate::compare::code_base;
use crate::source::toml_file::{from_toml, read_list};
use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use std::path::Path;
use wasmgate_runners::EngineInfo;

/// The list shipped with wasmgate (`vectors/expected-failures.toml`).
pub const BUILT_IN: &str = include_str!("../../../vectors/expected-failures.toml");

/// One tolerated failure (or set of failures).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Engine configuration name, e.g. `wasmi`; a code base, e.g. `jsc` for
    /// every JavaScriptCore tier (they share a validator); or `*` for every
    /// engine (a script that is out of date, not an engine fault).
    pub engine: String,
    /// Script as reports name it, e.g. `wasm-v2/float_exprs.wast`.
    pub file: String,
    /// The directive's line; absent (and no `lines`): every line of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Several lines sharing one reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<usize>,
    /// A semver range (`"=102.15.1"`) of the failing engine's version the
    /// entry is about; absent: every version. A newer release that still
    /// fails is listed again, not covered silently; one that passes does not
    /// make the entry stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    /// The directive keyword (`assert_exhaustion`, …); absent: any directive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directive: Option<String>,
    /// Why the failure is expected.
    pub reason: String,
}

impl Entry {
    /// Whether this entry covers a failure of `engine` at `file:line` on `directive`.
    pub fn covers(&self, engine: &EngineInfo, file: &str, line: usize, directive: &str) -> bool {
        self.applies_to(engine, file)
            && match (self.line, self.lines.is_empty()) {
                (None, true) => true,
                (l, _) => l == Some(line) || self.lines.contains(&line),
            }
            && self.directive.as_deref().is_none_or(|d| d == directive)
    }

    /// Whether the entry is about `engine` running `file`.
    pub fn applies_to(&self, engine: &EngineInfo, file: &str) -> bool {
        let name = engine.name.as_str();
        (self.engine == "*" || self.engine == name || self.engine == code_base(name))
            && self.file == file
            && self
                .versions
                .as_deref()
                .is_none_or(|range| crate::compare::version_in(range, &engine.version))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    failure: Vec<Entry>,
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
    if let Some((e, v)) = list
        .iter()
        .find_map(|e| Some((e, e.versions.as_ref()?)).filter(|(_, v)| semver::VersionReq::parse(v).is_err()))
    {
        return Err(anyhow!(
            "{origin}: the entry for {} {}: versions = \"{v}\" is not a version range (e.g. \">=2.0, <2.1\")",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(name: &str, version: &str) -> EngineInfo {
        EngineInfo {
            name: name.to_string(),
            version: version.to_string(),
            features: vec![],
        }
    }

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
        assert!(list[0].covers(&engine("e", "1.0.0"), "f.wast", 10, "assert_exhaustion"));
        assert!(!list[0].covers(&engine("e", "1.0.0"), "f.wast", 10, "assert_return"));
        assert!(!list[0].covers(&engine("x", "1.0.0"), "f.wast", 10, "assert_exhaustion"));
        let list = parse(
            "[[failure]]\nengine='*'\nfile='f'\nlines=[3, 5]\nreason='old'",
            "t",
        )
        .unwrap();
        assert!(list[0].covers(&engine("any", "1.0.0"), "f", 5, "module"));
        let list = parse(
            "[[failure]]\nengine='jsc'\nfile='f'\nreason='shared validator'",
            "t",
        )
        .unwrap();
        assert!(
            list[0].covers(&engine("jsc-omg", "1.0.0"), "f", 1, "module")
                && list[0].covers(&engine("jsc-ipint@/x/jsc", "1.0.0"), "f", 1, "module")
        );
        assert!(!list[0].covers(&engine("v8-liftoff", "1.0.0"), "f", 1, "module"));
        assert!(!list[0].covers(&engine("any", "1.0.0"), "f", 4, "module"));
        let list = parse(
            "[[failure]]\nengine='spidermonkey'\nfile='f'\nversions='=102.15.1'\nreason='old shell'",
            "t",
        )
        .unwrap();
        assert!(list[0].covers(
            &engine("spidermonkey-ion", "SpiderMonkey 102.15.1"),
            "f",
            1,
            "module"
        ));
        assert!(!list[0].covers(
            &engine("spidermonkey-firefox", "Firefox 153.8.0"),
            "f",
            1,
            "module"
        ));
        assert!(
            parse(
                "[[failure]]\nengine='e'\nfile='f'\nversions='new'\nreason='r'",
                "t"
            )
            .is_err()
        );
        assert!(parse("[[failure]]\nengine = 1", "t").is_err());
        assert!(parse("[[failure]]\nengine='e'\nfile='f'\nreason=' '", "t").is_err());
    }
}
