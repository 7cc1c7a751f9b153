//! Browsers as engines: a bridge process speaks the line protocol of
//! `runners/PROTOCOL.md` on its stdin/stdout and drives one headless browser
//! over the browser's own remote protocol — Chromium's DevTools protocol over
//! a pipe (`--remote-debugging-pipe`: NUL-separated JSON on file descriptors
//! 3 and 4, no port, no WebSocket). The page runs the same worker as node and
//! `jsc` (`js/core.js`, behind `js/browser.js`); each request is one
//! `Runtime.evaluate`. The browser is started once per bridge, never per
//! case, lives in the bridge's process group (killed with it) and dies with
//! it (`PR_SET_PDEATHSIG`).
//!
//! The bridge is the `wasmgate` binary itself (a hidden `browser-bridge`
//! subcommand calls [`serve`]), so the engine is an ordinary external engine.

use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// The worker as a page evaluates it.
const BROWSER_WORKER: &str = concat!(
    include_str!("../../js/portable.js"),
    include_str!("../../js/browser.js"),
    include_str!("../../js/core.js")
);

/// The Chromium binary: `CHROMIUM`, or `chromium` on the `PATH`.
pub fn chromium_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string())
}

/// A browser driven over the DevTools protocol on a pipe.
struct Cdp {
    child: Child,
    to: File,
    from: BufReader<File>,
    next_id: u64,
    session: Option<String>,
    profile: std::path::PathBuf,
}

fn pipe() -> Result<(RawFd, RawFd), String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    Ok((fds[0], fds[1]))
}

impl Cdp {
    fn start(binary: &str, v8_flags: &str) -> Result<Cdp, String> {
        let profile = std::env::temp_dir().join(format!("wasmgate-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let (browser_reads, we_write) = pipe()?;
        let (we_read, browser_writes) = pipe()?;
        let mut command = Command::new(binary);
        command
            .args([
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--disable-crash-reporter",
                "--disable-breakpad",
                &format!("--user-data-dir={}", profile.display()),
                &format!("--js-flags={v8_flags}"),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: the closure runs in the forked child before exec and makes
        // only async-signal-safe calls (fcntl, dup2, prctl).
        unsafe {
            command.pre_exec(move || {
                // Move both ends out of the way first: one may already be 3 or 4.
                let r = libc::fcntl(browser_reads, libc::F_DUPFD, 10);
                let w = libc::fcntl(browser_writes, libc::F_DUPFD, 10);
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start `{binary}`: {e}"));
        // SAFETY: the browser's ends belong to this process only; closing them
        // here leaves the browser the only holder.
        unsafe {
            libc::close(browser_reads);
            libc::close(browser_writes);
        }
        let child = child?;
        // SAFETY: these descriptors were just created and are owned here.
        let (to, from) = unsafe { (File::from_raw_fd(we_write), File::from_raw_fd(we_read)) };
        Ok(Cdp {
            child,
            to,
            from: BufReader::new(from),
            next_id: 1,
            session: None,
            profile,
        })
    }

    /// Sends one command and returns its result, skipping events.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.to
            .write_all(&bytes)
            .map_err(|e| format!("the browser closed its pipe: {e}"))?;
        loop {
            let mut buf = Vec::new();
            let n = self
                .from
                .read_until(0, &mut buf)
                .map_err(|e| format!("reading from the browser: {e}"))?;
            if n == 0 {
                return Err("the browser exited".to_string());
            }
            buf.pop();
            let reply: Value =
                serde_json::from_slice(&buf).map_err(|e| format!("the browser sent unreadable JSON: {e}"))?;
            if reply["id"] != json!(id) {
                continue;
            }
            if let Some(error) = reply.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(reply["result"].clone());
        }
    }

    /// Evaluates `expression` in the page; a string result is returned.
    fn evaluate(&mut self, expression: &str) -> Result<String, String> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            let text = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("exception");
            return Err(text.to_string());
        }
        Ok(result["result"]["value"].as_str().unwrap_or_default().to_string())
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Serves the line protocol on stdin/stdout for engine `name`, running the
/// worker in the headless Chromium `binary` with the given V8 flags. Returns when stdin
/// closes (the browser is closed with it).
pub fn serve_chromium(name: &str, binary: &str, v8_flags: &str) -> Result<(), String> {
    let mut cdp = Cdp::start(binary, v8_flags)?;
    let version = cdp.call("Browser.getVersion", json!({}))?;
    let product = version["product"]
        .as_str()
        .unwrap_or("Chromium")
        .replace("HeadlessChrome/", "Chromium ")
        .replace("Chrome/", "Chromium ");
    let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}))?;
    let target_id = target["targetId"].as_str().unwrap_or_default().to_string();
    let attached = cdp.call(
        "Target.attachToTarget",
        json!({"targetId": target_id, "flatten": true}),
    )?;
    cdp.session = attached["sessionId"].as_str().map(str::to_string);
    let setup = format!(
        "globalThis.__wasmgateName = {}; globalThis.__wasmgateVersion = {}; {BROWSER_WORKER}; 'ready'",
        json!(name),
        json!(format!(
            "{product} / V8 {}",
            version["jsVersion"].as_str().unwrap_or("?")
        )),
    );
    cdp.evaluate(&setup)?;
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match cdp.evaluate(&format!("__wasmgate({line})")) {
            Ok(text) => text,
            Err(e) => json!({"ok": false, "error": e}).to_string(),
        };
        writeln!(stdout, "{answer}")
            .and_then(|_| stdout.flush())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
