// wasmgate engine worker core, shared by every JavaScript engine: speaks the
// line protocol of runners/PROTOCOL.md. The host file in front of it (node.mjs,
// jsc.js) defines `HOST`: name, version, base64 in and out, a byte
// comparison and `serve`, the loop that reads requests and writes answers.
//
// Floats cross the JS boundary as raw bits: every export is called through a
// generated wasm thunk that takes and returns f32/f64 as i32/i64 and v128 as
// two i64 halves, so no NaN payload or vector is lost to JS. i64 travels as
// BigInt.

// Traps are read by message only; capturing JS stack traces for them is wasted time.
Error.stackTraceLimit = 0;


const modules = new Map();
const instances = new Map();
let nextId = 1;
// Linked sessions: instances registered under a module name provide imports
// to later instantiations that ask for `link`.
let registry = {};
// Host references (`externref:N`): one JS object per number, so identity holds.
let hostRefs = new Map();
function hostRef(n) {
  if (!hostRefs.has(n)) hostRefs.set(n, { wasmgateHostRef: n });
  return hostRefs.get(n);
}
const isHostRef = (v) => v !== null && typeof v === "object" && "wasmgateHostRef" in v;
// The observer module (from `hello`, runners/src/probe.rs): tells what a
// reference of the `any` hierarchy is, which JavaScript cannot see. Absent
// where the engine has no GC.
let OBSERVER = null;
function showRef(ty, v) {
  if (v === null) return `${ty}:null`;
  if (ty === "externref" && isHostRef(v)) return `externref:${v.wasmgateHostRef}`;
  if (ty === "anyref") {
    if (isHostRef(v)) return `anyref:host:${v.wasmgateHostRef}`;
    switch (OBSERVER ? OBSERVER.kind(v) : -1) {
      case 1: return `anyref:i31:${OBSERVER.i31(v)}`;
      case 2: return "anyref:struct";
      case 3: return "anyref:array";
    }
  }
  return `${ty}:nonnull`;
}

// ---- values: the text form of runners/src/value.rs ----
function parseVal(text) {
  const i = text.indexOf(":");
  const ty = text.slice(0, i);
  const v = text.slice(i + 1);
  switch (ty) {
    case "i32": return { ty, js: Number(BigInt.asIntN(32, BigInt(v))) };
    case "i64": return { ty, js: BigInt.asIntN(64, BigInt(v)) };
    case "f32": return { ty, js: Number(BigInt.asIntN(32, BigInt(v))) }; // bits, as i32
    case "f64": return { ty, js: BigInt.asIntN(64, BigInt(v)) }; // bits, as i64
    case "v128": {
      const big = BigInt(v);
      return { ty, js: [BigInt.asIntN(64, big), BigInt.asIntN(64, big >> 64n)] }; // low, high halves
    }
    case "funcref": return { ty, js: null };
    case "externref": return { ty, js: v === "null" ? null : hostRef(Number(v)) };
    case "anyref":
      if (v === "null") return { ty, js: null };
      // An i31 crosses as its number, a host reference as its object.
      if (v.startsWith("i31:")) return { ty, js: Number(v.slice(4)) };
      if (v.startsWith("host:")) return { ty, js: hostRef(Number(v.slice(5))) };
      throw new Unsupported(`an anyref argument ${v}`);
    case "exnref":
      if (v === "null") return { ty, js: null };
      throw new Unsupported("a non-null exnref argument");
    default: throw new Unsupported(`value type ${ty}`);
  }
}
const hex = (big, width) => "0x" + big.toString(16).padStart(width, "0");
function showVal(ty, js) {
  switch (ty) {
    case "i32": return `i32:${js | 0}`;
    case "i64": return `i64:${BigInt.asIntN(64, BigInt(js))}`;
    case "f32": return `f32:${hex(BigInt.asUintN(32, BigInt(js)), 8)}`;
    case "f64": return `f64:${hex(BigInt.asUintN(64, BigInt(js)), 16)}`;
    case "funcref": case "externref": case "anyref": case "exnref": return showRef(ty, js);
    default: throw new Unsupported(`value type ${ty}`);
  }
}
function globalVal(g, ty) {
  const v = g.value;
  switch (ty) {
    case "i32": return `i32:${v | 0}`;
    case "i64": return `i64:${BigInt.asIntN(64, v)}`;
    case "f32": { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, v, true); return `f32:${hex(BigInt(b.getUint32(0, true)), 8)}`; }
    case "f64": { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, v, true); return `f64:${hex(b.getBigUint64(0, true), 16)}`; }
    case "funcref": case "externref": case "anyref": case "exnref": return showRef(ty, v);
    default: return null;
  }
}

// JS cannot read a v128 global; a thunk module imports it and returns its halves.
const v128Readers = new Map();
function v128Global(g, mutable) {
  if (!v128Readers.has(mutable)) {
    const types = section(1, vec([[0x60, 0x00, ...vec([[TY.i64], [TY.i64]])]]));
    const imports = section(2, vec([[...str("m"), ...str("g"), 0x03, TY.v128, mutable ? 0x01 : 0x00]]));
    const funcs = section(3, vec([[0x00]]));
    const exports = section(7, vec([[...str("t"), 0x00, 0x00]]));
    const fn = [0x00, 0x23, 0x00, 0xfd, 0x1d, 0x00, 0x23, 0x00, 0xfd, 0x1d, 0x01, 0x0b];
    const code = section(10, vec([[...uleb(fn.length), ...fn]]));
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
    v128Readers.set(mutable, new WebAssembly.Module(bytes));
  }
  const [lo, hi] = new WebAssembly.Instance(v128Readers.get(mutable), { m: { g } }).exports.t();
  return `v128:0x${BigInt.asUintN(64, hi).toString(16).padStart(16, "0")}${BigInt.asUintN(64, lo).toString(16).padStart(16, "0")}`;
}

class Unsupported extends Error {}

// ---- thunks: wasm modules that call an export with floats as bits ----
const TY = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f, anyref: 0x6e, exnref: 0x69 };
const BITS = { f32: "i32", f64: "i64" };
function uleb(n) { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; }
function utf8(s) {
  const out = [];
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}
function str(s) { const b = utf8(s); return [...uleb(b.length), ...b]; }
function vec(items) { return [...uleb(items.length), ...items.flat()]; }
function section(id, body) { return [id, ...uleb(body.length), ...body]; }
const thunkCache = new Map();
// The encodings an exnref position of an export's type may have: exnref,
// nullexnref, (ref exn), (ref noexn). A thunk must import the export with its
// exact type, and the value model knows only the hierarchy.
const EXN_FORMS = [[0x69], [0x74], [0x64, 0x69], [0x64, 0x74]];

function thunkModule(params, results, exnForm = EXN_FORMS[0]) {
  const key = params.join(",") + "->" + results.join(",") + "/" + exnForm.join(",");
  if (thunkCache.has(key)) return thunkCache.get(key);
  // Outside, f32/f64 travel as i32/i64 bits and a v128 as two i64 halves (low, high).
  // An exnref cannot cross into JavaScript: outside it is an i32, 1 when null
  // (an argument can only be null, and the thunk makes it).
  const outer = (ts) => ts.flatMap((t) => (t === "v128" ? [TY.i64, TY.i64] : t === "exnref" ? [TY.i32] : [TY[BITS[t] ?? t]]));
  const types = section(1, vec([
    [0x60, ...vec(params.map((t) => (t === "exnref" ? exnForm : [TY[t]]))), ...vec(results.map((t) => (t === "exnref" ? exnForm : [TY[t]])))],
    [0x60, ...vec(outer(params).map((t) => [t])), ...vec(outer(results).map((t) => [t]))],
  ]));
  const imports = section(2, vec([[...str("m"), ...str("f"), 0x00, 0x00]]));
  const funcs = section(3, vec([[0x01]]));
  const exports = section(7, vec([[...str("t"), 0x00, 0x01]]));
  const body = [];
  // locals: one per result, to reorder conversions of multi-value results
  const locals = results.length ? vec(results.map((t) => [0x01, TY[t]])) : [0x00];
  let p = 0;
  for (const t of params) {
    if (t === "exnref") { body.push(0xd0, 0x69); p++; continue; } // ref.null exn
    body.push(0x20, ...uleb(p++));
    if (t === "f32") body.push(0xbe); // f32.reinterpret_i32
    if (t === "f64") body.push(0xbf); // f64.reinterpret_i64
    if (t === "v128") body.push(0xfd, 0x12, 0x20, ...uleb(p++), 0xfd, 0x1e, 0x01); // i64x2.splat lo; replace_lane 1 hi
  }
  body.push(0x10, 0x00); // call $f
  const base = outer(params).length;
  for (let i = results.length - 1; i >= 0; i--) body.push(0x21, ...uleb(base + i));
  results.forEach((t, i) => {
    body.push(0x20, ...uleb(base + i));
    if (t === "f32") body.push(0xbc); // i32.reinterpret_f32
    if (t === "f64") body.push(0xbd); // i64.reinterpret_f64
    if (t === "exnref") body.push(0xd1); // ref.is_null
    if (t === "v128") body.push(0xfd, 0x1d, 0x00, 0x20, ...uleb(base + i), 0xfd, 0x1d, 0x01); // lanes 0 and 1
  });
  body.push(0x0b);
  const fn = [...locals, ...body];
  const code = section(10, vec([[...uleb(fn.length), ...fn]]));
  const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
  const mod = new WebAssembly.Module(bytes);
  thunkCache.set(key, mod);
  return mod;
}

// A function that takes and returns values in the thunk's form (floats as
// bits, a v128 as its halves) and calls `f`: its thunk, or, when no thunk can
// import `f` (GC's declared function subtypes are not the plain types a
// thunk names), `f` called from JavaScript with floats as numbers, refusing
// NaN (its payload cannot cross JavaScript) and v128 (JavaScript has none).
function caller(f, params, results) {
  const forms = [...params, ...results].includes("exnref") ? EXN_FORMS : [EXN_FORMS[0]];
  for (const form of forms) {
    let mod;
    try {
      mod = thunkModule(params, results, form);
    } catch (e) {
      // A form no thunk can be valid with (a non-null exnref parameter it cannot make).
      if (forms.length === 1) throw e;
      continue;
    }
    try {
      return new WebAssembly.Instance(mod, { m: { f } }).exports.t;
    } catch (e) {
      if (!(e instanceof WebAssembly.LinkError)) throw e;
    }
  }
  if ([...params, ...results].includes("v128")) throw new Unsupported("a v128 in a function type no thunk can import");
  if ([...params, ...results].includes("exnref")) throw new Unsupported("an exnref cannot cross into JavaScript");
  const view = new DataView(new ArrayBuffer(8));
  const number = (t, bits) => {
    if (t === "f32") view.setInt32(0, bits, true);
    else if (t === "f64") view.setBigInt64(0, bits, true);
    else return bits;
    const v = t === "f32" ? view.getFloat32(0, true) : view.getFloat64(0, true);
    if (Number.isNaN(v)) throw new Unsupported("a NaN argument cannot cross JavaScript without a thunk");
    return v;
  };
  const bits = (t, v) => {
    if (t !== "f32" && t !== "f64") return v;
    if (Number.isNaN(v)) throw new Unsupported("a NaN result cannot cross JavaScript without a thunk");
    if (t === "f32") { view.setFloat32(0, v, true); return view.getInt32(0, true); }
    view.setFloat64(0, v, true);
    return view.getBigInt64(0, true);
  };
  return (...args) => {
    const out = f(...args.map((a, i) => number(params[i], a)));
    if (results.length === 0) return undefined;
    if (results.length === 1) return bits(results[0], out);
    return [...out].map((v, i) => bits(results[i], v));
  };
}

// Arguments for a thunk: v128 values become their two i64 halves.
function thunkArgs(args) {
  return args.flatMap((a) => {
    const v = parseVal(a);
    return v.ty === "v128" ? v.js : v.ty === "exnref" ? [0] : [v.js];
  });
}

// Values from a thunk's (flattened) results, in the value text form.
function thunkResults(results, out) {
  const flat = results.reduce((n, t) => n + (t === "v128" ? 2 : 1), 0);
  const list = flat === 0 ? [] : flat === 1 ? [out] : out;
  let i = 0;
  return results.map((t) => {
    if (t === "exnref") return list[i++] ? "exnref:null" : "exnref:nonnull";
    if (t !== "v128") return showVal(t, list[i++]);
    const lo = BigInt.asUintN(64, list[i++]);
    const hi = BigInt.asUintN(64, list[i++]);
    return `v128:0x${hi.toString(16).padStart(16, "0")}${lo.toString(16).padStart(16, "0")}`;
  });
}

// ---- errors → the normalised failure model ----
function failure(e) {
  if (e instanceof Unsupported) return { kind: "unsupported", message: e.message };
  // A wasm exception nothing caught reaches JavaScript as itself.
  if (typeof WebAssembly.Exception === "function" && e instanceof WebAssembly.Exception) {
    return { kind: "trap", trap: "uncaught-exception", message: "uncaught WebAssembly exception" };
  }
  const message = String(e && e.message || e);
  if (e instanceof RangeError && /call stack|stack size/i.test(message)) return { kind: "exhausted", resource: "stack-overflow", message };
  // SpiderMonkey: an InternalError, "too much recursion".
  if (e && e.name === "InternalError" && /too much recursion/i.test(message)) return { kind: "exhausted", resource: "stack-overflow", message };
  // A GC allocation past what the engine allows (array.new with a huge
  // length): the standard leaves the limit to the engine, so it is the
  // engine's resource, not a trap to compare. V8: "requested new array is
  // too large"; JavaScriptCore: "Failed to allocate new array"; SpiderMonkey:
  // "too many array elements".
  if (/requested new array is too large|failed to allocate new array|too many array elements/i.test(message)) return { kind: "exhausted", resource: "memory", message };
  // SpiderMonkey out of memory (an allocation it refused, e.g. instantiating
  // a large memory or table): thrown as the bare string "out of memory".
  if (/^out of memory$/i.test(message)) return { kind: "exhausted", resource: "memory", message };
  if (e instanceof WebAssembly.RuntimeError) {
    const rules = [
      // JavaScriptCore's messages.
      [/out of bounds trunc operation/i, "conversion-to-integer"],
      [/out of bounds call_indirect|out of bounds table access/i, "table-out-of-bounds"],
      [/call_indirect to a null table entry/i, "indirect-call-to-null"],
      [/call_indirect to a signature that does not match/i, "bad-signature"],
      [/invalid data segment initialization/i, "memory-out-of-bounds"],
      [/invalid element segment initialization|element is trying to set an out of bounds table index/i, "table-out-of-bounds"],
      [/out of bounds (or failed to allocate in )?array\.(new|init)_(data|elem)/i, "array-segment-out-of-bounds"],
      [/out of bounds array\.|array element access out of bounds|out of bounds array access/i, "array-out-of-bounds"],
      // SpiderMonkey's is "bad cast".
      [/illegal cast|cast failure|bad cast|ref\.cast|br_on_cast/i, "cast-failure"],
      // V8 says this of array.init_elem out of the array's bounds and of the segment's.
      [/element segment out of bounds/i, "array-segment-out-of-bounds"],
      // V8's (and the common ones).
      [/unreachable/i, "unreachable"],
      [/divide by zero|division by zero|remainder by zero/i, "integer-division-by-zero"],
      [/divide result unrepresentable|integer overflow/i, "integer-overflow"],
      // V8 reports overflow and NaN alike: "float unrepresentable in integer range".
      [/float unrepresentable|invalid conversion|float.*integer/i, "conversion-to-integer"],
      [/memory access out of bounds|out of bounds memory/i, "memory-out-of-bounds"],
      [/table index is out of bounds|table.*out of bounds|element segment out of bounds/i, "table-out-of-bounds"],
      // SpiderMonkey's (102) says this of a memory access, a call_indirect
      // index and a segment alike: out of bounds, not of what.
      [/^index out of bounds/i, "out-of-bounds"],
      [/indirect call to null/i, "indirect-call-to-null"],
      [/indirect call signature mismatch/i, "bad-signature"],
      // V8 reports a null entry and a signature mismatch alike.
      [/null function or function signature mismatch/i, "indirect-call"],
      [/null function|uninitialized|element.*null/i, "indirect-call-to-null"],
      [/signature mismatch|function signature/i, "bad-signature"],
      [/dereferencing a null|null/i, "null-reference"],
      [/unaligned/i, "unaligned-atomic"],
      [/data segment.*out of bounds|segment out of bounds/i, "memory-out-of-bounds"],
    ];
    for (const [re, trap] of rules) if (re.test(message)) return { kind: "trap", trap, message };
    return { kind: "trap", trap: "unknown", message };
  }
  return { kind: "error", message };
}

const PAGE = 4096;
const ZERO_PAGE = new Uint8Array(PAGE);

function setGlobal(inst, name, text) {
  const g = inst.instance.exports[name];
  if (!(g instanceof WebAssembly.Global)) return false;
  const v = parseVal(text);
  const view = new DataView(new ArrayBuffer(8));
  let value = v.js;
  if (v.ty === "f32") { view.setInt32(0, v.js, true); value = view.getFloat32(0, true); }
  if (v.ty === "f64") { view.setBigInt64(0, v.js, true); value = view.getFloat64(0, true); }
  try { g.value = value; } catch { return false; }
  return true;
}

function state(inst) {
  const globals = {};
  const memories = {};
  for (const [n, ty] of inst.globalTypes) {
    const g = inst.instance.exports[n];
    const v = ty.startsWith("v128") ? v128Global(g, ty === "v128 mut") : globalVal(g, ty);
    if (v !== null) globals[n] = v;
  }
  // Memories travel as the 4 KiB pages that changed since the last report
  // (the first report: the pages that are not all zero). Native compares are
  // far cheaper than base64 and JSON over a pipe for mostly idle memories.
  for (const n of inst.memoryNames) {
    const now = new Uint8Array(inst.instance.exports[n].buffer);
    const last = inst.lastMemory.get(n);
    const pages = {};
    let changed = !last || last.length !== now.length;
    for (let off = 0; off < now.length; off += PAGE) {
      const cur = now.subarray(off, off + PAGE);
      const before = last && off < last.length ? last.subarray(off, off + PAGE) : ZERO_PAGE.subarray(0, cur.length);
      if (!HOST.equal(cur, before)) {
        pages[off / PAGE] = HOST.toBase64(cur);
        changed = true;
      }
    }
    if (changed) inst.lastMemory.set(n, now.slice());
    memories[n] = { size: now.length, pages };
  }
  return { globals, memories };
}

// The features this engine runs: those whose probe module (one per feature,
// from runners/src/probe.rs) validates, compiles and instantiates.
function probe(probes) {
  return Object.keys(probes).filter((feature) => {
    try {
      const bytes = HOST.fromBase64(probes[feature]);
      if (!WebAssembly.validate(bytes)) return false;
      new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      return true;
    } catch (e) {
      return false;
    }
  });
}

// A module's exports as {name, kind}: JavaScriptCore's Module.exports
// refuses a module with an exnref in an exported function's type, so the
// instance's own exports stand in there.
function exportsOf(module, instance) {
  try {
    return WebAssembly.Module.exports(module);
  } catch (e) {
    return Object.entries(instance.exports).map(([name, v]) => ({
      name,
      kind: v instanceof WebAssembly.Memory ? "memory" : v instanceof WebAssembly.Global ? "global" : v instanceof WebAssembly.Table ? "table" : "function",
    }));
  }
}

// Instantiates the observer module; false where the engine cannot (no GC).
function observe(observer) {
  try {
    OBSERVER = observer ? new WebAssembly.Instance(new WebAssembly.Module(HOST.fromBase64(observer)), {}).exports : null;
  } catch (e) {
    OBSERVER = null;
  }
  return OBSERVER !== null;
}

function handle(req) {
  switch (req.op) {
    case "hello":
      return {
        ok: true,
        protocol: 1,
        name: HOST.name,
        version: HOST.version,
        features: probe(req.probes || {}),
        observer: observe(req.observer),
      };
    case "compile": {
      let module;
      try { module = new WebAssembly.Module(HOST.fromBase64(req.wasm)); } catch (e) { return { ok: false, error: String(e.message || e) }; }
      const id = nextId++;
      modules.set(id, module);
      return { ok: true, module: id };
    }
    case "instantiate": {
      const module = modules.get(req.module);
      let instance;
      try { instance = new WebAssembly.Instance(module, req.link ? registry : {}); } catch (e) {
        if (e instanceof WebAssembly.LinkError) return { ok: false, failure: { kind: "error", message: String(e.message) } };
        return { ok: false, failure: failure(e) };
      }
      if (req.state === false) {
        const id = nextId++;
        instances.set(id, { instance, thunks: new Map() });
        return { ok: true, instance: id };
      }
      const desc = exportsOf(module, instance);
      const globalTypes = [];
      const memoryNames = [];
      for (const d of desc) {
        if (d.kind === "memory") memoryNames.push(d.name);
        if (d.kind === "global") globalTypes.push([d.name, req.globals?.[d.name]]);
      }
      const id = nextId++;
      const inst = { instance, globalTypes: globalTypes.filter(([, t]) => t), memoryNames, thunks: new Map(), lastMemory: new Map() };
      instances.set(id, inst);
      return { ok: true, instance: id, state: state(inst) };
    }
    case "call": {
      const inst = instances.get(req.instance);
      for (const { name: g, value } of req["set-globals"] ?? []) setGlobal(inst, g, value);
      let values;
      try {
        const params = req.params;
        const results = req.results;
        let thunk = inst.thunks.get(req.export);
        if (!thunk) {
          thunk = caller(inst.instance.exports[req.export], params, results);
          inst.thunks.set(req.export, thunk);
        }
        values = thunkResults(results, thunk(...thunkArgs(req.args)));
      } catch (e) {
        if (req.state === false) return { ok: false, failure: failure(e) };
        return { ok: false, failure: failure(e), state: state(inst) };
      }
      if (req.state === false) return { ok: true, values };
      return { ok: true, values, state: state(inst) };
    }
    case "measure": {
      // Each phase timed here, where it runs: no pipe or JSON in the figures.
      // HOST.clock() gives [wall ns, CPU ns of this process or null].
      const bytes = HOST.fromBase64(req.wasm);
      const span = (from) => {
        const [wall, cpu] = HOST.clock();
        return { wall_ns: Math.max(0, Math.round(wall - from[0])), ...(cpu === null ? {} : { cpu_ns: Math.max(0, Math.round(cpu - from[1])) }) };
      };
      let module, instance, values, t = HOST.clock();
      try { module = new WebAssembly.Module(bytes); } catch (e) { return { ok: false, failure: { kind: "error", message: `the engine rejects the module: ${e.message || e}` } }; }
      const compile = span(t);
      t = HOST.clock();
      try { instance = new WebAssembly.Instance(module, {}); } catch (e) { return { ok: false, failure: failure(e) }; }
      const instantiate = span(t);
      let thunk;
      try {
        thunk = caller(instance.exports[req.export], req.params, req.results);
      } catch (e) { return { ok: false, failure: { kind: "error", message: `cannot call \`${req.export}\`: ${e.message || e}` } }; }
      const args = thunkArgs(req.args);
      t = HOST.clock();
      let out;
      try { out = thunk(...args); } catch (e) { return { ok: false, failure: failure(e) }; }
      const execute = span(t);
      try { values = thunkResults(req.results, out); } catch (e) { return { ok: false, failure: failure(e) }; }
      let memory_bytes = 0;
      for (const d of exportsOf(module, instance)) if (d.kind === "memory") memory_bytes += instance.exports[d.name].buffer.byteLength;
      const rss = HOST.peakRss ? HOST.peakRss() : null;
      return { ok: true, values, phases: { compile, instantiate, execute }, memory_bytes, ...(rss === null ? {} : { peak_rss_bytes: rss }) };
    }
    case "register":
      registry[req.name] = instances.get(req.instance).instance.exports;
      return { ok: true };
    case "get": {
      const g = instances.get(req.instance).instance.exports[req.name];
      if (!(g instanceof WebAssembly.Global)) return { ok: false, failure: { kind: "error", message: `no exported global \`${req.name}\`` } };
      const value = req.type.startsWith("v128") ? v128Global(g, req.type === "v128 mut") : globalVal(g, req.type);
      return { ok: true, value };
    }
    case "run":
      return { ok: true, answers: req.calls.map((call) => handle(call)) };
    case "set-global":
      return { ok: setGlobal(instances.get(req.instance), req.name, req.value) };
    case "reset": {
      modules.clear();
      instances.clear();
      registry = {};
      hostRefs = new Map();
      // A case that left the process large (a memory grown to the limit)
      // gives its memory back now, not at some later collection: engines each
      // keeping a 256 MiB memory past their case would pass the process
      // tree's memory budget. (`gc`: node and Chromium with --expose-gc,
      // jsc's shell builtin.)
      if (req.gc && typeof globalThis.gc === "function") globalThis.gc();
      return { ok: true };
    }
    default:
      // Ops only one host has (node's `wasi`).
      if (HOST.ops && HOST.ops[req.op]) return HOST.ops[req.op](req, modules);
      return { ok: false, error: `unknown op ${req.op}` };
  }
}

HOST.serve(handle);
