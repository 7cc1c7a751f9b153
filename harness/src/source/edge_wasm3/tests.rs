use super::*;
use rand_chacha::rand_core::SeedableRng;
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, MemorySection, MemoryType, Module,
    StorageType, TagKind, TagSection, TagType, TypeSection,
};

/// A module with array types of every modelled element, tags of every
/// numeric payload (and none), a 32-bit and two 64-bit memories, and `n`
/// functions `() → i32`, each answering whether the engine got one check wrong.
fn checks(n: u32, seed: u64, traps: bool) -> (Vec<u8>, Wasm3) {
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    let elems = [
        (StorageType::I8, true),
        (StorageType::I16, true),
        (StorageType::Val(ValType::I32), true),
        (StorageType::Val(ValType::I64), false),
        (StorageType::Val(ValType::F32), true),
        (StorageType::Val(ValType::F64), true),
        (StorageType::I16, false),
    ];
    for (element_type, mutable) in elems {
        types.ty().array(&element_type, mutable);
    }
    let tag_ty0 = 1 + elems.len() as u32;
    types.ty().function([], []);
    for t in [ValType::I32, ValType::I64, ValType::F32, ValType::F64] {
        types.ty().function([t], []);
    }
    let mut memories = MemorySection::new();
    for (memory64, pages) in [(false, 1), (true, 1), (true, 2)] {
        memories.memory(MemoryType {
            minimum: pages,
            maximum: None,
            memory64,
            shared: false,
            page_size_log2: None,
        });
    }
    let mut tags = TagSection::new();
    for i in 0..5 {
        tags.tag(TagType {
            kind: TagKind::Exception,
            func_type_idx: tag_ty0 + i,
        });
    }
    let (mut funcs, mut code, mut exports) =
        (FunctionSection::new(), CodeSection::new(), ExportSection::new());
    for i in 0..n {
        funcs.function(0);
        exports.export(&format!("c{i}"), ExportKind::Func, i);
    }
    // What the module offers, read from its types, memories and tags.
    let mut head = Module::new();
    head.section(&types).section(&memories).section(&tags);
    let all = crate::source::edge_values::Allowed {
        gc: true,
        exceptions: true,
        memories: true,
        tail_call: true,
        ..Default::default()
    };
    let mut wasm3 = Wasm3::scan(&head.finish(), all);
    assert_eq!(wasm3.arrays.len(), elems.len());
    assert_eq!(wasm3.memories.len(), 3);
    assert_eq!(wasm3.tags.len(), 5);
    assert_eq!(wasm3.chain, None, "no functions to add a chain beside");
    wasm3.array_local = 8;
    // The chain after the checks, as the rewrite adds it.
    let chain = Chain {
        func: n,
        ty: tag_ty0 + 5,
    };
    types.ty().function([ValType::I32, ValType::I64], [ValType::I64]);
    wasm3.chain = Some(chain);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..n {
        let mut c = Checks {
            rng: &mut rng,
            wasm3: &wasm3,
            traps,
            lhs: [0, 1, 2, 3],
            rhs: [4, 5, 6, 7],
        };
        let body = c.wrong().unwrap();
        let mut locals: Vec<(u32, ValType)> = [ValType::I32, ValType::I64, ValType::F32, ValType::F64]
            .repeat(2)
            .into_iter()
            .map(|t| (1, t))
            .collect();
        locals.push((1, ARRAY_LOCAL));
        let mut f = Function::new(locals);
        for i in &body {
            f.instruction(i);
        }
        f.instruction(&I::End);
        code.function(&f);
    }
    funcs.function(chain.ty);
    code.function(&chain.body());
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&memories)
        .section(&tags)
        .section(&exports)
        .section(&code);
    (m.finish(), wasm3)
}

fn answers(wasm: &[u8], n: u32, engine: &str) -> Vec<(u32, String)> {
    let engine = wasmgate_runners::registry::build(engine).unwrap();
    let mut instance = engine.compile(wasm).unwrap().instantiate().unwrap();
    (0..n)
        .filter_map(|i| {
            let got = instance.call(&format!("c{i}"), &[], &[wasmgate_runners::ValType::I32]);
            match got {
                Ok(v) if v == vec![wasmgate_runners::Val::I32(0)] => None,
                other => Some((i, format!("{other:?}"))),
            }
        })
        .collect()
}

#[test]
fn planted_3_0_answers_are_what_a_reference_engine_computes() {
    let n = 600;
    let (wasm, _) = checks(n, 11, false);
    crate::source::module_info::validate(&wasm, &wasmgate_runners::Feature::ALL).unwrap();
    for engine in ["wasmtime-cranelift", "wasmtime-pulley"] {
        let wrong = answers(&wasm, n, engine);
        assert!(wrong.is_empty(), "{engine}: checks answered wrong: {wrong:?}");
    }
}

#[test]
fn where_traps_are_allowed_only_the_planned_traps_trap() {
    let n = 600;
    let (wasm, _) = checks(n, 12, true);
    crate::source::module_info::validate(&wasm, &wasmgate_runners::Feature::ALL).unwrap();
    let wrong = answers(&wasm, n, "wasmtime-cranelift");
    // Every answer that is not 0 is one of the planted traps.
    let kinds: Vec<&String> = wrong.iter().map(|(_, w)| w).collect();
    assert!(
        kinds
            .iter()
            .all(|w| w.contains("ArrayOutOfBounds") || w.contains("MemoryOutOfBounds")),
        "{wrong:?}"
    );
    assert!(
        wrong.len() > 5 && wrong.len() < 200,
        "{} traps of {n}",
        wrong.len()
    );
}
