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

    /// The process id of the child.
    pub fn id(&self) -> u32 {
        self.child.id()
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

    /// Kills the child's whole process group and reaps the child.
    pub fn kill(&mut self) {
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
