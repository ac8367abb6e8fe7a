//! The agent scheduler APIs as ML2/OVN answers them: `l3_agent_scheduler`
//! (`/v2.0/routers/{id}/l3-agents`, `/v2.0/agents/{id}/l3-routers`) reports the gateway chassis
//! of routers — the chassis of their gateway's HA chassis group, each with its
//! `ha_chassis_priority` — and `l3-agent-scheduler-ha-chassis-priority` lets an administrator
//! schedule a router's gateway onto a chassis with a priority, change that priority or take the
//! chassis out (`POST`, `PUT`, `DELETE /v2.0/agents/{id}/l3-routers[/{router_id}]`).
//!
//! A router nobody scheduled has the chassis `neutrino_ovn::gateway_priorities` computes. The
//! first change by hand starts from that list and stores the result as the router's schedule
//! (`neutrino_store::schedules`), which from then on is its list, for these calls and for the
//! OVN back end alike; it is kept while the router exists and shows while the router has a
//! gateway. An entry on a chassis that is no gateway chassis any more is not realised (not
//! shown, not in OVN), and the next change drops it. A change of a schedule is a new revision of
//! the router, which is how the back end learns it.
//!
//! `dhcp_agent_scheduler` (`/v2.0/networks/{id}/dhcp-agents`, `/v2.0/agents/{id}/dhcp-networks`)
//! has no DHCP agents to report (OVN serves DHCP natively): a network is hosted by none, and an
//! OVN agent is not one the DHCP scheduler knows (upstream looks it up among its database agents,
//! where ML2/OVN's are not: 404 `AgentNotFound`). Every call is for administrators, as upstream's
//! policy.

use serde_json::{Map, Value};

use neutrino_ovn::{GatewayChassis, scheduled_priorities};
use neutrino_store::agents::{self as stored, AgentRow};
use neutrino_store::schedules::{self, Schedule};
use neutrino_store::tables::ROUTERS;
use neutrino_store::{self as store, Selection, Tx};

use crate::error::Failure;
use crate::router::{Router, router_not_found, save_router};
use crate::{Caller, Error, Networking, Result};

/// The type of the agent of a chassis that may host gateways.
const GATEWAY_AGENT: &str = "OVN Controller Gateway agent";

fn agent_not_found(id: &str) -> Error {
    Error::not_found("AgentNotFound", format!("Agent {id} could not be found."))
}

fn doc(row: &AgentRow) -> Option<Value> {
    serde_json::from_str(&row.doc).ok()
}

/// The lowest and highest `HA_Chassis` priority (upstream's `HA_CHASSIS_GROUP_*_PRIORITY`).
const PRIORITIES: std::ops::RangeInclusive<i64> = 0..=32767;

fn invalid_l3_agent(id: &str) -> Error {
    Error::not_found(
        "InvalidL3Agent",
        format!("Agent {id} is not a L3 Agent or has been disabled"),
    )
}

fn invalid_priority() -> Error {
    Error::new(
        Failure::Invalid,
        "InvalidHAChassisPriority",
        format!(
            "HA Chassis priority must be between {} and {}",
            PRIORITIES.start(),
            PRIORITIES.end()
        ),
    )
}

fn priority_taken(priority: i64) -> Error {
    Error::conflict(
        "HAChassisPriorityAlreadyAssigned",
        format!("HA Chassis priority {priority} is already assigned"),
    )
}

fn not_hosted(router_id: &str, agent_id: &str) -> Error {
    Error::conflict(
        "RouterNotHostedByL3Agent",
        format!("The router {router_id} is not hosted by the L3 Agent {agent_id}."),
    )
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

/// A router's schedule as a change by hand starts from it: its stored one (the entries on
/// gateway chassis), else the computed one of its gateway (none without a gateway).
fn schedule_of(
    router: &Router,
    schedule: Option<&[(String, i64)]>,
    chassis: &[GatewayChassis],
) -> Schedule {
    if schedule.is_none() && router.external_gateway_info.is_none() {
        return Vec::new();
    }
    scheduled_priorities(
        &router.id,
        &router.availability_zone_hints,
        schedule,
        chassis,
    )
}

/// The chassis of a router's gateway with their priorities (none without a gateway), as the
/// OVN back end builds its HA chassis group.
fn router_chassis(
    router: &Router,
    schedule: Option<&[(String, i64)]>,
    chassis: &[GatewayChassis],
) -> Schedule {
    if router.external_gateway_info.is_none() {
        return Vec::new();
    }
    schedule_of(router, schedule, chassis)
}

/// A scheduler call's body may name only `allowed` attributes.
fn check_keys(body: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match body.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Error::bad_request(format!(
            "Unrecognized attribute(s) '{k}'"
        ))),
        None => Ok(()),
    }
}

/// The body of `POST /v2.0/agents/{id}/l3-routers`: the router and the priority, if given.
fn parse_add(body: &Map<String, Value>) -> Result<(String, Option<i64>)> {
    check_keys(body, &["router_id", "ha_chassis_priority"])?;
    let router_id = match body.get("router_id") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => {
            return Err(Error::invalid_attr(
                "router_id",
                format!("'{}' is not a valid string", crate::attrs::show(v)),
            ));
        }
        None => {
            return Err(Error::bad_request(
                "Failed to parse request. Required attribute 'router_id' not specified",
            ));
        }
    };
    Ok((router_id, parse_priority(body)?))
}

/// `ha_chassis_priority` as `convert_to_int_if_not_none` reads it, within upstream's range.
fn parse_priority(body: &Map<String, Value>) -> Result<Option<i64>> {
    let priority = match body.get("ha_chassis_priority") {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => crate::attrs::to_int(v).ok_or_else(|| {
            Error::invalid_input(format!("'{}' is not an integer", crate::attrs::show(v)))
        })?,
    };
    if !PRIORITIES.contains(&priority) {
        return Err(invalid_priority());
    }
    Ok(Some(priority))
}

/// Every gateway chassis, and a router's current schedule (see [`schedule_of`]).
fn current_schedule(tx: &Tx<'_>, router: &Router) -> Result<(Vec<GatewayChassis>, Schedule)> {
    let all = gateway_chassis(&stored::agents(tx)?);
    let stored = schedules::schedule(tx, &router.id)?;
    let current = schedule_of(router, stored.as_deref(), &all);
    Ok((all, current))
}

fn check_agent(tx: &Tx<'_>, agent_id: &str) -> Result<()> {
    match stored::agent(tx, agent_id)? {
        Some(_) => Ok(()),
        None => Err(invalid_l3_agent(agent_id)),
    }
}

/// Stores a router's new schedule as a new revision of the router.
fn save_schedule(tx: &Tx<'_>, mut router: Router, schedule: &[(String, i64)]) -> Result<()> {
    schedules::set_schedule(tx, &router.id, schedule)?;
    router.std.touch();
    save_router(tx, &router)
}

/// Schedules a router's gateway onto an agent's chassis (upstream's `add_router_to_l3_agent`
/// of ML2/OVN): not twice (409 `RouterHostedByL3Agent`), not at a priority another chassis of
/// the router has (409 `HAChassisPriorityAlreadyAssigned`), only on a gateway chassis in the
/// router's availability zones (404 `InvalidL3Agent`). Without a priority the chassis comes
/// last: one below the lowest of the router's chassis, 5 for the first.
fn add_router(tx: &Tx<'_>, agent_id: &str, router_id: &str, priority: Option<i64>) -> Result<()> {
    let Some(router) = crate::read::load::<Router>(tx, router_id)? else {
        return Err(router_not_found(router_id));
    };
    check_agent(tx, agent_id)?;
    let (all, mut current) = current_schedule(tx, &router)?;
    if current.iter().any(|(c, _)| c == agent_id) {
        return Err(Error::conflict(
            "RouterHostedByL3Agent",
            format!("The router {router_id} has been already hosted by the L3 Agent {agent_id}."),
        ));
    }
    if let Some(p) = priority
        && current.iter().any(|(_, q)| *q == p)
    {
        return Err(priority_taken(p));
    }
    let Some(chassis) = all
        .into_iter()
        .find(|c| c.name == agent_id)
        .filter(|c| c.serves(&router.availability_zone_hints))
    else {
        return Err(invalid_l3_agent(agent_id));
    };
    let priority = match priority {
        Some(p) => p,
        None => {
            let lowest = current.iter().map(|(_, p)| *p).min();
            let p = lowest.unwrap_or(neutrino_ovn::router::MAX_GATEWAY_CHASSIS as i64 + 1) - 1;
            if !PRIORITIES.contains(&p) {
                return Err(invalid_priority());
            }
            p
        }
    };
    current.push((chassis.name, priority));
    save_schedule(tx, router, &current)
}

/// A router's schedule with an agent's chassis in it, as upstream's update and remove look it
/// up: the agent first (404 `InvalidL3Agent`), then whether its chassis hosts the router (409
/// `RouterNotHostedByL3Agent`, a router that does not exist included).
fn hosted(tx: &Tx<'_>, agent_id: &str, router_id: &str) -> Result<(Router, Schedule)> {
    check_agent(tx, agent_id)?;
    if let Some(router) = crate::read::load::<Router>(tx, router_id)? {
        let (_, current) = current_schedule(tx, &router)?;
        if current.iter().any(|(c, _)| c == agent_id) {
            return Ok((router, current));
        }
    }
    Err(not_hosted(router_id, agent_id))
}

/// Changes the priority of an agent's chassis in a router's schedule (upstream's
/// `update_router_in_l3_agent`): no chassis of the router may have the priority yet, itself
/// included (409 `HAChassisPriorityAlreadyAssigned`).
fn update_router(tx: &Tx<'_>, agent_id: &str, router_id: &str, priority: i64) -> Result<()> {
    let (router, mut current) = hosted(tx, agent_id, router_id)?;
    if current.iter().any(|(_, q)| *q == priority) {
        return Err(priority_taken(priority));
    }
    for entry in current.iter_mut().filter(|(c, _)| c == agent_id) {
        entry.1 = priority;
    }
    save_schedule(tx, router, &current)
}

/// Takes an agent's chassis out of a router's schedule (upstream's
/// `remove_router_from_l3_agent`).
fn remove_router(tx: &Tx<'_>, agent_id: &str, router_id: &str) -> Result<()> {
    let (router, mut current) = hosted(tx, agent_id, router_id)?;
    current.retain(|(c, _)| c != agent_id);
    save_schedule(tx, router, &current)
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
                let schedule = schedules::schedule(tx, &router_id)?;
                Ok::<_, Error>(router_chassis(
                    &router,
                    schedule.as_deref(),
                    &gateway_chassis(&rows),
                ))
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
                    return Err(invalid_l3_agent(&agent));
                }
                let chassis = gateway_chassis(&rows);
                if !chassis.iter().any(|c| c.name == agent) {
                    return Ok(Vec::new());
                }
                let schedules = schedules::schedules(tx)?;
                let mut ids = Vec::new();
                for doc in store::list_docs(tx, ROUTERS, &Selection::all())? {
                    let router: Router =
                        serde_json::from_str(&doc).map_err(|_| Error::internal())?;
                    let schedule = schedules.get(&router.id).map(Vec::as_slice);
                    if router_chassis(&router, schedule, &chassis)
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

    /// `POST /v2.0/agents/{id}/l3-routers` with `{"router_id": ..., "ha_chassis_priority": ...}`
    /// (the priority optional): see [`add_router`].
    pub async fn add_router_to_agent(
        &self,
        caller: &Caller,
        agent_id: &str,
        body: &Map<String, Value>,
    ) -> Result<()> {
        caller.require_admin("create_l3-router")?;
        let (router_id, priority) = parse_add(body)?;
        let agent_id = agent_id.to_owned();
        self.store
            .write(move |tx| add_router(tx, &agent_id, &router_id, priority))
            .await
    }

    /// `PUT /v2.0/agents/{id}/l3-routers/{router_id}` with `{"ha_chassis_priority": ...}`: see
    /// [`update_router`]; without a priority nothing changes (upstream updates only that).
    pub async fn update_router_on_agent(
        &self,
        caller: &Caller,
        agent_id: &str,
        router_id: &str,
        body: &Map<String, Value>,
    ) -> Result<()> {
        caller.require_admin("update_l3-router")?;
        check_keys(body, &["ha_chassis_priority"])?;
        let Some(priority) = parse_priority(body)? else {
            return Ok(());
        };
        let (agent_id, router_id) = (agent_id.to_owned(), router_id.to_owned());
        self.store
            .write(move |tx| update_router(tx, &agent_id, &router_id, priority))
            .await
    }

    /// `DELETE /v2.0/agents/{id}/l3-routers/{router_id}`: see [`remove_router`].
    pub async fn remove_router_from_agent(
        &self,
        caller: &Caller,
        agent_id: &str,
        router_id: &str,
    ) -> Result<()> {
        caller.require_admin("delete_l3-router")?;
        let (agent_id, router_id) = (agent_id.to_owned(), router_id.to_owned());
        self.store
            .write(move |tx| remove_router(tx, &agent_id, &router_id))
            .await
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
        check_keys(body, &["network_id"])?;
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
