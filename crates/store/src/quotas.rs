//! Quota limits set per project, and the usage counts quota checks compare them with.

use rusqlite::{Connection, params};

use crate::{StoreError, Table};

/// The explicit limits of a project: (resource, limit).
pub fn quota_limits(conn: &Connection, project_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT resource, hard_limit FROM quotas WHERE project_id = ?1")?;
    let rows = stmt.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every explicit limit of every project: (project, resource, limit), by project.
pub fn all_quota_limits(conn: &Connection) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT project_id, resource, hard_limit FROM quotas ORDER BY project_id, resource",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_quota_limit(
    conn: &Connection,
    project_id: &str,
    resource: &str,
    limit: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
    )?
    .execute(params![project_id, resource, limit])?;
    Ok(())
}

/// Drops a project's explicit limits: it is back to the defaults.
pub fn delete_quota_limits(conn: &Connection, project_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM quotas WHERE project_id = ?1")?
        .execute([project_id])?;
    Ok(())
}

/// How many rows of `table` a project owns (the table must have a `project_id` column).
/// Whether the project owns more than `limit` rows of the table. Reads at most `limit + 1`
/// index entries, so the check every create makes costs what the limit allows, not what the
/// table holds.
pub fn owns_more_than(
    conn: &Connection,
    table: Table,
    project_id: &str,
    limit: i64,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT count(*) > ?2 FROM (SELECT 1 FROM {} WHERE project_id = ?1 LIMIT ?2 + 1)",
        table.name()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params![project_id, limit], |r| r.get(0))?)
}

pub fn count_owned(conn: &Connection, table: Table, project_id: &str) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE project_id = ?1",
        table.name()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([project_id], |r| r.get(0))?)
}
