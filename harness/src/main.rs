//! The `wasmgate` command: dispatches to one subcommand, maps errors to exit code 2.

fn main() {
    // Die quietly on a closed pipe (`wasmgate gen --wat | head`), like other
    // Unix tools, instead of panicking on the failed write.
    // SAFETY: called first thing, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(wasmgate_harness::cli::main());
}
