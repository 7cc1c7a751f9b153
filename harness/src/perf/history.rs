//! Performance history in SQLite (rusqlite with its bundled SQLite): every
//! perf run appends its context and every measurement, so `wasmgate perf
//! history` can show the trend across builds.
//!
//! Schema version 1 (table `meta`, key `schema_version`):
//! - `runs(id, started_at, wasmgate_version, git_commit, host, engines, reps, warmup, report)`
//!   — `engines` is JSON: every engine's name and version;
//! - `measurements(run_id, engine, engine_version, workload, phase, clock, rep, ns)`
//!   — every kept sample;
//! - `summaries(run_id, engine, workload, phase, clock, median_ns, low_ns, high_ns,
//!   memory_bytes, peak_rss_bytes)` — the estimates the report shows.
//!
//! Two runs may append at once: SQLite's write-ahead log and a busy timeout
//! serialise the writers, and each run goes in one transaction. A file that
//! is not a history is refused before anything is written to it.

use crate::compare::perf::{PHASES, Phase};
use crate::report::perf::{PerfCell, TrendPoint};
use anyhow::{Result, anyhow, bail};
use rusqlite::{Connection, OpenFlags, params};
use std::path::Path;
use std::time::Duration;
use wasmgate_runners::EngineInfo;

/// Version of the history schema this wasmgate writes.
pub const HISTORY_SCHEMA_VERSION: i64 = 1;

/// Where the history goes by default.
pub const DEFAULT_FILE: &str = "reports/perf-history.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  wasmgate_version TEXT NOT NULL,
  git_commit TEXT,
  host TEXT NOT NULL,
  engines TEXT NOT NULL,
  reps INTEGER NOT NULL,
  warmup INTEGER NOT NULL,
  report TEXT
);
CREATE TABLE IF NOT EXISTS measurements (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  engine TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  workload TEXT NOT NULL,
  phase TEXT NOT NULL,
  clock TEXT NOT NULL,
  rep INTEGER NOT NULL,
  ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS summaries (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  engine TEXT NOT NULL,
  workload TEXT NOT NULL,
  phase TEXT NOT NULL,
  clock TEXT NOT NULL,
  median_ns REAL NOT NULL,
  low_ns REAL NOT NULL,
  high_ns REAL NOT NULL,
  memory_bytes INTEGER NOT NULL,
  peak_rss_bytes INTEGER
);
CREATE INDEX IF NOT EXISTS summaries_by_cell ON summaries (workload, engine, phase);
";

/// An open history file.
pub struct History {
    conn: Connection,
    path: String,
}

/// What a run appends besides its cells.
pub struct RunRecord<'a> {
    pub started_at: &'a str,
    pub engines: &'a [EngineInfo],
    pub reps: u32,
    pub warmup: u32,
    pub report: &'a str,
}

fn sql(path: &str) -> impl Fn(rusqlite::Error) -> anyhow::Error + '_ {
    move |e| anyhow!("{path} is not a usable wasmgate perf history: {e}")
}

impl History {
    /// Opens the history at `path`; with `create`, makes it if absent. An
    /// existing file that is not a history (or a newer one) is refused
    /// untouched.
    pub fn open(path: &Path, create: bool) -> Result<History> {
        let shown = path.display().to_string();
        let exists = path.exists();
        if !exists && !create {
            bail!("no perf history at {shown} (a `wasmgate perf` run writes one)");
        }
        if !exists && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        let flags = if exists {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).map_err(sql(&shown))?;
        conn.busy_timeout(Duration::from_secs(60)).map_err(sql(&shown))?;
        // Read before any write: a file that is not SQLite fails here.
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(sql(&shown))?;
        if !tables.is_empty() {
            if !tables.iter().any(|t| t == "meta") {
                bail!(
                    "{shown} is an SQLite file but not a wasmgate perf history (no `meta` table); it was left untouched"
                );
            }
            let version: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| {
                    r.get(0)
                })
                .map_err(sql(&shown))?;
            let version: i64 = version.and_then(|v| v.parse().ok()).unwrap_or(0);
            if version != HISTORY_SCHEMA_VERSION {
                bail!(
                    "{shown} is a perf history of schema {version}; this wasmgate reads schema {HISTORY_SCHEMA_VERSION}"
                );
            }
        } else if !create {
            bail!("{shown} holds no perf history");
        }
        // Switching to the write-ahead log answers "locked" at once, without
        // the busy timeout, while another run holds the file: wait here.
        retry(|| conn.pragma_update(None, "journal_mode", "WAL")).map_err(sql(&shown))?;
        // Tables and version in one transaction: a second run opening the
        // file meanwhile sees all of it or none (and then waits its turn).
        retry(|| conn.execute_batch("BEGIN IMMEDIATE")).map_err(sql(&shown))?;
        let init = conn.execute_batch(SCHEMA).and_then(|_| {
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
                params![HISTORY_SCHEMA_VERSION.to_string()],
            )
        });
        match init {
            Ok(_) => conn.execute_batch("COMMIT").map_err(sql(&shown))?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(sql(&shown)(e));
            }
        }
        Ok(History { conn, path: shown })
    }

    /// Appends one run and every measurement of `cells`, in one transaction;
    /// returns the run's number.
    pub fn append(&mut self, run: &RunRecord<'_>, cells: &[PerfCell]) -> Result<i64> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql(&path))?;
        let engines = serde_json::to_string(run.engines)?;
        tx.execute(
            "INSERT INTO runs (started_at, wasmgate_version, git_commit, host, engines, reps, warmup, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                run.started_at,
                env!("CARGO_PKG_VERSION"),
                git_commit(),
                host(),
                engines,
                run.reps,
                run.warmup,
                run.report
            ],
        )
        .map_err(sql(&path))?;
        let id = tx.last_insert_rowid();
        {
            let mut m = tx
                .prepare(
                    "INSERT INTO measurements (run_id, engine, engine_version, workload, phase, clock, rep, ns)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql(&path))?;
            let mut s = tx
                .prepare(
                    "INSERT INTO summaries (run_id, engine, workload, phase, clock, median_ns, low_ns, high_ns, memory_bytes, peak_rss_bytes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(sql(&path))?;
            for c in cells {
                let version = run
                    .engines
                    .iter()
                    .find(|e| e.name == c.engine)
                    .map_or("", |e| e.version.as_str());
                for phase in PHASES {
                    for (rep, ns) in c.samples.of(phase).iter().enumerate() {
                        m.execute(params![
                            id,
                            c.engine,
                            version,
                            c.workload,
                            phase.to_string(),
                            c.clock,
                            rep as i64,
                            *ns as i64
                        ])
                        .map_err(sql(&path))?;
                    }
                    let e = c.estimate(phase);
                    s.execute(params![
                        id,
                        c.engine,
                        c.workload,
                        phase.to_string(),
                        c.clock,
                        e.median_ns,
                        e.low_ns,
                        e.high_ns,
                        c.memory_bytes as i64,
                        c.peak_rss_bytes.map(|b| b as i64)
                    ])
                    .map_err(sql(&path))?;
                }
            }
        }
        tx.commit().map_err(sql(&path))?;
        Ok(id)
    }

    /// The medians of `phase`, run by run (oldest first), for the workloads
    /// and engines the filters name (all when `None`); the last `last` runs.
    pub fn trend(
        &self,
        workload: Option<&str>,
        engine: Option<&str>,
        phase: Phase,
        last: u32,
    ) -> Result<Vec<TrendPoint>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.run_id, r.started_at, r.git_commit, s.engine, s.workload, s.median_ns
                 FROM summaries s JOIN runs r ON r.id = s.run_id
                 WHERE s.phase = ?1 AND (?2 IS NULL OR s.workload = ?2) AND (?3 IS NULL OR s.engine = ?3)
                   AND s.run_id IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?4)
                 ORDER BY s.workload, s.engine, s.run_id",
            )
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map(params![phase.to_string(), workload, engine, last], |r| {
                Ok(TrendPoint {
                    run: r.get(0)?,
                    started_at: r.get(1)?,
                    git_commit: r.get(2)?,
                    engine: r.get(3)?,
                    workload: r.get(4)?,
                    phase,
                    median_ns: r.get(5)?,
                })
            })
            .map_err(sql(&self.path))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql(&self.path))
    }

    /// How many runs the history holds.
    pub fn runs(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
            .map_err(sql(&self.path))
    }
}

/// Runs `f` again while SQLite answers busy or locked, for up to a minute.
fn retry<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// The commit checked out here, if this is a git work tree.
fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The host name, CPU model and core count.
fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{name} ({cpu}, {cores} cores)")
}
