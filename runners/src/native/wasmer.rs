//! wasmer adapter: the `sys` backend with the cranelift or singlepass compiler.

use crate::engine::{
    Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, InstanceId, ModuleId, Session,
    TrapKind,
};
use crate::limits;
use crate::value::{Val, ValType};
use std::ptr::NonNull;
use std::sync::Mutex;
use wasmer::sys::vm::{
    MemoryError, MemoryStyle, TableStyle, TrapCode, VMMemory, VMMemoryDefinition, VMTable, VMTableDefinition,
};
use wasmer::sys::{BaseTunables, EngineBuilder, Features, NativeEngineExt, Tunables};
use wasmer::{Imports, RuntimeError, Store, Value};
use wasmer::{MemoryType, Pages, TableType};

/// Which wasmer compiler to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiler {
    #[cfg(feature = "wasmer-cranelift")]
    Cranelift,
    #[cfg(feature = "wasmer-singlepass")]
    Singlepass,
}

/// Modules compiled by one `wasmer::Engine` before it is replaced by a fresh one.
///
/// Every call into wasmer gets slower with the number of modules its engine has
/// ever compiled (2000 small modules made calls ~50× slower), so long campaigns
/// recycle the engine; modules keep the engine they were compiled with alive.
const MODULES_PER_ENGINE: u64 = 64;

/// The harness runs cases in parallel itself; wasmer's own compile thread pool
/// would only oversubscribe the cores (and start threads on every engine recycle).
const ONE_THREAD: std::num::NonZero<usize> = std::num::NonZero::new(1).unwrap();

/// wasmer with one compiler.
pub struct WasmerEngine {
    builder: fn() -> wasmer::Engine,
    current: Mutex<(wasmer::Engine, u64)>,
    info: EngineInfo,
}

impl WasmerEngine {
    /// Builds the engine with the features that compiler implements.
    pub fn new(compiler: Compiler) -> Self {
        let (name, builder): (&str, fn() -> wasmer::Engine) = match compiler {
            #[cfg(feature = "wasmer-cranelift")]
            Compiler::Cranelift => ("wasmer-cranelift", || {
                let mut compiler = wasmer::sys::Cranelift::default();
                compiler.num_threads(ONE_THREAD);
                limited(
                    EngineBuilder::new(compiler)
                        .set_features(Some(features(true)))
                        .into(),
                )
            }),
            #[cfg(feature = "wasmer-singlepass")]
            Compiler::Singlepass => ("wasmer-singlepass", || {
                let mut compiler = wasmer::sys::Singlepass::default();
                compiler.num_threads(ONE_THREAD);
                limited(
                    EngineBuilder::new(compiler)
                        .set_features(Some(features(false)))
                        .into(),
                )
            }),
        };
        let mut declared = Feature::WASM2_BASE.to_vec();
        if name == "wasmer-cranelift" {
            declared.extend([
                Feature::Simd,
                Feature::RelaxedSimd,
                Feature::MultiMemory,
                Feature::ExtendedConst,
                Feature::Exceptions,
                Feature::WideArithmetic,
            ]);
        }
        declared.sort();
        let info = EngineInfo {
            name: name.into(),
            version: crate::versions::WASMER.into(),
            features: declared,
        };
        WasmerEngine {
            builder,
            current: Mutex::new((builder(), 0)),
            info,
        }
    }

    /// The engine to compile the next module with, recycled every
    /// [`MODULES_PER_ENGINE`] modules.
    fn engine(&self) -> wasmer::Engine {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if current.1 >= MODULES_PER_ENGINE {
            *current = ((self.builder)(), 0);
        }
        current.1 += 1;
        current.0.clone()
    }
}

/// `engine` with the harness's resource limits (see [`Limited`]).
fn limited(mut engine: wasmer::Engine) -> wasmer::Engine {
    engine.set_tunables(Limited(BaseTunables::new()));
    engine
}

/// wasmer's side of [`crate::limits`]: every memory and table is created with
/// its maximum lowered to the harness limit, so `memory.grow` and `table.grow`
/// past it return -1 as they do in wasmtime and wasmi (whose stores refuse the
/// same growth), and a module whose minimum is above it fails to instantiate.
struct Limited(BaseTunables);

impl Limited {
    fn memory(ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        let limit = Pages((limits::MEMORY_BYTES / 65536) as u32);
        if ty.minimum > limit {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: limit,
            });
        }
        let mut limited = *ty;
        limited.maximum = Some(ty.maximum.map_or(limit, |m| m.min(limit)));
        Ok(limited)
    }

    fn table(ty: &TableType) -> Result<TableType, String> {
        let limit = limits::TABLE_ELEMENTS as u32;
        if ty.minimum > limit {
            return Err(format!(
                "table minimum {} is above the limit of {limit} elements",
                ty.minimum
            ));
        }
        let mut limited = *ty;
        limited.maximum = Some(ty.maximum.map_or(limit, |m| m.min(limit)));
        Ok(limited)
    }
}

impl Tunables for Limited {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.0.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.0.table_style(table)
    }

    fn create_host_memory(&self, ty: &MemoryType, style: &MemoryStyle) -> Result<VMMemory, MemoryError> {
        self.0.create_host_memory(&Self::memory(ty)?, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        // SAFETY: the caller's guarantee for `location` is passed on unchanged.
        unsafe { self.0.create_vm_memory(&Self::memory(ty)?, style, location) }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.0.create_host_table(&Self::table(ty)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: the caller's guarantee for `location` is passed on unchanged.
        unsafe { self.0.create_vm_table(&Self::table(ty)?, style, location) }
    }
}

/// The wasmer feature set; singlepass has no SIMD code generator (it panics on
/// v128), so SIMD and friends are cranelift-only.
fn features(cranelift: bool) -> Features {
    let mut features = Features::none();
    features.bulk_memory(true).multi_value(true).reference_types(true);
    if cranelift {
        features
            .simd(true)
            .relaxed_simd(true)
            .multi_memory(true)
            .extended_const(true)
            .exceptions(true)
            .wide_arithmetic(true);
    }
    features
}

impl Engine for WasmerEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn cannot_run(&self, wasm: &[u8]) -> Option<String> {
        exnref_tables(wasm).then(|| {
            format!(
                "{} runs exceptions but no table or element segment of exnref (\"Unsupported feature\")",
                self.info.name
            )
        })
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let engine = self.engine();
        let module = wasmer::Module::new(&engine, wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(WasmerModule { engine, module }))
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        // A fresh engine per session: a script compiles many modules, and a
        // wasmer engine slows down with every module it has compiled.
        Ok(Box::new(WasmerSession {
            store: Store::new((self.builder)()),
            imports: Imports::new(),
            modules: Vec::new(),
            instances: Vec::new(),
        }))
    }
}

struct WasmerSession {
    store: Store,
    imports: Imports,
    modules: Vec<wasmer::Module>,
    instances: Vec<wasmer::Instance>,
}

fn instantiation_failure(e: wasmer::InstantiationError) -> Failure {
    match e {
        wasmer::InstantiationError::Start(err) => failure(err),
        other => Failure::error(other.to_string()),
    }
}

impl Session for WasmerSession {
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String> {
        let module = wasmer::Module::new(&self.store, wasm).map_err(|e| e.to_string())?;
        self.modules.push(module);
        Ok(ModuleId(self.modules.len() - 1))
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure> {
        let instance = wasmer::Instance::new(&mut self.store, &self.modules[module.0], &self.imports)
            .map_err(instantiation_failure)?;
        self.instances.push(instance);
        Ok(InstanceId(self.instances.len() - 1))
    }

    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String> {
        for (field, export) in self.instances[instance.0].exports.iter() {
            self.imports.define(name, field, export.clone());
        }
        Ok(())
    }

    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        _results: &[ValType],
    ) -> Result<Vec<Val>, Failure> {
        let func = self.instances[instance.0]
            .exports
            .get_function(name)
            .map_err(|e| Failure::error(e.to_string()))?
            .clone();
        call(&mut self.store, &func, args)
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure> {
        let g = self.instances[instance.0]
            .exports
            .get_global(name)
            .map_err(|e| Failure::error(e.to_string()))?;
        let v = g.get(&mut self.store);
        from_native(&self.store, &v)
    }
}

fn call(store: &mut Store, func: &wasmer::Function, args: &[Val]) -> Result<Vec<Val>, Failure> {
    let args = args
        .iter()
        .map(|v| to_native(&mut *store, *v))
        .collect::<Result<Vec<_>, _>>()?;
    let out = func.call(&mut *store, &args).map_err(failure)?;
    out.iter().map(|v| from_native(store, v)).collect()
}

struct WasmerModule {
    engine: wasmer::Engine,
    module: wasmer::Module,
}

impl Compiled for WasmerModule {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        let mut store = Store::new(self.engine.clone());
        let instance = wasmer::Instance::new(&mut store, &self.module, &Imports::new())
            .map_err(instantiation_failure)?;
        Ok(Box::new(WasmerInstance { store, instance }))
    }
}

struct WasmerInstance {
    store: Store,
    instance: wasmer::Instance,
}

impl Instance for WasmerInstance {
    fn call(&mut self, name: &str, args: &[Val], _results: &[ValType]) -> Result<Vec<Val>, Failure> {
        let func = self
            .instance
            .exports
            .get_function(name)
            .map_err(|e| Failure::error(e.to_string()))?;
        let func = func.clone();
        call(&mut self.store, &func, args)
    }

    fn global(&mut self, name: &str) -> Option<Val> {
        let g = self.instance.exports.get_global(name).ok()?;
        let v = g.get(&mut self.store);
        from_native(&self.store, &v).ok()
    }

    fn set_global(&mut self, name: &str, value: Val) -> bool {
        match self.instance.exports.get_global(name) {
            Ok(g) => {
                let Ok(v) = to_native(&mut self.store, value) else {
                    return false;
                };
                g.set(&mut self.store, v).is_ok()
            }
            Err(_) => false,
        }
    }

    fn memory(&mut self, name: &str, visit: &mut dyn FnMut(&[u8])) -> bool {
        let Ok(memory) = self.instance.exports.get_memory(name) else {
            return false;
        };
        let view = memory.view(&self.store);
        // SAFETY: the store is borrowed for the whole visit and no wasm runs
        // meanwhile, so nothing can grow or write the memory under the slice.
        visit(unsafe { view.data_unchecked() });
        true
    }
}

fn to_native(store: &mut Store, v: Val) -> Result<Value, Failure> {
    Ok(match v {
        Val::I32(x) => Value::I32(x),
        Val::I64(x) => Value::I64(x),
        Val::F32(b) => Value::F32(f32::from_bits(b)),
        Val::F64(b) => Value::F64(f64::from_bits(b)),
        Val::V128(b) => Value::V128(b),
        Val::FuncRef { .. } => Value::FuncRef(None),
        Val::ExternRef { .. } => Value::ExternRef(None),
        Val::HostRef(n) => Value::ExternRef(Some(wasmer::ExternRef::new(store, n))),
        Val::ExnRef { null: true } => Value::ExceptionRef(None),
        Val::AnyRef(_) | Val::ExnRef { .. } => {
            return Err(Failure::unsupported(format!(
                "{} values (wasmer has no GC)",
                v.ty()
            )));
        }
    })
}

fn from_native(store: &Store, v: &Value) -> Result<Val, Failure> {
    Ok(match v {
        Value::I32(x) => Val::I32(*x),
        Value::I64(x) => Val::I64(*x),
        Value::F32(f) => Val::F32(f.to_bits()),
        Value::F64(f) => Val::F64(f.to_bits()),
        Value::V128(b) => Val::V128(*b),
        Value::FuncRef(f) => Val::FuncRef { null: f.is_none() },
        Value::ExternRef(None) => Val::ExternRef { null: true },
        Value::ExternRef(Some(r)) => match r.downcast::<u32>(store) {
            Some(n) => Val::HostRef(*n),
            None => Val::ExternRef { null: false },
        },
        Value::ExceptionRef(e) => Val::ExnRef { null: e.is_none() },
    })
}

pub(crate) fn failure(err: RuntimeError) -> Failure {
    let message = err.message();
    let Some(code) = err.to_trap() else {
        return Failure::error(message);
    };
    let kind = match code {
        TrapCode::StackOverflow => return Failure::exhausted(Exhaustion::StackOverflow, message),
        TrapCode::HeapAccessOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::HeapMisaligned | TrapCode::UnalignedAtomic => TrapKind::UnalignedAtomic,
        TrapCode::TableAccessOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::BadSignature => TrapKind::BadSignature,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger => TrapKind::BadConversionToInteger,
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::UncaughtException => TrapKind::UncaughtException,
        _ => TrapKind::Unknown,
    };
    Failure::trap(kind, message)
}

/// Whether `wasm` has a table or an element segment of exception
/// references: wasmer 7.4 rejects the first at compile time and fails to
/// instantiate the second ("tables of types other than funcref or externref").
fn exnref_tables(wasm: &[u8]) -> bool {
    let exn = |r: wasmparser::RefType| match r.heap_type() {
        wasmparser::HeapType::Abstract { shared, ty } => {
            ValType::of_abstract_heap(shared, ty) == Some(ValType::ExnRef)
        }
        _ => false,
    };
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .flatten()
        .any(|payload| match payload {
            wasmparser::Payload::TableSection(r) => r.into_iter().flatten().any(|t| exn(t.ty.element_type)),
            wasmparser::Payload::ImportSection(r) => r
                .into_imports()
                .flatten()
                .any(|i| matches!(i.ty, wasmparser::TypeRef::Table(t) if exn(t.element_type))),
            wasmparser::Payload::ElementSection(r) => r
                .into_iter()
                .flatten()
                .any(|e| matches!(e.items, wasmparser::ElementItems::Expressions(ty, _) if exn(ty))),
            _ => false,
        })
}
