use std::path::Path;

/// Errors of the store. `Conflict` carries the name of the unique index that refused a row, so
/// callers can turn it into the matching API error (MAC in use, address already allocated, ...).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("unique constraint {0} refused the row")]
    Conflict(String),
    #[error("stored document of {table} {id} is corrupt: {reason}")]
    Corrupt {
        table: &'static str,
        id: String,
        reason: String,
    },
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
    #[error("the group commit failed: {0}")]
    CommitFailed(String),
    #[error("the database writer has stopped")]
    WriterGone,
}

impl StoreError {
    pub(crate) fn open(path: &Path, source: rusqlite::Error) -> Self {
        StoreError::Open {
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        // SQLite names the columns of the violated unique index in the message
        // ("UNIQUE constraint failed: ports.network_id, ports.mac_address").
        if let rusqlite::Error::SqliteFailure(code, Some(msg)) = &e
            && code.code == rusqlite::ErrorCode::ConstraintViolation
            && let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ")
        {
            return StoreError::Conflict(cols.to_string());
        }
        StoreError::Sql(e)
    }
}
