//! Boundary values per scalar type — the constants that edge snippets
//! ([`crate::source::edges`]) and self-checking edge operations
//! ([`crate::source::edge_ops`]) put into operations — the four types, and
//! what a seed's modules may use besides the MVP ([`Allowed`]).

use wasm_encoder::ValType;

/// Boundary constants per type.
pub const I32S: [i32; 20] = [
    0,
    1,
    -1,
    2,
    -2,
    i32::MIN,
    i32::MAX,
    i32::MIN + 1,
    31,
    32,
    33,
    63,
    64,
    0x80,
    0xff,
    0xffff,
    0x8000,
    0x7fff_ffff - 1,
    0x0001_0000,
    0x5555_5555,
];
pub const I64S: [i64; 20] = [
    0,
    1,
    -1,
    2,
    -2,
    i64::MIN,
    i64::MAX,
    i64::MIN + 1,
    31,
    32,
    63,
    64,
    65,
    0xffff_ffff,
    0x8000_0000,
    -0x8000_0000,
    0x1_0000_0000,
    0x7fff_ffff,
    i32::MIN as i64 - 1,
    0x5555_5555_5555_5555,
];
pub const F32S: [f32; 22] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    f32::MIN_POSITIVE,
    1.0e-45, // smallest subnormal
    f32::MAX,
    f32::MIN,
    2147483648.0,  // 2^31
    -2147483648.0, // -2^31
    2147483520.0,  // largest below 2^31
    4294967296.0,  // 2^32
    9.223372e18,   // 2^63
    16777217.0,    // first integer f32 rounds
];
pub const F64S: [f64; 22] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
    5e-324, // smallest subnormal
    f64::MAX,
    f64::MIN,
    2147483648.0,
    -2147483649.0,
    4294967295.5,
    9.223_372_036_854_776e18, // 2^63
    18446744073709551616.0,   // 2^64
    9007199254740993.0,       // 2^53 + 1
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
}

impl Ty {
    pub fn val(self) -> ValType {
        match self {
            Ty::I32 => ValType::I32,
            Ty::I64 => ValType::I64,
            Ty::F32 => ValType::F32,
            Ty::F64 => ValType::F64,
        }
    }
    pub fn is_int(self) -> bool {
        matches!(self, Ty::I32 | Ty::I64)
    }
    pub fn width(self) -> i64 {
        match self {
            Ty::I32 | Ty::F32 => 32,
            _ => 64,
        }
    }
}

/// What a seed's modules may use besides the MVP.
#[derive(Clone, Copy, Debug, Default)]
pub struct Allowed {
    pub sign_extension: bool,
    pub saturating: bool,
    /// WebAssembly 3.0 checks ([`crate::source::edge_wasm3`]): GC's i31, casts
    /// and arrays; exceptions with the module's tags; the ends of memories
    /// (when memory64 or several memories are on).
    pub gc: bool,
    pub exceptions: bool,
    pub memories: bool,
    /// A tail-call chain function added to the module.
    pub tail_call: bool,
    /// `memory.copy` between memories (besides `memories`).
    pub bulk_memory: bool,
}

impl Allowed {
    pub fn wasm3(&self) -> bool {
        self.gc || self.exceptions || self.memories || self.tail_call
    }
}
