//! Command-line interface: one file per subcommand, each an `Opts` and a `run`.

mod bench;
mod conformance;
mod engines;
mod generate;
mod merge;
mod repro;
mod run;
mod selftest;
mod shrink;
mod sweep;
mod worker;

use crate::report::exit;
use clap::{Parser, Subcommand};

/// Differential testing of WebAssembly runtimes.
#[derive(Parser, Debug)]
#[command(name = "wasmgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate seeded modules, run them on every engine and report divergences.
    Run(run::Opts),
    /// Run the spec testsuite on every engine, per directive, against the expected-failure list.
    Conformance(conformance::Opts),
    /// Run every numeric instruction over boundary operands on every engine and compare.
    Sweep(sweep::Opts),
    /// List the engine configurations in this build.
    Engines(engines::Opts),
    /// Re-run a finding from its bundle (or a profile and seed) and show what each engine did.
    Repro(repro::Opts),
    /// Merge the reports of shards (or like runs) into one.
    Merge(merge::Opts),
    /// Minimise a finding's module, keeping its divergence signature.
    Shrink(shrink::Opts),
    /// Write the module a profile and seed generate.
    Gen(generate::Opts),
    /// Prove the gate can fail: inject a faulty engine and check it is caught and blamed.
    Selftest(selftest::Opts),
    /// Measure throughput, harness overhead and parallel scaling.
    Bench(bench::Opts),
    /// Serve cases to a supervising campaign over stdin/stdout (internal).
    #[command(hide = true)]
    Worker(worker::Opts),
}

/// Parses arguments, runs the subcommand and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::AGREE };
        }
    };
    let result = match cli.command {
        Command::Run(o) => run::run(o),
        Command::Conformance(o) => conformance::run(o),
        Command::Sweep(o) => sweep::run(o),
        Command::Engines(o) => engines::run(o),
        Command::Repro(o) => repro::run(o),
        Command::Selftest(o) => selftest::run(o),
        Command::Gen(o) => generate::run(o),
        Command::Merge(o) => merge::run(o),
        Command::Shrink(o) => shrink::run(o),
        Command::Bench(o) => bench::run(o),
        Command::Worker(o) => worker::run(o),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::USAGE
        }
    }
}

/// Options shared by every subcommand that runs engines.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineOpts {
    /// Engines to run, comma-separated (default: every engine in this build).
    /// `mutant:ENGINE:OP`, `crash:ENGINE:OP` and `hang:ENGINE:OP` add a
    /// fault-injecting copy of ENGINE.
    #[arg(long, env = "WASMGATE_ENGINES", value_delimiter = ',')]
    pub engines: Vec<String>,
    /// Add an engine that speaks the line protocol of runners/PROTOCOL.md,
    /// started as COMMAND (repeatable), e.g. `--engine-cmd 'my-v8=node my.mjs'`.
    #[arg(long = "engine-cmd", value_name = "NAME=COMMAND")]
    pub engine_cmd: Vec<String>,
}

impl EngineOpts {
    /// The engine specs to use.
    pub fn names(&self) -> Vec<String> {
        let mut names = if self.engines.is_empty() {
            crate::execute::engines::default_names()
        } else {
            self.engines.clone()
        };
        names.extend(self.engine_cmd.iter().cloned());
        names
    }

    /// Whether any engine was named explicitly.
    pub fn given(&self) -> bool {
        !self.engines.is_empty() || !self.engine_cmd.is_empty()
    }

    /// Builds the engines. One the user named (in `--engines` or
    /// `--engine-cmd`) that cannot start here is an error; one that is merely
    /// among the defaults is set aside with its reason.
    pub fn resolve(&self) -> anyhow::Result<crate::execute::engines::Resolved> {
        let resolved = crate::execute::engines::resolve_all(&self.names())?;
        let named = |engine: &str| {
            !self.engines.is_empty()
                || self
                    .engine_cmd
                    .iter()
                    .any(|c| c.split_once('=').map(|(n, _)| n.trim()) == Some(engine))
        };
        if let Some(u) = resolved.unavailable.iter().find(|u| named(&u.engine)) {
            anyhow::bail!(
                "engine `{}` was asked for but cannot run here: {}",
                u.engine,
                u.reason
            );
        }
        Ok(resolved)
    }

    /// [`EngineOpts::resolve`], for a command that compares engines with
    /// each other: fewer than two that can run is an error.
    pub fn resolve_for_comparison(&self) -> anyhow::Result<crate::execute::engines::Resolved> {
        let resolved = self.resolve()?;
        if resolved.engines.len() < 2 {
            let ran: Vec<&str> = resolved.specs.iter().map(String::as_str).collect();
            let why: Vec<String> = resolved
                .unavailable
                .iter()
                .map(|u| format!("{}: {}", u.engine, u.reason))
                .collect();
            anyhow::bail!(
                "a comparison needs at least two engines, and only {} can run here{}",
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
            );
        }
        Ok(resolved)
    }
}

/// Number of worker threads when `--jobs` is not given: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// How campaigns isolate engines, shared by every subcommand that runs them.
#[derive(clap::Args, Debug, Clone)]
pub struct IsolationOpts {
    /// Run engines on the campaign's own threads instead of worker processes
    /// (faster to start, but an engine crash or hang stops the run).
    #[arg(long, env = "WASMGATE_IN_PROCESS")]
    pub in_process: bool,
    /// Wall-clock limit per case (conformance: per directive) in a worker
    /// process, in seconds; past it the worker is killed and the case is a
    /// `hang` finding (the directive a `hang` failure).
    #[arg(long, default_value_t = 20, env = "WASMGATE_TIMEOUT")]
    pub timeout: u64,
}

impl IsolationOpts {
    /// The isolation these options select.
    pub fn isolation(&self) -> anyhow::Result<crate::isolate::Isolation> {
        use crate::isolate::Isolation;
        if self.in_process {
            return Ok(Isolation::InProcess);
        }
        let exe =
            std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot locate the wasmgate binary: {e}"))?;
        Ok(Isolation::Processes {
            exe,
            timeout: std::time::Duration::from_secs(self.timeout.max(1)),
        })
    }
}
