//! The machine's raw durable commit rate: single-row transactions on SQLite in WAL mode with
//! `synchronous=FULL` (the server's settings), one after another, on the same file system as
//! the server's data dir. Every commit waits for its own fsync, so this is the ceiling of a
//! server that commits each request alone; group commit beats it only by batching requests.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct CommitRate {
    pub commits: u64,
    pub seconds: f64,
    pub commits_per_s: f64,
}

/// Commits single-row transactions for about `duration` (at least 100 commits).
pub fn sqlite_commit_rate(dir: &Path, duration: Duration) -> Result<CommitRate> {
    let path = dir.join("baseline.sqlite");
    let conn = rusqlite::Connection::open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")?;
    let doc = "x".repeat(700); // about the size of a port document
    let mut insert = conn.prepare("INSERT INTO t (doc) VALUES (?1)")?;
    // One warm-up commit creates the WAL.
    insert.execute([&doc])?;
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed() < duration || commits < 100 {
        // Autocommit: each statement is its own transaction and its own fsync.
        insert.execute([&doc])?;
        commits += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(insert);
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("baseline.sqlite{suffix}")));
    }
    Ok(CommitRate {
        commits,
        seconds,
        commits_per_s: commits as f64 / seconds,
    })
}
