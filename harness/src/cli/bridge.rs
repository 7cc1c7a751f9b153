//! `wasmgate browser-bridge`: the line protocol on stdin/stdout, served by a
//! headless browser this process starts and drives (internal; started by the
//! `v8-chromium` and `spidermonkey-firefox` engines, see
//! `runners/src/js/browser.rs`).

use anyhow::{Result, anyhow};

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The engine configuration's name, as `hello` answers it.
    #[arg(long)]
    name: String,
    /// The browser binary.
    #[arg(long, default_value = "chromium")]
    browser: String,
    /// Which browser it is: `chromium` (DevTools protocol) or `firefox` (WebDriver BiDi).
    #[arg(long, default_value = "chromium")]
    kind: String,
    /// An option for the browser's JavaScript engine: V8 flags for Chromium,
    /// a `NAME=VALUE` preference for Firefox (repeatable).
    #[arg(long = "option", allow_hyphen_values = true)]
    options: Vec<String>,
}

#[cfg(any(feature = "chromium", feature = "firefox"))]
pub fn run(opts: Opts) -> Result<i32> {
    use wasmgate_runners::js::browser::{Browser, serve};
    let browser = match opts.kind.as_str() {
        "chromium" => Browser::Chromium,
        "firefox" => Browser::Firefox,
        other => return Err(anyhow!("unknown browser kind `{other}` (chromium or firefox)")),
    };
    serve(browser, &opts.name, &opts.browser, &opts.options).map_err(|e| anyhow!(e))?;
    Ok(0)
}

#[cfg(not(any(feature = "chromium", feature = "firefox")))]
pub fn run(opts: Opts) -> Result<i32> {
    Err(anyhow!(
        "{}: this build has no browser engines (cargo features `chromium`, `firefox`)",
        opts.name
    ))
}
