//! `wasmgate repro`: replay one case and show what each engine did.

use super::EngineOpts;
use crate::compare::Verdict;
use crate::compare::judge::run_case;
use crate::execute::engines;
use crate::isolate::Isolation;
use crate::isolate::worker::IsolatedExecutor;
use crate::report::bundle::ReproBundle;
use crate::report::exit;
use crate::source::case::TestCase;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// A bundle folder (or its bundle.json) written by `wasmgate run`.
    #[arg(conflicts_with_all = ["seed", "wasm"])]
    bundle: Option<PathBuf>,
    /// Run a module file (`.wasm` or `.wat`) with seeded calls to every export.
    #[arg(long, conflicts_with = "fuzz_input")]
    wasm: Option<PathBuf>,
    /// With --wasm: vectors files giving its imports (and calls and
    /// scenarios, made before the seeded calls), as for `check`.
    #[arg(
        long,
        value_name = "FILE",
        requires = "wasm",
        value_delimiter = ',',
        env = "WASMGATE_VECTORS"
    )]
    vectors: Vec<PathBuf>,
    /// Run the module a libFuzzer input (a `fuzz/artifacts/…` file) stands for.
    #[arg(long, conflicts_with = "seed")]
    fuzz_input: Option<PathBuf>,
    /// Also write the replayed case as a bundle into this folder.
    #[arg(long)]
    save: Option<PathBuf>,
    /// With --seed: the profile to regenerate the case from (a bundle carries its own).
    #[command(flatten)]
    profile: super::ProfileOpt,
    /// … and this seed (with --wasm: the seed of the argument vectors).
    #[arg(long)]
    seed: Option<u64>,
    /// Engines (default: those named in the bundle, or every engine in this build).
    #[command(flatten)]
    engines: EngineOpts,
    #[command(flatten)]
    isolation: super::IsolationOpts,
}

pub fn run(opts: Opts) -> Result<i32> {
    if let Some(path) = &opts.bundle
        && crate::report::wasi_bundle::is_wasi_bundle(path)
    {
        return wasi_repro(path, &opts);
    }
    let (case, default_engines) = match (&opts.bundle, opts.seed) {
        _ if opts.fuzz_input.is_some() => {
            let path = opts
                .fuzz_input
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new(""));
            let data =
                std::fs::read(path).with_context(|| format!("cannot read fuzz input {}", path.display()))?;
            let case = crate::source::fuzz_input::case_from_input(&data, &path.display().to_string())
                .with_context(|| format!("{} does not make a module", path.display()))?;
            (case, engines::default_names())
        }
        _ if opts.wasm.is_some() => {
            let path = opts.wasm.as_deref().unwrap_or_else(|| std::path::Path::new(""));
            let files = crate::source::vectors_file::VectorsFile::read_all(&opts.vectors)?;
            (
                load_module(path, opts.seed.unwrap_or(0), &files)?,
                engines::default_names(),
            )
        }
        (Some(path), _) => {
            let bundle = ReproBundle::load(path)?;
            let names: Vec<String> = bundle
                .engines
                .iter()
                .map(crate::execute::mutant::spec_of)
                .collect();
            (bundle.case, names)
        }
        (None, Some(seed)) => (
            TestCase::generated(opts.profile.get(), seed)?,
            engines::default_names(),
        ),
        (None, None) => bail!("give a bundle path, --wasm FILE, or --seed N (with --profile P)"),
    };
    let names = if opts.engines.given() {
        opts.engines.names()?
    } else {
        default_engines
    };
    let resolved = if opts.engines.given() {
        opts.engines.resolve_for_comparison()?
    } else {
        engines::resolve_all(&names)?
    };
    for u in &resolved.unavailable {
        eprintln!("wasmgate: {} not run: {}", u.engine, u.reason);
    }
    let (engines, names) = (resolved.engines, resolved.specs);
    let isolation = opts.isolation.isolation()?;
    let (outcomes, verdict) = match &isolation {
        Isolation::InProcess => run_case(&engines, &case),
        Isolation::Processes { exe, timeout } => {
            let result = IsolatedExecutor::new(exe.clone(), names.clone(), *timeout).run_case(&case)?;
            let verdict = result.verdict.map_err(|e| anyhow::anyhow!(e))?;
            (result.outcomes.unwrap_or_default(), verdict)
        }
    };
    print!(
        "{}",
        crate::report::side_by_side::render(&case, &outcomes, &verdict)
    );
    if let Verdict::Diverge(d) = &verdict
        && let Some((signature, cause)) = crate::campaign::attribute::explain_case(
            &crate::isolate::bench::Bench::new(&engines, &names, &isolation),
            &case,
            d,
        )
    {
        println!(
            "  finding {signature}: root cause {} ({}), as a report names it",
            cause.id, cause.text
        );
    }
    if let Some(dir) = &opts.save {
        let infos = engines.iter().map(|e| e.info().clone()).collect();
        crate::report::bundle::ReproBundle::new(&case, infos, outcomes, verdict.clone())
            .write(dir, &case.wasm)?;
        saved(dir);
    }
    exit_of(&verdict)
}

/// Reads a module file as a test case; a file that is not a valid module is
/// a usage error here, since there is nothing to compare engines on. With
/// vectors files, the case is `check`'s: their host linked in, their calls
/// and scenarios, then the seeded calls.
pub fn load_module(
    path: &std::path::Path,
    vector_seed: u64,
    files: &[crate::source::vectors_file::VectorsFile],
) -> Result<TestCase> {
    if !files.is_empty() {
        let files: Vec<_> = files.iter().collect();
        return Ok(
            crate::check::prepare(path, &files, crate::source::case::CALLS_PER_EXPORT, vector_seed)?.case,
        );
    }
    let wasm = crate::check::linked(path, &[])?;
    let origin = crate::source::case::Origin::File {
        path: path.display().to_string(),
    };
    Ok(TestCase::from_module(
        origin,
        wasm,
        vector_seed,
        crate::source::case::CALLS_PER_EXPORT,
    ))
}

/// Replays a WASI bundle on the runtimes it names (or `--engines`).
fn wasi_repro(path: &std::path::Path, opts: &Opts) -> Result<i32> {
    use crate::report::wasi_bundle::WasiBundle;
    let (bundle, suite) = WasiBundle::load(path)?;
    let names: Vec<String> = if opts.engines.given() {
        opts.engines.names()?
    } else {
        bundle.engines.iter().map(|e| e.name.clone()).collect()
    };
    let (engines, unavailable) = super::wasi::resolve(&names)?;
    for u in &unavailable {
        eprintln!("wasmgate: {} not run: {}", u.engine, u.reason);
    }
    let timeout = crate::wasi::RUN_TIMEOUT;
    let names: Vec<String> = engines.iter().map(|e| e.info().name.clone()).collect();
    let runs =
        crate::wasi::isolate::Workers::new(crate::wasi::isolate::this_exe()?, &names).run(&suite, timeout);
    let case = &suite.cases[0];
    let observed = crate::wasi::observations(&runs, 0);
    let refs: Vec<_> = observed.iter().collect();
    let verdict = crate::compare::wasi::compare(&bundle.program, bundle.run, case, &refs);
    print!(
        "{}",
        crate::report::side_by_side::render_wasi(&bundle.program, case, &observed, &verdict)
    );
    if let Some(dir) = &opts.save {
        let infos = engines.iter().map(|e| e.info().clone()).collect();
        WasiBundle::new(&suite, 0, infos, observed, verdict.clone()).write(dir, &suite.wasm)?;
        saved(dir);
    }
    exit_of(&verdict)
}

/// Says where `--save` wrote the bundle and how to replay it.
fn saved(dir: &std::path::Path) {
    println!(
        "bundle: {} (replay: wasmgate repro {})",
        dir.display(),
        dir.display()
    );
}

/// The exit code of a replay: 1 while the engines diverge; an inconclusive
/// case compared nothing, so it is an error (exit 2), never a pass.
fn exit_of(verdict: &Verdict) -> Result<i32> {
    match verdict {
        Verdict::Diverge(_) => Ok(exit::FINDINGS),
        Verdict::Inconclusive { reason, .. } => {
            anyhow::bail!("the case is inconclusive ({reason}): nothing was compared")
        }
        _ => Ok(exit::AGREE),
    }
}
