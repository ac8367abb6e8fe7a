//! The chassis as upstream ML2/OVN shows them: one agent per `Chassis_Private` row, an
//! "OVN Controller agent" (or "OVN Controller Gateway agent" on a chassis that may host router
//! gateways), in `GET /v2.0/agents`.
//!
//! Liveness is a heartbeat through the databases themselves: the reconciler raises
//! `NB_Global.nb_cfg` every [`OvnConfig::heartbeat_interval`](crate::OvnConfig), northd copies it
//! to `SB_Global.nb_cfg`, and each `ovn-controller` writes it into its `Chassis_Private.nb_cfg`
//! once its flows are current. A chassis at most one behind has answered; one that stops
//! answering is dead `agent_down_time_secs` after its last answer.

use std::collections::BTreeMap;
use std::time::Duration;

use neutrino_ovsdb::{Atom, Cache, Row};
use neutrino_store::agents::AgentRow;
use serde_json::{Value as Json, json};

/// The comma-separated `ovn-cms-options` of a chassis (in `other_config`, or `external_ids` for
/// older OVN).
pub fn cms_options(chassis: &Row) -> Vec<&str> {
    ["other_config", "external_ids"]
        .iter()
        .find_map(|column| map_entry(chassis, column, "ovn-cms-options"))
        .map(|o| o.split(',').map(str::trim).collect())
        .unwrap_or_default()
}

/// Whether the chassis declares itself able to host router gateways.
pub fn is_gateway(chassis: &Row) -> bool {
    cms_options(chassis).contains(&"enable-chassis-as-gw")
}

/// The availability zones a chassis declares: `availability-zones=az1:az2` in its options.
pub(crate) fn availability_zones(chassis: &Row) -> Vec<&str> {
    cms_options(chassis)
        .iter()
        .find_map(|o| o.strip_prefix("availability-zones="))
        .map(|zones| zones.split(':').filter(|z| !z.is_empty()).collect())
        .unwrap_or_default()
}

pub(crate) fn map_entry<'a>(row: &'a Row, column: &str, key: &str) -> Option<&'a str> {
    row.get(column)?.get(&Atom::from(key))?.as_str()
}

fn string<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column)?.as_str()
}

fn integer(row: &Row, column: &str) -> Option<i64> {
    row.get(column)?.as_atom()?.as_i64()
}

/// One chassis' agent as the Southbound database shows it now.
#[derive(Clone, Debug, PartialEq)]
pub struct ChassisAgent {
    /// The agent's attributes, without liveness and timestamps.
    pub doc: Json,
    /// The heartbeat the chassis last answered.
    pub nb_cfg: i64,
    /// It has answered the latest heartbeat (or the one before).
    pub current: bool,
}

/// Every chassis' agent, by id (the chassis name, as upstream).
pub fn chassis_agents(cache: &Cache) -> BTreeMap<String, ChassisAgent> {
    let asked = cache
        .table("SB_Global")
        .into_iter()
        .flatten()
        .find_map(|(_, row)| integer(row, "nb_cfg"))
        .unwrap_or(0);
    let chassis = cache.table("Chassis");
    cache
        .table("Chassis_Private")
        .into_iter()
        .flatten()
        .filter_map(|(_, private)| {
            let name = string(private, "name")?;
            let row = private
                .get("chassis")
                .and_then(|c| c.as_atom()?.as_uuid())
                .and_then(|uuid| chassis?.get(&uuid))?;
            let host = string(row, "hostname")
                .filter(|h| !h.is_empty())
                .unwrap_or(name);
            let (agent_type, gateway) = if is_gateway(row) {
                ("OVN Controller Gateway agent", true)
            } else {
                ("OVN Controller agent", false)
            };
            let bridge_mappings = map_entry(row, "other_config", "ovn-bridge-mappings")
                .or_else(|| map_entry(row, "external_ids", "ovn-bridge-mappings"))
                .unwrap_or("");
            let doc = json!({
                "id": name,
                "agent_type": agent_type,
                "binary": "ovn-controller",
                "host": host,
                "topic": "n/a",
                "availability_zone": availability_zones(row).join(", "),
                "admin_state_up": true,
                "description": map_entry(private, "external_ids", "neutron:description").unwrap_or(""),
                "configurations": {
                    "chassis_name": name,
                    "bridge-mappings": bridge_mappings,
                    "enable-chassis-as-gw": gateway,
                },
                "resources_synced": null,
                "ha_state": null,
            });
            let nb_cfg = integer(private, "nb_cfg").unwrap_or(0);
            Some((
                name.to_owned(),
                ChassisAgent {
                    doc,
                    nb_cfg,
                    current: asked - nb_cfg <= 1,
                },
            ))
        })
        .collect()
}

/// What the Southbound task last wrote of each agent; turns the agents seen now into the rows
/// to write, so that a heartbeat costs one write per round and nothing else writes at all.
#[derive(Debug, Default)]
pub struct AgentTracker {
    written: BTreeMap<String, Written>,
}

#[derive(Debug)]
struct Written {
    doc: Json,
    nb_cfg: i64,
    heartbeat_at_ms: i64,
}

/// The rows to write and the agents to remove.
#[derive(Debug, Default, PartialEq)]
pub struct AgentChanges {
    pub put: Vec<AgentRow>,
    pub removed: Vec<String>,
}

impl AgentTracker {
    /// Forgets what was written: everything is written again (after a reconnect).
    pub fn clear(&mut self) {
        self.written.clear();
    }

    /// The changes that bring the stored agents to `now`, at `now_ms`; remembered as written
    /// (call [`AgentTracker::clear`] if writing them fails).
    pub fn changes(
        &mut self,
        now: &BTreeMap<String, ChassisAgent>,
        now_ms: i64,
        down_time: Duration,
    ) -> AgentChanges {
        let down_ms = i64::try_from(down_time.as_millis()).unwrap_or(i64::MAX);
        let mut changes = AgentChanges::default();
        for (id, agent) in now {
            let before = self.written.get(id);
            let answered = agent.current && before.is_none_or(|w| w.nb_cfg != agent.nb_cfg);
            if !answered && before.is_some_and(|w| w.doc == agent.doc) {
                continue;
            }
            // First seen and behind: counted from now, as upstream does, so a chassis is not
            // declared dead by a server that has only just started.
            let heartbeat_at_ms = match before {
                Some(w) if !answered => w.heartbeat_at_ms,
                _ => now_ms,
            };
            changes.put.push(AgentRow {
                id: id.clone(),
                doc: agent.doc.to_string(),
                created_at_ms: now_ms,
                heartbeat_at_ms,
                alive_until_ms: heartbeat_at_ms.saturating_add(down_ms),
            });
            self.written.insert(
                id.clone(),
                Written {
                    doc: agent.doc.clone(),
                    nb_cfg: agent.nb_cfg,
                    heartbeat_at_ms,
                },
            );
        }
        changes.removed = self
            .written
            .keys()
            .filter(|id| !now.contains_key(*id))
            .cloned()
            .collect();
        self.written.retain(|id, _| now.contains_key(id));
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(doc: &str, nb_cfg: i64, current: bool) -> ChassisAgent {
        ChassisAgent {
            doc: json!({"host": doc}),
            nb_cfg,
            current,
        }
    }

    const DOWN: Duration = Duration::from_secs(75);

    #[test]
    fn a_heartbeat_is_written_once_per_answer_and_an_unanswered_one_keeps_the_last() {
        let mut tracker = AgentTracker::default();
        let mut now = BTreeMap::from([("c1".to_owned(), agent("h1", 5, true))]);
        let first = tracker.changes(&now, 1_000, DOWN);
        assert_eq!(first.put.len(), 1);
        assert_eq!(first.put[0].heartbeat_at_ms, 1_000);
        assert_eq!(first.put[0].alive_until_ms, 76_000);
        // Nothing new: nothing written.
        assert_eq!(tracker.changes(&now, 2_000, DOWN), AgentChanges::default());
        // The chassis answers the next heartbeat.
        now.insert("c1".into(), agent("h1", 6, true));
        let answered = tracker.changes(&now, 30_000, DOWN);
        assert_eq!(answered.put[0].heartbeat_at_ms, 30_000);
        // Behind, and its options change: written, with the old heartbeat.
        now.insert("c1".into(), agent("h2", 6, false));
        let behind = tracker.changes(&now, 60_000, DOWN);
        assert_eq!(behind.put[0].heartbeat_at_ms, 30_000);
        assert_eq!(behind.put[0].doc, json!({"host": "h2"}).to_string());
        // Gone from the Southbound: removed.
        let gone = tracker.changes(&BTreeMap::new(), 61_000, DOWN);
        assert_eq!(gone.removed, vec!["c1".to_owned()]);
        assert!(tracker.written.is_empty());
    }
}
