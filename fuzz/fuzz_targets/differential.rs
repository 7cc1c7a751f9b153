#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = wasmgate_harness::fuzzing::differential(data) {
        panic!("{e:#}");
    }
});
