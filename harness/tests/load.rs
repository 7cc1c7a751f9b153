//! Verdicts that do not depend on how busy the machine is: the same hostile
//! modules and `check` give the same verdicts alone and while busy processes
//! hold every core. A test binary of its own, so that cargo runs it alone
//! (its busy processes would slow every test running beside it).

mod common;

use common::{code, report, wasmgate};
use std::process::{Command, Stdio};

/// Busy processes holding the machine's cores, killed when dropped.
struct Hogs(Vec<std::process::Child>);

impl Hogs {
    fn start(n: usize) -> Hogs {
        Hogs(
            (0..n)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .stdout(Stdio::null())
                        .spawn()
                        .expect("start a busy process")
                })
                .collect(),
        )
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Engines for the load test: two in-process, two in engine processes.
const LOAD_ENGINES: &str = "wasmtime-cranelift,wasmi,v8-turbofan,jsc-bbq";

/// Per module (and the check): exit code and the verdict line, with a 2 s
/// CPU time limit (1 s for the loop).
fn verdicts(dir: &std::path::Path) -> Vec<(String, i32, String)> {
    let hostile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/hostile");
    let mut modules: Vec<std::path::PathBuf> = ["memory-max.wat", "memory-fill.wat", "long-loop.wat"]
        .iter()
        .map(|m| hostile.join(m))
        .collect();
    modules.extend([dir.join("exports.wat"), dir.join("data.wasm")]);
    let mut out = Vec::new();
    for module in &modules {
        // The loop hangs every engine: 1 s of CPU time shows it as well as
        // 2 and costs half (per engine, and again with each engine alone).
        let timeout = if module.ends_with("long-loop.wat") {
            "1"
        } else {
            "2"
        };
        let o = wasmgate(&[
            "repro",
            "--wasm",
            module.to_str().unwrap(),
            "--engines",
            LOAD_ENGINES,
            "--timeout",
            timeout,
        ]);
        let verdict = common::stdout(&o)
            .lines()
            .find(|l| l.starts_with("verdict:"))
            .unwrap_or("")
            .to_string();
        let name = module.file_name().unwrap().to_string_lossy().to_string();
        out.push((name, code(&o), verdict));
    }
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/check/counter.toml");
    let report_dir = dir.join(format!("check-{}", out.len() + std::process::id() as usize));
    let o = wasmgate(&[
        "check",
        "-q",
        "--engines",
        LOAD_ENGINES,
        "--vectors",
        vectors.to_str().unwrap(),
        "--timeout",
        "2",
        "--out",
        report_dir.to_str().unwrap(),
    ]);
    let summary = report(&report_dir)["summary"].clone();
    out.push((
        "check counter".into(),
        code(&o),
        format!(
            "agreed {} inconclusive {}",
            summary["agreed"], summary["inconclusive"]
        ),
    ));
    out
}

#[test]
fn verdicts_hold_while_busy_processes_hold_every_core() {
    let dir = tempfile::tempdir().unwrap();
    // Many exports, and a 16 MiB data segment: slow to compile on a busy machine.
    let mut wat = String::from("(module (func $f (result i32) i32.const 7)\n");
    for i in 0..1500 {
        wat.push_str(&format!("(export \"e{i}\" (func $f))\n"));
    }
    wat.push(')');
    std::fs::write(dir.path().join("exports.wat"), wat).unwrap();
    let mut module = wasm_encoder::Module::new();
    let mut memories = wasm_encoder::MemorySection::new();
    memories.memory(wasm_encoder::MemoryType {
        minimum: 256,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut data = wasm_encoder::DataSection::new();
    data.active(0, &wasm_encoder::ConstExpr::i32_const(0), vec![0xa5u8; 16 << 20]);
    module.section(&memories).section(&data);
    std::fs::write(dir.path().join("data.wasm"), module.finish()).unwrap();

    let quiet = verdicts(dir.path());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let busy = {
        // Two per core: every core busy, each of wasmgate's processes getting
        // a third of one at most.
        let _hogs = Hogs::start(2 * cores);
        verdicts(dir.path())
    };
    assert_eq!(quiet, busy, "alone vs with {} busy processes", 2 * cores);
    let long_loop = &quiet[2];
    assert_eq!(long_loop.1, 2, "inconclusive, not a pass: {long_loop:?}");
    assert!(long_loop.2.contains("every engine hung"), "{long_loop:?}");
    for (name, exit, verdict) in quiet.iter().filter(|q| q.0 != "long-loop.wat") {
        assert_eq!(*exit, 0, "{name}: {verdict}");
    }
    assert_eq!(quiet[5].2, "agreed 1 inconclusive 0");
}
