//! WASI runs compared: exit (a `proc_exit` code, a trap, or the runtime's
//! own error, kept apart), then stdout, stderr and the files left in the
//! pre-opened folders, in that order; the first that differs is the
//! divergence, voted on by code base like any other. Expectations written
//! in the case (stdout, stderr, exit code) are the oracle where given.

use super::rules::{At, Divergence, DivergenceKind, Group, Observed, Verdict, signature_of, vote};
use crate::execute::wasi::WasiObserved;
use crate::source::wasi_case::{WasiCase, WasiExpect};
use wasmgate_runners::Failure;
use wasmgate_runners::wasi::WasiEnd;

/// How a run ended, as compared: error messages are the runtimes' own and
/// not compared, trap kinds are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum End {
    Exit(i32),
    Trap(wasmgate_runners::TrapKind),
    Error,
}

fn end(o: &WasiObserved) -> Result<End, String> {
    match &o.output.end {
        WasiEnd::Exit { code } => Ok(End::Exit(*code)),
        WasiEnd::Failed { failure } => match failure {
            Failure::Trap { trap, .. } => Ok(End::Trap(trap.vague())),
            Failure::Error { .. } => Ok(End::Error),
            Failure::Exhausted { resource, .. } => Err(format!("exhausted {resource}")),
            Failure::Unsupported { .. } => Err("unsupported".into()),
            Failure::Exception { .. } => Ok(End::Trap(wasmgate_runners::TrapKind::UncaughtException)),
        },
    }
}

fn describe_end(o: &WasiObserved) -> String {
    match &o.output.end {
        WasiEnd::Exit { code } => format!("exit {code}"),
        WasiEnd::Failed { failure } => failure.to_string(),
    }
}

/// At most `limit` characters of `bytes`, quoted.
pub fn excerpt(bytes: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut short: String = text.chars().take(limit).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("{short:?} ({} bytes)", bytes.len())
}

fn listing(o: &WasiObserved) -> String {
    o.files
        .iter()
        .map(|(path, entry)| format!("{path}: {entry}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn digest(bytes: &[u8]) -> String {
    format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// One aspect of a run, compared across engines.
struct Aspect {
    kind: DivergenceKind,
    key: fn(&WasiObserved) -> String,
    describe: fn(&WasiObserved) -> String,
    outcome: fn(&WasiObserved) -> Observed,
}

const ASPECTS: [Aspect; 4] = [
    Aspect {
        kind: DivergenceKind::Exit,
        key: |o| format!("{:?}", end(o)),
        describe: describe_end,
        outcome: |o| match &o.output.end {
            WasiEnd::Exit { code } => Observed::Exited { code: *code },
            WasiEnd::Failed {
                failure: Failure::Trap { trap, .. },
            } => Observed::Trapped { trap: *trap },
            WasiEnd::Failed { .. } => Observed::Error,
        },
    },
    Aspect {
        kind: DivergenceKind::Stdout,
        key: |o| digest(&o.output.stdout),
        describe: |o| format!("stdout {}", excerpt(&o.output.stdout, 120)),
        outcome: |o| wrote("stdout", &o.output.stdout),
    },
    Aspect {
        kind: DivergenceKind::Stderr,
        key: |o| digest(&o.output.stderr),
        describe: |o| format!("stderr {}", excerpt(&o.output.stderr, 120)),
        outcome: |o| wrote("stderr", &o.output.stderr),
    },
    Aspect {
        kind: DivergenceKind::Files,
        key: listing,
        describe: |o| format!("files: {}", listing(o)),
        outcome: |o| wrote("files", listing(o).as_bytes()),
    },
];

fn wrote(what: &str, bytes: &[u8]) -> Observed {
    Observed::Wrote {
        what: what.into(),
        bytes: bytes.len() as u64,
        sha256: digest(bytes),
    }
}

fn at(index: usize) -> At {
    At {
        phase: "run".into(),
        call: Some(index),
        export: Some("_start".into()),
        args: vec![],
    }
}

/// The step text of run `index` of `program`.
pub fn step(program: &str, index: usize, case: &WasiCase) -> String {
    format!(
        "run {index} of {program} ({}): {}",
        case.name,
        shell_words(&case.args)
    )
}

/// Arguments as a shell would need them written.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.,/:=+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `o` did where it missed `expect` (its end, then its output), or
/// `None` when it does what `expect` says.
pub fn miss(o: &WasiObserved, expect: &WasiExpect) -> Option<String> {
    if meets(o, expect) {
        return None;
    }
    let mut got = vec![describe_end(o)];
    if expect
        .stdout
        .as_ref()
        .is_some_and(|s| s.as_bytes() != o.output.stdout.as_slice())
    {
        got.push(format!("stdout {}", excerpt(&o.output.stdout, 120)));
    }
    if expect
        .stderr
        .as_ref()
        .is_some_and(|s| s.as_bytes() != o.output.stderr.as_slice())
    {
        got.push(format!("stderr {}", excerpt(&o.output.stderr, 120)));
    } else if !o.output.stderr.is_empty() {
        // What the program said on stderr is the evidence of why it failed.
        got.push(format!("stderr {}", excerpt(&o.output.stderr, 200)));
    }
    Some(got.join(", "))
}

/// Whether `o` does what `expect` says.
fn meets(o: &WasiObserved, expect: &WasiExpect) -> bool {
    let exit = expect
        .exit
        .is_none_or(|code| o.output.end == WasiEnd::Exit { code });
    let stdout = expect
        .stdout
        .as_ref()
        .is_none_or(|s| s.as_bytes() == o.output.stdout.as_slice());
    let stderr = expect
        .stderr
        .as_ref()
        .is_none_or(|s| s.as_bytes() == o.output.stderr.as_slice());
    exit && stdout && stderr
}

/// Compares run `index` of `program` (case `case`) over every engine's observation.
pub fn compare(program: &str, index: usize, case: &WasiCase, observed: &[&WasiObserved]) -> Verdict {
    let step = step(program, index, case);
    if observed.len() < 2 && case.expect.is_empty() {
        return Verdict::Inconclusive {
            reason: "fewer than two engines ran".into(),
            at: Some(step),
        };
    }
    if let Some(why) = observed.iter().find_map(|o| end(o).err()) {
        return Verdict::Inconclusive {
            reason: why,
            at: Some(step),
        };
    }
    let misses: Vec<&str> = observed
        .iter()
        .filter(|o| !meets(o, &case.expect))
        .map(|o| o.engine.as_str())
        .collect();
    if !misses.is_empty() {
        return missed(program, index, step, case, observed, &misses);
    }
    for aspect in &ASPECTS {
        let (mut groups, shown) = group(observed, aspect.key, aspect.describe, aspect.outcome);
        if groups.len() < 2 {
            continue;
        }
        let (majority, voters, blamed) = vote(&mut groups);
        let class = format!("{program}: {}", aspect.kind);
        let (signature, signature_text) = signature_of(&blamed, aspect.kind, &class);
        return Verdict::Diverge(Divergence {
            step,
            at: at(index),
            kind: aspect.kind,
            groups: groups_of(&groups, &shown),
            blamed,
            majority,
            code_bases: voters,
            signature,
            signature_text,
            expected: None,
            stated: None,
        });
    }
    Verdict::Agree {
        engines: observed.len(),
    }
}

type Shown = Vec<(String, String, Observed)>;

/// Engines grouped by `key`, with each group's description.
fn group<'a>(
    observed: &[&'a WasiObserved],
    key: fn(&WasiObserved) -> String,
    describe: fn(&WasiObserved) -> String,
    outcome: fn(&WasiObserved) -> Observed,
) -> (Vec<(String, Vec<&'a str>)>, Shown) {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    let mut shown = Vec::new();
    for o in observed {
        let k = key(o);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(&o.engine),
            None => {
                shown.push((k.clone(), describe(o), outcome(o)));
                groups.push((k, vec![&o.engine]));
            }
        }
    }
    (groups, shown)
}

/// Engines `misses` did not do what the case expects: the expectation is
/// the oracle, so they are blamed whatever the vote.
fn missed(
    program: &str,
    index: usize,
    step: String,
    case: &WasiCase,
    observed: &[&WasiObserved],
    misses: &[&str],
) -> Verdict {
    let mut blamed: Vec<String> = misses.iter().map(|s| s.to_string()).collect();
    blamed.sort();
    let expect = case.expect.to_string();
    let (signature, signature_text) =
        signature_of(&blamed, DivergenceKind::Expected, &format!("{program}: {expect}"));
    let (mut groups, shown) = group(
        observed,
        |o| {
            format!(
                "{:?} {} {}",
                end(o),
                digest(&o.output.stdout),
                digest(&o.output.stderr)
            )
        },
        |o| {
            format!(
                "{}, stdout {}, stderr {}",
                describe_end(o),
                excerpt(&o.output.stdout, 120),
                excerpt(&o.output.stderr, 120)
            )
        },
        ASPECTS[0].outcome,
    );
    let voters = if groups.len() > 1 {
        vote(&mut groups).1
    } else {
        observed.len() as u32
    };
    Verdict::Diverge(Divergence {
        step,
        at: at(index),
        kind: DivergenceKind::Expected,
        groups: groups_of(&groups, &shown),
        blamed,
        majority: true,
        code_bases: voters,
        signature,
        signature_text,
        expected: Some(expect),
        stated: None,
    })
}

fn groups_of(groups: &[(String, Vec<&str>)], shown: &[(String, String, Observed)]) -> Vec<Group> {
    groups
        .iter()
        .map(|(key, members)| {
            let (_, text, outcome) = shown
                .iter()
                .find(|(k, _, _)| k == key)
                .cloned()
                .unwrap_or_default();
            Group {
                engines: members.iter().map(|s| s.to_string()).collect(),
                observed: text,
                outcome,
            }
        })
        .collect()
}
