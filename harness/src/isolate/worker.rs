//! Worker processes: engines run in child processes (`wasmgate worker`) so that
//! an engine that segfaults, aborts or hangs costs one case, never the run.
//!
//! The supervisor and a worker speak JSON lines over the worker's stdin and
//! stdout: first the worker says it is ready once its engines have started
//! (`{"ready":true}`; starting a browser is nobody's case time), then one
//! [`Request`] in, one [`CaseResult`] out (preceded, when the
//! request asks for it, by [`Progress`] lines: each engine's compile and
//! instantiation as it starts, and its calls at most every 20 ms — every
//! phase in the blame runs of one engine alone). Time limits measure the
//! engine, not the machine: each engine's turn in a worker (from its first progress line to the next engine's) may
//! use the case time limit in **CPU time** of the worker's process tree (the
//! worker and the engine processes it started), read from `/proc`; the wall
//! clock is only a backstop ([`wasmgate_runners::child::WALL_FACTOR`] times
//! the limit) that never makes a hang. A worker that dies or uses up an
//! engine's CPU time is killed and replaced, and the case is re-run on each
//! engine from that one on alone — all at once, with progress on — to find
//! which one crashed or hung, and where. When every engine hangs alone, the
//! case is inconclusive, not a finding; when the backstop comes first, the
//! case is tried once more, then is inconclusive ("the machine was too busy").

use crate::compare::judge::{CaseResult, evaluate_case_observed};
use crate::compare::{At, Divergence, DivergenceKind, Group, Observed, Verdict, signature_of};
use crate::execute::engines;
use crate::execute::{EngineOutcome, Phase, Status, Timings};
use crate::source::case::{Origin, TestCase};
use crate::source::profile::Profile;
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmgate_runners::child::{CHECK_EVERY, CpuClock, Exchange, Limit, LineChild, Over};
use wasmgate_runners::measure::Sample;
use wasmgate_runners::{Failure, Val, ValType};

/// What the supervisor asks a worker to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Generate the case for a seed, run it, compare.
    Seed {
        profile: Profile,
        seed: u64,
        #[serde(default)]
        progress: bool,
    },
    /// Run a given case (module bytes in hex), compare, and return every outcome.
    Case {
        case: TestCase,
        wasm_hex: String,
        #[serde(default)]
        progress: bool,
    },
    /// Compile, instantiate and call one program once on the worker's only
    /// engine, timing each phase (`wasmgate perf`).
    Measure {
        wasm_hex: String,
        export: String,
        args: Vec<Val>,
        results: Vec<ValType>,
    },
}

/// A worker's answer to [`Request::Measure`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub measured: Result<Sample, Failure>,
}

/// How a measurement in a worker ended.
pub enum MeasureReply {
    Done(Result<Sample, Failure>),
    /// The worker died (how) or hung; it is gone.
    Died(String),
    Hung,
}

impl Request {
    /// The same request, reporting progress.
    fn with_progress(&self) -> Request {
        let mut r = self.clone();
        match &mut r {
            Request::Seed { progress, .. } | Request::Case { progress, .. } => *progress = true,
            Request::Measure { .. } => {}
        }
        r
    }
}

/// A line a worker sends before its answer: `engine` starts `phase`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    pub engine: String,
    pub phase: Phase,
}

#[derive(Serialize, Deserialize)]
struct ProgressLine {
    progress: Progress,
}

/// Module bytes as the hex of a request line.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return Err(anyhow!("odd-length hex"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| anyhow!("bad hex: {e}")))
        .collect()
}

/// The seed a case stands for in reports (0 for cases not made from a seed).
pub(super) fn seed_of(case: &TestCase) -> u64 {
    match case.origin {
        Origin::Generated { seed, .. } => seed,
        _ => 0,
    }
}

/// Fixes glibc's threshold for serving allocations with `mmap`. Left
/// dynamic, it rises after the first large block is freed, so that a linear
/// memory is later carved from the heap instead: the same instantiation then
/// costs several times more or less depending on what ran before, between
/// one run and the next. Fixed, every large block is a fresh mapping.
fn fix_allocator() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: mallopt only changes allocator parameters.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        }
    });
}

/// The worker side: answers requests on stdin until it closes.
pub fn serve(engine_names: &[String]) -> Result<()> {
    let resolved = engines::resolve_all(engine_names)?;
    // An engine the supervisor runs but this process cannot start would
    // silently leave the comparison: that is an error, never a smaller vote.
    if let Some(u) = resolved.unavailable.first() {
        anyhow::bail!("{} cannot start in a worker process: {}", u.engine, u.reason);
    }
    let engines = resolved.engines;
    say_ready()?;
    let stdin = std::io::stdin();
    let exact = std::env::var_os(EXACT_PROGRESS_ENV).is_some();
    let progress_out = Arc::new(Mutex::new(ProgressOut::default()));
    if !exact {
        let out = progress_out.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(PROGRESS_EVERY / 2);
                out.lock().unwrap_or_else(|p| p.into_inner()).flush_due();
            }
        });
    }
    let mut stdout = LockedStdout(progress_out.clone());
    for line in stdin.lock().lines() {
        let line = line.context("reading a request")?;
        let request: Request = serde_json::from_str(&line).context("malformed worker request")?;
        if let Request::Measure {
            wasm_hex,
            export,
            args,
            results,
        } = &request
        {
            fix_allocator();
            let measured = match (engines.first(), from_hex(wasm_hex)) {
                (Some(engine), Ok(wasm)) => engine.measure(&wasm, export, args, results),
                (None, _) => Err(Failure::error("the worker has no engine")),
                (_, Err(e)) => Err(Failure::error(format!("{e}"))),
            };
            serde_json::to_writer(&mut stdout, &Measured { measured })?;
            stdout.write_all(b"\n")?;
            stdout.flush()?;
            continue;
        }
        let (case, keep, progress) = match request {
            Request::Seed {
                profile,
                seed,
                progress,
            } => match TestCase::generated(profile, seed) {
                Ok(case) => (case, false, progress),
                Err(e) => {
                    serde_json::to_writer(&mut stdout, &CaseResult::failed(seed, &e))?;
                    stdout.write_all(b"\n")?;
                    stdout.flush()?;
                    continue;
                }
            },
            Request::Case {
                mut case,
                wasm_hex,
                progress,
            } => {
                case.wasm = from_hex(&wasm_hex)?;
                (case, true, progress)
            }
            Request::Measure { .. } => unreachable!("answered above"),
        };
        let mut report = |engine: &str, phase: Phase| {
            if progress {
                let p = Progress {
                    engine: engine.to_string(),
                    phase,
                };
                progress_out
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .offer(p, exact);
            }
        };
        let result = evaluate_case_observed(seed_of(&case), &case, &engines, keep, &mut report);
        // No progress of this case may follow its answer.
        progress_out.lock().unwrap_or_else(|p| p.into_inner()).pending = None;
        serde_json::to_writer(&mut stdout, &result)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}

/// The line a worker writes once its engines have started, before it reads
/// a request: starting them (a browser takes seconds of CPU time) is not
/// any case's time.
const READY: &str = r#"{"ready":true}"#;

/// How much CPU time a worker may take to start its engines (a browser,
/// shells, a runtime's compiler): generous, as no case is being timed.
const START_CPU: Duration = Duration::from_secs(60);

/// Writes [`READY`] to stdout.
pub fn say_ready() -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{READY}")?;
    stdout.flush()?;
    Ok(())
}

/// Waits for a just-started worker's [`READY`]; `Err` says why it never came.
pub fn await_ready(child: &mut LineChild) -> std::result::Result<(), String> {
    let line = child.recv_line(Limit::cpu(START_CPU), "the worker starting its engines")?;
    if line != READY {
        child.kill();
        return Err(format!("the worker sent {line:?} before it was ready"));
    }
    Ok(())
}

/// Set on a worker that must report every phase as it starts (the blame
/// runs of one engine alone, whose crash must be placed exactly).
const EXACT_PROGRESS_ENV: &str = "WASMGATE_WORKER_EXACT_PROGRESS";

/// How often a worker reports a call that follows another call of the same
/// engine. A line per call (hundreds per case) cost a third of a sweep's
/// time, and more on a busy machine; a new engine, compile and instantiate
/// are reported at once, and a phase that lasts (a hang) within this time.
const PROGRESS_EVERY: Duration = Duration::from_millis(20);

/// A worker's stdout, shared by its answers and its progress lines.
#[derive(Default)]
struct ProgressOut {
    /// The latest phase not reported yet.
    pending: Option<Progress>,
    /// The last phase reported, and when.
    sent: Option<(Progress, Instant)>,
}

impl ProgressOut {
    /// `p` starts: reported now when it is a new engine or not a call (or
    /// every phase is wanted), else at the latest [`PROGRESS_EVERY`] after
    /// the last line.
    fn offer(&mut self, p: Progress, exact: bool) {
        let now = match &self.sent {
            _ if exact => true,
            None => true,
            Some((last, at)) => {
                last.engine != p.engine
                    || !matches!(p.phase, Phase::Call(_))
                    || at.elapsed() >= PROGRESS_EVERY
            }
        };
        if now {
            self.pending = None;
            self.write(p);
        } else {
            self.pending = Some(p);
        }
    }

    /// Reports the pending phase once its time has come.
    fn flush_due(&mut self) {
        let due = self
            .sent
            .as_ref()
            .is_none_or(|(_, at)| at.elapsed() >= PROGRESS_EVERY);
        if due && let Some(p) = self.pending.take() {
            self.write(p);
        }
    }

    fn write(&mut self, p: Progress) {
        // A lost progress line only makes a hang's phase less precise.
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer(&mut out, &ProgressLine { progress: p.clone() });
        let _ = out.write_all(b"\n");
        let _ = out.flush();
        self.sent = Some((p, Instant::now()));
    }
}

/// Writes to stdout while holding the progress lock, so that an answer and
/// a progress line never interleave.
struct LockedStdout(Arc<Mutex<ProgressOut>>);

impl Write for LockedStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::io::stdout().lock().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::io::stdout().lock().flush()
    }
}

/// How a request to a worker ended.
pub enum Reply {
    Done(Box<CaseResult>),
    /// The worker exited (crashed) before answering: how it died, and the last
    /// phase it reported.
    Died(String, Option<Progress>),
    /// An engine used up its CPU time, or slept that long, without the
    /// worker answering; the worker was killed. The last phase it reported,
    /// and how it was stuck.
    Hung(Option<Progress>, Stuck),
    /// The wall-clock backstop came before the CPU limit: nothing is known.
    /// The last phase reported, CPU time used and wall time waited.
    Busy(Option<Progress>, Duration, Duration),
}

impl Reply {
    /// The last progress line the worker sent before this reply.
    fn progress(&self) -> &Option<Progress> {
        match self {
            Reply::Done(_) => &None,
            Reply::Died(_, p) | Reply::Hung(p, _) | Reply::Busy(p, ..) => p,
        }
    }
}

/// How a hung engine was stuck.
#[derive(Clone, Copy, Debug)]
pub enum Stuck {
    /// It used this much CPU time (the limit) without answering.
    Cpu(Duration),
    /// It slept this long — neither running nor waiting for a CPU.
    Blocked(Duration),
}

impl Stuck {
    fn text(self, limit: &str) -> String {
        match self {
            Stuck::Cpu(used) => format!(
                "used {:.1} s of CPU time without answering (limit {limit})",
                used.as_secs_f64()
            ),
            Stuck::Blocked(slept) => format!(
                "blocked: {:.1} s without running or waiting for a CPU (limit {limit})",
                slept.as_secs_f64()
            ),
        }
    }
}

/// A running worker process.
pub struct WorkerProcess {
    child: LineChild,
}

impl WorkerProcess {
    /// Starts `exe worker --engine …` (in its own process group, so that killing
    /// a worker also kills the engine processes it started). Engine processes
    /// get twice the case time limit for a request, so that the worker's limit,
    /// not theirs, decides that a case hung. Started from a thread that lasts
    /// as long as this process: a worker dies with the thread that started it
    /// ([`LineChild`]), and one kept for later (the replays' bench) must not
    /// die when a short-lived search thread ends.
    pub fn spawn(exe: &Path, engine_names: &[String], timeout: Duration) -> Result<Self> {
        Self::start(exe, engine_names, timeout, false)
    }

    /// [`WorkerProcess::spawn`], reporting every phase as it starts (to
    /// place a crash exactly).
    fn spawn_exact(exe: &Path, engine_names: &[String], timeout: Duration) -> Result<Self> {
        Self::start(exe, engine_names, timeout, true)
    }

    fn start(exe: &Path, engine_names: &[String], timeout: Duration, exact: bool) -> Result<Self> {
        let mut command = Command::new(exe);
        if exact {
            command.env(EXACT_PROGRESS_ENV, "1");
        }
        command
            .arg("worker")
            .args(engine_names.iter().flat_map(|e| ["--engine", e.as_str()]))
            .env(
                wasmgate_runners::js::TIMEOUT_ENV,
                (timeout * 2).as_millis().to_string(),
            );
        crate::isolate::limit_memory(&mut command);
        let mut child =
            wasmgate_runners::child::on_lasting_thread(move || LineChild::spawn(&mut command, "worker"))
                .recv()
                .unwrap_or_else(|_| Err(std::io::Error::other("the thread starting it ended")))
                .with_context(|| format!("cannot start worker process {}", exe.display()))?;
        await_ready(&mut child)
            .map_err(|why| anyhow!("worker process {} did not start: {why}", exe.display()))?;
        Ok(WorkerProcess { child })
    }

    /// Sends one request (with progress, so each engine gets its own CPU
    /// time) and waits for its answer; a worker over a limit is killed.
    pub fn request(&mut self, request: &Request, limit: Limit) -> Reply {
        if let Err(reply) = self.send(&request.with_progress()) {
            return reply;
        }
        self.wait(limit)
    }

    /// Sends a [`Request::Measure`] and waits up to `timeout` for its answer;
    /// a worker that dies or hangs is killed.
    pub fn measure(&mut self, request: &Request, timeout: Duration) -> MeasureReply {
        if let Err(reply) = self.send(request) {
            return match reply {
                Reply::Died(how, _) => MeasureReply::Died(how),
                _ => MeasureReply::Hung,
            };
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.child.kill();
                return MeasureReply::Hung;
            }
            match self.child.poll(left) {
                None => continue,
                Some(Exchange::Line(answer)) => {
                    return match serde_json::from_str::<Measured>(&answer) {
                        Ok(m) => MeasureReply::Done(m.measured),
                        Err(e) => {
                            self.child.kill();
                            MeasureReply::Died(format!("unreadable answer from worker: {e}"))
                        }
                    };
                }
                Some(Exchange::Hung | Exchange::Busy(..)) => {
                    self.child.kill();
                    return MeasureReply::Hung;
                }
                Some(Exchange::Died(how)) => return MeasureReply::Died(how),
            }
        }
    }

    fn send(&mut self, request: &Request) -> Result<(), Reply> {
        let line = serde_json::to_string(request)
            .map_err(|e| Reply::Died(format!("cannot encode request: {e}"), None))?;
        match self.child.send(&line) {
            Err(Exchange::Died(how)) => Err(Reply::Died(how, None)),
            _ => Ok(()),
        }
    }

    /// Waits for the answer, noting progress lines in `last`, while each
    /// engine's turn stays within `limit.cpu` of CPU time (counted from its
    /// first progress line; before the first, the worker's own start-up has
    /// one) and each phase within the wall-clock backstop `limit.wall` (a
    /// phase: a compile, an instantiation, one call — so an engine making
    /// many quick calls over a busy machine is never cut off while it moves).
    /// A worker over either is killed (`Hung`, or `Busy` at the backstop).
    /// Every reply but `Done` carries the last progress line.
    fn wait(&mut self, limit: Limit) -> Reply {
        let mut turn = CpuClock::start(self.child.id());
        let mut last: Option<Progress> = None;
        loop {
            match turn.check(limit) {
                Some(Over::Cpu(used)) => {
                    self.child.kill();
                    return Reply::Hung(last, Stuck::Cpu(used));
                }
                Some(Over::Blocked(slept)) => {
                    self.child.kill();
                    return Reply::Hung(last, Stuck::Blocked(slept));
                }
                Some(Over::Wall(used, waited)) => {
                    self.child.kill();
                    return Reply::Busy(last, used, waited);
                }
                None => {}
            }
            // Slices as long as the clock's sampling period.
            match self.child.poll(CHECK_EVERY) {
                None => continue,
                Some(Exchange::Line(answer)) => {
                    if let Ok(p) = serde_json::from_str::<ProgressLine>(&answer) {
                        if last.as_ref().is_none_or(|l| l.engine != p.progress.engine) {
                            turn.new_turn();
                        } else {
                            turn.new_phase();
                        }
                        last = Some(p.progress);
                        continue;
                    }
                    return match serde_json::from_str::<CaseResult>(&answer) {
                        Ok(r) => Reply::Done(Box::new(r)),
                        Err(e) => Reply::Died(format!("unreadable answer from worker: {e}"), last),
                    };
                }
                Some(Exchange::Hung | Exchange::Busy(..)) => {
                    return Reply::Hung(last, Stuck::Cpu(turn.used()));
                }
                Some(Exchange::Died(how)) => return Reply::Died(how, last),
            }
        }
    }
}

/// Where and how to start workers: what the isolation runs share with the executor.
#[derive(Clone)]
struct Pool {
    exe: PathBuf,
    engines: Vec<String>,
    timeout: Duration,
}

impl Pool {
    /// Each engine's limit: the case time limit in CPU time.
    fn limit(&self) -> Limit {
        Limit::cpu(self.timeout)
    }

    /// How many engines, in order, the worker finished before the one `last`
    /// names (0 when unknown).
    fn finished_before(&self, last: &Option<Progress>) -> usize {
        let Some(p) = last else { return 0 };
        let name_of = |spec: &String| {
            spec.split_once('=')
                .map_or(spec.clone(), |(n, _)| n.trim().to_string())
        };
        self.engines
            .iter()
            .position(|s| name_of(s) == p.engine)
            .unwrap_or(0)
    }

    /// Runs `request` (with progress) alone on each engine from index `from`
    /// on, all at once, each with its own CPU time limit. The engines before
    /// `from` finished in the worker already and count as done.
    fn alone(&self, request: &Request, from: usize) -> Vec<Result<Reply>> {
        let from = from.min(self.engines.len());
        let rest: Vec<Result<Reply>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self.engines[from..]
                .iter()
                .map(|name| {
                    scope.spawn(move || -> Result<Reply> {
                        let mut worker =
                            WorkerProcess::spawn_exact(&self.exe, std::slice::from_ref(name), self.timeout)?;
                        Ok(worker.request(request, self.limit()))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow!("isolation thread panicked")))
                })
                .collect()
        });
        let finished = || {
            Ok(Reply::Done(Box::new(CaseResult::failed(
                0,
                &anyhow!("finished in the worker"),
            ))))
        };
        (0..from).map(|_| finished()).chain(rest).collect()
    }
}

/// Runs cases in worker processes, restarting a worker after a crash or hang.
pub struct IsolatedExecutor {
    pool: Pool,
    worker: Option<WorkerProcess>,
    /// Whether the last [`IsolatedExecutor::try_case`] had no answer because
    /// the machine was too busy (not because an engine crashed or hung).
    busy: bool,
}

impl IsolatedExecutor {
    /// An executor using `exe worker` with `engines` and a per-case time limit.
    pub fn new(exe: PathBuf, engines: Vec<String>, timeout: Duration) -> Self {
        IsolatedExecutor {
            pool: Pool {
                exe,
                engines,
                timeout,
            },
            worker: None,
            busy: false,
        }
    }

    /// Runs one seed; a crash or hang becomes a finding blaming the engine(s)
    /// that crash or hang on it when run alone.
    pub fn run_seed(&mut self, profile: Profile, seed: u64) -> Result<CaseResult> {
        let request = Request::Seed {
            profile,
            seed,
            progress: false,
        };
        self.judge(&request, seed)
    }

    fn case_request(case: &TestCase) -> Request {
        Request::Case {
            case: case.clone(),
            wasm_hex: to_hex(&case.wasm),
            progress: false,
        }
    }

    /// Runs a full case, or `None` if the worker crashed or hung on it (no
    /// per-engine isolation: for callers that only ask "same result or not?").
    pub fn try_case(&mut self, case: &TestCase) -> Result<Option<CaseResult>> {
        let reply = self.request(&Self::case_request(case))?;
        self.busy = matches!(reply, Reply::Busy(..));
        Ok(match reply {
            Reply::Done(r) => Some(*r),
            Reply::Died(..) | Reply::Hung(..) | Reply::Busy(..) => None,
        })
    }

    /// Whether the last [`IsolatedExecutor::try_case`] without an answer
    /// ran into the wall-clock backstop of a busy machine (worth another try).
    pub fn last_was_busy(&self) -> bool {
        self.busy
    }

    /// Runs a full case (e.g. from a bundle) with the same isolation.
    pub fn run_case(&mut self, case: &TestCase) -> Result<CaseResult> {
        self.judge(&Self::case_request(case), seed_of(case))
    }

    /// Runs `request` in the worker, each engine within its CPU time. A
    /// worker that crashes or uses up an engine's time is replaced and the
    /// case re-run alone on each engine from that one on, to blame; one that
    /// reaches the wall-clock backstop is tried once more, then the case is
    /// inconclusive.
    fn judge(&mut self, request: &Request, seed: u64) -> Result<CaseResult> {
        let pool = self.pool.clone();
        let mut busy = None;
        for _ in 0..2 {
            // With progress, a crash or hang is placed after the engines that finished.
            let reply = self.worker()?.request(request, pool.limit());
            match reply {
                Reply::Done(r) => return Ok(*r),
                Reply::Busy(..) => {
                    // The worker was killed; one more try in a fresh one.
                    self.worker = None;
                    busy = Some(reply);
                }
                reply => {
                    self.worker = None;
                    let from = pool.finished_before(reply.progress());
                    let alone = pool.alone(request, from);
                    return self.blame(reply, alone, seed, request);
                }
            }
        }
        let (engine, used, waited) = match busy {
            Some(Reply::Busy(p, used, waited)) => (p.map(|p| p.engine), used, waited),
            _ => (None, Duration::ZERO, Duration::ZERO),
        };
        Ok(self.too_busy(seed, engine.as_deref(), used, waited))
    }

    /// The case is inconclusive: twice the wall-clock backstop came before
    /// the CPU limit.
    fn too_busy(&self, seed: u64, engine: Option<&str>, used: Duration, waited: Duration) -> CaseResult {
        let on = engine.map(|e| format!(" on {e}")).unwrap_or_default();
        let verdict = Verdict::Inconclusive {
            reason: format!(
                "the machine was too busy to tell: one phase{on} had no answer after {:.0} s (wall clock) with \
                 only {:.1} s of the {:.0} s of CPU time used, twice",
                waited.as_secs_f64(),
                used.as_secs_f64(),
                self.pool.timeout.as_secs_f64()
            ),
            at: engine.map(str::to_string),
        };
        CaseResult::from_outcomes(seed, vec![], verdict, &self.pool.engines, false)
    }

    /// The running worker, started if there is none.
    fn worker(&mut self) -> Result<&mut WorkerProcess> {
        if self.worker.is_none() {
            self.worker = Some(WorkerProcess::spawn(
                &self.pool.exe,
                &self.pool.engines,
                self.pool.timeout,
            )?);
        }
        self.worker.as_mut().ok_or_else(|| anyhow!("no worker"))
    }

    fn request(&mut self, request: &Request) -> Result<Reply> {
        let limit = self.pool.limit();
        let reply = self.worker()?.request(request, limit);
        if !matches!(reply, Reply::Done(_)) {
            self.worker = None;
        }
        Ok(reply)
    }

    /// Blames the crash or hang `reply` on the engines that crash or hang
    /// alone (`alone`, in engine order), placing each in its phase.
    fn blame(
        &self,
        reply: Reply,
        alone: Vec<Result<Reply>>,
        seed: u64,
        request: &Request,
    ) -> Result<CaseResult> {
        let died = match reply {
            Reply::Died(how, _) => Some(how),
            _ => None,
        };
        let (engines, timeout) = (&self.pool.engines, self.pool.timeout);
        let limit_text = format!("{:.0} s of CPU time", timeout.as_secs_f64());
        let no_answer = format!("no answer within {limit_text}");
        let mut culprits: Vec<(String, String, Option<Phase>, bool)> = Vec::new();
        let mut healthy: Vec<String> = Vec::new();
        for (name, reply) in engines.iter().zip(alone) {
            match reply? {
                Reply::Done(_) => healthy.push(name.clone()),
                Reply::Died(how, p) => culprits.push((name.clone(), how, p.map(|p| p.phase), false)),
                Reply::Hung(p, stuck) => {
                    culprits.push((name.clone(), stuck.text(&limit_text), p.map(|p| p.phase), true))
                }
                Reply::Busy(p, used, waited) => {
                    // Alone, the backstop came first: nothing can be said of this case.
                    let engine = p.map(|p| p.engine).unwrap_or_else(|| name.clone());
                    return Ok(self.too_busy(seed, Some(&engine), used, waited));
                }
            }
        }
        // A process that ran out of memory reached wasmgate's own limit: that
        // is no engine's bug, and nothing was compared.
        let out_of_memory: Vec<&str> = culprits
            .iter()
            .filter(|c| wasmgate_runners::child::out_of_memory(&c.1))
            .map(|c| c.0.as_str())
            .collect();
        let together_oom = culprits.is_empty()
            && died
                .as_deref()
                .is_some_and(wasmgate_runners::child::out_of_memory);
        if !out_of_memory.is_empty() || together_oom {
            let who = if together_oom {
                "all engines together".to_string()
            } else {
                out_of_memory.join(", ")
            };
            let verdict = Verdict::Inconclusive {
                reason: format!(
                    "not compared: {who} reached {}, a limit of the harness, not an engine bug",
                    super::memory_limit()
                ),
                at: None,
            };
            return Ok(CaseResult::from_outcomes(seed, vec![], verdict, engines, false));
        }
        if !culprits.is_empty() && healthy.is_empty() && culprits.iter().all(|c| c.3) {
            // Every engine hangs on its own: they agree that the case does not
            // end within the limit. Not a divergence.
            let phases: Vec<String> = culprits
                .iter()
                .map(|(_, _, p, _)| p.map_or("start-up".to_string(), phase_name))
                .collect();
            let mut same = phases.clone();
            same.dedup();
            let at = if same.len() == 1 {
                same[0].clone()
            } else {
                phases.join(", ")
            };
            let verdict = Verdict::Inconclusive {
                reason: format!("every engine hung ({no_answer})"),
                at: Some(at),
            };
            return Ok(CaseResult::from_outcomes(seed, vec![], verdict, engines, false));
        }
        let hang = died.is_none();
        if culprits.is_empty() && hang {
            // Each engine finishes alone; only all of them in one process,
            // one after another, took too long: slow, not a divergence.
            let verdict = Verdict::Inconclusive {
                reason: format!(
                    "only all engines together exceeded the time limit ({no_answer}); each finishes alone"
                ),
                at: None,
            };
            return Ok(CaseResult::from_outcomes(seed, vec![], verdict, engines, false));
        }
        if culprits.is_empty() {
            // Only the combination fails: blame every engine, say so.
            let how = died.unwrap_or_else(|| no_answer.clone());
            culprits = engines
                .iter()
                .map(|e| {
                    (
                        e.clone(),
                        format!("{how} (only with all engines together)"),
                        None,
                        hang,
                    )
                })
                .collect();
            healthy.clear();
        }
        // What the healthy engines did, for the bundle.
        let mut outcomes = Vec::new();
        if !healthy.is_empty() {
            let mut rest = IsolatedExecutor::new(self.pool.exe.clone(), healthy.clone(), timeout);
            let case_request = match request {
                Request::Seed { profile, seed, .. } => {
                    Self::case_request(&TestCase::generated(*profile, *seed)?)
                }
                other => other.clone(),
            };
            if let Ok(Reply::Done(r)) = rest.request(&case_request) {
                outcomes = r.outcomes.unwrap_or_default();
            }
        }
        for (name, how, phase, _) in &culprits {
            outcomes.push(EngineOutcome {
                engine: name.clone(),
                status: Status::Crashed {
                    message: how.clone(),
                    phase: phase.unwrap_or(Phase::Compile),
                },
                initial: None,
                calls: vec![],
                timings: Timings::default(),
            });
        }
        let kind = if culprits.iter().all(|c| c.3) {
            DivergenceKind::Hang
        } else {
            DivergenceKind::Crash
        };
        let blamed: Vec<String> = culprits.iter().map(|c| c.0.clone()).collect();
        let (signature, signature_text) = signature_of(&blamed, kind, "process");
        let mut groups = Vec::new();
        if !healthy.is_empty() {
            groups.push(Group {
                engines: healthy.clone(),
                observed: "completed".into(),
                outcome: Observed::Completed,
            });
        }
        for (name, how, phase, _) in &culprits {
            let during = phase
                .map(|p| format!(" during {}", phase_name(p)))
                .unwrap_or_default();
            groups.push(Group {
                engines: vec![name.clone()],
                observed: format!("{how}{during}"),
                outcome: Observed::Crashed {
                    how: Some(how.clone()),
                },
            });
        }
        let divergence = Divergence {
            step: "worker process".into(),
            at: At {
                phase: "process".into(),
                ..At::default()
            },
            kind,
            groups,
            majority: !healthy.is_empty(),
            code_bases: engines
                .iter()
                .map(|e| crate::compare::code_base(e))
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u32,
            blamed,
            signature,
            signature_text,
            expected: None,
            stated: None,
        };
        Ok(CaseResult::from_outcomes(
            seed,
            outcomes,
            Verdict::Diverge(divergence),
            engines,
            true,
        ))
    }
}

/// `compile`, `instantiate`, `call 3`.
fn phase_name(p: Phase) -> String {
    match p {
        Phase::Compile => "compile".into(),
        Phase::Instantiate => "instantiate".into(),
        Phase::Call(i) => format!("call {i}"),
    }
}
