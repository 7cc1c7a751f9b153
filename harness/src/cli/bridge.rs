//! `wasmgate browser-bridge`: the line protocol on stdin/stdout, served by a
//! headless browser this process starts and drives (internal; started by the
//! `v8-chromium` engine, see `runners/src/js/browser.rs`).

use anyhow::{Result, anyhow};

#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The engine configuration's name, as `hello` answers it.
    #[arg(long)]
    name: String,
    /// The browser binary.
    #[arg(long, default_value = "chromium")]
    browser: String,
    /// V8 flags for the browser's JavaScript engine.
    #[arg(long, allow_hyphen_values = true)]
    js_flags: String,
}

#[cfg(feature = "chromium")]
pub fn run(opts: Opts) -> Result<i32> {
    wasmgate_runners::js::browser::serve_chromium(&opts.name, &opts.browser, &opts.js_flags)
        .map_err(|e| anyhow!(e))?;
    Ok(0)
}

#[cfg(not(feature = "chromium"))]
pub fn run(opts: Opts) -> Result<i32> {
    Err(anyhow!(
        "{}: this build has no browser engines (cargo feature `chromium`)",
        opts.name
    ))
}
