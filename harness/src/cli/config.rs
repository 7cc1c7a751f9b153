//! `wasmgate.toml`: named profiles of option values, in the manner of
//! nextest's `.config/nextest.toml`.
//!
//! ```toml
//! [profile.default]             # every profile starts from this one
//! engines = ["wasmtime-cranelift", "wasmi", "v8-turbofan"]
//!
//! [profile.ci]
//! seeds = "0..2000"
//! quiet = true
//! ```
//!
//! A key is an option's long name (`engine-cmd`, `shrink-attempts`); every
//! option that has a `WASMGATE_<NAME>` variable has a key. Precedence: a flag
//! beats its variable, which beats the profile, which beats the default —
//! done by setting, before the arguments are parsed, each variable that is
//! not already set to the profile's value. The file is `--config FILE` (or
//! `WASMGATE_CONFIG`), else `wasmgate.toml` in the current folder or the
//! nearest parent up to the repository root; the profile is
//! `--config-profile NAME` (or `WASMGATE_CONFIG_PROFILE`), else `default`.

use anyhow::{Result, anyhow, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const FILE: &str = "wasmgate.toml";

/// Every option key a profile may set: long name → (variable, list delimiter).
pub fn keys(command: &clap::Command) -> BTreeMap<String, (String, Option<char>)> {
    let mut keys = BTreeMap::new();
    let mut visit = |c: &clap::Command| {
        for arg in c.get_arguments() {
            if let (Some(long), Some(env)) = (arg.get_long(), arg.get_env()) {
                if long == "config" || long == "config-profile" {
                    continue;
                }
                keys.insert(
                    long.to_string(),
                    (env.to_string_lossy().into_owned(), arg.get_value_delimiter()),
                );
            }
        }
    };
    visit(command);
    for sub in command.get_subcommands() {
        visit(sub);
    }
    keys
}

/// The value of `--NAME VALUE` or `--NAME=VALUE` among `args`, if given.
fn flag(args: &[String], name: &str) -> Option<String> {
    let long = format!("--{name}");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if *a == long {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            return Some(v.to_string());
        }
    }
    None
}

/// The config file to use, if any.
fn find(args: &[String]) -> Result<Option<PathBuf>> {
    if let Some(p) =
        flag(args, "config").or_else(|| std::env::var("WASMGATE_CONFIG").ok().filter(|s| !s.is_empty()))
    {
        let path = PathBuf::from(p);
        if !path.is_file() {
            bail!("config file {} does not exist", path.display());
        }
        return Ok(Some(path));
    }
    let Ok(mut dir) = std::env::current_dir() else {
        return Ok(None);
    };
    loop {
        let candidate = dir.join(FILE);
        if candidate.is_file() {
            return Ok(Some(candidate));
        }
        if dir.join(".git").exists() || !dir.pop() {
            return Ok(None);
        }
    }
}

fn text_of(value: &toml::Value, delimiter: Option<char>) -> Result<String, String> {
    Ok(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => {
            let Some(d) = delimiter else {
                return Err("takes one value, not a list".into());
            };
            let parts = items
                .iter()
                .map(|v| text_of(v, None))
                .collect::<Result<Vec<_>, _>>()?;
            parts.join(&d.to_string())
        }
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Table(_) => return Err("takes a value, not a table".into()),
    })
}

fn line_of(text: &str, header: &str, key: &str) -> usize {
    let start = text.find(header).unwrap_or(0);
    let offset = text[start..]
        .lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(key) && l[key.len()..].trim_start().starts_with('=')
        })
        .map(|p| p + text[..start].matches('\n').count())
        .unwrap_or(0);
    offset + 1
}

/// The variables the chosen profile sets: `(variable, value)`.
pub fn profile_env(
    path: &Path,
    text: &str,
    profile: &str,
    command: &clap::Command,
) -> Result<Vec<(String, String)>> {
    let origin = path.display().to_string();
    let table: toml::Table = crate::source::toml_file::from_toml(text, &origin)?;
    for key in table.keys() {
        if key != "profile" {
            bail!(
                "{origin}:{}: unknown key `{key}` (the file holds [profile.NAME] tables)",
                line_of(text, "", key)
            );
        }
    }
    let profiles = match table.get("profile") {
        None => toml::Table::new(),
        Some(toml::Value::Table(t)) => t.clone(),
        Some(_) => bail!("{origin}: `profile` must be a table of [profile.NAME] tables"),
    };
    if profile != "default" && !profiles.contains_key(profile) {
        let names: Vec<&String> = profiles.keys().collect();
        bail!(
            "{origin} has no profile `{profile}` (it has: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            }
        );
    }
    let keys = keys(command);
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for name in ["default", profile] {
        let Some(section) = profiles.get(name) else {
            continue;
        };
        let toml::Value::Table(section) = section else {
            bail!("{origin}: [profile.{name}] must be a table");
        };
        let header = format!("[profile.{name}]");
        for (key, value) in section {
            let line = line_of(text, &header, key);
            let Some((env, delimiter)) = keys.get(key) else {
                bail!(
                    "{origin}:{line}: unknown key `{key}` in [profile.{name}] (keys are option names, e.g. engines, jobs, seeds, out, known, timeout)"
                );
            };
            let v = text_of(value, *delimiter).map_err(|e| anyhow!("{origin}:{line}: `{key}` {e}"))?;
            values.insert(env.clone(), v);
        }
    }
    Ok(values.into_iter().collect())
}

/// Reads the config file (if any) and sets the chosen profile's variables
/// that are not already set. Called once, before arguments are parsed and
/// before any thread starts.
pub fn apply(args: &[String], command: &clap::Command) -> Result<()> {
    let Some(path) = find(args)? else {
        let asked = flag(args, "config-profile").or_else(|| std::env::var("WASMGATE_CONFIG_PROFILE").ok());
        if let Some(p) = asked
            && !p.is_empty()
            && p != "default"
        {
            bail!("--config-profile {p} was given, but there is no {FILE} here (or give --config FILE)");
        }
        return Ok(());
    };
    let profile = flag(args, "config-profile")
        .or_else(|| {
            std::env::var("WASMGATE_CONFIG_PROFILE")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "default".into());
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    for (var, value) in profile_env(&path, &text, &profile, command)? {
        if std::env::var_os(&var).is_none() {
            // SAFETY: called at the start of `main`, before any other thread exists.
            unsafe { std::env::set_var(var, value) };
        }
    }
    Ok(())
}
