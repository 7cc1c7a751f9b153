//! The JavaScript engines: engines in another process, spoken to over the
//! line protocol of `runners/PROTOCOL.md` — V8 through `node`,
//! JavaScriptCore through its `jsc` shell, SpiderMonkey through its shell
//! (`js102`), V8 in a headless Chromium and SpiderMonkey in a headless
//! Firefox through [`browser`]'s bridge, or any command given with `--engine-cmd NAME=COMMAND`.
//! [`caps`] writes the harness's limits into modules for shells that have no
//! option for them.
//!
//! Each engine keeps a pool of long-lived child processes: a case leases one
//! for its compile → instantiate → calls, then hands it back (after a `reset`).
//! A child that dies or does not answer within the time limit is killed, the
//! step fails with an error naming what happened, and the next case gets a
//! fresh child.
//!
//! Invariant: nothing here knows WASI or a native engine; `wasi::node`
//! builds on this room, never the other way round.

#[cfg(any(feature = "chromium", feature = "firefox"))]
pub mod browser;
pub mod caps;

use crate::child::{Exchange, Limit, LineChild};
use crate::engine::{
    Compiled, Engine, EngineInfo, Exhaustion, Failure, Feature, Instance, InstanceId, ModuleId, PlannedCall,
    Session,
};
use crate::value::{Val, ValType};
use base64::Engine as _;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::VecDeque;
use std::process::Command;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Cases one child serves before it is replaced: V8 keeps compiled code and
/// memories of dropped instances until a full GC, and a node child grew to
/// 300 MB over 7000 cases; recycling bounds that at the cost of one `node`
/// start (~70 ms) per this many cases.
const CASES_PER_PROCESS: u64 = 500;

/// Granule in which memories cross the protocol.
const MEMORY_PAGE: usize = 4096;

/// Time one request may take before the child is considered hung, unless
/// [`TIMEOUT_ENV`] says otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Milliseconds one request may take, set by a supervisor that has a time limit
/// of its own (a worker process's): the engine process must never give up
/// before the supervisor does, or a hang would look like an ordinary error on
/// this engine while the others are blamed for hanging.
pub const TIMEOUT_ENV: &str = "WASMGATE_ENGINE_TIMEOUT_MS";

/// The request time limit in force: [`TIMEOUT_ENV`], or [`REQUEST_TIMEOUT`].
pub fn request_timeout() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(REQUEST_TIMEOUT)
}

/// The CPU time a starting engine process may take to answer `hello`: a
/// headless browser takes seconds of CPU time to start (Firefox 3–4 s), more
/// than a short request limit allows, and a start is not a hang.
fn start_timeout(request: Duration) -> Duration {
    request.max(Duration::from_secs(60))
}

/// Why an external engine cannot be used on this machine.
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

/// How to start the child process.
#[derive(Clone, Debug, Default)]
pub(crate) struct Launch {
    program: String,
    args: Vec<String>,
    /// `RLIMIT_DATA` for the process (raised up to the hard limit), if it
    /// needs more than it inherits.
    pub(crate) data_limit: Option<u64>,
    /// Whether the process gets a folder of its own (a browser's profile),
    /// named in `WASMGATE_SCRATCH`, removed by the harness once the process
    /// is killed — a bridge killed with its browser cannot remove it itself.
    pub(crate) scratch: bool,
}

/// The variable that names a process's scratch folder ([`Launch::scratch`]).
pub const SCRATCH_ENV: &str = "WASMGATE_SCRATCH";

/// One child process and how many cases it has served.
struct Process {
    child: LineChild,
    served: u64,
    /// Dropped after `child`: removed once the process is dead.
    _scratch: Option<crate::child::Scratch>,
}

impl Process {
    fn spawn(launch: &Launch) -> Result<Process, String> {
        let mut command = Command::new(&launch.program);
        command.args(&launch.args);
        let scratch = launch.scratch.then(crate::child::Scratch::create).transpose()?;
        if let Some(scratch) = &scratch {
            command.env(SCRATCH_ENV, scratch.path());
        }
        if let Some(bytes) = launch.data_limit {
            use std::os::unix::process::CommandExt;
            // SAFETY: runs in the forked child before exec; getrlimit and
            // setrlimit are async-signal-safe.
            unsafe {
                command.pre_exec(move || {
                    let mut limit = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: 0,
                    };
                    if libc::getrlimit(libc::RLIMIT_DATA, &mut limit) == 0 {
                        limit.rlim_cur = (bytes as libc::rlim_t).min(limit.rlim_max);
                        libc::setrlimit(libc::RLIMIT_DATA, &limit);
                    }
                    Ok(())
                });
            }
        }
        let child = LineChild::spawn(&mut command, "engine process")
            .map_err(|e| format!("cannot start `{}`: {e}", launch.program))?;
        Ok(Process {
            child,
            served: 0,
            _scratch: scratch,
        })
    }

    /// One request/response; `Err` means the process is unusable (and killed).
    fn request(&mut self, request: &Value, timeout: Duration) -> Result<Value, String> {
        if let Err(Exchange::Died(how)) = self.child.send(&ascii_json(request)) {
            return Err(how);
        }
        let answer = self.child.recv_line(Limit::cpu(timeout), "engine process")?;
        serde_json::from_str(&answer).map_err(|e| {
            self.child.kill();
            format!("engine process sent an unreadable answer: {e}")
        })
    }
}

/// `value` as JSON text in ASCII only, every other character escaped
/// (`\u07c0`): a shell that reads its input as Latin-1 (JavaScriptCore's
/// `readline()`) still sees export names exactly.
fn ascii_json(value: &Value) -> String {
    let text = value.to_string();
    if text.is_ascii() {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

type Pool = Arc<Mutex<Vec<Process>>>;

/// A process borrowed from the pool for one case.
pub(crate) struct Lease {
    process: Option<Process>,
    pool: Pool,
    pub(crate) timeout: Duration,
}

impl Lease {
    pub(crate) fn request(&mut self, request: &Value) -> Result<Value, Failure> {
        let Some(process) = self.process.as_mut() else {
            return Err(Failure::error("engine process is gone"));
        };
        process.request(request, self.timeout).map_err(|e| {
            self.process = None;
            if crate::child::out_of_memory(&e) {
                // The harness's limit, not the engine's bug: nothing to compare.
                Failure::exhausted(
                    Exhaustion::Memory,
                    format!("wasmgate's memory limit reached: {e}"),
                )
            } else {
                Failure::error(e)
            }
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(mut p) = self.process.take()
            && p.served + 1 < CASES_PER_PROCESS
            && p.request(
                &json!({"op": "reset", "gc": resident_bytes(p.child.id()) > RELEASE_RESIDENT}),
                self.timeout,
            )
            .is_ok()
        {
            p.served += 1;
            self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(p);
        }
    }
}

/// Resident memory past which an engine process collects garbage as it is
/// reset, giving a large wasm memory back before the next case.
const RELEASE_RESIDENT: u64 = 192 << 20;

/// Resident memory of process `pid` (`/proc/PID/statm`; 0 if unreadable).
fn resident_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// An engine living in child processes.
pub struct ExternalEngine {
    info: EngineInfo,
    launch: Launch,
    pool: Pool,
    timeout: Duration,
    /// Whether modules get the harness's limits written in first
    /// ([`crate::js::caps`]), for engines without options for them.
    cap_limits: bool,
}

impl ExternalEngine {
    /// Starts `program args…`, says hello, and checks the protocol version.
    pub fn start(name: &str, program: &str, args: &[String], timeout: Duration) -> Result<Self, Unavailable> {
        Self::start_with(name, program, args, timeout, Launch::default())
    }

    /// [`start`](Self::start), with what `extra` says beyond the program
    /// and its arguments (a data limit, a scratch folder).
    fn start_with(
        name: &str,
        program: &str,
        args: &[String],
        timeout: Duration,
        extra: Launch,
    ) -> Result<Self, Unavailable> {
        let launch = Launch {
            program: program.to_string(),
            args: args.to_vec(),
            ..extra
        };
        let mut first = Process::spawn(&launch).map_err(Unavailable)?;
        let hello = first
            .request(hello(), start_timeout(timeout))
            .map_err(Unavailable)?;
        if hello["protocol"] != 1 {
            return Err(Unavailable(format!(
                "`{program}` does not speak wasmgate engine protocol 1: {hello}"
            )));
        }
        let mut features: Vec<Feature> = serde_json::from_value(hello["features"].clone())
            .map_err(|e| Unavailable(format!("bad feature list from `{program}`: {e}")))?;
        features.sort();
        let info = EngineInfo {
            name: name.to_string(),
            version: hello["version"].as_str().unwrap_or("unknown").to_string(),
            features,
        };
        Ok(ExternalEngine {
            info,
            launch,
            pool: Arc::new(Mutex::new(vec![first])),
            timeout,
            cap_limits: false,
        })
    }

    pub(crate) fn lease(&self) -> Result<Lease, String> {
        // A pooled process that died between cases (killed from outside) is
        // dropped, never handed out.
        let pooled = loop {
            match self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop() {
                Some(mut p) => {
                    if p.child.alive() {
                        break Some(p);
                    }
                }
                None => break None,
            }
        };
        let process = match pooled {
            Some(p) => p,
            // Started on a thread that stays: the process goes back to the
            // pool, and must not die with the (perhaps short-lived) thread
            // of this case.
            None => {
                let launch = self.launch.clone();
                let mut p = crate::child::on_lasting_thread(move || Process::spawn(&launch))
                    .recv()
                    .map_err(|_| "starting an engine process panicked".to_string())??;
                // Every process keeps its own observer: one without it shows
                // an i31, a struct or an array as a bare `nonnull`.
                p.request(observer_hello(), start_timeout(self.timeout))?;
                p
            }
        };
        Ok(Lease {
            process: Some(process),
            pool: self.pool.clone(),
            timeout: self.timeout,
        })
    }
}

/// The first request to an engine process: it answers with its name, version
/// and the features whose probe ([`crate::probe`]) it runs, and keeps the
/// observer module ([`crate::probe::OBSERVER_WAT`]) where it has GC.
/// Built once per process: every engine process started gets the same one.
pub(crate) fn hello() -> &'static serde_json::Value {
    static HELLO: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    HELLO.get_or_init(build_hello)
}

/// The `hello` for every later process of an engine: the features are
/// known from the first, so no probes, only the observer.
fn observer_hello() -> &'static serde_json::Value {
    static HELLO: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    HELLO.get_or_init(|| {
        let mut hello = build_hello();
        hello["probes"] = json!({});
        hello
    })
}

fn build_hello() -> serde_json::Value {
    use base64::Engine as _;
    let probes: serde_json::Map<String, serde_json::Value> = Feature::ALL
        .iter()
        .map(|f| {
            let wasm = crate::probe::wasm(*f);
            (
                f.name().to_string(),
                base64::engine::general_purpose::STANDARD.encode(wasm).into(),
            )
        })
        .collect();
    let observer = base64::engine::general_purpose::STANDARD.encode(crate::probe::observer());
    json!({"op": "hello", "probes": probes, "observer": observer})
}

/// Exported globals and their types, read from the module (the protocol needs
/// them to render values; JS cannot tell an i32 global from an f32 one).
fn global_types(wasm: &[u8]) -> HashMap<String, &'static str> {
    let mut globals = Vec::new();
    let mut types = HashMap::new();
    // Whether each defined type is a function type (else a struct or array).
    let mut func_types: Vec<bool> = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            wasmparser::Payload::TypeSection(reader) => {
                for group in reader.into_iter().flatten() {
                    for sub in group.into_types() {
                        func_types.push(matches!(
                            sub.composite_type.inner,
                            wasmparser::CompositeInnerType::Func(_)
                        ));
                    }
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports().flatten() {
                    if let wasmparser::TypeRef::Global(g) = import.ty {
                        globals.push((g.content_type, g.mutable));
                    }
                }
            }
            wasmparser::Payload::GlobalSection(reader) => {
                for g in reader.into_iter().flatten() {
                    globals.push((g.ty.content_type, g.ty.mutable));
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for e in reader.into_iter().flatten() {
                    if e.kind == wasmparser::ExternalKind::Global
                        && let Some((ty, mutable)) = globals.get(e.index as usize)
                    {
                        let name = match ty {
                            wasmparser::ValType::V128 if *mutable => "v128 mut",
                            wasmparser::ValType::I32 => "i32",
                            wasmparser::ValType::I64 => "i64",
                            wasmparser::ValType::F32 => "f32",
                            wasmparser::ValType::F64 => "f64",
                            wasmparser::ValType::V128 => "v128",
                            wasmparser::ValType::Ref(r) => match ref_hierarchy(*r, &func_types) {
                                // JavaScript throws on reading an exnref global: not asked.
                                Some(ValType::ExnRef) => continue,
                                Some(t) => t.name(),
                                // Shared references and continuations, which the
                                // harness never observes.
                                None => "anyref",
                            },
                        };
                        types.insert(e.name.to_string(), name);
                    }
                }
            }
            _ => {}
        }
    }
    types
}

/// A reference type's hierarchy ([`ValType::of_abstract_heap`]); a concrete
/// type index is a function reference or (struct, array) an `any` one.
fn ref_hierarchy(r: wasmparser::RefType, func_types: &[bool]) -> Option<ValType> {
    match r.heap_type() {
        wasmparser::HeapType::Concrete(idx) | wasmparser::HeapType::Exact(idx) => {
            match idx.as_module_index().and_then(|i| func_types.get(i as usize)) {
                Some(false) => Some(ValType::AnyRef),
                _ => Some(ValType::FuncRef),
            }
        }
        wasmparser::HeapType::Abstract { shared, ty } => ValType::of_abstract_heap(shared, ty),
    }
}

impl Engine for ExternalEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let mut lease = self.lease()?;
        let capped = self
            .cap_limits
            .then(|| crate::js::caps::cap_limits(wasm, self.info.supports(Feature::Memory64)))
            .flatten();
        let wasm64 = base64::engine::general_purpose::STANDARD.encode(capped.as_deref().unwrap_or(wasm));
        let answer = lease
            .request(&json!({"op": "compile", "wasm": wasm64}))
            .map_err(|f| f.to_string())?;
        if answer["ok"] != true {
            return Err(answer["error"].as_str().unwrap_or("rejected").to_string());
        }
        let id = answer["module"].clone();
        Ok(Box::new(ExternalModule {
            lease: Rc::new(RefCell::new(lease)),
            id,
            globals: global_types(wasm),
        }))
    }

    fn measure(
        &self,
        wasm: &[u8],
        export: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<crate::measure::Sample, Failure> {
        let mut lease = self.lease().map_err(Failure::error)?;
        let capped = self
            .cap_limits
            .then(|| crate::js::caps::cap_limits(wasm, self.info.supports(Feature::Memory64)))
            .flatten();
        let mut request = call_request(&Value::Null, export, args, results);
        request["op"] = json!("measure");
        request["wasm"] =
            json!(base64::engine::general_purpose::STANDARD.encode(capped.as_deref().unwrap_or(wasm)));
        let answer = lease.request(&request)?;
        if answer["ok"] != true {
            let error = answer["error"].as_str().unwrap_or_default();
            if error.starts_with("unknown op") {
                // An engine speaking the protocol without `measure`: timed
                // around its requests, pipe and all.
                drop(lease);
                return crate::engine::measure_around(self, wasm, export, args, results, "round-trip");
            }
            return Err(failure_of(&answer));
        }
        let phase = |name: &str| -> Result<crate::measure::PhaseTime, Failure> {
            serde_json::from_value(answer["phases"][name].clone())
                .map_err(|e| Failure::error(format!("engine sent unreadable {name} times: {e}")))
        };
        let values = answer["values"].as_array().cloned().unwrap_or_default();
        Ok(crate::measure::Sample {
            compile: phase("compile")?,
            instantiate: phase("instantiate")?,
            execute: phase("execute")?,
            results: values.iter().map(read_val).collect::<Result<_, _>>()?,
            memory_bytes: answer["memory_bytes"].as_u64().unwrap_or(0),
            peak_rss_bytes: answer["peak_rss_bytes"].as_u64(),
            timed: "in-engine".into(),
        })
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        Ok(Box::new(ExternalSession {
            lease: self.lease()?,
            modules: Vec::new(),
            instances: Vec::new(),
            cap_limits: self.cap_limits,
        }))
    }
}

/// A linked session in one leased child process (`"link": true` instantiations,
/// `register`, `get`; no state reports).
struct ExternalSession {
    lease: Lease,
    /// Each module's id in the child and its exported globals' types.
    modules: Vec<(Value, HashMap<String, &'static str>)>,
    /// Each instance's id in the child and the module it came from.
    instances: Vec<(Value, usize)>,
    cap_limits: bool,
}

impl ExternalSession {
    fn request(&mut self, request: &Value) -> Result<Value, Failure> {
        let answer = self.lease.request(request)?;
        if answer["ok"] != true {
            return Err(failure_of(&answer));
        }
        Ok(answer)
    }
}

impl Session for ExternalSession {
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String> {
        let capped = self
            .cap_limits
            .then(|| crate::js::caps::cap_limits(wasm, false))
            .flatten();
        let wasm64 = base64::engine::general_purpose::STANDARD.encode(capped.as_deref().unwrap_or(wasm));
        let answer = self
            .lease
            .request(&json!({"op": "compile", "wasm": wasm64}))
            .map_err(|f| f.to_string())?;
        if answer["ok"] != true {
            return Err(answer["error"].as_str().unwrap_or("rejected").to_string());
        }
        self.modules.push((answer["module"].clone(), global_types(wasm)));
        Ok(ModuleId(self.modules.len() - 1))
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure> {
        let id = self.modules[module.0].0.clone();
        let answer =
            self.request(&json!({"op": "instantiate", "module": id, "link": true, "state": false}))?;
        self.instances.push((answer["instance"].clone(), module.0));
        Ok(InstanceId(self.instances.len() - 1))
    }

    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String> {
        let id = self.instances[instance.0].0.clone();
        self.request(&json!({"op": "register", "instance": id, "name": name}))
            .map(|_| ())
            .map_err(|f| f.to_string())
    }

    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Vec<Val>, Failure> {
        let mut request = call_request(&self.instances[instance.0].0, name, args, results);
        request["state"] = json!(false);
        let answer = self.request(&request)?;
        answer["values"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(read_val)
            .collect()
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure> {
        let (id, module) = self.instances[instance.0].clone();
        let ty = self.modules[module]
            .1
            .get(name)
            .copied()
            .ok_or_else(|| Failure::error(format!("no exported global `{name}`")))?;
        let answer = self.request(&json!({"op": "get", "instance": id, "name": name, "type": ty}))?;
        read_val(&answer["value"])
    }
}

/// A `call` request: export, arguments with their types, result types.
fn call_request(instance: &Value, name: &str, args: &[Val], results: &[ValType]) -> Value {
    json!({
        "op": "call",
        "instance": instance,
        "export": name,
        "args": args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "params": args.iter().map(|a| a.ty().name()).collect::<Vec<_>>(),
        "results": results.iter().map(|t| t.name()).collect::<Vec<_>>(),
    })
}

fn read_val(v: &Value) -> Result<Val, Failure> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Failure::error(format!("engine returned an unreadable value {v}")))
}

struct ExternalModule {
    lease: Rc<RefCell<Lease>>,
    id: Value,
    globals: HashMap<String, &'static str>,
}

pub(crate) fn failure_of(answer: &Value) -> Failure {
    serde_json::from_value(answer["failure"].clone())
        .unwrap_or_else(|_| Failure::error(answer["error"].as_str().unwrap_or("engine error").to_string()))
}

impl Compiled for ExternalModule {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        let request = json!({"op": "instantiate", "module": self.id, "globals": self.globals});
        let answer = self.lease.borrow_mut().request(&request)?;
        if answer["ok"] != true {
            return Err(failure_of(&answer));
        }
        let mut instance = ExternalInstance {
            lease: self.lease.clone(),
            id: answer["instance"].clone(),
            globals: HashMap::new(),
            memories: HashMap::new(),
            pending_sets: Vec::new(),
            prefetched: VecDeque::new(),
        };
        instance.absorb_state(&answer["state"]);
        Ok(Box::new(instance))
    }
}

struct ExternalInstance {
    lease: Rc<RefCell<Lease>>,
    id: Value,
    globals: HashMap<String, Val>,
    memories: HashMap<String, Vec<u8>>,
    /// Global writes not sent yet: they ride along with the next call, saving
    /// a round trip per call (the fuel refill).
    pending_sets: Vec<(String, String)>,
    /// Answers to prefetched calls, in order, with the request each answers.
    prefetched: VecDeque<(Value, Value)>,
}

impl ExternalInstance {
    fn call_request(
        &self,
        name: &str,
        args: &[Val],
        results: &[ValType],
        sets: Vec<(String, String)>,
    ) -> Value {
        let mut request = call_request(&self.id, name, args, results);
        request["set-globals"] = sets
            .into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        request
    }

    fn answer(&mut self, answer: &Value) -> Result<Vec<Val>, Failure> {
        self.absorb_state(&answer["state"]);
        if answer["ok"] != true {
            return Err(failure_of(answer));
        }
        let values = answer["values"].as_array().cloned().unwrap_or_default();
        values.iter().map(read_val).collect()
    }

    /// Caches the state the engine reports after every step; memories arrive
    /// as their size and the 4 KiB pages changed since the previous report.
    fn absorb_state(&mut self, state: &Value) {
        self.globals.clear();
        if let Some(globals) = state["globals"].as_object() {
            for (name, v) in globals {
                if let Some(val) = v.as_str().and_then(|s| s.parse().ok()) {
                    self.globals.insert(name.clone(), val);
                }
            }
        }
        if let Some(memories) = state["memories"].as_object() {
            self.memories.retain(|name, _| memories.contains_key(name));
            for (name, v) in memories {
                let bytes = self.memories.entry(name.clone()).or_default();
                bytes.resize(v["size"].as_u64().unwrap_or(0) as usize, 0);
                for (index, page) in v["pages"].as_object().into_iter().flatten() {
                    let (Ok(index), Some(page)) = (index.parse::<usize>(), page.as_str()) else {
                        continue;
                    };
                    let Ok(page) = base64::engine::general_purpose::STANDARD.decode(page) else {
                        continue;
                    };
                    let start = index * MEMORY_PAGE;
                    if let Some(dst) = bytes.get_mut(start..start + page.len()) {
                        dst.copy_from_slice(&page);
                    }
                }
            }
        }
    }
}

impl Instance for ExternalInstance {
    fn call(&mut self, name: &str, args: &[Val], results: &[ValType]) -> Result<Vec<Val>, Failure> {
        let sets = std::mem::take(&mut self.pending_sets);
        let request = self.call_request(name, args, results, sets.clone());
        if let Some((planned, answer)) = self.prefetched.pop_front() {
            // The prefetched run made this very call (same export, arguments
            // and global writes before it), so its answer stands.
            if planned == request {
                return self.answer(&answer);
            }
            self.prefetched.clear();
            return Err(Failure::error("calls differ from the prefetched plan"));
        }
        let answer = self.lease.borrow_mut().request(&request)?;
        self.answer(&answer)
    }

    fn prefetch(&mut self, calls: &[PlannedCall<'_>], before: &[(&str, Val)]) {
        let sets: Vec<(String, String)> = before
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let requests: Vec<Value> = calls
            .iter()
            .map(|c| self.call_request(c.name, c.args, c.results, sets.clone()))
            .collect();
        let Ok(answer) = self
            .lease
            .borrow_mut()
            .request(&json!({"op": "run", "calls": requests}))
        else {
            return;
        };
        if let Some(answers) = answer["answers"].as_array()
            && answers.len() == requests.len()
        {
            self.prefetched = requests.into_iter().zip(answers.iter().cloned()).collect();
        }
    }

    fn global(&mut self, name: &str) -> Option<Val> {
        self.globals.get(name).copied()
    }

    fn set_global(&mut self, name: &str, value: Val) -> bool {
        if !self.globals.contains_key(name) {
            return false;
        }

        self.pending_sets.push((name.to_string(), value.to_string()));
        self.globals.insert(name.to_string(), value);
        true
    }

    fn memory(&mut self, name: &str, visit: &mut dyn FnMut(&[u8])) -> bool {
        match self.memories.get(name) {
            Some(bytes) => {
                visit(bytes);
                true
            }
            None => false,
        }
    }
}

/// The V8 worker script shipped with wasmgate: node's host part, then the core.
const V8_WORKER: &str = concat!(
    include_str!("../../js/node.mjs"),
    include_str!("../../js/core.js")
);

/// The JavaScriptCore worker script: the `jsc` shell's host part, then the core.
const JSC_WORKER: &str = concat!(
    include_str!("../../js/portable.js"),
    include_str!("../../js/jsc.js"),
    include_str!("../../js/core.js")
);

/// The SpiderMonkey worker script: the shell's host part, then the core.
const SPIDERMONKEY_WORKER: &str = concat!(
    include_str!("../../js/portable.js"),
    include_str!("../../js/spidermonkey.js"),
    include_str!("../../js/core.js")
);

/// Writes an embedded worker script to a file named after its contents in the
/// temporary folder (once per version), and returns its path.
fn worker_script(kind: &str, extension: &str, text: &str) -> Result<std::path::PathBuf, Unavailable> {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let script = std::env::temp_dir().join(format!("wasmgate-{kind}-worker-{hash:016x}.{extension}"));
    if std::fs::read_to_string(&script).ok().as_deref() != Some(text) {
        let tmp = script.with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &script))
            .map_err(|e| Unavailable(format!("cannot write the {kind} worker script: {e}")))?;
    }
    Ok(script)
}

/// Oldest Node.js whose V8 passes i64 as BigInt to and from wasm.
const MIN_NODE_MAJOR: u32 = 16;

/// Starts V8 in `node` with the given V8 flags: the binary `node` (a second
/// Node.js release, say), or else the `NODE` environment variable's, or `node`.
pub fn v8(name: &str, node: Option<&str>, v8_flags: &[&str]) -> Result<ExternalEngine, Unavailable> {
    let node = node
        .map(str::to_string)
        .unwrap_or_else(|| std::env::var("NODE").unwrap_or_else(|_| "node".to_string()));
    let script = worker_script("v8", "mjs", V8_WORKER)?;
    // The harness's resource limits, enforced by V8 itself so that growth past
    // them returns -1 as in the other engines; the JS heap is bounded too.
    let mut args: Vec<String> = vec![
        format!("--wasm-max-mem-pages={}", crate::limits::MEMORY_BYTES / 65536),
        format!("--wasm-max-table-size={}", crate::limits::TABLE_ELEMENTS),
        format!("--max-old-space-size={}", crate::limits::JS_HEAP_MB),
        // `gc()` for `reset` to give a large memory back at once.
        "--expose-gc".to_string(),
    ];
    args.extend(v8_flags.iter().map(|s| s.to_string()));
    args.extend([
        script.display().to_string(),
        "--name".to_string(),
        name.to_string(),
    ]);
    let engine = ExternalEngine::start(name, &node, &args, request_timeout())
        .map_err(|Unavailable(why)| Unavailable(format!("{name} needs Node.js: {why}")))?;
    let major: u32 = engine
        .info
        .version
        .strip_prefix("node ")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < MIN_NODE_MAJOR {
        return Err(Unavailable(format!(
            "{name} needs Node.js {MIN_NODE_MAJOR} or newer, `{node}` is {}",
            engine.info.version
        )));
    }
    Ok(engine)
}

/// The WebKitGTK release behind the `jsc` shell, as Debian's package says
/// (the shell itself does not tell). Looked up once per binary and process:
/// the package is found in dpkg's file lists of WebKit's packages (reading
/// them takes milliseconds; `dpkg-query -S` scans every list and takes most
/// of a second), with `dpkg-query -S` only when none of them has the file.
fn jsc_version(jsc: &str) -> String {
    static KNOWN: VersionMemo = std::sync::OnceLock::new();
    memo_version(&KNOWN, jsc, || {
        let dpkg_query = |args: &[&str]| {
            std::process::Command::new("dpkg-query")
                .args(args)
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
        };
        let listed = std::fs::read_dir("/var/lib/dpkg/info").ok().and_then(|dir| {
            dir.flatten().find_map(|entry| {
                let file = entry.file_name().to_string_lossy().to_string();
                let package = file.strip_suffix(".list")?;
                (package.contains("javascriptcore") || package.contains("webkit"))
                    .then(|| std::fs::read_to_string(entry.path()).ok())
                    .flatten()
                    .filter(|list| list.lines().any(|l| l == jsc))
                    .map(|_| package.to_string())
            })
        });
        let package =
            listed.or_else(|| dpkg_query(&["-S", jsc]).and_then(|s| s.split(':').next().map(str::to_string)));
        let version = package.and_then(|p| dpkg_query(&["-W", "-f=${Version}", &p]));
        match version
            .as_deref()
            .map(|v| v.split(['-', '~']).next().unwrap_or(v))
        {
            Some(v) if !v.is_empty() => format!("JavaScriptCore {v} (WebKitGTK)"),
            _ => "JavaScriptCore (version unknown)".to_string(),
        }
    })
}

/// Versions already asked of each binary, per engine kind.
type VersionMemo = std::sync::OnceLock<std::sync::Mutex<HashMap<String, String>>>;

/// `binary`'s version from `memo`, or else as `ask` finds it (then remembered).
fn memo_version(memo: &VersionMemo, binary: &str, ask: impl FnOnce() -> String) -> String {
    let known = memo.get_or_init(Default::default);
    if let Some(v) = known.lock().unwrap_or_else(|p| p.into_inner()).get(binary) {
        return v.clone();
    }
    let version = ask();
    known
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(binary.to_string(), version.clone());
    version
}

/// Starts JavaScriptCore's `jsc` shell with the given JSC options: the binary
/// `program` (another WebKit release, say), or else the `JSC` environment
/// variable's, or `jsc`.
pub fn jsc(name: &str, program: Option<&str>, options: &[&str]) -> Result<ExternalEngine, Unavailable> {
    let program = program
        .map(str::to_string)
        .unwrap_or_else(|| std::env::var("JSC").unwrap_or_else(|_| "jsc".to_string()));
    let resolved = which(&program).ok_or_else(|| {
        Unavailable(format!(
            "{name} needs JavaScriptCore's `jsc` shell (Debian: libjavascriptcoregtk-4.0-bin), and `{program}` is not on the PATH"
        ))
    })?;
    let script = worker_script("jsc", "js", JSC_WORKER)?;
    let mut args: Vec<String> = options.iter().map(|s| s.to_string()).collect();
    args.extend([
        script.display().to_string(),
        "--".to_string(),
        "--name".to_string(),
        name.to_string(),
        "--version".to_string(),
        jsc_version(&resolved.display().to_string()),
    ]);
    let mut engine = ExternalEngine::start_with(
        name,
        &program,
        &args,
        request_timeout(),
        Launch {
            data_limit: Some(crate::limits::JSC_DATA_BYTES),
            ..Launch::default()
        },
    )
    .map_err(|Unavailable(why)| Unavailable(format!("{name} needs JavaScriptCore's `jsc`: {why}")))?;
    // The `jsc` shell has no options for wasm memory and table limits.
    engine.cap_limits = true;
    Ok(engine)
}

/// The SpiderMonkey release of a shell, from its `--version`
/// (`JavaScript-C102.15.1`): `SpiderMonkey 102.15.1`. Asked once per binary
/// and process.
fn spidermonkey_version(shell: &str) -> String {
    static KNOWN: VersionMemo = std::sync::OnceLock::new();
    memo_version(&KNOWN, shell, || {
        std::process::Command::new(shell)
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|text| {
                let v = text.trim().strip_prefix("JavaScript-C")?.to_string();
                (!v.is_empty()).then(|| format!("SpiderMonkey {v}"))
            })
            .unwrap_or_else(|| "SpiderMonkey (version unknown)".to_string())
    })
}

/// Starts a SpiderMonkey shell with the given shell options: the binary
/// `program` (another SpiderMonkey release, say), or else the `SPIDERMONKEY`
/// environment variable's, or `js102` (Debian's libmozjs-102-dev).
pub fn spidermonkey(
    name: &str,
    program: Option<&str>,
    options: &[&str],
) -> Result<ExternalEngine, Unavailable> {
    let program = program
        .map(str::to_string)
        .unwrap_or_else(|| std::env::var("SPIDERMONKEY").unwrap_or_else(|_| "js102".to_string()));
    let resolved = which(&program).ok_or_else(|| {
        Unavailable(format!(
            "{name} needs a SpiderMonkey shell (Debian: libmozjs-102-dev), and `{program}` is not on the PATH"
        ))
    })?;
    let script = worker_script("spidermonkey", "js", SPIDERMONKEY_WORKER)?;
    let mut args: Vec<String> = options.iter().map(|s| s.to_string()).collect();
    args.extend([
        script.display().to_string(),
        "--name".to_string(),
        name.to_string(),
        "--version".to_string(),
        spidermonkey_version(&resolved.display().to_string()),
    ]);
    let mut engine = ExternalEngine::start(name, &program, &args, request_timeout())
        .map_err(|Unavailable(why)| Unavailable(format!("{name} needs a SpiderMonkey shell: {why}")))?;
    // The shell has no options for wasm memory and table limits.
    engine.cap_limits = true;
    Ok(engine)
}

/// Starts a headless Chromium driven by a browser bridge (`wasmgate
/// browser-bridge`, this executable): V8 as the browser ships it.
#[cfg(feature = "chromium")]
pub fn chromium(name: &str, binary: Option<&str>) -> Result<ExternalEngine, Unavailable> {
    let binary = binary
        .map(str::to_string)
        .unwrap_or_else(crate::js::browser::chromium_binary);
    let flags = format!(
        "--no-liftoff --no-wasm-tier-up --no-wasm-lazy-compilation --expose-gc --wasm-max-mem-pages={} --wasm-max-table-size={} --max-old-space-size={}",
        crate::limits::MEMORY_BYTES / 65536,
        crate::limits::TABLE_ELEMENTS,
        crate::limits::JS_HEAP_MB
    );
    browser_engine(name, &binary, ("chromium", "Chromium", "chromium"), &[flags])
}

/// Starts a headless Firefox driven by a browser bridge over WebDriver BiDi:
/// SpiderMonkey as the browser ships it, with the given preferences
/// (`NAME=VALUE`, as in `user.js`).
#[cfg(feature = "firefox")]
pub fn firefox(name: &str, binary: Option<&str>, prefs: &[&str]) -> Result<ExternalEngine, Unavailable> {
    let binary = binary
        .map(str::to_string)
        .unwrap_or_else(crate::js::browser::firefox_binary);
    let prefs: Vec<String> = prefs.iter().map(|p| p.to_string()).collect();
    let mut engine = browser_engine(name, &binary, ("firefox", "Firefox", "firefox-esr"), &prefs)?;
    // Firefox has no preferences for wasm memory and table limits.
    engine.cap_limits = true;
    Ok(engine)
}

/// Starts a browser bridge (`wasmgate browser-bridge`, this executable)
/// driving the browser at `binary` with `options`; `browser` is its kind
/// (`chromium`, `firefox`), its name for people and its Debian package.
/// Each bridge gets a scratch folder for the browser's profile.
#[cfg(any(feature = "chromium", feature = "firefox"))]
fn browser_engine(
    name: &str,
    binary: &str,
    (kind, product, package): (&str, &str, &str),
    options: &[String],
) -> Result<ExternalEngine, Unavailable> {
    if which(binary).is_none() {
        return Err(Unavailable(format!(
            "{name} needs a {product} browser (Debian: {package}), and `{binary}` is not on the PATH"
        )));
    }
    let exe = std::env::current_exe().map_err(|e| Unavailable(format!("{name}: {e}")))?;
    let mut args: Vec<String> = [
        "browser-bridge",
        "--name",
        name,
        "--browser",
        binary,
        "--kind",
        kind,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for option in options {
        args.extend(["--option".to_string(), option.clone()]);
    }
    let scratch = Launch {
        scratch: true,
        ..Launch::default()
    };
    ExternalEngine::start_with(
        name,
        &exe.display().to_string(),
        &args,
        request_timeout(),
        scratch,
    )
    .map_err(|Unavailable(why)| Unavailable(format!("{name} needs a working headless {product}: {why}")))
}

/// `program` as found on the `PATH` (or as given, when it names a file).
fn which(program: &str) -> Option<std::path::PathBuf> {
    let given = std::path::Path::new(program);
    if given.components().count() > 1 {
        return given.is_file().then(|| given.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_process_of_an_engine_sees_into_gc_references() {
        // JavaScriptCore has GC; without its shell there is nothing to check.
        let Ok(engine) = crate::registry::build("jsc-omg") else {
            eprintln!("jsc-omg not available: not run");
            return;
        };
        let wasm =
            wat::parse_str(r#"(module (global (export "g") i31ref (ref.i31 (i32.const 5))))"#).unwrap();
        // Two sessions at once: the second runs in a process started for it.
        let mut sessions = [engine.session().unwrap(), engine.session().unwrap()];
        for s in &mut sessions {
            let module = s.compile(&wasm).unwrap();
            let instance = s.instantiate(module).unwrap();
            assert_eq!(s.global(instance, "g").unwrap().to_string(), "anyref:i31:5");
        }
    }
}
