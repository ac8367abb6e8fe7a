//! Queries of security groups beyond plain rows: the per-project default group, rule
//! fingerprints and the port↔group bindings.

use crate::StoreError;
use crate::tx::{Read, Tx};

/// The id of the project's `default` group, if it exists.
pub fn default_security_group(tx: &Tx, project_id: &str) -> Result<Option<String>, StoreError> {
    let read = default_security_group_read(project_id);
    tx.query_opt(&read.sql, &read.args)?
        .map(|r| r.text(0))
        .transpose()
}

/// What [`default_security_group`] reads, to read it ahead ([`Tx::prefetch`]).
pub fn default_security_group_read(project_id: &str) -> Read {
    Read {
        sql: "SELECT id FROM security_groups WHERE project_id = ?1 AND is_default = 1".into(),
        args: vec![project_id.into()],
    }
}

/// The id of the rule of the group with this fingerprint, if there is one.
pub fn rule_with_fingerprint(
    tx: &Tx,
    security_group_id: &str,
    fingerprint: &str,
) -> Result<Option<String>, StoreError> {
    tx.query_opt(
        "SELECT id FROM security_group_rules WHERE security_group_id = ?1 AND fingerprint = ?2",
        &[security_group_id.into(), fingerprint.into()],
    )?
    .map(|r| r.text(0))
    .transpose()
}

/// Replaces the groups a port uses.
pub fn set_port_security_groups(
    tx: &Tx,
    port_id: &str,
    groups: &[String],
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM port_security_groups WHERE port_id = ?1",
        &[port_id.into()],
    )?;
    add_port_security_groups(tx, port_id, groups)
}

/// Gives a port (a new one: it has none yet) its groups.
pub fn add_port_security_groups(
    tx: &Tx,
    port_id: &str,
    groups: &[String],
) -> Result<(), StoreError> {
    for g in groups {
        tx.execute_later(
            "INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?1, ?2) \
             ON CONFLICT DO NOTHING",
            &[port_id.into(), g.into()],
        )?;
    }
    Ok(())
}

/// How many ports use the group.
pub fn ports_using_security_group(tx: &Tx, security_group_id: &str) -> Result<i64, StoreError> {
    tx.query_one(
        "SELECT COUNT(*) FROM port_security_groups WHERE security_group_id = ?1",
        &[security_group_id.into()],
    )?
    .int(0)
}

/// The projects whose ports use the group.
pub fn projects_using_security_group(
    tx: &Tx,
    security_group_id: &str,
) -> Result<Vec<String>, StoreError> {
    tx.texts(
        "SELECT DISTINCT p.project_id FROM port_security_groups g JOIN ports p ON p.id = g.port_id \
         WHERE g.security_group_id = ?1",
        &[security_group_id.into()],
    )
}

/// The rules that go with a group when it is deleted: its own, and other groups' rules that
/// name it as their remote group.
pub fn rules_of_or_naming(tx: &Tx, security_group_id: &str) -> Result<Vec<String>, StoreError> {
    tx.texts(
        "SELECT id FROM security_group_rules WHERE security_group_id = ?1 OR remote_group_id = ?1",
        &[security_group_id.into()],
    )
}
