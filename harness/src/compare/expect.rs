//! Whether one engine's call did what a vectors file expects.

use crate::execute::{CallRecord, CallResult};
use crate::source::expect::{Expect, Outcome};
use crate::source::host::{HOST_CALLS_GLOBAL, HOST_DIGEST_GLOBAL};
use wasmgate_runners::{Failure, Val};

/// Whether `record` meets `expect`: results match their patterns (or the
/// call trapped with the expected kind), and the host calls made so far are
/// those expected.
pub fn meets(expect: &Expect, record: &CallRecord) -> bool {
    let outcome = match (&expect.outcome, &record.result) {
        (None, _) => true,
        (Some(Outcome::Returns(patterns)), CallResult::Returned(values)) => {
            patterns.len() == values.len() && patterns.iter().zip(values).all(|(p, v)| p.matches(v))
        }
        (Some(Outcome::Traps(kind)), CallResult::Failed(Failure::Trap { trap, .. })) => {
            kind.is_none_or(|k| k.within(*trap))
        }
        (Some(Outcome::Traps(kind)), CallResult::Failed(Failure::Exception { .. })) => {
            kind.is_none_or(|k| k == wasmgate_runners::TrapKind::UncaughtException)
        }
        _ => false,
    };
    let global = |name: &str| record.state.global(name);
    let calls = expect
        .host_calls
        .is_none_or(|n| global(HOST_CALLS_GLOBAL) == Some(Val::I32(n as i32)));
    let digest = expect.host_digest.as_ref().is_none_or(|d| {
        global(HOST_DIGEST_GLOBAL).is_some_and(|v| matches!(v, Val::I64(x) if digest_text(x) == *d))
    });
    outcome && calls && digest
}

/// The text form of a host-call digest, as vectors files write it.
pub fn digest_text(digest: i64) -> String {
    format!("{:016x}", digest as u64)
}
