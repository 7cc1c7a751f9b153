//! Small binary rewrites of modules, done by re-encoding with `wasm-encoder`.

use anyhow::{Context, Result};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, RoundtripReencoder, utils};
use wasm_encoder::{ExportKind, ExportSection, Module, SectionId};

/// Returns `wasm` with one more export: global `index` under `name`.
pub fn export_global(wasm: &[u8], index: u32, name: &str) -> Result<Vec<u8>> {
    struct AddExport<'a> {
        index: u32,
        name: &'a str,
        done: bool,
    }
    impl AddExport<'_> {
        fn add(&mut self, exports: &mut ExportSection) {
            exports.export(self.name, ExportKind::Global, self.index);
            self.done = true;
        }
    }
    impl Reencode for AddExport<'_> {
        type Error = std::convert::Infallible;

        fn parse_export_section(
            &mut self,
            exports: &mut ExportSection,
            section: wasmparser::ExportSectionReader<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            utils::parse_export_section(self, exports, section)?;
            self.add(exports);
            Ok(())
        }

        fn intersperse_section_hook(
            &mut self,
            module: &mut Module,
            after: Option<SectionId>,
            before: Option<SectionId>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            // A module without exports gets an export section at its proper place:
            // before start, element, data-count, code and data (ids 8 and up).
            let past_exports = before.is_none_or(|id| id as u8 >= SectionId::Start as u8);
            let before_exports = after.is_none_or(|id| id as u8 <= SectionId::Export as u8);
            if !self.done && past_exports && before_exports && after != Some(SectionId::Export) {
                let mut exports = ExportSection::new();
                self.add(&mut exports);
                module.section(&exports);
            }
            utils::intersperse_section_hook(self, module, after, before)
        }
    }
    let mut module = Module::new();
    let mut reencoder = AddExport {
        index,
        name,
        done: false,
    };
    reencoder
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("re-encoding module to export its fuel global")?;
    Ok(module.finish())
}

/// Re-encodes `wasm` unchanged; used by tests to check the rewriter is faithful.
pub fn roundtrip(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut module = Module::new();
    RoundtripReencoder
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(module.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exports_of(wasm: &[u8]) -> Vec<String> {
        let info = crate::source::module_info::inspect(wasm).unwrap();
        info.globals.clone()
    }

    #[test]
    fn adds_export_to_existing_section_and_to_a_module_without_one() {
        let with =
            wat::parse_str(r#"(module (global (mut i32) (i32.const 5)) (func (export "f")))"#).unwrap();
        let out = export_global(&with, 0, "fuel").unwrap();
        assert_eq!(exports_of(&out), vec!["fuel".to_string()]);

        let without =
            wat::parse_str(r#"(module (global (mut i32) (i32.const 5)) (func) (start 0))"#).unwrap();
        let out = export_global(&without, 0, "fuel").unwrap();
        assert_eq!(exports_of(&out), vec!["fuel".to_string()]);
    }
}
