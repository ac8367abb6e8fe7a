//! The trunk scenario (`--scenario trunk-subports`): a fresh server, one network with
//! `subports + 1` ports, one trunk on the first, then `subports` single-sub-port `add_subports`
//! from `clients` concurrent keep-alive clients (one VLAN id each, so at most 4094), then timed
//! `get_subports`, and timed full `GET /v2.0/ports` (which then reads the parent's
//! `trunk_details`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;

use crate::api::{Api, count_items};
use crate::database::TempDatabase;
use crate::server::Launch;
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

/// `reps` timed GETs of `path`; the item count of `collection` in the first answer.
async fn timed_gets(
    api: &Api,
    path: &str,
    collection: &str,
    reps: usize,
) -> Result<(usize, Latency)> {
    api.get(path).await?;
    let mut times: Vec<Duration> = Vec::with_capacity(reps);
    let mut items = 0;
    for k in 0..reps.max(1) {
        let t = Instant::now();
        let body = api.get(path).await?;
        times.push(t.elapsed());
        if k == 0 {
            items = count_items(&body, collection)?;
        }
    }
    Ok((items, Latency::of(&times)))
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
    let dir = tempfile::Builder::new()
        .prefix("neutrino-bench-trunk-")
        .tempdir_in(root)
        .with_context(|| format!("cannot create a temp dir in {}", root.display()))?;
    let database = database_url.map(TempDatabase::create).transpose()?;
    let launch = Launch {
        env: &[],
        bin,
        dir: dir.path(),
        log_level: "warn",
        database_url: database.as_ref().map(|db| db.url.as_str()),
    };
    let (mut server, _) = launch.start().await?;
    let api = Api::login(&server.url).await?;
    let net = api
        .create("networks", &json!({"network": {"name": "bench-trunk"}}))
        .await?;
    api.lift_quotas(&net).await?;
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
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (api, next, ports, trunk) = (api.clone(), next.clone(), ports.clone(), trunk.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= subports {
                    break;
                }
                let body = json!({"sub_ports": [{"port_id": ports[i + 1],
                    "segmentation_type": "vlan", "segmentation_id": i + 1}]});
                let t = Instant::now();
                api.send("PUT", &format!("trunks/{trunk}/add_subports"), body)
                    .await?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(subports);
    for w in workers {
        latencies.extend(w.await??);
    }
    let wall = started.elapsed();
    let add_latency = Latency::of(&latencies);
    eprintln!(
        "  add {subports} sub-ports with {clients} clients: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        subports as f64 / wall.as_secs_f64(),
        add_latency.p50_ms,
        add_latency.p99_ms
    );
    let path = format!("v2.0/trunks/{trunk}/get_subports");
    let (got, get_subports_latency) = timed_gets(&api, &path, "sub_ports", list_reps).await?;
    if got != subports {
        bail!("get_subports answered {got} sub-ports, not {subports}");
    }
    let (list_ports_items, list_ports_latency) =
        timed_gets(&api, "v2.0/ports", "ports", list_reps).await?;
    eprintln!(
        "  get_subports p50 {:.1} ms; list {list_ports_items} ports (with trunk_details) p50 {:.1} ms",
        get_subports_latency.p50_ms, list_ports_latency.p50_ms
    );
    server.stop();
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
