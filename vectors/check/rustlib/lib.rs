//! A small Rust library as a team might ship it to wasm (a `cdylib` for
//! `wasm32-unknown-unknown`): callers allocate with the exported `alloc`,
//! write their input into memory, call, read the output back, and free with
//! `dealloc`. Built by build.sh; its scenarios are in scenarios.toml.

use std::alloc::{Layout, alloc as raw_alloc, dealloc as raw_dealloc};

fn layout(len: usize) -> Layout {
    Layout::from_size_align(len.max(1), 8).expect("a valid layout")
}

/// `len` bytes, 8-aligned; released by `dealloc(ptr, len)`.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    unsafe { raw_alloc(layout(len)) }
}

#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    raw_dealloc(ptr, layout(len))
}

unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    std::slice::from_raw_parts(ptr, len)
}

/// Adler-32 of `len` bytes at `ptr`.
#[no_mangle]
pub unsafe extern "C" fn adler32(ptr: *const u8, len: usize) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes(ptr, len) {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// How many characters the UTF-8 text at `ptr` has, or -1 if it is not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn char_count(ptr: *const u8, len: usize) -> i32 {
    match std::str::from_utf8(bytes(ptr, len)) {
        Ok(s) => s.chars().count() as i32,
        Err(_) => -1,
    }
}

/// A new buffer of `2 * len` bytes: the lowercase hex of the input
/// (release it with `dealloc(out, 2 * len)`).
#[no_mangle]
pub unsafe extern "C" fn hex_encode(ptr: *const u8, len: usize) -> *mut u8 {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let out = alloc(2 * len);
    for (i, &x) in bytes(ptr, len).iter().enumerate() {
        *out.add(2 * i) = DIGITS[usize::from(x >> 4)];
        *out.add(2 * i + 1) = DIGITS[usize::from(x & 15)];
    }
    out
}

/// The f64s at `ptr` scaled by `k` in place; returns their new sum.
#[no_mangle]
pub unsafe extern "C" fn scale(ptr: *mut f64, n: usize, k: f64) -> f64 {
    let xs = std::slice::from_raw_parts_mut(ptr, n);
    let mut sum = 0.0;
    for x in xs {
        *x *= k;
        sum += *x;
    }
    sum
}
