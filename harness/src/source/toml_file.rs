//! The TOML files wasmgate reads (the lists in `vectors/`), each with a
//! built-in default and errors of one line naming file and line.

use anyhow::{Context, Result, anyhow};
use std::path::Path;

/// Parses TOML with an error of one line: `origin:line: message`.
pub fn from_toml<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
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
