//! wasmi adapter: the interpreter, eagerly compiled so that validation errors
//! surface at compile time like in the other engines.

use crate::engine::{
    Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, InstanceId, ModuleId, Session,
    TrapKind,
};
use crate::limits;
use crate::value::{Val, ValType};
use wasmi::{CompilationMode, Config, Linker, Store, StoreLimits, StoreLimitsBuilder, TrapCode};

/// The wasmi interpreter.
pub struct WasmiEngine {
    engine: wasmi::Engine,
    info: EngineInfo,
}

impl WasmiEngine {
    /// Builds the engine with every finished proposal wasmi implements.
    pub fn new() -> Self {
        let mut config = Config::default();
        config
            .compilation_mode(CompilationMode::Eager)
            // wasmi's default depth (1000) is shallower than other engines' native
            // stacks; a deeper limit keeps recursive cases comparable.
            .set_max_recursion_depth(limits::WASMI_RECURSION_DEPTH)
            .wasm_sign_extension(true)
            .wasm_saturating_float_to_int(true)
            .wasm_multi_value(true)
            .wasm_multi_memory(true)
            .wasm_bulk_memory(true)
            .wasm_reference_types(true)
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_memory64(true)
            .wasm_wide_arithmetic(true)
            .wasm_simd(true)
            .wasm_relaxed_simd(true)
            .wasm_custom_page_sizes(true);
        let mut features = Feature::WASM2_BASE.to_vec();
        features.extend([
            Feature::Simd,
            Feature::RelaxedSimd,
            Feature::TailCall,
            Feature::ExtendedConst,
            Feature::MultiMemory,
            Feature::Memory64,
            Feature::WideArithmetic,
            Feature::CustomPageSizes,
        ]);
        features.sort();
        let info = EngineInfo {
            name: "wasmi".into(),
            version: crate::versions::WASMI.into(),
            features,
        };
        WasmiEngine {
            engine: wasmi::Engine::new(&config),
            info,
        }
    }
}

impl Default for WasmiEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine for WasmiEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let module = wasmi::Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(WasmiModule {
            engine: self.engine.clone(),
            module,
        }))
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        let mut linker = Linker::new(&self.engine);
        linker.allow_shadowing(true);
        Ok(Box::new(WasmiSession {
            store: new_store(&self.engine),
            linker,
            modules: Vec::new(),
            instances: Vec::new(),
        }))
    }
}

fn new_store(engine: &wasmi::Engine) -> Store<StoreLimits> {
    let limits = StoreLimitsBuilder::new()
        .memory_size(limits::MEMORY_BYTES)
        .table_elements(limits::TABLE_ELEMENTS)
        .build();
    let mut store = Store::new(engine, limits);
    store.limiter(|l| l as &mut StoreLimits);
    store
}

struct WasmiSession {
    store: Store<StoreLimits>,
    linker: Linker<StoreLimits>,
    modules: Vec<wasmi::Module>,
    instances: Vec<wasmi::Instance>,
}

impl Session for WasmiSession {
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String> {
        let module = wasmi::Module::new(self.store.engine(), wasm).map_err(|e| e.to_string())?;
        self.modules.push(module);
        Ok(ModuleId(self.modules.len() - 1))
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure> {
        let instance = self
            .linker
            .instantiate_and_start(&mut self.store, &self.modules[module.0])
            .map_err(failure)?;
        self.instances.push(instance);
        Ok(InstanceId(self.instances.len() - 1))
    }

    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String> {
        self.linker
            .instance(&mut self.store, name, self.instances[instance.0])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Vec<Val>, Failure> {
        let func = self.instances[instance.0]
            .get_func(&self.store, name)
            .ok_or_else(|| Failure::error(format!("no exported function `{name}`")))?;
        call(&mut self.store, func, args, results)
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure> {
        let g = self.instances[instance.0]
            .get_global(&self.store, name)
            .ok_or_else(|| Failure::error(format!("no exported global `{name}`")))?;
        Ok(from_native(&self.store, &g.get(&self.store)))
    }
}

fn call(
    store: &mut Store<StoreLimits>,
    func: wasmi::Func,
    args: &[Val],
    results: &[ValType],
) -> Result<Vec<Val>, Failure> {
    let args = args
        .iter()
        .map(|v| to_native(&mut *store, *v))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = vec![wasmi::Val::I32(0); results.len()];
    func.call(&mut *store, &args, &mut out).map_err(failure)?;
    Ok(out.iter().map(|v| from_native(store, v)).collect())
}

struct WasmiModule {
    engine: wasmi::Engine,
    module: wasmi::Module,
}

impl Compiled for WasmiModule {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        let mut store = new_store(&self.engine);
        let linker = Linker::<StoreLimits>::new(&self.engine);
        let instance = linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(failure)?;
        Ok(Box::new(WasmiInstance { store, instance }))
    }
}

struct WasmiInstance {
    store: Store<StoreLimits>,
    instance: wasmi::Instance,
}

impl Instance for WasmiInstance {
    fn call(&mut self, name: &str, args: &[Val], results: &[ValType]) -> Result<Vec<Val>, Failure> {
        let func = self
            .instance
            .get_func(&self.store, name)
            .ok_or_else(|| Failure::error(format!("no exported function `{name}`")))?;
        call(&mut self.store, func, args, results)
    }

    fn global(&mut self, name: &str) -> Option<Val> {
        let g = self.instance.get_global(&self.store, name)?;
        Some(from_native(&self.store, &g.get(&self.store)))
    }

    fn set_global(&mut self, name: &str, value: Val) -> bool {
        match self.instance.get_global(&self.store, name) {
            Some(g) => {
                let Ok(v) = to_native(&mut self.store, value) else {
                    return false;
                };
                g.set(&mut self.store, v).is_ok()
            }
            None => false,
        }
    }

    fn memory(&mut self, name: &str, visit: &mut dyn FnMut(&[u8])) -> bool {
        match self.instance.get_memory(&self.store, name) {
            Some(m) => {
                visit(m.data(&self.store));
                true
            }
            None => false,
        }
    }
}

fn to_native(store: &mut Store<StoreLimits>, v: Val) -> Result<wasmi::Val, Failure> {
    Ok(match v {
        Val::I32(x) => wasmi::Val::I32(x),
        Val::I64(x) => wasmi::Val::I64(x),
        Val::F32(b) => wasmi::Val::F32(wasmi::F32::from_bits(b)),
        Val::F64(b) => wasmi::Val::F64(wasmi::F64::from_bits(b)),
        Val::V128(b) => wasmi::Val::V128(wasmi::V128::from(b)),
        Val::FuncRef { .. } => wasmi::Val::FuncRef(wasmi::Nullable::Null),
        Val::ExternRef { .. } => wasmi::Val::ExternRef(wasmi::Nullable::Null),
        Val::HostRef(n) => wasmi::Val::ExternRef(wasmi::Nullable::Val(wasmi::ExternRef::new(store, n))),
        Val::AnyRef(_) | Val::ExnRef { .. } => {
            return Err(Failure::unsupported(format!(
                "{} values (wasmi has no GC or exceptions)",
                v.ty()
            )));
        }
    })
}

fn from_native(store: &Store<StoreLimits>, v: &wasmi::Val) -> Val {
    match v {
        wasmi::Val::I32(x) => Val::I32(*x),
        wasmi::Val::I64(x) => Val::I64(*x),
        wasmi::Val::F32(f) => Val::F32(f.to_bits()),
        wasmi::Val::F64(f) => Val::F64(f.to_bits()),
        wasmi::Val::V128(b) => Val::V128(b.as_u128()),
        wasmi::Val::FuncRef(r) => Val::FuncRef { null: r.is_null() },
        wasmi::Val::ExternRef(wasmi::Nullable::Val(r)) => match r.data(store).downcast_ref() {
            Some(n) => Val::HostRef(*n),
            None => Val::ExternRef { null: false },
        },
        wasmi::Val::ExternRef(wasmi::Nullable::Null) => Val::ExternRef { null: true },
    }
}

pub(crate) fn failure(err: wasmi::Error) -> Failure {
    let message = err.to_string();
    // wasmi reports an element segment that does not fit its table as an
    // instantiation error; the spec (and every other engine) calls it a trap.
    if let wasmi::errors::ErrorKind::Instantiation(
        wasmi::errors::InstantiationError::ElementSegmentDoesNotFit { .. },
    ) = err.kind()
    {
        return Failure::trap(TrapKind::TableOutOfBounds, message);
    }
    let Some(code) = err.as_trap_code() else {
        return Failure::error(message);
    };
    let kind = match code {
        TrapCode::StackOverflow => return Failure::exhausted(Exhaustion::StackOverflow, message),
        TrapCode::OutOfFuel => return Failure::exhausted(Exhaustion::Fuel, message),
        TrapCode::GrowthOperationLimited => return Failure::exhausted(Exhaustion::Memory, message),
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::BadConversionToInteger,
        TrapCode::BadSignature => TrapKind::BadSignature,
        #[allow(unreachable_patterns)]
        _ => TrapKind::Unknown,
    };
    Failure::trap(kind, message)
}
