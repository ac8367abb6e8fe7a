//! The L3 scenarios: floating IP create+associate (one POST with `port_id`) and router
//! interface add (`add_router_interface` by subnet), each from concurrent keep-alive clients.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::Api;
use crate::database::TempDatabase;
use crate::server::Launch;
use crate::stats::Latency;

#[derive(Debug, Serialize)]
pub struct L3Result {
    pub scenario: String,
    pub ops: usize,
    pub clients: usize,
    pub errors: usize,
    pub ops_per_s: f64,
    pub latency: Latency,
}

/// Runs `n` operations from `clients` workers; `op(i)` does the i-th.
async fn concurrently<F, Fut>(name: &str, n: usize, clients: usize, op: F) -> Result<L3Result>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (next, op) = (next.clone(), op.clone());
        workers.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                match op(i).await {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(e) => errors.push(format!("{e:#}")),
                }
            }
            (lat, errors)
        }));
    }
    let (mut lat, mut errors): (Vec<Duration>, Vec<String>) = (Vec::new(), Vec::new());
    for w in workers {
        let (l, e) = w.await?;
        lat.extend(l);
        errors.extend(e);
    }
    let wall = started.elapsed();
    if let Some(e) = errors.first() {
        eprintln!("  {name}: {} errors, e.g. {e}", errors.len());
    }
    Ok(L3Result {
        scenario: name.to_string(),
        ops: n,
        clients,
        errors: errors.len(),
        ops_per_s: lat.len() as f64 / wall.as_secs_f64(),
        latency: Latency::of(&lat),
    })
}

fn id(v: &Value, key: &str) -> String {
    v[key]["id"].as_str().unwrap_or_default().to_string()
}

/// A fresh server; `n` floating IPs created already associated with `n` ports, then `n`
/// subnets added to routers (one router per 64 subnets, as upstream caps nothing but clients do).
/// `database_url`: on a new database of that PostgreSQL server instead of SQLite.
pub async fn run(
    bin: &Path,
    root: &Path,
    n: usize,
    clients: usize,
    database_url: Option<&str>,
) -> Result<Vec<L3Result>> {
    let dir = tempfile::Builder::new()
        .prefix("neutrino-bench-l3-")
        .tempdir_in(root)?;
    let database = database_url.map(TempDatabase::create).transpose()?;
    let env = Vec::new();
    let launch = Launch {
        env: &env,
        bin,
        dir: dir.path(),
        log_level: "warn",
        database_url: database.as_ref().map(|db| db.url.as_str()),
    };
    let (mut server, _) = launch.start().await?;
    let api = Api::login(&server.url).await?;
    let ext = api
        .send(
            "POST",
            "networks",
            json!({"network": {"name": "public", "router:external": true}}),
        )
        .await?;
    let ext = id(&ext, "network");
    api.lift_quotas(&ext).await?;
    api.send(
        "POST",
        "subnets",
        json!({"subnet": {"network_id": ext, "ip_version": 4, "cidr": "100.64.0.0/10"}}),
    )
    .await?;
    let net = id(
        &api.send("POST", "networks", json!({"network": {"name": "private"}}))
            .await?,
        "network",
    );
    let sub = id(
        &api.send(
            "POST",
            "subnets",
            json!({"subnet": {"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/16"}}),
        )
        .await?,
        "subnet",
    );
    let router = api
        .send(
            "POST",
            "routers",
            json!({"router": {"external_gateway_info": {"network_id": ext}}}),
        )
        .await?;
    let router = id(&router, "router");
    api.send(
        "PUT",
        &format!("routers/{router}/add_router_interface"),
        json!({"subnet_id": sub}),
    )
    .await?;
    let mut ports = Vec::with_capacity(n);
    for _ in 0..n {
        ports.push(id(
            &api.send("POST", "ports", json!({"port": {"network_id": net}}))
                .await?,
            "port",
        ));
    }
    let ports = Arc::new(ports);
    let fips = {
        let (api, ext, ports) = (api.clone(), ext.clone(), ports.clone());
        concurrently("floating IP create+associate", n, clients, move |i| {
            let (api, ext, ports) = (api.clone(), ext.clone(), ports.clone());
            async move {
                let body = json!({"floatingip": {"floating_network_id": ext, "port_id": ports[i]}});
                api.send("POST", "floatingips", body).await.map(|_| ())
            }
        })
        .await?
    };
    // Router interfaces: subnets prepared first, then only the action is timed.
    let mut subnets = Vec::with_capacity(n);
    let mut routers = Vec::new();
    for i in 0..n {
        if i % 64 == 0 {
            routers.push(id(
                &api.send("POST", "routers", json!({"router": {}})).await?,
                "router",
            ));
        }
        let net = id(
            &api.send("POST", "networks", json!({"network": {}})).await?,
            "network",
        );
        let cidr = format!("10.{}.{}.0/24", 1 + i / 256, i % 256);
        subnets.push(id(
            &api.send(
                "POST",
                "subnets",
                json!({"subnet": {"network_id": net, "ip_version": 4, "cidr": cidr}}),
            )
            .await?,
            "subnet",
        ));
    }
    let (subnets, routers) = (Arc::new(subnets), Arc::new(routers));
    let ifaces = {
        let api = api.clone();
        concurrently("router interface add", n, clients, move |i| {
            let (api, subnets, routers) = (api.clone(), subnets.clone(), routers.clone());
            async move {
                let path = format!("routers/{}/add_router_interface", routers[i / 64]);
                api.send("PUT", &path, json!({"subnet_id": subnets[i]}))
                    .await
                    .map(|_| ())
            }
        })
        .await?
    };
    server.stop();
    for r in [&fips, &ifaces] {
        eprintln!(
            "  {}: {} ops, {} clients: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            r.scenario, r.ops, r.clients, r.ops_per_s, r.latency.p50_ms, r.latency.p99_ms, r.errors
        );
        if r.errors > 0 {
            bail!("{}: {} failures", r.scenario, r.errors);
        }
    }
    Ok(vec![fips, ifaces])
}
