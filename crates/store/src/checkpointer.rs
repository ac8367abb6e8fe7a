//! Copies the WAL back into the database file from its own connection and thread, so the
//! writer never pays for a checkpoint inside a commit. A PASSIVE checkpoint never blocks the
//! writer or readers; once it has copied everything, the next write starts the WAL over.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::StoreError;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(500);

/// Starts the checkpointer; it stops once the returned handle (kept by the store) is dropped.
pub(crate) fn start(path: PathBuf) -> Result<Arc<()>, StoreError> {
    let alive = Arc::new(());
    let watch: Weak<()> = Arc::downgrade(&alive);
    let conn = crate::open_connection(&path)?;
    std::thread::Builder::new()
        .name("store-checkpoint".into())
        .spawn(move || {
            while watch.strong_count() > 0 {
                std::thread::sleep(INTERVAL);
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                }
            }
        })
        .map_err(|e| StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
    Ok(alive)
}
