//! `compat OLD NEW`: exports added, removed or changed, and the same calls
//! run on both versions on every engine, call by call.

use crate::compare::judge::CaseResult;
use crate::execute::{CallRecord, CallResult, EngineOutcome, Status};
use crate::report::{BehaviourChange, Compat, SignatureChange};
use crate::source::case::TestCase;
use crate::source::host::{HOST_CALLS_GLOBAL, HOST_DIGEST_GLOBAL};
use crate::source::module_info::{self, ExportedFunc};
use std::collections::BTreeMap;
use wasmgate_runners::{Failure, Val};

fn signature(f: &ExportedFunc) -> String {
    let names = |ts: &[wasmgate_runners::ValType]| ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(" ");
    format!("(param {}) (result {})", names(&f.params), names(&f.results))
}

/// The export part of the comparison, and the exports both versions share
/// with the same signature (the only ones the same calls can be made on).
pub fn exports(
    old: &[u8],
    new: &[u8],
    old_name: &str,
    new_name: &str,
) -> anyhow::Result<(Compat, Vec<String>)> {
    let old_funcs = module_info::inspect(old)?.funcs;
    let new_funcs = module_info::inspect(new)?.funcs;
    let mut compat = Compat {
        old: old_name.to_string(),
        new: new_name.to_string(),
        ..Compat::default()
    };
    let mut common = Vec::new();
    for f in &old_funcs {
        match new_funcs.iter().find(|g| g.name == f.name) {
            None => compat.removed.push(f.name.clone()),
            Some(g) if g.params != f.params || g.results != f.results => {
                compat.changed.push(SignatureChange {
                    export: f.name.clone(),
                    old: signature(f),
                    new: signature(g),
                })
            }
            Some(_) => common.push(f.name.clone()),
        }
    }
    compat.added = new_funcs
        .iter()
        .filter(|g| !old_funcs.iter().any(|f| f.name == g.name))
        .map(|g| g.name.clone())
        .collect();
    Ok((compat, common))
}

/// What a call did, as compared between versions: its result (NaNs alike,
/// traps by kind) and the host calls made so far.
fn behaviour(record: &CallRecord) -> Option<String> {
    let result = match &record.result {
        CallResult::Returned(values) => {
            let vals: Vec<String> = values
                .iter()
                .map(|v| {
                    if v.is_nan() {
                        format!("{}:nan", v.ty())
                    } else {
                        v.pretty()
                    }
                })
                .collect();
            format!("returned [{}]", vals.join(", "))
        }
        CallResult::Failed(Failure::Trap { trap, .. }) => format!("trap {}", trap.vague()),
        // Running out of a resource may happen anywhere: not a behaviour.
        CallResult::Failed(Failure::Exhausted { .. }) => return None,
        CallResult::Failed(Failure::Unsupported { .. }) => return None,
        CallResult::Failed(Failure::Error { .. }) => "error".to_string(),
        CallResult::Failed(Failure::Exception { tag, payload }) => {
            let payload: Vec<String> = payload.iter().map(|v| v.pretty()).collect();
            format!("exception tag {tag} ({})", payload.join(", "))
        }
    };
    let global = |name: &str| {
        record
            .state
            .globals
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    };
    Some(match (global(HOST_CALLS_GLOBAL), global(HOST_DIGEST_GLOBAL)) {
        (Some(Val::I32(n)), Some(Val::I64(d))) if n > 0 => {
            format!(
                "{result}; {n} host calls so far (digest {})",
                crate::compare::digest_text(d)
            )
        }
        _ => result,
    })
}

fn status(o: &EngineOutcome) -> Option<String> {
    match &o.status {
        Status::Ran => None,
        Status::Skipped { .. } => Some("skipped".into()),
        Status::Rejected { .. } => Some("rejected".into()),
        Status::InstantiateFailed { failure } => Some(format!("instantiation failed ({failure})")),
        Status::Crashed { .. } => Some("crashed".into()),
    }
}

/// Call-by-call differences between the old and the new version's outcomes,
/// engine by engine, grouped by call and difference.
pub fn behaviour_changes(case: &TestCase, old: &CaseResult, new: &CaseResult) -> Vec<BehaviourChange> {
    let (Some(old), Some(new)) = (&old.outcomes, &new.outcomes) else {
        return vec![];
    };
    let mut changes: BTreeMap<(usize, String, String), Vec<String>> = BTreeMap::new();
    for o in old {
        let Some(n) = new.iter().find(|n| n.engine == o.engine) else {
            continue;
        };
        if matches!(o.status, Status::Skipped { .. }) || matches!(n.status, Status::Skipped { .. }) {
            continue;
        }
        match (status(o), status(n)) {
            (None, None) => {}
            (a, b) if a != b => {
                let show = |s: Option<String>| s.unwrap_or_else(|| "instantiated".into());
                changes
                    .entry((usize::MAX, show(a), show(b)))
                    .or_default()
                    .push(o.engine.clone());
                continue;
            }
            _ => continue,
        }
        for (i, (a, b)) in o.calls.iter().zip(&n.calls).enumerate() {
            if let (Some(a), Some(b)) = (behaviour(a), behaviour(b))
                && a != b
            {
                changes.entry((i, a, b)).or_default().push(o.engine.clone());
            }
        }
    }
    changes
        .into_iter()
        .map(|((i, old, new), engines)| {
            let call = case.calls.get(i);
            BehaviourChange {
                call: if i == usize::MAX { 0 } else { i },
                export: call.map_or("(instantiation)".to_string(), |c| c.export.clone()),
                args: call.map(|c| c.args.clone()).unwrap_or_default(),
                old,
                new,
                engines,
            }
        })
        .collect()
}
