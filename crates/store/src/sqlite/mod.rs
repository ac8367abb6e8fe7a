//! The SQLite engine: embedded, one file, WAL with `synchronous=FULL`, so an acknowledged write
//! survives `kill -9` and a power cut. Writes are funnelled through one writer thread that runs
//! every waiting request in its own savepoint of one shared transaction and commits them together
//! ([`writer`]): many requests share one fsync (group commit) without weakening durability.
//! Reads run on a small pool of connections that see only committed data.

mod checkpointer;
pub(crate) mod migrate;
mod reader;
mod writer;

use std::path::Path;
use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, ToSql, params_from_iter};

use crate::feed::Feed;
use crate::tx::{Read, Session, Tx};
use crate::value::{Row, Value};
use crate::{CommitStats, StoreError};

/// The engine: the writer, the readers, and the checkpointer that runs beside them.
#[derive(Clone)]
pub(crate) struct Sqlite {
    writer: writer::Writer,
    reader: reader::ReadPool,
    /// Keeps the checkpointer thread running while any handle exists.
    _checkpointer: Arc<()>,
}

impl Sqlite {
    pub(crate) fn open(path: &Path, feed: Feed) -> Result<Sqlite, StoreError> {
        let mut conn = open_connection(path)?;
        migrate::apply(&mut conn)?;
        tune_writer(&conn).map_err(|e| open_error(path, e))?;
        let writer = writer::Writer::start(conn, feed)?;
        let checkpointer = checkpointer::start(path.to_path_buf(), writer.clone())?;
        let reader = reader::ReadPool::new(path.to_path_buf());
        Ok(Sqlite {
            writer,
            reader,
            _checkpointer: checkpointer,
        })
    }

    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&Tx) -> Result<T, E> + Send + 'static,
    {
        self.writer.submit(f).await
    }

    pub(crate) async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Tx) -> Result<T, E> + Send + 'static,
    {
        self.reader.run(f).await
    }

    pub(crate) fn stats(&self) -> CommitStats {
        self.writer.stats()
    }
}

fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Open {
        target: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 512;

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
    // WAL lets readers run beside the writer; FULL syncs the WAL on every commit.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| open_error(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| open_error(path, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| open_error(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| open_error(path, e))?;
    // Every statement the store runs stays prepared: the default cache of 16 is fewer than the
    // distinct statements of one port create, and re-preparing costs more than running them.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Settings of the one write connection: savepoint journals in memory, a page cache that holds
/// the hot parts of the tables, and no checkpoints inside commits (the checkpointer thread
/// does them, so a commit is only its own WAL frames and fsync).
///
/// The cache is 8 MB: a create touches the B-tree's inner pages and a few leaves, not the stored
/// documents it appended earlier. At 32 MB it kept nearly the whole database of 10,000 ports
/// resident (server RSS 113–129 MB after 10,000 creates against 79–90 MB, with no faster
/// creates: 3,176–3,373 against 3,492–3,529/s; docs/benchmarks.md, "Memory").
fn tune_writer(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -8_000)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    Ok(())
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into()),
        // No column of the schema is REAL; keep the integer part rather than fail.
        ValueRef::Real(f) => Value::Int(f as i64),
    }
}

impl Session for Connection {
    fn execute(&self, sql: &str, args: &[Value]) -> Result<usize, StoreError> {
        self.prepare_cached(sql)
            .and_then(|mut s| s.execute(params_from_iter(args)))
            .map_err(store_error)
    }

    /// SQLite runs in this process: nothing to save by waiting.
    fn execute_later(&self, sql: &str, args: &[Value]) -> Result<(), StoreError> {
        Session::execute(self, sql, args).map(|_| ())
    }

    fn query_together(&self, _reads: &[Read]) -> Option<Result<Vec<Vec<Row>>, StoreError>> {
        None
    }

    fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.prepare_cached(sql).map_err(store_error)?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                (0..n)
                    .map(|i| r.get_ref(i).map(value))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }

    fn insertion_order(&self) -> &'static str {
        "rowid"
    }
}

/// SQLite's errors by their codes. A unique violation only reaches here from an `UPDATE` (every
/// insert that may conflict says `ON CONFLICT DO NOTHING`); the caller knows which table and so
/// which constraint, and replaces the placeholder.
pub(crate) fn store_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match (f.code, f.extended_code) {
            (ErrorCode::ConstraintViolation, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
            | (ErrorCode::ConstraintViolation, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                return StoreError::Conflict(crate::Constraint::PrimaryKey("?"));
            }
            (ErrorCode::ConstraintViolation, rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => {
                return StoreError::ForeignKey(e.to_string());
            }
            (ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked, _) => {
                return StoreError::Retry(e.to_string());
            }
            (ErrorCode::CannotOpen | ErrorCode::NotADatabase | ErrorCode::DiskFull, _) => {
                return StoreError::Unavailable(e.to_string());
            }
            _ => {}
        }
    }
    StoreError::Database(e.to_string())
}
