//! The host a module's imports are given: written in WebAssembly and linked
//! into the module before any engine sees it.
//!
//! Every imported function becomes a defined function at the same index,
//! every imported memory, table, global and tag a defined one at the same
//! index, so the module's code is copied unchanged. A host function counts
//! its calls and folds its import index and arguments into a digest; both
//! are exported as globals ([`HOST_CALLS_GLOBAL`], [`HOST_DIGEST_GLOBAL`]),
//! so the sequence of host calls is compared after every call like any other
//! state. Because the host is WebAssembly, it behaves the same on every
//! engine by construction — in-process runtimes, V8 in `node`, or any
//! `--engine-cmd` — and needs nothing of their embedding APIs.

use crate::source::module_info::val_type;
use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, RoundtripReencoder, utils};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, ExportKind,
    ExportSection, Function, FunctionSection, GlobalSection, GlobalType, HeapType, Ieee32, Ieee64,
    MemorySection, Module, RawSection, StartSection, TableSection, TagSection, ValType as EncValType,
};
use wasmgate_runners::{Val, ValType};
use wasmparser::{Parser, Payload, TypeRef};

/// Exported global: how many host calls the instance has made so far.
pub const HOST_CALLS_GLOBAL: &str = "__wasmgate_host_calls";
/// Exported global: the digest of every host call and its arguments so far.
pub const HOST_DIGEST_GLOBAL: &str = "__wasmgate_host_digest";

const FNV_OFFSET: i64 = 0xcbf2_9ce4_8422_2325_u64 as i64;
const FNV_PRIME: i64 = 0x0000_0100_0000_01b3;

/// What an imported function does when called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// Returns these values every time (nothing, for a function without results).
    Returns(Vec<Val>),
    /// Returns the n-th entry on the n-th call; the last entry once they run out.
    Sequence(Vec<Vec<Val>>),
    /// Traps (`unreachable`).
    Traps,
}

/// What the host provides for one import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provide {
    Func(Behaviour),
    /// A memory (of the import's type) holding `data` at the given offsets.
    Memory(Vec<(u64, Vec<u8>)>),
    /// A table of the import's type, every entry null.
    Table,
    /// A global of the import's type with this value.
    Global(Val),
    /// A tag of the import's type.
    Tag,
}

/// One declared import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostImport {
    pub module: String,
    pub name: String,
    pub provide: Provide,
}

/// The type of one import of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportType {
    Func {
        params: Vec<ValType>,
        results: Vec<ValType>,
    },
    Memory,
    Table,
    Global {
        ty: ValType,
        mutable: bool,
    },
    Tag,
}

impl ImportType {
    /// `function`, `memory`, …, as sentences name it.
    pub fn kind(&self) -> &'static str {
        match self {
            ImportType::Func { .. } => "function",
            ImportType::Memory => "memory",
            ImportType::Table => "table",
            ImportType::Global { .. } => "global",
            ImportType::Tag => "tag",
        }
    }
}

/// A module's imports, in order: `(module, name, type)`.
pub fn imports(wasm: &[u8]) -> Result<Vec<(String, String, ImportType)>> {
    let mut types: Vec<Option<(Vec<ValType>, Vec<ValType>)>> = Vec::new();
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                // Every type of every rec group keeps its index; only
                // function types can type an import.
                for group in reader {
                    for sub in group?.into_types() {
                        let conv = |ts: &[wasmparser::ValType]| {
                            ts.iter().map(|t| val_type(*t)).collect::<Option<Vec<_>>>()
                        };
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(ty) => {
                                conv(ty.params()).zip(conv(ty.results()))
                            }
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = match import.ty {
                        TypeRef::Func(i) | TypeRef::FuncExact(i) => {
                            let (params, results) =
                                types.get(i as usize).cloned().flatten().ok_or_else(|| {
                                    anyhow!(
                                        "import {}.{} has a type wasmgate cannot call",
                                        import.module,
                                        import.name
                                    )
                                })?;
                            ImportType::Func { params, results }
                        }
                        TypeRef::Memory(_) => ImportType::Memory,
                        TypeRef::Table(_) => ImportType::Table,
                        TypeRef::Global(g) => ImportType::Global {
                            ty: val_type(g.content_type).ok_or_else(|| {
                                anyhow!(
                                    "import {}.{} has a type wasmgate cannot give",
                                    import.module,
                                    import.name
                                )
                            })?,
                            mutable: g.mutable,
                        },
                        TypeRef::Tag(_) => ImportType::Tag,
                    };
                    out.push((import.module.to_string(), import.name.to_string(), ty));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn enc_type(t: ValType) -> EncValType {
    match t {
        ValType::I32 => EncValType::I32,
        ValType::I64 => EncValType::I64,
        ValType::F32 => EncValType::F32,
        ValType::F64 => EncValType::F64,
        ValType::V128 => EncValType::V128,
        ValType::FuncRef => EncValType::FUNCREF,
        ValType::ExternRef => EncValType::EXTERNREF,
        ValType::AnyRef => EncValType::Ref(wasm_encoder::RefType::ANYREF),
        ValType::ExnRef => EncValType::EXNREF,
    }
}

/// A mutable global's type.
fn mutable(val_type: EncValType) -> GlobalType {
    GlobalType {
        val_type,
        mutable: true,
        shared: false,
    }
}

/// A constant expression for `v`; host references cannot be made in wasm.
fn const_of(v: Val) -> Result<ConstExpr> {
    Ok(match v {
        Val::I32(x) => ConstExpr::i32_const(x),
        Val::I64(x) => ConstExpr::i64_const(x),
        Val::F32(b) => ConstExpr::f32_const(Ieee32::new(b)),
        Val::F64(b) => ConstExpr::f64_const(Ieee64::new(b)),
        Val::V128(b) => ConstExpr::v128_const(b as i128),
        Val::FuncRef { null: true } => ConstExpr::ref_null(HeapType::FUNC),
        Val::ExternRef { null: true } => ConstExpr::ref_null(HeapType::EXTERN),
        other => bail!("the host can only give null references, not {other}"),
    })
}

/// Pushes `v` as an instruction.
fn push_val(f: &mut Function, v: Val) -> Result<()> {
    let mut i = f.instructions();
    match v {
        Val::I32(x) => i.i32_const(x),
        Val::I64(x) => i.i64_const(x),
        Val::F32(b) => i.f32_const(Ieee32::new(b)),
        Val::F64(b) => i.f64_const(Ieee64::new(b)),
        Val::V128(b) => i.v128_const(b as i128),
        Val::FuncRef { null: true } => i.ref_null(HeapType::FUNC),
        Val::ExternRef { null: true } => i.ref_null(HeapType::EXTERN),
        other => bail!("a host function can only return null references, not {other}"),
    };
    Ok(())
}

/// Copies a module's const expressions, replacing `global.get` of a
/// replaced imported global by that global's value (a defined global may not
/// be read in a constant expression without the GC proposal).
struct Consts {
    imported_globals: Vec<Val>,
}

impl Reencode for Consts {
    type Error = anyhow::Error;

    fn const_expr(&mut self, expr: wasmparser::ConstExpr) -> Result<ConstExpr, ReencodeError<Self::Error>> {
        let mut reader = expr.get_operators_reader();
        let mut ops = Vec::new();
        while !reader.eof() {
            ops.push(reader.read().map_err(ReencodeError::ParseError)?);
        }
        let replaced = |i: u32| self.imported_globals.get(i as usize).copied();
        match ops.as_slice() {
            [wasmparser::Operator::GlobalGet { global_index }, wasmparser::Operator::End]
                if replaced(*global_index).is_some() =>
            {
                let v = replaced(*global_index).unwrap_or(Val::I32(0));
                const_of(v).map_err(ReencodeError::UserError)
            }
            ops if ops.iter().any(|op| {
                matches!(op, wasmparser::Operator::GlobalGet { global_index } if replaced(*global_index).is_some())
            }) =>
            {
                Err(ReencodeError::UserError(anyhow!(
                    "a constant expression computes with an imported global; wasmgate can only give one that reads it directly"
                )))
            }
            _ => utils::const_expr(self, expr),
        }
    }
}

fn reencode_err(e: ReencodeError<anyhow::Error>) -> anyhow::Error {
    match e {
        ReencodeError::UserError(e) => e,
        other => anyhow!("{other}"),
    }
}

/// Returns `wasm` with every import replaced by what `host` provides for it.
/// `host` must cover every import with a provision of its kind (the vectors
/// file's reader checks that, naming lines); a module without imports is
/// returned with the host globals added all the same, so that every checked
/// module has the same observable surface.
pub fn link(wasm: &[u8], host: &[HostImport]) -> Result<Vec<u8>> {
    let declared = imports(wasm)?;
    let provision = |module: &str, name: &str| {
        host.iter()
            .find(|h| h.module == module && h.name == name)
            .map(|h| &h.provide)
            .ok_or_else(|| anyhow!("import {module}.{name} is not declared"))
    };
    let mut rt = RoundtripReencoder;
    let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut funcs = FunctionSection::new();
    let mut tables = TableSection::new();
    let mut memories = MemorySection::new();
    let mut tags = TagSection::new();
    let mut globals = GlobalSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    let mut data = DataSection::new();
    let mut elements: Option<ElementSection> = None;
    let mut type_section: Option<Vec<u8>> = None;
    let mut start: Option<u32> = None;
    let mut data_count: Option<u32> = None;
    let mut customs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut consts = Consts {
        imported_globals: Vec::new(),
    };
    // Host function bodies and their types, in import order.
    let mut host_funcs: Vec<(u32, Vec<ValType>, Behaviour)> = Vec::new();
    let mut host_data: Vec<(u32, u64, Vec<u8>)> = Vec::new();
    let (mut n_memories, mut n_globals) = (0u32, 0u32);
    let mut original_globals: Vec<(GlobalType, ConstExpr)> = Vec::new();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut import_index = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                let r = reader.range();
                type_section = Some(wasm[r.start as usize..r.end as usize].to_vec());
                for group in reader {
                    for sub in group?.into_types() {
                        let conv =
                            |ts: &[wasmparser::ValType]| ts.iter().filter_map(|t| val_type(*t)).collect();
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(ty) => {
                                (conv(ty.params()), conv(ty.results()))
                            }
                            _ => (Vec::new(), Vec::new()),
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let provide = provision(import.module, import.name)?;
                    let (_, _, ty) = &declared[import_index];
                    import_index += 1;
                    match (import.ty, provide) {
                        (TypeRef::Func(t) | TypeRef::FuncExact(t), Provide::Func(b)) => {
                            funcs.function(t);
                            let (params, _) = types.get(t as usize).cloned().unwrap_or_default();
                            host_funcs.push((t, params, b.clone()));
                        }
                        (TypeRef::Memory(m), Provide::Memory(init)) => {
                            memories.memory(rt.memory_type(m).map_err(|e| anyhow!("{e}"))?);
                            for (offset, bytes) in init {
                                host_data.push((n_memories, *offset, bytes.clone()));
                            }
                            n_memories += 1;
                        }
                        (TypeRef::Table(t), Provide::Table) => {
                            if !t.element_type.is_nullable() {
                                bail!(
                                    "import {}.{} is a table of non-nullable references, which wasmgate cannot fill",
                                    import.module,
                                    import.name
                                );
                            }
                            tables.table(rt.table_type(t).map_err(|e| anyhow!("{e}"))?);
                        }
                        (TypeRef::Global(g), Provide::Global(v)) => {
                            let ty = rt.global_type(g).map_err(|e| anyhow!("{e}"))?;
                            globals.global(ty, &const_of(*v)?);
                            consts.imported_globals.push(*v);
                            n_globals += 1;
                        }
                        (TypeRef::Tag(t), Provide::Tag) => {
                            tags.tag(rt.tag_type(t).map_err(|e| anyhow!("{e}"))?);
                        }
                        _ => bail!(
                            "import {}.{} is a {}, and is declared as something else",
                            import.module,
                            import.name,
                            ty.kind()
                        ),
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    funcs.function(t?);
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    consts.parse_table(&mut tables, t?).map_err(reencode_err)?;
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    memories.memory(rt.memory_type(m?).map_err(|e| anyhow!("{e}"))?);
                    n_memories += 1;
                }
            }
            Payload::TagSection(reader) => {
                for t in reader {
                    tags.tag(rt.tag_type(t?).map_err(|e| anyhow!("{e}"))?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g?;
                    let ty = rt.global_type(g.ty).map_err(|e| anyhow!("{e}"))?;
                    let init = consts.const_expr(g.init_expr).map_err(reencode_err)?;
                    original_globals.push((ty, init));
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    let kind = match e.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            ExportKind::Func
                        }
                        wasmparser::ExternalKind::Table => ExportKind::Table,
                        wasmparser::ExternalKind::Memory => ExportKind::Memory,
                        wasmparser::ExternalKind::Global => ExportKind::Global,
                        wasmparser::ExternalKind::Tag => ExportKind::Tag,
                    };
                    exports.export(e.name, kind, e.index);
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::ElementSection(reader) => {
                let mut section = ElementSection::new();
                utils::parse_element_section(&mut consts, &mut section, reader).map_err(reencode_err)?;
                elements = Some(section);
            }
            Payload::DataCountSection { count, .. } => data_count = Some(count),
            Payload::CodeSectionEntry(body) => {
                let r = body.range();
                bodies.push(wasm[r.start as usize..r.end as usize].to_vec())
            }
            Payload::DataSection(reader) => {
                utils::parse_data_section(&mut consts, &mut data, reader).map_err(reencode_err)?;
            }
            Payload::CustomSection(c) => customs.push((c.name().to_string(), c.data().to_vec())),
            Payload::Version { .. } | Payload::CodeSectionStart { .. } | Payload::End(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    bail!(
                        "the module has a section (id {id}, at {range:?}) wasmgate cannot link a host into"
                    );
                }
            }
        }
    }
    for (module, name, _) in &declared {
        provision(module, name)?;
    }
    for (ty, init) in &original_globals {
        globals.global(*ty, init);
    }
    n_globals += original_globals.len() as u32;
    let calls_global = n_globals;
    let digest_global = n_globals + 1;
    globals.global(mutable(EncValType::I32), &ConstExpr::i32_const(0));
    globals.global(mutable(EncValType::I64), &ConstExpr::i64_const(FNV_OFFSET));
    exports.export(HOST_CALLS_GLOBAL, ExportKind::Global, calls_global);
    exports.export(HOST_DIGEST_GLOBAL, ExportKind::Global, digest_global);
    let mut next_global = digest_global + 1;
    let mut host_bodies = Vec::new();
    for (index, (ty, params, behaviour)) in host_funcs.iter().enumerate() {
        let results = types.get(*ty as usize).map(|t| t.1.clone()).unwrap_or_default();
        let counter = match behaviour {
            Behaviour::Sequence(_) => {
                globals.global(mutable(EncValType::I32), &ConstExpr::i32_const(0));
                next_global += 1;
                Some(next_global - 1)
            }
            _ => None,
        };
        host_bodies.push(host_body(
            index as u32,
            params,
            &results,
            behaviour,
            calls_global,
            digest_global,
            counter,
        )?);
    }
    let added_data = host_data.len() as u32;
    for (memory, offset, bytes) in host_data {
        let offset = if offset > u64::from(u32::MAX) {
            ConstExpr::i64_const(offset as i64)
        } else {
            ConstExpr::i32_const(offset as i32)
        };
        data.active(memory, &offset, bytes);
    }

    let mut module = Module::new();
    if let Some(bytes) = &type_section {
        module.section(&RawSection { id: 1, data: bytes });
    }
    if !funcs.is_empty() {
        module.section(&funcs);
    }
    if !tables.is_empty() {
        module.section(&tables);
    }
    if !memories.is_empty() {
        module.section(&memories);
    }
    if !tags.is_empty() {
        module.section(&tags);
    }
    module.section(&globals);
    module.section(&exports);
    if let Some(func) = start {
        module.section(&StartSection { function_index: func });
    }
    if let Some(e) = &elements {
        module.section(e);
    }
    if let Some(count) = data_count {
        module.section(&DataCountSection {
            count: count + added_data,
        });
    }
    if !host_bodies.is_empty() || !bodies.is_empty() {
        for body in &host_bodies {
            code.function(body);
        }
        for body in &bodies {
            code.raw(body);
        }
        module.section(&code);
    }
    if !data.is_empty() {
        module.section(&data);
    }
    for (name, bytes) in &customs {
        module.section(&wasm_encoder::CustomSection {
            name: name.into(),
            data: bytes.into(),
        });
    }
    Ok(module.finish())
}

/// The body of host function `index`: count the call, fold the index and the
/// arguments into the digest, then return (or trap) as `behaviour` says.
fn host_body(
    index: u32,
    params: &[ValType],
    results: &[ValType],
    behaviour: &Behaviour,
    calls: u32,
    digest: u32,
    counter: Option<u32>,
) -> Result<Function> {
    let mut f = Function::new([(1, EncValType::I32)]);
    let scratch = params.len() as u32;
    f.instructions()
        .global_get(calls)
        .i32_const(1)
        .i32_add()
        .global_set(calls);
    let fold = |f: &mut Function| {
        // digest = (digest ^ x) * prime, with x on the stack as i64.
        f.instructions()
            .global_get(digest)
            .i64_xor()
            .i64_const(FNV_PRIME)
            .i64_mul()
            .global_set(digest);
    };
    f.instructions().i64_const(i64::from(index));
    fold(&mut f);
    for (p, ty) in params.iter().enumerate() {
        let p = p as u32;
        let lanes: &[Option<u8>] = if *ty == ValType::V128 {
            &[Some(0), Some(1)]
        } else {
            &[None]
        };
        for lane in lanes {
            let mut i = f.instructions();
            i.local_get(p);
            match (ty, lane) {
                (ValType::I32, _) => i.i64_extend_i32_u(),
                (ValType::I64, _) => &mut i,
                (ValType::F32, _) => i.i32_reinterpret_f32().i64_extend_i32_u(),
                (ValType::F64, _) => i.i64_reinterpret_f64(),
                (ValType::V128, Some(l)) => i.i64x2_extract_lane(*l),
                (ValType::V128, None) => &mut i,
                (ValType::FuncRef | ValType::ExternRef | ValType::AnyRef | ValType::ExnRef, _) => {
                    i.ref_is_null().i64_extend_i32_u()
                }
            };
            fold(&mut f);
        }
    }
    match behaviour {
        Behaviour::Traps => {
            f.instructions().unreachable();
        }
        Behaviour::Returns(values) => {
            for v in values {
                push_val(&mut f, *v)?;
            }
        }
        Behaviour::Sequence(seq) => {
            let last = seq.len().saturating_sub(1) as i32;
            let counter = counter.unwrap_or(0);
            // n = min(counter, last); counter += 1.
            f.instructions()
                .global_get(counter)
                .i32_const(last)
                .global_get(counter)
                .i32_const(last)
                .i32_lt_u()
                .select()
                .local_set(scratch)
                .global_get(counter)
                .i32_const(1)
                .i32_add()
                .global_set(counter);
            for (r, ty) in results.iter().enumerate() {
                // if n == 0 then seq[0][r] else if n == 1 … else seq[last][r]
                for k in 0..last {
                    f.instructions()
                        .local_get(scratch)
                        .i32_const(k)
                        .i32_eq()
                        .if_(BlockType::Result(enc_type(*ty)));
                    push_val(&mut f, seq[k as usize][r])?;
                    f.instructions().else_();
                }
                push_val(&mut f, seq[last as usize][r])?;
                for _ in 0..last {
                    f.instructions().end();
                }
            }
        }
    }
    f.instructions().end();
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_module_keeps_indices_and_validates() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "next" (func $next (result i32)))
                (import "env" "log" (func $log (param i32 f64)))
                (import "env" "base" (global $base i32))
                (import "env" "memory" (memory 1))
                (data (global.get $base) "hi")
                (func (export "run") (result i32)
                    (call $log (i32.const 7) (f64.const 1.5))
                    (i32.add (call $next) (call $next))))"#,
        )
        .unwrap();
        let host = vec![
            HostImport {
                module: "env".into(),
                name: "next".into(),
                provide: Provide::Func(Behaviour::Sequence(vec![vec![Val::I32(10)], vec![Val::I32(20)]])),
            },
            HostImport {
                module: "env".into(),
                name: "log".into(),
                provide: Provide::Func(Behaviour::Returns(vec![])),
            },
            HostImport {
                module: "env".into(),
                name: "base".into(),
                provide: Provide::Global(Val::I32(16)),
            },
            HostImport {
                module: "env".into(),
                name: "memory".into(),
                provide: Provide::Memory(vec![(0, b"abc".to_vec())]),
            },
        ];
        let linked = link(&wasm, &host).unwrap();
        let info = crate::source::module_info::inspect(&linked).unwrap();
        assert!(imports(&linked).unwrap().is_empty());
        assert!(info.globals.contains(&HOST_CALLS_GLOBAL.to_string()));
        let missing = link(&wasm, &host[1..]).unwrap_err().to_string();
        assert!(missing.contains("env.next"), "{missing}");
    }
}
