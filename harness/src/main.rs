//! The `wasmgate` command: dispatches to one subcommand, maps errors to exit code 2.

fn main() {
    // SIGPIPE stays ignored (Rust's default): a write to an engine or worker
    // process that has died must come back as an error, never kill the run.
    // A closed standard output (`wasmgate gen --wat | head`) ends the program
    // quietly instead of panicking in `println!`, as other Unix tools do.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
    // Orphans of what wasmgate starts (a browser's daemonised crash handler)
    // are re-parented here, and whatever is left when the command ends is
    // killed: no engine, browser or worker process outlives it.
    wasmgate_runners::child::become_subreaper();
    let code = wasmgate_harness::cli::main();
    wasmgate_runners::child::kill_descendants();
    std::process::exit(code);
}
