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
    Migration::sql(
        "0009_status",
        include_str!("../../migrations/sqlite/0009_status.sql"),
    ),
    Migration::sql(
        "0010_mac_index",
        include_str!("../../migrations/sqlite/0010_mac_index.sql"),
    ),
    Migration::sql(
        "0011_derived_fields",
        include_str!("../../migrations/sqlite/0011_derived_fields.sql"),
    ),
    Migration::sql(
        "0012_tags",
        include_str!("../../migrations/sqlite/0012_tags.sql"),
    )
    .then(crate::tags::backfill),
    Migration::sql(
        "0013_port_written_once",
        include_str!("../../migrations/sqlite/0013_port_written_once.sql"),
    ),
    Migration::sql(
        "0014_consumer_status",
        include_str!("../../migrations/sqlite/0014_consumer_status.sql"),
    ),
    Migration::sql(
        "0015_agents",
        include_str!("../../migrations/sqlite/0015_agents.sql"),
    ),
    Migration::sql(
        "0016_leases",
        include_str!("../../migrations/sqlite/0016_leases.sql"),
    ),
    Migration::sql(
        "0017_signing_keys",
        include_str!("../../migrations/sqlite/0017_signing_keys.sql"),
    ),
    Migration::sql(
        "0018_trunks",
        include_str!("../../migrations/sqlite/0018_trunks.sql"),
    ),
    Migration::sql(
        "0019_qos",
        include_str!("../../migrations/sqlite/0019_qos.sql"),
    ),
    Migration::sql(
        "0020_identity_directory",
        include_str!("../../migrations/sqlite/0020_identity_directory.sql"),
    ),
    Migration::sql(
        "0021_auto_allocated_topologies",
        include_str!("../../migrations/sqlite/0021_auto_allocated_topologies.sql"),
    ),
    Migration::sql(
        "0022_port_forwardings",
        include_str!("../../migrations/sqlite/0022_port_forwardings.sql"),
    ),
    Migration::sql(
        "0023_secgroups",
        include_str!("../../migrations/sqlite/0023_secgroups.sql"),
    ),
    Migration::sql(
        "0024_segments",
        include_str!("../../migrations/sqlite/0024_segments.sql"),
    ),
    Migration::sql(
        "0025_routers",
        include_str!("../../migrations/sqlite/0025_routers.sql"),
    )
    .then(crate::l3::backfill_router_flags),
    Migration::sql(
        "0026_port_extensions",
        include_str!("../../migrations/sqlite/0026_port_extensions.sql"),
    ),
    Migration::sql(
        "0027_logs",
        include_str!("../../migrations/sqlite/0027_logs.sql"),
    ),
    Migration::sql(
        "0028_router_gateways",
        include_str!("../../migrations/sqlite/0028_router_gateways.sql"),
    )
    .then(crate::l3::backfill_router_gateways),
    Migration::sql(
        "0029_port_attributes",
        include_str!("../../migrations/sqlite/0029_port_attributes.sql"),
    ),
    Migration::sql(
        "0030_router_schedules",
        include_str!("../../migrations/sqlite/0030_router_schedules.sql"),
    ),
];

/// Applies every pending migration in one transaction: all of them or none, and one fsync.
pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    apply_history(conn, MIGRATIONS)
}

/// Applies the pending migrations of `history` (a prefix of [`MIGRATIONS`] in tests).
fn apply_history(conn: &mut Connection, history: &[Migration]) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(store_error)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .map_err(store_error)?;
    let applied = migrations::apply(&Tx::new(&*tx), history, |sql| {
        tx.execute_batch(sql).map_err(store_error)
    })?;
    tx.commit().map_err(store_error)?;
    for name in applied {
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object of the schema with its SQL text (SQLite rewrites a table's text when a
    /// column is added, so two schemas with the same objects and texts are the same).
    fn schema(conn: &Connection) -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare(
                "SELECT type, name, COALESCE(sql, '') FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A database upgraded from any earlier release's schema ends with exactly the schema of a
    /// new one.
    #[test]
    fn upgrading_from_every_earlier_schema_gives_the_fresh_schema() {
        let dir = tempfile::tempdir().unwrap();
        let mut fresh = Connection::open(dir.path().join("fresh.sqlite")).unwrap();
        apply_history(&mut fresh, MIGRATIONS).unwrap();
        let want = schema(&fresh);
        assert!(want.iter().any(|(_, n, _)| n == "outbox"));
        for split in 1..MIGRATIONS.len() {
            let path = dir.path().join(format!("from-{split}.sqlite"));
            let mut old = Connection::open(&path).unwrap();
            apply_history(&mut old, &MIGRATIONS[..split]).unwrap();
            apply_history(&mut old, MIGRATIONS).unwrap();
            assert_eq!(
                schema(&old),
                want,
                "upgraded from {}",
                MIGRATIONS[split - 1].name
            );
        }
    }

    /// What a readiness probe sees: nothing pending after a start, the missing names of an
    /// older schema, an error for a newer one.
    #[test]
    fn pending_names_what_the_schema_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("db.sqlite")).unwrap();
        apply_history(&mut conn, &MIGRATIONS[..1]).unwrap();
        let pending = |conn: &Connection| migrations::pending(&Tx::new(conn), MIGRATIONS);
        let missing: Vec<_> = MIGRATIONS[1..].iter().map(|m| m.name).collect();
        assert_eq!(pending(&conn).unwrap(), missing);
        apply(&mut conn).unwrap();
        assert!(pending(&conn).unwrap().is_empty());
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES ('0099_future', 0)",
            [],
        )
        .unwrap();
        assert!(matches!(
            pending(&conn),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }

    /// A database a newer binary migrated further is refused, and left as it is.
    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("db.sqlite")).unwrap();
        apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES ('0099_future', 0)",
            [],
        )
        .unwrap();
        let err = apply(&mut conn).unwrap_err();
        assert!(
            matches!(&err, StoreError::SchemaTooNew { found, .. } if found == "0099_future"),
            "{err}"
        );
        assert!(err.to_string().contains("newer than this binary"));
    }
}
