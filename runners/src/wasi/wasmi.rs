//! wasmi's own WASI preview1 (`wasmi_wasi`, on wasi-common): the
//! `wasmi-wasi` configuration.

use crate::engine::{EngineInfo, Exhaustion, Failure, Feature};
use crate::limits;
use crate::wasi::{
    CLOCK_RESOLUTION_NS, MONOTONIC_NS, REALTIME_NS, SharedOutput, WasiEnd, WasiEngine, WasiOutput,
    WasiProgram, WasiRun, failed, random_byte,
};
use std::time::{Duration, Instant};
use wasi_common::pipe::{ReadPipe, WritePipe};
use wasi_common::{WasiClocks, WasiCtx, WasiMonotonicClock, WasiSystemClock};
use wasmi::{Config, Linker, Module, Store, StoreLimits, StoreLimitsBuilder};
use wasmi_wasi::wasi_common;

/// Fuel (about one unit per instruction) between two looks at the clock:
/// wasmi cannot be interrupted from outside, so a run is a resumable call
/// given fuel slice by slice until it ends or its time is up.
const FUEL_SLICE: u64 = 20_000_000;

/// wasmi with `wasmi_wasi`'s preview1.
pub struct WasmiWasi {
    engine: wasmi::Engine,
    info: EngineInfo,
}

struct Host {
    wasi: WasiCtx,
    limits: StoreLimits,
}

struct FixedSystem;

impl WasiSystemClock for FixedSystem {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(CLOCK_RESOLUTION_NS)
    }
    fn now(&self, _precision: Duration) -> cap_std::time::SystemTime {
        cap_std::time::SystemTime::from_std(std::time::UNIX_EPOCH + Duration::from_nanos(REALTIME_NS))
    }
}

/// A monotonic clock standing still at `base` + [`MONOTONIC_NS`], where
/// `base` is the context's creation time (wasi-common reports the
/// difference).
struct FixedMonotonic(cap_std::time::Instant);

impl WasiMonotonicClock for FixedMonotonic {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(CLOCK_RESOLUTION_NS)
    }
    fn now(&self, _precision: Duration) -> cap_std::time::Instant {
        self.0 + Duration::from_nanos(MONOTONIC_NS)
    }
}

/// The shared random stream, read from its start.
#[derive(Default)]
struct Stream(usize);

impl wasi_common::RngCore for Stream {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = random_byte(self.0);
            self.0 += 1;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), cap_rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl WasmiWasi {
    /// The engine, metering fuel.
    pub fn new() -> Self {
        let mut config = Config::default();
        config.consume_fuel(true);
        WasmiWasi {
            engine: wasmi::Engine::new(&config),
            info: EngineInfo {
                name: "wasmi-wasi".into(),
                version: crate::versions::WASMI.into(),
                features: vec![
                    Feature::MutableGlobal,
                    Feature::SignExtension,
                    Feature::BulkMemory,
                ],
            },
        }
    }
}

impl Default for WasmiWasi {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiEngine for WasmiWasi {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn WasiProgram + '_>, String> {
        let module = Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        let mut linker = Linker::new(&self.engine);
        wasmi_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).map_err(|e| e.to_string())?;
        Ok(Box::new(Program {
            engine: &self.engine,
            module,
            linker,
        }))
    }
}

struct Program<'a> {
    engine: &'a wasmi::Engine,
    module: Module,
    linker: Linker<Host>,
}

fn context(run: &WasiRun, stdout: &SharedOutput, stderr: &SharedOutput) -> Result<WasiCtx, Failure> {
    let base = cap_std::time::Instant::from_std(std::time::Instant::now());
    let clocks = WasiClocks {
        system: Some(Box::new(FixedSystem)),
        monotonic: Some(wasi_common::clocks::WasiMonotonicOffsetClock {
            creation_time: base,
            abs_clock: Box::new(FixedMonotonic(base)),
        }),
    };
    let mut ctx = WasiCtx::new(
        Box::new(Stream::default()),
        clocks,
        wasi_common::sync::sched::sched_ctx(),
        wasi_common::Table::new(),
    );
    let bad = |e: wasi_common::StringArrayError| Failure::error(format!("arguments or environment: {e}"));
    for a in &run.args {
        ctx.push_arg(a).map_err(bad)?;
    }
    for (k, v) in &run.env {
        ctx.push_env(k, v).map_err(bad)?;
    }
    ctx.set_stdin(Box::new(ReadPipe::from(run.stdin.clone())));
    ctx.set_stdout(Box::new(WritePipe::new(stdout.clone())));
    ctx.set_stderr(Box::new(WritePipe::new(stderr.clone())));
    for (host, guest) in &run.dirs {
        let dir = wasi_common::sync::Dir::open_ambient_dir(host, wasi_common::sync::ambient_authority())
            .map_err(|e| Failure::error(format!("cannot pre-open {}: {e}", host.display())))?;
        ctx.push_preopened_dir(Box::new(wasi_common::sync::dir::Dir::from_cap_std(dir)), guest)
            .map_err(|e| Failure::error(format!("cannot pre-open {}: {e}", host.display())))?;
    }
    Ok(ctx)
}

/// Drives a resumable call to its end: more fuel while time is left, a host
/// error (`proc_exit` among them) as the call's error, a timeout as
/// exhaustion.
fn finish(
    store: &mut Store<Host>,
    mut call: Result<wasmi::ResumableCall, wasmi::Error>,
    started: Instant,
    timeout: Duration,
) -> Result<(), wasmi::Error> {
    loop {
        match call? {
            wasmi::ResumableCall::Finished => return Ok(()),
            wasmi::ResumableCall::HostTrap(trap) => return Err(trap.into_host_error()),
            wasmi::ResumableCall::OutOfFuel(more) => {
                if started.elapsed() > timeout {
                    return Err(wasmi::Error::new(TIMED_OUT));
                }
                store.set_fuel(FUEL_SLICE.max(more.required_fuel()))?;
                call = more.resume(&mut *store, &mut []);
            }
        }
    }
}

/// The message of a run stopped at its time limit.
const TIMED_OUT: &str = "the run's time limit passed";

impl WasiProgram for Program<'_> {
    fn run(&mut self, run: &WasiRun) -> WasiOutput {
        let started = Instant::now();
        let (stdout, stderr) = (SharedOutput::default(), SharedOutput::default());
        let wasi = match context(run, &stdout, &stderr) {
            Ok(wasi) => wasi,
            Err(f) => return failed(f),
        };
        let limits = StoreLimitsBuilder::new()
            .memory_size(limits::MEMORY_BYTES)
            .table_elements(limits::TABLE_ELEMENTS)
            .build();
        let mut store = Store::new(self.engine, Host { wasi, limits });
        store.limiter(|h| &mut h.limits);
        if let Err(e) = store.set_fuel(FUEL_SLICE) {
            return failed(Failure::error(e.to_string()));
        }
        let started_call = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .and_then(|instance| instance.get_typed_func::<(), ()>(&store, "_start"))
            .and_then(|start| start.func().call_resumable(&mut store, &[], &mut []));
        let end = match finish(&mut store, started_call, started, run.timeout) {
            Ok(()) => WasiEnd::Exit { code: 0 },
            Err(e) => match e.i32_exit_status() {
                Some(code) => WasiEnd::Exit { code },
                None if e.to_string().contains(TIMED_OUT) => WasiEnd::Failed {
                    failure: Failure::exhausted(Exhaustion::Timeout, e.to_string()),
                },
                None => WasiEnd::Failed {
                    failure: crate::native::wasmi::failure(e),
                },
            },
        };
        drop(store);
        WasiOutput {
            end,
            stdout: stdout.contents(),
            stderr: stderr.contents(),
            run_us: started.elapsed().as_micros() as u64,
        }
    }
}
