//! The Southbound database, read: which chassis may host router gateways (for the reconciler),
//! where each port is bound — written into the port's `status`, `binding:host_id`,
//! `binding:vif_type` and `binding:vif_details` without a new revision — and the chassis as
//! agents (`crate::agents`).
//!
//! Ports and agents are compared with what this task last wrote; after a reconnect (and at start)
//! that memory is dropped and everything is compared with the store again, so a missed update
//! never leaves a port or an agent wrong.

use std::collections::BTreeMap;
use std::time::Duration;

use neutrino_ovn::GatewayChassis;
use neutrino_ovsdb::{Atom, Cache, Client, ClientConfig, Event, MonitorHandle, MonitorRequest};
use neutrino_store::agents as store_agents;
use neutrino_store::{Store, StoreError, set_operational, tables};
use serde_json::{Value as Json, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};

use crate::agents::{self, AgentChanges, AgentTracker, chassis_agents};
use crate::config::OvnConfig;

/// Where a port is, as the Southbound database says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The hostname (else the name) of the chassis that claimed the port.
    pub host: Option<String>,
    /// The chassis has set the port up: its flows are installed.
    pub up: bool,
}

impl Binding {
    pub fn status(&self) -> &'static str {
        if self.host.is_some() && self.up {
            "ACTIVE"
        } else {
            "DOWN"
        }
    }

    /// The port attributes this binding sets. An unbound port keeps its `binding:host_id`
    /// (the compute service may have set it before plugging).
    fn fields(&self) -> Vec<(&'static str, Json)> {
        let mut fields = vec![("status", Json::from(self.status()))];
        if let Some(host) = &self.host {
            fields.push(("binding:host_id", Json::from(host.as_str())));
            fields.push(("binding:vif_type", Json::from("ovs")));
            fields.push((
                "binding:vif_details",
                json!({"port_filter": true, "connectivity": "l2", "bridge_name": "br-int",
                       "bound_drivers": {"0": "ovn"}}),
            ));
        }
        fields
    }
}

/// What the task reads of a chassis: its names and where its options are.
const CHASSIS_COLUMNS: &[&str] = &["name", "hostname", "other_config", "external_ids"];

fn monitor_request() -> MonitorRequest {
    MonitorRequest::new()
        .table("Chassis", CHASSIS_COLUMNS)
        .table(
            "Chassis_Private",
            &["name", "chassis", "nb_cfg", "external_ids"],
        )
        .table("SB_Global", &["nb_cfg"])
        .table("Port_Binding", &["logical_port", "type", "chassis", "up"])
}

/// The chassis that may host router gateways, with their availability zones, sorted by name.
pub fn gateway_chassis(cache: &Cache) -> Vec<GatewayChassis> {
    let mut chassis: Vec<GatewayChassis> = cache
        .table("Chassis")
        .into_iter()
        .flatten()
        .filter(|(_, row)| agents::is_gateway(row))
        .filter_map(|(_, row)| {
            Some(GatewayChassis {
                name: row.get("name")?.as_str()?.to_owned(),
                zones: agents::availability_zones(row)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect();
    chassis.sort();
    chassis
}

/// The binding of every instance port (type `""`), by logical port (the Neutron port id), and of
/// every router gateway port: the chassis that holds its `chassisredirect` port
/// (`cr-lrp-<port id>`) is where the router's gateway is active, as upstream reports it. Other
/// router and service ports are left alone: their status is the API's.
pub fn bindings(cache: &Cache) -> BTreeMap<String, Binding> {
    let hosts: BTreeMap<_, String> = cache
        .table("Chassis")
        .into_iter()
        .flatten()
        .filter_map(|(uuid, row)| {
            let host = row
                .get("hostname")
                .and_then(|v| v.as_str())
                .filter(|h| !h.is_empty())
                .or_else(|| row.get("name")?.as_str())?;
            Some((*uuid, host.to_owned()))
        })
        .collect();
    cache
        .table("Port_Binding")
        .into_iter()
        .flatten()
        .filter_map(|(_, row)| {
            let name = row.get("logical_port")?.as_str()?;
            let chassis = row
                .get("chassis")
                .and_then(|v| v.as_atom())
                .and_then(Atom::as_uuid);
            let (port, up) = match row.get("type")?.as_str()? {
                "" => (
                    name.to_owned(),
                    row.get("up")
                        .and_then(|v| v.as_atom())
                        .and_then(Atom::as_bool)
                        .unwrap_or(false),
                ),
                // A gateway is up where it is claimed: OVN sets no `up` on these ports.
                "chassisredirect" => (name.strip_prefix("cr-lrp-")?.to_owned(), chassis.is_some()),
                _ => return None,
            };
            Some((
                port,
                Binding {
                    host: chassis.and_then(|c| hosts.get(&c).cloned()),
                    up,
                },
            ))
        })
        .collect()
}

/// The gateway chassis, read once (for `neutrino ovn sync`): connects, downloads `Chassis`,
/// disconnects.
pub async fn read_gateway_chassis(
    config: &OvnConfig,
) -> Result<Vec<GatewayChassis>, neutrino_ovsdb::Error> {
    let client = Client::connect(client_config(config)).await?;
    let monitor = client
        .monitor(MonitorRequest::new().table("Chassis", CHASSIS_COLUMNS))
        .await?;
    Ok(gateway_chassis(&monitor.snapshot()))
}

fn client_config(config: &OvnConfig) -> ClientConfig {
    let mut client = ClientConfig::new(config.sb_remotes(), "OVN_Southbound");
    client.probe_interval = config.probe_interval();
    client
}

/// Starts the Southbound task: it publishes the gateway chassis (`None` until the first
/// download) and writes port bindings into the store.
pub fn start(store: Store, config: &OvnConfig) -> Southbound {
    let (tx, gateways) = watch::channel(None);
    let (rebound_tx, rebound) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(
        store,
        client_config(config),
        config.agent_down_time(),
        tx,
        rebound_tx,
    ));
    Southbound {
        gateways,
        rebound,
        task,
    }
}

/// The Southbound task, as the reconciler sees it.
pub struct Southbound {
    /// The gateway chassis; `None` until the first download.
    pub gateways: watch::Receiver<Option<Vec<GatewayChassis>>>,
    /// Ports whose `binding:host_id` this task changed: written without a feed entry, so the
    /// reconciler reads them again itself (a bound port's floating IP may become distributed).
    pub rebound: mpsc::UnboundedReceiver<String>,
    pub task: tokio::task::JoinHandle<()>,
}

async fn connect(config: &ClientConfig) -> (Client, MonitorHandle) {
    let mut pause = Duration::from_millis(200);
    loop {
        let attempt = async {
            let client = Client::connect(config.clone()).await?;
            let monitor = client.monitor(monitor_request()).await?;
            Ok::<_, neutrino_ovsdb::Error>((client, monitor))
        };
        match attempt.await {
            Ok(pair) => return pair,
            Err(e) => {
                tracing::warn!(error = %e, "OVN back end: Southbound database");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn run(
    store: Store,
    config: ClientConfig,
    agent_down_time: Duration,
    gateways: watch::Sender<Option<Vec<GatewayChassis>>>,
    rebound: mpsc::UnboundedSender<String>,
) {
    let (client, monitor) = connect(&config).await;
    let mut events = client.events();
    let mut changes = monitor.subscribe();
    // What was last written (or found) per port: only differences are written.
    let mut written: BTreeMap<String, Binding> = BTreeMap::new();
    let mut agents = AgentTracker::default();
    // Agents in the store that the Southbound does not list are removed once per session.
    let mut prune_agents = true;
    loop {
        let cache = monitor.snapshot();
        let chassis = gateway_chassis(&cache);
        gateways.send_if_modified(|g| {
            let changed = g.as_ref() != Some(&chassis);
            *g = Some(chassis);
            changed
        });
        let now = bindings(&cache);
        let changed: Vec<(String, Binding)> = now
            .iter()
            .filter(|(port, b)| written.get(*port) != Some(b))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        let seen_agents = chassis_agents(&cache);
        let agent_changes = agents.changes(
            &seen_agents,
            neutrino_store::unix_time_ms(),
            agent_down_time,
        );
        if !changed.is_empty() || agent_changes != AgentChanges::default() || prune_agents {
            let batch = changed.clone();
            let prune = prune_agents.then(|| seen_agents.keys().cloned().collect::<Vec<_>>());
            let result = store
                .write(move |tx| {
                    let mut bound = Vec::new();
                    for (port, binding) in &batch {
                        if set_operational(tx, tables::PORTS, port, &binding.fields())?
                            && binding.host.is_some()
                        {
                            bound.push(port.clone());
                        }
                    }
                    write_agents(tx, &agent_changes, prune.as_deref())?;
                    Ok::<_, StoreError>(bound)
                })
                .await;
            match result {
                Ok(bound) => {
                    for port in bound {
                        // Nobody listening (the reconciler stopped) is fine.
                        let _ = rebound.send(port);
                    }
                    written.extend(changed);
                    prune_agents = false;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "OVN back end: cannot record port status");
                    agents.clear();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        }
        // A port whose binding went away (unplugged and its row gone) is no longer tracked.
        written.retain(|port, _| now.contains_key(port));
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            event = events.recv() => match event {
                // A new session, or events missed: compare everything with the store again.
                Ok(Event::Resynced { .. }) | Err(RecvError::Lagged(_)) => {
                    written.clear();
                    agents.clear();
                    prune_agents = true;
                }
                Ok(_) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// Writes the agents' changes; with `keep`, also removes every stored agent it does not name.
fn write_agents(
    tx: &neutrino_store::Tx,
    changes: &AgentChanges,
    keep: Option<&[String]>,
) -> Result<(), StoreError> {
    for agent in &changes.put {
        store_agents::put_agent(tx, agent)?;
    }
    for id in &changes.removed {
        store_agents::delete_agent(tx, id)?;
    }
    if let Some(keep) = keep {
        for stored in store_agents::agents(tx)? {
            if !keep.contains(&stored.id) {
                store_agents::delete_agent(tx, &stored.id)?;
            }
        }
    }
    Ok(())
}
