//! RBAC policies: which objects are shared with which projects.

use rusqlite::{Connection, params};

use crate::StoreError;

/// One grant to a project: (object_type, object_id, action).
pub type Grant = (String, String, String);

/// The grants targeting `project` or every project ('*').
pub fn grants_to(conn: &Connection, project_id: &str) -> Result<Vec<Grant>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT object_type, object_id, action FROM rbac_policies WHERE target_project IN ('*', ?1)",
    )?;
    let rows = stmt.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The policies on one object: (id, action, target_project).
pub fn policies_on(
    conn: &Connection,
    object_id: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, action, target_project FROM rbac_policies WHERE object_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([object_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes every policy on an object that is going away.
pub fn delete_policies_on(conn: &Connection, object_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM rbac_policies WHERE object_id = ?1")?
        .execute(params![object_id])?;
    Ok(())
}

/// Does a policy grant `action` on the object to `project` (by name or as everyone)?
pub fn is_granted(
    conn: &Connection,
    object_type: &str,
    object_id: &str,
    action: &str,
    project_id: &str,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM rbac_policies WHERE object_id = ?1 AND object_type = ?2 AND action = ?3 AND target_project IN ('*', ?4))",
        )?
        .query_row(params![object_id, object_type, action, project_id], |r| r.get(0))?)
}
