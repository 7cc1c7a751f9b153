//! wasmtime adapter: one `Engine` per code generator (cranelift, and later winch and pulley).

use crate::engine::{
    Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, InstanceId, ModuleId, Session,
    TrapKind,
};
use crate::limits;
use crate::value::{AnyVal, Val, ValType};
use wasmtime::{Config, Linker, Store, StoreLimits, StoreLimitsBuilder, Trap};

/// Which wasmtime code generator to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// The optimising compiler.
    Cranelift,
    /// The baseline compiler.
    Winch,
    /// The portable interpreter (Cranelift emitting Pulley bytecode).
    Pulley,
}

/// wasmtime with one code generator.
pub struct WasmtimeEngine {
    engine: wasmtime::Engine,
    info: EngineInfo,
}

impl WasmtimeEngine {
    /// Builds the engine; fails only if wasmtime rejects its own configuration.
    pub fn new(flavor: Flavor) -> Result<Self, String> {
        let mut config = Config::new();
        config
            .wasm_reference_types(true)
            .wasm_bulk_memory(true)
            .wasm_multi_value(true)
            .max_wasm_stack(limits::WASM_STACK_BYTES);
        let mut features = Feature::WASM2_BASE.to_vec();
        let name = match flavor {
            Flavor::Cranelift | Flavor::Pulley => {
                config.strategy(wasmtime::Strategy::Cranelift);
                // Every WebAssembly 3.0 proposal, and the later ones wasmtime
                // ships. Relaxed SIMD is deterministic: the same result on every
                // host, one of the spec's allowed set.
                config
                    .wasm_simd(true)
                    .wasm_relaxed_simd(true)
                    .relaxed_simd_deterministic(true)
                    .wasm_tail_call(true)
                    .wasm_multi_memory(true)
                    .wasm_memory64(true)
                    .wasm_extended_const(true)
                    .wasm_function_references(true)
                    .wasm_gc(true)
                    .wasm_exceptions(true)
                    .wasm_wide_arithmetic(true)
                    .wasm_custom_page_sizes(true);
                features.extend([
                    Feature::Simd,
                    Feature::RelaxedSimd,
                    Feature::TailCall,
                    Feature::ExtendedConst,
                    Feature::MultiMemory,
                    Feature::Memory64,
                    Feature::FunctionReferences,
                    Feature::Gc,
                    Feature::Exceptions,
                    Feature::WideArithmetic,
                    Feature::CustomPageSizes,
                ]);
                if flavor == Flavor::Pulley {
                    let target = if cfg!(target_pointer_width = "64") {
                        "pulley64"
                    } else {
                        "pulley32"
                    };
                    config.target(target).map_err(|e| format!("{e:#}"))?;
                    "wasmtime-pulley"
                } else {
                    "wasmtime-cranelift"
                }
            }
            Flavor::Winch => {
                // Winch has no GC support, and wasmtime's externref is a GC
                // reference: reference types are out, as are SIMD, tail calls,
                // exceptions and everything built on GC.
                features.retain(|f| *f != Feature::ReferenceTypes);
                config.strategy(wasmtime::Strategy::Winch);
                config
                    .wasm_simd(false)
                    .wasm_relaxed_simd(false)
                    .wasm_tail_call(false)
                    .wasm_memory64(false)
                    .wasm_exceptions(false)
                    .wasm_gc(false)
                    .wasm_function_references(false)
                    .wasm_extended_const(true)
                    .wasm_multi_memory(true);
                features.extend([Feature::ExtendedConst, Feature::MultiMemory]);
                "wasmtime-winch"
            }
        };
        features.sort();
        let engine = wasmtime::Engine::new(&config).map_err(|e| format!("{e:#}"))?;
        let info = EngineInfo {
            name: name.into(),
            version: crate::versions::WASMTIME.into(),
            features,
        };
        Ok(WasmtimeEngine { engine, info })
    }
}

impl Engine for WasmtimeEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let module = wasmtime::Module::new(&self.engine, wasm).map_err(|e| format!("{e:#}"))?;
        Ok(Box::new(WasmtimeModule {
            engine: self.engine.clone(),
            module,
        }))
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        let mut linker = Linker::new(&self.engine);
        linker.allow_shadowing(true);
        Ok(Box::new(WasmtimeSession {
            store: new_store(&self.engine),
            linker,
            modules: Vec::new(),
            instances: Vec::new(),
        }))
    }
}

fn new_store(engine: &wasmtime::Engine) -> Store<StoreLimits> {
    let limits = StoreLimitsBuilder::new()
        .memory_size(limits::MEMORY_BYTES)
        .table_elements(limits::TABLE_ELEMENTS)
        .build();
    let mut store = Store::new(engine, limits);
    store.limiter(|l| l as &mut StoreLimits);
    store
}

struct WasmtimeSession {
    store: Store<StoreLimits>,
    linker: Linker<StoreLimits>,
    modules: Vec<wasmtime::Module>,
    instances: Vec<wasmtime::Instance>,
}

impl Session for WasmtimeSession {
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String> {
        let module = wasmtime::Module::new(self.store.engine(), wasm).map_err(|e| format!("{e:#}"))?;
        self.modules.push(module);
        Ok(ModuleId(self.modules.len() - 1))
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure> {
        let instance = self
            .linker
            .instantiate(&mut self.store, &self.modules[module.0])
            .map_err(failure)?;
        self.instances.push(instance);
        Ok(InstanceId(self.instances.len() - 1))
    }

    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String> {
        self.linker
            .instance(&mut self.store, name, self.instances[instance.0])
            .map(|_| ())
            .map_err(|e| format!("{e:#}"))
    }

    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Vec<Val>, Failure> {
        let func = self.instances[instance.0]
            .get_func(&mut self.store, name)
            .ok_or_else(|| Failure::error(format!("no exported function `{name}`")))?;
        call(&mut self.store, func, args, results)
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure> {
        let g = self.instances[instance.0]
            .get_global(&mut self.store, name)
            .ok_or_else(|| Failure::error(format!("no exported global `{name}`")))?;
        let v = g.get(&mut self.store);
        from_native(&mut self.store, &v)
    }
}

fn call(
    store: &mut Store<StoreLimits>,
    func: wasmtime::Func,
    args: &[Val],
    results: &[ValType],
) -> Result<Vec<Val>, Failure> {
    let args = args
        .iter()
        .map(|v| to_native(&mut *store, *v))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = vec![wasmtime::Val::I32(0); results.len()];
    func.call(&mut *store, &args, &mut out).map_err(failure)?;
    out.iter().map(|v| from_native(&mut *store, v)).collect()
}

struct WasmtimeModule {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
}

impl Compiled for WasmtimeModule {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        let mut store = new_store(&self.engine);
        let instance = wasmtime::Instance::new(&mut store, &self.module, &[]).map_err(failure)?;
        Ok(Box::new(WasmtimeInstance { store, instance }))
    }
}

struct WasmtimeInstance {
    store: Store<StoreLimits>,
    instance: wasmtime::Instance,
}

impl Instance for WasmtimeInstance {
    fn call(&mut self, name: &str, args: &[Val], results: &[ValType]) -> Result<Vec<Val>, Failure> {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| Failure::error(format!("no exported function `{name}`")))?;
        call(&mut self.store, func, args, results)
    }

    fn global(&mut self, name: &str) -> Option<Val> {
        let g = self.instance.get_global(&mut self.store, name)?;
        let v = g.get(&mut self.store);
        from_native(&mut self.store, &v).ok()
    }

    fn set_global(&mut self, name: &str, value: Val) -> bool {
        match self.instance.get_global(&mut self.store, name) {
            Some(g) => match to_native(&mut self.store, value) {
                Ok(v) => g.set(&mut self.store, v).is_ok(),
                Err(_) => false,
            },
            None => false,
        }
    }

    fn memory(&mut self, name: &str, visit: &mut dyn FnMut(&[u8])) -> bool {
        match self.instance.get_memory(&mut self.store, name) {
            Some(m) => {
                visit(m.data(&self.store));
                true
            }
            None => false,
        }
    }
}

fn to_native(store: &mut Store<StoreLimits>, v: Val) -> Result<wasmtime::Val, Failure> {
    Ok(match v {
        Val::I32(x) => wasmtime::Val::I32(x),
        Val::I64(x) => wasmtime::Val::I64(x),
        Val::F32(b) => wasmtime::Val::F32(b),
        Val::F64(b) => wasmtime::Val::F64(b),
        Val::V128(b) => wasmtime::Val::V128(b.into()),
        // Only null references can be made without a host; the vector generator
        // never produces non-null ones.
        Val::FuncRef { .. } => wasmtime::Val::FuncRef(None),
        Val::ExternRef { .. } => wasmtime::Val::ExternRef(None),
        Val::HostRef(n) => wasmtime::Val::ExternRef(Some(host_ref(store, n)?)),
        Val::AnyRef(AnyVal::Null) => wasmtime::Val::AnyRef(None),
        Val::AnyRef(AnyVal::I31(n)) => wasmtime::Val::AnyRef(Some(wasmtime::AnyRef::from_i31(
            &mut *store,
            wasmtime::I31::wrapping_i32(n),
        ))),
        Val::AnyRef(AnyVal::Host(n)) => {
            let extern_ref = host_ref(store, n)?;
            wasmtime::Val::AnyRef(Some(
                wasmtime::AnyRef::convert_extern(&mut *store, extern_ref)
                    .map_err(|e| Failure::error(format!("{e:#}")))?,
            ))
        }
        Val::AnyRef(other) => {
            return Err(Failure::unsupported(format!(
                "an anyref argument of kind {other:?} (only null, i31 and host references can be made)"
            )));
        }
        Val::ExnRef { null: true } => wasmtime::Val::ExnRef(None),
        Val::ExnRef { null: false } => return Err(Failure::unsupported("a non-null exnref argument")),
    })
}

fn host_ref(
    store: &mut Store<StoreLimits>,
    n: u32,
) -> Result<wasmtime::Rooted<wasmtime::ExternRef>, Failure> {
    wasmtime::ExternRef::new(store, n).map_err(|e| Failure::error(format!("{e:#}")))
}

/// What can be observed of a non-null `anyref` on every engine (see [`AnyVal`]).
fn any_val(store: &mut Store<StoreLimits>, r: wasmtime::Rooted<wasmtime::AnyRef>) -> Result<AnyVal, Failure> {
    let err = |e: wasmtime::Error| Failure::error(format!("{e:#}"));
    if let Some(i) = r.as_i31(&*store).map_err(err)? {
        return Ok(AnyVal::I31(i.get_i32()));
    }
    if r.is_struct(&*store).map_err(err)? {
        return Ok(AnyVal::Struct(None));
    }
    if r.is_array(&*store).map_err(err)? {
        return Ok(AnyVal::Array(None));
    }
    let outside = wasmtime::ExternRef::convert_any(&mut *store, r).map_err(err)?;
    Ok(
        match outside
            .data(&*store)
            .ok()
            .flatten()
            .and_then(|d| d.downcast_ref::<u32>())
        {
            Some(n) => AnyVal::Host(*n),
            None => AnyVal::Other,
        },
    )
}

fn from_native(store: &mut Store<StoreLimits>, v: &wasmtime::Val) -> Result<Val, Failure> {
    Ok(match v {
        wasmtime::Val::I32(x) => Val::I32(*x),
        wasmtime::Val::I64(x) => Val::I64(*x),
        wasmtime::Val::F32(b) => Val::F32(*b),
        wasmtime::Val::F64(b) => Val::F64(*b),
        wasmtime::Val::V128(b) => Val::V128(b.as_u128()),
        wasmtime::Val::FuncRef(f) => Val::FuncRef { null: f.is_none() },
        wasmtime::Val::ExternRef(None) => Val::ExternRef { null: true },
        wasmtime::Val::ExternRef(Some(r)) => {
            match r.data(&*store).ok().flatten().and_then(|d| d.downcast_ref()) {
                Some(n) => Val::HostRef(*n),
                None => Val::ExternRef { null: false },
            }
        }
        wasmtime::Val::AnyRef(None) => Val::AnyRef(AnyVal::Null),
        wasmtime::Val::AnyRef(Some(r)) => Val::AnyRef(any_val(store, *r)?),
        wasmtime::Val::ExnRef(e) => Val::ExnRef { null: e.is_none() },
        other => {
            return Err(Failure::unsupported(format!(
                "value of unsupported type {:?}",
                other
            )));
        }
    })
}

pub(crate) fn failure(err: wasmtime::Error) -> Failure {
    let message = format!("{err:#}");
    if err.downcast_ref::<wasmtime::ThrownException>().is_some() {
        return Failure::trap(TrapKind::UncaughtException, message);
    }
    // An allocation past the GC heap's limit (array.new with a huge length):
    // the engine's resource, as a linear memory past its maximum is.
    if message.contains("GC heap out of memory") {
        return Failure::exhausted(Exhaustion::Memory, message);
    }
    let Some(trap) = err.downcast_ref::<Trap>() else {
        return Failure::error(message);
    };
    let kind = match trap {
        Trap::StackOverflow => return Failure::exhausted(Exhaustion::StackOverflow, message),
        Trap::OutOfFuel => return Failure::exhausted(Exhaustion::Fuel, message),
        Trap::Interrupt => return Failure::exhausted(Exhaustion::Timeout, message),
        Trap::AllocationTooLarge => return Failure::exhausted(Exhaustion::Memory, message),
        Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Trap::HeapMisaligned => TrapKind::UnalignedAtomic,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::BadSignature,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        Trap::BadConversionToInteger => TrapKind::BadConversionToInteger,
        Trap::UnreachableCodeReached => TrapKind::Unreachable,
        Trap::NullReference => TrapKind::NullReference,
        Trap::ArrayOutOfBounds => TrapKind::ArrayOutOfBounds,
        Trap::CastFailure => TrapKind::CastFailure,
        _ => TrapKind::Unknown,
    };
    Failure::trap(kind, message)
}
