//! `scripts/bad-inputs.sh`: every bad input it tries (malformed modules,
//! corrupt reports, journals and bundles, bad flags and variables, missing
//! engines) gets exactly one `error:` line and exit 2, and nothing panics.

use crate::common;

#[test]
fn every_bad_input_gets_one_clear_error_and_exit_2() {
    let _heavy = common::heavy();
    let o = common::script("bad-inputs.sh", &[], &[]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{out}\n{}", common::stderr(&o));
    let last = out.lines().last().unwrap_or_default();
    assert!(last.starts_with("bad inputs: "), "{out}");
    assert!(last.ends_with(", 0 panics"), "{last}");
    // scripts/README.md states how many inputs are tried: that figure is this run's.
    let tried = last.trim_start_matches("bad inputs: ").split(' ').next().unwrap();
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/README.md"),
    )
    .unwrap();
    assert!(
        readme.contains(&format!("`bad-inputs.sh` — {tried} bad inputs")),
        "scripts/README.md must say {tried} bad inputs"
    );
}
