//! `wasmgate wasi`: WASI command programs on every runtime's own WASI.

use super::{OutOpt, QuietOpt};
use crate::execute::engines::Unavailable;
use crate::source::wasi_case::{self, WasiSuite};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::Duration;
use wasmgate_runners::registry::BuildError;
use wasmgate_runners::wasi::WasiEngine;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// A command program (`.wasm` or `.wat`), a case file (`.toml`, see
    /// vectors/wasi/README.md) or a folder of the WASI testsuite (each
    /// `NAME.wasm` with its `NAME.json`).
    target: Option<PathBuf>,
    /// Arguments for the program (after `--`), with a program only.
    #[arg(last = true)]
    args: Vec<String>,
    /// Environment variable NAME=VALUE for the program (repeatable); the
    /// program sees no other.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// File whose bytes are the program's stdin [default: empty].
    #[arg(long, value_name = "FILE")]
    stdin: Option<PathBuf>,
    /// Folder pre-opened for the program under its own name (repeatable);
    /// each run gets a fresh copy.
    #[arg(long = "dir", value_name = "FOLDER")]
    dirs: Vec<PathBuf>,
    /// Append seeded arguments of these types to every run
    /// (comma-separated: i32, u32, i64, u64, f64, str).
    #[arg(long, value_name = "TYPES")]
    random_args: Option<String>,
    /// Seed of --random-args.
    #[arg(long, default_value_t = 0, requires = "random_args")]
    seed: u64,
    /// Runs with --random-args.
    #[arg(long, default_value_t = 100, requires = "random_args", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    count: u64,
    /// WASI runtimes, comma-separated [default: every one in this build].
    #[arg(long, env = "WASMGATE_WASI_ENGINES", value_delimiter = ',')]
    engines: Vec<String>,
    /// Wall time one run may take, in seconds.
    #[arg(long, default_value_t = super::super::wasi::RUN_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Known-divergence list (TOML) for these programs' findings [default: none].
    #[arg(long, env = "WASMGATE_WASI_KNOWN")]
    known: Option<PathBuf>,
    /// Write a case file to FILE whose cases expect what every runtime agreed
    /// on (exit code, stdout, stderr): golden cases from a program, a
    /// `--random-args` sweep or a case file. Runs the runtimes disagreed on are
    /// written without expectations (the file's header names them).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[command(flatten)]
    out: OutOpt,
    #[command(flatten)]
    quiet: QuietOpt,
}

/// What the target names, made into suites.
fn suites(opts: &Opts) -> Result<Vec<WasiSuite>> {
    let Some(target) = &opts.target else {
        bail!(
            "give a command program (.wasm or .wat), a case file (.toml, see vectors/wasi/README.md) or a WASI testsuite folder"
        );
    };
    let program_only =
        !opts.args.is_empty() || !opts.env.is_empty() || opts.stdin.is_some() || !opts.dirs.is_empty();
    let mut suites = if target.is_dir() {
        if program_only {
            bail!("arguments, --env, --stdin and --dir go with a program, not with a testsuite folder");
        }
        wasi_case::load_testsuite_dir(target)?
    } else if target.extension().is_some_and(|e| e == "toml") {
        if program_only {
            bail!("arguments, --env, --stdin and --dir go with a program; a case file gives them per case");
        }
        vec![wasi_case::load_case_file(target)?]
    } else if target.extension().is_some_and(|e| e == "json") {
        bail!(
            "{} is a specification: give its program (the .wasm beside it) or the folder",
            target.display()
        );
    } else {
        let wasm = wasi_case::read_program(target)?;
        let mut env = Vec::new();
        for pair in &opts.env {
            let Some((k, v)) = pair.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                bail!("--env {pair}: expected NAME=VALUE with a name");
            };
            env.push((k.to_string(), v.to_string()));
        }
        let stdin = match &opts.stdin {
            Some(f) => {
                std::fs::read_to_string(f).with_context(|| format!("cannot read --stdin {}", f.display()))?
            }
            None => String::new(),
        };
        let case = wasi_case::command_line_case(opts.args.clone(), env, stdin, &opts.dirs)?;
        vec![WasiSuite {
            program: target.clone(),
            wasm,
            cases: vec![case],
            skip: None,
        }]
    };
    if let Some(types) = &opts.random_args {
        let types = wasi_case::parse_arg_types(types)?;
        if opts.count == 0 {
            bail!("--count 0 makes no run");
        }
        for suite in &mut suites {
            suite.cases = suite
                .cases
                .iter()
                .flat_map(|base| wasi_case::random_cases(&types, opts.seed, opts.count, base))
                .collect();
        }
    }
    Ok(suites)
}

/// WASI runtimes that run here, and those that cannot (with why).
pub type WasiEngines = (Vec<Box<dyn WasiEngine>>, Vec<Unavailable>);

/// The WASI runtimes named (or all), and those that cannot run here.
pub fn resolve(names: &[String]) -> Result<WasiEngines> {
    let names: Vec<String> = if names.is_empty() {
        wasmgate_runners::registry::wasi_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        names.to_vec()
    };
    let (mut engines, mut unavailable) = (Vec::new(), Vec::new());
    for name in &names {
        match wasmgate_runners::registry::build_wasi(name) {
            Ok(Some(e)) => engines.push(e),
            Ok(None) => bail!(
                "unknown WASI runtime `{name}` (this build has: {})",
                wasmgate_runners::registry::wasi_names().join(", ")
            ),
            Err(BuildError::Unknown(why)) => bail!("{why}"),
            Err(BuildError::Unavailable(why)) => unavailable.push(Unavailable {
                engine: name.clone(),
                reason: why,
            }),
        }
    }
    Ok((engines, unavailable))
}

pub fn run(opts: Opts) -> Result<i32> {
    let suites = suites(&opts)?;
    if let Some(file) = &opts.record {
        if suites.len() != 1 {
            bail!(
                "--record writes the cases of one program; {} names {} programs",
                opts.target
                    .as_ref()
                    .map_or(String::new(), |t| t.display().to_string()),
                suites.len()
            );
        }
        if file.extension().is_none_or(|e| e != "toml") {
            bail!("--record {}: a case file is a .toml file", file.display());
        }
    }
    let known = match &opts.known {
        Some(path) => crate::campaign::known::load(Some(path))?,
        None => Vec::new(),
    };
    let (engines, unavailable) = resolve(&opts.engines)?;
    if engines.len() < 2 {
        let ran: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
        return Err(super::too_few("WASI runtimes", &ran, &unavailable));
    }
    for u in unavailable.iter().filter(|_| !opts.quiet.quiet) {
        eprintln!("wasmgate: {} not run: {}", u.engine, u.reason);
    }
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let name = super::run::stamped("wasi", &started);
    let out = opts.out.or(PathBuf::from("reports").join(&name));
    crate::report::ready_dir(&out)?;
    let _lock = crate::report::open_dir(&out, &[], true)?;
    let mut report = crate::wasi::run(
        name,
        &suites,
        &engines,
        unavailable,
        Duration::from_secs(opts.timeout),
        &out,
        !opts.quiet.quiet,
    )?;
    crate::campaign::known::apply(&mut report, &known);
    crate::report::write_report(&mut report, &out)?;
    report.check_compared_something(&out)?;
    super::run::print_summary(&report, &out, opts.quiet.quiet);
    if let Some(wasi) = report.wasi.as_ref().filter(|w| !w.expectations.is_empty()) {
        println!("against the expected exit codes and output:");
        for (engine, c) in &wasi.expectations {
            println!(
                "  {engine:<15} {:>4} passed {:>4} failed {:>4} skipped",
                c.passed, c.failed, c.skipped
            );
        }
        if !opts.quiet.quiet {
            for m in &wasi.missed {
                println!(
                    "  {} missed {} ({}): expected {}, got {}",
                    m.engine, m.case, m.program, m.expected, m.got
                );
            }
            for s in &wasi.skipped {
                println!("  skipped {}: {}", s.program, s.why);
            }
        }
    }
    if let Some(wasi) = report
        .wasi
        .as_ref()
        .filter(|w| !w.agreed.is_empty() && !opts.quiet.quiet)
    {
        const SHOWN: usize = 10;
        println!("agreed output ({} run(s)):", wasi.agreed.len());
        for a in wasi.agreed.iter().take(SHOWN) {
            println!("  {} [{}]: {}", a.program, a.case, agreed_text(a));
        }
        if wasi.agreed.len() > SHOWN {
            println!(
                "  … {} more in {} (wasi.agreed)",
                wasi.agreed.len() - SHOWN,
                out.join("report.json").display()
            );
        }
    }
    if let Some(file) = &opts.record {
        let written = crate::wasi::record::write(file, &suites[0], &report)?;
        println!(
            "recorded: {} ({} case(s) with their agreed output, {} without)",
            file.display(),
            written.0,
            written.1
        );
    }
    if !opts.quiet.quiet {
        for (engine, t) in &report.timings {
            let secs = t.timings.execute_us as f64 / 1e6;
            println!(
                "{engine}: {} runs, {:.0} runs/s (compile {:.1} ms)",
                t.cases,
                if secs > 0.0 { t.cases as f64 / secs } else { 0.0 },
                t.timings.compile_us as f64 / 1000.0
            );
        }
    }
    Ok(report.exit_code())
}

/// `exit 0, stdout "42\n", stderr ""`, long outputs cut.
fn agreed_text(a: &crate::report::WasiAgreed) -> String {
    let cut = |s: &str| {
        let mut t: String = s.chars().take(60).collect();
        if t.len() < s.len() {
            t.push('…');
        }
        format!("{t:?}")
    };
    let end = match (&a.exit, &a.failed) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(why)) => why.clone(),
        (None, None) => "no end".into(),
    };
    format!("{end}, stdout {}, stderr {}", cut(&a.stdout), cut(&a.stderr))
}
