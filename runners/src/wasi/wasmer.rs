//! wasmer's own WASI (`wasmer-wasix`, its preview1 functions), with
//! Cranelift: the `wasmer-wasi` configuration.
//!
//! wasmer-wasix reads the host clock and `getrandom`; the environment every
//! runtime shares (fixed clocks, one random byte stream) is put in by
//! replacing `clock_time_get`, `clock_res_get` and `random_get` in its import
//! object, as for node. A run past its time limit is stopped with wasmer's
//! host interrupt (a signal to the running thread).

use crate::engine::{EngineInfo, Exhaustion, Failure, Feature};
use crate::wasi::{
    CLOCK_RESOLUTION_NS, MONOTONIC_NS, REALTIME_NS, WasiEnd, WasiEngine, WasiOutput, WasiProgram, WasiRun,
    failed, random_byte,
};
use std::sync::mpsc;
use std::time::Instant;
use wasmer::{Function, FunctionEnv, FunctionEnvMut, Instance, Memory, Module, Store};
use wasmer_wasix::virtual_fs::AsyncReadExt;
use wasmer_wasix::{Pipe, WasiEnv, WasiError};

/// wasmer (Cranelift) with `wasmer-wasix`.
pub struct WasmerWasi {
    engine: wasmer::Engine,
    /// wasmer-wasix runs its tasks (and its host file system) on tokio.
    runtime: tokio::runtime::Runtime,
    info: EngineInfo,
}

impl WasmerWasi {
    /// The engine and the tokio runtime wasmer-wasix needs.
    pub fn new() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime wasmer-wasix needs: {e}"))?;
        let engine = wasmer::sys::EngineBuilder::new(wasmer::sys::Cranelift::default()).engine();
        Ok(WasmerWasi {
            engine: engine.into(),
            runtime,
            info: EngineInfo {
                name: "wasmer-wasi".into(),
                version: format!(
                    "{} (wasmer-wasix {})",
                    crate::versions::WASMER,
                    crate::versions::WASMER_WASIX
                ),
                features: vec![
                    Feature::MutableGlobal,
                    Feature::SignExtension,
                    Feature::BulkMemory,
                ],
            },
        })
    }
}

impl WasiEngine for WasmerWasi {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn WasiProgram + '_>, String> {
        let module = Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(Program { owner: self, module }))
    }
}

struct Program<'a> {
    owner: &'a WasmerWasi,
    module: Module,
}

/// What the replaced imports need: the instance's memory and the position
/// in the random stream.
#[derive(Default)]
struct Fixed {
    memory: Option<Memory>,
    position: usize,
}

const ERRNO_SUCCESS: i32 = 0;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;

fn clock(id: i32) -> Option<u64> {
    match id {
        0 => Some(REALTIME_NS),
        1 => Some(MONOTONIC_NS),
        _ => None,
    }
}

/// Writes `value` at `ptr` of the instance's memory; the errno.
fn write_u64(env: &FunctionEnvMut<'_, Fixed>, ptr: i32, value: u64) -> i32 {
    let Some(memory) = &env.data().memory else {
        return ERRNO_FAULT;
    };
    let view = memory.view(env);
    match view.write(ptr as u32 as u64, &value.to_le_bytes()) {
        Ok(()) => ERRNO_SUCCESS,
        Err(_) => ERRNO_FAULT,
    }
}

fn clock_time_get(env: FunctionEnvMut<'_, Fixed>, id: i32, _precision: i64, ptr: i32) -> i32 {
    match clock(id) {
        Some(ns) => write_u64(&env, ptr, ns),
        None => ERRNO_INVAL,
    }
}

fn clock_res_get(env: FunctionEnvMut<'_, Fixed>, id: i32, ptr: i32) -> i32 {
    match clock(id) {
        Some(_) => write_u64(&env, ptr, CLOCK_RESOLUTION_NS),
        None => ERRNO_INVAL,
    }
}

fn random_get(mut env: FunctionEnvMut<'_, Fixed>, buf: i32, len: i32) -> i32 {
    let (data, store) = env.data_and_store_mut();
    let Some(memory) = &data.memory else {
        return ERRNO_FAULT;
    };
    let bytes: Vec<u8> = (0..len as u32 as usize)
        .map(|i| random_byte(data.position + i))
        .collect();
    match memory.view(&store).write(buf as u32 as u64, &bytes) {
        Ok(()) => {
            data.position += bytes.len();
            ERRNO_SUCCESS
        }
        Err(_) => ERRNO_FAULT,
    }
}

impl Program<'_> {
    /// Instantiates and runs `_start`; the end of the run.
    fn start(&self, store: &mut Store, run: &WasiRun, stdio: [Pipe; 3]) -> Result<WasiEnd, Failure> {
        let [stdin, stdout, stderr] = stdio;
        let mut builder = WasiEnv::builder(run.args.first().cloned().unwrap_or_default())
            .args(run.args.iter().skip(1))
            .envs(run.env.iter().map(|(k, v)| (k.clone(), v.clone())))
            .stdin(Box::new(stdin))
            .stdout(Box::new(stdout))
            .stderr(Box::new(stderr))
            .engine(self.owner.engine.clone());
        // The host file system is rooted at the folder holding this run's
        // fixture copies: nothing outside them is reachable.
        let root = run.dirs.first().and_then(|(host, _)| host.parent());
        if let Some(root) = root {
            let fs =
                wasmer_wasix::virtual_fs::host_fs::FileSystem::new(tokio::runtime::Handle::current(), root)
                    .map_err(|e| Failure::error(format!("cannot open {}: {e}", root.display())))?;
            builder = builder.fs(std::sync::Arc::new(fs)
                as std::sync::Arc<dyn wasmer_wasix::virtual_fs::FileSystem + Send + Sync>);
        }
        for (host, guest) in &run.dirs {
            // Paths in that file system are relative to its root.
            let inside =
                std::path::Path::new("/").join(root.and_then(|r| host.strip_prefix(r).ok()).unwrap_or(host));
            builder = builder
                .map_dir(guest, inside)
                .map_err(|e| Failure::error(format!("cannot pre-open {}: {e}", host.display())))?;
        }
        let mut wasi = builder
            .finalize(store)
            .map_err(|e| Failure::error(format!("wasmer-wasix: {e}")))?;
        let mut imports = wasi
            .import_object(store, &self.module)
            .map_err(|e| Failure::error(format!("wasmer-wasix: {e}")))?;
        let fixed = FunctionEnv::new(store, Fixed::default());
        for (name, function) in [
            (
                "clock_time_get",
                Function::new_typed_with_env(store, &fixed, clock_time_get),
            ),
            (
                "clock_res_get",
                Function::new_typed_with_env(store, &fixed, clock_res_get),
            ),
            (
                "random_get",
                Function::new_typed_with_env(store, &fixed, random_get),
            ),
        ] {
            imports.define(crate::wasi::PREVIEW1, name, function);
        }
        let instance =
            Instance::new(store, &self.module, &imports).map_err(|e| Failure::error(e.to_string()))?;
        fixed.as_mut(store).memory = instance.exports.get_memory("memory").ok().cloned();
        wasi.initialize(store, instance.clone())
            .map_err(|e| Failure::error(format!("wasmer-wasix: {e}")))?;
        let start = instance
            .exports
            .get_function("_start")
            .map_err(|e| Failure::error(e.to_string()))?
            .clone();
        let result = start.call(store, &[]);
        wasi.on_exit(store, None);
        Ok(match result {
            Ok(_) => WasiEnd::Exit { code: 0 },
            Err(e) => match e.downcast::<WasiError>() {
                Ok(WasiError::Exit(code)) => WasiEnd::Exit { code: code.raw() },
                Ok(other) => WasiEnd::Failed {
                    failure: Failure::error(other.to_string()),
                },
                Err(e) => WasiEnd::Failed {
                    failure: crate::native::wasmer::failure(e),
                },
            },
        })
    }
}

impl WasiProgram for Program<'_> {
    fn run(&mut self, run: &WasiRun) -> WasiOutput {
        let started = Instant::now();
        let runtime = &self.owner.runtime;
        let _inside = runtime.enter();
        let mut store = Store::new(self.owner.engine.clone());
        let (mut stdin_tx, stdin_rx) = Pipe::channel();
        let (stdout_tx, stdout_rx) = Pipe::channel();
        let (stderr_tx, stderr_rx) = Pipe::channel();
        {
            use wasmer_wasix::virtual_fs::AsyncWriteExt;
            if let Err(e) = runtime.block_on(stdin_tx.write_all(&run.stdin)) {
                return failed(Failure::error(format!("cannot write stdin: {e}")));
            }
            drop(stdin_tx);
        }
        // Output is read while the program runs, so that a full pipe never blocks it.
        let readers = [stdout_rx, stderr_rx].map(|rx| {
            let handle = runtime.handle().clone();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let mut rx = rx;
                let _ = handle.block_on(rx.read_to_end(&mut out));
                out.truncate(crate::wasi::OUTPUT_BYTES);
                out
            })
        });
        // The watchdog interrupts the run at its time limit (and again, until it stops).
        let (done, finished) = mpsc::channel::<()>();
        let interrupter = store.interrupter();
        let timeout = run.timeout;
        let timed_out = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = timed_out.clone();
        let watchdog = std::thread::spawn(move || {
            if finished.recv_timeout(timeout).is_ok() {
                return;
            }
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            while finished
                .recv_timeout(std::time::Duration::from_millis(50))
                .is_err()
            {
                interrupter.interrupt();
            }
        });
        let end = self.start(&mut store, run, [stdin_rx, stdout_tx, stderr_tx]);
        let _ = done.send(());
        let _ = watchdog.join();
        drop(store);
        let [stdout, stderr] = readers.map(|r| r.join().unwrap_or_default());
        let end = match end {
            _ if timed_out.load(std::sync::atomic::Ordering::SeqCst) => WasiEnd::Failed {
                failure: Failure::exhausted(Exhaustion::Timeout, "the run's time limit passed"),
            },
            Ok(end) => end,
            Err(failure) => WasiEnd::Failed { failure },
        };
        WasiOutput {
            end,
            stdout,
            stderr,
            run_us: started.elapsed().as_micros() as u64,
        }
    }
}
