//! `scripts/bad-inputs.sh`: every bad input it tries (malformed modules,
//! corrupt reports, journals and bundles, bad flags and variables, missing
//! engines) gets exactly one `error:` line and exit 2, and nothing panics.

#[test]
fn every_bad_input_gets_one_clear_error_and_exit_2() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bad-inputs.sh");
    let o = std::process::Command::new("bash")
        .arg(&script)
        .env("WASMGATE", env!("CARGO_BIN_EXE_wasmgate"))
        .current_dir(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let last = out.lines().last().unwrap_or_default();
    assert!(last.starts_with("bad inputs: "), "{out}");
    assert!(last.ends_with(", 0 panics"), "{last}");
}
