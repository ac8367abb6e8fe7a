//! The agent scheduler APIs as ML2/OVN answers them: `l3_agent_scheduler`
//! (`/v2.0/routers/{id}/l3-agents`, `/v2.0/agents/{id}/l3-routers`) reports the gateway chassis
//! of routers — the chassis of their gateway's HA chassis group, each with its
//! `ha_chassis_priority` (`l3-agent-scheduler-ha-chassis-priority`); `dhcp_agent_scheduler`
//! (`/v2.0/networks/{id}/dhcp-agents`, `/v2.0/agents/{id}/dhcp-networks`) has no DHCP agents to
//! report (OVN serves DHCP natively): a network is hosted by none, and an OVN agent is not one
//! the DHCP scheduler knows (upstream looks it up among its database agents, where ML2/OVN's are
//! not: 404 `AgentNotFound`). Every call is for administrators, as upstream's policy.

use serde_json::{Map, Value};

use neutrino_ovn::{GatewayChassis, gateway_priorities};
use neutrino_store::agents::{self as stored, AgentRow};
use neutrino_store::tables::ROUTERS;
use neutrino_store::{self as store, Selection};

use crate::router::Router;
use crate::{Caller, Error, Networking, Result};

/// The type of the agent of a chassis that may host gateways.
const GATEWAY_AGENT: &str = "OVN Controller Gateway agent";

fn agent_not_found(id: &str) -> Error {
    Error::not_found("AgentNotFound", format!("Agent {id} could not be found."))
}

fn doc(row: &AgentRow) -> Option<Value> {
    serde_json::from_str(&row.doc).ok()
}

/// The chassis that may host gateways, as their agents declare them.
fn gateway_chassis(rows: &[AgentRow]) -> Vec<GatewayChassis> {
    rows.iter()
        .filter_map(|row| {
            let d = doc(row)?;
            (d["agent_type"] == GATEWAY_AGENT).then(|| GatewayChassis {
                name: row.id.clone(),
                zones: d["availability_zone"]
                    .as_str()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|z| !z.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

/// The chassis of a router's gateway with their priorities (none without a gateway), as the
/// OVN back end builds its HA chassis group.
fn router_chassis(router: &Router, chassis: &[GatewayChassis]) -> Vec<(String, i64)> {
    if router.external_gateway_info.is_none() {
        return Vec::new();
    }
    gateway_priorities(&router.id, &router.availability_zone_hints, chassis)
}

impl Networking {
    /// `GET /v2.0/routers/{id}/l3-agents`: the gateway agents hosting the router, each with its
    /// `ha_chassis_priority`; none for a router without a gateway (or without a group: upstream
    /// answers an unknown router so too).
    pub async fn router_l3_agents(
        &self,
        caller: &Caller,
        router_id: &str,
    ) -> Result<Vec<Map<String, Value>>> {
        caller.require_admin("get_l3-agents")?;
        let router_id = router_id.to_owned();
        let hosting = self
            .store
            .read(move |tx| {
                let Some(router) = crate::read::load::<Router>(tx, &router_id)? else {
                    return Ok(Vec::new());
                };
                let rows = stored::agents(tx)?;
                Ok::<_, Error>(router_chassis(&router, &gateway_chassis(&rows)))
            })
            .await?;
        let agents = self.agents(caller).await?;
        Ok(hosting
            .into_iter()
            .filter_map(|(chassis, priority)| {
                let mut agent = agents
                    .iter()
                    .find(|a| a["id"] == chassis.as_str() && a["agent_type"] == GATEWAY_AGENT)?
                    .clone();
                agent.insert("ha_chassis_priority".into(), priority.into());
                Some(agent)
            })
            .collect())
    }

    /// `GET /v2.0/agents/{id}/l3-routers`: the routers whose gateway the agent's chassis hosts.
    /// An unknown agent is 404 `InvalidL3Agent`.
    pub async fn agent_l3_routers(&self, caller: &Caller, agent_id: &str) -> Result<Vec<Value>> {
        caller.require_admin("get_l3-routers")?;
        let agent = agent_id.to_owned();
        let ids = self
            .store
            .read(move |tx| {
                let rows = stored::agents(tx)?;
                if !rows.iter().any(|r| r.id == agent) {
                    return Err(Error::not_found(
                        "InvalidL3Agent",
                        format!("Agent {agent} is not a L3 Agent or has been disabled"),
                    ));
                }
                let chassis = gateway_chassis(&rows);
                if !chassis.iter().any(|c| c.name == agent) {
                    return Ok(Vec::new());
                }
                let mut ids = Vec::new();
                for doc in store::list_docs(tx, ROUTERS, &Selection::all())? {
                    let router: Router =
                        serde_json::from_str(&doc).map_err(|_| Error::internal())?;
                    if router_chassis(&router, &chassis)
                        .iter()
                        .any(|(c, _)| *c == agent)
                    {
                        ids.push(router.id);
                    }
                }
                Ok(ids)
            })
            .await?;
        let mut routers = Vec::with_capacity(ids.len());
        for id in ids {
            match self.get(caller, &crate::router::Routers, &id).await {
                Ok(r) => routers.push(Value::Object(r)),
                // Deleted since: not hosted any more.
                Err(e) if e.failure == crate::Failure::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(routers)
    }

    /// `GET /v2.0/networks/{id}/dhcp-agents`: none (OVN serves DHCP itself).
    pub async fn network_dhcp_agents(&self, caller: &Caller) -> Result<Vec<Value>> {
        caller.require_admin("get_dhcp-agents")?;
        Ok(Vec::new())
    }

    /// `GET /v2.0/agents/{id}/dhcp-networks`: no OVN agent is a DHCP agent of upstream's
    /// scheduler, which answers 404 `AgentNotFound` for them.
    pub async fn agent_dhcp_networks(&self, caller: &Caller, agent_id: &str) -> Result<Vec<Value>> {
        caller.require_admin("get_dhcp-networks")?;
        Err(agent_not_found(agent_id))
    }

    /// `POST /v2.0/agents/{id}/dhcp-networks` with `{"network_id": ...}`: the network must
    /// exist (404 `NetworkNotFound`), then the agent is not a DHCP agent (404 `AgentNotFound`).
    pub async fn add_dhcp_network(
        &self,
        caller: &Caller,
        agent_id: &str,
        body: &Map<String, Value>,
    ) -> Result<()> {
        caller.require_admin("create_dhcp-network")?;
        if let Some(k) = body.keys().find(|k| *k != "network_id") {
            return Err(Error::bad_request(format!(
                "Unrecognized attribute(s) '{k}'"
            )));
        }
        let network_id = match body.get("network_id") {
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.clone(),
            Some(v) => {
                return Err(Error::invalid_attr(
                    "network_id",
                    format!("'{}' is not a valid UUID", crate::attrs::show(v)),
                ));
            }
            None => {
                return Err(Error::bad_request(
                    "Failed to parse request. Required attribute 'network_id' not specified",
                ));
            }
        };
        let net = network_id.clone();
        let exists = self
            .store
            .read(move |tx| -> Result<bool> {
                Ok(crate::read::load::<crate::model::Network>(tx, &net)?.is_some())
            })
            .await?;
        if !exists {
            return Err(Error::network_not_found(&network_id));
        }
        Err(agent_not_found(agent_id))
    }

    /// `DELETE /v2.0/agents/{id}/dhcp-networks/{network_id}`: not a DHCP agent, 404.
    pub async fn remove_dhcp_network(&self, caller: &Caller, agent_id: &str) -> Result<()> {
        caller.require_admin("delete_dhcp-network")?;
        Err(agent_not_found(agent_id))
    }
}
