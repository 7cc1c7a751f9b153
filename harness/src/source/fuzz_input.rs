//! Fuzz inputs as a case source: libFuzzer's bytes drive wasm-smith with the
//! `default` profile, as a seed's ChaCha stream would.

use crate::source::case::{CALLS_PER_EXPORT, Origin, TestCase};
use crate::source::generate::FUEL_GLOBAL;
use crate::source::profile::{CALL_FUEL, Profile};
use anyhow::Result;

/// The module a fuzz input stands for: the input bytes drive wasm-smith with
/// the `default` profile's configuration, as a seed's ChaCha stream would.
pub fn module_from_input(data: &[u8]) -> Result<Vec<u8>> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut module = wasm_smith::Module::new(Profile::Default.smith_config(), &mut u)?;
    let fuel = module.ensure_termination(CALL_FUEL)?;
    crate::source::rewrite::export_global(&module.to_bytes(), fuel, FUEL_GLOBAL)
}

/// The test case for a fuzz input saved at `path` (for `wasmgate repro --fuzz-input`).
pub fn case_from_input(data: &[u8], path: &str) -> Result<TestCase> {
    let wasm = module_from_input(data)?;
    let mut case = TestCase::from_module(
        Origin::Fuzz {
            path: path.to_string(),
        },
        wasm,
        0,
        CALLS_PER_EXPORT,
    );
    case.features = Some(Profile::Default.features());
    Ok(case)
}
