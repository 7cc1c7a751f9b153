//! Expected results: the value patterns of the spec testsuite
//! (`nan:canonical`, `nan:arithmetic`, lanes, references) and the expectation
//! a vectors file attaches to a call (results, a trap, host calls).
//!
//! A pattern's text form is its `Display`: `i32:7`, `f32:1.5`, `f64:nan:canonical`,
//! `f32:nan` (any NaN), `f32:0x7fc00001` (exact bits), `ref.null`; `FromStr`
//! reads the scalar forms back, so expectations round-trip through bundles.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use wasmgate_runners::{AnyVal, TrapKind, Val};

/// A float lane or value pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatPat {
    Bits(u64),
    CanonicalNan,
    ArithmeticNan,
    /// Any NaN, whatever its payload (what engines agree on when they return NaN).
    AnyNan,
}

/// An expected result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    Exact(Val),
    F32(FloatPat),
    F64(FloatPat),
    F32x4([FloatPat; 4]),
    F64x2([FloatPat; 2]),
    /// A null reference (of any reference type).
    RefNull,
    /// A non-null externref, with the host number if the script gives one.
    RefExtern(Option<u32>),
    /// A non-null funcref.
    RefFunc,
    /// A non-null reference of the `any` hierarchy of a kind (the spec
    /// testsuite's `ref.any`, `ref.eq`, `ref.i31`, `ref.struct`, `ref.array`).
    RefAny(AnyKind),
    Either(Vec<Pattern>),
}

/// The kinds a non-null `any` reference pattern can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyKind {
    Any,
    Eq,
    I31,
    Struct,
    Array,
}

impl AnyKind {
    const ALL: [(AnyKind, &'static str); 5] = [
        (AnyKind::Any, "ref.any"),
        (AnyKind::Eq, "ref.eq"),
        (AnyKind::I31, "ref.i31"),
        (AnyKind::Struct, "ref.struct"),
        (AnyKind::Array, "ref.array"),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("ref.any", |(_, n)| n)
    }

    fn matches(self, v: AnyVal) -> bool {
        match (self, v) {
            (_, AnyVal::Null) => false,
            (AnyKind::Any, _) => true,
            (AnyKind::Eq, AnyVal::I31(_) | AnyVal::Struct(_) | AnyVal::Array(_)) => true,
            (AnyKind::I31, AnyVal::I31(_)) => true,
            (AnyKind::Struct, AnyVal::Struct(_)) => true,
            (AnyKind::Array, AnyVal::Array(_)) => true,
            _ => false,
        }
    }
}

impl FloatPat {
    pub fn matches(self, bits: u64, width: u32) -> bool {
        let (exp_mask, quiet) = if width == 32 {
            (0x7f80_0000u64, 0x0040_0000u64)
        } else {
            (0x7ff0_0000_0000_0000, 0x0008_0000_0000_0000)
        };
        let sign = 1u64 << (width - 1);
        let is_nan = bits & exp_mask == exp_mask && bits & (exp_mask | sign) != bits;
        match self {
            FloatPat::Bits(b) => b == bits,
            FloatPat::CanonicalNan => bits & !sign == exp_mask | quiet,
            FloatPat::ArithmeticNan => is_nan && bits & quiet != 0,
            FloatPat::AnyNan => is_nan,
        }
    }

    fn show(self, width: u32) -> String {
        match self {
            FloatPat::Bits(b) if width == 32 => Val::F32(b as u32).pretty(),
            FloatPat::Bits(b) => Val::F64(b).pretty(),
            FloatPat::CanonicalNan => format!("f{width}:nan:canonical"),
            FloatPat::ArithmeticNan => format!("f{width}:nan:arithmetic"),
            FloatPat::AnyNan => format!("f{width}:nan"),
        }
    }
}

impl Pattern {
    /// Whether `v` satisfies the pattern.
    pub fn matches(&self, v: &Val) -> bool {
        match (self, v) {
            (Pattern::Exact(e), v) => e == v,
            (Pattern::F32(p), Val::F32(b)) => p.matches(*b as u64, 32),
            (Pattern::F64(p), Val::F64(b)) => p.matches(*b, 64),
            (Pattern::F32x4(lanes), Val::V128(b)) => lanes
                .iter()
                .enumerate()
                .all(|(i, p)| p.matches((b >> (32 * i)) as u32 as u64, 32)),
            (Pattern::F64x2(lanes), Val::V128(b)) => lanes
                .iter()
                .enumerate()
                .all(|(i, p)| p.matches((b >> (64 * i)) as u64, 64)),
            (Pattern::RefNull, Val::FuncRef { null } | Val::ExternRef { null } | Val::ExnRef { null }) => {
                *null
            }
            (Pattern::RefNull, Val::AnyRef(a)) => *a == AnyVal::Null,
            (Pattern::RefAny(kind), Val::AnyRef(a)) => kind.matches(*a),
            (Pattern::RefExtern(None), Val::ExternRef { null: false } | Val::HostRef(_)) => true,
            (Pattern::RefExtern(Some(n)), Val::HostRef(m)) => n == m,
            (Pattern::RefFunc, Val::FuncRef { null }) => !null,
            (Pattern::Either(ps), v) => ps.iter().any(|p| p.matches(v)),
            _ => false,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(v) => f.write_str(&v.pretty()),
            Pattern::F32(p) => f.write_str(&p.show(32)),
            Pattern::F64(p) => f.write_str(&p.show(64)),
            Pattern::F32x4(l) => {
                let lanes: Vec<_> = l.iter().map(|p| p.show(32)).collect();
                write!(f, "f32x4[{}]", lanes.join(" "))
            }
            Pattern::F64x2(l) => {
                let lanes: Vec<_> = l.iter().map(|p| p.show(64)).collect();
                write!(f, "f64x2[{}]", lanes.join(" "))
            }
            Pattern::RefNull => f.write_str("ref.null"),
            Pattern::RefExtern(Some(n)) => write!(f, "externref:{n}"),
            Pattern::RefExtern(None) => f.write_str("externref:nonnull"),
            Pattern::RefFunc => f.write_str("funcref:nonnull"),
            Pattern::RefAny(kind) => f.write_str(kind.name()),
            Pattern::Either(ps) => {
                let alts: Vec<_> = ps.iter().map(|p| p.to_string()).collect();
                write!(f, "either({})", alts.join(" | "))
            }
        }
    }
}

impl FromStr for Pattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let float = |width: u32, v: &str| -> Option<FloatPat> {
            Some(match v {
                "nan:canonical" => FloatPat::CanonicalNan,
                "nan:arithmetic" => FloatPat::ArithmeticNan,
                "nan" => FloatPat::AnyNan,
                v if v.starts_with("nan(") && v.ends_with(')') => {
                    FloatPat::Bits(u64::from_str_radix(v[4..v.len() - 1].strip_prefix("0x")?, 16).ok()?)
                }
                v if v.starts_with("0x") => FloatPat::Bits(u64::from_str_radix(&v[2..], 16).ok()?),
                v if width == 32 => FloatPat::Bits(v.parse::<f32>().ok()?.to_bits() as u64),
                v => FloatPat::Bits(v.parse::<f64>().ok()?.to_bits()),
            })
        };
        let bad =
            || format!("invalid expected value `{s}` (e.g. i32:7, f32:1.5, f64:nan:canonical, ref.null)");
        match s {
            "ref.null" => return Ok(Pattern::RefNull),
            "funcref:nonnull" => return Ok(Pattern::RefFunc),
            "externref:nonnull" => return Ok(Pattern::RefExtern(None)),
            "anyref:nonnull" => return Ok(Pattern::RefAny(AnyKind::Any)),
            _ => {}
        }
        if let Some((kind, _)) = AnyKind::ALL.iter().find(|(_, name)| *name == s) {
            return Ok(Pattern::RefAny(*kind));
        }
        if let Some(v) = s.strip_prefix("f32:") {
            return float(32, v).map(Pattern::F32).ok_or_else(bad);
        }
        if let Some(v) = s.strip_prefix("f64:") {
            return float(64, v).map(Pattern::F64).ok_or_else(bad);
        }
        s.parse::<Val>().map(Pattern::Exact).map_err(|_| bad())
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// What a call must do, as a vectors file says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Return values matching these patterns.
    Returns(Vec<Pattern>),
    /// Trap, with this kind (or any kind when absent).
    Traps(Option<TrapKind>),
}

/// The expectation attached to one call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expect {
    /// The call's result; absent: only that engines agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Host calls made so far on this instance, after the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_calls: Option<u32>,
    /// The digest of every host call and its arguments so far, after the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_digest: Option<String>,
    /// Where the expectation is written (`FILE:LINE` of the vector or
    /// scenario step), for reports that point at it (SARIF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated: Option<String>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Returns(ps) => {
                let ps: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
                write!(f, "returns ({})", ps.join(", "))
            }
            Outcome::Traps(Some(t)) => write!(f, "traps {t}"),
            Outcome::Traps(None) => f.write_str("traps"),
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(o) = &self.outcome {
            parts.push(o.to_string());
        }
        if let Some(n) = self.host_calls {
            parts.push(format!("{n} host calls"));
        }
        if let Some(d) = &self.host_digest {
            parts.push(format!("host digest {d}"));
        }
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_round_trip_through_text() {
        for text in [
            "i32:7",
            "i64:-1",
            "f32:1.5",
            "f64:-0.0",
            "f32:nan:canonical",
            "f64:nan:arithmetic",
            "f32:nan",
            "ref.null",
        ] {
            let p: Pattern = text.parse().unwrap();
            assert_eq!(p.to_string().parse::<Pattern>().unwrap(), p, "{text}");
        }
        let nan: Pattern = "f32:nan".parse().unwrap();
        assert!(nan.matches(&Val::F32(0x7fc0_0001)));
        assert!(!nan.matches(&Val::F32(0x3f80_0000)));
        let canonical: Pattern = "f32:nan:canonical".parse().unwrap();
        assert!(!canonical.matches(&Val::F32(0x7fc0_0001)));
        assert!("f32:banana".parse::<Pattern>().is_err());
    }
}
