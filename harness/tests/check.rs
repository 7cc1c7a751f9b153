//! `wasmgate check` and `wasmgate compat` end to end: a team's own modules
//! with imports, expectations, golden vectors, version compatibility, SARIF,
//! config profiles and the known-divergence list's dates.

use crate::common;

use common::{ENGINES, code, report, stderr, stdout, usage_error, wasmgate};
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `wasmgate check ARGS… --out OUT -q` on the three quick engines.
fn check(out: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["check", "-q", "--engines", ENGINES, "--out", s(out)];
    all.extend_from_slice(args);
    wasmgate(&all)
}

/// `counter.toml` without its `module` line, written into `dir` as `name`,
/// with `edit` applied: with `imports_only`, its vectors are dropped.
fn counter_vectors(dir: &Path, name: &str, imports_only: bool, edit: &dyn Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo("vectors/check/counter.toml")).unwrap();
    let mut text = text.replace("module = \"counter.wat\"\n", "");
    if imports_only {
        text = text.split("[[vector]]").next().unwrap().to_string();
    }
    let path = dir.join(name);
    std::fs::write(&path, edit(text)).unwrap();
    path
}

/// The counter's vectors with one expectation wrong (`ids` returns 807).
fn wrong_vectors(dir: &Path) -> PathBuf {
    counter_vectors(dir, "wrong.toml", false, &|t| {
        t.replace("returns = [807]", "returns = [808]")
    })
}

/// The counter's imports only.
fn counter_imports(dir: &Path) -> PathBuf {
    counter_vectors(dir, "imports.toml", true, &|t| t)
}

#[test]
fn counter_vectors_pass_on_every_engine_and_write_every_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let vectors = repo("vectors/check/counter.toml");
    // Every engine in this build, V8 included: the host is the same wasm everywhere.
    let o = wasmgate(&["check", "-q", "--vectors", s(&vectors), "--out", s(&out)]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    let r = report(&out);
    assert_eq!(r["kind"], "check");
    assert_eq!(r["summary"]["calls"], 10);
    assert_eq!(r["summary"]["agreed"], 1);
    assert!(r["run"]["modules"][0].as_str().unwrap().ends_with("counter.wat"));
    for file in ["summary.md", "report.xml", "report.sarif"] {
        assert!(out.join(file).is_file(), "{file}");
    }
}

#[test]
fn a_wrong_expectation_is_a_finding_whose_bundle_replays() {
    let dir = tempfile::tempdir().unwrap();
    let module = repo("vectors/check/counter.wat");
    let vectors = wrong_vectors(dir.path());
    let out = dir.path().join("r");
    let o = check(&out, &[s(&module), "--vectors", s(&vectors)]);
    assert_eq!(code(&o), 1, "{}", common::stderr(&o));
    let r = report(&out);
    let f = &r["findings"][0];
    assert_eq!(f["kind"], "expected");
    assert_eq!(f["expected"], "returns (i32:808)");
    assert_eq!(f["at"]["export"], "ids");
    assert_eq!(f["blamed"].as_array().unwrap().len(), 3);
    // The bundle carries the linked module and the expectation: repro fails the same way.
    let bundle = out.join(f["bundle"].as_str().unwrap());
    let replay = wasmgate(&["repro", s(&bundle)]);
    assert_eq!(code(&replay), 1, "{}", stdout(&replay));
    assert!(stdout(&replay).contains("expected: returns (i32:808)"));
    // SARIF points at the vectors file's line that states the expectation,
    // and names the repro command.
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.sarif")).unwrap()).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "wasmgate/expected");
    let place = &result["locations"][0]["physicalLocation"];
    assert!(
        place["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("wrong.toml"),
        "{place}"
    );
    assert!(place["region"]["startLine"].as_u64().unwrap() > 1, "{place}");
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("wasmgate repro findings/expected-")
    );
}

#[test]
fn a_c_library_with_env_imports_matches_its_golden_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = check(&out, &["--vectors", s(&repo("vectors/check/clib/golden.toml"))]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    let r = report(&out);
    assert_eq!(r["summary"]["calls"], 30);
    // The scripted host was called, and those calls were compared.
    let golden = std::fs::read_to_string(repo("vectors/check/clib/golden.toml")).unwrap();
    assert!(
        golden.contains("host_calls = 257"),
        "crc32_random calls next_random"
    );
    // Recording again from the imports file gives the same vectors.
    let again = dir.path().join("golden.toml");
    let o = check(
        &dir.path().join("r2"),
        &[
            "--vectors",
            s(&repo("vectors/check/clib/imports.toml")),
            "--calls",
            "4",
            "--record",
            s(&again),
        ],
    );
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    let vectors = |t: &str| t[t.find("[[vector]]").unwrap()..].to_string();
    assert_eq!(
        vectors(&std::fs::read_to_string(&again).unwrap()),
        vectors(&golden)
    );
}

#[test]
fn golden_vectors_record_recheck_fail_on_a_change_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let source = std::fs::read_to_string(repo("vectors/check/counter.wat")).unwrap();
    let module = d.join("lib.wat");
    std::fs::write(&module, &source).unwrap();
    counter_imports(d);
    let golden = d.join("golden.toml");
    let o = check(
        &d.join("r1"),
        &[
            s(&module),
            "--vectors",
            s(&d.join("imports.toml")),
            "--calls",
            "2",
            "--record",
            s(&golden),
        ],
    );
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    let text = std::fs::read_to_string(&golden).unwrap();
    assert!(text.contains("module = \"lib.wat\""), "{text}");
    assert!(text.contains("host_calls"), "{text}");
    assert_eq!(text.matches("[[vector]]").count(), 10);
    // Re-checked as is: passes.
    assert_eq!(code(&check(&d.join("r2"), &["--vectors", s(&golden)])), 0);
    // The module changes behaviour: every engine now differs from the golden vectors.
    std::fs::write(&module, source.replace("(i32.const 100)", "(i32.const 10)")).unwrap();
    let o = check(&d.join("r3"), &["--vectors", s(&golden)]);
    assert_eq!(code(&o), 1);
    assert_eq!(report(&d.join("r3"))["findings"][0]["kind"], "expected");
    // --update accepts the new behaviour.
    let o = check(&d.join("r4"), &["--vectors", s(&golden), "--update"]);
    assert_eq!(code(&o), 0, "{}", common::stderr(&o));
    assert_eq!(code(&check(&d.join("r5"), &["--vectors", s(&golden)])), 0);
}

#[test]
fn spec_testsuite_modules_check_with_the_spectest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let mut modules = Vec::new();
    let files = wasmgate_harness::conformance::suite_files("wasm-v2").unwrap();
    for (name, text) in files.iter().filter(|(n, _)| {
        [
            "i32.wast",
            "address.wast",
            "start.wast",
            "float_exprs.wast",
            "global.wast",
        ]
        .iter()
        .any(|f| n.ends_with(&format!("/{f}")))
    }) {
        let buf = wast::parser::ParseBuffer::new(text).unwrap();
        let script: wast::Wast = wast::parser::parse(&buf).unwrap();
        for directive in script.directives {
            if let wast::WastDirective::Module(mut m) = directive
                && let Ok(bytes) = m.encode()
                && modules.len() < 12
            {
                let path = dir
                    .path()
                    .join(format!("{}-{}.wasm", name.replace('/', "_"), modules.len()));
                std::fs::write(&path, bytes).unwrap();
                modules.push(path);
            }
        }
    }
    assert!(modules.len() >= 8, "{} modules", modules.len());
    let out = dir.path().join("r");
    let mut args: Vec<&str> = modules.iter().map(|p| s(p)).collect();
    let spectest = repo("vectors/check/spectest.toml");
    args.extend(["--vectors", s(&spectest), "--calls", "3"]);
    let o = check(&out, &args);
    assert_eq!(code(&o), 0, "{}\n{}", common::stderr(&o), stdout(&o));
    let r = report(&out);
    assert_eq!(r["summary"]["cases"], modules.len() as u64);
    assert!(r["summary"]["calls"].as_u64().unwrap() > 20);
}

#[test]
fn compat_passes_additions_and_fails_changed_signatures_and_behaviour() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = repo("vectors/check/counter.wat");
    let source = std::fs::read_to_string(&old).unwrap();
    let vectors = counter_imports(d);
    let variant = |name: &str, text: String| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let added = variant(
        "added.wat",
        source.replace(
            "(func (export \"half\")",
            "(func (export \"twice\") (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))\n  (func (export \"half\")",
        ),
    );
    let o = check_compat(d, "a", &old, &added, &vectors);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), common::stderr(&o));
    let r = report(&d.join("a"));
    assert_eq!(r["kind"], "compat");
    assert_eq!(r["compat"]["added"][0], "twice");
    assert!(stdout(&o).contains("compatible (1 export(s) added)"));

    let behaviour = variant("behaviour.wat", source.replace("i32.div_s", "i32.div_u"));
    let o = check_compat(d, "b", &old, &behaviour, &vectors);
    assert_eq!(code(&o), 1);
    let r = report(&d.join("b"));
    let changes = r["compat"]["behaviour"].as_array().unwrap();
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c["export"] == "div"), "{changes:?}");
    assert_eq!(r["gate"]["passed"], false);

    let signature = variant(
        "signature.wat",
        source
            .replace(
                "(export \"div\") (param i32 i32)",
                "(export \"div\") (param i64 i32)",
            )
            .replace(
                "(i32.div_s (local.get 0)",
                "(i32.div_s (i32.wrap_i64 (local.get 0))",
            ),
    );
    let o = check_compat(d, "c", &old, &signature, &vectors);
    assert_eq!(code(&o), 1);
    let r = report(&d.join("c"));
    assert_eq!(r["compat"]["changed"][0]["export"], "div");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("c/report.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "wasmgate/compat-signature"
    );
}

fn check_compat(d: &Path, out: &str, old: &Path, new: &Path, vectors: &Path) -> std::process::Output {
    wasmgate(&[
        "compat",
        s(old),
        s(new),
        "-q",
        "--engines",
        ENGINES,
        "--vectors",
        s(vectors),
        "--calls",
        "4",
        "--out",
        s(&d.join(out)),
    ])
}

#[test]
fn bad_vectors_and_modules_are_one_error_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let module = repo("vectors/check/counter.wat");
    let imports = std::fs::read_to_string(counter_imports(d)).unwrap();
    let cases: &[(&str, String, &str)] = &[
        (
            "wrong-type.toml",
            "[[vector]]\nexport = \"div\"\nargs = [1, \"x\"]\n".into(),
            "wrong-type.toml:1: argument 2 of `div`",
        ),
        (
            "unknown-export.toml",
            "\n[[vector]]\nexport = \"nope\"\n".into(),
            "unknown-export.toml:2: ",
        ),
        (
            "bad-trap.toml",
            "[[vector]]\nexport = \"div\"\nargs = [1, 2]\ntrap = \"boom\"\n".into(),
            "unknown trap kind `boom`",
        ),
        (
            "bad-pattern.toml",
            "[[vector]]\nexport = \"half\"\nargs = [1]\nreturns = [\"nan:weird\"]\n".into(),
            "bad-pattern.toml:1: expected result of `half`",
        ),
        (
            "bad-key.toml",
            "[[vectr]]\n".into(),
            "bad-key.toml:1: unknown field `vectr`",
        ),
    ];
    for (name, text, needle) in cases {
        std::fs::write(d.join(name), text).unwrap();
        let o = check(
            &d.join("r"),
            &[
                s(&module),
                "--vectors",
                s(&d.join("imports.toml")),
                "--vectors",
                s(&d.join(name)),
            ],
        );
        let line = usage_error(&o);
        assert!(line.contains(needle), "{name}: {line}");
    }
    // An import given the wrong kind of thing, or a value of the wrong type.
    std::fs::write(d.join("kind.toml"), imports.replace("value = 3", "returns = [3]")).unwrap();
    let line = usage_error(&check(
        &d.join("r"),
        &[s(&module), "--vectors", s(&d.join("kind.toml"))],
    ));
    assert!(
        line.contains("kind.toml:") && line.contains("import env.scale is a global"),
        "{line}"
    );
    std::fs::write(d.join("type.toml"), imports.replace("value = 3", "value = 1.5")).unwrap();
    let line = usage_error(&check(
        &d.join("r"),
        &[s(&module), "--vectors", s(&d.join("type.toml"))],
    ));
    assert!(line.contains("not a value of type i32"), "{line}");
    // Undeclared imports: each named, in one line.
    let line = usage_error(&check(&d.join("r"), &[s(&module)]));
    for import in [
        "env.log (function)",
        "env.next_id (function)",
        "env.scale (global)",
        "env.memory (memory)",
    ] {
        assert!(line.contains(import), "{line}");
    }
    // A module that is not one.
    std::fs::write(d.join("junk.wasm"), b"\0asm\x01\0\0\0\x99").unwrap();
    let line = usage_error(&check(&d.join("r"), &[s(&d.join("junk.wasm"))]));
    assert!(line.contains("is not a valid WebAssembly module"), "{line}");
}

#[test]
fn an_expired_known_divergence_fails_the_gate_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    wrong_vectors(d);
    let module = repo("vectors/check/counter.wat");
    let first = check(
        &d.join("r0"),
        &[s(&module), "--vectors", s(&d.join("wrong.toml"))],
    );
    assert_eq!(code(&first), 1);
    let signature = report(&d.join("r0"))["findings"][0]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let known = |expires: &str| {
        let p = d.join(format!("known-{expires}.toml"));
        std::fs::write(
            &p,
            format!(
                "[[divergence]]\nsignature = \"{signature}\"\nreason = \"tracked\"\nexpires = \"{expires}\"\n"
            ),
        )
        .unwrap();
        p
    };
    let live = known("2999-01-01");
    let o = check(
        &d.join("r1"),
        &[
            s(&module),
            "--vectors",
            s(&d.join("wrong.toml")),
            "--known",
            s(&live),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let expired = known("2020-01-01");
    let o = check(
        &d.join("r2"),
        &[
            s(&module),
            "--vectors",
            s(&d.join("wrong.toml")),
            "--known",
            s(&expired),
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("expired on 2020-01-01"), "{}", stdout(&o));
    let r = report(&d.join("r2"));
    assert!(
        r["gate"]["reason"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01")
    );
    // A malformed date is an input error.
    std::fs::write(
        d.join("bad-date.toml"),
        format!("[[divergence]]\nsignature = \"{signature}\"\nreason = \"x\"\nexpires = \"soon\"\n"),
    )
    .unwrap();
    let line = usage_error(&check(
        &d.join("r3"),
        &[
            s(&module),
            "--vectors",
            s(&d.join("wrong.toml")),
            "--known",
            s(&d.join("bad-date.toml")),
        ],
    ));
    assert!(line.contains("is not a date"), "{line}");
}

#[test]
fn a_known_entry_outside_its_version_range_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    wrong_vectors(d);
    let module = repo("vectors/check/counter.wat");
    check(
        &d.join("r0"),
        &[s(&module), "--vectors", s(&d.join("wrong.toml"))],
    );
    let signature = report(&d.join("r0"))["findings"][0]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let list = |range: &str| {
        let p = d.join("known.toml");
        std::fs::write(&p, format!("[[divergence]]\nsignature = \"{signature}\"\nreason = \"r\"\nengine = \"wasmi\"\nversions = \"{range}\"\n")).unwrap();
        p
    };
    let known = list(">=2.0.0, <3");
    assert_eq!(
        code(&check(
            &d.join("r1"),
            &[
                s(&module),
                "--vectors",
                s(&d.join("wrong.toml")),
                "--known",
                s(&known)
            ]
        )),
        0
    );
    let known = list("<2");
    assert_eq!(
        code(&check(
            &d.join("r2"),
            &[
                s(&module),
                "--vectors",
                s(&d.join("wrong.toml")),
                "--known",
                s(&known)
            ]
        )),
        1
    );
}

#[test]
fn config_profiles_sit_between_variables_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("wasmgate.toml");
    std::fs::write(
        &config,
        "[profile.default]\nengines = [\"wasmtime-cranelift\", \"wasmi\"]\nquiet = true\n\n[profile.ci]\nengines = [\"wasmtime-cranelift\", \"wasmi\", \"wasmer-cranelift\"]\n",
    )
    .unwrap();
    let vectors = repo("vectors/check/counter.toml");
    let engines_of = |out: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"));
        cmd.args([
            "check",
            "--config",
            s(&config),
            "--vectors",
            s(&vectors),
            "--out",
            s(&d.join(out)),
        ])
        .args(extra)
        .env_remove("WASMGATE_ENGINES")
        .envs(env.iter().copied());
        let o = cmd.output().unwrap();
        assert_eq!(code(&o), 0, "{}", common::stderr(&o));
        report(&d.join(out))["engines"].as_array().unwrap().len()
    };
    assert_eq!(engines_of("a", &[], &[]), 2, "profile.default");
    assert_eq!(engines_of("b", &["--config-profile", "ci"], &[]), 3, "profile.ci");
    assert_eq!(
        engines_of(
            "c",
            &["--config-profile", "ci"],
            &[(
                "WASMGATE_ENGINES",
                "wasmi,wasmer-cranelift,wasmtime-winch,wasmtime-pulley"
            )]
        ),
        4,
        "variable beats profile"
    );
    assert_eq!(
        engines_of(
            "d",
            &["--config-profile", "ci", "--engines", "wasmi,wasmtime-winch"],
            &[("WASMGATE_ENGINES", "wasmi")]
        ),
        2,
        "flag beats both"
    );
    std::fs::write(d.join("bad.toml"), "[profile.default]\nengnes = [\"wasmi\"]\n").unwrap();
    let line = usage_error(&wasmgate(&["engines", "--config", s(&d.join("bad.toml"))]));
    assert!(line.contains("bad.toml:2: unknown key `engnes`"), "{line}");
    let line = usage_error(&wasmgate(&[
        "engines",
        "--config",
        s(&config),
        "--config-profile",
        "nightly",
    ]));
    assert!(line.contains("no profile `nightly`"), "{line}");
}

#[test]
fn sarif_validates_against_the_official_2_1_0_schema() {
    // The official OASIS schema, as the serde-sarif crate ships it.
    let meta = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif in the dependency graph")["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let schema_path = Path::new(&manifest).parent().unwrap().join("src/schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    // One pattern of the official schema (`run.language`, "…-[a-zA-Z]{2}]?$")
    // has a stray `]` that ECMAScript reads as a literal and Rust's regex
    // engines reject: escaped here, the schema is otherwise used as published.
    let text = serde_json::to_string(&schema)
        .unwrap()
        .replace("{2}]?$", "{2}\\\\]?$");
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A check with a finding, a compat with incompatibilities, a sweep with a finding.
    wrong_vectors(d);
    let module = repo("vectors/check/counter.wat");
    check(
        &d.join("check"),
        &[s(&module), "--vectors", s(&d.join("wrong.toml"))],
    );
    std::fs::write(
        d.join("v2.wat"),
        std::fs::read_to_string(&module)
            .unwrap()
            .replace("i32.div_s", "i32.div_u"),
    )
    .unwrap();
    check_compat(d, "compat", &module, &d.join("v2.wat"), &d.join("wrong.toml"));
    wasmgate(&[
        "sweep",
        "-q",
        "--engines",
        "wasmtime-cranelift,wasmer-cranelift,mutant:wasmi:i64.add",
        "--only",
        "i64.add",
        "--out",
        s(&d.join("sweep")),
    ]);
    for kind in ["check", "compat", "sweep"] {
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join(kind).join("report.sarif")).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{kind}: {errors:?}");
        assert!(
            !sarif["runs"][0]["results"].as_array().unwrap().is_empty(),
            "{kind} has results"
        );
        // And the typed model of serde-sarif reads it.
        let _: serde_sarif::sarif::Sarif = serde_json::from_value(sarif).unwrap();
    }
    // In a repository, results point at its text files by relative URI: an
    // expectation at the vectors file's line that states it, a generated
    // finding at its bundle's module.wat on the line of its function.
    let repo_dir = d.join("repo");
    std::fs::create_dir_all(repo_dir.join(".git")).unwrap();
    std::fs::copy(d.join("wrong.toml"), repo_dir.join("wrong.toml")).unwrap();
    std::fs::copy(&module, repo_dir.join("counter.wat")).unwrap();
    let o = common::wasmgate_in(
        &repo_dir,
        &[
            "check",
            "-q",
            "--engines",
            ENGINES,
            "--out",
            "out",
            "counter.wat",
            "--vectors",
            "wrong.toml",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = common::wasmgate_in(
        &repo_dir,
        &[
            "sweep",
            "-q",
            "--engines",
            "wasmtime-cranelift,wasmer-cranelift,mutant:wasmi:i64.add",
            "--only",
            "i64.add",
            "--out",
            "sweep",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = std::fs::read_to_string(repo_dir.join("wrong.toml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let stated = lines.iter().position(|l| l.contains("returns = [808]")).unwrap();
    let header = (0..stated)
        .rev()
        .find(|&i| lines[i].starts_with("[[vector]]"))
        .unwrap()
        + 1;
    for (kind, uri, line) in [
        ("out", "wrong.toml".to_string(), Some(header as u64)),
        ("sweep", String::new(), None),
    ] {
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(repo_dir.join(kind).join("report.sarif")).unwrap())
                .unwrap();
        let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{kind}: {errors:?}");
        let run = &sarif["runs"][0];
        let root = run["originalUriBaseIds"]["SRCROOT"]["uri"].as_str().unwrap();
        assert!(root.starts_with("file:///") && root.ends_with("/repo/"), "{root}");
        let place = &run["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(
            place["artifactLocation"]["uriBaseId"], "SRCROOT",
            "{kind}: {place}"
        );
        let got = place["artifactLocation"]["uri"].as_str().unwrap();
        let at = place["region"]["startLine"].as_u64().unwrap();
        match line {
            Some(line) => {
                assert_eq!(got, uri, "{kind}");
                assert_eq!(at, line, "{kind}: the `[[vector]]` that states the expectation");
            }
            None => {
                // The bundle's module.wat, on the line of the diverging call's function.
                assert!(
                    got.starts_with("sweep/findings/") && got.ends_with("/module.wat"),
                    "{got}"
                );
                let wat = std::fs::read_to_string(repo_dir.join(got)).unwrap();
                let shown = wat.lines().nth(at as usize - 1).unwrap();
                assert!(shown.trim_start().starts_with("(func"), "line {at}: {shown}");
            }
        }
    }
}

#[test]
fn the_markdown_summary_is_appended_to_the_github_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args([
            "check",
            "-q",
            "--engines",
            ENGINES,
            "--vectors",
            s(&repo("vectors/check/counter.toml")),
            "--out",
            s(&dir.path().join("r")),
        ])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n"));
    assert!(text.contains("# wasmgate check"), "{text}");
}

/// A team's module in WebAssembly 3.0 (GC types in rec groups, exceptions)
/// is checked like any other: its imports and types are read, the engines
/// with the features run it and agree, the others are skipped and counted.
#[test]
fn a_wasm3_module_is_checked_on_the_engines_that_run_it() {
    let dir = tempfile::tempdir().unwrap();
    for module in ["gc", "exceptions"] {
        let path = format!("{}/../vectors/wasm3/{module}.wat", env!("CARGO_MANIFEST_DIR"));
        let out = dir.path().join(module);
        let o = wasmgate(&[
            "check",
            &path,
            "--engines",
            "wasmtime-cranelift,wasmi,jsc-omg",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{module}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains("skipped (module needs a feature the engine lacks): wasmi 1"),
            "{}",
            stdout(&o)
        );
    }
}

/// `check --init MODULE` writes a starter vectors file beside the module —
/// every import with its signature and a default, a call of every export —
/// that `check` then runs as it is, and never writes over one.
#[test]
fn init_writes_a_starter_vectors_file_that_checks_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("lib.wat");
    std::fs::write(
        &module,
        r#"(module
  (import "env" "log" (func $log (param i32 i64)))
  (import "env" "rand" (func $rand (result f64)))
  (import "env" "memory" (memory 1))
  (import "env" "base" (global i32))
  (func (export "run") (param i32) (result i32)
    (call $log (local.get 0) (i64.const 1))
    (i32.add (global.get 0) (i32.load (local.get 0))))
  (func (export "noise") (result f64) (call $rand)))"#,
    )
    .unwrap();
    let o = wasmgate(&["check", "--init", s(&module)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let target = dir.path().join("lib.vectors.toml");
    assert!(stdout(&o).contains("4 import(s), 2 call(s)"), "{}", stdout(&o));
    let text = std::fs::read_to_string(&target).unwrap();
    for seen in [
        "module = \"lib.wat\"",
        "# function (i32, i64) -> (nothing)",
        "# function (nothing) -> (f64)",
        "returns = [0.0]",
        "# global i32\nvalue = 0",
        "# memory, zeroed",
        "export = \"run\"\n# (i32) -> (i32)\nargs = [0]",
        "export = \"noise\"",
    ] {
        assert!(text.contains(seen), "no {seen:?} in\n{text}");
    }
    // As written, it checks: the engines agree on every call.
    let out = dir.path().join("r");
    let o = check(&out, &["--vectors", s(&target)]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(report(&out)["summary"]["agreed"], 1);
    // Never over an existing file.
    let o = wasmgate(&["check", "--init", s(&module)]);
    let line = usage_error(&o);
    assert!(line.contains("already exists"), "{line}");
    assert!(
        !text.contains("[[scenario]]"),
        "no allocator, no scenario:\n{text}"
    );
    // A module with an allocator gets a scenario skeleton through memory
    // (AssemblyScript's `__new(size, id)` here), which checks as it is too.
    let lib = dir.path().join("aslib.wasm");
    std::fs::copy(repo("vectors/check/aslib/aslib.wasm"), &lib).unwrap();
    let o = wasmgate(&["check", "--init", s(&lib)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let target = dir.path().join("aslib.vectors.toml");
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(
        text.contains("[[scenario.step]]\nlet = \"p\"\ncall = \"__new\"\nargs = [16, 1]"),
        "{text}"
    );
    let out = dir.path().join("r2");
    let o = check(&out, &["--vectors", s(&target)]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let exports: Vec<String> = report(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert!(exports.is_empty(), "{exports:?}");
}

/// Three libraries used as their callers use them (allocate, write the
/// input into memory, call, read the output back) — C on wasi-libc's
/// `malloc`, a Rust `cdylib` with an exported allocator, AssemblyScript with
/// its exported runtime (`__new`, `__pin`) — pass their scenarios on every
/// engine, with at least 95 % of the calls returning a value (textlib's one
/// other step must trap).
#[test]
fn scenarios_run_c_rust_and_assemblyscript_libraries_through_memory_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    for (lib, calls, returned) in [("textlib", 21, 20), ("rustlib", 18, 18), ("aslib", 15, 15)] {
        let out = dir.path().join(lib);
        let vectors = repo(&format!("vectors/check/{lib}/scenarios.toml"));
        let o = wasmgate(&["check", "-q", "--vectors", s(&vectors), "--out", s(&out)]);
        assert_eq!(code(&o), 0, "{lib}: {}{}", stdout(&o), stderr(&o));
        let r = report(&out);
        assert_eq!(r["summary"]["calls"], calls, "{lib}");
        assert_eq!(r["summary"]["calls_returned"], returned, "{lib}");
        assert!(returned as f64 / calls as f64 >= 0.95, "{lib}");
        assert_eq!(r["summary"]["agreed"], 1, "{lib}");
        assert_eq!(
            r["engines"].as_array().unwrap().len(),
            common::all_engines(),
            "{lib}"
        );
    }
}

/// A step whose expectation is wrong is a finding naming the scenario and
/// the step; an unbound variable is one error line naming the file's line.
#[test]
fn a_scenario_step_names_itself_in_findings_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("vectors/check/textlib/scenarios.toml")).unwrap();
    let module = s(&repo("vectors/check/textlib/textlib.wasm")).to_string();
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(
        &wrong,
        text.replace("module = \"textlib.wasm\"", &format!("module = {module:?}"))
            .replace("text = \"WASM{GATE}Z\"", "text = \"WASM{GATE}z\""),
    )
    .unwrap();
    let out = dir.path().join("r");
    let o = check(&out, &["--vectors", s(&wrong)]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let finding = &report(&out)["findings"][0];
    assert_eq!(finding["kind"], "expected", "{finding}");
    assert_eq!(
        finding["at"]["export"], "upcase in place[4] read 11 bytes at $s",
        "{finding}"
    );
    let unbound = dir.path().join("unbound.toml");
    std::fs::write(
        &unbound,
        text.replace("module = \"textlib.wasm\"", &format!("module = {module:?}"))
            .replace("args = [\"$p\", 5]", "args = [\"$q\", 5]"),
    )
    .unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("args = [\"$p\", 5]"))
        .unwrap();
    let err = usage_error(&check(&out, &["--vectors", s(&unbound)]));
    assert!(
        err.contains("`$q` is not bound by an earlier step's `let`")
            && err.contains("scenario `hash` step 3"),
        "{err}"
    );
    // The step's table starts two lines above its `args`.
    assert!(err.contains(&format!("unbound.toml:{}", line - 1)), "{err}");
}

/// `--record` writes each step's agreed result into the step (`returns`,
/// or a read's bytes as text or hex), which checks as it is; `compat`
/// between two releases names the step whose behaviour changed.
#[test]
fn scenarios_record_and_compat_names_the_changed_step() {
    let dir = tempfile::tempdir().unwrap();
    let lib = repo("vectors/check/textlib");
    let recorded = dir.path().join("golden.toml");
    let o = check(
        &dir.path().join("r1"),
        &[
            "--vectors",
            s(&lib.join("scenarios.toml")),
            "--record",
            s(&recorded),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&recorded).unwrap();
    assert!(text.contains("text = \"WASM{GATE}Z\""), "{text}");
    assert!(text.contains("hex = \"0201\""), "{text}");
    assert!(text.contains("returns = [1335831723]"), "{text}");
    let o = check(
        &dir.path().join("r2"),
        &[s(&lib.join("textlib.wasm")), "--vectors", s(&recorded)],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = wasmgate(&[
        "compat",
        "-q",
        "--engines",
        ENGINES,
        "--out",
        s(&dir.path().join("c")),
        "--vectors",
        s(&lib.join("scenarios.toml")),
        s(&lib.join("textlib-1.0.wasm")),
        s(&lib.join("textlib.wasm")),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("INCOMPATIBLE: call 7 upcase in place[3] upcase($s, 11)"),
        "{text}"
    );
    assert!(text.contains("compat: 2 incompatibilit"), "{text}");
}

/// A module with imports runs under `perf --wasm`, `repro --wasm` and
/// `corpus mutate --wasm` given the vectors file that declares them (the
/// same host as `check`); without it, each says in one line what to give.
#[test]
fn perf_repro_and_corpus_mutate_take_a_module_with_imports_given_its_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let module = repo("vectors/check/clib/clib.wasm");
    let imports = repo("vectors/check/clib/imports.toml");
    let o = wasmgate(&[
        "perf",
        "-q",
        "--no-history",
        "--engines",
        ENGINES,
        "--reps",
        "3",
        "--wasm",
        s(&module),
        "--call",
        "crc32_random",
        "200",
        "--vectors",
        s(&imports),
        "--out",
        s(&dir.path().join("p")),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(report(&dir.path().join("p"))["summary"]["calls_returned"], 1);
    let o = wasmgate(&[
        "repro",
        "--engines",
        ENGINES,
        "--wasm",
        s(&module),
        "--vectors",
        s(&imports),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // The vectors file's calls first: `gcd(48, 18)` is its first.
    assert!(
        stdout(&o).contains("call 0 \"gcd\"(i32:48, i32:18)"),
        "{}",
        stdout(&o)
    );
    let o = wasmgate(&[
        "corpus",
        "mutate",
        "-q",
        "--no-corpus",
        "--engines",
        ENGINES,
        "--mutants",
        "3",
        "--wasm",
        s(&module),
        "--vectors",
        s(&imports),
        "--out",
        s(&dir.path().join("m")),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        report(&dir.path().join("m"))["summary"]["calls_returned"]
            .as_u64()
            .unwrap()
            > 0
    );
    for args in [
        vec![
            "perf",
            "--engines",
            ENGINES,
            "--wasm",
            s(&module),
            "--call",
            "gcd",
            "1",
            "2",
        ],
        vec!["repro", "--engines", ENGINES, "--wasm", s(&module)],
    ] {
        let err = usage_error(&wasmgate(&args));
        assert!(err.contains("imports env.memory (memory)"), "{args:?}: {err}");
        assert!(err.contains("--vectors FILE"), "{args:?}: {err}");
    }
}
