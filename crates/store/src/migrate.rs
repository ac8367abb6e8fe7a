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

pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    for (name, sql) in MIGRATIONS {
        let done: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if done {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|source| StoreError::Migration { name, source })?;
        tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, unixepoch())",
            [name],
        )?;
        tx.commit()?;
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}
