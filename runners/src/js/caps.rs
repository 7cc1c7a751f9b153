//! The harness's resource limits written into a module, for engines that
//! have no option for them (JavaScriptCore): every memory and table the
//! module defines gets its maximum lowered to the limit, as wasmer's
//! tunables do, so growth past it returns -1 as on every other engine.
//! Imported memories and tables keep their types (their exporter is capped).

use std::convert::Infallible;
use wasm_encoder::reencode::{Error, Reencode};

struct Cap {
    pages: u64,
    elements: u64,
}

impl Reencode for Cap {
    type Error = Infallible;

    fn parse_memory_section(
        &mut self,
        memories: &mut wasm_encoder::MemorySection,
        section: wasmparser::MemorySectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        for memory in section {
            let mut ty = self.memory_type(memory?)?;
            let default_pages = ty.page_size_log2.is_none_or(|p| p == 16);
            if !ty.memory64 && default_pages && ty.minimum <= self.pages {
                ty.maximum = Some(ty.maximum.map_or(self.pages, |m| m.min(self.pages)));
            }
            memories.memory(ty);
        }
        Ok(())
    }

    fn parse_table(
        &mut self,
        tables: &mut wasm_encoder::TableSection,
        table: wasmparser::Table<'_>,
    ) -> Result<(), Error<Self::Error>> {
        let mut ty = self.table_type(table.ty)?;
        if !ty.table64 && ty.minimum <= self.elements {
            ty.maximum = Some(ty.maximum.map_or(self.elements, |m| m.min(self.elements)));
        }
        match table.init {
            wasmparser::TableInit::RefNull => {
                tables.table(ty);
            }
            wasmparser::TableInit::Expr(e) => {
                tables.table_with_init(ty, &self.const_expr(e)?);
            }
        }
        Ok(())
    }
}

/// `wasm` with its memories and tables capped at the harness's limits, or
/// `None` when nothing needs capping or the module is not valid (a malformed
/// or invalid module goes to the engine as it is, to be judged as it is).
/// Only the memory and table sections are re-encoded; every other section is
/// copied byte for byte. Without `memory64`, limits are 32-bit, so an
/// overlong encoding stays malformed (and is not rewritten into a valid one).
pub fn cap_limits(wasm: &[u8], memory64: bool) -> Option<Vec<u8>> {
    let mut features = wasmparser::WasmFeatures::all();
    if !memory64 {
        features.remove(wasmparser::WasmFeatures::MEMORY64);
    }
    wasmparser::Validator::new_with_features(features)
        .validate_all(wasm)
        .ok()?;
    let mut cap = Cap {
        pages: (crate::limits::MEMORY_BYTES / 65536) as u64,
        elements: crate::limits::TABLE_ELEMENTS as u64,
    };
    let mut module = wasm_encoder::Module::new();
    let mut changed = false;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.ok()?;
        match &payload {
            wasmparser::Payload::MemorySection(reader) => {
                let mut section = wasm_encoder::MemorySection::new();
                cap.parse_memory_section(&mut section, reader.clone()).ok()?;
                module.section(&section);
                changed = true;
            }
            wasmparser::Payload::TableSection(reader) => {
                let mut section = wasm_encoder::TableSection::new();
                cap.parse_table_section(&mut section, reader.clone()).ok()?;
                module.section(&section);
                changed = true;
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range.start as usize..range.end as usize],
                    });
                }
            }
        }
    }
    changed.then(|| module.finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn memories_and_tables_get_the_limit_as_maximum() {
        let wasm = [
            0, 97, 115, 109, 1, 0, 0, 0, // header
            4, 4, 1, 0x70, 0, 5, // table section: funcref, min 5, no max
            5, 3, 1, 0, 1, // memory section: min 1, no max
        ];
        let capped = super::cap_limits(&wasm, false).unwrap();
        let mut memories = Vec::new();
        let mut tables = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&capped) {
            match payload.unwrap() {
                wasmparser::Payload::MemorySection(r) => {
                    memories.extend(r.into_iter().map(|m| m.unwrap().maximum))
                }
                wasmparser::Payload::TableSection(r) => {
                    tables.extend(r.into_iter().map(|t| t.unwrap().ty.maximum))
                }
                _ => {}
            }
        }
        assert_eq!(memories, [Some((crate::limits::MEMORY_BYTES / 65536) as u64)]);
        assert_eq!(tables, [Some(crate::limits::TABLE_ELEMENTS as u64)]);
    }
}
