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
            return Some(version.to_string());
        }
    }
    None
}
