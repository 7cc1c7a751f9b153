//! A child process spoken to in JSON lines: one line in on stdin, one line
//! back on stdout, with a time limit. Shared by the external engines and the
//! harness's worker processes.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
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
/// loop never reads EOF).
pub struct LineChild {
    what: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl LineChild {
    /// Starts `command`; `what` names the child in messages ("worker", "engine process").
    pub fn spawn(command: &mut Command, what: &str) -> std::io::Result<LineChild> {
        let mut child = command
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let missing = || std::io::Error::other("child has no pipes");
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
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

    /// Waits up to `timeout` for the next line.
    pub fn recv(&mut self, timeout: Duration) -> Exchange {
        match self.lines.recv_timeout(timeout) {
            Ok(answer) => Exchange::Line(answer),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Exchange::Hung
            }
            Err(RecvTimeoutError::Disconnected) => Exchange::Died(self.death()),
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
        match self.child.wait() {
            Ok(status) => describe_exit(&self.what, status),
            Err(e) => format!("{} lost: {e}", self.what),
        }
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
