//! The campaign journal: `journal.jsonl` in the report folder, one header line
//! with the run's parameters, then one line per finished case, appended and
//! flushed as each case ends (after its bundle is on disk), and now and then a
//! line with the run's elapsed time. A run killed at any moment resumes from it
//! with `wasmgate run --resume DIR` without losing or re-reporting a finding.
//!
//! Every body line carries the header's run id; on resume a line of another
//! run, a seed outside the run's range or shard, a seed seen twice and a line
//! cut short by a kill are dropped and counted.

use crate::compare::judge::CaseResult;
use crate::report::{SeedRange, Shard};
use crate::source::profile::Profile;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::Path;
use std::sync::Mutex;

/// File name of the journal inside a report folder.
pub const FILE: &str = "journal.jsonl";

/// The journal format this wasmgate writes and reads.
pub const VERSION: u32 = 2;

/// The first line: what the run is, so `--resume` needs nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub journal: u32,
    /// Tags every body line, so lines of another run are never counted.
    pub id: String,
    pub name: String,
    pub profile: Profile,
    pub seeds: SeedRange,
    pub shard: Option<Shard>,
    pub engines: Vec<String>,
    /// Engines asked for that could not run, reported again on resume.
    #[serde(default)]
    pub unavailable: Vec<crate::execute::engines::Unavailable>,
    /// The run's time budget (`--time`), which a resume continues.
    #[serde(default)]
    pub time_limit_ms: Option<u64>,
    /// The wasmgate version and generator that wrote the journal: a resume
    /// under another one would mix cases of two generators in one report.
    pub tool_version: String,
    pub generator_version: String,
}

impl Header {
    /// Refuses a journal written by another wasmgate or generator.
    pub fn check_same_tool(&self, path: &Path) -> Result<()> {
        let (tool, generator) = (
            env!("CARGO_PKG_VERSION"),
            crate::source::generate::GENERATOR_VERSION,
        );
        if self.tool_version != tool || self.generator_version != generator {
            bail!(
                "cannot resume: {} was written by wasmgate {} with generator {}, this is wasmgate {tool} with generator {generator}; start a new run",
                path.display(),
                self.tool_version,
                self.generator_version
            );
        }
        Ok(())
    }

    /// Whether `seed` belongs to this run.
    fn covers(&self, seed: u64) -> bool {
        seed >= self.seeds.start && seed < self.seeds.end && self.shard.is_none_or(|s| s.contains(seed))
    }
}

/// One body line.
#[derive(Serialize, Deserialize)]
struct Line {
    run: String,
    #[serde(flatten)]
    entry: Entry,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    /// A finished case.
    Case(Box<CaseResult>),
    /// Wall time the run has spent so far, over all its sessions.
    ElapsedMs(u64),
}

/// What a resume found in the journal.
#[derive(Debug, Default)]
pub struct Resumed {
    pub cases: Vec<CaseResult>,
    /// Wall time the earlier sessions spent.
    pub elapsed_ms: u64,
    /// Lines dropped, and why (empty when none was).
    pub dropped: Vec<String>,
}

/// An open journal, shared by the campaign's threads.
pub struct Journal {
    id: String,
    file: Mutex<File>,
}

impl Journal {
    /// Starts a new journal in `dir`, replacing any old one.
    pub fn create(dir: &Path, header: &Header) -> Result<Journal> {
        let path = dir.join(FILE);
        let mut file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(format!("{}\n", serde_json::to_string(header)?).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Journal {
            id: header.id.clone(),
            file: Mutex::new(file),
        })
    }

    /// The header of the journal in `dir`, checked as `--resume` checks it.
    pub fn header(dir: &Path) -> Result<Header> {
        let path = dir.join(FILE);
        let file =
            File::open(&path).with_context(|| format!("cannot resume: no journal at {}", path.display()))?;
        let first = BufReader::new(file)
            .lines()
            .next()
            .transpose()?
            .unwrap_or_default();
        if first.is_empty() {
            bail!(
                "cannot resume: {} is empty (the run was stopped before it started); start it again",
                path.display()
            );
        }
        let value: serde_json::Value = serde_json::from_str(&first)
            .with_context(|| format!("cannot resume: {} has no valid header line", path.display()))?;
        let version = value.get("journal").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != VERSION as u64 {
            bail!(
                "cannot resume: {} is journal version {version}, this wasmgate reads version {VERSION}; start a new run",
                path.display()
            );
        }
        let header: Header = serde_json::from_value(value)
            .with_context(|| format!("cannot resume: {} has no valid header line", path.display()))?;
        header.check_same_tool(&path)?;
        Ok(header)
    }

    /// Opens the journal in `dir` for appending, returning its header and what
    /// it holds. Torn, foreign, out-of-range and repeated lines are dropped.
    pub fn resume(dir: &Path) -> Result<(Journal, Header, Resumed)> {
        let path = dir.join(FILE);
        let header = Self::header(dir)?;
        let mut lines = BufReader::new(File::open(&path)?).lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        let mut resumed = Resumed::default();
        let mut seen = HashSet::new();
        let (mut foreign, mut outside, mut repeated, mut torn) = (0, 0, 0, 0);
        let mut valid_len = first.len() as u64 + 1;
        for line in lines {
            let line = line?;
            let Ok(parsed) = serde_json::from_str::<Line>(&line) else {
                // Only the last line can be cut short by a kill; anything after it is not ours.
                torn += 1;
                break;
            };
            valid_len += line.len() as u64 + 1;
            if parsed.run != header.id {
                foreign += 1;
                continue;
            }
            match parsed.entry {
                Entry::ElapsedMs(ms) => resumed.elapsed_ms = resumed.elapsed_ms.max(ms),
                Entry::Case(r) if !header.covers(r.seed) => outside += 1,
                Entry::Case(r) if !seen.insert(r.seed) => repeated += 1,
                Entry::Case(r) => resumed.cases.push(*r),
            }
        }
        for (n, why) in [
            (foreign, "of another run"),
            (outside, "with a seed outside the run's seeds"),
            (repeated, "repeating a seed"),
            (torn, "cut short"),
        ] {
            if n > 0 {
                resumed.dropped.push(format!("{n} line(s) {why}"));
            }
        }
        let file = OpenOptions::new().write(true).open(&path)?;
        // Drop a torn last line so appends start on a line boundary.
        file.set_len(valid_len)?;
        let mut file = file;
        file.seek(std::io::SeekFrom::End(0))?;
        Ok((
            Journal {
                id: header.id.clone(),
                file: Mutex::new(file),
            },
            header,
            resumed,
        ))
    }

    fn append(&self, entry: Entry) -> Result<()> {
        let mut line = serde_json::to_string(&Line {
            run: self.id.clone(),
            entry,
        })?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(line.as_bytes())
            .context("appending to the journal")?;
        Ok(())
    }

    /// Appends one finished case (without its outcomes: those are in the bundle).
    pub fn record(&self, result: &CaseResult) -> Result<()> {
        let mut kept = result.clone();
        kept.outcomes = None;
        self.append(Entry::Case(Box::new(kept)))
    }

    /// Appends the run's elapsed wall time so far (over all sessions).
    pub fn record_elapsed(&self, ms: u64) -> Result<()> {
        self.append(Entry::ElapsedMs(ms))
    }
}
