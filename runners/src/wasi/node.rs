//! WASI preview1 in `node` (`node:wasi`), through a leased V8 engine
//! process of [`crate::js`]: the program is compiled once, each run is one
//! `wasi` request whose stdio are files the run makes and reads back.

use crate::engine::{Engine, EngineInfo, Exhaustion, Failure};
use crate::js::{ExternalEngine, Lease, Unavailable, failure_of, v8};
use crate::wasi::{WasiEngine, WasiOutput, WasiProgram, WasiRun};
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Duration;

/// WASI preview1 in `node` (`node:wasi`): the `node-wasi` configuration. The
/// program is compiled once in a leased V8 worker; each run instantiates it
/// with a fresh `WASI` object whose stdio are files the run makes and reads
/// back.
pub struct NodeWasi {
    engine: ExternalEngine,
}

/// Starts `node` (the `NODE` variable's, or `node`) for WASI runs.
pub fn node_wasi(name: &str) -> Result<NodeWasi, Unavailable> {
    let engine = v8(name, None, &[])?;
    Ok(NodeWasi { engine })
}

impl WasiEngine for NodeWasi {
    fn info(&self) -> &EngineInfo {
        self.engine.info()
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn WasiProgram + '_>, String> {
        let mut program = NodeProgram {
            engine: &self.engine,
            wasm: wasm.to_vec(),
            leased: None,
        };
        program.lease()?;
        Ok(Box::new(program))
    }
}

struct NodeProgram<'a> {
    engine: &'a ExternalEngine,
    wasm: Vec<u8>,
    /// The worker holding the compiled program, and the program's id there.
    leased: Option<(Lease, Value)>,
}

impl NodeProgram<'_> {
    /// A worker with the program compiled (again, after a worker was lost).
    fn lease(&mut self) -> Result<&mut (Lease, Value), String> {
        if self.leased.is_none() {
            let mut lease = self.engine.lease()?;
            let wasm64 = base64::engine::general_purpose::STANDARD.encode(&self.wasm);
            let answer = lease
                .request(&json!({"op": "compile", "wasm": wasm64}))
                .map_err(|f| f.to_string())?;
            if answer["ok"] != true {
                return Err(answer["error"].as_str().unwrap_or("rejected").to_string());
            }
            self.leased = Some((lease, answer["module"].clone()));
        }
        Ok(self.leased.as_mut().expect("leased above"))
    }
}

/// Files one node run reads its stdin from and writes its stdout and stderr
/// to, removed when dropped.
struct Stdio(std::path::PathBuf);

impl Stdio {
    fn new(stdin: &[u8]) -> std::io::Result<Stdio> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasmgate-node-wasi-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let stdio = Stdio(dir);
        std::fs::write(stdio.path("stdin"), stdin)?;
        Ok(stdio)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// What the program wrote to `name`, up to the output limit.
    fn read(&self, name: &str) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        if let Ok(f) = std::fs::File::open(self.0.join(name)) {
            let _ = f.take(crate::wasi::OUTPUT_BYTES as u64).read_to_end(&mut out);
        }
        out
    }
}

impl Drop for Stdio {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl WasiProgram for NodeProgram<'_> {
    fn run(&mut self, run: &WasiRun) -> WasiOutput {
        use crate::wasi::{WasiEnd, failed};
        let started = std::time::Instant::now();
        let stdio = match Stdio::new(&run.stdin) {
            Ok(s) => s,
            Err(e) => return failed(Failure::error(format!("cannot make the stdio files: {e}"))),
        };
        let request = json!({
            "op": "wasi",
            "args": run.args,
            "env": run.env,
            "dirs": run.dirs.iter().map(|(host, guest)| json!([guest, host.display().to_string()])).collect::<Vec<_>>(),
            "stdin": stdio.path("stdin"),
            "stdout": stdio.path("stdout"),
            "stderr": stdio.path("stderr"),
        });
        let (lease, id) = match self.lease() {
            Ok(leased) => leased,
            Err(e) => return failed(Failure::error(e)),
        };
        let mut request = request;
        request["module"] = id.clone();
        // The worker gets the run's own limit (plus its start-up), not the
        // engine's per-request one.
        lease.timeout = run.timeout + Duration::from_secs(2);
        let end = match lease.request(&request) {
            Ok(answer) if answer["ok"] == true && answer["end"] == "exit" => WasiEnd::Exit {
                code: answer["code"].as_i64().unwrap_or(-1) as i32,
            },
            Ok(answer) => WasiEnd::Failed {
                failure: failure_of(&answer),
            },
            Err(f) => {
                self.leased = None;
                match f {
                    Failure::Error { message } if message.contains("did not answer within") => {
                        WasiEnd::Failed {
                            failure: Failure::exhausted(Exhaustion::Timeout, message),
                        }
                    }
                    f => WasiEnd::Failed { failure: f },
                }
            }
        };
        WasiOutput {
            end,
            stdout: stdio.read("stdout"),
            stderr: stdio.read("stderr"),
            run_us: started.elapsed().as_micros() as u64,
        }
    }
}
