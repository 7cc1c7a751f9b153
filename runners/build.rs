//! Records the exact versions of the runtime crates this build links, read from
//! the workspace lock file, so every report names the engine versions it tested.

use std::path::Path;

const RUNTIMES: [(&str, &str); 4] = [
    ("wasmtime", "WASMTIME"),
    ("wasmer", "WASMER"),
    ("wasmi", "WASMI"),
    ("wasmer-wasix", "WASMER_WASIX"),
];

fn main() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    for (krate, var) in RUNTIMES {
        let version = locked_version(&lock, krate).unwrap_or_else(|| "unknown".to_string());
        println!("cargo:rustc-env=WASMGATE_{var}_VERSION={version}");
    }
}

/// The locked version of `krate`; a crate built from a local folder (a
/// `[patch]` to a checkout: scripts/build-against.sh) has no `source` in the
/// lock file and says so, since its version number alone would name a release.
fn locked_version(lock: &str, krate: &str) -> Option<String> {
    let needle = format!("name = \"{krate}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            let version = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            let registry = lines.next().is_some_and(|l| l.trim().starts_with("source = "));
            return Some(if registry {
                version.to_string()
            } else {
                format!("{version} (local checkout)")
            });
        }
    }
    None
}
