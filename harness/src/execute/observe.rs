//! Observing WebAssembly 3.0 results alike on every engine: the harness adds
//! functions to a case's module that look at what an engine cannot show
//! through its API, and calls them instead of (or after) the case's own.
//!
//! - A **struct or array** is folded into a 64-bit digest of its type and
//!   contents to a bounded depth ([`DEPTH`] levels of references, the first
//!   [`ARRAY_ELEMENTS`] elements of an array and its length), floats with
//!   their NaNs made canonical. Two results of one call that are the same
//!   object (`ref.eq`) fold that identity into the later one's digest.
//! - An **exception nothing caught** is caught by a `try_table` with one
//!   clause per tag of the module and comes back as its tag and payload.
//! - An exported **global holding a struct or array** is observed by a
//!   function that reads it.
//!
//! Each exported function a case calls whose results hold an `any`
//! reference, or that may throw (the module has tags), gets a wrapper export
//! that calls it and returns its results (references widened to their
//! nullable top type), one digest per `any` result, the caught tag plus one
//! (0 when none) and payload slots for every caught tag. The module an
//! engine runs is the case's with these additions; the case itself (its
//! bundle, its shrinking) keeps the original.

use crate::source::case::TestCase;
use crate::source::rewrite::{Additions, append};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    AbstractHeapType as EncAbstract, BlockType, Catch, ExportKind, Function, HeapType as EncHeap,
    InstructionSink, RefType, ValType as EncVal,
};
use wasmgate_runners::{AnyVal, Failure, Val, ValType};
use wasmparser::{CompositeInnerType, HeapType, Payload, StorageType, TypeRef};

/// How many levels of references a digest follows below the observed object.
pub const DEPTH: i32 = 3;
/// How many of an array's elements a digest reads (after its length).
pub const ARRAY_ELEMENTS: i32 = 16;
/// At most this many payload slots are caught in all; tags beyond are left
/// to the engine (it reports an uncaught exception as a trap).
const MAX_PAYLOAD_SLOTS: usize = 64;
const PREFIX: &str = "wasmgate.observe.";

/// A case's module with its observers, and how to read their results.
#[derive(Debug)]
pub struct Observed {
    pub wasm: Vec<u8>,
    /// Per case call: the wrapper to call instead, if any.
    wrappers: Vec<Option<Wrapper>>,
    /// Exported globals of the `any` hierarchy the case reads, with the
    /// export that observes each.
    pub globals: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
struct Wrapper {
    export: String,
    results: Vec<ValType>,
    /// Positions among the original results that are `any` references.
    any_results: Vec<usize>,
    /// Per caught tag (by position): its index and slot layout.
    tags: Vec<(u32, Vec<Slot>)>,
}

/// How one payload value of a caught tag comes back.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    /// A value of this type, in one result.
    Plain(ValType),
    /// An `any` reference: the reference, then its digest.
    Any,
}

impl Observed {
    /// The export, arguments' target and result types to call for the case's
    /// call `index` (the wrapper's where there is one).
    pub fn call<'a>(
        &'a self,
        index: usize,
        export: &'a str,
        results: &'a [ValType],
    ) -> (&'a str, &'a [ValType]) {
        match self.wrappers.get(index).and_then(Option::as_ref) {
            Some(w) => (&w.export, &w.results),
            None => (export, results),
        }
    }

    /// The case call `index`'s own result from what its wrapper returned.
    pub fn unwrap(&self, index: usize, result: Result<Vec<Val>, Failure>) -> Result<Vec<Val>, Failure> {
        let Some(w) = self.wrappers.get(index).and_then(Option::as_ref) else {
            return result;
        };
        let values = result?;
        if values.len() != w.results.len() {
            return Err(Failure::error(format!(
                "the observing wrapper returned {} values, not {}",
                values.len(),
                w.results.len()
            )));
        }
        let originals =
            w.results.len() - w.any_results.len() - 1 - w.tags.iter().map(|(_, s)| width(s)).sum::<usize>();
        let (own, rest) = values.split_at(originals);
        let (digests, rest) = rest.split_at(w.any_results.len());
        let Val::I32(caught) = rest[0] else {
            return Err(Failure::error("the observing wrapper returned no tag"));
        };
        let mut slots = &rest[1..];
        if caught == 0 {
            let mut own = own.to_vec();
            for (&at, digest) in w.any_results.iter().zip(digests) {
                if let (Some(v), Val::I64(d)) = (own.get_mut(at), digest) {
                    *v = with_digest(*v, *d as u64);
                }
            }
            return Ok(own);
        }
        for (position, (tag, layout)) in w.tags.iter().enumerate() {
            let (mine, later) = slots.split_at(width(layout));
            if position as i32 + 1 == caught {
                let mut payload = Vec::new();
                let mut at = mine.iter();
                for slot in layout {
                    let v = *at.next().expect("the layout's width");
                    payload.push(match slot {
                        Slot::Plain(_) => v,
                        Slot::Any => match at.next() {
                            Some(Val::I64(d)) => with_digest(v, *d as u64),
                            _ => v,
                        },
                    });
                }
                return Err(Failure::Exception { tag: *tag, payload });
            }
            slots = later;
        }
        Err(Failure::error(format!(
            "the observing wrapper caught an unknown tag {caught}"
        )))
    }
}

/// `v` with an observed digest, where it is a struct or array.
pub fn with_digest(v: Val, digest: u64) -> Val {
    match v {
        Val::AnyRef(AnyVal::Struct(_)) => Val::AnyRef(AnyVal::Struct(Some(digest))),
        Val::AnyRef(AnyVal::Array(_)) => Val::AnyRef(AnyVal::Array(Some(digest))),
        other => other,
    }
}

fn width(layout: &[Slot]) -> usize {
    layout.iter().map(|s| if *s == Slot::Any { 2 } else { 1 }).sum()
}

/// A reference's hierarchy, as the observers treat it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Number(EncVal),
    Any,
    Top(ValType),
    /// Shared references, continuations: not observable here.
    Opaque,
}

/// What the module says, read from its sections.
#[derive(Default)]
struct Shape {
    /// Every type by index.
    types: Vec<wasmparser::SubType>,
    /// Function index → type index.
    funcs: Vec<u32>,
    /// Tag index → type index.
    tags: Vec<u32>,
    /// Global index → content type.
    globals: Vec<wasmparser::ValType>,
    exports: Vec<(String, wasmparser::ExternalKind, u32)>,
}

impl Shape {
    fn read(wasm: &[u8]) -> Option<Shape> {
        let mut shape = Shape::default();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.ok()? {
                Payload::TypeSection(reader) => {
                    // Read from the binary, type indices are the module's
                    // (inside a rec group too).
                    for group in reader {
                        shape.types.extend(group.ok()?.into_types());
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        match import.ok()?.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => shape.funcs.push(t),
                            TypeRef::Tag(t) => shape.tags.push(t.func_type_idx),
                            TypeRef::Global(g) => shape.globals.push(g.content_type),
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for t in reader {
                        shape.funcs.push(t.ok()?);
                    }
                }
                Payload::TagSection(reader) => {
                    for t in reader {
                        shape.tags.push(t.ok()?.func_type_idx);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for g in reader {
                        shape.globals.push(g.ok()?.ty.content_type);
                    }
                }
                Payload::ExportSection(reader) => {
                    for e in reader {
                        let e = e.ok()?;
                        shape.exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                _ => {}
            }
        }
        Some(shape)
    }

    /// The index of the export `name` of `kind`.
    fn export(&self, name: &str, kind: wasmparser::ExternalKind) -> Option<u32> {
        self.exports
            .iter()
            .find(|(n, k, _)| n == name && *k == kind)
            .map(|(_, _, i)| *i)
    }

    fn func_type(&self, type_index: u32) -> Option<&wasmparser::FuncType> {
        match &self.types.get(type_index as usize)?.composite_type.inner {
            CompositeInnerType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Whether type `index` is a struct or an array (not shared).
    fn is_object(&self, index: u32) -> bool {
        self.types.get(index as usize).is_some_and(|t| {
            !t.composite_type.shared
                && matches!(
                    t.composite_type.inner,
                    CompositeInnerType::Struct(_) | CompositeInnerType::Array(_)
                )
        })
    }

    fn kind(&self, ty: wasmparser::ValType) -> Kind {
        use wasmparser::ValType as V;
        match ty {
            V::I32 => Kind::Number(EncVal::I32),
            V::I64 => Kind::Number(EncVal::I64),
            V::F32 => Kind::Number(EncVal::F32),
            V::F64 => Kind::Number(EncVal::F64),
            V::V128 => Kind::Number(EncVal::V128),
            V::Ref(r) => match r.heap_type() {
                HeapType::Abstract { shared: true, .. } => Kind::Opaque,
                HeapType::Abstract { ty, .. } => match ValType::of_abstract_heap(false, ty) {
                    Some(ValType::AnyRef) => Kind::Any,
                    Some(top) => Kind::Top(top),
                    None => Kind::Opaque,
                },
                HeapType::Concrete(i) | HeapType::Exact(i) => match i.as_module_index() {
                    Some(i) if self.is_object(i) => Kind::Any,
                    Some(i) if self.func_type(i).is_some() => Kind::Top(ValType::FuncRef),
                    _ => Kind::Opaque,
                },
            },
        }
    }
}

// What a digest starts from: null, an i31, an object of a known type, a
// struct or array of no type of the module, anything else; and the mark of
// a result that is the same object as an earlier one (ASCII words).
const C_NULL: i64 = 0x6e75_6c6c;
const C_I31: i64 = 0x0069_3331;
const C_OBJECT: i64 = 0x006f_626a;
const C_STRUCT: i64 = 0x0073_7472;
const C_ARRAY: i64 = 0x0061_7272;
const C_OTHER: i64 = 0x006f_7468;
const C_SAME: i64 = 0x7361_6d65_0000;

impl Kind {
    /// The wrapper's type for a value of this kind (references widened to
    /// their nullable top type), if it can carry it.
    fn widened(self) -> Option<EncVal> {
        Some(match self {
            Kind::Number(v) => v,
            Kind::Any => EncVal::Ref(RefType::ANYREF),
            Kind::Top(ValType::FuncRef) => EncVal::Ref(RefType::FUNCREF),
            Kind::Top(ValType::ExternRef) => EncVal::Ref(RefType::EXTERNREF),
            Kind::Top(ValType::ExnRef) => EncVal::Ref(RefType::EXNREF),
            Kind::Top(_) | Kind::Opaque => return None,
        })
    }

    fn harness(self) -> Option<ValType> {
        Some(match self {
            Kind::Number(EncVal::I32) => ValType::I32,
            Kind::Number(EncVal::I64) => ValType::I64,
            Kind::Number(EncVal::F32) => ValType::F32,
            Kind::Number(EncVal::F64) => ValType::F64,
            Kind::Number(EncVal::V128) => ValType::V128,
            Kind::Any => ValType::AnyRef,
            Kind::Top(t) => t,
            _ => return None,
        })
    }
}

/// Pushes the zero (or null) of a widened type.
fn zero(sink: &mut InstructionSink<'_>, ty: EncVal) {
    match ty {
        EncVal::I32 => sink.i32_const(0),
        EncVal::I64 => sink.i64_const(0),
        EncVal::F32 => sink.f32_const(0.0.into()),
        EncVal::F64 => sink.f64_const(0.0.into()),
        EncVal::V128 => sink.v128_const(0),
        EncVal::Ref(r) => sink.ref_null(r.heap_type),
    };
}

/// One function the observers add: its type and body.
struct Added {
    ty: u32,
    body: Function,
    export: Option<String>,
}

/// Builds the observed module of `case`, or `None` when nothing in it needs
/// observing (or it cannot be observed).
pub fn prepare(case: &TestCase) -> Option<Observed> {
    if !case.valid {
        return None;
    }
    let shape = Shape::read(&case.wasm)?;
    let catches = !shape.tags.is_empty() && no_legacy_exceptions(&case.wasm);
    // Tags caught, with their payload layouts, until the slots run out.
    let mut tags: Vec<(u32, Vec<Slot>, Vec<wasmparser::ValType>)> = Vec::new();
    if catches {
        let mut slots = 0;
        for (index, &ty) in shape.tags.iter().enumerate() {
            let Some(f) = shape.func_type(ty) else { continue };
            let kinds: Vec<Kind> = f.params().iter().map(|t| shape.kind(*t)).collect();
            if kinds.iter().any(|k| k.widened().is_none()) {
                continue;
            }
            let layout: Vec<Slot> = kinds
                .iter()
                .map(|k| match k {
                    Kind::Any => Slot::Any,
                    k => Slot::Plain(k.harness().expect("widened kinds are the harness's")),
                })
                .collect();
            if slots + width(&layout) > MAX_PAYLOAD_SLOTS {
                break;
            }
            slots += width(&layout);
            tags.push((index as u32, layout, f.params().to_vec()));
        }
    }
    let taken: std::collections::HashSet<&str> = shape.exports.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut names = (0..)
        .map(|i| format!("{PREFIX}{i}"))
        .filter(|n| !taken.contains(n.as_str()));

    // Which calls get a wrapper: one per exported function, shared by its calls.
    struct Plan {
        func: u32,
        params: Vec<wasmparser::ValType>,
        results: Vec<wasmparser::ValType>,
        kinds: Vec<Kind>,
        wrapper: Wrapper,
    }
    let mut plans: Vec<Plan> = Vec::new();
    let mut wrappers = Vec::new();
    for call in &case.calls {
        let Some(func) = shape.export(&call.export, wasmparser::ExternalKind::Func) else {
            wrappers.push(None);
            continue;
        };
        if let Some(plan) = plans.iter().find(|p| p.func == func) {
            wrappers.push(Some(plan.wrapper.clone()));
            continue;
        }
        let Some(f) = shape.funcs.get(func as usize).and_then(|t| shape.func_type(*t)) else {
            wrappers.push(None);
            continue;
        };
        let kinds: Vec<Kind> = f.results().iter().map(|t| shape.kind(*t)).collect();
        let any_results: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == Kind::Any).collect();
        if (any_results.is_empty() && tags.is_empty()) || kinds.iter().any(|k| k.widened().is_none()) {
            wrappers.push(None);
            continue;
        }
        let mut results: Vec<ValType> = kinds.iter().map(|k| k.harness().expect("widened")).collect();
        results.extend(any_results.iter().map(|_| ValType::I64));
        results.push(ValType::I32);
        for (_, layout, _) in &tags {
            for slot in layout {
                match slot {
                    Slot::Plain(t) => results.push(*t),
                    Slot::Any => results.extend([ValType::AnyRef, ValType::I64]),
                }
            }
        }
        let wrapper = Wrapper {
            export: names.next().expect("names never run out"),
            results,
            any_results,
            tags: tags.iter().map(|(i, l, _)| (*i, l.clone())).collect(),
        };
        wrappers.push(Some(wrapper.clone()));
        plans.push(Plan {
            func,
            params: f.params().to_vec(),
            results: f.results().to_vec(),
            kinds,
            wrapper,
        });
    }
    let mut globals = Vec::new();
    for name in &case.globals {
        if let Some(g) = shape.export(name, wasmparser::ExternalKind::Global)
            && shape
                .globals
                .get(g as usize)
                .is_some_and(|t| shape.kind(*t) == Kind::Any)
        {
            globals.push((name.clone(), g, names.next().expect("names never run out")));
        }
    }
    if plans.is_empty() && globals.is_empty() {
        return None;
    }
    let needs_any = !globals.is_empty()
        || plans.iter().any(|p| !p.wrapper.any_results.is_empty())
        || tags.iter().any(|(_, l, _)| l.contains(&Slot::Any));

    // The types added, from the first free index.
    let mut types: Vec<(Vec<EncVal>, Vec<EncVal>)> = Vec::new();
    let base = shape.types.len() as u32;
    let mut add_type = |params: Vec<EncVal>, results: Vec<EncVal>| -> u32 {
        if let Some(i) = types.iter().position(|t| t.0 == params && t.1 == results) {
            return base + i as u32;
        }
        types.push((params, results));
        base + types.len() as u32 - 1
    };
    let enc = |t: &wasmparser::ValType| RoundtripReencoder.val_type(*t).ok();
    let mut added: Vec<Added> = Vec::new();
    let first = shape.funcs.len() as u32;
    let (mix, any) = (first, first + 1);
    if needs_any {
        let ty = add_type(vec![EncVal::I64, EncVal::I64], vec![EncVal::I64]);
        added.push(Added {
            ty,
            body: mix_body(),
            export: None,
        });
        let ty = add_type(vec![EncVal::Ref(RefType::ANYREF), EncVal::I32], vec![EncVal::I64]);
        added.push(Added {
            ty,
            body: any_body(&shape, mix, any)?,
            export: None,
        });
    }
    for plan in &plans {
        let params: Option<Vec<EncVal>> = plan.params.iter().map(enc).collect();
        let originals: Option<Vec<EncVal>> = plan.results.iter().map(enc).collect();
        let widened: Vec<EncVal> = plan.kinds.iter().map(|k| k.widened().expect("checked")).collect();
        let mut outer = widened.clone();
        outer.extend(plan.wrapper.any_results.iter().map(|_| EncVal::I64));
        outer.push(EncVal::I32);
        for (_, layout, params) in &tags {
            for (slot, p) in layout.iter().zip(params) {
                match slot {
                    Slot::Plain(_) => outer.push(shape.kind(*p).widened().expect("checked")),
                    Slot::Any => outer.extend([EncVal::Ref(RefType::ANYREF), EncVal::I64]),
                }
            }
        }
        let params = params?;
        let ty = add_type(params.clone(), outer);
        let try_ty = add_type(vec![], originals?);
        let mut tag_tys = Vec::new();
        for (_, _, p) in &tags {
            let p: Option<Vec<EncVal>> = p.iter().map(enc).collect();
            tag_tys.push(add_type(vec![], p?));
        }
        let body = wrapper_body(
            &shape,
            plan.func,
            params.len() as u32,
            &widened,
            &plan.wrapper,
            &tags,
            try_ty,
            &tag_tys,
            mix,
            any,
        );
        added.push(Added {
            ty,
            body,
            export: Some(plan.wrapper.export.clone()),
        });
    }
    for (_, g, export) in &globals {
        let ty = add_type(vec![], vec![EncVal::I64]);
        let mut body = Function::new([]);
        body.instructions()
            .global_get(*g)
            .i32_const(DEPTH)
            .call(any)
            .end();
        added.push(Added {
            ty,
            body,
            export: Some(export.clone()),
        });
    }
    let additions = Additions {
        exports: added
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((a.export.clone()?, ExportKind::Func, first + i as u32)))
            .collect(),
        types,
        functions: added.into_iter().map(|a| (a.ty, a.body)).collect(),
        globals: Vec::new(),
    };
    let wasm = append(&case.wasm, additions).ok()?;
    // A module the observers made invalid would be rejected alike by every
    // engine: never run one.
    wasmparser::Validator::new_with_features(wasmgate_runners::Feature::wasmparser_set(
        &wasmgate_runners::Feature::ALL,
    ))
    .validate_all(&wasm)
    .ok()?;
    Some(Observed {
        wasm,
        wrappers,
        globals: globals.into_iter().map(|(n, _, e)| (n, e)).collect(),
    })
}

/// Whether `wasm` validates without the legacy exception instructions (so a
/// `try_table` around its calls needs nothing it does not already use).
fn no_legacy_exceptions(wasm: &[u8]) -> bool {
    let features: Vec<wasmgate_runners::Feature> = wasmgate_runners::Feature::ALL
        .into_iter()
        .filter(|f| *f != wasmgate_runners::Feature::LegacyExceptions)
        .collect();
    crate::source::module_info::validate(wasm, &features).is_ok()
}

/// `mix(h, v)`: folds `v` into the digest `h`.
fn mix_body() -> Function {
    let mut f = Function::new([]);
    f.instructions()
        .local_get(0)
        .local_get(1)
        .i64_xor()
        .i64_const(0x0000_0100_0000_01b3)
        .i64_mul()
        .local_tee(0)
        .local_get(0)
        .i64_const(29)
        .i64_shr_u()
        .i64_xor()
        .end();
    f
}

/// `any(v: anyref, depth: i32) -> i64`: the digest of `v`.
fn any_body(shape: &Shape, mix: u32, any: u32) -> Option<Function> {
    let objects: Vec<u32> = (0..shape.types.len() as u32)
        .filter(|&i| shape.is_object(i))
        .collect();
    let uses_v128 = objects
        .iter()
        .any(|&i| match &shape.types[i as usize].composite_type.inner {
            CompositeInnerType::Struct(s) => s
                .fields
                .iter()
                .any(|f| f.element_type == StorageType::Val(wasmparser::ValType::V128)),
            CompositeInnerType::Array(a) => a.0.element_type == StorageType::Val(wasmparser::ValType::V128),
            _ => false,
        });
    // Locals: 2 h, 3 f32, 4 f64, 5 i, 6 n, 7 v128 (if used), then one per object type.
    let mut locals = vec![
        (1, EncVal::I64),
        (1, EncVal::F32),
        (1, EncVal::F64),
        (2, EncVal::I32),
    ];
    if uses_v128 {
        locals.push((1, EncVal::V128));
    }
    let first_object_local = if uses_v128 { 8 } else { 7 };
    for &k in &objects {
        locals.push((
            1,
            EncVal::Ref(RefType {
                nullable: true,
                heap_type: EncHeap::Concrete(k),
            }),
        ));
    }
    let (h, f32l, f64l, i, n, v128l) = (2, 3, 4, 5, 6, 7);
    let mut f = Function::new(locals);
    let mut s = f.instructions();
    let abs = |ty| EncHeap::Abstract { shared: false, ty };
    s.local_get(0)
        .ref_is_null()
        .if_(BlockType::Empty)
        .i64_const(C_NULL)
        .return_()
        .end();
    s.local_get(0)
        .ref_test_non_null(abs(EncAbstract::I31))
        .if_(BlockType::Empty);
    s.i64_const(C_I31)
        .local_get(0)
        .ref_cast_non_null(abs(EncAbstract::I31))
        .i31_get_s()
        .i64_extend_i32_s()
        .call(mix)
        .return_()
        .end();
    // Subtypes come after their supertypes: the most specific type first.
    for (position, &k) in objects.iter().enumerate().rev() {
        let local = first_object_local + position as u32;
        s.local_get(0)
            .ref_test_non_null(EncHeap::Concrete(k))
            .if_(BlockType::Empty);
        s.local_get(0)
            .ref_cast_non_null(EncHeap::Concrete(k))
            .local_set(local);
        s.i64_const(C_OBJECT).i64_const(k as i64).call(mix).local_set(h);
        s.local_get(1)
            .i32_eqz()
            .if_(BlockType::Empty)
            .local_get(h)
            .return_()
            .end();
        let fold = |s: &mut InstructionSink<'_>, ty: StorageType| match ty {
            StorageType::I8 | StorageType::I16 => {
                s.i64_extend_i32_u();
            }
            StorageType::Val(v) => match shape.kind(v) {
                Kind::Number(EncVal::I32) => {
                    s.i64_extend_i32_u();
                }
                Kind::Number(EncVal::I64) => {}
                Kind::Number(EncVal::F32) => {
                    s.local_set(f32l)
                        .i32_const(0x7fc0_0000)
                        .local_get(f32l)
                        .i32_reinterpret_f32()
                        .local_get(f32l)
                        .local_get(f32l)
                        .f32_ne()
                        .select()
                        .i64_extend_i32_u();
                }
                Kind::Number(EncVal::F64) => {
                    s.local_set(f64l)
                        .i64_const(0x7ff8_0000_0000_0000)
                        .local_get(f64l)
                        .i64_reinterpret_f64()
                        .local_get(f64l)
                        .local_get(f64l)
                        .f64_ne()
                        .select();
                }
                Kind::Number(_) => {
                    s.local_set(v128l)
                        .local_get(v128l)
                        .i64x2_extract_lane(0)
                        .local_get(v128l)
                        .i64x2_extract_lane(1)
                        .i64_const(31)
                        .i64_rotl()
                        .i64_xor();
                }
                Kind::Any => {
                    s.local_get(1).i32_const(1).i32_sub().call(any);
                }
                Kind::Top(_) | Kind::Opaque => {
                    s.ref_is_null().i64_extend_i32_u();
                }
            },
        };
        let packed = |ty: StorageType| matches!(ty, StorageType::I8 | StorageType::I16);
        match &shape.types[k as usize].composite_type.inner {
            CompositeInnerType::Struct(st) => {
                for (index, field) in st.fields.iter().enumerate() {
                    s.local_get(h).local_get(local);
                    if packed(field.element_type) {
                        s.struct_get_u(k, index as u32);
                    } else {
                        s.struct_get(k, index as u32);
                    }
                    fold(&mut s, field.element_type);
                    s.call(mix).local_set(h);
                }
            }
            CompositeInnerType::Array(a) => {
                let ty = a.0.element_type;
                s.local_get(local).array_len().local_set(n);
                s.local_get(h)
                    .i64_const(C_ARRAY)
                    .call(mix)
                    .local_get(n)
                    .i64_extend_i32_u()
                    .call(mix)
                    .local_set(h);
                s.i32_const(0).local_set(i);
                s.block(BlockType::Empty).loop_(BlockType::Empty);
                s.local_get(i).local_get(n).i32_ge_u().br_if(1);
                s.local_get(i).i32_const(ARRAY_ELEMENTS).i32_ge_u().br_if(1);
                s.local_get(h).local_get(local).local_get(i);
                if packed(ty) {
                    s.array_get_u(k);
                } else {
                    s.array_get(k);
                }
                fold(&mut s, ty);
                s.call(mix).local_set(h);
                s.local_get(i)
                    .i32_const(1)
                    .i32_add()
                    .local_set(i)
                    .br(0)
                    .end()
                    .end();
            }
            _ => return None,
        }
        s.local_get(h).return_().end();
    }
    s.local_get(0)
        .ref_test_non_null(abs(EncAbstract::Struct))
        .if_(BlockType::Empty)
        .i64_const(C_STRUCT)
        .return_()
        .end();
    s.local_get(0)
        .ref_test_non_null(abs(EncAbstract::Array))
        .if_(BlockType::Empty)
        .i64_const(C_ARRAY)
        .return_()
        .end();
    s.i64_const(C_OTHER).end();
    Some(f)
}

/// The wrapper of function `func`: calls it inside a `try_table` catching
/// every tag of `tags`, and returns what [`Observed::unwrap`] reads.
#[allow(clippy::too_many_arguments)]
fn wrapper_body(
    shape: &Shape,
    func: u32,
    params: u32,
    widened: &[EncVal],
    wrapper: &Wrapper,
    tags: &[(u32, Vec<Slot>, Vec<wasmparser::ValType>)],
    try_ty: u32,
    tag_tys: &[u32],
    mix: u32,
    any: u32,
) -> Function {
    // Locals: the results (widened), their digests, then each tag's payload (widened).
    let mut locals: Vec<(u32, EncVal)> = widened.iter().map(|t| (1, *t)).collect();
    let results_at = params;
    let digests_at = results_at + widened.len() as u32;
    locals.push((wrapper.any_results.len() as u32, EncVal::I64));
    let mut payload_at = Vec::new();
    let mut next = digests_at + wrapper.any_results.len() as u32;
    for (_, _, p) in tags {
        payload_at.push(next);
        for t in p {
            locals.push((1, shape.kind(*t).widened().expect("checked")));
            next += 1;
        }
    }
    let slot_types: Vec<Vec<EncVal>> = tags
        .iter()
        .map(|(_, layout, p)| {
            layout
                .iter()
                .zip(p)
                .flat_map(|(slot, t)| match slot {
                    Slot::Plain(_) => vec![shape.kind(*t).widened().expect("checked")],
                    Slot::Any => vec![EncVal::Ref(RefType::ANYREF), EncVal::I64],
                })
                .collect()
        })
        .collect();
    let mut f = Function::new(locals);
    let mut s = f.instructions();
    for ty in tag_tys.iter().rev() {
        s.block(BlockType::FunctionType(*ty));
    }
    let catches: Vec<Catch> = tags
        .iter()
        .enumerate()
        .map(|(label, (tag, _, _))| Catch::One {
            tag: *tag,
            label: label as u32,
        })
        .collect();
    if !tags.is_empty() {
        s.try_table(BlockType::FunctionType(try_ty), catches);
    }
    for p in 0..params {
        s.local_get(p);
    }
    s.call(func);
    if !tags.is_empty() {
        s.end();
    }
    for r in (0..widened.len() as u32).rev() {
        s.local_set(results_at + r);
    }
    let eq = EncHeap::Abstract {
        shared: false,
        ty: EncAbstract::Eq,
    };
    for (j, &at) in wrapper.any_results.iter().enumerate() {
        let d = digests_at + j as u32;
        s.local_get(results_at + at as u32)
            .i32_const(DEPTH)
            .call(any)
            .local_set(d);
        for (i, &earlier) in wrapper.any_results[..j].iter().enumerate() {
            let (a, b) = (results_at + earlier as u32, results_at + at as u32);
            s.local_get(a)
                .ref_test_non_null(eq)
                .local_get(b)
                .ref_test_non_null(eq)
                .i32_and();
            s.if_(BlockType::Empty);
            s.local_get(a)
                .ref_cast_non_null(eq)
                .local_get(b)
                .ref_cast_non_null(eq)
                .ref_eq();
            s.if_(BlockType::Empty)
                .local_get(d)
                .i64_const(C_SAME + i as i64)
                .call(mix)
                .local_set(d)
                .end();
            s.end();
        }
    }
    let outcome = |s: &mut InstructionSink<'_>, caught: Option<usize>| {
        match caught {
            None => {
                for r in 0..widened.len() as u32 {
                    s.local_get(results_at + r);
                }
                for j in 0..wrapper.any_results.len() as u32 {
                    s.local_get(digests_at + j);
                }
                s.i32_const(0);
            }
            Some(t) => {
                for ty in widened {
                    zero(s, *ty);
                }
                for _ in &wrapper.any_results {
                    s.i64_const(0);
                }
                s.i32_const(t as i32 + 1);
            }
        }
        for (position, (_, layout, _)) in tags.iter().enumerate() {
            if caught == Some(position) {
                for (index, slot) in layout.iter().enumerate() {
                    let local = payload_at[position] + index as u32;
                    s.local_get(local);
                    if *slot == Slot::Any {
                        s.local_get(local).i32_const(DEPTH).call(any);
                    }
                }
            } else {
                for ty in &slot_types[position] {
                    zero(s, *ty);
                }
            }
        }
        s.return_();
    };
    outcome(&mut s, None);
    for (position, (_, _, p)) in tags.iter().enumerate() {
        s.end();
        for index in (0..p.len() as u32).rev() {
            s.local_set(payload_at[position] + index);
        }
        outcome(&mut s, Some(position));
    }
    s.end();
    f
}

#[cfg(all(test, feature = "wasmtime-cranelift"))]
mod tests {
    use super::*;
    use crate::execute::{CallResult, execute};
    use crate::source::case::{Call, Origin};

    fn case(wat: &str, calls: &[(&str, Vec<Val>, Vec<ValType>)], globals: &[&str]) -> TestCase {
        TestCase {
            origin: Origin::File {
                path: "test.wat".into(),
            },
            wasm: wat::parse_str(wat).unwrap(),
            calls: calls
                .iter()
                .map(|(export, args, results)| Call {
                    export: export.to_string(),
                    args: args.clone(),
                    results: results.clone(),
                    expect: None,
                })
                .collect(),
            globals: globals.iter().map(|g| g.to_string()).collect(),
            memories: vec![],
            refuel: None,
            features: None,
            valid: true,
        }
    }

    fn digest(v: &Val) -> u64 {
        match v {
            Val::AnyRef(AnyVal::Struct(Some(d)) | AnyVal::Array(Some(d))) => *d,
            other => panic!("no digest in {other}"),
        }
    }

    const WAT: &str = r#"(module
      (type $p (struct (field i32) (field f32) (field (ref null $p))))
      (type $a (array (mut i16)))
      (tag $t (param i64 anyref))
      (global (export "g") (mut anyref) (ref.null none))
      (func (export "p") (param i32 f32) (result (ref $p))
        (struct.new $p (local.get 0) (local.get 1) (struct.new $p (i32.const 7) (f32.const 1) (ref.null $p))))
      (func (export "a") (param i32) (result arrayref) (array.new $a (local.get 0) (i32.const 20)))
      (func (export "same") (result anyref anyref)
        (local $x (ref $a)) (local.set $x (array.new_default $a (i32.const 1))) (local.get $x) (local.get $x))
      (func (export "alike") (result anyref anyref)
        (array.new_default $a (i32.const 1)) (array.new_default $a (i32.const 1)))
      (func (export "set") (param i32) (global.set 0 (array.new $a (local.get 0) (i32.const 2))))
      (func (export "throw") (param i64) (throw $t (local.get 0) (ref.i31 (i32.const 5)))))"#;

    fn run(calls: &[(&str, Vec<Val>, Vec<ValType>)], globals: &[&str]) -> crate::execute::EngineOutcome {
        let engine = crate::execute::engines::resolve("wasmtime-cranelift").unwrap();
        let o = execute(engine.as_ref(), &case(WAT, calls, globals));
        assert!(matches!(o.status, crate::execute::Status::Ran), "{o:?}");
        o
    }

    fn returned(r: &CallResult) -> &[Val] {
        match r {
            CallResult::Returned(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn structs_and_arrays_are_observed_by_contents_nan_free_and_identity() {
        let any = vec![ValType::AnyRef];
        let nan1 = Val::F32(0x7fc0_0001);
        let nan2 = Val::F32(0xffc0_0000);
        let o = run(
            &[
                ("p", vec![Val::I32(1), Val::F32(0)], any.clone()),
                ("p", vec![Val::I32(1), Val::F32(0)], any.clone()),
                ("p", vec![Val::I32(2), Val::F32(0)], any.clone()),
                ("p", vec![Val::I32(1), nan1], any.clone()),
                ("p", vec![Val::I32(1), nan2], any.clone()),
                ("a", vec![Val::I32(0x1_0003)], any.clone()),
                ("a", vec![Val::I32(3)], any.clone()),
                ("same", vec![], vec![ValType::AnyRef; 2]),
                ("alike", vec![], vec![ValType::AnyRef; 2]),
            ],
            &[],
        );
        let d: Vec<Vec<u64>> = o
            .calls
            .iter()
            .map(|c| returned(&c.result).iter().map(digest).collect())
            .collect();
        assert_eq!(d[0], d[1], "the same contents, the same digest");
        assert_ne!(d[0], d[2], "a field differs");
        assert_eq!(d[3], d[4], "NaNs are canonical");
        assert_ne!(d[0], d[3]);
        assert_eq!(d[5], d[6], "i16 elements keep their low 16 bits");
        assert!(matches!(
            returned(&o.calls[0].result)[0],
            Val::AnyRef(AnyVal::Struct(Some(_)))
        ));
        assert!(matches!(
            returned(&o.calls[5].result)[0],
            Val::AnyRef(AnyVal::Array(Some(_)))
        ));
        assert_eq!(d[8][0], d[8][1], "two objects alike");
        assert_eq!(d[7][0], d[8][0]);
        assert_ne!(d[7][1], d[7][0], "the same object twice is seen as such");
    }

    #[test]
    fn an_uncaught_exception_is_its_tag_and_payload_and_globals_are_observed() {
        let o = run(
            &[
                ("throw", vec![Val::I64(-3)], vec![]),
                ("set", vec![Val::I32(4)], vec![]),
                ("set", vec![Val::I32(5)], vec![]),
            ],
            &["g"],
        );
        assert_eq!(
            o.calls[0].result,
            CallResult::Failed(Failure::Exception {
                tag: 0,
                payload: vec![Val::I64(-3), Val::AnyRef(AnyVal::I31(5))]
            })
        );
        assert_eq!(
            o.initial.as_ref().unwrap().global("g"),
            Some(Val::AnyRef(AnyVal::Null))
        );
        let g = |i: usize| digest(&o.calls[i].state.global("g").unwrap());
        assert_ne!(g(1), g(2));
    }

    #[test]
    fn modules_without_anything_to_observe_run_as_they_are() {
        let c = case(
            "(module (func (export \"f\") (result i32) (i32.const 1)))",
            &[("f", vec![], vec![ValType::I32])],
            &[],
        );
        assert!(prepare(&c).is_none());
        // Legacy exceptions are left to the engine (a try_table would need exnref).
        let c = case(
            "(module (tag $t) (func (export \"f\") try throw $t catch_all end))",
            &[("f", vec![], vec![])],
            &[],
        );
        assert!(prepare(&c).is_none());
    }
}
