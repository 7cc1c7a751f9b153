//! `wasmgate check`: a team's own modules, with their vectors and imports.

use super::{EngineOpts, IsolationOpts, KnownOpt, OutOpt, QuietOpt, VectorsOpt};
use crate::check::{self, Prepared};
use crate::compare::judge::CaseResult;
use crate::report::{Compat, Report, ReportKind, bundle::write_atomic};
use crate::source::case::TestCase;
use crate::source::vectors_file;
use anyhow::{Result, anyhow, bail};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// Module files (`.wasm` or `.wat`) [default: the modules the vectors files name].
    modules: Vec<PathBuf>,
    #[command(flatten)]
    common: ModuleOpts,
    /// Write golden vectors to FILE from what every engine agreed on (one module).
    #[arg(long, value_name = "FILE", env = "WASMGATE_RECORD", conflicts_with = "update")]
    record: Option<PathBuf>,
    /// Rewrite the --vectors file with what every engine agrees on now.
    #[arg(long, env = "WASMGATE_UPDATE", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    update: bool,
    /// Write a starter vectors file for the one module given — every import with its
    /// signature and a default, a call of every export — as MODULE's name with
    /// `.vectors.toml` beside it, and check nothing.
    #[arg(long, conflicts_with_all = ["record", "update"])]
    init: bool,
}

/// `check --init MODULE`: the starter vectors file, never over an existing one.
fn init(modules: &[PathBuf]) -> Result<i32> {
    let [module] = modules else {
        bail!("--init takes exactly one module; {} were given", modules.len());
    };
    let wasm = check::read_module(module)?;
    let info = crate::source::module_info::inspect(&wasm)?;
    let stem = module
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "module".into());
    let target = module.with_file_name(format!("{stem}.vectors.toml"));
    if target.exists() {
        bail!(
            "{} already exists: --init never overwrites a vectors file (remove it, or use --record to write one from what engines agree on)",
            target.display()
        );
    }
    let name = module
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = vectors_file::starter(&name, &wasm, &info)?;
    write_atomic(&target, text.as_bytes()).map_err(|e| anyhow!("cannot write {}: {e}", target.display()))?;
    println!(
        "vectors: {} ({} import(s), {} call(s)); fill it in, then: wasmgate check --vectors {}",
        target.display(),
        crate::source::host::imports(&wasm)?.len(),
        info.funcs.len(),
        target.display()
    );
    Ok(0)
}

/// How `compat` makes its comparison from the two versions' case results.
pub type CompatOf<'a> = dyn Fn(&[CaseResult]) -> Compat + 'a;

/// What `check` and `compat` share: the vectors, the engines and the report.
#[derive(clap::Args, Debug)]
pub struct ModuleOpts {
    #[command(flatten)]
    pub vectors: VectorsOpt,
    #[command(flatten)]
    pub cases: CaseOpts,
}

/// What every command that replays ready-made cases shares (`check`,
/// `compat`, `corpus run`): the engines, isolation, known list and report.
#[derive(clap::Args, Debug)]
pub struct CaseOpts {
    #[command(flatten)]
    engines: EngineOpts,
    #[command(flatten)]
    out: OutOpt,
    #[command(flatten)]
    known: KnownOpt,
    #[command(flatten)]
    pub quiet: QuietOpt,
    #[command(flatten)]
    isolation: IsolationOpts,
}

impl CaseOpts {
    /// Runs `cases` (one per module in `modules`) on the engines and writes
    /// the report of `kind` (with `compat` filled in from the results, for
    /// `compat`) into the report folder. Returns the report, its folder and
    /// the case results.
    pub fn run(
        &self,
        kind: ReportKind,
        modules: Vec<String>,
        cases: &[TestCase],
        compat: Option<&CompatOf<'_>>,
    ) -> Result<(Report, PathBuf, Vec<CaseResult>)> {
        let started = (SystemTime::now(), Instant::now());
        if kind == ReportKind::Check && cases.iter().all(|c| c.calls.is_empty()) {
            anyhow::bail!(
                "compared nothing: no function to call (the modules export no function wasmgate can call, \
                 or --calls is 0)"
            );
        }
        let known = crate::campaign::known::load(self.known.known.as_deref())?;
        let resolved = self.engines.resolve_for_comparison()?;
        let isolation = self.isolation.isolation()?;
        let name = super::run::stamped(
            &kind.to_string(),
            &humantime::format_rfc3339_seconds(started.0).to_string(),
        );
        let out = self.out.or(PathBuf::from("reports").join(&name));
        crate::report::ready_dir(&out)?;
        let _lock = crate::report::open_dir(&out, &[], true)?;
        for u in &resolved.unavailable {
            eprintln!("wasmgate: {} not run: {}", u.engine, u.reason);
        }
        if !self.quiet.quiet {
            eprintln!(
                "wasmgate: {kind}: {} module(s), {} calls, on {} engines",
                modules.len(),
                cases.iter().map(|c| c.calls.len()).sum::<usize>(),
                resolved.engines.len()
            );
        }
        let results = check::run_cases(cases, &resolved.engines, &resolved.specs, &isolation)?;
        let mut report = check::report(
            kind,
            name,
            modules,
            cases,
            &results,
            &resolved.engines,
            resolved.unavailable.clone(),
            &isolation,
            &out,
            started,
        )?;
        report.compat = compat.map(|c| c(&results));
        let case_of = |i: u64| cases.get(i as usize).cloned();
        let bench = crate::isolate::bench::Bench::new(&resolved.engines, &resolved.specs, &isolation);
        crate::campaign::attribute::attribute(&mut report, &out, &bench, &known, &case_of);
        drop(bench);
        crate::campaign::known::apply(&mut report, &known);
        crate::report::write_report(&mut report, &out)?;
        report.check_compared_something(&out)?;
        Ok((report, out, results))
    }
}

pub fn run(opts: Opts) -> Result<i32> {
    if opts.init {
        return init(&opts.modules);
    }
    let files = opts.common.vectors.read()?;
    let pairs = check::pair(&opts.modules, &files)?;
    let golden = opts.record.is_some() || opts.update;
    if golden && pairs.len() != 1 {
        bail!(
            "--record and --update take exactly one module; {} were given",
            pairs.len()
        );
    }
    if opts.update && files.len() != 1 {
        bail!("--update rewrites one vectors file: give exactly one --vectors FILE");
    }
    if let Some(target) = opts
        .record
        .as_ref()
        .or(files.first().map(|f| &f.path).filter(|_| golden))
    {
        crate::report::bundle::check_writable(target)
            .map_err(|e| anyhow!("cannot write golden vectors {}: {e}", target.display()))?;
    }
    let mut prepared: Vec<Prepared> = Vec::new();
    for (module, applies) in &pairs {
        let vs: Vec<_> = applies.iter().map(|&i| &files[i]).collect();
        let mut p = check::prepare(module, &vs, opts.common.vectors.calls(), opts.common.vectors.seed)?;
        if golden {
            // What is recorded is what engines agree on now, whatever was expected before.
            p.case.calls.iter_mut().for_each(|c| c.expect = None);
        }
        prepared.push(p);
    }
    let cases: Vec<TestCase> = prepared.iter().map(|p| p.case.clone()).collect();
    let modules = prepared.iter().map(|p| p.path.display().to_string()).collect();
    let (report, out, results) = opts.common.cases.run(ReportKind::Check, modules, &cases, None)?;
    super::run::print_summary(&report, &out, opts.common.cases.quiet.quiet);
    if golden {
        let target = opts.record.clone().unwrap_or_else(|| files[0].path.clone());
        let Some(recorded) = check::agreed(&cases[0], &results[0]) else {
            println!(
                "golden vectors: not written: the engines do not agree on {} (see the findings)",
                prepared[0].path.display()
            );
            return Ok(crate::report::exit::FINDINGS);
        };
        // A recorded file names its module relative to where it is written,
        // and keeps the imports of the vectors file it was run with.
        let module = relative(&prepared[0].path, &target);
        let text = match files.first() {
            Some(file) if opts.update => file.with_vectors(file.named_module(), &recorded)?,
            Some(file) => file.with_vectors(module, &recorded)?,
            None => vectors_file::record_new(module, &recorded)?,
        };
        write_atomic(&target, text.as_bytes())
            .map_err(|e| anyhow!("cannot write golden vectors {}: {e}", target.display()))?;
        println!("golden vectors: {} ({} calls)", target.display(), recorded.len());
    }
    Ok(report.exit_code())
}

/// `module` as a path relative to the folder of `file`, when it is below it.
fn relative(module: &std::path::Path, file: &std::path::Path) -> Option<String> {
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let (m, d) = (canon(module)?, canon(dir)?);
    m.strip_prefix(&d).ok().map(|r| r.display().to_string())
}
