//! The value model shared by every engine: plain data, floats as bit patterns.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A WebAssembly value type as the harness sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
    /// A reference of the `any` hierarchy: `anyref`, `eqref`, `i31ref`,
    /// `structref`, `arrayref`, `nullref` and the concrete struct and array
    /// types, nullable or not (the static type does not change what is observed).
    AnyRef,
    /// A reference of the exception hierarchy: `exnref`, `nullexnref`.
    ExnRef,
}

impl ValType {
    /// The text-format name of the type (`i32`, `funcref`, …).
    /// The type of a reference to an abstract heap type, by its hierarchy:
    /// func, extern, any (GC objects, `i31` and `none`) or exn. `None` for
    /// what the harness does not carry: shared references and continuations.
    pub fn of_abstract_heap(shared: bool, ty: wasmparser::AbstractHeapType) -> Option<ValType> {
        use wasmparser::AbstractHeapType as A;
        if shared {
            return None;
        }
        Some(match ty {
            A::Func | A::NoFunc => ValType::FuncRef,
            A::Extern | A::NoExtern => ValType::ExternRef,
            A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => ValType::AnyRef,
            A::Exn | A::NoExn => ValType::ExnRef,
            A::Cont | A::NoCont => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::AnyRef => "anyref",
            ValType::ExnRef => "exnref",
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A WebAssembly value. Floats and vectors are carried as raw bits so that no
/// engine, serialiser or comparison can silently change a NaN payload; references
/// are compared by nullness only, since their identity is engine-private.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    /// A function reference; `true` when it is null.
    FuncRef {
        null: bool,
    },
    /// An external reference; `true` when it is null.
    ExternRef {
        null: bool,
    },
    /// A non-null external reference made by the harness, carrying a number
    /// (the spec testsuite's `ref.extern N`); engines hand it back unchanged.
    HostRef(u32),
    /// A reference of the `any` hierarchy, as far as it can be observed alike
    /// on every engine.
    AnyRef(AnyVal),
    /// An exception reference; `true` when it is null.
    ExnRef {
        null: bool,
    },
}

/// What can be observed of a reference of the `any` hierarchy on every
/// engine, JavaScript ones included: its kind, an `i31`'s value, a host
/// reference's number, and a struct's or array's *observation* where the
/// harness made one — a digest of its type and contents to a bounded depth
/// (and of its identity with the call's earlier results), computed inside
/// the module itself, so every engine is observed alike. An object's
/// identity is otherwise engine-private.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AnyVal {
    Null,
    /// An `i31ref`, by its signed value (`i31.get_s`).
    I31(i32),
    /// A struct, with its observed digest when the harness observed it.
    Struct(Option<u64>),
    /// An array, with its observed digest when the harness observed it.
    Array(Option<u64>),
    /// A harness host reference brought into the `any` hierarchy
    /// (`any.convert_extern`, the spec testsuite's `ref.host N`).
    Host(u32),
    /// Anything else non-null (an external value no harness made).
    Other,
}

impl Val {
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef { .. } => ValType::FuncRef,
            Val::ExternRef { .. } | Val::HostRef(_) => ValType::ExternRef,
            Val::AnyRef(_) => ValType::AnyRef,
            Val::ExnRef { .. } => ValType::ExnRef,
        }
    }

    /// The zero value of a type (null for references).
    pub fn zero(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef { null: true },
            ValType::ExternRef => Val::ExternRef { null: true },
            ValType::AnyRef => Val::AnyRef(AnyVal::Null),
            ValType::ExnRef => Val::ExnRef { null: true },
        }
    }

    /// Whether this is a scalar float NaN.
    pub fn is_nan(&self) -> bool {
        match *self {
            Val::F32(b) => f32::from_bits(b).is_nan(),
            Val::F64(b) => f64::from_bits(b).is_nan(),
            _ => false,
        }
    }
}

/// The text form is `type:value`: integers in decimal, floats and vectors as hex
/// bit patterns (with the float value alongside for readability), references as
/// `null`, `nonnull` or a host reference's number (an `anyref` as `null`, `i31:N`, `struct`,
/// `array` — either followed by `:0x…`, its observed digest —, `host:N` or `nonnull`). It round-trips through [`FromStr`] exactly.
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Val::I32(v) => write!(f, "i32:{v}"),
            Val::I64(v) => write!(f, "i64:{v}"),
            Val::F32(b) => write!(f, "f32:{b:#010x}"),
            Val::F64(b) => write!(f, "f64:{b:#018x}"),
            Val::V128(b) => write!(f, "v128:{b:#034x}"),
            Val::FuncRef { null } => write!(f, "funcref:{}", if null { "null" } else { "nonnull" }),
            Val::ExternRef { null } => {
                write!(f, "externref:{}", if null { "null" } else { "nonnull" })
            }
            Val::HostRef(n) => write!(f, "externref:{n}"),
            Val::AnyRef(a) => match a {
                AnyVal::Null => write!(f, "anyref:null"),
                AnyVal::I31(v) => write!(f, "anyref:i31:{v}"),
                AnyVal::Struct(None) => write!(f, "anyref:struct"),
                AnyVal::Struct(Some(d)) => write!(f, "anyref:struct:{d:#018x}"),
                AnyVal::Array(None) => write!(f, "anyref:array"),
                AnyVal::Array(Some(d)) => write!(f, "anyref:array:{d:#018x}"),
                AnyVal::Host(n) => write!(f, "anyref:host:{n}"),
                AnyVal::Other => write!(f, "anyref:nonnull"),
            },
            Val::ExnRef { null } => write!(f, "exnref:{}", if null { "null" } else { "nonnull" }),
        }
    }
}

impl Val {
    /// A human-friendly rendering: floats as numbers (with their bits when NaN).
    pub fn pretty(&self) -> String {
        match *self {
            Val::F32(b) => {
                let v = f32::from_bits(b);
                if v.is_nan() {
                    format!("f32:nan({b:#010x})")
                } else {
                    format!("f32:{v:?}")
                }
            }
            Val::F64(b) => {
                let v = f64::from_bits(b);
                if v.is_nan() {
                    format!("f64:nan({b:#018x})")
                } else {
                    format!("f64:{v:?}")
                }
            }
            _ => self.to_string(),
        }
    }
}

/// Why a value's text form could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseValError(pub String);

impl fmt::Display for ParseValError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value `{}` (expected e.g. i32:7, f64:0x3ff0000000000000, funcref:null)",
            self.0
        )
    }
}

impl std::error::Error for ParseValError {}

fn parse_hex_u128(s: &str) -> Option<u128> {
    u128::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

impl FromStr for Val {
    type Err = ParseValError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseValError(s.to_string());
        let (ty, v) = s.split_once(':').ok_or_else(err)?;
        let nullness = |v: &str| match v {
            "null" => Some(true),
            "nonnull" => Some(false),
            _ => None,
        };
        let val = match ty {
            "i32" => Val::I32(
                v.parse()
                    .ok()
                    .or_else(|| parse_hex_u128(v).map(|x| x as u32 as i32))
                    .ok_or_else(err)?,
            ),
            "i64" => Val::I64(
                v.parse()
                    .ok()
                    .or_else(|| parse_hex_u128(v).map(|x| x as u64 as i64))
                    .ok_or_else(err)?,
            ),
            "f32" => Val::F32(u32::try_from(parse_hex_u128(v).ok_or_else(err)?).map_err(|_| err())?),
            "f64" => Val::F64(u64::try_from(parse_hex_u128(v).ok_or_else(err)?).map_err(|_| err())?),
            "v128" => Val::V128(parse_hex_u128(v).ok_or_else(err)?),
            "funcref" => Val::FuncRef {
                null: nullness(v).ok_or_else(err)?,
            },
            "externref" => match nullness(v) {
                Some(null) => Val::ExternRef { null },
                None => Val::HostRef(v.parse().map_err(|_| err())?),
            },
            "anyref" => Val::AnyRef(match v {
                "null" => AnyVal::Null,
                "struct" => AnyVal::Struct(None),
                "array" => AnyVal::Array(None),
                "nonnull" => AnyVal::Other,
                _ => match v.split_once(':') {
                    Some(("i31", n)) => {
                        let n: i32 = n.parse().map_err(|_| err())?;
                        if !(-(1 << 30)..1 << 30).contains(&n) {
                            return Err(err());
                        }
                        AnyVal::I31(n)
                    }
                    Some(("host", n)) => AnyVal::Host(n.parse().map_err(|_| err())?),
                    Some(("struct", d)) => AnyVal::Struct(Some(
                        u64::try_from(parse_hex_u128(d).ok_or_else(err)?).map_err(|_| err())?,
                    )),
                    Some(("array", d)) => AnyVal::Array(Some(
                        u64::try_from(parse_hex_u128(d).ok_or_else(err)?).map_err(|_| err())?,
                    )),
                    _ => return Err(err()),
                },
            }),
            "exnref" => Val::ExnRef {
                null: nullness(v).ok_or_else(err)?,
            },
            _ => return Err(err()),
        };
        Ok(val)
    }
}

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for Val {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Val".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A wasm value in its exact text form: `i32:-1`, `i64:5`, `f32:0x7fc00000` (bits), `f64:0x…`, `v128:0x…`, `funcref:null`, `externref:null`, `externref:N` (host reference N), `anyref:null`, `anyref:i31:N`, `anyref:struct`, `anyref:array` (with `:0x…`, the harness's 64-bit observation of its type and contents, where it made one), `anyref:host:N`, `anyref:nonnull`, `exnref:null`, `exnref:nonnull`.",
            "type": "string",
            "pattern": "^(i32|i64|f32|f64|v128|funcref|externref|anyref|exnref):"
        })
    }
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_every_kind() {
        let vals = [
            Val::I32(-1),
            Val::I64(i64::MIN),
            Val::F32(0x7fc0_0001),
            Val::F64(0x8000_0000_0000_0000),
            Val::V128(u128::MAX - 5),
            Val::FuncRef { null: true },
            Val::ExternRef { null: false },
            Val::HostRef(7),
            Val::AnyRef(AnyVal::Null),
            Val::AnyRef(AnyVal::I31(-(1 << 30))),
            Val::AnyRef(AnyVal::Struct(None)),
            Val::AnyRef(AnyVal::Array(None)),
            Val::AnyRef(AnyVal::Struct(Some(0x0123_4567_89ab_cdef))),
            Val::AnyRef(AnyVal::Array(Some(u64::MAX))),
            Val::AnyRef(AnyVal::Host(3)),
            Val::AnyRef(AnyVal::Other),
            Val::ExnRef { null: false },
        ];
        for v in vals {
            let text = v.to_string();
            assert_eq!(text.parse::<Val>().unwrap(), v, "{text}");
        }
        assert_eq!(Val::F32(0x3f80_0000).to_string(), "f32:0x3f800000");
        assert_eq!(Val::F32(0x3f80_0000).pretty(), "f32:1.0");
    }

    #[test]
    fn malformed_text_is_rejected() {
        for bad in [
            "i32",
            "i32:x",
            "f32:1.0",
            "f32:0x1ffffffff",
            "ref:null",
            "funcref:maybe",
            "anyref:i31:1073741824",
            "anyref:thing",
            "anyref:struct:7",
            "anyref:array:0x1ffffffffffffffff",
            "exnref:3",
        ] {
            assert!(bad.parse::<Val>().is_err(), "{bad}");
        }
    }
}
