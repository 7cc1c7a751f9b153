//! wasmtime's own WASI preview1 (`wasmtime-wasi`), with Cranelift: the
//! `wasmtime-wasi` configuration.

use crate::engine::{EngineInfo, Failure, Feature};
use crate::limits;
use crate::wasi::{
    CLOCK_RESOLUTION_NS, MONOTONIC_NS, OUTPUT_BYTES, REALTIME_NS, WasiEnd, WasiEngine, WasiOutput,
    WasiProgram, WasiRun, failed, random_period,
};
use std::time::{Duration, Instant};
use wasmtime::{Config, Linker, Module, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, I32Exit, WasiCtxBuilder};

/// How often the epoch advances: the granularity of the run time limit.
const TICK: Duration = Duration::from_millis(10);

/// wasmtime (Cranelift) with `wasmtime-wasi`'s preview1.
pub struct WasmtimeWasi {
    engine: wasmtime::Engine,
    info: EngineInfo,
}

struct Host {
    wasi: WasiP1Ctx,
    limits: StoreLimits,
}

struct FixedWall;

impl HostWallClock for FixedWall {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(CLOCK_RESOLUTION_NS)
    }
    fn now(&self) -> Duration {
        Duration::from_nanos(REALTIME_NS)
    }
}

struct FixedMonotonic;

impl HostMonotonicClock for FixedMonotonic {
    fn resolution(&self) -> u64 {
        CLOCK_RESOLUTION_NS
    }
    fn now(&self) -> u64 {
        MONOTONIC_NS
    }
}

/// The random stream laid out for `Deterministic`: wasmtime draws each byte
/// of `random_get` as a `u32` (rand's `u8` sampling keeps the low byte of
/// `next_u32`, which `Deterministic` reads big-endian), so each stream byte
/// goes last in a word of four.
fn spread(stream: Vec<u8>) -> Vec<u8> {
    stream.into_iter().flat_map(|b| [0, 0, 0, b]).collect()
}

impl WasmtimeWasi {
    /// The engine, with an epoch ticker thread for run time limits.
    pub fn new() -> Result<Self, String> {
        let mut config = Config::new();
        config
            .strategy(wasmtime::Strategy::Cranelift)
            .epoch_interruption(true)
            .max_wasm_stack(limits::WASM_STACK_BYTES);
        let engine = wasmtime::Engine::new(&config).map_err(|e| format!("{e:#}"))?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("wasmtime-wasi-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| format!("cannot start the epoch thread: {e}"))?;
        Ok(WasmtimeWasi {
            engine,
            info: EngineInfo {
                name: "wasmtime-wasi".into(),
                version: crate::versions::WASMTIME.into(),
                features: vec![
                    Feature::MutableGlobal,
                    Feature::SignExtension,
                    Feature::BulkMemory,
                ],
            },
        })
    }
}

impl WasiEngine for WasmtimeWasi {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn WasiProgram + '_>, String> {
        let module = Module::new(&self.engine, wasm).map_err(|e| format!("{e:#}"))?;
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |h: &mut Host| &mut h.wasi)
            .map_err(|e| format!("{e:#}"))?;
        Ok(Box::new(Program {
            engine: &self.engine,
            module,
            linker,
        }))
    }
}

struct Program<'a> {
    engine: &'a wasmtime::Engine,
    module: Module,
    linker: Linker<Host>,
}

impl Program<'_> {
    fn context(
        run: &WasiRun,
        stdout: &MemoryOutputPipe,
        stderr: &MemoryOutputPipe,
    ) -> Result<WasiP1Ctx, Failure> {
        let mut b = WasiCtxBuilder::new();
        b.args(&run.args)
            .envs(&run.env)
            .stdin(MemoryInputPipe::new(run.stdin.clone()))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FixedWall)
            .monotonic_clock(FixedMonotonic)
            .secure_random(wasmtime_wasi::Deterministic::new(spread(random_period())))
            .insecure_random(wasmtime_wasi::Deterministic::new(spread(random_period())))
            .insecure_random_seed(0);
        for (host, guest) in &run.dirs {
            b.preopened_dir(host, guest, FsPerms::ReadWrite)
                .map_err(|e| Failure::error(format!("cannot pre-open {}: {e:#}", host.display())))?;
        }
        Ok(b.build_p1())
    }
}

impl WasiProgram for Program<'_> {
    fn run(&mut self, run: &WasiRun) -> WasiOutput {
        let started = Instant::now();
        let stdout = MemoryOutputPipe::new(OUTPUT_BYTES);
        let stderr = MemoryOutputPipe::new(OUTPUT_BYTES);
        let wasi = match Self::context(run, &stdout, &stderr) {
            Ok(wasi) => wasi,
            Err(f) => return failed(f),
        };
        let limits = StoreLimitsBuilder::new()
            .memory_size(limits::MEMORY_BYTES)
            .table_elements(limits::TABLE_ELEMENTS)
            .build();
        let mut store = Store::new(self.engine, Host { wasi, limits });
        store.limiter(|h| &mut h.limits);
        store.set_epoch_deadline((run.timeout.as_millis() / TICK.as_millis()).max(1) as u64);
        let result = self
            .linker
            .instantiate(&mut store, &self.module)
            .and_then(|instance| instance.get_typed_func::<(), ()>(&mut store, "_start"))
            .and_then(|start| start.call(&mut store, ()));
        let end = match result {
            Ok(()) => WasiEnd::Exit { code: 0 },
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => WasiEnd::Exit { code: exit.0 },
                None => WasiEnd::Failed {
                    failure: crate::native::wasmtime::failure(e),
                },
            },
        };
        drop(store);
        WasiOutput {
            end,
            stdout: stdout.contents().to_vec(),
            stderr: stderr.contents().to_vec(),
            run_us: started.elapsed().as_micros() as u64,
        }
    }
}
