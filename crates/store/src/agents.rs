//! The data plane's agents: one row per OVN chassis, kept by the OVN back end's Southbound task
//! (not resources: no revision, no tenant, no change feed) and read by the API's
//! `/v2.0/agents` and availability zones.

use crate::StoreError;
use crate::tx::Tx;
use crate::value::Row;

/// One agent as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRow {
    pub id: String,
    /// The agent's attributes as a JSON object, without `alive` and the timestamps.
    pub doc: String,
    pub created_at_ms: i64,
    /// When the chassis last answered a heartbeat.
    pub heartbeat_at_ms: i64,
    /// Until when the agent counts as alive without another heartbeat.
    pub alive_until_ms: i64,
}

const COLUMNS: &str = "id, doc, created_at_ms, heartbeat_at_ms, alive_until_ms";

fn agent_row(r: &Row) -> Result<AgentRow, StoreError> {
    Ok(AgentRow {
        id: r.text(0)?,
        doc: r.text(1)?,
        created_at_ms: r.int(2)?,
        heartbeat_at_ms: r.int(3)?,
        alive_until_ms: r.int(4)?,
    })
}

/// Every agent, by id.
pub fn agents(tx: &Tx) -> Result<Vec<AgentRow>, StoreError> {
    tx.query(&format!("SELECT {COLUMNS} FROM agents ORDER BY id"), &[])?
        .iter()
        .map(agent_row)
        .collect()
}

/// One agent, if it exists.
pub fn agent(tx: &Tx, id: &str) -> Result<Option<AgentRow>, StoreError> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM agents WHERE id = ?1"),
        &[id.into()],
    )?
    .as_ref()
    .map(agent_row)
    .transpose()
}

/// Creates or replaces an agent; a replaced one keeps its `created_at_ms`.
pub fn put_agent(tx: &Tx, agent: &AgentRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO agents (id, doc, created_at_ms, heartbeat_at_ms, alive_until_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, \
         heartbeat_at_ms = excluded.heartbeat_at_ms, alive_until_ms = excluded.alive_until_ms",
        &[
            agent.id.as_str().into(),
            agent.doc.as_str().into(),
            agent.created_at_ms.into(),
            agent.heartbeat_at_ms.into(),
            agent.alive_until_ms.into(),
        ],
    )?;
    Ok(())
}

/// Removes an agent; false if there was none.
pub fn delete_agent(tx: &Tx, id: &str) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM agents WHERE id = ?1", &[id.into()])? > 0)
}
