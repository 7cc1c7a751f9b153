//! Root causes, case by case: which operator in which code shape explains a
//! divergence.
//!
//! A divergence's signature says *where* it showed (kind, step, who
//! disagreed); one engine bug shows in many places, and two bugs can show in
//! the same place. A cause is found by taking code shapes out of a case's
//! module, one operator at a time, without changing what the module means
//! ([`unshape`]): a comparison that fed a branch (`br_if`, `if`) or a
//! `select` — two shapes — gets `(i32.const 0) (i32.or)` in between, a
//! constant operand goes through a local. When the engines then agree, that operator in that shape is (part
//! of) the cause, `cause-xxxxxxxx`, which reports show and the
//! known-divergence list can name.
//!
//! Replays run on a small vote (the blamed engines and two engines of the
//! majority, taken from the run's own engines, so a faulty engine stays
//! faulty) on the campaign's [`Bench`]: in worker processes under process
//! isolation, so an engine that crashes on a rewritten module costs one
//! explanation, never the report. The rewritten modules mean the same as the
//! original, which terminated, so they do too; a replay that crashes or hangs
//! cures nothing. A divergence without a majority (two
//! code bases left voting) is replayed on one engine of each: a known cause
//! of either may explain it, a new one is never named there.

use crate::compare::{At, Divergence, DivergenceKind, Verdict};
use crate::isolate::bench::Bench;
pub use crate::report::Cause;
use crate::source::case::TestCase;
use crate::source::rewrite::{Shape, export_names, in_shape, unshape};
use sha2::{Digest, Sha256};

/// How dear an engine is to replay a small module on: in-process
/// interpreters and single-pass compilers, then in-process optimising
/// compilers, then engines in other processes (a full search replays a
/// module once per group of shapes, so compile time is most of it).
fn replay_cost(e: &str) -> u8 {
    let external = ["v8-", "jsc-", "spidermonkey-"].iter().any(|p| e.starts_with(p)) || e.contains('@');
    let quick = ["wasmi", "wasmtime-winch", "wasmer-singlepass"].contains(&e);
    match (external, quick) {
        (true, _) => 2,
        (false, true) => 0,
        (false, false) => 1,
    }
}

/// The names of the small vote replays run on: the blamed engines and up to
/// two engines of the majority, other code bases and cheap ones first.
fn vote(d: &Divergence) -> Vec<String> {
    let mut names: Vec<String> = d.blamed.clone();
    let blamed_bases: Vec<&str> = d.blamed.iter().map(|b| crate::compare::code_base(b)).collect();
    let mut majority: Vec<&String> = d
        .groups
        .first()
        .map(|g| g.engines.iter().collect())
        .unwrap_or_default();
    majority.sort_by_key(|e| {
        (
            blamed_bases.contains(&crate::compare::code_base(e)),
            replay_cost(e),
        )
    });
    let mut bases = Vec::new();
    for e in majority {
        let base = crate::compare::code_base(e);
        if !bases.contains(&base) && bases.len() < 2 {
            bases.push(base);
            names.push(e.clone());
        }
    }
    names
}

/// Without a majority, the small vote is one engine of each code base
/// involved, cheap ones first.
fn one_per_base(d: &Divergence) -> Vec<String> {
    let mut engines: Vec<&String> = d.blamed.iter().collect();
    engines.sort_by_key(|e| replay_cost(e));
    let mut bases = Vec::new();
    let mut names = Vec::new();
    for e in engines {
        let base = crate::compare::code_base(e);
        if !bases.contains(&base) {
            bases.push(base);
            names.push(e.clone());
        }
    }
    names
}

/// Where a step falls in a case: compile, instantiate, then the calls in order.
fn rank(at: &At) -> (u8, usize) {
    match at.phase.as_str() {
        "compile" => (0, 0),
        "instantiate" => (1, 0),
        "call" => (2, at.call.unwrap_or(0)),
        _ => (3, 0),
    }
}

/// Where a step named as [`Verdict::Inconclusive`] names it (`compile`,
/// `instantiate`, `call 3 …`) falls, as [`rank`] orders steps.
fn step_rank(step: &str) -> Option<(u8, usize)> {
    match step.split(' ').collect::<Vec<_>>().as_slice() {
        ["compile"] => Some((0, 0)),
        ["instantiate"] => Some((1, 0)),
        ["call", n, ..] => Some((2, n.parse().ok()?)),
        _ => None,
    }
}

/// A cause id: the same text gives the same id.
pub fn id_of(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    format!(
        "cause-{:02x}{:02x}{:02x}{:02x}",
        hash[0], hash[1], hash[2], hash[3]
    )
}

/// What taking a shape out of a case did to its divergence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cure {
    /// The engines agree: the shape explains the whole divergence.
    Full,
    /// The first divergence is gone, but the engines disagree later: the
    /// shape explains it, and another divergence hid behind it.
    First,
    /// The divergence stays.
    None,
}

/// One operator in one shape, with the cause text it would give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub shape: Shape,
    pub op: String,
    /// `wasmi: i32.eqz feeding a select`.
    pub text: String,
}

impl Candidate {
    /// The shape a cause text names (`wasmi: i32.eqz feeding a select`,
    /// with or without the words of [`HID`]).
    pub fn parse(text: &str) -> Option<Candidate> {
        let plain = text.strip_suffix(&format!(", {HID}")).unwrap_or(text);
        let (_, shape_text) = plain.split_once(": ")?;
        for shape in Shape::ALL {
            let suffix = shape.describe("");
            if let Some(op) = shape_text.strip_suffix(&suffix)
                && !op.is_empty()
            {
                return Some(Candidate {
                    shape,
                    op: op.to_string(),
                    text: plain.to_string(),
                });
            }
        }
        None
    }
}

/// One case replayed on the small vote of its divergence.
pub struct Replayer<'a> {
    bench: &'a Bench<'a>,
    /// The engines of the small vote.
    names: Vec<String>,
    case: &'a TestCase,
    /// The first divergence of the original module on the vote.
    at: At,
    /// The blamed code bases, as cause texts name them.
    bases: String,
    /// Without a majority, the code bases involved, one by one: a known
    /// cause of one of them may explain the case, but no new cause is named
    /// (nothing says which side is wrong).
    suspects: Option<Vec<String>>,
}

/// Blamed code bases, sorted and joined: `jsc`, `wasmi`.
fn bases_of(engines: &[String]) -> String {
    let mut bases: Vec<&str> = engines.iter().map(|e| crate::compare::code_base(e)).collect();
    bases.sort();
    bases.dedup();
    bases.join(", ")
}

impl<'a> Replayer<'a> {
    /// A replayer for `case`, whose divergence `d` was seen on `all`: none
    /// when the divergence has no cause to look for (crashes, hangs), an
    /// engine of the vote is not among `all`, or the vote does not show it
    /// again with the same code bases blamed. Named by code base: which of an
    /// engine's tiers shows a bug can vary from run to run (JavaScriptCore
    /// tiers up in the background). Without a majority (two engines left
    /// voting, say) the vote is one engine per code base involved, and only
    /// known causes of one of them are tried ([`explain`]).
    pub fn new(bench: &'a Bench<'a>, case: &'a TestCase, d: &Divergence) -> Option<Self> {
        if matches!(d.kind, DivergenceKind::Crash | DivergenceKind::Hang) {
            return None;
        }
        // A vote naming an engine the bench lacks replays nothing: none.
        let names = if d.majority { vote(d) } else { one_per_base(d) };
        let bases = bases_of(&d.blamed);
        let suspects = (!d.majority).then(|| bases.split(", ").map(str::to_string).collect());
        let mut r = Replayer {
            bench,
            names,
            case,
            at: At::default(),
            bases,
            suspects,
        };
        let Some(Verdict::Diverge(first)) = r.run(case.wasm.clone()) else {
            return None;
        };
        if first.majority != d.majority || bases_of(&first.blamed) != r.bases {
            return None;
        }
        r.at = first.at;
        Some(r)
    }

    /// The vote's verdict on the case with module `wasm`; none when a
    /// replay crashed or hung, or is itself a crash or a hang.
    fn run(&self, wasm: Vec<u8>) -> Option<Verdict> {
        let mut c = self.case.clone();
        // A shape taken out of export names renames exports: the calls and
        // the state read follow them, export by export.
        let (old, new) = (export_names(&c.wasm), export_names(&wasm));
        if old != new && old.len() == new.len() {
            let renamed = |name: &mut String| {
                if let Some(i) = old.iter().position(|o| o == name) {
                    *name = new[i].clone();
                }
            };
            c.calls.iter_mut().for_each(|call| renamed(&mut call.export));
            c.globals.iter_mut().for_each(renamed);
            c.memories.iter_mut().for_each(renamed);
        }
        c.wasm = wasm;
        match self.bench.judge(&self.names, &c)?.verdict.ok()? {
            Verdict::Diverge(d) if matches!(d.kind, DivergenceKind::Crash | DivergenceKind::Hang) => None,
            v => Some(v),
        }
    }

    /// Every operator in every shape of the case's module, blamed on the
    /// blamed code bases (without a majority: on each of them alone).
    pub fn candidates(&self) -> Vec<Candidate> {
        let bases = match &self.suspects {
            Some(each) => each.clone(),
            None => vec![self.bases.clone()],
        };
        let mut out = Vec::new();
        for shape in Shape::ALL {
            for op in in_shape(&self.case.wasm, shape) {
                for b in &bases {
                    let text = format!("{b}: {}", shape.describe(&op));
                    out.push(Candidate {
                        shape,
                        op: op.clone(),
                        text,
                    });
                }
            }
        }
        out
    }

    /// Whether the divergence had a majority (so a new cause may be named).
    pub fn has_majority(&self) -> bool {
        self.suspects.is_none()
    }

    /// What taking every one of `shapes` out of the module does.
    pub fn cure(&self, shapes: &[&Candidate]) -> Cure {
        self.try_cure(shapes).unwrap_or(Cure::None)
    }

    /// [`Replayer::cure`], or none when a shape could not be taken out.
    fn try_cure(&self, shapes: &[&Candidate]) -> Option<Cure> {
        let mut wasm = self.case.wasm.clone();
        for c in shapes {
            wasm = unshape(&wasm, &c.op, c.shape).ok()?;
        }
        Some(match self.run(wasm)? {
            Verdict::Agree { .. } => Cure::Full,
            Verdict::Diverge(d) if rank(&d.at) > rank(&self.at) => Cure::First,
            // Agreed through the divergence, then out of a resource the
            // original case needs as well (the rewrite keeps its meaning):
            // everything comparable agrees.
            Verdict::Inconclusive { at: Some(step), .. }
                if step_rank(&step).is_some_and(|r| r > rank(&self.at)) =>
            {
                Cure::Full
            }
            _ => Cure::None,
        })
    }

    /// The candidates whose shape, taken out alone, cures the case
    /// ([`curing`]); `par` groups are replayed side by side.
    pub fn curing<'c>(&self, candidates: &[&'c Candidate], par: usize) -> Vec<&'c Candidate> {
        curing(candidates, par, &|group: &[&Candidate]| self.try_cure(group))
    }
}

/// The items of `items` that cure alone, found by taking out groups: a
/// group whose removal leaves the divergence as it was holds none (taking
/// shapes out keeps the module's meaning, so more of them taken out cannot
/// bring back a divergence one of them cured), and a group that cures — or
/// cannot be taken out at once — is halved until single items remain. A
/// module with one cause among 200 operators costs about 16 replays instead
/// of 200. `par` halves run side by side.
fn curing<T: Copy + Send + Sync>(
    items: &[T],
    par: usize,
    try_cure: &(dyn Fn(&[T]) -> Option<Cure> + Sync),
) -> Vec<T> {
    if items.is_empty() {
        return vec![];
    }
    let whole = try_cure(items);
    if whole == Some(Cure::None) {
        return vec![];
    }
    if let [one] = items {
        return if whole.is_some() { vec![*one] } else { vec![] };
    }
    let (a, b) = items.split_at(items.len() / 2);
    let (mut x, y) = if par > 1 {
        std::thread::scope(|s| {
            let y = s.spawn(|| curing(b, par / 2, try_cure));
            (curing(a, par - par / 2, try_cure), y.join().unwrap_or_default())
        })
    } else {
        (curing(a, 1, try_cure), curing(b, 1, try_cure))
    };
    x.extend(y);
    x
}

/// The words added to a known cause's text when it explains a case's first
/// divergence but the engines still disagree later once it is taken out.
pub const HID: &str = "and a later divergence it hid";

/// What explains one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Explained {
    /// A cause the known list names, which explains all of the case.
    Known(String),
    /// A known cause that explains only the case's first divergence.
    KnownHiding(String),
    /// A cause the known list does not name.
    New(String),
    /// No single shape explains it (or the small vote did not show it again).
    Nothing,
}

impl Explained {
    /// The cause text a finding of such cases carries, if any.
    pub fn text(&self) -> Option<String> {
        match self {
            Explained::Known(t) | Explained::New(t) => Some(t.clone()),
            Explained::KnownHiding(t) => Some(format!("{t}, {HID}")),
            Explained::Nothing => None,
        }
    }
}

/// Causes seen so far in a campaign, most frequent first when tried again:
/// later cases are tried against them before a full search.
#[derive(Debug, Default)]
pub struct Seen {
    counts: std::collections::BTreeMap<String, usize>,
    /// Full searches left (each replays every shape of a case).
    pub searches_left: usize,
}

impl Seen {
    /// A record allowing `searches` full searches.
    pub fn new(searches: usize) -> Self {
        Seen {
            counts: Default::default(),
            searches_left: searches,
        }
    }

    fn ranked(&self) -> Vec<&str> {
        let mut v: Vec<(&str, usize)> = self.counts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        v.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), *k));
        v.into_iter().map(|(k, _)| k).collect()
    }
}

/// Explains one case: first by the known causes (`known` holds their ids),
/// each tried alone and then together; then by causes other cases of the
/// campaign had; then by a full search over every shape of the module.
/// Without a majority only the known causes are tried: a known bug of one
/// engine explains a two-engine disagreement when taking its shape out makes
/// them agree, but a new cause would have to blame a side nothing chose.
pub fn explain(r: &Replayer, known: &[String], seen: &mut Seen) -> Explained {
    let candidates = r.candidates();
    let known_here: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| known.contains(&id_of(&c.text)))
        .collect();
    let mut partial = None;
    for c in &known_here {
        match r.cure(&[c]) {
            Cure::Full => return Explained::Known(c.text.clone()),
            Cure::First if partial.is_none() => partial = Some(c.text.clone()),
            _ => {}
        }
    }
    if let Some(text) = partial {
        // Two known bugs in one case: it is known when both together explain it.
        return if known_here.len() > 1 && r.cure(&known_here) == Cure::Full {
            Explained::Known(text)
        } else {
            Explained::KnownHiding(text)
        };
    }
    // Known bugs in several places of one module (a rejection that names
    // whichever it meets first): none cures alone, all of them together do.
    // Those not needed are dropped one by one, so the cause named is one the
    // case needs, never a known shape that merely occurs in it.
    if known_here.len() > 1 && r.cure(&known_here) == Cure::Full {
        let mut needed = known_here.clone();
        let mut i = 0;
        while i < needed.len() && needed.len() > 1 {
            let mut rest = needed.clone();
            rest.remove(i);
            if r.cure(&rest) == Cure::Full {
                needed = rest;
            } else {
                i += 1;
            }
        }
        return Explained::Known(needed[0].text.clone());
    }
    if !r.has_majority() {
        return Explained::Nothing;
    }
    for text in seen.ranked() {
        if let Some(c) = candidates.iter().find(|c| c.text == text)
            && r.cure(&[c]) != Cure::None
        {
            let text = text.to_string();
            *seen.counts.entry(text.clone()).or_default() += 1;
            return Explained::New(text);
        }
    }
    if seen.searches_left == 0 {
        return Explained::Nothing;
    }
    seen.searches_left -= 1;
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let others: Vec<&Candidate> = candidates.iter().filter(|c| !known_here.contains(c)).collect();
    let cures = r.curing(&others, jobs);
    for c in &cures {
        *seen.counts.entry(c.text.clone()).or_default() += 1;
    }
    // The cure other cases share most (then the first by name): one bug, one id.
    match cures
        .iter()
        .min_by_key(|c| (std::cmp::Reverse(seen.counts[&c.text]), c.text.as_str()))
    {
        Some(c) => Explained::New(c.text.clone()),
        None => Explained::Nothing,
    }
}

/// The cause a text names.
pub fn cause_of(text: String) -> Cause {
    Cause {
        id: id_of(&text),
        text,
        also: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_search_finds_every_single_cure_in_few_replays() {
        // Items 37 and 150 cure alone (150 only the first divergence); 99
        // cannot be taken out; 10 and 11 cure only together.
        let replays = std::sync::atomic::AtomicUsize::new(0);
        let try_cure = |group: &[usize]| {
            replays.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if group.contains(&99) {
                None
            } else if group.contains(&37) || (group.contains(&10) && group.contains(&11)) {
                Some(Cure::Full)
            } else if group.contains(&150) {
                Some(Cure::First)
            } else {
                Some(Cure::None)
            }
        };
        let items: Vec<usize> = (0..200).collect();
        for par in [1, 2, 4] {
            replays.store(0, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(curing(&items, par, &try_cure), vec![37, 150], "par {par}");
            let n = replays.load(std::sync::atomic::Ordering::Relaxed);
            assert!(n < 80, "{n} replays for 200 items");
        }
        assert_eq!(curing(&[5usize, 6], 2, &try_cure), Vec::<usize>::new());
        assert_eq!(curing(&[] as &[usize], 2, &try_cure), Vec::<usize>::new());
    }

    #[test]
    fn an_inconclusive_step_is_ranked_like_the_divergence_it_follows() {
        let call = |n| At {
            phase: "call".into(),
            call: Some(n),
            ..At::default()
        };
        assert_eq!(
            step_rank("compile"),
            Some(rank(&At {
                phase: "compile".into(),
                ..At::default()
            }))
        );
        assert!(step_rank("instantiate").unwrap() > step_rank("compile").unwrap());
        assert_eq!(step_rank("call 3 f(i32:1)"), Some(rank(&call(3))));
        assert!(step_rank("call 3 f(i32:1)").unwrap() > rank(&call(2)));
        assert_eq!(step_rank("somewhere"), None);
    }
}
