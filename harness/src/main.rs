//! The `wasmgate` command: dispatches to one subcommand, maps errors to exit code 2.

fn main() {
    std::process::exit(wasmgate_harness::cli::main());
}
