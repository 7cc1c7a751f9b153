//! Browsers as engines: a bridge process speaks the line protocol of
//! `runners/PROTOCOL.md` on its stdin/stdout and drives one headless browser
//! over the browser's own remote protocol:
//! - Chromium's DevTools protocol over a pipe (`--remote-debugging-pipe`:
//!   NUL-separated JSON on file descriptors 3 and 4, no port, no WebSocket);
//!   each request is one `Runtime.evaluate`;
//! - Firefox's WebDriver BiDi over a WebSocket on localhost
//!   (`--remote-debugging-port=0`; the port the browser picked is read from
//!   `WebDriverBiDiServer.json` in its profile folder; the WebSocket client
//!   is tungstenite); each request is one `script.evaluate`.
//!
//! The page runs the same worker as node and `jsc` (`js/core.js`, behind
//! `js/browser.js`). The browser is started once per bridge, never per
//! case, in a fresh profile folder removed afterwards; it lives in the
//! bridge's process group (killed with it) and dies with it
//! (`PR_SET_PDEATHSIG`).
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

/// A browser's profile folder, removed when dropped — also when starting
/// the browser fails.
struct Profile(std::path::PathBuf);

impl Profile {
    /// A fresh, empty profile folder for the browser: in the scratch folder
    /// the harness made for this bridge (which it removes once the bridge is
    /// dead, killed or not), or else a folder of the bridge's own.
    fn create(browser: &str) -> Result<Profile, String> {
        let path = match std::env::var_os(super::SCRATCH_ENV) {
            Some(scratch) => std::path::PathBuf::from(scratch).join(browser),
            None => std::env::temp_dir().join(format!("wasmgate-{browser}-{}", std::process::id())),
        };
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Profile(path))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A browser process and its profile folder: killed, then removed, when
/// dropped.
struct Launched {
    child: Child,
    /// Dropped after the browser is killed.
    profile: Profile,
}

impl Drop for Launched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The browser's stderr, in its profile folder.
const STDERR_LOG: &str = "stderr.log";

/// A browser driven over the DevTools protocol on a pipe.
struct Cdp {
    to: File,
    from: BufReader<File>,
    next_id: u64,
    session: Option<String>,
    /// Dropped last: the browser is killed after its pipe closes.
    _browser: Launched,
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
        let profile = Profile::create("chromium")?;
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
                &format!("--user-data-dir={}", profile.0.display()),
                &format!("--js-flags={v8_flags}"),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                File::create(profile.0.join(STDERR_LOG)).map_err(|e| e.to_string())?,
            ));
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
        // SAFETY: these descriptors were just created and are owned here.
        let (to, from) = unsafe { (File::from_raw_fd(we_write), File::from_raw_fd(we_read)) };
        Ok(Cdp {
            to,
            from: BufReader::new(from),
            next_id: 1,
            session: None,
            _browser: Launched {
                child: child?,
                profile,
            },
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
            if reply["method"] == "Target.targetCrashed" {
                // The page's renderer died: no answer will come. V8 says on
                // the browser's stderr why (`Fatal process out of memory`).
                let params = &reply["params"];
                let log =
                    std::fs::read_to_string(self._browser.profile.0.join(STDERR_LOG)).unwrap_or_default();
                // V8's own words on its end; crashpad's complaints are noise.
                let said: Vec<&str> = log
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.contains("crashpad"))
                    .collect();
                let why = said
                    .iter()
                    .find(|l| l.to_ascii_lowercase().contains("out of memory") || l.contains("Fatal"))
                    .or(said.last());
                return Err(format!(
                    "the page's renderer crashed ({}, error code {}){}",
                    params["status"].as_str().unwrap_or("no status"),
                    params["errorCode"],
                    why.map(|l| format!(": {l}")).unwrap_or_default()
                ));
            }
            if reply["id"] != json!(id) {
                continue;
            }
            if let Some(error) = reply.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(reply["result"].clone());
        }
    }
}

/// A browser page that evaluates JavaScript and answers with a string.
trait Page {
    /// Evaluates `expression` in the page; a string result is returned, a
    /// thrown exception is `Err` with its message.
    fn evaluate(&mut self, expression: &str) -> Result<String, String>;
}

impl Page for Cdp {
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

/// Which browser a bridge drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Chromium over the DevTools protocol: V8.
    Chromium,
    /// Firefox over WebDriver BiDi: SpiderMonkey.
    Firefox,
}

/// Serves the line protocol on stdin/stdout for engine `name`, running the
/// worker in the headless `browser` at `binary` with the given engine
/// options (V8 flags for Chromium; `NAME=VALUE` preferences for Firefox).
/// Returns when stdin closes (the browser is closed with it).
pub fn serve(browser: Browser, name: &str, binary: &str, options: &[String]) -> Result<(), String> {
    let (mut page, version): (Box<dyn Page>, String) = match browser {
        Browser::Chromium => {
            let (cdp, version) = Cdp::open(binary, &options.join(" "))?;
            (Box::new(cdp), version)
        }
        #[cfg(not(feature = "firefox"))]
        Browser::Firefox => {
            return Err("this build has no Firefox engine (cargo feature `firefox`)".to_string());
        }
        #[cfg(feature = "firefox")]
        Browser::Firefox => {
            let prefs = options
                .iter()
                .map(|o| {
                    o.split_once('=')
                        .ok_or_else(|| format!("a Firefox preference is NAME=VALUE, not `{o}`"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (bidi, version) = Bidi::open(binary, &prefs)?;
            (Box::new(bidi), version)
        }
    };
    let setup = format!(
        "globalThis.__wasmgateName = {}; globalThis.__wasmgateVersion = {}; {BROWSER_WORKER}; 'ready'",
        json!(name),
        json!(version),
    );
    page.evaluate(&setup)?;
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        // The worker answers every request itself, failures included: an
        // evaluation that fails is the bridge's channel to the browser
        // broken, never the engine's answer (it would read as a module
        // rejected). The bridge ends, saying why; the harness starts another.
        let answer = page
            .evaluate(&format!("__wasmgate({line})"))
            .map_err(|e| format!("the browser did not evaluate a request: {e}"))?;
        writeln!(stdout, "{answer}")
            .and_then(|_| stdout.flush())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl Cdp {
    /// Starts Chromium and attaches to a fresh page; also its version,
    /// `Chromium 156.0… / V8 15.6…`.
    fn open(binary: &str, v8_flags: &str) -> Result<(Cdp, String), String> {
        let mut cdp = Cdp::start(binary, v8_flags)?;
        let version = cdp.call("Browser.getVersion", json!({}))?;
        let product = version["product"]
            .as_str()
            .unwrap_or("Chromium")
            .replace("HeadlessChrome/", "Chromium ")
            .replace("Chrome/", "Chromium ");
        // Target events, so a crashed renderer is news (`Target.targetCrashed`)
        // rather than a request that never answers.
        cdp.call("Target.setDiscoverTargets", json!({"discover": true}))?;
        let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_string();
        let attached = cdp.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        cdp.session = attached["sessionId"].as_str().map(str::to_string);
        let version = format!("{product} / V8 {}", version["jsVersion"].as_str().unwrap_or("?"));
        Ok((cdp, version))
    }
}

/// The Firefox binary: `FIREFOX`, or `firefox-esr` (Debian's), or `firefox`
/// on the `PATH`.
#[cfg(feature = "firefox")]
pub fn firefox_binary() -> String {
    std::env::var("FIREFOX").unwrap_or_else(|_| {
        if super::which("firefox-esr").is_none() && super::which("firefox").is_some() {
            "firefox".to_string()
        } else {
            "firefox-esr".to_string()
        }
    })
}

/// A headless Firefox driven over WebDriver BiDi.
#[cfg(feature = "firefox")]
struct Bidi {
    socket: tungstenite::WebSocket<std::net::TcpStream>,
    next_id: u64,
    context: String,
    /// Dropped last: the browser is killed after the socket closes.
    _browser: Launched,
}

/// Preferences every wasmgate Firefox profile gets: no first-run pages, no
/// network chatter, no slow-script interruption (the harness times a
/// request itself), no crash reporting. (Fewer content processes —
/// `fission.autostart`, `dom.ipc.processCount` — left the first tab in the
/// parent process at times, where BiDi cannot evaluate.)
#[cfg(feature = "firefox")]
const FIREFOX_PREFS: &[(&str, &str)] = &[
    ("browser.shell.checkDefaultBrowser", "false"),
    ("browser.startup.page", "0"),
    ("browser.startup.homepage_override.mstone", "\"ignore\""),
    ("browser.aboutwelcome.enabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("datareporting.healthreport.uploadEnabled", "false"),
    ("toolkit.telemetry.reportingpolicy.firstRun", "false"),
    ("app.update.disabledForTesting", "true"),
    ("app.normandy.enabled", "false"),
    ("extensions.update.enabled", "false"),
    ("browser.safebrowsing.malware.enabled", "false"),
    ("browser.safebrowsing.phishing.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    ("network.captive-portal-service.enabled", "false"),
    ("dom.max_script_run_time", "0"),
    ("dom.max_chrome_script_run_time", "0"),
    ("browser.tabs.crashReporting.sendReport", "false"),
    // performance.now() to the microsecond, not coarsened to a millisecond
    // (`wasmgate perf` reads the page's wall clock).
    ("privacy.reduceTimerPrecision", "false"),
];

/// How long a starting Firefox may take to listen for WebDriver BiDi.
#[cfg(feature = "firefox")]
const FIREFOX_START: std::time::Duration = std::time::Duration::from_secs(60);

#[cfg(feature = "firefox")]
impl Bidi {
    /// Starts Firefox in a fresh profile with `prefs` on top of
    /// [`FIREFOX_PREFS`], opens a BiDi session and takes its tab; also its
    /// version, `Firefox 153.8.0esr`.
    fn open(binary: &str, prefs: &[(&str, &str)]) -> Result<(Bidi, String), String> {
        let profile = Profile::create("firefox")?;
        let user_js: String = FIREFOX_PREFS
            .iter()
            .chain(prefs)
            .map(|(k, v)| format!("user_pref({}, {v});\n", json!(k)))
            .collect();
        std::fs::write(profile.0.join("user.js"), user_js)
            .map_err(|e| format!("cannot write the Firefox profile: {e}"))?;
        let mut command = Command::new(binary);
        command
            .args([
                "--headless",
                "--no-remote",
                "--remote-debugging-port=0",
                "--profile",
            ])
            .arg(&profile.0)
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                File::create(profile.0.join(STDERR_LOG)).map_err(|e| e.to_string())?,
            ));
        // SAFETY: the closure runs in the forked child before exec and makes
        // only an async-signal-safe call (prctl).
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start `{binary}`: {e}"))?;
        let mut browser = Launched { child, profile };
        let socket = Bidi::connect(&mut browser)?;
        let mut bidi = Bidi {
            socket,
            next_id: 1,
            context: String::new(),
            _browser: browser,
        };
        let session = bidi.call("session.new", json!({"capabilities": {}}))?;
        let capabilities = &session["capabilities"];
        let version = format!(
            "Firefox {}",
            capabilities["browserVersion"]
                .as_str()
                .unwrap_or("(version unknown)")
        );
        let tree = bidi.call("browsingContext.getTree", json!({"maxDepth": 0}))?;
        if let Some(context) = tree["contexts"][0]["context"].as_str() {
            bidi.context = context.to_string();
        }
        // The first tab can still be the parent process's (where BiDi does
        // not evaluate) for a moment after start-up: then a tab of its own.
        if bidi.context.is_empty() || bidi.evaluate("'ready'").is_err() {
            bidi.context = bidi.call("browsingContext.create", json!({"type": "tab"}))?["context"]
                .as_str()
                .ok_or("browsingContext.create gave no context")?
                .to_string();
            bidi.evaluate("'ready'")?;
        }
        Ok((bidi, version))
    }

    /// Waits for the browser to write the port it listens on into its
    /// profile, then opens the WebSocket of a new session.
    fn connect(browser: &mut Launched) -> Result<tungstenite::WebSocket<std::net::TcpStream>, String> {
        let file = browser.profile.0.join("WebDriverBiDiServer.json");
        let started = std::time::Instant::now();
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .and_then(|v| v["ws_port"].as_u64())
            {
                break port;
            }
            if let Ok(Some(status)) = browser.child.try_wait() {
                return Err(format!("the browser exited as it started ({status})"));
            }
            if started.elapsed() > FIREFOX_START {
                return Err(format!(
                    "the browser did not listen for WebDriver BiDi within {} s",
                    FIREFOX_START.as_secs()
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let stream = std::net::TcpStream::connect(("127.0.0.1", port as u16))
            .map_err(|e| format!("cannot connect to the browser's port {port}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (socket, _) = tungstenite::client::client(format!("ws://127.0.0.1:{port}/session"), stream)
            .map_err(|e| format!("WebDriver BiDi handshake: {e}"))?;
        Ok(socket)
    }

    /// Sends one command and returns its result, skipping events.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        use tungstenite::Message;
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"id": id, "method": method, "params": params});
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(|e| format!("the browser closed its WebSocket: {e}"))?;
        loop {
            let text = match self.socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) => return Err("the browser closed its WebSocket".to_string()),
                Ok(_) => continue,
                Err(e) => return Err(format!("reading from the browser: {e}")),
            };
            let reply: Value = serde_json::from_str(text.as_str())
                .map_err(|e| format!("the browser sent unreadable JSON: {e}"))?;
            if reply["id"] != json!(id) {
                continue;
            }
            if reply["type"] == "error" {
                return Err(format!(
                    "{method}: {}: {}",
                    reply["error"].as_str().unwrap_or("error"),
                    reply["message"].as_str().unwrap_or_default()
                ));
            }
            return Ok(reply["result"].clone());
        }
    }
}

#[cfg(feature = "firefox")]
impl Page for Bidi {
    fn evaluate(&mut self, expression: &str) -> Result<String, String> {
        let result = self.call(
            "script.evaluate",
            json!({
                "expression": expression,
                "target": {"context": self.context},
                "awaitPromise": false,
                "resultOwnership": "none",
            }),
        )?;
        if result["type"] == "exception" {
            let details = &result["exceptionDetails"];
            return Err(details["text"].as_str().unwrap_or("exception").to_string());
        }
        Ok(result["result"]["value"].as_str().unwrap_or_default().to_string())
    }
}
