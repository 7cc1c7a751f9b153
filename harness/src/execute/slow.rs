//! `slow:ENGINE:PCT[@PHASE]`: fault injection for the performance gate, as
//! `mutant:` is for the correctness gate. Under `wasmgate perf` one phase of
//! the engine (execute unless `@compile` or `@instantiate` names another) is
//! made PCT % slower: after each measured run the wrapper spins (burning
//! CPU, so CPU time and wall time both grow) for PCT % of the time that
//! phase took, on the clock the sample is judged by, and the phase counts
//! the spin. The spin ends by the process's CPU time when the engine reports
//! CPU time: a spin timed by the wall clock adds less CPU time the busier the
//! machine is, and the injected slowdown would depend on the load. Everything else — the
//! other phases, results, ordinary runs — is ENGINE's own.

use anyhow::{Result, anyhow, bail};
use std::sync::Arc;
use wasmgate_runners::measure::{Mark, Sample, process_cpu_ns};
use wasmgate_runners::{Compiled, Engine, EngineInfo, Failure, Session, Val, ValType};

/// The prefix that selects a slowed engine.
pub const PREFIX: &str = "slow:";

/// The phase a slowed engine is slowed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slowed {
    Compile,
    Instantiate,
    Execute,
}

/// An engine with one measured phase slower by a fixed share.
pub struct SlowEngine {
    inner: Arc<dyn Engine>,
    percent: f64,
    phase: Slowed,
    info: EngineInfo,
}

impl SlowEngine {
    /// Parses `slow:ENGINE:PCT[@PHASE]`, building ENGINE with `build`.
    pub fn parse(spec: &str, build: impl Fn(&str) -> Result<Arc<dyn Engine>>) -> Result<Self> {
        let rest = spec.strip_prefix(PREFIX).unwrap_or(spec);
        let Some((inner, slowdown)) = rest.rsplit_once(':') else {
            bail!("slowed engine `{spec}` must look like slow:ENGINE:PCT[@PHASE], e.g. slow:wasmi:25");
        };
        let (pct, phase) = match slowdown.split_once('@') {
            None => (slowdown, Slowed::Execute),
            Some((pct, "compile")) => (pct, Slowed::Compile),
            Some((pct, "instantiate")) => (pct, Slowed::Instantiate),
            Some((pct, "execute")) => (pct, Slowed::Execute),
            Some((_, other)) => bail!(
                "`{other}` in `{spec}` is not a phase: slow:ENGINE:PCT@PHASE takes compile, instantiate or execute"
            ),
        };
        let percent: f64 = pct
            .trim_end_matches('%')
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && *p > 0.0 && *p <= 10_000.0)
            .ok_or_else(|| anyhow!("`{pct}` in `{spec}` is not a slowdown in percent (0 < PCT <= 10000)"))?;
        let inner = build(inner)?;
        let info = EngineInfo {
            name: format!("{PREFIX}{}:{slowdown}", inner.info().name),
            version: inner.info().version.clone(),
            features: inner.info().features.clone(),
        };
        Ok(SlowEngine {
            inner,
            percent,
            phase,
            info,
        })
    }
}

/// The engine a (possibly slowed) engine name measures: `slow:wasmi:25` and
/// `slow:wasmi:25@compile` → `wasmi`.
/// A baseline taken on `wasmi` is what `slow:wasmi:25` is compared with.
pub fn measured_name(name: &str) -> &str {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.rsplit_once(':'))
        .map_or(name, |(inner, _)| inner)
}

/// Burns CPU on this thread until `ns` have passed on the process's CPU
/// clock (`cpu`) or on the wall clock.
fn spin(ns: u64, cpu: bool) {
    let start = std::time::Instant::now();
    let start_cpu = process_cpu_ns();
    let passed = || {
        if cpu {
            process_cpu_ns().saturating_sub(start_cpu)
        } else {
            start.elapsed().as_nanos() as u64
        }
    };
    let mut x = 0u64;
    while passed() < ns {
        for i in 0..64u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
    }
    std::hint::black_box(x);
}

impl Engine for SlowEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn cannot_run(&self, wasm: &[u8]) -> Option<String> {
        self.inner.cannot_run(wasm)
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        self.inner.compile(wasm)
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        self.inner.session()
    }

    fn measure(
        &self,
        wasm: &[u8],
        export: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Sample, Failure> {
        let mut sample = self.inner.measure(wasm, export, args, results)?;
        let phase = match self.phase {
            Slowed::Compile => &mut sample.compile,
            Slowed::Instantiate => &mut sample.instantiate,
            Slowed::Execute => &mut sample.execute,
        };
        let took = phase.cpu_ns.unwrap_or(phase.wall_ns);
        let start = Mark::now();
        spin(
            (took as f64 * self.percent / 100.0) as u64,
            phase.cpu_ns.is_some(),
        );
        let extra = start.elapsed();
        phase.wall_ns += extra.wall_ns;
        if let Some(cpu) = phase.cpu_ns.as_mut() {
            *cpu += extra.cpu_ns.unwrap_or(extra.wall_ns);
        }
        Ok(sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slowed_phase_is_named_after_the_percentage_and_measures_its_engine() {
        let build = |name: &str| crate::execute::engines::resolve(name);
        let slow = SlowEngine::parse("slow:wasmi:40@compile", build).unwrap();
        assert_eq!(slow.phase, Slowed::Compile);
        assert_eq!(slow.info().name, "slow:wasmi:40@compile");
        assert_eq!(measured_name(&slow.info().name), "wasmi");
        assert_eq!(
            SlowEngine::parse("slow:wasmi:40", build).unwrap().phase,
            Slowed::Execute
        );
        let e = SlowEngine::parse("slow:wasmi:40@link", build).err().unwrap();
        assert!(
            e.to_string()
                .contains("`link` in `slow:wasmi:40@link` is not a phase"),
            "{e}"
        );
    }

    #[test]
    fn a_cpu_timed_spin_adds_its_whole_share_of_cpu_time_however_busy_the_machine_is() {
        // Two busy threads per core: the spin's thread is often off its core,
        // and wall time passes faster than its CPU time.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hogs: Vec<_> = (0..2 * cores)
            .map(|_| {
                std::process::Command::new("sh")
                    .args(["-c", "while :; do :; done"])
                    .spawn()
            })
            .collect::<Result<_, _>>()
            .expect("busy processes start");
        let start = Mark::now();
        spin(30_000_000, true);
        let took = start.elapsed();
        for mut c in hogs {
            let _ = c.kill();
            let _ = c.wait();
        }
        assert!(
            took.cpu_ns.unwrap() >= 30_000_000,
            "the spin counts CPU time, not wall time: {took:?}"
        );
    }
}
