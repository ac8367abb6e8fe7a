//! The store: the only place SQL lives.
//!
//! SQLite in WAL mode with `synchronous=FULL`, so an acknowledged write survives `kill -9` and a
//! power cut. Writes are funnelled through one writer thread that runs every waiting request in
//! its own savepoint of one shared transaction and commits them together ([`writer`]): many
//! requests share one fsync (group commit) without weakening durability. Reads run on a small
//! pool of connections that see only committed data.

mod checkpointer;
mod error;
pub mod l3;
mod migrate;
mod queries;
mod quotas;
mod rbac;
mod reader;
mod security_groups;
pub mod tables;
mod writer;

use std::path::{Path, PathBuf};

pub use error::StoreError;
pub use queries::*;
pub use quotas::*;
pub use rbac::*;
pub use rusqlite::Connection;
pub use security_groups::*;
pub use writer::WriteTx;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    writer: writer::Writer,
    reader: reader::ReadPool,
    /// Keeps the checkpointer thread running while any handle exists.
    _checkpointer: std::sync::Arc<()>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and applies pending migrations.
    pub fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        let mut conn = open_connection(path)?;
        migrate::apply(&mut conn)?;
        tune_writer(&conn).map_err(|e| StoreError::open(path, e))?;
        let writer = writer::Writer::start(conn)?;
        let checkpointer = checkpointer::start(path.to_path_buf(), writer.clone())?;
        let reader = reader::ReadPool::new(path.to_path_buf());
        Ok(Store {
            writer,
            reader,
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` inside the next group commit and returns its result once the commit is durable.
    /// If `f` fails, its changes are rolled back and nobody else's are affected.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, E> + Send + 'static,
    {
        self.writer.submit(f).await
    }

    /// Runs `f` with a read connection on the blocking pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        self.reader.run(f).await
    }

    /// Statistics of the group commit, for metrics and benchmarks.
    pub fn commit_stats(&self) -> writer::CommitStats {
        self.writer.stats()
    }
}

pub use writer::CommitStats;

pub(crate) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| StoreError::open(path, e))?;
    // WAL lets readers run beside the writer; FULL syncs the WAL on every commit.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| StoreError::open(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| StoreError::open(path, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| StoreError::open(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| StoreError::open(path, e))?;
    Ok(conn)
}

/// Settings of the one write connection: savepoint journals in memory, a page cache that holds
/// the hot parts of the tables, and no checkpoints inside commits (the checkpointer thread
/// does them, so a commit is only its own WAL frames and fsync).
fn tune_writer(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    Ok(())
}

/// Where the SQLite file lives inside a data directory.
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("neutrino.sqlite")
}
