//! Every option has one definition and one environment mirror: the same
//! `WASMGATE_<NAME>` on every subcommand that takes it, read from each
//! subcommand's `--help` as a user would.

use crate::common;

use common::{code, stdout, wasmgate};
use std::collections::BTreeMap;

const SUBCOMMANDS: &[&str] = &[
    "run",
    "conformance",
    "sweep",
    "engines",
    "repro",
    "merge",
    "shrink",
    "gen",
    "selftest",
    "bench",
    "schema",
];

/// Inputs of one invocation, not settings a CI job would set once.
const NO_MIRROR: &[&str] = &[
    "help",
    "version",
    "seed",
    "wasm",
    "fuzz-input",
    "save",
    "wat",
    "output",
    "json",
    "list-suites",
];

/// `(option, env)` for every long option in a subcommand's `--help`.
fn options(sub: &str) -> Vec<(String, Option<String>)> {
    let o = wasmgate(&[sub, "--help"]);
    assert_eq!(code(&o), 0, "{sub} --help");
    let text = stdout(&o);
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('-') {
            let long = t
                .split(|c: char| c == ',' || c.is_whitespace())
                .find(|w| w.starts_with("--"))
                .map(|w| w.trim_start_matches("--").to_string());
            if let Some(long) = long {
                found.push((long, None));
            }
        }
        // Long help puts `[env: …]` on a line of its own, short help at the end of the option's line.
        if let Some((_, env)) = t.split_once("[env: ")
            && let Some(last) = found.last_mut()
        {
            last.1 = Some(env.split('=').next().unwrap_or("").to_string());
        }
    }
    found
}

#[test]
fn every_option_has_the_same_env_mirror_everywhere() {
    let mut mirror: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut seen = 0;
    for sub in SUBCOMMANDS {
        for (option, env) in options(sub) {
            seen += 1;
            if NO_MIRROR.contains(&option.as_str()) {
                continue;
            }
            let expected = format!("WASMGATE_{}", option.to_uppercase().replace('-', "_"));
            if env.as_deref() != Some(expected.as_str()) {
                missing.push(format!("{sub} --{option}: {env:?}, expected {expected}"));
            }
            if let Some((other, e)) = mirror.get(&option) {
                assert_eq!(e, &env, "--{option}: {sub} and {other} differ");
            }
            mirror.insert(option, (sub.to_string(), env));
        }
    }
    assert!(seen > 60, "read {seen} options");
    assert!(
        missing.is_empty(),
        "options without their mirror:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_profile_variable_reaches_repro_and_gen() {
    // The module `repro --seed` rebuilds is the one `run` ran in the same environment.
    let with_env = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
            .args(args)
            .env("WASMGATE_PROFILE", "simd")
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env.wasm");
    let flag_file = dir.path().join("flag.wasm");
    let o = with_env(&["gen", "--seed", "5", "-o", env_file.to_str().unwrap()]);
    assert_eq!(code(&o), 0);
    let o = wasmgate(&[
        "gen",
        "--seed",
        "5",
        "--profile",
        "simd",
        "-o",
        flag_file.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        std::fs::read(&env_file).unwrap(),
        std::fs::read(&flag_file).unwrap()
    );
    let o = with_env(&["repro", "--seed", "5", "--engines", "wasmi,wasmtime-cranelift"]);
    assert!(stdout(&o).contains("profile=simd"), "{}", stdout(&o));
    // A flag beats its variable.
    let o = with_env(&[
        "repro",
        "--seed",
        "5",
        "--profile",
        "mvp",
        "--engines",
        "wasmi,wasmtime-cranelift",
    ]);
    assert!(stdout(&o).contains("profile=mvp"), "{}", stdout(&o));
}

#[test]
fn boolean_variables_take_the_usual_spellings() {
    for value in ["1", "yes", "on", "true"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
            .args(["repro", "--seed", "2", "--engines", "wasmi,wasmtime-cranelift"])
            .env("WASMGATE_IN_PROCESS", value)
            .output()
            .unwrap();
        assert!(
            [0, 1].contains(&code(&o)),
            "WASMGATE_IN_PROCESS={value}: {}",
            common::stderr(&o)
        );
    }
}

/// A mistyped option keeps clap's "did you mean" on the one error line.
#[test]
fn a_mistyped_option_keeps_its_tip_on_the_one_error_line() {
    let o = common::wasmgate(&["run", "--seed", "5"]);
    let line = common::usage_error(&o);
    assert_eq!(
        line,
        "error: unexpected argument '--seed' found (tip: a similar argument exists: '--seeds')"
    );
    // A command clap finds nothing close to still gets a tip.
    let o = common::wasmgate(&["rn"]);
    assert_eq!(
        common::usage_error(&o),
        "error: unrecognized subcommand 'rn' (tip: did you mean 'run'?)"
    );
    let o = common::wasmgate(&["frobnicate"]);
    let line = common::usage_error(&o);
    assert!(
        line.starts_with("error: unrecognized subcommand 'frobnicate' (tip: the commands are run, "),
        "{line}"
    );
}

/// `wasmgate completions SHELL` prints a completion script made from the same
/// definitions as `--help` (subcommands and their options); an unknown shell
/// is one error line.
#[test]
fn completions_cover_every_subcommand_and_its_options() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = wasmgate(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}");
        let script = stdout(&o);
        // fish writes options as `-l NAME`, the others as `--NAME`.
        for word in ["sweep", "conformance", "require-engines", "init", "profile"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let o = wasmgate(&["completions", "tcsh"]);
    assert_eq!(code(&o), 2);
    let err = common::stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: invalid value 'tcsh'"), "{err}");
}
