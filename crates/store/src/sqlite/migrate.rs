//! Schema migrations of the SQLite engine, applied in order at start, all pending ones in one
//! transaction. The names are the one history both engines share (`crate::migrations`).

use rusqlite::Connection;

use super::store_error;
use crate::StoreError;
use crate::migrations::{self, Migration};
use crate::tx::Tx;

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration::sql(
        "0001_core",
        include_str!("../../migrations/sqlite/0001_core.sql"),
    ),
    Migration::sql(
        "0002_security_groups",
        include_str!("../../migrations/sqlite/0002_security_groups.sql"),
    ),
    Migration::sql(
        "0003_l3",
        include_str!("../../migrations/sqlite/0003_l3.sql"),
    ),
    Migration::sql(
        "0004_quotas_rbac",
        include_str!("../../migrations/sqlite/0004_quotas_rbac.sql"),
    ),
    Migration::sql(
        "0005_subnetpools",
        include_str!("../../migrations/sqlite/0005_subnetpools.sql"),
    ),
    Migration::sql(
        "0006_ip_keys",
        include_str!("../../migrations/sqlite/0006_ip_keys.sql"),
    )
    .then(crate::allocations::backfill_keys),
    Migration::sql(
        "0007_outbox",
        include_str!("../../migrations/sqlite/0007_outbox.sql"),
    ),
    Migration::sql(
        "0008_list_columns",
        include_str!("../../migrations/sqlite/0008_list_columns.sql"),
    ),
];

/// Applies every pending migration in one transaction: all of them or none, and one fsync.
pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(store_error)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .map_err(store_error)?;
    let applied = migrations::apply(&Tx::new(&*tx), MIGRATIONS, |sql| {
        tx.execute_batch(sql).map_err(store_error)
    })?;
    tx.commit().map_err(store_error)?;
    for name in applied {
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}
