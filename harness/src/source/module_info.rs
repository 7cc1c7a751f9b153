//! What the harness needs to know about a module: its exports, and whether it
//! validates under a given feature set (the referee for "this engine lacks a feature").

use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use wasmgate_runners::{Feature, ValType};
use wasmparser::{
    Validator, WasmFeatures,
    types::{EntityType, TypesRef},
};

/// An exported function and its signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedFunc {
    pub name: String,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// The observable surface of a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Exported functions whose signatures the harness can call.
    pub funcs: Vec<ExportedFunc>,
    /// Exported functions the harness cannot call (types it cannot build), by name.
    pub uncallable: Vec<String>,
    /// Exported globals of a type the harness can read.
    pub globals: Vec<String>,
    /// Exported memories.
    pub memories: Vec<String>,
}

/// The wasmparser feature set for a list of features (plus the MVP floor).
pub fn wasm_features(features: &[Feature]) -> WasmFeatures {
    Feature::wasmparser_set(features)
}

/// Validates `wasm` with exactly `features` enabled.
pub fn validate(wasm: &[u8], features: &[Feature]) -> Result<()> {
    Validator::new_with_features(wasm_features(features))
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| anyhow!("{e}"))
}

/// The features of `upper` that `wasm` uses: those without which (and
/// without what builds on them) it does not validate. `upper` is what the
/// module may use (a generated case's swarm, or every feature).
pub fn used_features(wasm: &[u8], upper: &[Feature]) -> Vec<Feature> {
    let upper: Vec<Feature> = upper.to_vec();
    upper
        .iter()
        .copied()
        .filter(|&f| {
            // f and everything that builds on it, however indirectly.
            let mut out = vec![f];
            let mut grew = true;
            while grew {
                grew = false;
                for g in &upper {
                    if !out.contains(g) && g.builds_on().iter().any(|b| out.contains(b)) {
                        out.push(*g);
                        grew = true;
                    }
                }
            }
            let rest: Vec<Feature> = upper.iter().copied().filter(|g| !out.contains(g)).collect();
            validate(wasm, &rest).is_err()
        })
        .collect()
}

/// The harness's type for a wasmparser value type, if it can carry it: a
/// reference by its hierarchy (func, extern, any, exn), nullable or not; a
/// concrete type index only with `types` to look it up in.
pub fn val_type(ty: wasmparser::ValType) -> Option<ValType> {
    val_type_in(None, ty)
}

/// [`val_type`], resolving concrete type indices in a validated module's `types`.
pub fn val_type_in(types: Option<&TypesRef<'_>>, ty: wasmparser::ValType) -> Option<ValType> {
    use wasmparser::HeapType;
    Some(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => match r.heap_type() {
            HeapType::Abstract { shared, ty } => return ValType::of_abstract_heap(shared, ty),
            HeapType::Concrete(index) | HeapType::Exact(index) => {
                let id = index.as_core_type_id()?;
                match &types?[id].composite_type.inner {
                    wasmparser::CompositeInnerType::Func(_) => ValType::FuncRef,
                    wasmparser::CompositeInnerType::Struct(_) | wasmparser::CompositeInnerType::Array(_) => {
                        ValType::AnyRef
                    }
                    wasmparser::CompositeInnerType::Cont(_) => return None,
                }
            }
        },
    })
}

/// Validates `wasm` with every feature the harness knows and lists its exports.
pub fn inspect(wasm: &[u8]) -> Result<ModuleInfo> {
    let types = Validator::new_with_features(wasm_features(&Feature::ALL))
        .validate_all(wasm)
        .map_err(|e| anyhow!("invalid module: {e}"))?;
    let types = types.as_ref();
    let mut info = ModuleInfo::default();
    for (name, entity) in types.core_exports().into_iter().flatten() {
        match entity {
            EntityType::Func(id) => {
                let func = types[id].unwrap_func();
                let params: Option<Vec<_>> = func
                    .params()
                    .iter()
                    .map(|t| val_type_in(Some(&types), *t))
                    .collect();
                let results: Option<Vec<_>> = func
                    .results()
                    .iter()
                    .map(|t| val_type_in(Some(&types), *t))
                    .collect();
                match (params, results) {
                    (Some(params), Some(results)) => info.funcs.push(ExportedFunc {
                        name: name.to_string(),
                        params,
                        results,
                    }),
                    _ => info.uncallable.push(name.to_string()),
                }
            }
            // An exnref global is left out: the JavaScript API throws on
            // reading one, so no JavaScript engine could report it.
            EntityType::Global(g)
                if val_type_in(Some(&types), g.content_type).is_some_and(|t| t != ValType::ExnRef) =>
            {
                info.globals.push(name.to_string())
            }
            EntityType::Memory(_) => info.memories.push(name.to_string()),
            _ => {}
        }
    }
    Ok(info)
}

/// The module's imports, as `module.name (kind)`.
pub fn imports(wasm: &[u8]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ImportSection(reader) = payload? {
            for import in reader.into_imports() {
                let import = import?;
                let kind = match import.ty {
                    wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_) => "func",
                    wasmparser::TypeRef::Table(_) => "table",
                    wasmparser::TypeRef::Memory(_) => "memory",
                    wasmparser::TypeRef::Global(_) => "global",
                    wasmparser::TypeRef::Tag(_) => "tag",
                };
                found.push(format!("{}.{} ({kind})", import.module, import.name));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_exports_with_signatures() {
        let wasm = wat::parse_str(
            r#"(module
                (memory (export "mem") 1 2)
                (global (export "g") (mut i64) (i64.const 3))
                (func (export "add") (param i32 f64) (result i32 funcref) (local.get 0) (ref.null func)))"#,
        )
        .unwrap();
        let info = inspect(&wasm).unwrap();
        assert_eq!(info.memories, vec!["mem"]);
        assert_eq!(info.globals, vec!["g"]);
        assert_eq!(
            info.funcs,
            vec![ExportedFunc {
                name: "add".into(),
                params: vec![ValType::I32, ValType::F64],
                results: vec![ValType::I32, ValType::FuncRef],
            }]
        );
    }

    #[test]
    fn feature_gated_validation() {
        let wasm = wat::parse_str(r#"(module (func (result i32) (i32.const 1) (i32.extend8_s)))"#).unwrap();
        assert!(validate(&wasm, &[]).is_err());
        assert!(validate(&wasm, &[Feature::SignExtension]).is_ok());
        assert!(inspect(b"\0asm\x01\0\0\0\x01").is_err());
    }
}
