//! The OVN back end (`--scenario ovn`): a standalone Northbound `ovsdb-server` and the release
//! server with `backend = "ovn"` (no Southbound: this measures the Northbound side).
//!
//! 1. The floor, in the same run: durable SQLite commits/s of the data disk; single-row and
//!    100-row transactions/s from one persistent client into a Northbound database.
//! 2. A fill of `ports` ports (bulk POSTs), and how long until the Northbound database holds them.
//! 3. With those ports: a full compare with no drift (the reconciler's own figure), Northbound
//!    values per port, the server's memory, and a cold start (restart) that verifies every port.
//! 4. API answer → row present in Northbound, while ports are created one by one at `rate`/s.
//! 5. The API's own create rate with the back end on, against a server without it, in turns.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use neutrino_ovn::testing::NbServer;
use neutrino_ovsdb::{
    Client, ClientConfig, MonitorRequest, Operation, Value as OvsValue, operation,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::Api;
use crate::baseline::{self, CommitRate};
use crate::bulk_fill::{self, FillResult};
use crate::server::{Launch, Profiler, Server, process_cpu_time};
use crate::stats::Latency;

/// The server's full compare interval here (the default is 60 s).
const FULL_COMPARE_SECS: u64 = 10;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub ports: usize,
    pub clients: usize,
    /// Ports per second of the paced phase, and how many it creates.
    pub rate: f64,
    pub paced_ports: usize,
    /// Ports per create-rate turn (one turn with the back end, one without, twice).
    pub rate_ports: usize,
    pub baseline_secs: f64,
    pub log_level: String,
    /// Profile the servers during the first create-rate turns, back end on and off.
    pub perf_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct NbFloor {
    pub single_row_tx_per_s: f64,
    pub hundred_row_tx_per_s: f64,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub params: Params,
    pub sqlite_floor: CommitRate,
    pub nb_floor: NbFloor,
    pub fill: FillResult,
    /// From the end of the fill until the Northbound database held every port.
    pub fill_converged_s: f64,
    /// API answer → Logical_Switch_Port present, per paced port.
    pub lag: Latency,
    pub paced_rate_achieved: f64,
    /// Single-port POSTs/s with `clients` clients, back end on and off (two turns each).
    pub create_rate_on: Vec<f64>,
    pub create_rate_off: Vec<f64>,
    /// CPU per created port during those turns, by process.
    pub cpu_on: Vec<TurnCpu>,
    pub cpu_off: Vec<TurnCpu>,
    /// The reconciler's last cycle and last full compare, ms (from its status report).
    pub cycle_ms: f64,
    pub full_compare_ms: f64,
    /// From the restart's spawn until the reconciler was ready (its first full compare done).
    pub cold_start_s: f64,
    pub cold_start_changes: u64,
    pub ports_total: usize,
    pub nb_values_per_port: f64,
    pub rss_mib: f64,
    pub rss_peak_mib: f64,
}

/// CPU milliseconds per port of one create-rate turn, by process: where the back end's cost
/// lands on a machine whose cores the server, ovsdb-server and the clients share.
#[derive(Debug, Serialize)]
pub struct TurnCpu {
    pub server_ms_per_port: f64,
    /// The Northbound ovsdb-server (0 with the back end off: it is idle then).
    pub northbound_ms_per_port: f64,
    /// This benchmark's own process (the 8 clients, and the lag watcher while it runs).
    pub clients_ms_per_port: f64,
}

/// Transactions per second from one client: `rows` inserts of `Address_Set` rows (a table the
/// back end does not manage) per transaction, for about `secs`.
async fn nb_rate(client: &Client, rows: usize, secs: f64) -> Result<f64> {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < secs || n < 20 {
        let ops: Vec<Operation> = (0..rows)
            .map(|i| {
                Operation::insert(
                    "Address_Set",
                    operation::row([("name", format!("floor_{rows}_{n}_{i}"))]),
                )
            })
            .collect();
        client.transact(&ops).await?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

fn nb_client_config(nb: &NbServer) -> ClientConfig {
    let mut config = ClientConfig::new([nb.remote()], "OVN_Northbound");
    config.probe_interval = None;
    config
}

fn launch<'a>(
    bin: &'a Path,
    dir: &'a Path,
    level: &'a str,
    env: &'a [(String, String)],
) -> Launch<'a> {
    Launch {
        bin,
        dir,
        log_level: level,
        env,
        database_url: None,
    }
}

/// The reconciler's last report, read with `neutrino ovn status --json` against `dir`.
fn ovn_status(bin: &Path, dir: &Path, env: &[(String, String)]) -> Result<Value> {
    let out = std::process::Command::new(bin)
        .args(["ovn", "status", "--json", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--config")
        .arg(dir.join("neutrino.toml"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .context("neutrino ovn status")?;
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "neutrino ovn status: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Creates `n` single ports from `clients` clients as fast as they go: ports/s, and the CPU
/// the server (`server`), the Northbound server (`nb`) and this process spent per port.
async fn create_rate(
    api: &Api,
    (server, nb): (&Server, &NbServer),
    network: &str,
    (n, clients): (usize, usize),
    tag: &str,
) -> Result<(f64, TurnCpu)> {
    let nb_cpu = || {
        nb.pid().map_or(Ok(Duration::ZERO), |pid| {
            process_cpu_time(&format!("/proc/{pid}/stat"))
        })
    };
    let own_cpu = || process_cpu_time("/proc/self/stat");
    let cpu0 = (server.cpu_time()?, nb_cpu()?, own_cpu()?);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (api, next, network, tag) = (
            api.clone(),
            next.clone(),
            network.to_owned(),
            tag.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                api.create_port(&network, "", &format!("{tag}-{i}")).await?;
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let per_port = |d: Duration| d.as_secs_f64() * 1e3 / n as f64;
    let cpu = TurnCpu {
        server_ms_per_port: per_port(server.cpu_time()? - cpu0.0),
        northbound_ms_per_port: per_port(nb_cpu()? - cpu0.1),
        clients_ms_per_port: per_port(own_cpu()? - cpu0.2),
    };
    Ok((rate, cpu))
}

pub async fn run(bin: &Path, data_root: &Path, params: &Params) -> Result<Results> {
    // Kept after the run: the servers' logs are the first thing to read when a figure is off.
    let work = tempfile::Builder::new()
        .prefix("neutrino-bench-ovn-")
        .disable_cleanup(true)
        .tempdir_in(data_root)?;
    eprintln!("work dir (kept): {}", work.path().display());
    let sqlite_floor =
        baseline::sqlite_commit_rate(work.path(), Duration::from_secs_f64(params.baseline_secs))?;

    // The Northbound floor, on a database of its own.
    let floor_nb = NbServer::start();
    let floor_client = Client::connect(nb_client_config(&floor_nb)).await?;
    let nb_floor = NbFloor {
        single_row_tx_per_s: nb_rate(&floor_client, 1, params.baseline_secs).await?,
        hundred_row_tx_per_s: nb_rate(&floor_client, 100, params.baseline_secs).await?,
    };
    drop(floor_client);
    drop(floor_nb);
    eprintln!("floor: {sqlite_floor:?} {nb_floor:?}");

    let nb = NbServer::start();
    let env_on = vec![
        ("NEUTRINO_BACKEND".to_owned(), "ovn".to_owned()),
        (
            "NEUTRINO_OVN__FULL_COMPARE_INTERVAL_SECS".to_owned(),
            FULL_COMPARE_SECS.to_string(),
        ),
        ("NEUTRINO_OVN__NB_CONNECTION".to_owned(), nb.remote()),
        ("NEUTRINO_OVN__SB_CONNECTION".to_owned(), String::new()),
    ];
    let on_dir = work.path().join("on");
    std::fs::create_dir_all(&on_dir)?;
    let (mut server, _) = launch(bin, &on_dir, &params.log_level, &env_on)
        .start()
        .await?;
    let api = Api::login(&server.url).await?;

    // A monitor of the ports' rows, with the time each name first appeared.
    let watcher = Client::connect(nb_client_config(&nb)).await?;
    let lsps = watcher
        .monitor(MonitorRequest::new().table("Logical_Switch_Port", &["name"]))
        .await?;
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let watch_task = {
        let seen = seen.clone();
        let mut rx = lsps.subscribe();
        let handle = lsps;
        tokio::spawn(async move {
            loop {
                let now = Instant::now();
                // The snapshot is let go before waiting (held, the next update would copy the
                // whole table), and a name is copied only when new: at 10,000 ports this pass
                // runs after every Northbound transaction, on the cores the server uses.
                {
                    let cache = handle.snapshot();
                    let mut seen = seen.lock().unwrap();
                    for row in cache
                        .table("Logical_Switch_Port")
                        .into_iter()
                        .flatten()
                        .map(|(_, r)| r)
                    {
                        if let Some(name) = row.get("name").and_then(OvsValue::as_str)
                            && !seen.contains_key(name)
                        {
                            seen.insert(name.to_owned(), now);
                        }
                    }
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
    };

    // 2. The fill.
    let networks = vec![api.network_with_subnet("fill", "10.0.0.0/16").await?];
    let plan = bulk_fill::Plan {
        networks: &networks,
        ports: params.ports,
        bulk: 100,
        clients: params.clients,
        name: |i| format!("fill-{i}"),
    };
    let (fill, refs) = bulk_fill::fill(&api, &server, None, &plan).await?;
    let filled = Instant::now();
    let deadline = filled + Duration::from_secs(600);
    loop {
        let have = {
            let seen = seen.lock().unwrap();
            refs.iter().filter(|r| seen.contains_key(&r.id)).count()
        };
        if have == refs.len() {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the Northbound database holds {have} of {} ports after 600 s",
                refs.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fill_converged_s = filled.elapsed().as_secs_f64();
    eprintln!(
        "fill: {:.0} ports/s, in Northbound {fill_converged_s:.2} s later",
        fill.ports_per_s
    );

    // 3. The reconciler's figures with the filled ports, after one more full compare.
    // Wait for a full compare (the server runs one every FULL_COMPARE_SECS) that started after
    // the last create: its time is a full compare of every port with no drift.
    let ports_total = params.ports;
    let created_ms = now_ms();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        let s = ovn_status(bin, &on_dir, &env_on)?;
        let r = &s["reconciler"];
        let compared_after = r["last_full_compare_ms"].as_i64().is_some_and(|at| {
            at - r["last_full_compare_took_ms"].as_f64().unwrap_or(0.0) as i64 > created_ms
        });
        if r["ports"].as_u64() == Some(ports_total as u64)
            && r["last_error"].is_null()
            && compared_after
        {
            break s;
        }
        if Instant::now() > deadline {
            bail!("the reconciler never reported {ports_total} ports: {s}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let cycle_ms = status["reconciler"]["last_cycle_ms"]
        .as_f64()
        .unwrap_or(f64::NAN);
    let full_compare_ms = status["reconciler"]["last_full_compare_took_ms"]
        .as_f64()
        .unwrap_or(f64::NAN);
    let (rss, peak) = server.memory_kib()?;

    // Northbound values per port: every atom of the managed tables.
    // Cancelled once counted: kept, it would apply every later transaction's update on the
    // cores the server uses (at 10,000 ports, three member sets of 10,000 per update).
    let all = watcher.monitor(neutrino_ovn::monitor_request()).await?;
    let values: usize = all
        .snapshot()
        .tables()
        .flat_map(|(_, rows)| rows.values())
        .flat_map(|row| row.values())
        .map(|v| match v {
            OvsValue::Atom(_) => 1,
            OvsValue::Set(a) => a.len(),
            OvsValue::Map(m) => 2 * m.len(),
        })
        .sum();
    drop(all);
    let nb_values_per_port = values as f64 / ports_total as f64;

    // Cold start: a restart that downloads, loads and compares everything. Done when the new
    // process has written its first report (the old one's stays in the database until then).
    server.stop();
    let spawned = Instant::now();
    let (server2, _) = launch(bin, &on_dir, &params.log_level, &env_on)
        .start()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let (cold_start_s, cold_start_changes) = loop {
        let s = ovn_status(bin, &on_dir, &env_on)?;
        let since = spawned.elapsed().as_secs_f64();
        let fresh = s["reported_secs_ago"]
            .as_f64()
            .is_some_and(|ago| ago < since);
        if fresh && s["reconciler"]["ready"] == true {
            let took = since - s["reported_secs_ago"].as_f64().unwrap_or(0.0);
            break (
                took,
                s["reconciler"]["last_full_compare_changes"]
                    .as_u64()
                    .unwrap_or(u64::MAX),
            );
        }
        if Instant::now() > deadline {
            bail!(
                "no first full compare within 120 s of the restart:\n{}",
                server2.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let api = Api::login(&server2.url).await?;
    let mut server = server2;
    // 4. Paced creates, on the restarted server: the answer's time against the row's.
    let paced_net = api.network_with_subnet("paced", "10.1.0.0/16").await?;
    let answered: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..params.paced_ports {
        let at = started + Duration::from_secs_f64(i as f64 / params.rate);
        tokio::time::sleep_until(at.into()).await;
        let (api, answered, net) = (api.clone(), answered.clone(), paced_net.clone());
        tasks.push(tokio::spawn(async move {
            let id = api
                .create(
                    "ports",
                    &json!({"port": {"network_id": net, "name": format!("paced-{i}")}}),
                )
                .await?;
            answered.lock().unwrap().push((id, Instant::now()));
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let paced_rate_achieved = params.paced_ports as f64 / started.elapsed().as_secs_f64();
    let answered = answered.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(120);
    let lags = loop {
        let lags: Vec<Duration> = {
            let seen = seen.lock().unwrap();
            answered
                .iter()
                .filter_map(|(id, at)| seen.get(id).map(|s| s.saturating_duration_since(*at)))
                .collect()
        };
        if lags.len() == answered.len() {
            break lags;
        }
        if Instant::now() > deadline {
            bail!(
                "{} of {} paced ports never reached Northbound",
                answered.len() - lags.len(),
                answered.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let lag = Latency::of(&lags);
    eprintln!("lag: {lag:?}");
    // Done watching: its pass after every Northbound transaction would take CPU from the
    // server while the create rate is measured.
    watch_task.abort();
    drop(watcher);

    // 5. Create rate, back end on and off, in turns.
    let off_dir = work.path().join("off");
    std::fs::create_dir_all(&off_dir)?;
    let (mut off_server, _) = launch(bin, &off_dir, &params.log_level, &[])
        .start()
        .await?;
    let off_api = Api::login(&off_server.url).await?;
    let off_net = off_api.network_with_subnet("rate", "10.2.0.0/16").await?;
    let on_net = api.network_with_subnet("rate", "10.2.0.0/16").await?;
    // Each side's rates and CPU, turn by turn.
    let (mut on, mut off) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    let size = (params.rate_ports, params.clients);
    for turn in 0..2 {
        let profile = params.perf_dir.as_deref().filter(|_| turn == 0);
        for (side, api, server, net, (rates, cpus)) in [
            ("on", &api, &server, &on_net, &mut on),
            ("off", &off_api, &off_server, &off_net, &mut off),
        ] {
            let profiler = Profiler::start(profile, server, &format!("ovn-{side}"))?;
            let tag = format!("{side}{turn}");
            let (rate, cpu) = create_rate(api, (server, &nb), net, size, &tag).await?;
            drop(profiler);
            rates.push(rate);
            cpus.push(cpu);
        }
    }
    let ((create_rate_on, cpu_on), (create_rate_off, cpu_off)) = (on, off);
    off_server.stop();
    eprintln!("create rate on {create_rate_on:?} off {create_rate_off:?}");
    eprintln!("CPU ms per port on {cpu_on:?} off {cpu_off:?}");

    server.stop();

    Ok(Results {
        params: params.clone(),
        sqlite_floor,
        nb_floor,
        fill,
        fill_converged_s,
        lag,
        paced_rate_achieved,
        create_rate_on,
        create_rate_off,
        cpu_on,
        cpu_off,
        cycle_ms,
        full_compare_ms,
        cold_start_s,
        cold_start_changes,
        ports_total,
        nb_values_per_port,
        rss_mib: rss as f64 / 1024.0,
        rss_peak_mib: peak as f64 / 1024.0,
    })
}

pub fn markdown(r: &Results) -> String {
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let (on, off) = (median(&r.create_rate_on), median(&r.create_rate_off));
    let cpu = |turns: &[TurnCpu], f: fn(&TurnCpu) -> f64| {
        median(&turns.iter().map(f).collect::<Vec<_>>())
    };
    format!(
        "| measure | value | target |\n| --- | --- | --- |\n\
         | floor: durable SQLite commits/s | {:.0} | |\n\
         | floor: Northbound transactions/s, 1 row / 100 rows | {:.0} / {:.0} | |\n\
         | fill: {} ports, bulk POSTs, ports/s (back end on) | {:.0} | |\n\
         | fill → all in Northbound | {:.2} s | |\n\
         | API answer → row in Northbound at {:.0} ports/s ({} ports; achieved {:.0}/s): p50 / p90 / p99 | {:.1} / {:.1} / {:.1} ms | p50 ≤ 10, p99 ≤ 50 ms |\n\
         | single-port creates/s, {} clients, back end on / off (ratio) | {:.0} / {:.0} ({:.2}) | on ≥ 2,000 |\n\
         | CPU ms per port in those turns, on / off: server; Northbound; clients | {:.3} / {:.3}; {:.3}; {:.3} / {:.3} | |\n\
         | reconciler: last cycle / full compare with no drift (store reloaded), {} ports | {:.0} / {:.0} ms | full compare ≤ 1 s |\n\
         | cold start that verifies every port (spawn → first full compare done; rows changed) | {:.2} s ({}) | ≤ 10 s |\n\
         | Northbound values per port | {:.1} | ≤ 25 |\n\
         | server RSS / peak with {} ports | {:.0} / {:.0} MiB | ≤ 150 MB |\n",
        r.sqlite_floor.commits_per_s,
        r.nb_floor.single_row_tx_per_s,
        r.nb_floor.hundred_row_tx_per_s,
        r.fill.ports,
        r.fill.ports_per_s,
        r.fill_converged_s,
        r.params.rate,
        r.params.paced_ports,
        r.paced_rate_achieved,
        r.lag.p50_ms,
        r.lag.p90_ms,
        r.lag.p99_ms,
        r.params.clients,
        on,
        off,
        on / off,
        cpu(&r.cpu_on, |t| t.server_ms_per_port),
        cpu(&r.cpu_off, |t| t.server_ms_per_port),
        cpu(&r.cpu_on, |t| t.northbound_ms_per_port),
        cpu(&r.cpu_on, |t| t.clients_ms_per_port),
        cpu(&r.cpu_off, |t| t.clients_ms_per_port),
        r.ports_total,
        r.cycle_ms,
        r.full_compare_ms,
        r.cold_start_s,
        r.cold_start_changes,
        r.nb_values_per_port,
        r.ports_total,
        r.rss_mib,
        r.rss_peak_mib,
    )
}
