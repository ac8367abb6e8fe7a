//! Queries of security groups beyond plain rows: the per-project default group, rule
//! fingerprints and the port↔group bindings.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// The id of the project's `default` group, if it exists.
pub fn default_security_group(
    conn: &Connection,
    project_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM security_groups WHERE project_id = ?1 AND is_default = 1")?
        .query_row([project_id], |r| r.get(0))
        .optional()?)
}

/// The id of the rule of the group with this fingerprint, if there is one.
pub fn rule_with_fingerprint(
    conn: &Connection,
    security_group_id: &str,
    fingerprint: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM security_group_rules WHERE security_group_id = ?1 AND fingerprint = ?2",
        )?
        .query_row(params![security_group_id, fingerprint], |r| r.get(0))
        .optional()?)
}

/// Replaces the groups a port uses.
pub fn set_port_security_groups(
    conn: &Connection,
    port_id: &str,
    groups: &[String],
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM port_security_groups WHERE port_id = ?1")?
        .execute([port_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO port_security_groups (port_id, security_group_id) VALUES (?1, ?2)",
    )?;
    for g in groups {
        insert.execute(params![port_id, g])?;
    }
    Ok(())
}

/// How many ports use the group.
pub fn ports_using_security_group(
    conn: &Connection,
    security_group_id: &str,
) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM port_security_groups WHERE security_group_id = ?1")?
        .query_row([security_group_id], |r| r.get(0))?)
}

/// The projects whose ports use the group.
pub fn projects_using_security_group(
    conn: &Connection,
    security_group_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT p.project_id FROM port_security_groups g JOIN ports p ON p.id = g.port_id WHERE g.security_group_id = ?1",
    )?;
    let rows = stmt.query_map([security_group_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
