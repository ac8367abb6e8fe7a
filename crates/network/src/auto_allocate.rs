//! Auto-allocated topology (`/v2.0/auto-allocated-topology/{project_id}`): "get me a network"
//! for a project — a network with a subnet from each default subnet pool, behind a router whose
//! gateway is on the default external network (`is_default`). The first GET builds it; later
//! ones answer the same network; DELETE removes it.
//!
//! Upstream builds the topology in many transactions and cleans up by hand when a step fails;
//! here it is one write, so a failed step leaves nothing behind and two concurrent first GETs
//! end with one topology (the loser's write is refused by the table's key and rolled back).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use neutrino_store::tables::{AUTO_ALLOCATED_TOPOLOGIES, NETWORKS, SUBNETPOOLS, SUBNETS};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Tx};

use crate::collection::{Collection, Ctx, Kind};
use crate::extensions::{Extension, ext};
use crate::model::{Network, Resource};
use crate::read::load;
use crate::{Caller, Error, Failure, NetworkConfig, Networking, Result};

pub const EXTENSIONS: &[Extension] = &[ext(
    "auto-allocated-topology",
    "Auto Allocated Topology Services",
    "Auto Allocated Topology Services.",
)];

/// `?fields=dry-run`: only check that a topology could be built.
const DRY_RUN: &str = "dry-run";

/// What a project's topology is made of (the row's id is the project's).
#[derive(Serialize, Deserialize)]
struct Topology {
    network_id: String,
    router_id: String,
}

fn failure(reason: &str) -> Error {
    Error::conflict(
        "AutoAllocationFailure",
        format!("Deployment error: {reason}."),
    )
}

/// A step's failure as upstream reports it: the request-level ones (bad input, missing or
/// exhausted resources) become `AutoAllocationFailure` with `reason`; the others (the database
/// away, our own faults, quotas) stay what they are.
fn step_failed(reason: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e.failure {
        Failure::Invalid | Failure::NotFound | Failure::Exhausted => failure(reason),
        _ => e,
    }
}

fn answer(network_id: &str, project_id: &str) -> Value {
    json!({"id": network_id, "project_id": project_id})
}

/// The project a request is about: `None` (what clients send when they know none) is the
/// caller's own; another project's needs an admin.
fn project_of(caller: &Caller, project_id: &str) -> Result<String> {
    let project = if project_id == "None" {
        caller.project_id.as_str()
    } else {
        project_id
    };
    if !caller.is_admin() && project != caller.project_id {
        return Err(Error::policy("rule:get_auto_allocated_topology"));
    }
    Ok(project.to_string())
}

/// The project's topology, if it still has its network (deleting the network or router by hand
/// leaves a stale row, which counts as none, as upstream's cascading foreign keys do).
fn existing(tx: &Tx<'_>, project: &str) -> Result<Option<Topology>> {
    let Some(doc) = store::get_doc(tx, AUTO_ALLOCATED_TOPOLOGIES, project)? else {
        return Ok(None);
    };
    let topology: Topology = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
    if load::<Network>(tx, &topology.network_id)?.is_none() {
        store::delete_row(tx, AUTO_ALLOCATED_TOPOLOGIES, project)?;
        return Ok(None);
    }
    Ok(Some(topology))
}

fn default_external_network(tx: &Tx<'_>) -> Result<String> {
    let open = Selection::by("open", vec!["1".into()]);
    for doc in store::list_docs(tx, NETWORKS, &open)? {
        let net = Network::from_doc("", &doc)?;
        if net.router_external && net.is_default {
            return Ok(net.id);
        }
    }
    Err(failure("No default router:external network"))
}

/// The IP versions that have a default subnet pool.
fn default_pool_versions(tx: &Tx<'_>) -> Result<Vec<u8>> {
    let mut versions = Vec::new();
    for version in [4u8, 6] {
        let sel = Selection::by("default_version", vec![version.to_string()]);
        if store::exists(tx, SUBNETPOOLS, &sel)? {
            versions.push(version);
        }
    }
    if versions.is_empty() {
        return Err(failure("No default subnetpools defined"));
    }
    Ok(versions)
}

fn body(fields: Value) -> Map<String, Value> {
    match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Creates the network, its subnets, the router and its interfaces through the collections'
/// own rules, as a member of the project (so quotas and visibility hold as for the project).
fn build(tx: &Tx<'_>, cfg: &NetworkConfig, project: &str) -> Result<Topology> {
    let external = default_external_network(tx)?;
    let versions = default_pool_versions(tx)?;
    let member = Caller {
        user_id: "neutrino".into(),
        project_id: project.to_string(),
        roles: vec!["member".into(), "reader".into()],
    };
    let cx = Ctx {
        cfg,
        caller: &member,
    };
    let created = |kind: Kind, fields: Value| -> Result<String> {
        let v = kind.create(tx, &cx, &body(fields))?;
        Ok(v["id"].as_str().unwrap_or_default().to_string())
    };
    let network_id = created(
        &crate::network::Networks,
        json!({"name": "auto_allocated_network"}),
    )?;
    let mut subnets = Vec::new();
    for version in versions {
        let subnet = created(
            &crate::subnet::Subnets,
            json!({
                "name": format!("auto_allocated_subnet_v{version}"),
                "network_id": network_id,
                "ip_version": version,
                "use_default_subnetpool": true,
            }),
        )
        .map_err(step_failed("Unable to provide project private network"))?;
        subnets.push(subnet);
    }
    let router_id = created(
        &crate::router::Routers,
        json!({
            "name": "auto_allocated_router",
            "external_gateway_info": {"network_id": external},
        }),
    )
    .map_err(step_failed("Unable to provide external connectivity"))?;
    for subnet in subnets {
        let add = body(json!({"subnet_id": subnet}));
        crate::router::Routers
            .action(tx, &cx, &router_id, "add_router_interface", &add)
            .unwrap_or_else(|| Err(Error::internal()))
            .map_err(step_failed("Unable to provide external connectivity"))?;
    }
    let owned: Vec<(Kind, String)> = [
        &crate::network::Networks as Kind,
        &crate::subnet::Subnets,
        &crate::router::Routers,
    ]
    .into_iter()
    .map(|k| (k, project.to_string()))
    .collect();
    crate::quotas::check(tx, cfg, &owned)?;
    Ok(Topology {
        network_id,
        router_id,
    })
}

impl Networking {
    /// `GET /v2.0/auto-allocated-topology/{project_id}`: the project's topology, built on the
    /// first call; `fields=dry-run` only checks the requirements.
    pub async fn auto_allocated_topology(
        &self,
        caller: &Caller,
        project_id: &str,
        fields: &[String],
    ) -> Result<Value> {
        let project = project_of(caller, project_id)?;
        if fields.iter().any(|f| f == DRY_RUN) {
            return self
                .store
                .read(move |tx| {
                    default_external_network(tx)?;
                    default_pool_versions(tx)?;
                    Ok(json!({"id": "dry-run=pass", "project_id": project}))
                })
                .await;
        }
        if !fields.is_empty() {
            return Err(crate::router::bad_request(
                "auto_allocate",
                "Unrecognized field",
            ));
        }
        let cfg = self.cfg.clone();
        let key = project.clone();
        let built = self
            .store
            .write(move |tx| {
                if let Some(t) = existing(tx, &key)? {
                    return Ok(answer(&t.network_id, &key));
                }
                let topology = build(tx, &cfg, &key)?;
                let doc = serde_json::to_string(&topology).map_err(|_| Error::internal())?;
                let columns = [
                    ("network_id", ColumnValue::Text(topology.network_id.clone())),
                    ("router_id", ColumnValue::Text(topology.router_id.clone())),
                ];
                match store::insert_row(tx, AUTO_ALLOCATED_TOPOLOGIES, &key, &columns, &doc) {
                    // Another request built one first: this one's resources roll back.
                    Err(StoreError::Conflict(_)) => {
                        return Err(Error::conflict("TopologyExists", ""));
                    }
                    other => other?,
                }
                Ok(answer(&topology.network_id, &key))
            })
            .await;
        match built {
            Err(e) if e.kind == "TopologyExists" => {
                self.store
                    .read(move |tx| {
                        let t = existing(tx, &project)?.ok_or_else(Error::internal)?;
                        Ok(answer(&t.network_id, &project))
                    })
                    .await
            }
            other => other,
        }
    }

    /// `DELETE /v2.0/auto-allocated-topology/{project_id}`: the router (interfaces, gateway)
    /// and the network go; nothing to delete is no error.
    pub async fn delete_auto_allocated_topology(
        &self,
        caller: &Caller,
        project_id: &str,
    ) -> Result<()> {
        let project = project_of(caller, project_id)?;
        if !caller.is_admin() && !caller.has_role("member") {
            return Err(Error::policy("rule:delete_auto_allocated_topology"));
        }
        let cfg = self.cfg.clone();
        self.store
            .write(move |tx| {
                let Some(t) = existing(tx, &project)? else {
                    return Ok(());
                };
                let admin = crate::router::service_caller();
                let cx = Ctx {
                    cfg: &cfg,
                    caller: &admin,
                };
                if load::<crate::router::Router>(tx, &t.router_id)?.is_some() {
                    let on_network = Selection::by("network_id", vec![t.network_id.clone()]);
                    for doc in store::list_docs(tx, SUBNETS, &on_network)? {
                        let subnet: Value = serde_json::from_str(&doc).unwrap_or_default();
                        let remove = body(json!({"subnet_id": subnet["id"]}));
                        let removed = crate::router::Routers
                            .action(tx, &cx, &t.router_id, "remove_router_interface", &remove)
                            .unwrap_or_else(|| Err(Error::internal()));
                        // An interface someone removed by hand is simply gone already.
                        match removed {
                            Err(e) if e.failure == Failure::NotFound => {}
                            other => {
                                other?;
                            }
                        }
                    }
                    crate::router::Routers.delete(tx, &cx, &t.router_id, None)?;
                }
                crate::network::Networks.delete(tx, &cx, &t.network_id, None)?;
                store::delete_row(tx, AUTO_ALLOCATED_TOPOLOGIES, &project)?;
                Ok(())
            })
            .await
    }
}
