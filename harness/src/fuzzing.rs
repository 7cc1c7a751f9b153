//! The logic of the cargo-fuzz targets in `fuzz/`, kept here so that plain
//! `cargo test` exercises it (see the smoke tests below) and it never rots.
//! Each target hands libFuzzer's bytes to one function of this module and
//! panics on the `Err` it returns.

use crate::compare::Verdict;
use crate::source::fuzz_input::case_from_input;
use anyhow::{Result, bail};
use std::sync::{Arc, OnceLock};
use wasmgate_runners::Engine;

/// The in-process engines of this build, built once per fuzzing process.
/// (V8 is left out: a node round trip per input would starve libFuzzer.)
fn engines() -> &'static [Arc<dyn Engine>] {
    static ENGINES: OnceLock<Vec<Arc<dyn Engine>>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let names: Vec<String> = crate::execute::engines::default_names()
            .into_iter()
            .filter(|n| !n.starts_with("v8-"))
            .collect();
        crate::execute::engines::resolve_all(&names)
            .map(|r| r.engines)
            .unwrap_or_default()
    })
}

/// Differential target: every engine runs the module; a divergence is an `Err`.
pub fn differential(data: &[u8]) -> Result<()> {
    let Ok(case) = case_from_input(data, "fuzz-input") else {
        return Ok(()); // not enough bytes for a module: nothing to test
    };
    let (_, verdict) = crate::compare::judge::run_case(engines(), &case);
    if let Verdict::Diverge(d) = verdict {
        bail!(
            "engines diverge at {}: {} (signature {})",
            d.step,
            d.kind,
            d.signature
        );
    }
    Ok(())
}

/// Validation target: every engine accepts exactly the byte strings that
/// wasmparser, with that engine's features, accepts.
pub fn validation(data: &[u8]) -> Result<()> {
    for engine in engines() {
        let referee = crate::source::module_info::validate(data, &engine.info().features).is_ok();
        let accepted = engine.compile(data).is_ok();
        if accepted != referee {
            let what = if accepted { "accepts" } else { "rejects" };
            bail!(
                "{} {what} bytes that wasmparser {}",
                engine.info().name,
                if referee { "accepts" } else { "rejects" }
            );
        }
    }
    Ok(())
}

/// wast target: the `.wast` parser must not panic on any text; errors are fine.
pub fn wast_parse(data: &[u8]) -> Result<()> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let Ok(buf) = wast::parser::ParseBuffer::new(text) else {
        return Ok(());
    };
    let _ = wast::parser::parse::<wast::Wast>(&buf);
    Ok(())
}

#[cfg(test)]
mod smoke {
    //! Seeded inputs through each target, as `cargo fuzz run` would feed them.
    use super::*;
    use crate::source::fuzz_input::module_from_input;
    use rand_chacha::rand_core::RngCore;

    fn inputs(n: usize, len: usize) -> Vec<Vec<u8>> {
        let mut rng = crate::source::generate::rng(0xf022, 7);
        (0..n)
            .map(|_| {
                let mut v = vec![0u8; len];
                rng.fill_bytes(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn differential_runs_generated_modules_on_every_engine() {
        let mut modules = 0;
        for input in inputs(30, 2048) {
            if module_from_input(&input).is_ok() {
                modules += 1;
            }
            // A divergence is a real finding (e.g. wasmi's select bug), not a smoke failure.
            let _ = differential(&input);
        }
        assert!(modules > 20, "{modules} of 30 inputs made a module");
        assert!(engines().len() >= 4);
    }

    #[test]
    fn validation_agrees_on_modules_and_on_noise() {
        for input in inputs(30, 512) {
            validation(&input).unwrap();
        }
        for input in inputs(10, 2048) {
            if let Ok(wasm) = module_from_input(&input) {
                validation(&wasm).unwrap();
                validation(&wasm[..wasm.len() / 2]).unwrap();
            }
        }
    }

    #[test]
    fn validation_agrees_on_a_feature_gated_module() {
        // Sign extension is outside the MVP; engines that have it must accept,
        // and the referee must know it is feature-gated.
        let wasm = wat::parse_str(r#"(module (func (result i32) (i32.const 1) (i32.extend8_s)))"#).unwrap();
        assert!(crate::source::module_info::validate(&wasm, &[]).is_err());
        validation(&wasm).unwrap();
    }

    #[test]
    fn wast_parser_survives_garbage_and_real_scripts() {
        for input in inputs(50, 256) {
            wast_parse(&input).unwrap();
        }
        wast_parse(b"(module (func (export \"f\") (result i32) i32.const 1)) (assert_return (invoke \"f\") (i32.const 1))").unwrap();
        wast_parse(b"(module (func").unwrap();
    }
}
