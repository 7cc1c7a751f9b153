//! Every option that more than one subcommand takes, defined once with its
//! environment mirror (`WASMGATE_<NAME>`): a CI job sets a variable once and
//! every subcommand that takes the option reads it the same way. A test
//! (`harness/tests/options.rs`) reads every subcommand's `--help` and checks
//! that each option has its mirror.
//!
//! Precedence: a flag beats its variable, which beats the default.

use crate::execute::engines::{Resolved, resolve_all};
use crate::report::SeedRange;
use crate::source::profile::Profile;
use anyhow::{Result, bail};
use clap::builder::BoolishValueParser;
use std::path::PathBuf;

/// Most worker threads a run may ask for: more only adds contention on 2–64
/// cores, and an absurd number (`--jobs 1099511627776`) exhausts the process.
pub const MAX_JOBS: usize = 256;

/// Parses `--jobs`: at least 1, at most [`MAX_JOBS`].
pub fn parse_jobs(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of jobs"))?;
    match n {
        0 => Err("must be at least 1".into()),
        n if n > MAX_JOBS => Err(format!("must be at most {MAX_JOBS}")),
        n => Ok(n),
    }
}

/// Worker threads.
#[derive(clap::Args, Debug, Clone)]
pub struct JobsOpt {
    /// Worker threads, 1 to 256 (default: one per core).
    #[arg(long, short = 'j', env = "WASMGATE_JOBS", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
}

impl JobsOpt {
    /// The jobs asked for, or one per core.
    pub fn get(&self) -> usize {
        self.jobs.unwrap_or_else(default_jobs)
    }
}

/// Number of worker threads when `--jobs` is not given: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_JOBS)
}

/// The report folder.
#[derive(clap::Args, Debug, Clone)]
pub struct OutOpt {
    /// Report folder [default: under reports/, named after the command and time].
    #[arg(long, env = "WASMGATE_OUT")]
    pub out: Option<PathBuf>,
}

impl OutOpt {
    /// The folder asked for, or `default`.
    pub fn or(&self, default: impl Into<PathBuf>) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default.into())
    }
}

/// The generation profile.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileOpt {
    /// Generation profile [default: mixed, which is `default` with every fourth seed `wasm3`].
    #[arg(long, value_enum, env = "WASMGATE_PROFILE")]
    pub profile: Option<Profile>,
}

impl ProfileOpt {
    /// The profile asked for, or `mixed`.
    pub fn get(&self) -> Profile {
        self.profile.unwrap_or(Profile::Mixed)
    }
}

/// A seed range.
#[derive(clap::Args, Debug, Clone)]
pub struct SeedsOpt {
    /// Seeds to run, START..END (end exclusive) [default: the command's own].
    #[arg(long, env = "WASMGATE_SEEDS")]
    pub seeds: Option<SeedRange>,
}

/// Quiet output.
#[derive(clap::Args, Debug, Clone)]
pub struct QuietOpt {
    /// No progress lines: a closing summary only.
    #[arg(long, short = 'q', env = "WASMGATE_QUIET", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub quiet: bool,
}

/// A name filter.
#[derive(clap::Args, Debug, Clone)]
pub struct OnlyOpt {
    /// Only items whose name contains this text (repeatable; comma-separated in the variable).
    #[arg(long, value_name = "TEXT", env = "WASMGATE_ONLY", value_delimiter = ',')]
    pub only: Vec<String>,
}

impl OnlyOpt {
    /// Whether `name` passes the filter.
    pub fn keeps(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }
}

/// The known-divergence list.
#[derive(clap::Args, Debug, Clone)]
pub struct KnownOpt {
    /// Known-divergence list (TOML): findings with these signatures are reported
    /// as known and do not fail the gate [default: the built-in
    /// vectors/known-divergences.toml].
    #[arg(long, env = "WASMGATE_KNOWN")]
    pub known: Option<PathBuf>,
}

/// Options shared by every subcommand that runs engines.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineOpts {
    /// Engines to run, comma-separated (default: every engine in this build).
    /// `mutant:ENGINE:OP`, `crash:ENGINE:OP` and `hang:ENGINE:OP` add a
    /// fault-injecting copy of ENGINE; `slow:ENGINE:PCT` one whose measured
    /// execute phase is PCT % slower (`@compile` or `@instantiate` after PCT
    /// slows that phase instead; `wasmgate perf`).
    #[arg(long, env = "WASMGATE_ENGINES", value_delimiter = ',')]
    pub engines: Vec<String>,
    /// Add an engine that speaks the line protocol of runners/PROTOCOL.md,
    /// started as COMMAND (repeatable), e.g. `--engine-cmd 'my-v8=node my.mjs'`.
    /// In the variable, commands are separated by `;`.
    #[arg(
        long = "engine-cmd",
        value_name = "NAME=COMMAND",
        env = "WASMGATE_ENGINE_CMD",
        value_delimiter = ';'
    )]
    pub engine_cmd: Vec<String>,
    /// Make ENGINE itself faulty (repeatable): OP's result is corrupted, always
    /// or when @TRIGGER holds (see `wasmgate selftest --help` for the triggers).
    /// The engine keeps its name, code base and known-divergence entries, so a
    /// second bug can be put beside a known one; its version says what was put in.
    #[arg(
        long,
        value_name = "ENGINE:OP[@TRIGGER]",
        env = "WASMGATE_FAULT",
        value_delimiter = ','
    )]
    pub fault: Vec<String>,
    /// Engines that must run, comma-separated, or `all` (every engine of the
    /// command): one that cannot start here is an error (exit 2), not a line
    /// in the report, so a CI runner without `jsc` or `chromium` cannot pass
    /// with a smaller vote.
    #[arg(
        long,
        value_name = "LIST|all",
        env = "WASMGATE_REQUIRE_ENGINES",
        value_delimiter = ','
    )]
    pub require_engines: Vec<String>,
}

impl EngineOpts {
    /// The engine specs to use, with the faults put in.
    pub fn names(&self) -> Result<Vec<String>> {
        let mut names = if self.engines.is_empty() {
            crate::execute::engines::default_names()
        } else {
            self.engines.clone()
        };
        names.extend(self.engine_cmd.iter().cloned());
        crate::execute::mutant::put_faults(&mut names, &self.fault)?;
        Ok(names)
    }

    /// Whether any engine was named explicitly.
    pub fn given(&self) -> bool {
        !self.engines.is_empty() || !self.engine_cmd.is_empty() || !self.fault.is_empty()
    }

    /// Builds the engines. One the user named (in `--engines` or
    /// `--engine-cmd`) that cannot start here is an error; one that is merely
    /// among the defaults is set aside with its reason.
    pub fn resolve(&self) -> Result<Resolved> {
        let resolved = resolve_all(&self.names()?)?;
        let named = |engine: &str| {
            !self.engines.is_empty()
                || self
                    .engine_cmd
                    .iter()
                    .any(|c| c.split_once('=').map(|(n, _)| n.trim()) == Some(engine))
        };
        if let Some(u) = resolved.unavailable.iter().find(|u| named(&u.engine)) {
            bail!(
                "engine `{}` was asked for but cannot run here: {}",
                u.engine,
                u.reason
            );
        }
        self.check_required(&resolved)?;
        Ok(resolved)
    }

    /// An error when an engine `--require-engines` names (or, with `all`,
    /// any engine of the command) cannot run.
    fn check_required(&self, resolved: &Resolved) -> Result<()> {
        let all = self.require_engines.iter().any(|r| r == "all");
        let required = |engine: &str| all || self.require_engines.iter().any(|r| r == engine);
        // Every required engine that is missing, in one line.
        let mut missing: Vec<String> = resolved
            .unavailable
            .iter()
            .filter(|u| required(&u.engine))
            .map(|u| format!("`{}` cannot run here ({})", u.engine, u.reason))
            .collect();
        let running: Vec<String> = resolved.engines.iter().map(|e| e.info().name.clone()).collect();
        missing.extend(
            self.require_engines
                .iter()
                .filter(|r| *r != "all" && !running.contains(r))
                .filter(|r| !resolved.unavailable.iter().any(|u| &u.engine == *r))
                .map(|r| {
                    format!(
                        "`{r}` is not among this command's engines ({})",
                        running.join(", ")
                    )
                }),
        );
        if !missing.is_empty() {
            bail!(
                "{} required engine(s) missing (--require-engines): {}",
                missing.len(),
                missing.join("; ")
            );
        }
        Ok(())
    }

    /// [`EngineOpts::resolve`], for a command that compares engines with
    /// each other: fewer than two that can run is an error.
    pub fn resolve_for_comparison(&self) -> Result<Resolved> {
        let resolved = self.resolve()?;
        if resolved.engines.len() < 2 {
            return Err(too_few("engines", &resolved.specs, &resolved.unavailable));
        }
        Ok(resolved)
    }
}

/// The error of a comparison with fewer than two `what` that can run: which
/// ran, and why the others could not.
pub fn too_few(
    what: &str,
    ran: &[String],
    unavailable: &[crate::execute::engines::Unavailable],
) -> anyhow::Error {
    let why: Vec<String> = unavailable
        .iter()
        .map(|u| format!("{}: {}", u.engine, u.reason))
        .collect();
    anyhow::anyhow!(
        "a comparison needs at least two {what}, and only {} can run here{}",
        if ran.is_empty() {
            "none".to_string()
        } else {
            ran.join(", ")
        },
        if why.is_empty() {
            String::new()
        } else {
            format!(" ({})", why.join("; "))
        }
    )
}

/// How campaigns isolate engines, shared by every subcommand that runs them.
#[derive(clap::Args, Debug, Clone)]
pub struct IsolationOpts {
    /// Run engines on the campaign's own threads instead of worker processes
    /// (faster to start, but an engine crash or hang stops the run).
    #[arg(long, env = "WASMGATE_IN_PROCESS", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub in_process: bool,
    /// CPU time each engine may use per case (conformance: per directive) in
    /// a worker process, in seconds (at most a day); past it the worker is
    /// killed and the case is a `hang` finding (the directive a `hang`
    /// failure). The wall clock, at 20 times this, only makes a case
    /// inconclusive (a busy machine), never a hang.
    #[arg(long, default_value_t = 20, env = "WASMGATE_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

impl IsolationOpts {
    /// The isolation these options select.
    pub fn isolation(&self) -> Result<crate::isolate::Isolation> {
        use crate::isolate::Isolation;
        if self.in_process {
            return Ok(Isolation::InProcess);
        }
        let exe =
            std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot locate the wasmgate binary: {e}"))?;
        Ok(Isolation::Processes {
            exe,
            timeout: std::time::Duration::from_secs(self.timeout),
        })
    }
}

/// A team's own vectors: `check` and `compat`.
#[derive(clap::Args, Debug, Clone)]
pub struct VectorsOpt {
    /// Vectors file (TOML; see vectors/check/README.md): imports and calls
    /// with expected results (repeatable; comma-separated in the variable).
    #[arg(long, value_name = "FILE", env = "WASMGATE_VECTORS", value_delimiter = ',')]
    pub vectors: Vec<PathBuf>,
    /// Seeded boundary-heavy calls per export, after the vectors' calls, at
    /// most 100 000 [default: 3, or 0 with --vectors].
    #[arg(long, value_name = "N", env = "WASMGATE_CALLS", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=100_000))]
    pub calls: Option<usize>,
    /// Seed of the seeded calls' arguments.
    #[arg(long, default_value_t = 0, env = "WASMGATE_SEED")]
    pub seed: u64,
}

impl VectorsOpt {
    /// The vectors files, read.
    pub fn read(&self) -> Result<Vec<crate::source::vectors_file::VectorsFile>> {
        crate::source::vectors_file::VectorsFile::read_all(&self.vectors)
    }

    /// Seeded calls per export.
    pub fn calls(&self) -> usize {
        self.calls.unwrap_or(if self.vectors.is_empty() {
            crate::check::DEFAULT_CALLS
        } else {
            0
        })
    }
}
