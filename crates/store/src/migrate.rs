//! Schema migrations, applied in order at start; each runs once, in its own transaction.

use rusqlite::Connection;

use crate::StoreError;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_core", include_str!("../migrations/0001_core.sql")),
    (
        "0002_security_groups",
        include_str!("../migrations/0002_security_groups.sql"),
    ),
    ("0003_l3", include_str!("../migrations/0003_l3.sql")),
    (
        "0004_quotas_rbac",
        include_str!("../migrations/0004_quotas_rbac.sql"),
    ),
    (
        "0005_subnetpools",
        include_str!("../migrations/0005_subnetpools.sql"),
    ),
];

/// Applies every pending migration in one transaction: all of them or none, and one fsync.
pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    let mut applied = Vec::new();
    for (name, sql) in MIGRATIONS {
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if done {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|source| StoreError::Migration { name, source })?;
        tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, unixepoch())",
            [name],
        )?;
        applied.push(*name);
    }
    tx.commit()?;
    for name in applied {
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}
