//! A child process spoken to in JSON lines: one line in on stdin, one line
//! back on stdout, with a time limit. Shared by the external engines and the
//! harness's worker processes.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How one request/response exchange ended.
pub enum Exchange {
    /// The child answered with this line.
    Line(String),
    /// No answer within the time limit; the child was killed.
    Hung,
    /// No answer before the wall-clock backstop of a [`Limit`], with less CPU
    /// time used than its limit: the machine was too busy (or the child
    /// blocked) to tell. The child was killed. CPU time used, wall time waited.
    Busy(Duration, Duration),
    /// The child is gone; how it ended (`what` from [`LineChild::spawn`] leads).
    Died(String),
}

/// A running child process with piped stdin/stdout, in its own process group
/// so that killing it also kills whatever it started (a node child busy in a
/// loop never reads EOF). The child also dies with its parent: the kernel sends
/// it SIGKILL when the thread that started it exits (`PR_SET_PDEATHSIG`), so a
/// killed supervisor or worker leaves no process behind, whatever state it was
/// in. Start children from a thread that outlives them.
pub struct LineChild {
    what: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// The last bytes the child wrote to stderr, shown when it dies.
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// How much of a child's stderr is kept for its death message.
const STDERR_TAIL: usize = 4096;

impl LineChild {
    /// Starts `command`; `what` names the child in messages ("worker", "engine process").
    pub fn spawn(command: &mut Command, what: &str) -> std::io::Result<LineChild> {
        // SAFETY: the closure runs in the forked child before exec and only makes
        // async-signal-safe system calls (prctl, getppid, kill).
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died between fork and prctl: then nobody
                // would send the signal.
                if libc::getppid() == 1 {
                    libc::kill(libc::getpid(), libc::SIGKILL);
                }
                Ok(())
            });
        }
        let mut child = command
            .env(SCRATCH_ROOT_ENV, scratch_root().0)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let missing = || std::io::Error::other("child has no pipes");
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let mut err_pipe = child.stderr.take().ok_or_else(missing)?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = err_pipe.read(&mut buf) {
                let mut kept = tail.lock().unwrap_or_else(|e| e.into_inner());
                kept.extend_from_slice(&buf[..n]);
                let excess = kept.len().saturating_sub(STDERR_TAIL);
                kept.drain(..excess);
            }
        });
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(LineChild {
            what: what.to_string(),
            child,
            stdin,
            lines,
            stderr,
        })
    }

    /// Sends `line` and waits up to `timeout` for the answer line.
    pub fn exchange(&mut self, line: &str, timeout: Duration) -> Exchange {
        if let Err(died) = self.send(line) {
            return died;
        }
        self.recv(timeout)
    }

    /// Sends one line (for children that answer with several lines).
    pub fn send(&mut self, line: &str) -> Result<(), Exchange> {
        let sent = self
            .stdin
            .write_all(line.as_bytes())
            .and_then(|_| self.stdin.write_all(b"\n"))
            .and_then(|_| self.stdin.flush());
        sent.map_err(|_| Exchange::Died(self.death()))
    }

    /// Whether the child is still running (not exited, not killed).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process id of the child.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the next line while the child's process tree uses less than
    /// `limit.cpu` of CPU time counted from now; past it the child is killed
    /// (`Hung`), and so it is at the wall-clock backstop (`Busy`).
    pub fn recv_limited(&mut self, limit: Limit) -> Exchange {
        let mut clock = CpuClock::start(self.id());
        loop {
            if let Some(exchange) = self.poll(CHECK_EVERY) {
                return exchange;
            }
            match clock.check(limit) {
                Some(Over::Cpu(_) | Over::Blocked(_)) => {
                    self.kill();
                    return Exchange::Hung;
                }
                Some(Over::Wall(cpu, wall)) => {
                    self.kill();
                    return Exchange::Busy(cpu, wall);
                }
                None => {}
            }
        }
    }

    /// [`recv_limited`](Self::recv_limited) as a line or one sentence
    /// saying why none came, naming the child `what` ("engine process"): it
    /// used `limit.cpu` of CPU time without answering, the machine was too
    /// busy to tell (both: killed), or how it died.
    pub fn recv_line(&mut self, limit: Limit, what: &str) -> Result<String, String> {
        match self.recv_limited(limit) {
            Exchange::Line(line) => Ok(line),
            Exchange::Hung => Err(format!(
                "{what} used {} s of CPU time without answering; killed",
                limit.cpu.as_secs_f64()
            )),
            Exchange::Busy(cpu, wall) => Err(format!("{what}: {}; killed", too_busy(cpu, wall))),
            Exchange::Died(how) => Err(how),
        }
    }

    /// Waits up to `timeout` for the next line; past it the child is killed.
    pub fn recv(&mut self, timeout: Duration) -> Exchange {
        match self.poll(timeout) {
            Some(exchange) => exchange,
            None => {
                self.kill();
                Exchange::Hung
            }
        }
    }

    /// Waits up to `timeout` for the next line, leaving the child running
    /// when none comes (`None`).
    pub fn poll(&mut self, timeout: Duration) -> Option<Exchange> {
        match self.lines.recv_timeout(timeout) {
            Ok(answer) => Some(Exchange::Line(answer)),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Exchange::Died(self.death())),
        }
    }

    /// Kills the child's process tree — its descendants, wherever their
    /// process group (a browser's helpers make their own), then its whole
    /// process group — and reaps the child.
    pub fn kill(&mut self) {
        sigkill(&descendants(self.child.id()));
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signalling a process group we created; no memory is involved.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn death(&mut self) -> String {
        let how = match self.child.wait() {
            Ok(status) => describe_exit(&self.what, status),
            Err(e) => format!("{} lost: {e}", self.what),
        };
        // The stderr reader may still be draining the pipe of a child that just exited.
        std::thread::sleep(Duration::from_millis(20));
        match self.stderr_tail() {
            Some(said) => format!("{how}; its stderr ends: {said}"),
            None => how,
        }
    }

    /// The last lines the child wrote to stderr (at most 300 characters), if any.
    pub fn stderr_tail(&self) -> Option<String> {
        let kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&kept);
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let mut said = lines.join(" | ");
        if said.is_empty() {
            return None;
        }
        if said.chars().count() > 300 {
            said = format!(
                "…{}",
                said.chars()
                    .rev()
                    .take(300)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<String>()
            );
        }
        Some(said)
    }
}

impl Drop for LineChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether a child's end, as [`Exchange::Died`] tells it (its stderr tail
/// included), was an allocation that failed. wasmgate's processes run under
/// data limits (`RLIMIT_DATA`, a JavaScript heap size) far below what the
/// machine has, so such an end is the harness's limit reached, never an
/// engine's crash: Rust's `memory allocation of N bytes failed`, V8's
/// `Fatal process out of memory` / `JavaScript heap out of memory` /
/// `Fatal JavaScript OOM`, C++'s `std::bad_alloc`.
pub fn out_of_memory(how: &str) -> bool {
    let how = how.to_ascii_lowercase();
    (how.contains("memory allocation of") && how.contains("failed"))
        || how.contains("out of memory")
        || how.contains("javascript oom")
        || how.contains("bad_alloc")
}

/// What [`Exchange::Busy`] means, in one sentence.
pub fn too_busy(cpu: Duration, wall: Duration) -> String {
    format!(
        "no answer after {:.0} s (wall clock) with only {:.1} s of CPU time used: the machine was too busy to tell",
        wall.as_secs_f64(),
        cpu.as_secs_f64()
    )
}

/// "worker killed by signal 11 (SIGSEGV)", "engine process exited with status 1", …
pub fn describe_exit(what: &str, status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (_, Some(sig)) => {
            let name = match sig {
                4 => "SIGILL",
                6 => "SIGABRT",
                7 => "SIGBUS",
                8 => "SIGFPE",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                _ => "signal",
            };
            format!("{what} killed by signal {sig} ({name})")
        }
        (Some(code), None) => format!("{what} exited with status {code}"),
        (None, None) => format!("{what} ended"),
    }
}

/// A time limit that measures the engine, not the machine: `cpu` of CPU time
/// used by a process tree decides that it hangs; `wall` is only a backstop
/// (a busy machine, or a blocked process) and never makes a hang by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub cpu: Duration,
    pub wall: Duration,
}

/// How many times the CPU limit the wall-clock backstop is: generous, so a
/// machine with ten busy processes per core still gets its answer.
pub const WALL_FACTOR: u32 = 20;

impl Limit {
    /// `cpu` of CPU time, with the backstop at [`WALL_FACTOR`] times it.
    pub fn cpu(cpu: Duration) -> Limit {
        Limit {
            cpu,
            wall: cpu.saturating_mul(WALL_FACTOR),
        }
    }
}

/// How often a waiting supervisor reads a process tree's CPU time.
pub const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Which side of a [`Limit`] a process tree went past.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Over {
    /// Its CPU time passed the limit: CPU time used.
    Cpu(Duration),
    /// It neither ran nor waited for a CPU (it slept: blocked, deadlocked)
    /// for longer than the limit: that time.
    Blocked(Duration),
    /// The wall-clock backstop came first: CPU time used, wall time waited.
    Wall(Duration, Duration),
}

/// What a process tree did since a [`CpuClock`] started counting.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spent {
    /// CPU time used.
    pub cpu: Duration,
    /// Time neither running nor waiting for a CPU: wall time less CPU time
    /// and run-queue waits of all its threads. A busy machine makes the
    /// waits longer, not this.
    pub slept: Duration,
}

/// The CPU time a process tree uses in a **turn** (an engine's share of a
/// case) and the time it sleeps in a **phase** (one compile, instantiation or
/// call: a tree that sleeps through many quick phases — a worker waiting for
/// its supervisor to read its progress lines, say — is moving, not blocked).
/// Reading it means reading `/proc`, so it is read at most every
/// [`CHECK_EVERY`], and counting starts lazily, at the first reading that
/// long after a turn or phase starts: the short requests that make up most of
/// a campaign never pay for it, and a tree is charged at most that much less
/// than it used — a limit is never reached early.
pub struct CpuClock {
    pid: u32,
    turn: Mark,
    phase: Mark,
    last: Option<(Sample, Spent)>,
}

/// A tree's times at one moment.
#[derive(Clone, Copy)]
struct Sample {
    times: TreeTimes,
    at: std::time::Instant,
}

/// When a turn or phase started, and its first sample once taken.
#[derive(Clone, Copy)]
struct Mark {
    started: std::time::Instant,
    base: Option<Sample>,
}

impl Mark {
    fn now() -> Mark {
        Mark {
            started: std::time::Instant::now(),
            base: None,
        }
    }
}

impl CpuClock {
    /// Starts the clock now for the tree of `pid`: a turn and a phase begin.
    pub fn start(pid: u32) -> CpuClock {
        CpuClock {
            pid,
            turn: Mark::now(),
            phase: Mark::now(),
            last: None,
        }
    }

    /// A new turn begins (CPU time counts from here), and a new phase.
    pub fn new_turn(&mut self) {
        self.turn = Mark::now();
        self.new_phase();
    }

    /// A new phase begins (sleep counts from here).
    pub fn new_phase(&mut self) {
        self.phase = Mark::now();
        self.last = None;
    }

    /// CPU time used in the turn and time slept in the phase, so far.
    pub fn spent(&mut self) -> Spent {
        if let Some((sample, spent)) = self.last
            && sample.at.elapsed() < CHECK_EVERY
        {
            return spent;
        }
        let due = |m: &Mark| m.base.is_some() || m.started.elapsed() >= CHECK_EVERY;
        if !due(&self.turn) && !due(&self.phase) {
            return Spent::default();
        }
        let now = Sample {
            times: tree_times(self.pid),
            at: std::time::Instant::now(),
        };
        for mark in [&mut self.turn, &mut self.phase] {
            if mark.base.is_none() && mark.started.elapsed() >= CHECK_EVERY {
                mark.base = Some(now);
            }
        }
        let cpu = self
            .turn
            .base
            .map_or(Duration::ZERO, |b| now.times.cpu.saturating_sub(b.times.cpu));
        let slept = self.phase.base.map_or(Duration::ZERO, |b| {
            let cpu = now.times.cpu.saturating_sub(b.times.cpu);
            let waiting = now.times.waiting.saturating_sub(b.times.waiting);
            now.at
                .duration_since(b.at)
                .saturating_sub(cpu)
                .saturating_sub(waiting)
        });
        let spent = Spent { cpu, slept };
        self.last = Some((now, spent));
        spent
    }

    /// CPU time used in the turn so far.
    pub fn used(&mut self) -> Duration {
        self.spent().cpu
    }

    /// Wall time since the phase started.
    pub fn waited(&self) -> Duration {
        self.phase.started.elapsed()
    }

    /// Whether the tree went past `limit`: its CPU time in the turn, or its
    /// sleep in the phase, past `limit.cpu` is a hang, whatever the clock on
    /// the wall says; the phase's wall time past `limit.wall` only says the
    /// machine was too busy to tell.
    pub fn check(&mut self, limit: Limit) -> Option<Over> {
        let spent = self.spent();
        let waited = self.waited();
        if spent.cpu > limit.cpu {
            Some(Over::Cpu(spent.cpu))
        } else if spent.slept > limit.cpu {
            Some(Over::Blocked(spent.slept))
        } else {
            (waited > limit.wall).then_some(Over::Wall(spent.cpu, waited))
        }
    }
}

/// CPU time and run-queue waits of a process tree.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TreeTimes {
    /// User and system time, with reaped children's (`/proc/PID/stat`).
    pub cpu: Duration,
    /// Time its threads waited runnable for a CPU (`/proc/PID/task/TID/schedstat`).
    pub waiting: Duration,
}

/// The processes of the tree of `pid` (it and every living descendant) with
/// their CPU ticks, read from `/proc`.
fn tree(pid: u32) -> Vec<(u32, u64)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    // (pid, parent, ticks) of every process.
    let mut all: Vec<(u32, u32, u64)> = Vec::new();
    for entry in entries.flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        if let Some((parent, ticks)) = parse_stat(&stat) {
            all.push((p, parent, ticks));
        }
    }
    let mut members = vec![pid];
    let mut i = 0;
    while i < members.len() {
        let parent = members[i];
        members.extend(all.iter().filter(|(_, pp, _)| *pp == parent).map(|(p, _, _)| *p));
        i += 1;
    }
    all.into_iter()
        .filter(|(p, _, _)| members.contains(p))
        .map(|(p, _, t)| (p, t))
        .collect()
}

/// Every living descendant of `pid` (not `pid` itself), read from `/proc`.
pub fn descendants(pid: u32) -> Vec<u32> {
    tree(pid)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| *p != pid)
        .collect()
}

/// Runs `job` on a thread that never ends (taken from a pool of idle ones,
/// or new) and returns its result's receiver: children the job starts live
/// as long as the process, not as long as the thread that asked ([`LineChild`]
/// dies with the thread that started it). For starting engines side by side.
/// A job that panics sends nothing: its receiver reports a closed channel.
pub fn on_lasting_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> std::sync::mpsc::Receiver<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static IDLE: Mutex<Vec<std::sync::mpsc::Sender<Job>>> = Mutex::new(Vec::new());
    let (result, receiver) = std::sync::mpsc::channel();
    let mut job: Job = Box::new(move || {
        let _ = result.send(job());
    });
    loop {
        let idle = IDLE.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let Some(thread) = idle else { break };
        match thread.send(job) {
            Ok(()) => return receiver,
            Err(std::sync::mpsc::SendError(back)) => job = back,
        }
    }
    let (thread, jobs) = std::sync::mpsc::channel::<Job>();
    let own = thread.clone();
    let spawned = std::thread::Builder::new()
        .name("engine-start".into())
        .spawn(move || {
            for job in jobs.iter() {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                IDLE.lock().unwrap_or_else(|p| p.into_inner()).push(own.clone());
            }
        });
    if spawned.is_ok() {
        let _ = thread.send(job);
    }
    receiver
}

/// Makes this process the reaper of its orphaned descendants
/// (`PR_SET_CHILD_SUBREAPER`): a process that daemonises itself below it
/// (a browser's crash handler forks twice) is re-parented here, not to
/// PID 1, so that [`kill_descendants`] still finds it.
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Names the folder under which every process of one command makes its
/// children's scratch folders: set by the command's first process for all
/// it starts ([`LineChild::spawn`]), so that folders of processes killed
/// before they could remove theirs (a worker's browser bridges) go with the
/// command's ([`kill_descendants`]).
pub const SCRATCH_ROOT_ENV: &str = "WASMGATE_SCRATCH_ROOT";

/// This command's scratch root: inherited, or `wasmgate-scratch-PID` in the
/// temporary folder for the command's first process (PID: its own).
fn scratch_root() -> (std::path::PathBuf, bool) {
    match std::env::var_os(SCRATCH_ROOT_ENV) {
        Some(root) => (root.into(), false),
        None => (
            std::env::temp_dir().join(format!("wasmgate-scratch-{}", std::process::id())),
            true,
        ),
    }
}

/// A child's scratch folder (a browser's profile) under the command's
/// [scratch root](SCRATCH_ROOT_ENV); removed when dropped, and with the
/// whole root when the command ends. Roots of commands that were killed
/// are swept at the first folder made.
pub(crate) struct Scratch(std::path::PathBuf);

impl Scratch {
    pub(crate) fn create() -> Result<Scratch, String> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(|| {
            for entry in std::fs::read_dir(std::env::temp_dir())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().to_string();
                let owner = name
                    .strip_prefix("wasmgate-scratch-")
                    .and_then(|pid| pid.parse::<u32>().ok());
                if owner.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        });
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = scratch_root().0.join(format!("{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Scratch(path))
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills every descendant of this process (and reaps those that were its
/// children), then, in a command's first process, removes the scratch root
/// with every folder its processes were given: whatever it started must not
/// outlive it.
pub fn kill_descendants() {
    kill_all_descendants();
    if let (root, true) = scratch_root() {
        let _ = std::fs::remove_dir_all(root);
    }
}

fn kill_all_descendants() {
    let me = std::process::id();
    // Killing a process may orphan its children onto this one: a few rounds.
    for _ in 0..3 {
        let all = descendants(me);
        if all.is_empty() {
            return;
        }
        sigkill(&all);
        std::thread::sleep(Duration::from_millis(20));
        // Reap those that were this process's children (or were adopted).
        for pid in all.iter().filter_map(|p| i32::try_from(*p).ok()) {
            // SAFETY: reaping a process by id; no memory is involved.
            unsafe {
                libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
            }
        }
    }
}

/// Sends SIGKILL to each of `pids`.
fn sigkill(pids: &[u32]) {
    for pid in pids.iter().filter_map(|p| i32::try_from(*p).ok()) {
        // SAFETY: signalling a process by id; no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// [`TreeTimes`] of the tree of `pid`.
pub fn tree_times(pid: u32) -> TreeTimes {
    let members = tree(pid);
    let mut waiting_ns = 0u64;
    for (p, _) in &members {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Ok(line) = std::fs::read_to_string(task.path().join("schedstat")) {
                waiting_ns += line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|f| f.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    TreeTimes {
        cpu: ticks_to_time(members.iter().map(|(_, t)| t).sum()),
        waiting: Duration::from_nanos(waiting_ns),
    }
}

fn ticks_to_time(ticks: u64) -> Duration {
    // SAFETY: sysconf has no memory effects.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// The parent and the CPU ticks (utime, stime, cutime, cstime) in a
/// `/proc/PID/stat` line; the command name may hold spaces and parentheses.
fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let parent = fields.get(1)?.parse().ok()?;
    let ticks = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .sum();
    Some((parent, ticks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_started_on_a_lasting_thread_outlives_the_thread_that_asked() {
        let start = |lasting: bool| {
            std::thread::spawn(move || {
                let spawn = || {
                    let mut cat = Command::new("cat");
                    LineChild::spawn(&mut cat, "test child").unwrap()
                };
                if lasting {
                    on_lasting_thread(spawn).recv().unwrap()
                } else {
                    spawn()
                }
            })
            .join()
            .unwrap()
        };
        let (mut lasting, mut plain) = (start(true), start(false));
        // The kernel kills the plain one as its thread ends: give it a moment.
        for _ in 0..100 {
            if !plain.alive() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!plain.alive(), "a child dies with the thread that started it");
        assert!(lasting.alive());
        assert!(matches!(lasting.exchange("ping", Duration::from_secs(5)), Exchange::Line(l) if l == "ping"));
        lasting.kill();
    }

    #[test]
    fn stat_lines_give_parent_and_ticks() {
        let line = "4242 (a (b) c) R 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 1 0";
        assert_eq!(parse_stat(line), Some((17, 310)));
    }

    #[test]
    fn a_busy_child_uses_cpu_time_and_a_sleeping_one_does_not() {
        let mut busy = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let mut idle = Command::new("sleep").arg("5").spawn().unwrap();
        let (mut b, mut i) = (CpuClock::start(busy.id()), CpuClock::start(idle.id()));
        // However busy the machine, the loop gets some CPU time within seconds.
        i.used();
        while b.used().is_zero() && b.waited() < Duration::from_secs(4) {
            std::thread::sleep(Duration::from_millis(50));
            i.used();
        }
        let (busy_used, idle_used) = (b.used(), i.used());
        let idle_slept = i.spent().slept;
        let _ = busy.kill();
        let _ = idle.kill();
        let _ = busy.wait();
        let _ = idle.wait();
        assert!(busy_used > Duration::ZERO, "{busy_used:?}");
        assert_eq!(idle_used, Duration::ZERO);
        assert!(idle_slept > Duration::ZERO, "a sleeping process sleeps");
    }
}
