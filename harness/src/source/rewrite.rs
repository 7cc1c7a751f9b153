//! Small binary rewrites of modules, done by re-encoding with `wasm-encoder`.

use anyhow::{Context, Result};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, RoundtripReencoder, utils};
use wasm_encoder::{ExportKind, ExportSection, Module, SectionId};

/// Where a section stands in a module's order (the tag section, id 13,
/// between memories and globals; data count, id 12, before code).
fn position(id: SectionId) -> u8 {
    match id {
        SectionId::Custom => 0,
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
    }
}

/// Returns `wasm` with one more export: global `index` under `name`.
pub fn export_global(wasm: &[u8], index: u32, name: &str) -> Result<Vec<u8>> {
    let additions = Additions {
        exports: vec![(name.to_string(), ExportKind::Global, index)],
        ..Additions::default()
    };
    append(wasm, additions).context("re-encoding module to export its fuel global")
}

/// What [`append`] adds to a module, each after what it already has: function
/// types (each its own rec group, from the first free type index), functions
/// (type index and body, from the first free function index), globals (from
/// the first free global index) and exports.
#[derive(Default)]
pub struct Additions {
    pub types: Vec<(Vec<wasm_encoder::ValType>, Vec<wasm_encoder::ValType>)>,
    pub functions: Vec<(u32, wasm_encoder::Function)>,
    pub globals: Vec<(wasm_encoder::GlobalType, wasm_encoder::ConstExpr)>,
    pub exports: Vec<(String, ExportKind, u32)>,
}

/// `wasm` with `additions`; a section the module lacks is written at its
/// place when something goes into it.
pub fn append(wasm: &[u8], additions: Additions) -> Result<Vec<u8>> {
    use wasm_encoder::{CodeSection, FunctionSection, GlobalSection, TypeSection};
    struct Append {
        add: Additions,
        /// Sections written so far among type, function, export, code and global.
        done: [bool; 5],
    }
    const SECTIONS: [SectionId; 5] = [
        SectionId::Type,
        SectionId::Function,
        SectionId::Export,
        SectionId::Code,
        SectionId::Global,
    ];
    impl Append {
        fn types(&mut self, section: &mut TypeSection) {
            for (p, r) in &self.add.types {
                section.ty().function(p.iter().copied(), r.iter().copied());
            }
            self.done[0] = true;
        }
        fn functions(&mut self, section: &mut FunctionSection) {
            for (ty, _) in &self.add.functions {
                section.function(*ty);
            }
            self.done[1] = true;
        }
        fn exports(&mut self, section: &mut ExportSection) {
            for (name, kind, index) in &self.add.exports {
                section.export(name, *kind, *index);
            }
            self.done[2] = true;
        }
        fn code(&mut self, section: &mut CodeSection) {
            for (_, body) in &self.add.functions {
                section.function(body);
            }
            self.done[3] = true;
        }
        fn globals(&mut self, section: &mut GlobalSection) {
            for (ty, init) in &self.add.globals {
                section.global(*ty, init);
            }
            self.done[4] = true;
        }
        /// Whether there is something to put in section `k`.
        fn adds(&self, k: usize) -> bool {
            match k {
                0 => !self.add.types.is_empty(),
                2 => !self.add.exports.is_empty(),
                4 => !self.add.globals.is_empty(),
                _ => !self.add.functions.is_empty(),
            }
        }
    }
    impl Reencode for Append {
        type Error = std::convert::Infallible;

        fn parse_type_section(
            &mut self,
            section: &mut TypeSection,
            reader: wasmparser::TypeSectionReader<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            utils::parse_type_section(self, section, reader)?;
            self.types(section);
            Ok(())
        }

        fn parse_function_section(
            &mut self,
            section: &mut FunctionSection,
            reader: wasmparser::FunctionSectionReader<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            utils::parse_function_section(self, section, reader)?;
            self.functions(section);
            Ok(())
        }

        fn parse_global_section(
            &mut self,
            section: &mut GlobalSection,
            reader: wasmparser::GlobalSectionReader<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            utils::parse_global_section(self, section, reader)?;
            self.globals(section);
            Ok(())
        }

        fn parse_export_section(
            &mut self,
            section: &mut ExportSection,
            reader: wasmparser::ExportSectionReader<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            utils::parse_export_section(self, section, reader)?;
            self.exports(section);
            Ok(())
        }

        fn parse_code_section(
            &mut self,
            section: &mut CodeSection,
            reader: wasmparser::CodeSectionReader<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            utils::parse_code_section(self, section, reader)?;
            self.code(section);
            Ok(())
        }

        fn intersperse_section_hook(
            &mut self,
            module: &mut Module,
            after: Option<SectionId>,
            before: Option<SectionId>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            // Hooked between non-custom sections, by their place in a module
            // (not their id: the tag section, id 13, comes before globals).
            let low = after.map_or(0, position);
            let high = before.map_or(u8::MAX, position);
            for (k, id) in SECTIONS.into_iter().enumerate() {
                if self.done[k] || !self.adds(k) || position(id) <= low || position(id) >= high {
                    continue;
                }
                match k {
                    0 => {
                        let mut s = TypeSection::new();
                        self.types(&mut s);
                        module.section(&s);
                    }
                    1 => {
                        let mut s = FunctionSection::new();
                        self.functions(&mut s);
                        module.section(&s);
                    }
                    2 => {
                        let mut s = ExportSection::new();
                        self.exports(&mut s);
                        module.section(&s);
                    }
                    4 => {
                        let mut s = GlobalSection::new();
                        self.globals(&mut s);
                        module.section(&s);
                    }
                    _ => {
                        let mut s = CodeSection::new();
                        self.code(&mut s);
                        module.section(&s);
                    }
                }
            }
            Ok(())
        }
    }
    let mut module = Module::new();
    Append {
        add: additions,
        done: [false; 5],
    }
    .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(module.finish())
}

/// The encoder's type for a number type (i32, i64, f32; anything else f64).
pub fn number_type(ty: wasmgate_runners::ValType) -> wasm_encoder::ValType {
    use wasmgate_runners::ValType;
    match ty {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        _ => wasm_encoder::ValType::F64,
    }
}

/// Re-encodes `wasm` unchanged; used by tests to check the rewriter is faithful.
pub fn roundtrip(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut module = Module::new();
    RoundtripReencoder
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(module.finish())
}

/// The index of the global a module exports under `name` (a generated
/// module's fuel), if any.
pub fn exported_global(wasm: &[u8], name: &str) -> Option<u32> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            for export in reader.into_iter().flatten() {
                if export.name == name && export.kind == wasmparser::ExternalKind::Global {
                    return Some(export.index);
                }
            }
        }
    }
    None
}

/// An operator's wasmparser variant name: `I32LtS`, `Select`.
pub fn variant_of(op: &wasmparser::Operator) -> String {
    let debug = format!("{op:?}");
    debug.split([' ', '(', '{']).next().unwrap_or("").to_string()
}

/// Follows an operator stream through a generated module's fuel
/// instrumentation (from reading the fuel global to writing it back), which
/// rewriters leave as it is.
pub struct FuelWindow {
    fuel: Option<u32>,
    inside: bool,
}

impl FuelWindow {
    /// A window on the fuel global `fuel` (none: nothing is fuel code).
    pub fn new(fuel: Option<u32>) -> Self {
        FuelWindow { fuel, inside: false }
    }

    /// Steps over `op`: whether it belongs to the fuel instrumentation.
    pub fn step(&mut self, op: &wasmparser::Operator) -> bool {
        use wasmparser::Operator as O;
        match op {
            O::GlobalGet { global_index } if Some(*global_index) == self.fuel => self.inside = true,
            O::GlobalSet { global_index } if Some(*global_index) == self.fuel => self.inside = false,
            _ => {}
        }
        self.inside
    }
}

/// The text name of an operator: `I32LtS` → `i32.lt_s`, `Select` → `select`.
pub fn op_name(op: &wasmparser::Operator) -> String {
    let variant = variant_of(op);
    let mut words: Vec<String> = Vec::new();
    for c in variant.chars() {
        if c.is_ascii_uppercase() || words.is_empty() {
            words.push(c.to_ascii_lowercase().to_string());
        } else if let Some(w) = words.last_mut() {
            w.push(c);
        }
    }
    let dotted = [
        "i32", "i64", "f32", "f64", "memory", "table", "local", "global", "ref", "i31", "struct", "array",
        "any", "extern", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
    ];
    match words.split_first() {
        Some((first, rest)) if dotted.contains(&first.as_str()) && !rest.is_empty() => {
            format!("{first}.{}", rest.join("_"))
        }
        _ => words.join("_"),
    }
}

/// Code shapes engines compile down their own paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// An operator whose result feeds `br_if` or `if` right after it.
    FeedsBranch,
    /// An operator whose result feeds `select` right after it (engines
    /// compile a conditional move apart from a jump).
    FeedsSelect,
    /// An operator whose last operand is a constant pushed right before it.
    ConstOperand,
    /// An operator in unreachable code: after one that never falls through
    /// (`unreachable`, `br`, `return`, a tail call, `throw`), before the
    /// `end` or `else` of its block. Engines still validate it, by the
    /// stack-polymorphic rules few modules exercise.
    DeadCode,
    /// An operator whose reference operand is a `ref.null` pushed right
    /// before it, of a type other than the one the operator names
    /// (`ref.null none` before `i31.get_u`): validated by subtyping from a
    /// bottom type.
    NullOperand,
    /// A character in the module's export names (the "operator" is the
    /// character, `U+0000`): engines built on C strings cut a name there.
    /// Taken out by writing another character in its place (the case's
    /// calls and state follow the new names, see [`export_names`]).
    ExportName,
    /// An operator whose reference operand is typed by a bottom type,
    /// however it was produced — a local, a call, a block's result
    /// (`(ref null noextern)` before `any.convert_extern`, a call returning
    /// `nullref` before `i31.get_s`): validated by subtyping from it. Taken
    /// out by passing the value through a scratch local of the operator's
    /// own type. (A `ref.null` right before it is [`Shape::NullOperand`].)
    BottomOperand,
}

impl Shape {
    /// Every shape, in the order causes are searched.
    pub const ALL: [Shape; 7] = [
        Shape::FeedsBranch,
        Shape::FeedsSelect,
        Shape::ConstOperand,
        Shape::DeadCode,
        Shape::NullOperand,
        Shape::ExportName,
        Shape::BottomOperand,
    ];

    /// Words for "OP in this shape".
    pub fn describe(self, op: &str) -> String {
        match self {
            Shape::FeedsBranch => format!("{op} feeding a branch"),
            Shape::FeedsSelect => format!("{op} feeding a select"),
            Shape::ConstOperand => format!("{op} with a constant operand"),
            Shape::DeadCode => format!("{op} in unreachable code"),
            Shape::NullOperand => format!("{op} with a null constant operand"),
            Shape::ExportName => format!("{op} in an export name"),
            Shape::BottomOperand => format!("{op} with a bottom-typed operand"),
        }
    }

    /// Whether the operator after `op` makes the shape (for the feeding shapes).
    fn fed(self, next: Option<&wasmparser::Operator>) -> bool {
        use wasmparser::Operator as O;
        match self {
            Shape::FeedsBranch => matches!(next, Some(O::BrIf { .. } | O::If { .. })),
            Shape::FeedsSelect => matches!(next, Some(O::Select | O::TypedSelect { .. })),
            Shape::ConstOperand
            | Shape::DeadCode
            | Shape::NullOperand
            | Shape::ExportName
            | Shape::BottomOperand => false,
        }
    }
}

/// The null a reference operator takes as its own type: `ref.null i31`
/// for `i31.get_u`, `ref.null $t` for `struct.get $t`, `ref.null extern`
/// for `any.convert_extern`. A null of another type
/// of the same hierarchy is the same value, typed by subtyping.
fn own_null(op: &wasmparser::Operator) -> Option<wasm_encoder::HeapType> {
    use wasm_encoder::{AbstractHeapType as A, HeapType as H};
    use wasmparser::Operator as O;
    let abstract_ = |ty| Some(H::Abstract { shared: false, ty });
    match op {
        O::I31GetS | O::I31GetU => abstract_(A::I31),
        O::ArrayLen => abstract_(A::Array),
        O::AnyConvertExtern => abstract_(A::Extern),
        O::ExternConvertAny => abstract_(A::Any),
        O::StructGet {
            struct_type_index, ..
        }
        | O::StructGetS {
            struct_type_index, ..
        }
        | O::StructGetU {
            struct_type_index, ..
        } => Some(H::Concrete(*struct_type_index)),
        _ => None,
    }
}

/// Whether `ops[i]` takes a `ref.null` right before it of another type than its own.
fn null_operand(ops: &[wasmparser::Operator], i: usize) -> bool {
    let (Some(own), Some(wasmparser::Operator::RefNull { hty })) =
        (own_null(&ops[i]), i.checked_sub(1).map(|j| &ops[j]))
    else {
        return false;
    };
    let same = match (hty, own) {
        (wasmparser::HeapType::Concrete(t), wasm_encoder::HeapType::Concrete(o)) => {
            t.as_module_index() == Some(o)
        }
        (wasmparser::HeapType::Abstract { ty, .. }, wasm_encoder::HeapType::Abstract { ty: o, .. }) => {
            wasm_encoder::AbstractHeapType::from(*ty) == o
        }
        _ => false,
    };
    !same
}

/// For every function the module defines, for each of its operators: the
/// operator's own type ([`own_null`]) when its reference operand is typed by
/// a bottom type (`none`, `noextern`, `nofunc`, `noexn`), as the validator
/// types the operand stack there (see [`Shape::BottomOperand`]).
fn bottom_operands(wasm: &[u8]) -> Option<Vec<Vec<Option<wasm_encoder::HeapType>>>> {
    use wasmparser::{AbstractHeapType as A, HeapType as H, ValidPayload};
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let ValidPayload::Func(to_validate, body) = validator.payload(&payload.ok()?).ok()? {
            let mut v = to_validate.into_validator(Default::default());
            let mut reader = body.get_binary_reader();
            v.read_locals(&mut reader).ok()?;
            let mut ops = wasmparser::OperatorsReader::new(reader);
            let mut marks = Vec::new();
            while !ops.eof() {
                let offset = ops.original_position();
                let op = ops.read().ok()?;
                let bottom = match v.get_operand_type(0) {
                    Some(Some(wasmparser::ValType::Ref(r))) => matches!(
                        r.heap_type(),
                        H::Abstract {
                            ty: A::None | A::NoExtern | A::NoFunc | A::NoExn,
                            ..
                        }
                    ),
                    _ => false,
                };
                marks.push(if bottom { own_null(&op) } else { None });
                v.op(offset, &op).ok()?;
            }
            out.push(marks);
        }
    }
    Some(out)
}

/// An operator's name as the unreachable-code shape knows it: every branch
/// (`br`, `br_if`, `br_table`, `br_on_*`) is `branch`, since validating one
/// in unreachable code is one check of its label against the blocks around
/// it, whichever branch it is.
pub fn dead_name(op: &wasmparser::Operator) -> String {
    let name = op_name(op);
    if name.starts_with("br") {
        "branch".to_string()
    } else {
        name
    }
}

/// Which operators of a body are unreachable code, as runs: an operator that
/// never falls through starts a run, which lasts to the `end` or `else` (or a
/// legacy `catch`, `catch_all`, `delegate`) closing its block, blocks nested
/// in it included. Each operator gets its run's number (from 1), or 0 when
/// reachable. Taking a whole run out keeps the module valid and its meaning.
pub fn dead_runs(ops: &[wasmparser::Operator]) -> Vec<usize> {
    use wasmparser::Operator as O;
    let mut out = vec![0; ops.len()];
    let mut runs = 0;
    // The run being walked, and how many blocks deep in it we are.
    let mut dead: Option<(usize, u32)> = None;
    for (i, op) in ops.iter().enumerate() {
        if let Some((run, depth)) = dead {
            let opens = matches!(
                op,
                O::Block { .. } | O::Loop { .. } | O::If { .. } | O::TryTable { .. } | O::Try { .. }
            );
            let closes = matches!(op, O::End | O::Delegate { .. });
            let splits = matches!(op, O::Else | O::Catch { .. } | O::CatchAll);
            if depth == 0 && (closes || splits) {
                dead = None;
                continue;
            }
            out[i] = run;
            dead = Some((
                run,
                if opens {
                    depth + 1
                } else if closes {
                    depth - 1
                } else {
                    depth
                },
            ));
            continue;
        }
        if matches!(
            op,
            O::Unreachable
                | O::Br { .. }
                | O::BrTable { .. }
                | O::Return
                | O::ReturnCall { .. }
                | O::ReturnCallIndirect { .. }
                | O::ReturnCallRef { .. }
                | O::Throw { .. }
                | O::ThrowRef
                | O::Rethrow { .. }
        ) {
            runs += 1;
            dead = Some((runs, 0));
        }
    }
    out
}

/// Whether `next` (the operator after one) takes that one's result as a branch or select condition.
pub fn feeds_branch(next: Option<&wasmparser::Operator>) -> bool {
    use wasmparser::Operator as O;
    matches!(
        next,
        Some(O::BrIf { .. } | O::If { .. } | O::Select | O::TypedSelect { .. })
    )
}

/// A constant's type slot (i32, i64, f32, f64 → 0..4), if `op` is a constant.
pub fn const_type(op: &wasmparser::Operator) -> Option<usize> {
    use wasmparser::Operator as O;
    match op {
        O::I32Const { .. } => Some(0),
        O::I64Const { .. } => Some(1),
        O::F32Const { .. } => Some(2),
        O::F64Const { .. } => Some(3),
        _ => None,
    }
}

fn is_plumbing(name: &str) -> bool {
    name.ends_with(".const") || name.starts_with("local.") || name.starts_with("global.") || name == "drop"
}

/// The parameter count of each function the module defines, in code order.
pub fn defined_params(wasm: &[u8]) -> Option<Vec<u32>> {
    Some(
        defined_param_types(wasm)?
            .iter()
            .map(|p| p.len() as u32)
            .collect(),
    )
}

/// The parameter types of each function the module defines, in code order.
fn defined_param_types(wasm: &[u8]) -> Option<Vec<Vec<wasmparser::ValType>>> {
    let mut types: Vec<Vec<wasmparser::ValType>> = Vec::new();
    let mut params = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            wasmparser::Payload::TypeSection(reader) => {
                for group in reader {
                    for ty in group.ok()?.into_types() {
                        types.push(match &ty.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => f.params().to_vec(),
                            _ => vec![],
                        });
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                for ty in reader {
                    params.push(types.get(ty.ok()? as usize)?.clone());
                }
            }
            _ => {}
        }
    }
    Some(params)
}

/// A function body's operators, in order.
pub fn operators<'a>(
    body: &wasmparser::FunctionBody<'a>,
) -> wasmparser::Result<Vec<wasmparser::Operator<'a>>> {
    let mut reader = body.get_operators_reader()?;
    let mut ops = Vec::new();
    while !reader.eof() {
        ops.push(reader.read()?);
    }
    Ok(ops)
}

/// Local declarations as `wasm_encoder::Function::new` takes them.
pub type Locals = Vec<(u32, wasm_encoder::ValType)>;

/// A function body's declared locals, re-encoded by `r`, and the index the
/// next local would get (its `params` plus the declared ones): rewriters
/// append their scratch locals from there.
pub fn declared_locals<R: Reencode + ?Sized>(
    r: &mut R,
    body: &wasmparser::FunctionBody<'_>,
    params: u32,
) -> Result<(Locals, u32), ReencodeError<R::Error>> {
    let mut locals = Vec::new();
    let mut next = params;
    for local in body.get_locals_reader()? {
        let (n, ty) = local?;
        locals.push((n, r.val_type(ty)?));
        next += n;
    }
    Ok((locals, next))
}

/// Each function body's operators, in code order.
fn bodies(wasm: &[u8]) -> Option<Vec<Vec<wasmparser::Operator<'_>>>> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.ok()? {
            out.push(operators(&body).ok()?);
        }
    }
    Some(out)
}

/// The characters of export names an [`Shape::ExportName`] cause may name:
/// the ones C strings cannot hold.
const NAME_CHARS: [char; 1] = ['\0'];

/// What a [`Shape::ExportName`] operator calls a character: `U+0000`.
fn char_name(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// The module's export names, in order (empty when it cannot be read).
pub fn export_names(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            names.extend(reader.into_iter().flatten().map(|e| e.name.to_string()));
        }
    }
    names
}

/// `wasm` with every `c` in its export names written as U+0001 (more of
/// them where that name is taken): the same exports under other names.
fn rename_exports(wasm: &[u8], c: char) -> Result<Vec<u8>> {
    let old = export_names(wasm);
    let mut taken: std::collections::BTreeSet<String> = old.iter().cloned().collect();
    let mut renamed = std::collections::VecDeque::new();
    for name in &old {
        if !name.contains(c) {
            renamed.push_back(name.clone());
            continue;
        }
        let mut new = name.replace(c, "\u{1}");
        while taken.contains(&new) {
            new.push('\u{1}');
        }
        taken.insert(new.clone());
        renamed.push_back(new);
    }
    struct Rename(std::collections::VecDeque<String>);
    impl Reencode for Rename {
        type Error = std::convert::Infallible;
        fn parse_export(
            &mut self,
            exports: &mut wasm_encoder::ExportSection,
            export: wasmparser::Export<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            let name = self.0.pop_front().unwrap_or_else(|| export.name.to_string());
            exports.export(
                &name,
                self.export_kind(export.kind)?,
                self.external_index(export.kind, export.index)?,
            );
            Ok(())
        }
    }
    let mut module = Module::new();
    Rename(renamed)
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(module.finish())
}

/// The operators that occur in `shape` somewhere in the module, by name.
pub fn in_shape(wasm: &[u8], shape: Shape) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    if shape == Shape::ExportName {
        let exports = export_names(wasm);
        for c in NAME_CHARS {
            if exports.iter().any(|n| n.contains(c)) {
                names.insert(char_name(c));
            }
        }
        return names;
    }
    let bottoms = if shape == Shape::BottomOperand {
        bottom_operands(wasm).unwrap_or_default()
    } else {
        vec![]
    };
    for (f, ops) in bodies(wasm).unwrap_or_default().into_iter().enumerate() {
        let dead = if shape == Shape::DeadCode {
            dead_runs(&ops)
        } else {
            vec![]
        };
        for (i, op) in ops.iter().enumerate() {
            let hit = match shape {
                Shape::FeedsBranch | Shape::FeedsSelect => shape.fed(ops.get(i + 1)),
                Shape::ConstOperand => i > 0 && const_type(&ops[i - 1]).is_some(),
                Shape::DeadCode => dead[i] != 0,
                Shape::NullOperand => null_operand(&ops, i),
                Shape::BottomOperand => bottoms
                    .get(f)
                    .is_some_and(|b| b.get(i).is_some_and(Option::is_some)),
                Shape::ExportName => false,
            };
            let name = if shape == Shape::DeadCode {
                dead_name(op)
            } else {
                op_name(op)
            };
            if hit
                && !is_plumbing(&name)
                && !matches!(name.as_str(), "block" | "loop" | "if" | "else" | "end")
            {
                names.insert(name);
            }
        }
    }
    names
}

/// `wasm` with every `op` in `shape` taken out of that shape, the meaning kept:
/// `… op (i32.const 0) (i32.or) br_if`, `(T.const c) (local.set t) (local.get t) op`,
/// or, for unreachable code, every run of it that holds `op` taken out.
pub fn unshape(wasm: &[u8], op: &str, shape: Shape) -> Result<Vec<u8>> {
    if shape == Shape::ExportName {
        let c = NAME_CHARS
            .into_iter()
            .find(|&c| char_name(c) == op)
            .ok_or_else(|| anyhow::anyhow!("{op} is not a character export names are rewritten for"))?;
        return rename_exports(wasm, c);
    }
    struct Unshape<'a> {
        op: &'a str,
        shape: Shape,
        params: std::vec::IntoIter<u32>,
        /// Every function's bottom-typed operands (for [`Shape::BottomOperand`] only).
        bottoms: std::vec::IntoIter<Vec<Option<wasm_encoder::HeapType>>>,
    }
    impl Reencode for Unshape<'_> {
        type Error = std::convert::Infallible;

        fn parse_function_body(
            &mut self,
            code: &mut wasm_encoder::CodeSection,
            func: wasmparser::FunctionBody<'_>,
        ) -> Result<(), ReencodeError<Self::Error>> {
            use wasm_encoder::{Instruction as I, ValType as V};
            let params = self.params.next().unwrap_or(0);
            let bottoms = self.bottoms.next().unwrap_or_default();
            let (mut locals, count) = declared_locals(self, &func, params)?;
            for ty in [V::I32, V::I64, V::F32, V::F64] {
                locals.push((1, ty));
            }
            let ops = operators(&func)?;
            // A scratch local of each own type a bottom-typed operand is
            // retyped to, after the four number ones.
            let mut retyped: Vec<wasm_encoder::HeapType> = Vec::new();
            let retype_at: Vec<Option<u32>> = (0..ops.len())
                .map(|i| {
                    if self.shape != Shape::BottomOperand
                        || ops.get(i + 1).is_none_or(|n| op_name(n) != self.op)
                    {
                        return None;
                    }
                    let own = (*bottoms.get(i + 1)?)?;
                    let k = retyped.iter().position(|h| *h == own).unwrap_or_else(|| {
                        retyped.push(own);
                        retyped.len() - 1
                    });
                    Some(count + 4 + k as u32)
                })
                .collect();
            for own in &retyped {
                locals.push((
                    1,
                    V::Ref(wasm_encoder::RefType {
                        nullable: true,
                        heap_type: *own,
                    }),
                ));
            }
            let mut f = wasm_encoder::Function::new(locals);
            // Only the unreachable-code shape needs the runs (a cause search
            // rewrites every function once per candidate).
            let dead = match self.shape {
                Shape::DeadCode => dead_runs(&ops),
                _ => vec![0; ops.len()],
            };
            let doomed: std::collections::BTreeSet<usize> = (0..ops.len())
                .filter(|&i| dead[i] != 0 && dead_name(&ops[i]) == self.op)
                .map(|i| dead[i])
                .collect();
            for (i, op) in ops.iter().enumerate() {
                let this = op_name(op) == self.op;
                match self.shape {
                    Shape::DeadCode => {
                        if !doomed.contains(&dead[i]) {
                            f.instruction(&self.instruction(op.clone())?);
                        }
                    }
                    Shape::NullOperand => {
                        let retyped = ops
                            .get(i + 1)
                            .filter(|next| op_name(next) == self.op && null_operand(&ops, i + 1))
                            .and_then(own_null);
                        match retyped {
                            Some(own) => f.instruction(&I::RefNull(own)),
                            None => f.instruction(&self.instruction(op.clone())?),
                        };
                    }
                    Shape::ConstOperand => {
                        let before_op = this_is_const_before(&ops, i, self.op);
                        f.instruction(&self.instruction(op.clone())?);
                        if let Some(t) = before_op {
                            f.instruction(&I::LocalSet(count + t as u32));
                            f.instruction(&I::LocalGet(count + t as u32));
                        }
                    }
                    Shape::BottomOperand => {
                        f.instruction(&self.instruction(op.clone())?);
                        if let Some(scratch) = retype_at[i] {
                            f.instruction(&I::LocalSet(scratch));
                            f.instruction(&I::LocalGet(scratch));
                        }
                    }
                    Shape::FeedsBranch | Shape::FeedsSelect | Shape::ExportName => {
                        f.instruction(&self.instruction(op.clone())?);
                        if this && self.shape.fed(ops.get(i + 1)) {
                            f.instruction(&I::I32Const(0));
                            f.instruction(&I::I32Or);
                        }
                    }
                }
            }
            code.function(&f);
            Ok(())
        }
    }
    /// If `ops[i]` is a constant right before `op`, its type's scratch slot.
    fn this_is_const_before(ops: &[wasmparser::Operator], i: usize, op: &str) -> Option<usize> {
        let t = const_type(&ops[i])?;
        ops.get(i + 1).filter(|next| op_name(next) == op).map(|_| t)
    }
    let params = defined_params(wasm).context("reading the module's function types")?;
    let bottoms = if shape == Shape::BottomOperand {
        bottom_operands(wasm).context("typing the module's operands")?
    } else {
        vec![]
    };
    let mut module = Module::new();
    Unshape {
        op,
        shape,
        params: params.into_iter(),
        bottoms: bottoms.into_iter(),
    }
    .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(module.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_an_export_name_is_written_as_another_character() {
        let wasm = wat::parse_str(
            r#"(module (func (export "a\00b") (result i32) i32.const 1)
                       (func (export "a\01b") (result i32) i32.const 2)
                       (func (export "c") (result i32) i32.const 3))"#,
        )
        .unwrap();
        assert_eq!(
            in_shape(&wasm, Shape::ExportName).into_iter().collect::<Vec<_>>(),
            ["U+0000"]
        );
        let out = unshape(&wasm, "U+0000", Shape::ExportName).unwrap();
        assert_eq!(export_names(&out), ["a\u{1}b\u{1}", "a\u{1}b", "c"]);
        assert!(in_shape(&out, Shape::ExportName).is_empty());
        crate::source::module_info::inspect(&out).unwrap();
        let plain = wat::parse_str(r#"(module (func (export "f")))"#).unwrap();
        assert!(in_shape(&plain, Shape::ExportName).is_empty());
    }

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

    #[test]
    fn unreachable_code_runs_end_at_their_block_and_come_out_whole() {
        let wasm = wat::parse_str(
            r#"(module (func (export "f") (param i32) (result i32)
                 (block $b (result i32)
                   local.get 0
                   br $b
                   i32.const 1 i32.add
                   (block (i32.const 2) (i32.mul) (drop) (br_if 1 (i32.const 0)))
                   i32.clz)
                 (if (result i32) (local.get 0)
                   (then unreachable i32.clz)
                   (else i32.const 3))
                 i32.add))"#,
        )
        .unwrap();
        let ops: Vec<String> = in_shape(&wasm, Shape::DeadCode).into_iter().collect();
        assert_eq!(ops, ["branch", "i32.add", "i32.clz", "i32.mul"]);
        // Both runs hold i32.clz: both come out, and the live i32.add stays.
        let out = unshape(&wasm, "branch", Shape::DeadCode).unwrap();
        assert_eq!(
            in_shape(&out, Shape::DeadCode).into_iter().collect::<Vec<_>>(),
            ["i32.clz"]
        );
        let out = unshape(&wasm, "i32.clz", Shape::DeadCode).unwrap();
        wasmparser::Validator::new()
            .validate_all(&out)
            .expect("still valid");
        assert!(in_shape(&out, Shape::DeadCode).is_empty());
        let live = bodies(&out).unwrap()[0]
            .iter()
            .filter(|op| op_name(op) == "i32.add")
            .count();
        assert_eq!(live, 1);
    }

    #[test]
    fn a_bottom_null_operand_gets_the_type_its_operator_names() {
        let wasm = wat::parse_str(
            r#"(module (type $s (struct (field i32)))
                 (func (export "f") (result i32)
                   (i31.get_u (ref.null none))
                   (struct.get $s 0 (ref.null $s))
                   i32.add))"#,
        )
        .unwrap();
        // struct.get already takes a null of its own type: not the shape.
        let ops: Vec<String> = in_shape(&wasm, Shape::NullOperand).into_iter().collect();
        assert_eq!(ops, ["i31.get_u"]);
        let out = unshape(&wasm, "i31.get_u", Shape::NullOperand).unwrap();
        wasmparser::Validator::new()
            .validate_all(&out)
            .expect("still valid");
        assert!(in_shape(&out, Shape::NullOperand).is_empty());
        assert!(wasmprinter::print_bytes(&out).unwrap().contains("ref.null i31"));

        // The conversions between hierarchies take their source's top type.
        let wasm = wat::parse_str(
            r#"(module (func (export "f") (result anyref) (any.convert_extern (ref.null noextern))))"#,
        )
        .unwrap();
        let ops: Vec<String> = in_shape(&wasm, Shape::NullOperand).into_iter().collect();
        assert_eq!(ops, ["any.convert_extern"]);
        let out = unshape(&wasm, "any.convert_extern", Shape::NullOperand).unwrap();
        assert!(
            wasmprinter::print_bytes(&out)
                .unwrap()
                .contains("ref.null extern")
        );
    }

    #[test]
    fn a_bottom_typed_operand_passes_through_a_local_of_the_operators_type() {
        // Bottom-typed from a local, from a call and from a block; the
        // externref local of `g` is no bottom type.
        let wasm = wat::parse_str(
            r#"(module
                 (func $none (result nullref) (ref.null none))
                 (func (export "f") (param (ref null noextern)) (result anyref)
                   (any.convert_extern (local.get 0)))
                 (func (export "g") (param externref) (result anyref)
                   (local $n (ref null none))
                   (drop (any.convert_extern (local.get 0)))
                   (i31.get_s (local.get $n)) drop
                   (ref.null none))
                 (func (export "h") (result i32)
                   (i31.get_u (call $none))
                   (array.len (block (result nullref) (ref.null none)))
                   i32.add))"#,
        )
        .unwrap();
        let ops: Vec<String> = in_shape(&wasm, Shape::BottomOperand).into_iter().collect();
        assert_eq!(ops, ["any.convert_extern", "array.len", "i31.get_s", "i31.get_u"]);
        let out = unshape(&wasm, "i31.get_u", Shape::BottomOperand).unwrap();
        let ops: Vec<String> = in_shape(&out, Shape::BottomOperand).into_iter().collect();
        assert_eq!(ops, ["any.convert_extern", "array.len", "i31.get_s"]);
        let out = unshape(&wasm, "any.convert_extern", Shape::BottomOperand).unwrap();
        wasmparser::Validator::new()
            .validate_all(&out)
            .expect("still valid");
        let ops: Vec<String> = in_shape(&out, Shape::BottomOperand).into_iter().collect();
        assert_eq!(
            ops,
            ["array.len", "i31.get_s", "i31.get_u"],
            "only the op asked for is taken out"
        );
        let text = wasmprinter::print_bytes(&out).unwrap();
        assert!(text.contains("(local i32 i64 f32 f64 externref)"), "{text}");
    }
}
