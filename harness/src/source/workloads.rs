//! Performance workloads: programs with an entry point that takes a size and
//! returns a checksum (`vectors/bench/workloads.toml`), or a team's own module
//! and export (`wasmgate perf --wasm FILE --call EXPORT ARGS`).
//!
//! Every workload is also a test case: every engine must return the same
//! checksum (and the pinned one, when the manifest pins it).

use crate::source::case::{Call, Origin, TestCase};
use crate::source::expect::{Expect, Outcome, Pattern};
use crate::source::module_info;
use crate::source::toml_file::from_toml;
use crate::source::toml_file::value;
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use wasmgate_runners::{Val, ValType};

/// The manifest a workloads folder holds.
pub const MANIFEST: &str = "workloads.toml";

/// One program to measure.
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: String,
    pub path: PathBuf,
    pub wasm: Vec<u8>,
    pub export: String,
    pub args: Vec<Val>,
    pub results: Vec<ValType>,
    /// What the call must return, when pinned.
    pub checksum: Option<Vec<Val>>,
    /// What kind of code it is, for people.
    pub shape: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    workload: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    module: String,
    #[serde(default = "default_export")]
    export: String,
    #[serde(default)]
    args: Vec<toml::Value>,
    #[serde(default)]
    checksum: Option<toml::Value>,
    #[serde(default)]
    shape: String,
}

fn default_export() -> String {
    "run".into()
}

/// The built-in workloads, shipped inside the binary so `perf` runs from any
/// folder: the manifest and every module it names, as in `vectors/bench/`.
const BUILT_IN_MANIFEST: &str = include_str!("../../../vectors/bench/workloads.toml");
const BUILT_IN_MODULES: [(&str, &[u8]); 11] = [
    ("fib.wasm", include_bytes!("../../../vectors/bench/fib.wasm")),
    ("sieve.wasm", include_bytes!("../../../vectors/bench/sieve.wasm")),
    (
        "matmul.wasm",
        include_bytes!("../../../vectors/bench/matmul.wasm"),
    ),
    (
        "sha256.wasm",
        include_bytes!("../../../vectors/bench/sha256.wasm"),
    ),
    ("crc32.wasm", include_bytes!("../../../vectors/bench/crc32.wasm")),
    (
        "quicksort.wasm",
        include_bytes!("../../../vectors/bench/quicksort.wasm"),
    ),
    ("nbody.wasm", include_bytes!("../../../vectors/bench/nbody.wasm")),
    (
        "interp.wasm",
        include_bytes!("../../../vectors/bench/interp.wasm"),
    ),
    (
        "hashmap.wasm",
        include_bytes!("../../../vectors/bench/hashmap.wasm"),
    ),
    (
        "memcopy.wasm",
        include_bytes!("../../../vectors/bench/memcopy.wasm"),
    ),
    (
        "codegen.wasm",
        include_bytes!("../../../vectors/bench/codegen.wasm"),
    ),
];

/// Reads a module file (`.wasm` or `.wat`) and the signature of `export`.
fn read(path: &Path, export: &str) -> Result<(Vec<u8>, Vec<ValType>, Vec<ValType>)> {
    if !path.is_file() {
        bail!("cannot read module {}: no such file", path.display());
    }
    let wasm = wat::parse_file(path).map_err(|e| anyhow!("cannot read module {}: {e}", path.display()))?;
    signature_of(wasm, path, export)
}

/// A module's bytes with the signature of `export` (`path` names it in errors).
fn signature_of(wasm: Vec<u8>, path: &Path, export: &str) -> Result<(Vec<u8>, Vec<ValType>, Vec<ValType>)> {
    let info = module_info::inspect(&wasm)
        .map_err(|e| anyhow!("{} is not a valid WebAssembly module: {e}", path.display()))?;
    let imports = module_info::imports(&wasm)?;
    if !imports.is_empty() {
        bail!(
            "{} imports {}: give them with --vectors FILE (an [[import]] entry each, as for `check`)",
            path.display(),
            imports.join(", ")
        );
    }
    let Some(func) = info.funcs.iter().find(|f| f.name == export) else {
        let names: Vec<&str> = info.funcs.iter().map(|f| f.name.as_str()).collect();
        bail!(
            "{} exports no function `{export}` (it exports: {})",
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
    };
    Ok((wasm, func.params.clone(), func.results.clone()))
}

fn typed(values: &[toml::Value], types: &[ValType], what: &str) -> Result<Vec<Val>> {
    if values.len() != types.len() {
        bail!("{what}: expected {} value(s), got {}", types.len(), values.len());
    }
    values
        .iter()
        .zip(types)
        .map(|(v, t)| value(v, *t).map_err(|e| anyhow!("{what}: {e}")))
        .collect()
}

/// The workloads of the manifest in `dir` — or, without a folder, the
/// built-in ones (`vectors/bench/` as shipped in the binary); only those
/// named in `only`, if any.
pub fn load_dir(dir: Option<&Path>, only: &[String]) -> Result<Vec<Workload>> {
    let Some(dir) = dir else {
        let folder = Path::new("vectors/bench");
        return load(
            BUILT_IN_MANIFEST,
            &folder.join(MANIFEST),
            only,
            &|module: &str, export: &str| {
                let path = folder.join(module);
                let (_, wasm) = BUILT_IN_MODULES
                    .iter()
                    .find(|(name, _)| *name == module)
                    .ok_or_else(|| anyhow!("no built-in module {module}"))?;
                Ok((path.clone(), signature_of(wasm.to_vec(), &path, export)?))
            },
        );
    };
    let manifest = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read the workloads manifest {}", manifest.display()))?;
    load(&text, &manifest, only, &|module: &str, export: &str| {
        let path = dir.join(module);
        Ok((path.clone(), read(&path, export)?))
    })
}

/// A module of a manifest and the signature of its export, by file name.
type ModuleOf<'a> = dyn Fn(&str, &str) -> Result<(PathBuf, (Vec<u8>, Vec<ValType>, Vec<ValType>))> + 'a;

/// The workloads of the manifest `text` (read from `manifest`), each module
/// read by `module_of`.
fn load(text: &str, manifest: &Path, only: &[String], module_of: &ModuleOf) -> Result<Vec<Workload>> {
    let parsed: Manifest = from_toml(text, &manifest.display().to_string())?;
    let known: Vec<&str> = parsed.workload.iter().map(|w| w.name.as_str()).collect();
    if let Some(unknown) = only.iter().find(|n| !known.contains(&n.as_str())) {
        bail!(
            "no workload `{unknown}` in {} (there are: {})",
            manifest.display(),
            known.join(", ")
        );
    }
    let mut out = Vec::new();
    for entry in parsed.workload {
        if !only.is_empty() && !only.contains(&entry.name) {
            continue;
        }
        let at = format!("{} workload `{}`", manifest.display(), entry.name);
        let (path, (wasm, params, results)) =
            module_of(&entry.module, &entry.export).with_context(|| at.clone())?;
        let args = typed(&entry.args, &params, &format!("{at}: args"))?;
        let checksum = entry
            .checksum
            .map(|c| typed(std::slice::from_ref(&c), &results, &format!("{at}: checksum")))
            .transpose()?;
        out.push(Workload {
            name: entry.name,
            path,
            wasm,
            export: entry.export,
            args,
            results,
            checksum,
            shape: entry.shape,
        });
    }
    if out.is_empty() {
        bail!("{} lists no workloads", manifest.display());
    }
    Ok(out)
}

/// A command-line argument as the TOML value it reads like: `27`, `1.5`, `"-inf"`.
fn arg_value(text: &str) -> toml::Value {
    if let Ok(i) = text.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(f) = text.parse::<f64>()
        && !text.chars().any(|c| c.is_ascii_alphabetic())
    {
        toml::Value::Float(f)
    } else {
        toml::Value::String(text.to_string())
    }
}

/// A team's own module: `export` called with `args` (typed by its signature).
/// `wasm` is the module at `path` with any imports already given
/// (`check::linked`).
pub fn own(path: &Path, export: &str, args: &[String], wasm: &[u8]) -> Result<Workload> {
    let (wasm, params, results) = signature_of(wasm.to_vec(), path, export)?;
    if args.len() != params.len() {
        bail!(
            "`{export}` takes {} argument(s), {} given after --call {export}",
            params.len(),
            args.len()
        );
    }
    // `27`, or wasmgate's typed text form `i32:27` as repro commands write it.
    let args = args
        .iter()
        .zip(&params)
        .map(|(a, t)| match a.parse::<Val>() {
            Ok(v) if v.ty() == *t => Ok(v),
            _ => value(&arg_value(a), *t).map_err(|e| anyhow!("argument `{a}` of `{export}`: {e}")),
        })
        .collect::<Result<Vec<_>>>()?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "module".into());
    Ok(Workload {
        name,
        path: path.to_path_buf(),
        wasm,
        export: export.to_string(),
        args,
        results,
        checksum: None,
        shape: "your module".into(),
    })
}

impl Workload {
    /// The workload as a test case: one call, expected to return the pinned
    /// checksum when there is one (else only that every engine agrees).
    pub fn case(&self) -> TestCase {
        let expect = self.checksum.as_ref().map(|sum| Expect {
            outcome: Some(Outcome::Returns(sum.iter().map(|v| Pattern::Exact(*v)).collect())),
            host_calls: None,
            host_digest: None,
            stated: None,
        });
        let info = module_info::inspect(&self.wasm).ok();
        TestCase {
            origin: Origin::File {
                path: self.path.display().to_string(),
            },
            wasm: self.wasm.clone(),
            calls: vec![Call {
                export: self.export.clone(),
                args: self.args.clone(),
                results: self.results.clone(),
                expect,
            }],
            globals: info.as_ref().map(|i| i.globals.clone()).unwrap_or_default(),
            memories: info.map(|i| i.memories).unwrap_or_default(),
            refuel: None,
            features: None,
            valid: true,
        }
    }

    /// `fib(27)`: the call, for people.
    pub fn call_text(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|a| a.pretty()).collect();
        format!("{}({})", self.export, args.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every workload the shipped manifest names is built in, byte for byte
    /// the committed file.
    #[test]
    fn every_workload_of_the_manifest_is_built_in() {
        let built_in = load_dir(None, &[]).unwrap();
        let on_disk = load_dir(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/bench")),
            &[],
        )
        .unwrap();
        assert_eq!(built_in.len(), on_disk.len());
        for (b, d) in built_in.iter().zip(&on_disk) {
            assert_eq!((&b.name, &b.wasm, &b.checksum), (&d.name, &d.wasm, &d.checksum));
            assert!(b.checksum.is_some(), "{}", b.name);
        }
    }
}
