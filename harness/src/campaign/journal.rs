//! The campaign journal: `journal.jsonl` in the report folder, one header line
//! with the run's parameters, then one line per finished case, appended and
//! flushed as each case ends (after its bundle is on disk). A run killed at any
//! moment resumes from it with `wasmgate run --resume DIR` without losing or
//! re-reporting a finding.

use crate::compare::judge::CaseResult;
use crate::report::{SeedRange, Shard};
use crate::source::profile::Profile;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;

/// File name of the journal inside a report folder.
pub const FILE: &str = "journal.jsonl";

/// The first line: what the run is, so `--resume` needs nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub journal: u32,
    pub name: String,
    pub profile: Profile,
    pub seeds: SeedRange,
    pub shard: Option<Shard>,
    pub engines: Vec<String>,
    /// Engines asked for that could not run, reported again on resume.
    #[serde(default)]
    pub unavailable: Vec<crate::execute::engines::Unavailable>,
    /// The wasmgate version and generator that wrote the journal: a resume
    /// under another one would mix cases of two generators in one report.
    #[serde(default)]
    pub tool_version: String,
    #[serde(default)]
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
            let was = |s: &str| {
                if s.is_empty() {
                    "an unrecorded version".to_string()
                } else {
                    s.to_string()
                }
            };
            bail!(
                "cannot resume: {} was written by wasmgate {} with generator {}, this is wasmgate {tool} with generator {generator}; start a new run",
                path.display(),
                was(&self.tool_version),
                was(&self.generator_version)
            );
        }
        Ok(())
    }
}

/// An open journal, shared by the campaign's threads.
pub struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Starts a new journal in `dir`, replacing any old one.
    pub fn create(dir: &Path, header: &Header) -> Result<Journal> {
        let path = dir.join(FILE);
        let mut file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(format!("{}\n", serde_json::to_string(header)?).as_bytes())?;
        Ok(Journal {
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
        let header: Header = serde_json::from_str(&first)
            .with_context(|| format!("cannot resume: {} has no valid header line", path.display()))?;
        if header.journal != 1 {
            bail!(
                "cannot resume: {} is journal version {}, this wasmgate reads version 1",
                path.display(),
                header.journal
            );
        }
        header.check_same_tool(&path)?;
        Ok(header)
    }

    /// Opens the journal in `dir` for appending, returning its header and every
    /// complete case line (a line cut short by a kill is dropped).
    pub fn resume(dir: &Path) -> Result<(Journal, Header, Vec<CaseResult>)> {
        let path = dir.join(FILE);
        let header = Self::header(dir)?;
        let file = File::open(&path)?;
        let mut lines = BufReader::new(file).lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        let mut done = Vec::new();
        let mut valid_len = first.len() as u64 + 1;
        for line in lines {
            let line = line?;
            match serde_json::from_str::<CaseResult>(&line) {
                Ok(r) => {
                    done.push(r);
                    valid_len += line.len() as u64 + 1;
                }
                Err(_) => break,
            }
        }
        let file = OpenOptions::new().write(true).open(&path)?;
        // Drop a torn last line so appends start on a line boundary.
        file.set_len(valid_len)?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))?;
        Ok((
            Journal {
                file: Mutex::new(file),
            },
            header,
            done,
        ))
    }

    /// Appends one finished case (without its outcomes: those are in the bundle).
    pub fn record(&self, result: &CaseResult) -> Result<()> {
        let mut line = serde_json::to_string(result)?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(line.as_bytes())
            .context("appending to the journal")?;
        Ok(())
    }
}
