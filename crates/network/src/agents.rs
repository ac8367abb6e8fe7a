//! `/v2.0/agents`: the data plane's agents, as the OVN back end records them (one per chassis,
//! see `neutrino_ovn_sync::agents`). Read-only here: the back end keeps them. Upstream's policy:
//! only an administrator sees agents; to anyone else the list is empty and an agent not found.

use serde_json::{Map, Value};

use neutrino_store::agents::{self as stored, AgentRow};

use crate::{Caller, Error, Networking, Result};

/// An agent's timestamp as upstream prints agents' ones: `YYYY-MM-DD HH:MM:SS`, UTC.
fn agent_time(ms: i64) -> String {
    crate::time::format_utc(ms.div_euclid(1000))
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned()
}

/// The agent as the API shows it at `now_ms`.
fn view(row: &AgentRow, now_ms: i64) -> Result<Map<String, Value>> {
    let Ok(Value::Object(mut agent)) = serde_json::from_str(&row.doc) else {
        return Err(Error::internal());
    };
    agent.insert("id".into(), row.id.clone().into());
    agent.insert("alive".into(), (now_ms < row.alive_until_ms).into());
    let created = agent_time(row.created_at_ms);
    agent.insert("created_at".into(), created.clone().into());
    agent.insert("started_at".into(), created.into());
    agent.insert(
        "heartbeat_timestamp".into(),
        agent_time(row.heartbeat_at_ms).into(),
    );
    Ok(agent)
}

/// The availability zones the agents declare (`availability_zone`, comma-separated as upstream
/// joins them), each with whether an agent in it is alive.
pub(crate) fn agent_zones(rows: &[AgentRow], now_ms: i64) -> Vec<(String, bool)> {
    let mut zones: Vec<(String, bool)> = Vec::new();
    for row in rows {
        let Ok(doc) = serde_json::from_str::<Value>(&row.doc) else {
            continue;
        };
        let alive = now_ms < row.alive_until_ms;
        let names = doc["availability_zone"].as_str().unwrap_or_default();
        for name in names.split(',').map(str::trim).filter(|z| !z.is_empty()) {
            match zones.iter_mut().find(|(z, _)| z == name) {
                Some((_, up)) => *up |= alive,
                None => zones.push((name.to_owned(), alive)),
            }
        }
    }
    zones.sort();
    zones
}

impl Networking {
    /// Every agent the caller may see.
    pub async fn agents(&self, caller: &Caller) -> Result<Vec<Map<String, Value>>> {
        if !caller.is_admin() {
            return Ok(Vec::new());
        }
        let rows = self.store.read(stored::agents).await?;
        let now = neutrino_store::unix_time_ms();
        rows.iter().map(|row| view(row, now)).collect()
    }

    /// One agent.
    pub async fn agent(&self, caller: &Caller, id: &str) -> Result<Map<String, Value>> {
        let not_found =
            || Error::not_found("AgentNotFound", format!("Agent {id} could not be found."));
        if !caller.is_admin() {
            return Err(not_found());
        }
        let key = id.to_owned();
        let row = self
            .store
            .read(move |tx| stored::agent(tx, &key))
            .await?
            .ok_or_else(not_found)?;
        view(&row, neutrino_store::unix_time_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, zones: &str, alive_until_ms: i64) -> AgentRow {
        AgentRow {
            id: id.into(),
            doc: serde_json::json!({"agent_type": "OVN Controller agent", "availability_zone": zones})
                .to_string(),
            created_at_ms: 1_764_700_000_000,
            heartbeat_at_ms: 1_764_700_030_500,
            alive_until_ms,
        }
    }

    #[test]
    fn an_agent_is_alive_until_its_deadline_and_dates_print_as_upstream() {
        let agent = view(&row("c1", "", 2_000), 1_999).unwrap();
        assert_eq!(agent["alive"], true);
        assert_eq!(agent["id"], "c1");
        assert_eq!(agent["created_at"], "2025-12-02 18:26:40");
        assert_eq!(agent["heartbeat_timestamp"], "2025-12-02 18:27:10");
        assert_eq!(view(&row("c1", "", 2_000), 2_000).unwrap()["alive"], false);
    }

    #[test]
    fn zones_are_available_while_one_of_their_agents_is_alive() {
        let rows = [
            row("c1", "az1, az2", 10),
            row("c2", "az2", 0),
            row("c3", "az3", 0),
        ];
        assert_eq!(
            agent_zones(&rows, 5),
            [
                ("az1".to_owned(), true),
                ("az2".to_owned(), true),
                ("az3".to_owned(), false)
            ]
        );
    }
}
