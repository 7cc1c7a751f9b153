//! Command-line interface: one file per subcommand, each an `Opts` and a `run`.

mod bench;
mod bridge;
mod check;
mod compat;
pub mod config;
mod conformance;
mod corpus;
mod engines;
mod generate;
mod merge;
mod options;
mod perf;
mod repro;
mod run;
pub mod schema;
mod selftest;
mod shrink;
mod sweep;
mod wasi;
mod worker;

pub use options::*;

use crate::report::exit;
use clap::{CommandFactory, Parser, Subcommand};

/// Exit codes, shown under every `--help`.
const EXIT_CODES: &str = "Exit codes:\n  0  every engine agreed (or only known divergences / expected failures)\n  1  new findings (or new conformance failures)\n  2  usage, configuration or input error, or a run that compared nothing: one `error:` line\n\nOptions marked [env: WASMGATE_<OPTION>] (see --help) read that variable when the flag is absent,\nand a wasmgate.toml profile sets the same options by name: flag > variable > profile > default.";

/// Differential testing of WebAssembly runtimes.
#[derive(Parser, Debug)]
#[command(name = "wasmgate", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Config file of option profiles [default: wasmgate.toml here or in a
    /// parent folder up to the repository root].
    #[arg(long, global = true, value_name = "FILE", env = "WASMGATE_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Profile of the config file to use ([profile.NAME]) [default: default].
    #[arg(long, global = true, value_name = "NAME", env = "WASMGATE_CONFIG_PROFILE")]
    config_profile: Option<String>,
    /// Colour in the terminal output: `auto` (on a terminal, unless
    /// `NO_COLOR` is set), `always` or `never`.
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        env = "WASMGATE_COLOR"
    )]
    color: Color,
}

/// When to colour the output.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Styles of the terminal output, written through `anstream` (which drops
/// them where colour is off).
pub mod style {
    use anstyle::{AnsiColor, Style};
    /// A gate that passed.
    pub const PASS: Style = Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
    /// A gate that failed, a new finding, a regression.
    pub const FAIL: Style = Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
    /// A known finding, a lead.
    pub const NOTE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
    /// A replay command.
    pub const DIM: Style = Style::new().dimmed();

    /// `text` in `style`.
    pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
        format!("{style}{text}{style:#}")
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate seeded modules, run them on every engine and report divergences.
    #[command(after_help = EXIT_CODES)]
    Run(run::Opts),
    /// Run the spec testsuite on every engine, per directive, against the expected-failure list.
    #[command(after_help = EXIT_CODES)]
    Conformance(conformance::Opts),
    /// Run every numeric instruction over boundary operands on every engine and compare.
    #[command(after_help = EXIT_CODES)]
    Sweep(sweep::Opts),
    /// Check your own modules: every engine must agree, and match the vectors file's expectations.
    #[command(after_help = EXIT_CODES)]
    Check(check::Opts),
    /// Compare a module's new version with its old one: exports and behaviour on every engine.
    #[command(after_help = EXIT_CODES)]
    Compat(compat::Opts),
    /// Run WASI command programs on every runtime's own WASI and compare stdout, stderr, exit code and files.
    #[command(after_help = EXIT_CODES)]
    Wasi(wasi::Opts),
    /// The regression corpus: add findings' bundles, replay them all as a gate, keep the smallest per signature.
    #[command(after_help = EXIT_CODES)]
    Corpus(corpus::Opts),
    /// List the engine configurations in this build.
    #[command(after_help = EXIT_CODES)]
    Engines(engines::Opts),
    /// Re-run a finding from its bundle (or a profile and seed) and show what each engine did.
    #[command(after_help = EXIT_CODES)]
    Repro(repro::Opts),
    /// Merge the reports of shards (or like runs) into one.
    #[command(after_help = EXIT_CODES)]
    Merge(merge::Opts),
    /// Minimise a finding's module, keeping its divergence signature.
    #[command(after_help = EXIT_CODES)]
    Shrink(shrink::Opts),
    /// Write the module a profile and seed generate.
    #[command(after_help = EXIT_CODES)]
    Gen(generate::Opts),
    /// Prove the gate can fail: inject a faulty engine and check it is caught and blamed.
    #[command(after_help = EXIT_CODES)]
    Selftest(selftest::Opts),
    /// Measure engine performance on workloads: phases, intervals, baselines, history, leads.
    #[command(after_help = EXIT_CODES)]
    Perf(perf::Opts),
    /// Measure wasmgate's own throughput, harness overhead and parallel scaling.
    #[command(after_help = EXIT_CODES)]
    Bench(bench::Opts),
    /// Print the JSON Schema of run (and sweep, merge) or conformance reports.
    #[command(after_help = EXIT_CODES)]
    Schema(schema::Opts),
    /// Print the completion script of a shell (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Install it where the shell looks, e.g.\n  wasmgate completions bash > ~/.local/share/bash-completion/completions/wasmgate\n  wasmgate completions zsh > ~/.zfunc/_wasmgate\n  wasmgate completions fish > ~/.config/fish/completions/wasmgate.fish"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Serve cases to a supervising campaign over stdin/stdout (internal).
    #[command(hide = true)]
    Worker(worker::Opts),
    /// Serve the engine line protocol from a headless browser (internal).
    #[command(hide = true)]
    BrowserBridge(bridge::Opts),
}

/// For an unknown subcommand clap finds nothing close to (`rn`): the
/// commands starting with it or within an edit per three letters of it (at
/// least one), else all of them.
fn subcommand_tip(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(given)) = e.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    let edits = (given.chars().count() / 3).max(1);
    let close: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with(given.as_str()) || strsim::damerau_levenshtein(given, n) <= edits)
        .map(|n| format!("'{n}'"))
        .collect();
    Some(if close.is_empty() {
        format!("the commands are {}", names.join(", "))
    } else {
        format!("did you mean {}?", close.join(" or "))
    })
}

/// Parses arguments, runs the subcommand and returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = config::apply(&args, &Cli::command()) {
        eprintln!("error: {}", one_line(&format!("{e:#}")));
        return exit::USAGE;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line, as for every other error: clap's own first line with
            // its tips ("a similar subcommand exists: 'run'"), without its
            // usage hint.
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error: bad usage");
            let mut tips: Vec<String> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("tip: "))
                .map(str::to_string)
                .collect();
            if tips.is_empty() {
                tips.extend(subcommand_tip(&e));
            }
            if tips.is_empty() {
                eprintln!("{first}");
            } else {
                eprintln!("{first} (tip: {})", tips.join("; "));
            }
            return exit::USAGE;
        }
        Err(e) => {
            let _ = e.print();
            return exit::AGREE;
        }
    };
    anstream::ColorChoice::write_global(match cli.color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    });
    let result = match cli.command {
        Command::Run(o) => run::run(o),
        Command::Conformance(o) => conformance::run(o),
        Command::Sweep(o) => sweep::run(o),
        Command::Check(o) => check::run(o),
        Command::Compat(o) => compat::run(o),
        Command::Wasi(o) => wasi::run(o),
        Command::Corpus(o) => corpus::run(o),
        Command::Engines(o) => engines::run(o),
        Command::Repro(o) => repro::run(o),
        Command::Selftest(o) => selftest::run(o),
        Command::Gen(o) => generate::run(o),
        Command::Merge(o) => merge::run(o),
        Command::Shrink(o) => shrink::run(o),
        Command::Perf(o) => perf::run(o),
        Command::Bench(o) => bench::run(o),
        Command::Schema(o) => schema::run(o),
        Command::Completions { shell } => {
            // Written whole, so a closed pipe (`| head`) ends it quietly.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wasmgate", &mut script);
            match std::io::Write::write_all(&mut std::io::stdout(), &script) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(anyhow::anyhow!("cannot write the completion script: {e}"))
                }
                _ => Ok(exit::AGREE),
            }
        }
        Command::Worker(o) => worker::run(o),
        Command::BrowserBridge(o) => bridge::run(o),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            exit::USAGE
        }
    }
}

/// An error message as one line: parsers (wat, toml) add a source excerpt on
/// further lines; their `--> file:line:col` location is kept, the rest dropped.
fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default().trim_end().to_string();
    match lines.find_map(|l| l.trim_start().strip_prefix("--> ")) {
        Some(at) => format!("{first} (at {at})"),
        None => first,
    }
}
