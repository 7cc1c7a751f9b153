//! The TOML files wasmgate reads (the lists in `vectors/`), each with a
//! built-in default and errors of one line naming file and line; and values,
//! patterns and bytes as vectors files and scenarios write them.

use crate::source::expect::{FloatPat, Pattern};
use anyhow::{Context, Result, anyhow};
use std::path::Path;
use toml::Value;
use wasmgate_runners::{TrapKind, Val, ValType};

/// Parses TOML with an error of one line: `origin:line: message`.
pub fn from_toml<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        anyhow!("{origin}{at}: {}", e.message().trim().replace('\n', " "))
    })
}

/// Reads a list file, or uses `built_in` when no path is given.
pub fn read_list<T: serde::de::DeserializeOwned>(
    path: Option<&Path>,
    built_in: &str,
    what: &str,
) -> Result<T> {
    match path {
        None => from_toml(built_in, &format!("built-in {what}")),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            from_toml(&text, &p.display().to_string())
        }
    }
}

pub fn hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

pub fn trap_kind(name: &str) -> Result<TrapKind> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
        anyhow!("unknown trap kind `{name}` (e.g. unreachable, integer-division-by-zero, memory-out-of-bounds, or any)")
    })
}

fn toml_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// A value of type `ty` written in TOML: integers as integers (or strings,
/// decimal or `0x…`), floats as floats or strings (`"nan"`, `"-inf"`, `"0x…"`
/// for exact bits), v128 as a `0x…` string, references as `"null"`.
pub fn value(v: &Value, ty: ValType) -> Result<Val> {
    let bad = || anyhow!("{} is {}, not a value of type {ty}", v, toml_kind(v));
    let out_of_range = || anyhow!("{v} does not fit in {ty}");
    Ok(match (ty, v) {
        (ValType::I32, Value::Integer(i)) => {
            if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(i) {
                Val::I32(*i as u32 as i32)
            } else {
                return Err(out_of_range());
            }
        }
        (ValType::I64, Value::Integer(i)) => Val::I64(*i),
        (ValType::I64, Value::String(s)) if s.parse::<u64>().is_ok() => {
            Val::I64(s.parse::<u64>().unwrap_or(0) as i64)
        }
        (ValType::I32 | ValType::I64 | ValType::V128, Value::String(s)) => {
            format!("{ty}:{s}").parse::<Val>().map_err(|_| bad())?
        }
        (ValType::F32, Value::Float(f)) => Val::F32((*f as f32).to_bits()),
        (ValType::F64, Value::Float(f)) => Val::F64(f.to_bits()),
        (ValType::F32, Value::Integer(i)) => Val::F32((*i as f32).to_bits()),
        (ValType::F64, Value::Integer(i)) => Val::F64((*i as f64).to_bits()),
        (ValType::F32 | ValType::F64, Value::String(s)) => {
            let width = if ty == ValType::F32 { 32 } else { 64 };
            match float_text(s, width) {
                Some(FloatPat::Bits(b)) if width == 32 => Val::F32(b as u32),
                Some(FloatPat::Bits(b)) => Val::F64(b),
                _ => return Err(bad()),
            }
        }
        (ValType::V128, Value::Integer(i)) => Val::V128(*i as u128),
        (ValType::FuncRef, Value::String(s)) if s == "null" => Val::FuncRef { null: true },
        (ValType::ExternRef, Value::String(s)) if s == "null" => Val::ExternRef { null: true },
        (ValType::AnyRef | ValType::ExnRef, Value::String(s)) if s == "null" => Val::zero(ty),
        (ValType::AnyRef, Value::String(s)) => match format!("anyref:{s}").parse::<Val>() {
            Ok(v @ Val::AnyRef(wasmgate_runners::AnyVal::I31(_) | wasmgate_runners::AnyVal::Host(_))) => v,
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    })
}

/// A float written as text: `nan` (the canonical NaN, for arguments), `-0`,
/// `inf`, a decimal, or `0x…` exact bits; patterns add `nan:canonical` and
/// `nan:arithmetic`.
fn float_text(s: &str, width: u32) -> Option<FloatPat> {
    let canonical = if width == 32 {
        0x7fc0_0000
    } else {
        0x7ff8_0000_0000_0000
    };
    Some(match s {
        "nan" | "+nan" => FloatPat::Bits(canonical),
        "-nan" => FloatPat::Bits(canonical | (1 << (width - 1))),
        "nan:canonical" => FloatPat::CanonicalNan,
        "nan:arithmetic" => FloatPat::ArithmeticNan,
        s if s.starts_with("0x") => {
            let bits = u64::from_str_radix(&s[2..], 16).ok()?;
            if width == 32 && bits > u64::from(u32::MAX) {
                return None;
            }
            FloatPat::Bits(bits)
        }
        s if width == 32 => FloatPat::Bits(u64::from(s.parse::<f32>().ok()?.to_bits())),
        s => FloatPat::Bits(s.parse::<f64>().ok()?.to_bits()),
    })
}

/// An expected result: a value as [`value`] reads it, or for floats any NaN
/// (`nan` in TOML), `"nan:canonical"` or `"nan:arithmetic"`.
pub fn pattern(v: &Value, ty: ValType) -> Result<Pattern> {
    let float = |p: FloatPat| {
        if ty == ValType::F32 {
            Pattern::F32(p)
        } else {
            Pattern::F64(p)
        }
    };
    match (ty, v) {
        (ValType::F32 | ValType::F64, Value::Float(f)) if f.is_nan() => Ok(float(FloatPat::AnyNan)),
        (ValType::F32 | ValType::F64, Value::String(s)) if s == "nan" => Ok(float(FloatPat::AnyNan)),
        (ValType::F32 | ValType::F64, Value::String(s)) => {
            let width = if ty == ValType::F32 { 32 } else { 64 };
            float_text(s, width)
                .map(float)
                .ok_or_else(|| anyhow!("\"{s}\" is not a value of type {ty} (e.g. 1.5, \"-inf\", \"nan:canonical\", \"0x7fc00000\")"))
        }
        (ValType::AnyRef, Value::String(s)) if matches!(s.as_str(), "struct" | "array" | "nonnull") => {
            format!("anyref:{s}").parse::<Pattern>().map_err(|e| anyhow!(e))
        }
        // A struct or array with its observed digest (`check --record` writes
        // them so): that exact object, contents and all.
        (ValType::AnyRef, Value::String(s)) if s.starts_with("struct:") || s.starts_with("array:") => {
            format!("anyref:{s}")
                .parse::<Val>()
                .map(Pattern::Exact)
                .map_err(|_| anyhow!("\"{s}\" is not a struct or array with its digest (e.g. \"struct:0x0123456789abcdef\")"))
        }
        (ValType::FuncRef | ValType::ExternRef | ValType::ExnRef, Value::String(s))
            if s.ends_with(":nonnull") =>
        {
            s.parse::<Pattern>().map_err(|e| anyhow!(e))
        }
        _ => value(v, ty).map(Pattern::Exact),
    }
}

/// A value as a golden vectors file writes it: what [`pattern`] reads back
/// as that value (NaNs as `nan`, any payload, since engines only agree on that).
pub fn to_toml(v: &Val) -> Value {
    match *v {
        Val::I32(x) => Value::Integer(i64::from(x)),
        Val::I64(x) => Value::Integer(x),
        Val::F32(b) if f32::from_bits(b).is_nan() => Value::String("nan".into()),
        Val::F64(b) if f64::from_bits(b).is_nan() => Value::String("nan".into()),
        Val::F32(b) => Value::Float(f64::from(f32::from_bits(b))),
        Val::F64(b) => Value::Float(f64::from_bits(b)),
        Val::V128(b) => Value::String(format!("{b:#034x}")),
        Val::FuncRef { null: true } | Val::ExternRef { null: true } => Value::String("null".into()),
        Val::FuncRef { null: false } => Value::String("funcref:nonnull".into()),
        Val::ExternRef { null: false } | Val::HostRef(_) => Value::String("externref:nonnull".into()),
        Val::AnyRef(wasmgate_runners::AnyVal::Null) | Val::ExnRef { null: true } => {
            Value::String("null".into())
        }
        Val::AnyRef(a) => Value::String(Val::AnyRef(a).to_string()["anyref:".len()..].to_string()),
        Val::ExnRef { null: false } => Value::String("exnref:nonnull".into()),
    }
}
