//! wasmer adapter: the `sys` backend with the cranelift or singlepass compiler.

use crate::engine::{Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, TrapKind};
use crate::value::{Val, ValType};
use std::sync::Mutex;
use wasmer::sys::vm::TrapCode;
use wasmer::sys::{EngineBuilder, Features};
use wasmer::{Imports, RuntimeError, Store, Value};

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
                EngineBuilder::new(compiler)
                    .set_features(Some(features(true)))
                    .into()
            }),
            #[cfg(feature = "wasmer-singlepass")]
            Compiler::Singlepass => ("wasmer-singlepass", || {
                let mut compiler = wasmer::sys::Singlepass::default();
                compiler.num_threads(ONE_THREAD);
                EngineBuilder::new(compiler)
                    .set_features(Some(features(false)))
                    .into()
            }),
        };
        let mut declared = vec![
            Feature::MutableGlobal,
            Feature::SaturatingFloatToInt,
            Feature::SignExtension,
            Feature::MultiValue,
            Feature::BulkMemory,
            Feature::ReferenceTypes,
        ];
        if name == "wasmer-cranelift" {
            declared.extend([Feature::Simd, Feature::MultiMemory, Feature::ExtendedConst]);
        }
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

/// The wasmer feature set; singlepass has no SIMD code generator (it panics on
/// v128), so SIMD and friends are cranelift-only.
fn features(cranelift: bool) -> Features {
    let mut features = Features::none();
    features.bulk_memory(true).multi_value(true).reference_types(true);
    if cranelift {
        features.simd(true).multi_memory(true).extended_const(true);
    }
    features
}

impl Engine for WasmerEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let engine = self.engine();
        let module = wasmer::Module::new(&engine, wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(WasmerModule { engine, module }))
    }
}

struct WasmerModule {
    engine: wasmer::Engine,
    module: wasmer::Module,
}

impl Compiled for WasmerModule {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        let mut store = Store::new(self.engine.clone());
        let instance =
            wasmer::Instance::new(&mut store, &self.module, &Imports::new()).map_err(|e| match e {
                wasmer::InstantiationError::Start(err) => failure(err),
                other => Failure::error(other.to_string()),
            })?;
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
        let args: Vec<Value> = args.iter().map(|v| to_native(*v)).collect();
        let out = func.call(&mut self.store, &args).map_err(failure)?;
        out.iter().map(from_native).collect()
    }

    fn global(&mut self, name: &str) -> Option<Val> {
        let g = self.instance.exports.get_global(name).ok()?;
        from_native(&g.get(&mut self.store)).ok()
    }

    fn set_global(&mut self, name: &str, value: Val) -> bool {
        match self.instance.exports.get_global(name) {
            Ok(g) => g.set(&mut self.store, to_native(value)).is_ok(),
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

fn to_native(v: Val) -> Value {
    match v {
        Val::I32(x) => Value::I32(x),
        Val::I64(x) => Value::I64(x),
        Val::F32(b) => Value::F32(f32::from_bits(b)),
        Val::F64(b) => Value::F64(f64::from_bits(b)),
        Val::V128(b) => Value::V128(b),
        Val::FuncRef { .. } => Value::FuncRef(None),
        Val::ExternRef { .. } => Value::ExternRef(None),
    }
}

fn from_native(v: &Value) -> Result<Val, Failure> {
    Ok(match v {
        Value::I32(x) => Val::I32(*x),
        Value::I64(x) => Val::I64(*x),
        Value::F32(f) => Val::F32(f.to_bits()),
        Value::F64(f) => Val::F64(f.to_bits()),
        Value::V128(b) => Val::V128(*b),
        Value::FuncRef(f) => Val::FuncRef { null: f.is_none() },
        Value::ExternRef(r) => Val::ExternRef { null: r.is_none() },
        other => {
            return Err(Failure::unsupported(format!(
                "value of unsupported type {other:?}"
            )));
        }
    })
}

fn failure(err: RuntimeError) -> Failure {
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
