//! Vectors files (`--vectors FILE`, TOML; examples in `vectors/check/`): the
//! imports a module is given and the calls made on it, each with the result
//! it must have or nothing (then engines must only agree). Errors name the
//! file and line.
//!
//! ```toml
//! module = "clib.wasm"          # optional, relative to this file
//!
//! [[import]]                    # a host function: returns, sequence or trap
//! module = "env"
//! name = "next"
//! sequence = [[1], [2]]         # 1 on the first call, then 2 for ever
//!
//! [[vector]]
//! export = "div"
//! args = [7, 0]
//! trap = "integer-division-by-zero"
//! ```

use crate::source::case::Call;
use crate::source::expect::{Expect, Outcome};
use crate::source::host::{Behaviour, HostImport, ImportType, Provide};
use crate::source::module_info::ModuleInfo;
use crate::source::scenario::RawScenario;
use crate::source::toml_file::{hex, pattern, to_toml, trap_kind, value};
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};
use wasmgate_runners::{TrapKind, Val, ValType};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    import: Vec<Spanned<RawImport>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    vector: Vec<Spanned<RawVector>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scenario: Vec<Spanned<RawScenario>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    module: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    returns: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sequence: Option<Vec<Vec<Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trap: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Vec<RawData>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawVector {
    export: String,
    #[serde(default)]
    args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    returns: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trap: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host_calls: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host_digest: Option<String>,
}

/// A vectors file, read but not yet matched against a module.
#[derive(Debug)]
pub struct VectorsFile {
    pub path: PathBuf,
    text: String,
    raw: RawFile,
}

impl VectorsFile {
    /// Reads and parses `path` (syntax and field names only).
    pub fn read(path: &Path) -> Result<VectorsFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read vectors file {}", path.display()))?;
        let raw = crate::source::toml_file::from_toml(&text, &path.display().to_string())?;
        Ok(VectorsFile {
            path: path.to_path_buf(),
            text,
            raw,
        })
    }

    /// Reads every file of `paths`.
    pub fn read_all(paths: &[PathBuf]) -> Result<Vec<VectorsFile>> {
        paths.iter().map(|p| VectorsFile::read(p)).collect()
    }

    /// The module the file names, resolved against the file's folder.
    pub fn module(&self) -> Option<PathBuf> {
        let m = self.raw.module.as_ref()?;
        Some(self.path.parent().unwrap_or(Path::new(".")).join(m))
    }

    fn at(&self, span: std::ops::Range<usize>) -> String {
        let line = self.text[..span.start.min(self.text.len())].matches('\n').count() + 1;
        format!("{}:{line}", self.path.display())
    }

    /// The host for a module with `imports`; an import the file gives the
    /// wrong kind of thing, or values of the wrong type, is an error naming
    /// the line. Imports the module does not have are ignored (one file may
    /// serve two versions of a module).
    pub fn host(&self, imports: &[(String, String, ImportType)]) -> Result<Vec<HostImport>> {
        let mut host = Vec::new();
        for spanned in &self.raw.import {
            let at = self.at(spanned.span());
            let i = spanned.get_ref();
            let Some((_, _, ty)) = imports.iter().find(|(m, n, _)| *m == i.module && *n == i.name) else {
                continue;
            };
            let key = format!("{}.{}", i.module, i.name);
            let has_func = i.returns.is_some() || i.sequence.is_some() || i.trap.is_some();
            let wrong = |what: &str| {
                anyhow!(
                    "{at}: import {key} is a {}, which cannot be given {what}",
                    ty.kind()
                )
            };
            let provide = match ty {
                ImportType::Func { results, .. } => {
                    if i.value.is_some() {
                        return Err(wrong("`value`"));
                    }
                    if i.data.is_some() {
                        return Err(wrong("`data`"));
                    }
                    let values = |vs: &[Value], what: &str| -> Result<Vec<Val>> {
                        if vs.len() != results.len() {
                            bail!(
                                "{at}: import {key} returns {} value(s) ({}), but `{what}` gives {}",
                                results.len(),
                                type_list(results),
                                vs.len()
                            );
                        }
                        vs.iter()
                            .zip(results)
                            .map(|(v, t)| value(v, *t).map_err(|e| anyhow!("{at}: import {key}: {e}")))
                            .collect()
                    };
                    let behaviour = match (&i.returns, &i.sequence, i.trap) {
                        (_, _, Some(true)) => Behaviour::Traps,
                        (Some(r), None, _) => Behaviour::Returns(values(r, "returns")?),
                        (None, Some(seq), _) if !seq.is_empty() => Behaviour::Sequence(
                            seq.iter().map(|s| values(s, "sequence")).collect::<Result<_>>()?,
                        ),
                        (None, None, _) if results.is_empty() => Behaviour::Returns(vec![]),
                        (Some(_), Some(_), _) => {
                            bail!("{at}: import {key} has both `returns` and `sequence`")
                        }
                        _ => bail!(
                            "{at}: import {key} returns {}: give it `returns = [...]`, `sequence = [[...], ...]` or `trap = true`",
                            type_list(results)
                        ),
                    };
                    Provide::Func(behaviour)
                }
                ImportType::Global { ty, .. } => {
                    if has_func || i.data.is_some() {
                        return Err(wrong("a function's behaviour or `data`"));
                    }
                    let v = i.value.as_ref().ok_or_else(|| {
                        anyhow!("{at}: import {key} is a global of type {ty}: give it `value`")
                    })?;
                    Provide::Global(value(v, *ty).map_err(|e| anyhow!("{at}: import {key}: {e}"))?)
                }
                ImportType::Memory => {
                    if has_func || i.value.is_some() {
                        return Err(wrong("a function's behaviour or `value`"));
                    }
                    let mut data = Vec::new();
                    for d in i.data.iter().flatten() {
                        let bytes = match (&d.text, &d.hex) {
                            (Some(t), None) => t.as_bytes().to_vec(),
                            (None, Some(h)) => hex(h).ok_or_else(|| {
                                anyhow!("{at}: import {key}: `hex` is not an even number of hex digits")
                            })?,
                            _ => bail!(
                                "{at}: import {key}: each `data` entry needs exactly one of `text` and `hex`"
                            ),
                        };
                        data.push((d.offset, bytes));
                    }
                    Provide::Memory(data)
                }
                ImportType::Table | ImportType::Tag => {
                    if has_func || i.value.is_some() || i.data.is_some() {
                        return Err(wrong("anything (it is made empty)"));
                    }
                    if matches!(ty, ImportType::Table) {
                        Provide::Table
                    } else {
                        Provide::Tag
                    }
                }
            };
            host.push(HostImport {
                module: i.module.clone(),
                name: i.name.clone(),
                provide,
            });
        }
        Ok(host)
    }

    /// The file's calls on a module with exports `info`, with their expectations.
    pub fn calls(&self, info: &ModuleInfo, module: &str) -> Result<Vec<Call>> {
        let mut calls = Vec::new();
        for spanned in &self.raw.vector {
            let at = self.at(spanned.span());
            let v = spanned.get_ref();
            let Some(func) = info.funcs.iter().find(|f| f.name == v.export) else {
                let names: Vec<&str> = info.funcs.iter().map(|f| f.name.as_str()).collect();
                bail!(
                    "{at}: {module} has no exported function `{}` (its exports: {})",
                    v.export,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            };
            if v.args.len() != func.params.len() {
                bail!(
                    "{at}: `{}` takes {} argument(s) ({}), but the vector gives {}",
                    v.export,
                    func.params.len(),
                    type_list(&func.params),
                    v.args.len()
                );
            }
            let args = v
                .args
                .iter()
                .zip(&func.params)
                .enumerate()
                .map(|(n, (a, t))| {
                    value(a, *t).map_err(|e| anyhow!("{at}: argument {} of `{}`: {e}", n + 1, v.export))
                })
                .collect::<Result<Vec<_>>>()?;
            let outcome = match (&v.returns, &v.trap) {
                (Some(_), Some(_)) => bail!("{at}: a vector has either `returns` or `trap`, not both"),
                (Some(r), None) => {
                    if r.len() != func.results.len() {
                        bail!(
                            "{at}: `{}` returns {} value(s) ({}), but the vector expects {}",
                            v.export,
                            func.results.len(),
                            type_list(&func.results),
                            r.len()
                        );
                    }
                    Some(Outcome::Returns(
                        r.iter()
                            .zip(&func.results)
                            .map(|(p, t)| {
                                pattern(p, *t)
                                    .map_err(|e| anyhow!("{at}: expected result of `{}`: {e}", v.export))
                            })
                            .collect::<Result<_>>()?,
                    ))
                }
                (None, Some(t)) if t == "any" => Some(Outcome::Traps(None)),
                (None, Some(t)) => Some(Outcome::Traps(Some(
                    trap_kind(t).map_err(|e| anyhow!("{at}: {e}"))?,
                ))),
                (None, None) => None,
            };
            let expect = Expect {
                outcome,
                host_calls: v.host_calls,
                host_digest: v.host_digest.clone(),
                stated: None,
            };
            calls.push(Call {
                export: v.export.clone(),
                args,
                results: func.results.clone(),
                expect: (expect != Expect::default()).then_some(Expect {
                    stated: Some(at),
                    ..expect
                }),
            });
        }
        Ok(calls)
    }

    /// The module with one export per scenario step added, and the calls
    /// that run the steps (see [`crate::source::scenario`]).
    pub fn scenarios(&self, wasm: &[u8]) -> Result<(Vec<u8>, Vec<Call>)> {
        let scenarios: Vec<RawScenario> = self.raw.scenario.iter().map(|s| s.get_ref().clone()).collect();
        crate::source::scenario::apply(wasm, &scenarios, |s, n| {
            let scenario = &self.raw.scenario[s];
            match scenario.get_ref().step.get(n) {
                Some(step) => self.at(step.span()),
                None => self.at(scenario.span()),
            }
        })
    }

    /// Whether the file has scenarios.
    pub fn has_scenarios(&self) -> bool {
        !self.raw.scenario.is_empty()
    }

    /// The same file with its vectors replaced by `vectors` (imports kept,
    /// `module` as given) and each scenario step's expectation replaced by
    /// what its call in `vectors` did: golden vectors recorded from what
    /// engines agreed on.
    pub fn with_vectors(&self, module: Option<String>, vectors: &[Recorded]) -> Result<String> {
        let mut scenarios = self.raw.scenario.clone();
        let mut steps = std::collections::BTreeSet::new();
        for scenario in &mut scenarios {
            let name = scenario.get_ref().name.clone();
            for (n, step) in scenario.get_mut().step.iter_mut().enumerate() {
                let export = crate::source::scenario::step_export(&name, n + 1, step.get_ref());
                if let Some(Recorded {
                    result: Some(result), ..
                }) = vectors.iter().find(|r| r.call.export == export)
                {
                    crate::source::scenario::record(step.get_mut(), result);
                }
                steps.insert(export);
            }
        }
        // A step's call is recorded in its step, not as a vector.
        let plain: Vec<&Recorded> = vectors
            .iter()
            .filter(|r| !steps.contains(&r.call.export))
            .collect();
        recorded_text(module, self.raw.import.clone(), &plain, scenarios)
    }

    /// The `module = "…"` line as written.
    pub fn named_module(&self) -> Option<String> {
        self.raw.module.clone()
    }
}

/// A call and what every engine agreed it did, for `check --record`.
pub struct Recorded {
    pub call: Call,
    /// Returned values, or `Err(trap)` for a trap; `None` when the engines
    /// agreed on something a vectors file cannot state (an engine error).
    pub result: Option<std::result::Result<Vec<Val>, TrapKind>>,
    pub host_calls: Option<u32>,
    pub host_digest: Option<String>,
}

/// A new vectors file holding `vectors` (and no imports).
pub fn record_new(module: Option<String>, vectors: &[Recorded]) -> Result<String> {
    recorded_text(module, vec![], &vectors.iter().collect::<Vec<_>>(), vec![])
}

fn recorded_text(
    module: Option<String>,
    import: Vec<Spanned<RawImport>>,
    vectors: &[&Recorded],
    scenario: Vec<Spanned<RawScenario>>,
) -> Result<String> {
    let vector = vectors
        .iter()
        .map(|r| {
            let (returns, trap) = match &r.result {
                Some(Ok(values)) => (Some(values.iter().map(to_toml).collect()), None),
                Some(Err(t)) => (None, Some(t.name().to_string())),
                None => (None, None),
            };
            Spanned::new(
                0..0,
                RawVector {
                    export: r.call.export.clone(),
                    args: r.call.args.iter().map(to_toml).collect(),
                    returns,
                    trap,
                    host_calls: r.host_calls,
                    host_digest: r.host_digest.clone(),
                },
            )
        })
        .collect();
    let file = RawFile {
        module,
        import,
        vector,
        scenario,
    };
    let body = toml::to_string(&file).context("cannot write the vectors file")?;
    Ok(format!(
        "# Golden vectors recorded by `wasmgate check --record`: what every engine agreed on.\n# Re-check with `wasmgate check --vectors FILE`; rewrite with `--update`.\n\n{body}"
    ))
}

/// A starter vectors file for a module (`check --init`): every import with
/// its signature and a default the host gives (zeros, an empty memory), every
/// callable export with a sample call of zero arguments and its result left
/// for the team to state. `module` is the module's path as the file names it.
pub fn starter(module: &str, wasm: &[u8], info: &ModuleInfo) -> Result<String> {
    use crate::source::host::imports;
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Vectors for {module}, written by `wasmgate check --init`: state what each import\n\
         # does and what each call must return, then run\n\
         #   wasmgate check --vectors THIS_FILE\n\
         # A call without `returns` or `trap` only has to agree across engines.\n"
    );
    let _ = writeln!(out, "module = {}\n", Value::String(module.to_string()));
    let imports = imports(wasm)?;
    if !imports.is_empty() {
        let _ = writeln!(
            out,
            "# Imports: the host wasmgate links in, the same on every engine."
        );
    }
    let quoted = |s: &str| Value::String(s.to_string()).to_string();
    for (m, n, ty) in &imports {
        let _ = writeln!(out, "\n[[import]]\nmodule = {}\nname = {}", quoted(m), quoted(n));
        match ty {
            ImportType::Func { params, results } => {
                let zeros: Vec<String> = results
                    .iter()
                    .map(|t| to_toml(&Val::zero(*t)).to_string())
                    .collect();
                let _ = writeln!(
                    out,
                    "# function ({}) -> ({}); its calls and arguments are recorded and compared.\n\
                     # Or `sequence = [[…], […]]` (one result list per call, the last repeats), or `trap = true`.\n\
                     returns = [{}]",
                    type_list(params),
                    type_list(results),
                    zeros.join(", ")
                );
            }
            ImportType::Global { ty, mutable } => {
                let _ = writeln!(
                    out,
                    "# global {}{ty}\nvalue = {}",
                    if *mutable { "mut " } else { "" },
                    to_toml(&Val::zero(*ty))
                );
            }
            ImportType::Memory => {
                let _ = writeln!(
                    out,
                    "# memory, zeroed; initial contents as `data = [{{ offset = 0, text = \"…\" }}]` (or `hex = \"…\"`)"
                );
            }
            ImportType::Table => {
                let _ = writeln!(out, "# table, every entry null");
            }
            ImportType::Tag => {
                let _ = writeln!(out, "# exception tag");
            }
        }
    }
    if !info.funcs.is_empty() {
        let _ = writeln!(out, "\n# Calls, made in order on one instance.");
    }
    for f in &info.funcs {
        let args: Vec<String> = f
            .params
            .iter()
            .map(|t| to_toml(&Val::zero(*t)).to_string())
            .collect();
        let _ = writeln!(
            out,
            "\n[[vector]]\nexport = {}\n# ({}) -> ({})\nargs = [{}]\n# returns = [...]   or   trap = \"memory-out-of-bounds\"",
            quoted(&f.name),
            type_list(&f.params),
            type_list(&f.results),
            args.join(", ")
        );
    }
    for name in &info.uncallable {
        let _ = writeln!(
            out,
            "\n# {} is exported with a type wasmgate cannot call.",
            quoted(name)
        );
    }
    let has_memory =
        !info.memories.is_empty() || imports.iter().any(|(_, _, t)| matches!(t, ImportType::Memory));
    if let Some(alloc) = info
        .funcs
        .iter()
        .find(|f| allocator_like(f))
        .filter(|_| has_memory)
    {
        // The size first, then 1 for whatever else it takes (an alignment,
        // AssemblyScript's class id 1, ArrayBuffer).
        let args: Vec<String> = (0..alloc.params.len())
            .map(|i| if i == 0 { "16" } else { "1" }.to_string())
            .collect();
        let _ = writeln!(
            out,
            "\n# A scenario: the module used through memory, as its callers use it (see\n\
             # vectors/check/README.md#scenarios). {} looks like an allocator: write the\n\
             # input at the address it gives, call the function that takes it, read the\n\
             # output back, and state what each step must give.\n\
             \n[[scenario]]\nname = \"through memory\"\n\
             \n[[scenario.step]]\nlet = \"p\"\ncall = {}\nargs = [{}]\n\
             \n[[scenario.step]]\nwrite = \"$p\"\ntext = \"hello\"\n\
             \n# [[scenario.step]]\n# call = \"YOUR_FUNCTION\"\n# args = [\"$p\", 5]\n# returns = [...]\n\
             \n[[scenario.step]]\nread = \"$p\"\nlen = 5\n# text = \"hello\"   (what it must read)",
            quoted(&alloc.name),
            quoted(&alloc.name),
            args.join(", ")
        );
    }
    // The starter must itself be a file `check` reads.
    toml::from_str::<RawFile>(&out).context("the starter vectors file does not read back")?;
    Ok(out)
}

/// Whether an export looks like an allocator a host calls before writing
/// input into memory: a known name, a size first, one address back.
fn allocator_like(f: &crate::source::module_info::ExportedFunc) -> bool {
    const NAMES: [&str; 6] = [
        "malloc",
        "alloc",
        "allocate",
        "__new",
        "__alloc",
        "__wbindgen_malloc",
    ];
    let address = |t: &ValType| matches!(t, ValType::I32 | ValType::I64);
    NAMES.contains(&f.name.as_str())
        && f.params.first().is_some_and(address)
        && f.params.iter().all(address)
        && f.results.len() == 1
        && address(&f.results[0])
}

fn type_list(ts: &[ValType]) -> String {
    if ts.is_empty() {
        return "nothing".into();
    }
    ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_read_by_type() {
        let v = |s: &str, t| {
            value(
                &toml::from_str::<toml::Table>(&format!("v = {s}")).unwrap()["v"],
                t,
            )
        };
        assert_eq!(v("4294967295", ValType::I32).unwrap(), Val::I32(-1));
        assert_eq!(v("\"0xff\"", ValType::I32).unwrap(), Val::I32(255));
        assert_eq!(v("\"18446744073709551615\"", ValType::I64).unwrap(), Val::I64(-1));
        assert_eq!(v("-0.0", ValType::F32).unwrap(), Val::F32(0x8000_0000));
        assert_eq!(
            v("\"-inf\"", ValType::F64).unwrap(),
            Val::F64(0xfff0_0000_0000_0000)
        );
        assert_eq!(v("\"0x7fc00001\"", ValType::F32).unwrap(), Val::F32(0x7fc0_0001));
        assert!(v("\"seven\"", ValType::I32).is_err());
        assert!(v("4294967296", ValType::I32).is_err());
        assert!(v("1.5", ValType::I32).is_err());
    }

    #[test]
    fn recorded_values_read_back_as_themselves() {
        for val in [
            Val::I32(-7),
            Val::I64(i64::MIN),
            Val::F32(0x3dcc_cccd),
            Val::F64(0x8000_0000_0000_0000),
            Val::F64(0x7ff0_0000_0000_0000),
            Val::V128(1 << 100),
            Val::AnyRef(wasmgate_runners::AnyVal::Struct(Some(0x0123_4567_89ab_cdef))),
            Val::AnyRef(wasmgate_runners::AnyVal::Array(Some(7))),
            Val::AnyRef(wasmgate_runners::AnyVal::I31(-5)),
        ] {
            let p = pattern(&to_toml(&val), val.ty()).unwrap();
            assert!(p.matches(&val), "{val} -> {p}");
        }
        let nan = pattern(&to_toml(&Val::F32(0x7fc0_0001)), ValType::F32).unwrap();
        assert!(nan.matches(&Val::F32(0xffc0_0000)));
        // A recorded digest pins the object's contents.
        let p = pattern(
            &to_toml(&Val::AnyRef(wasmgate_runners::AnyVal::Struct(Some(1)))),
            ValType::AnyRef,
        )
        .unwrap();
        assert!(!p.matches(&Val::AnyRef(wasmgate_runners::AnyVal::Struct(Some(2)))));
    }
}
