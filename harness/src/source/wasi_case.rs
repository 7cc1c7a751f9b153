//! WASI command-program cases: what one run of a program is given
//! (arguments, environment, stdin, fixture folders) and what it must do
//! (stdout, stderr, exit code, or only that every runtime agrees).
//!
//! Three ways in: a case file (`vectors/wasi/*.toml`, documented in
//! `vectors/wasi/README.md`), the WASI testsuite's `NAME.json` beside
//! `NAME.wasm`, and the command line (one run, or seeded argument sweeps).

use anyhow::{Context, Result, anyhow, bail};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wasmgate_runners::wasi::{PREVIEW1, PREVIEW1_FUNCTIONS};

/// What a run must do, beyond every runtime agreeing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
}

impl WasiExpect {
    /// Whether anything is expected.
    pub fn is_empty(&self) -> bool {
        self.stdout.is_none() && self.stderr.is_none() && self.exit.is_none()
    }
}

impl std::fmt::Display for WasiExpect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(code) = self.exit {
            parts.push(format!("exit {code}"));
        }
        if let Some(out) = &self.stdout {
            parts.push(format!("stdout {out:?}"));
        }
        if let Some(err) = &self.stderr {
            parts.push(format!("stderr {err:?}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// A fixture folder pre-opened for a run: a fresh copy of `host` appears to
/// the program as `guest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixture {
    pub host: PathBuf,
    pub guest: String,
}

/// One run of a program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiCase {
    pub name: String,
    /// Arguments after the program name.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    #[serde(default)]
    pub stdin: String,
    #[serde(default)]
    pub dirs: Vec<Fixture>,
    #[serde(default, skip_serializing_if = "WasiExpect::is_empty")]
    pub expect: WasiExpect,
}

/// A program and its runs.
#[derive(Clone, Debug)]
pub struct WasiSuite {
    pub program: PathBuf,
    pub wasm: Vec<u8>,
    pub cases: Vec<WasiCase>,
    /// Why the program is not run (a testsuite test that needs what
    /// wasmgate's preview1 runs do not give), if it is not.
    pub skip: Option<String>,
}

/// `argv[0]` every run gets: the program's file name.
pub fn program_name(program: &Path) -> String {
    program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program.wasm".into())
}

/// Reads a command program and checks that it is one: a valid module that
/// exports `_start` and a memory and imports nothing but WASI preview1.
pub fn read_program(path: &Path) -> Result<Vec<u8>> {
    if !path.is_file() {
        bail!("cannot read program {}: no such file", path.display());
    }
    let wasm = wat::parse_file(path).map_err(|e| anyhow!("cannot read program {}: {e}", path.display()))?;
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&wasm)
        .map_err(|e| anyhow!("{} is not a valid WebAssembly module: {e}", path.display()))?;
    let mut foreign = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        match payload? {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let known = import.module == PREVIEW1
                        && matches!(import.ty, wasmparser::TypeRef::Func(_))
                        && PREVIEW1_FUNCTIONS.contains(&import.name);
                    if !known {
                        foreign.push(format!("{}.{}", import.module, import.name));
                    }
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    exports.push((export.name.to_string(), export.kind));
                }
            }
            _ => {}
        }
    }
    if !foreign.is_empty() {
        bail!(
            "{} imports {}, which WASI preview1 ({PREVIEW1}) does not provide: `wasmgate wasi` runs command programs that import WASI preview1 only",
            path.display(),
            foreign.join(", ")
        );
    }
    if !exports
        .iter()
        .any(|(n, k)| n == "_start" && *k == wasmparser::ExternalKind::Func)
    {
        bail!(
            "{} exports no `_start` function: it is not a WASI command program",
            path.display()
        );
    }
    Ok(wasm)
}

/// A fixture folder named by a case, relative to `base`; it must exist.
fn fixture(base: &Path, name: &str, source: &Path) -> Result<Fixture> {
    let host = base.join(name);
    if !host.is_dir() {
        bail!(
            "{}: fixture folder {} does not exist",
            source.display(),
            host.display()
        );
    }
    Ok(Fixture {
        host,
        guest: name.to_string(),
    })
}

/// A fixture folder in a case file: `"fixtures/data"` (seen by the program
/// under the same path) or `{ host = "fixtures/data", guest = "data" }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum DirEntry {
    Same(String),
    Mapped { host: String, guest: String },
}

/// One `[[case]]` of a case file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEntry {
    name: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    stdin: Option<String>,
    stdin_file: Option<PathBuf>,
    #[serde(default)]
    dirs: Vec<DirEntry>,
    stdout: Option<String>,
    stderr: Option<String>,
    exit: Option<i32>,
}

/// A case file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    program: PathBuf,
    #[serde(default, rename = "case")]
    cases: Vec<CaseEntry>,
}

/// Reads a case file (`program = "…"` and `[[case]]` entries).
pub fn load_case_file(path: &Path) -> Result<WasiSuite> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: CaseFile = crate::source::toml_file::from_toml(&text, &path.display().to_string())?;
    let base = path.parent().unwrap_or(Path::new("."));
    let program = base.join(&file.program);
    let wasm = read_program(&program).with_context(|| format!("{}: `program`", path.display()))?;
    if file.cases.is_empty() {
        bail!("{} has no [[case]] entries", path.display());
    }
    let mut cases = Vec::new();
    for (i, c) in file.cases.into_iter().enumerate() {
        let stdin = match (c.stdin, c.stdin_file) {
            (Some(_), Some(_)) => bail!(
                "{}: case {} gives both `stdin` and `stdin_file`",
                path.display(),
                i + 1
            ),
            (Some(text), None) => text,
            (None, Some(file)) => std::fs::read_to_string(base.join(&file))
                .with_context(|| format!("{}: cannot read stdin_file {}", path.display(), file.display()))?,
            (None, None) => String::new(),
        };
        let dirs = c
            .dirs
            .iter()
            .map(|d| match d {
                DirEntry::Same(name) => fixture(base, name, path),
                DirEntry::Mapped { host, guest } => fixture(base, host, path).map(|f| Fixture {
                    guest: guest.clone(),
                    ..f
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        cases.push(WasiCase {
            name: c.name.unwrap_or_else(|| format!("case {}", i + 1)),
            args: c.args,
            env: c.env.into_iter().collect(),
            stdin,
            dirs,
            expect: WasiExpect {
                stdout: c.stdout,
                stderr: c.stderr,
                exit: c.exit,
            },
        });
    }
    Ok(WasiSuite {
        program,
        wasm,
        cases,
        skip: None,
    })
}

/// A WASI testsuite specification (`NAME.json` beside `NAME.wasm`): the
/// suite's legacy form (`args`, `env`, `root`, `exit_code`, `stdout`,
/// `stderr`; older suites' `dirs`) or its operation-based form
/// (`operations`, `proposals`, `world`, `servers`). Unknown keys are refused:
/// a key wasmgate does not read would be an expectation silently dropped.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TestsuiteSpec {
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Folder pre-opened as the program's root, `/`.
    root: Option<String>,
    /// Folders pre-opened under their own names (older suites).
    #[serde(default, alias = "dir")]
    dirs: Vec<String>,
    exit_code: Option<i32>,
    stdout: Option<String>,
    stderr: Option<String>,
    operations: Option<Vec<Operation>>,
    #[serde(default)]
    proposals: Vec<String>,
    world: Option<String>,
    servers: Option<serde_json::Value>,
}

/// One step of an operation-based specification.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Operation {
    Run {
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        root: Option<String>,
    },
    Wait {
        exit_code: Option<i32>,
    },
    Read {
        id: Option<String>,
        #[serde(default)]
        payload: String,
    },
    Write {
        id: Option<String>,
        #[serde(default)]
        payload: String,
    },
    Connect {
        id: Option<String>,
        protocol_type: Option<String>,
    },
    Send {
        id: String,
        #[serde(default, rename = "payload")]
        _payload: String,
    },
    Recv {
        id: String,
        #[serde(default, rename = "payload")]
        _payload: String,
    },
}

/// One run as a specification describes it, or why wasmgate cannot run it.
struct SpecRun {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    root: Option<String>,
    dirs: Vec<String>,
    stdin: String,
    expect: WasiExpect,
}

impl TestsuiteSpec {
    /// The run this specification describes; `Err` says why it is skipped
    /// (a WASI proposal or world beyond preview1 command programs, network
    /// operations, several runs).
    fn run(self, json: &Path) -> Result<std::result::Result<SpecRun, String>> {
        let legacy = !self.args.is_empty()
            || !self.env.is_empty()
            || self.root.is_some()
            || !self.dirs.is_empty()
            || self.exit_code.is_some()
            || self.stdout.is_some()
            || self.stderr.is_some();
        let operation_based = self.operations.is_some()
            || !self.proposals.is_empty()
            || self.world.is_some()
            || self.servers.is_some();
        if legacy && operation_based {
            bail!(
                "{}: mixes the legacy keys (args, env, root, exit_code, stdout, stderr) with operations",
                json.display()
            );
        }
        if !operation_based {
            return Ok(Ok(SpecRun {
                args: self.args,
                env: self.env,
                root: self.root,
                dirs: self.dirs,
                stdin: String::new(),
                expect: WasiExpect {
                    stdout: self.stdout,
                    stderr: self.stderr,
                    exit: Some(self.exit_code.unwrap_or(0)),
                },
            }));
        }
        if !self.proposals.is_empty() {
            return Ok(Err(format!("needs WASI proposals {}", self.proposals.join(", "))));
        }
        if let Some(world) = self.world.filter(|w| w != "wasi:cli/command") {
            return Ok(Err(format!("runs in world {world}, not as a command program")));
        }
        if self.servers.is_some() {
            return Ok(Err("needs servers".to_string()));
        }
        let mut run = SpecRun {
            args: Vec::new(),
            env: BTreeMap::new(),
            root: None,
            dirs: Vec::new(),
            stdin: String::new(),
            expect: WasiExpect::default(),
        };
        let (mut started, mut waited) = (false, false);
        for op in self.operations.unwrap_or_else(|| {
            vec![
                Operation::Run {
                    args: vec![],
                    env: BTreeMap::new(),
                    root: None,
                },
                Operation::Wait { exit_code: None },
            ]
        }) {
            let order = |ok: bool, what: &str| {
                if ok {
                    Ok(())
                } else {
                    Err(anyhow!("{}: {what}", json.display()))
                }
            };
            match op {
                Operation::Run { args, env, root } => {
                    if started {
                        return Ok(Err("runs the program more than once".to_string()));
                    }
                    started = true;
                    (run.args, run.env, run.root) = (args, env, root);
                }
                Operation::Wait { exit_code } => {
                    order(started && !waited, "a `wait` must follow its `run`")?;
                    waited = true;
                    run.expect.exit = Some(exit_code.unwrap_or(0));
                }
                Operation::Read { id, payload } => {
                    order(started && !waited, "a `read` must come between `run` and `wait`")?;
                    match id.as_deref().unwrap_or("stdout") {
                        "stdout" => run.expect.stdout = Some(payload),
                        "stderr" => run.expect.stderr = Some(payload),
                        other => bail!("{}: `read` of unknown stream `{other}`", json.display()),
                    }
                }
                Operation::Write { id, payload } => {
                    order(started && !waited, "a `write` must come between `run` and `wait`")?;
                    match id.as_deref().unwrap_or("stdin") {
                        "stdin" => run.stdin.push_str(&payload),
                        other => bail!("{}: `write` to unknown stream `{other}`", json.display()),
                    }
                }
                Operation::Connect { id, protocol_type } => {
                    order(
                        started && !waited,
                        "a `connect` must come between `run` and `wait`",
                    )?;
                    return Ok(Err(format!(
                        "needs a network connection ({} `{}`)",
                        protocol_type.as_deref().unwrap_or("tcp"),
                        id.as_deref().unwrap_or("server")
                    )));
                }
                Operation::Send { id, .. } | Operation::Recv { id, .. } => {
                    bail!(
                        "{}: `send`/`recv` on `{id}`, which no `connect` opened",
                        json.display()
                    );
                }
            }
        }
        if !started || !waited {
            bail!("{}: operations need a `run` and its `wait`", json.display());
        }
        Ok(Ok(run))
    }
}

/// The WASI testsuite's test for `wasm` (its `.json` if there is one, else
/// the suite's default: no arguments, exit code 0). A test wasmgate cannot
/// run (a WASI proposal, network operations, a program that is no preview1
/// command) comes back with `skip` saying why.
pub fn load_testsuite_test(wasm_path: &Path) -> Result<WasiSuite> {
    let json_path = wasm_path.with_extension("json");
    let spec: TestsuiteSpec = if json_path.is_file() {
        let text = std::fs::read_to_string(&json_path)
            .with_context(|| format!("cannot read {}", json_path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            anyhow!(
                "{} is not a WASI testsuite specification: {e}",
                json_path.display()
            )
        })?
    } else {
        TestsuiteSpec::default()
    };
    let name = wasm_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let skipped = |why: String| WasiSuite {
        program: wasm_path.to_path_buf(),
        wasm: Vec::new(),
        cases: vec![WasiCase {
            name: name.clone(),
            args: vec![],
            env: vec![],
            stdin: String::new(),
            dirs: vec![],
            expect: WasiExpect::default(),
        }],
        skip: Some(why),
    };
    let run = match spec.run(&json_path)? {
        Ok(run) => run,
        Err(why) => return Ok(skipped(why)),
    };
    let wasm = match read_program(wasm_path) {
        Ok(wasm) => wasm,
        Err(e) => return Ok(skipped(format!("not a WASI preview1 command program: {e:#}"))),
    };
    let base = wasm_path.parent().unwrap_or(Path::new("."));
    let mut dirs = Vec::new();
    if let Some(root) = &run.root {
        dirs.push(Fixture {
            guest: "/".to_string(),
            ..fixture(base, root, &json_path)?
        });
    }
    for d in &run.dirs {
        dirs.push(fixture(base, d, &json_path)?);
    }
    Ok(WasiSuite {
        program: wasm_path.to_path_buf(),
        wasm,
        cases: vec![WasiCase {
            name,
            args: run.args,
            env: run.env.into_iter().collect(),
            stdin: run.stdin,
            dirs,
            expect: run.expect,
        }],
        skip: None,
    })
}

/// Every test of a WASI testsuite folder and the folders below it: each
/// `.wasm` (sorted by path) with its `.json`. Fixture folders (`*.dir`) are
/// data, not tests, and are not searched.
pub fn load_testsuite_dir(dir: &Path) -> Result<Vec<WasiSuite>> {
    fn find(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                if path.extension().is_none_or(|e| e != "dir") {
                    find(&path, out)?;
                }
            } else if path.extension().is_some_and(|e| e == "wasm") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut programs = Vec::new();
    find(dir, &mut programs)?;
    programs.sort();
    if programs.is_empty() {
        bail!(
            "{} holds no .wasm programs (a source checkout of the WASI testsuite: build its tests with scripts/wasi-testsuite.sh)",
            dir.display()
        );
    }
    programs.iter().map(|p| load_testsuite_test(p)).collect()
}

/// An argument type of a seeded sweep (`--random-args u32,i64,f64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    I32,
    U32,
    I64,
    U64,
    F64,
    Str,
}

impl std::str::FromStr for ArgType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "i32" => ArgType::I32,
            "u32" => ArgType::U32,
            "i64" => ArgType::I64,
            "u64" => ArgType::U64,
            "f64" => ArgType::F64,
            "str" => ArgType::Str,
            other => {
                return Err(format!(
                    "unknown argument type `{other}` (known: i32, u32, i64, u64, f64, str)"
                ));
            }
        })
    }
}

/// Parses `u32,u32`.
pub fn parse_arg_types(spec: &str) -> Result<Vec<ArgType>> {
    let types: Vec<ArgType> = spec
        .split(',')
        .map(|t| {
            t.parse()
                .map_err(|e: String| anyhow!("--random-args {spec}: {e}"))
        })
        .collect::<Result<_>>()?;
    if types.is_empty() {
        bail!("--random-args is empty");
    }
    Ok(types)
}

/// One seeded argument of type `ty`: boundary values half the time.
fn random_arg(rng: &mut ChaCha8Rng, ty: ArgType) -> String {
    let edge = rng.next_u32().is_multiple_of(2);
    let pick =
        |rng: &mut ChaCha8Rng, items: &[&str]| items[(rng.next_u32() as usize) % items.len()].to_string();
    match ty {
        ArgType::I32 if edge => pick(rng, &["0", "1", "-1", "2147483647", "-2147483648", "255", "-256"]),
        ArgType::I32 => (rng.next_u32() as i32).to_string(),
        ArgType::U32 if edge => pick(
            rng,
            &["0", "1", "2", "4294967295", "2147483648", "65535", "65536"],
        ),
        ArgType::U32 => rng.next_u32().to_string(),
        ArgType::I64 if edge => pick(
            rng,
            &[
                "0",
                "1",
                "-1",
                "9223372036854775807",
                "-9223372036854775808",
                "4294967296",
            ],
        ),
        ArgType::I64 => (rng.next_u64() as i64).to_string(),
        ArgType::U64 if edge => pick(rng, &["0", "1", "18446744073709551615", "9223372036854775808"]),
        ArgType::U64 => rng.next_u64().to_string(),
        ArgType::F64 if edge => pick(
            rng,
            &[
                "0", "-0", "0.5", "1.5", "-2.5", "1e308", "5e-324", "inf", "-inf", "nan", "0.1",
            ],
        ),
        ArgType::F64 => {
            let v = f64::from_bits(rng.next_u64());
            if v.is_finite() {
                format!("{v:e}")
            } else {
                format!("{}", (rng.next_u32() as f64) / 7.0)
            }
        }
        ArgType::Str => {
            let len = (rng.next_u32() % 12) as usize;
            (0..len)
                .map(|_| {
                    let b = b'!' + (rng.next_u32() % 94) as u8;
                    b as char
                })
                .collect()
        }
    }
}

/// `count` runs with seeded arguments of `types` (run `i` from seed `seed` and
/// `i`: the same seed gives the same arguments in every version that keeps
/// this generator).
pub fn random_cases(types: &[ArgType], seed: u64, count: u64, base: &WasiCase) -> Vec<WasiCase> {
    (0..count)
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut case = base.clone();
            case.args.extend(types.iter().map(|&t| random_arg(&mut rng, t)));
            case.name = format!("seed {seed} run {i}");
            case
        })
        .collect()
}

/// The one case the command line describes.
pub fn command_line_case(
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: String,
    dirs: &[PathBuf],
) -> Result<WasiCase> {
    let dirs = dirs
        .iter()
        .map(|d| {
            if !d.is_dir() {
                bail!("fixture folder {} does not exist", d.display());
            }
            Ok(Fixture {
                host: d.clone(),
                guest: d
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| ".".into()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(WasiCase {
        name: "command line".into(),
        args,
        env,
        stdin,
        dirs,
        expect: WasiExpect::default(),
    })
}
