//! RBAC policies: which objects are shared with which projects.

use crate::StoreError;
use crate::tx::Tx;

/// One grant to a project: (object_type, object_id, action).
pub type Grant = (String, String, String);

/// The grants targeting `project` or every project ('*').
pub fn grants_to(tx: &Tx, project_id: &str) -> Result<Vec<Grant>, StoreError> {
    tx.query(
        "SELECT object_type, object_id, action FROM rbac_policies WHERE target_project IN ('*', ?1)",
        &[project_id.into()],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
    .collect()
}

/// The policies on one object: (id, action, target_project).
pub fn policies_on(tx: &Tx, object_id: &str) -> Result<Vec<(String, String, String)>, StoreError> {
    let sql = format!(
        "SELECT id, action, target_project FROM rbac_policies WHERE object_id = ?1 ORDER BY {}",
        tx.insertion_order()
    );
    tx.query(&sql, &[object_id.into()])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
        .collect()
}

/// Removes every policy on an object that is going away (each recorded in the outbox).
pub fn delete_policies_on(tx: &Tx, object_id: &str) -> Result<(), StoreError> {
    for (id, _, _) in policies_on(tx, object_id)? {
        crate::delete_row(tx, crate::tables::RBAC_POLICIES, &id)?;
    }
    Ok(())
}

/// Does a policy grant `action` on the object to `project` (by name or as everyone)?
pub fn is_granted(
    tx: &Tx,
    object_type: &str,
    object_id: &str,
    action: &str,
    project_id: &str,
) -> Result<bool, StoreError> {
    tx.flag(
        "SELECT EXISTS (SELECT 1 FROM rbac_policies WHERE object_id = ?1 AND object_type = ?2 \
         AND action = ?3 AND target_project IN ('*', ?4))",
        &[
            object_id.into(),
            object_type.into(),
            action.into(),
            project_id.into(),
        ],
    )
}
