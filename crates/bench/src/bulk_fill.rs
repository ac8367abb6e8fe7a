//! Filling a server with many ports fast: bulk `POST /v2.0/ports` (`{"ports": [...]}`) of
//! `bulk` ports each from `clients` concurrent keep-alive clients, the requests spread round-robin
//! over the given networks. Keeps what the later queries need of every created port.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::Api;
use crate::database::TempDatabase;
use crate::server::Server;
use crate::stats::Latency;

/// A failed bulk request is sent again this often before the fill gives up.
const ATTEMPTS: usize = 10;

/// What the queries of the large-list scenario need of a created port.
#[derive(Clone, Debug)]
pub struct PortRef {
    pub id: String,
    pub ip_address: String,
    pub mac_address: String,
}

#[derive(Debug, Serialize)]
pub struct FillResult {
    pub ports: usize,
    pub bulk: usize,
    pub clients: usize,
    pub networks: usize,
    pub requests: usize,
    /// Bulk requests sent again after an error answer, and the first such error.
    pub retries: usize,
    pub retry_sample: Option<String>,
    pub wall_s: f64,
    pub ports_per_s: f64,
    /// Latency of one bulk request.
    pub request_latency: Latency,
    pub server_cpu_ms_per_port: f64,
    /// With PostgreSQL on this machine: CPU time of the database's backends per port.
    pub database_cpu_ms_per_port: Option<f64>,
}

/// What to create: ports `0..ports`, named `name(i)`, in bulk requests of `bulk` from
/// `clients` concurrent clients; request `c` (ports `c*bulk..`) goes to network
/// `networks[c % networks.len()]`.
pub struct Plan<'a> {
    pub networks: &'a [String],
    pub ports: usize,
    pub bulk: usize,
    pub clients: usize,
    pub name: fn(usize) -> String,
}

/// Creates the ports of `plan`; returns them in index order.
pub async fn fill(
    api: &Api,
    server: &Server,
    database: Option<&TempDatabase>,
    plan: &Plan<'_>,
) -> Result<(FillResult, Vec<PortRef>)> {
    let Plan {
        networks,
        ports,
        bulk,
        clients,
        name,
    } = *plan;
    let requests = ports.div_ceil(bulk);
    let networks = Arc::new(networks.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let database_cpu0 = database.and_then(TempDatabase::backend_cpu);
    let server_cpu0 = server.cpu_time()?;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (api, next, networks) = (api.clone(), next.clone(), networks.clone());
        workers.push(tokio::spawn(async move {
            let mut done: Vec<(usize, Vec<PortRef>)> = Vec::new();
            let (mut latencies, mut retries) = (Vec::<Duration>::new(), Vec::<String>::new());
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= requests {
                    break;
                }
                let range = c * bulk..((c + 1) * bulk).min(ports);
                let network = &networks[c % networks.len()];
                let items: Vec<Value> = range
                    .clone()
                    .map(|i| json!({"network_id": network, "name": name(i)}))
                    .collect();
                let body = json!({ "ports": items });
                let mut attempt = 1;
                let answer = loop {
                    let t = Instant::now();
                    match api.send("POST", "ports", body.clone()).await {
                        Ok(v) => {
                            latencies.push(t.elapsed());
                            break v;
                        }
                        Err(e) if attempt < ATTEMPTS => {
                            retries.push(format!("{e:#}"));
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => {
                            return Err(e.context(format!(
                                "bulk POST /v2.0/ports of ports {range:?} failed {ATTEMPTS} times"
                            )));
                        }
                    }
                };
                done.push((c, port_refs(&answer, range.len())?));
            }
            anyhow::Ok((done, latencies, retries))
        }));
    }
    let mut chunks = Vec::with_capacity(requests);
    let (mut latencies, mut retries) = (Vec::new(), Vec::new());
    for w in workers {
        let (d, l, r) = w.await??;
        chunks.extend(d);
        latencies.extend(l);
        retries.extend(r);
    }
    let wall = started.elapsed();
    let server_cpu = server.cpu_time()? - server_cpu0;
    let database_cpu = database
        .and_then(TempDatabase::backend_cpu)
        .zip(database_cpu0)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64() * 1e3 / ports as f64);
    chunks.sort_by_key(|(c, _)| *c);
    let refs: Vec<PortRef> = chunks.into_iter().flat_map(|(_, r)| r).collect();
    if refs.len() != ports {
        bail!("the fill created {} ports, expected {ports}", refs.len());
    }
    Ok((
        FillResult {
            ports,
            bulk,
            clients,
            networks: networks.len(),
            requests,
            retries: retries.len(),
            retry_sample: retries.into_iter().next(),
            wall_s: wall.as_secs_f64(),
            ports_per_s: ports as f64 / wall.as_secs_f64(),
            request_latency: Latency::of(&latencies),
            server_cpu_ms_per_port: server_cpu.as_secs_f64() * 1e3 / ports as f64,
            database_cpu_ms_per_port: database_cpu,
        },
        refs,
    ))
}

/// The ports of a bulk create answer `{"ports": [...]}`, which must hold `expected` of them.
pub fn port_refs(answer: &Value, expected: usize) -> Result<Vec<PortRef>> {
    let ports = answer["ports"]
        .as_array()
        .context("no ports array in the bulk create answer")?;
    if ports.len() != expected {
        bail!(
            "the bulk create answered {} ports, expected {expected}",
            ports.len()
        );
    }
    ports
        .iter()
        .map(|p| {
            let s = |v: &Value| v.as_str().map(str::to_string);
            let port = || {
                Some(PortRef {
                    id: s(&p["id"])?,
                    ip_address: s(&p["fixed_ips"][0]["ip_address"])?,
                    mac_address: s(&p["mac_address"])?,
                })
            };
            port().with_context(|| format!("a created port lacks id, address or MAC: {p}"))
        })
        .collect()
}
