//! Copies the WAL back into the database file from its own connection and thread, so the
//! writer never pays for a checkpoint inside a commit. While writes come in, a PASSIVE
//! checkpoint never blocks the writer or readers, and once it has copied everything the next
//! write starts the WAL over. When writes have stopped, a TRUNCATE checkpoint empties the WAL
//! file, so that a restart after a crash has no WAL to recover.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::writer::Writer;
use crate::StoreError;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(500);

/// Starts the checkpointer; it stops once the returned handle (kept by the store) is dropped.
pub(crate) fn start(path: PathBuf, writer: Writer) -> Result<Arc<()>, StoreError> {
    let alive = Arc::new(());
    let watch: Weak<()> = Arc::downgrade(&alive);
    let conn = super::open_connection(&path)?;
    // A TRUNCATE checkpoint holds back writers while it waits for readers: give up soon and
    // try again at the next tick rather than delay a write.
    conn.busy_timeout(Duration::from_millis(50))
        .map_err(super::store_error)?;
    std::thread::Builder::new()
        .name("store-checkpoint".into())
        .spawn(move || {
            let (mut seen, mut truncated) = (writer.stats().commits, true);
            while watch.strong_count() > 0 {
                std::thread::sleep(INTERVAL);
                let commits = writer.stats().commits;
                let idle = commits == seen;
                seen = commits;
                if idle && truncated {
                    continue;
                }
                let mode = if idle { "TRUNCATE" } else { "PASSIVE" };
                match conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                    r.get::<_, i64>(0)
                }) {
                    // The first column is 1 when the checkpoint could not finish (busy).
                    Ok(busy) => truncated = idle && busy == 0,
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
                }
            }
        })
        .map_err(|e| StoreError::Database(format!("cannot start the checkpointer: {e}")))?;
    Ok(alive)
}
