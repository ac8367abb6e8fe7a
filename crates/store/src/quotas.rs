//! Quota limits set per project, and the usage counts quota checks compare them with.

use crate::tx::Tx;
use crate::{StoreError, Table};

/// The explicit limits of a project: (resource, limit).
pub fn quota_limits(tx: &Tx, project_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
    tx.query(
        "SELECT resource, hard_limit FROM quotas WHERE project_id = ?1",
        &[project_id.into()],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.int(1)?)))
    .collect()
}

/// Every explicit limit of every project: (project, resource, limit), by project.
pub fn all_quota_limits(tx: &Tx) -> Result<Vec<(String, String, i64)>, StoreError> {
    tx.query(
        "SELECT project_id, resource, hard_limit FROM quotas ORDER BY project_id, resource",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.int(2)?)))
    .collect()
}

pub fn set_quota_limit(
    tx: &Tx,
    project_id: &str,
    resource: &str,
    limit: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?1, ?2, ?3) \
         ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
        &[project_id.into(), resource.into(), limit.into()],
    )?;
    Ok(())
}

/// Drops a project's explicit limits: it is back to the defaults.
pub fn delete_quota_limits(tx: &Tx, project_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM quotas WHERE project_id = ?1",
        &[project_id.into()],
    )?;
    Ok(())
}

/// Whether the project owns more than `limit` rows of the table (which must have a
/// `project_id` column). Reads at most `limit + 1` index entries, so the check every create
/// makes costs what the limit allows, not what the table holds.
pub fn owns_more_than(
    tx: &Tx,
    table: Table,
    project_id: &str,
    limit: i64,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT count(*) > ?2 FROM (SELECT 1 FROM {} WHERE project_id = ?1 LIMIT ?2 + 1) owned",
        table.name()
    );
    tx.flag(&sql, &[project_id.into(), limit.into()])
}

/// How many rows of `table` a project owns.
pub fn count_owned(tx: &Tx, table: Table, project_id: &str) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE project_id = ?1",
        table.name()
    );
    tx.query_one(&sql, &[project_id.into()])?.int(0)
}
