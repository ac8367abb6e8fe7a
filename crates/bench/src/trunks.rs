//! The trunk scenario (`--scenario trunk-subports`): a fresh server, one network with
//! `subports + 1` ports, one trunk on the first, then `subports` single-sub-port `add_subports`
//! from `clients` concurrent keep-alive clients (one VLAN id each, so at most 4094), then timed
//! `get_subports`, and timed full `GET /v2.0/ports` (which then reads the parent's
//! `trunk_details`).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::json;

use crate::collections::fresh;
use crate::load::{spread, timed_gets};
use crate::stats::Latency;

#[derive(Debug, Serialize)]
pub struct TrunkResult {
    pub subports: usize,
    pub clients: usize,
    pub add_wall_s: f64,
    pub add_per_s: f64,
    pub add_latency: Latency,
    pub get_subports_latency: Latency,
    pub list_ports_items: usize,
    pub list_ports_latency: Latency,
}

/// Runs the scenario once. `database_url`: on a new database of that PostgreSQL server
/// instead of SQLite.
pub async fn run(
    bin: &Path,
    root: &Path,
    subports: usize,
    clients: usize,
    list_reps: usize,
    database_url: Option<&str>,
) -> Result<TrunkResult> {
    if subports == 0 || subports > 4094 {
        bail!("--ports must be 1..=4094 for the trunk-subports scenario (one VLAN id each)");
    }
    // Kept whole: its data dir lives as long as it does.
    let mut f = fresh(bin, root, "bench-trunk", None, database_url).await?;
    let (api, net) = (f.api.clone(), f.network.clone());
    let mut ports = Vec::with_capacity(subports + 1);
    for _ in 0..=subports {
        ports.push(
            api.create("ports", &json!({"port": {"network_id": net}}))
                .await?,
        );
    }
    let trunk = api
        .create("trunks", &json!({"trunk": {"port_id": ports[0]}}))
        .await?;

    let ports = Arc::new(ports);
    let add = {
        let (api, trunk) = (api.clone(), trunk.clone());
        spread(clients, subports, move |i| {
            let (api, ports, trunk) = (api.clone(), ports.clone(), trunk.clone());
            async move {
                let body = json!({"sub_ports": [{"port_id": ports[i + 1],
                    "segmentation_type": "vlan", "segmentation_id": i + 1}]});
                api.send("PUT", &format!("trunks/{trunk}/add_subports"), body)
                    .await?;
                Ok(())
            }
        })
        .await?
    };
    let (wall, add_latency) = (add.wall, add.latency);
    eprintln!(
        "  add {subports} sub-ports with {clients} clients: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        subports as f64 / wall.as_secs_f64(),
        add_latency.p50_ms,
        add_latency.p99_ms
    );
    let path = format!("v2.0/trunks/{trunk}/get_subports");
    let got = timed_gets(&api, &path, "sub_ports", list_reps).await?;
    if got.items != subports {
        bail!(
            "get_subports answered {} sub-ports, not {subports}",
            got.items
        );
    }
    let get_subports_latency = got.latency;
    let listed = timed_gets(&api, "v2.0/ports", "ports", list_reps).await?;
    let (list_ports_items, list_ports_latency) = (listed.items, listed.latency);
    eprintln!(
        "  get_subports p50 {:.1} ms; list {list_ports_items} ports (with trunk_details) p50 {:.1} ms",
        get_subports_latency.p50_ms, list_ports_latency.p50_ms
    );
    f.server.stop();
    Ok(TrunkResult {
        subports,
        clients,
        add_wall_s: wall.as_secs_f64(),
        add_per_s: subports as f64 / wall.as_secs_f64(),
        add_latency,
        get_subports_latency,
        list_ports_items,
        list_ports_latency,
    })
}
