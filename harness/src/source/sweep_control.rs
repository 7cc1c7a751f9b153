//! The sweep's control items (every profile with multi-value): branches that
//! carry values, where an engine's translator copies each value into its
//! target's slots — a path the numeric items never take.
//!
//! - `br_table`: a table of three targets plus the default, carrying no
//!   value, one, two, three (one of them an `f64`) and four values, taken
//!   with every i32 boundary index (0–3 name each target; −1, MIN and MAX
//!   fall to the default) and with its values in their given and in
//!   reversed order (the translator's copies overlap differently); with
//!   the targets at one stack height and at four different ones (each inner
//!   block opened above one more value), which engines translate apart.
//! - `br_if`: a conditional branch carrying two and three values, taken and
//!   not taken at every i32 boundary condition.
//!
//! Each target changes the values in its own way, so which target ran and
//! what arrived there are both in the results.

use super::case::{Call, TestCase};
use super::profile::Profile;
use super::sweep::{Item, operands};
use anyhow::Result;
use wasmgate_runners::{Val, ValType};

/// The carried values of a `br_table` or `br_if` function with `n` values:
/// their types (an `f64` third) and the arguments that give them.
fn carried(n: usize) -> (Vec<&'static str>, Vec<Val>) {
    let all = [
        ("i32", Val::I32(-7)),
        ("i64", Val::I64(0x1234_5678_9abc)),
        ("f64", Val::F64(1.5f64.to_bits())),
        ("i32", Val::I32(40)),
    ];
    all[..n].iter().copied().unzip()
}

/// How each target changes the value of type `ty` it received (target `k`).
fn touch(ty: &str, k: usize) -> String {
    match ty {
        "f64" => format!("(f64.add (f64.const {}))", k + 1),
        t => format!("({t}.add ({t}.const {}))", (k + 1) * 1000),
    }
}

/// Changes the last of the values on the stack (types `tys`) as target `k` does.
fn touch_last(tys: &[&str], k: usize) -> String {
    tys.last()
        .map(|last| format!(" {}", touch(last, k)))
        .unwrap_or_default()
}

/// A `br_table` function carrying `n` values: `(param i32 <values>) (result <values>)`,
/// values pushed in their order or `reversed` (then returned reversed);
/// `stepped`, each inner target opens above one more value on the stack, so
/// the targets sit at different heights (an engine copies the values per
/// target then, not once for all).
fn br_table_func(n: usize, reversed: bool, stepped: bool) -> String {
    let (tys, _) = carried(n);
    let order: Vec<usize> = if reversed {
        (0..n).rev().collect()
    } else {
        (0..n).collect()
    };
    let shown: Vec<&str> = order.iter().map(|&i| tys[i]).collect();
    let result = if n == 0 {
        String::new()
    } else {
        format!(" (result {})", shown.join(" "))
    };
    let params: String = tys.iter().map(|t| format!(" {t}")).collect();
    let push: String = order.iter().map(|i| format!(" (local.get {})", i + 1)).collect();
    let name = br_table_name(n, reversed, stepped);
    let mut f = format!("  (func (export \"{name}\") (param i32{params}){result}\n");
    f += &format!("    (block $d{result}\n");
    for k in (0..3).rev() {
        if stepped {
            f += &format!("    (i32.const {})\n", 10 + k);
        }
        f += &format!("    (block $b{k}{result}\n");
    }
    f += &format!("      {push} (local.get 0)\n      (br_table $b0 $b1 $b2 $d))\n");
    for k in 0..3 {
        let change = touch_last(&shown, k);
        f += &format!("     {change} (br $d))\n");
    }
    // The default target returns the values as they were.
    f += "  )\n";
    f
}

fn br_table_name(n: usize, reversed: bool, stepped: bool) -> String {
    format!(
        "br_table_{n}{}{}",
        if reversed { "_reversed" } else { "" },
        if stepped { "_stepped" } else { "" }
    )
}

/// A `br_if` function carrying `n` values: taken when the condition is not zero.
fn br_if_func(n: usize) -> String {
    let (tys, _) = carried(n);
    let result = format!(" (result {})", tys.join(" "));
    let params: String = tys.iter().map(|t| format!(" {t}")).collect();
    let push: String = (0..n).map(|i| format!(" (local.get {})", i + 1)).collect();
    format!(
        "  (func (export \"br_if_{n}\") (param i32{params}){result}\n    (block $b{result}\n      {push} (local.get 0) (br_if $b){})\n  )\n",
        touch_last(&tys, 0)
    )
}

fn items() -> Vec<Item> {
    let conditions = operands(ValType::I32);
    let mut indices = conditions.clone();
    for k in [2, 3] {
        if !indices.contains(&Val::I32(k)) {
            indices.push(Val::I32(k));
        }
    }
    let calls_of = |export: String, n: usize, reversed: bool, firsts: &[Val]| -> Vec<Call> {
        let (tys, values) = carried(n);
        let mut results: Vec<ValType> = tys
            .iter()
            .map(|t| match *t {
                "i64" => ValType::I64,
                "f64" => ValType::F64,
                _ => ValType::I32,
            })
            .collect();
        if reversed {
            results.reverse();
        }
        firsts
            .iter()
            .map(|first| {
                let mut args = vec![*first];
                args.extend(values.iter().copied());
                Call {
                    export: export.clone(),
                    args,
                    results: results.clone(),
                    expect: None,
                }
            })
            .collect()
    };
    let mut table = String::from("(module\n");
    let mut table_calls = Vec::new();
    for stepped in [false, true] {
        for n in 0..=4 {
            for reversed in [false, true] {
                if reversed && n < 2 {
                    continue;
                }
                table += &br_table_func(n, reversed, stepped);
                let name = br_table_name(n, reversed, stepped);
                table_calls.extend(calls_of(name, n, reversed, &indices));
            }
        }
    }
    table += ")";
    let mut br_if = String::from("(module\n");
    let mut br_if_calls = Vec::new();
    for n in [2, 3] {
        br_if += &br_if_func(n);
        br_if_calls.extend(calls_of(format!("br_if_{n}"), n, false, &conditions));
    }
    br_if += ")";
    vec![
        Item {
            name: "br_table",
            wat: table,
            calls: table_calls,
        },
        Item {
            name: "br_if",
            wat: br_if,
            calls: br_if_calls,
        },
    ]
}

/// The control items whose name `keep` accepts, as sweep cases of `profile`
/// (none under `mvp`: a branch carrying several values needs multi-value).
pub fn cases(profile: Profile, keep: impl Fn(&str) -> bool) -> Result<Vec<TestCase>> {
    if profile == Profile::Mvp {
        return Ok(Vec::new());
    }
    items()
        .into_iter()
        .filter(|item| keep(item.name))
        .map(|item| item.case(profile.features()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_valid_and_calls_its_own_exports_with_their_types() {
        let items = cases(Profile::Default, |_| true).unwrap();
        assert_eq!(items.len(), 2);
        for c in &items {
            crate::source::module_info::validate(&c.wasm, &Profile::Default.features()).unwrap();
            let info = crate::source::module_info::inspect(&c.wasm).unwrap();
            for call in &c.calls {
                let f = info.funcs.iter().find(|f| f.name == call.export).unwrap();
                assert_eq!(f.results, call.results, "{}", call.export);
                let args: Vec<ValType> = call.args.iter().map(|a| a.ty()).collect();
                assert_eq!(f.params, args, "{}", call.export);
            }
        }
        // Eight br_table functions (0–4 values, 2–4 also reversed), flat and
        // stepped; two br_if.
        let info = crate::source::module_info::inspect(&items[0].wasm).unwrap();
        assert_eq!(info.funcs.len(), 16);
        assert!(cases(Profile::Mvp, |_| true).unwrap().is_empty());
    }
}
