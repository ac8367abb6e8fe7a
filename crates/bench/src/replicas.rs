//! Replicas on PostgreSQL (`--scenario replicas`): the same single-port create load against
//! three services, in turns, in one run:
//!
//! * SQLite, one server;
//! * PostgreSQL, one replica (`neutrino serve`) on a fresh database;
//! * PostgreSQL, `replicas` replicas on one fresh database, all from one generated config, each
//!   with its own loopback port and data dir; the clients are spread round-robin over them, with
//!   the token the first replica issued.
//!
//! Each turn first measures the floors (durable single-row commits/s of SQLite on the data disk
//! and of PostgreSQL from one client) and the load average, then the three services in an order
//! that rotates from turn to turn, so that a noisy minute does not always hit the same one.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::api::{Api, count_items};
use crate::baseline::{self, CommitRate};
use crate::database::TempDatabase;
use crate::scenario::{self, CreateResult};
use crate::server::{Launch, Profiler};
use crate::stats::{each_rate, median, median_some};

/// The targets of issue 10: ports/s with one replica on PostgreSQL, and the ratio of
/// `replicas` replicas to one.
pub const ONE_REPLICA_PER_S: f64 = 1500.0;
pub const REPLICAS_VS_ONE: f64 = 1.0;

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub ports: usize,
    pub clients: usize,
    /// Replicas of the multi-replica PostgreSQL service.
    pub replicas: usize,
    pub turns: usize,
    pub baseline_secs: f64,
    pub cidr: String,
    pub log_level: String,
    pub server_env: Vec<(String, String)>,
    /// Pin replica `k` of the multi-replica service to CPU `k mod cores` (one server is never
    /// pinned: it has every core).
    pub pin_replicas: bool,
    /// Profile the first replica of each service during the first turn's creates.
    pub perf_dir: Option<std::path::PathBuf>,
}

/// One of the services a turn measures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Service {
    /// `sqlite` or `postgresql`.
    pub engine: &'static str,
    pub replicas: usize,
    /// Each replica pinned to a core of its own (round-robin over the cores).
    pub pinned: bool,
}

impl Service {
    pub fn label(&self) -> String {
        match (self.replicas, self.pinned) {
            (1, _) => format!("{}, 1 server", self.engine),
            (n, false) => format!("{}, {n} replicas", self.engine),
            (n, true) => format!("{}, {n} replicas pinned", self.engine),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ServiceRun {
    pub service: Service,
    /// Spawn of the first replica to the last one answering `GET /` (fresh database).
    pub start_ms: f64,
    pub create: CreateResult,
}

#[derive(Debug, Serialize)]
pub struct Turn {
    pub turn: usize,
    /// `/proc/loadavg` (1, 5, 15 min) when the turn began.
    pub load_average: [f64; 3],
    pub sqlite_floor: CommitRate,
    pub postgres_floor: CommitRate,
    /// In the order they ran.
    pub services: Vec<ServiceRun>,
    /// Ports/s of `replicas` replicas over one replica, this turn.
    pub replicas_vs_one: f64,
}

/// The medians of one service over the turns.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub service: Service,
    pub ports_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    /// Over all turns, and the first failure.
    pub failed_creates: usize,
    pub error_sample: Option<String>,
    pub server_cpu_ms_per_port: f64,
    pub database_cpu_ms_per_port: Option<f64>,
    pub client_cpu_ms_per_port: f64,
    pub ports_per_s_each_turn: Vec<f64>,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub params: Params,
    pub summary: Vec<Summary>,
    pub sqlite_floor_per_s: f64,
    pub postgres_floor_per_s: f64,
    /// Median over the turns of each turn's ratio.
    pub replicas_vs_one: f64,
    pub one_replica_target_met: bool,
    pub replicas_target_met: bool,
    pub turns: Vec<Turn>,
}

fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut f = text
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(f64::NAN));
    [(); 3].map(|_| f.next().unwrap_or(f64::NAN))
}

/// Every turn, then the medians.
pub async fn run(bin: &Path, root: &Path, database_url: &str, p: &Params) -> Result<Results> {
    let services = [
        Service {
            engine: "sqlite",
            replicas: 1,
            pinned: false,
        },
        Service {
            engine: "postgresql",
            replicas: 1,
            pinned: false,
        },
        Service {
            engine: "postgresql",
            replicas: p.replicas,
            pinned: p.pin_replicas,
        },
    ];
    let mut turns = Vec::new();
    for turn in 1..=p.turns {
        let dir = tempfile::Builder::new()
            .prefix("neutrino-bench-replicas-")
            .tempdir_in(root)
            .with_context(|| format!("cannot create a temp dir in {}", root.display()))?;
        let load = load_average();
        let secs = Duration::from_secs_f64(p.baseline_secs);
        let sqlite_floor = baseline::sqlite_commit_rate(dir.path(), secs)?;
        let postgres_floor = {
            let db = TempDatabase::create(database_url)?;
            baseline::postgres_commit_rate(&db.url, secs)?
        };
        eprintln!(
            "turn {turn}/{}: load average {:.2}; floors: SQLite {:.0} commits/s, PostgreSQL {:.0} commits/s",
            p.turns, load[0], sqlite_floor.commits_per_s, postgres_floor.commits_per_s
        );
        let mut order = services;
        order.rotate_left((turn - 1) % services.len());
        let mut runs = Vec::new();
        for service in order {
            let service_dir = dir
                .path()
                .join(format!("{}-{}", service.engine, service.replicas));
            std::fs::create_dir_all(&service_dir)?;
            let url = (service.engine == "postgresql").then_some(database_url);
            let profile = p.perf_dir.as_deref().filter(|_| turn == 1);
            let run = run_service(bin, &service_dir, url, service, p, profile).await?;
            eprintln!(
                "  {}: {:.0} ports/s, p50 {:.2} ms, p99 {:.2} ms, {} failed, server CPU {:.3} ms/port{}",
                service.label(),
                run.create.ops_per_s,
                run.create.latency.p50_ms,
                run.create.latency.p99_ms,
                run.create.errors,
                run.create.server_cpu_ms_per_op,
                run.create
                    .database_cpu_ms_per_op
                    .map_or_else(String::new, |c| format!(", PostgreSQL CPU {c:.3} ms/port"))
            );
            runs.push(run);
        }
        let rate = |s: &Service| {
            runs.iter()
                .find(|r| r.service == *s)
                .map_or(f64::NAN, |r| r.create.ops_per_s)
        };
        turns.push(Turn {
            turn,
            load_average: load,
            replicas_vs_one: rate(&services[2]) / rate(&services[1]),
            sqlite_floor,
            postgres_floor,
            services: runs,
        });
    }
    let summary: Vec<Summary> = services.iter().map(|s| summarize(*s, &turns)).collect();
    let replicas_vs_one = median(turns.iter().map(|t| t.replicas_vs_one));
    Ok(Results {
        params: p.clone(),
        sqlite_floor_per_s: median(turns.iter().map(|t| t.sqlite_floor.commits_per_s)),
        postgres_floor_per_s: median(turns.iter().map(|t| t.postgres_floor.commits_per_s)),
        one_replica_target_met: summary[1].ports_per_s >= ONE_REPLICA_PER_S
            && summary[1].failed_creates == 0,
        replicas_target_met: replicas_vs_one >= REPLICAS_VS_ONE && summary[2].failed_creates == 0,
        replicas_vs_one,
        summary,
        turns,
    })
}

/// A fresh service (a fresh database on PostgreSQL), a network with a subnet, then `p.ports`
/// creates from `p.clients` clients spread over its replicas; the ports are counted after.
async fn run_service(
    bin: &Path,
    dir: &Path,
    database_url: Option<&str>,
    service: Service,
    p: &Params,
    profile: Option<&Path>,
) -> Result<ServiceRun> {
    // Declared before the servers, so dropped (the database with it) after they stopped.
    let database = database_url.map(TempDatabase::create).transpose()?;
    let launch = Launch {
        bin,
        dir,
        log_level: &p.log_level,
        env: &p.server_env,
        database_url: database.as_ref().map(|db| db.url.as_str()),
    };
    let started = std::time::Instant::now();
    let servers = launch
        .start_replicas(service.replicas, service.pinned)
        .await?;
    let start_ms = scenario::ms(started.elapsed());
    let api = Api::login(&servers[0].url).await?;
    let network = api.network_with_subnet("bench-net", &p.cidr).await?;
    let apis: Vec<Api> = servers.iter().map(|s| api.on(&s.url)).collect();
    let profiler = Profiler::start(
        profile,
        &servers[0],
        &service.label().replace(", ", "-").replace(" ", "-"),
    )?;
    let create = scenario::create_ports(
        &apis,
        &servers,
        database.as_ref(),
        &network,
        p.ports,
        p.clients,
    )
    .await?;
    drop(profiler);
    if let Some(e) = &create.error_sample {
        eprintln!(
            "  warning: {} of {} port creates failed on {}, e.g. {e}; end of the first replica's log:\n{}",
            create.errors,
            create.ports,
            service.label(),
            servers[0].log_tail()
        );
    }
    // Every acknowledged port is there once, whichever replica took it.
    let listed = count_items(&apis[apis.len() - 1].get("v2.0/ports").await?, "ports")?;
    if listed != create.created.len() {
        bail!(
            "{}: GET /v2.0/ports returned {listed} ports, expected the {} created",
            service.label(),
            create.created.len()
        );
    }
    drop(servers);
    Ok(ServiceRun {
        service,
        start_ms,
        create,
    })
}

fn summarize(service: Service, turns: &[Turn]) -> Summary {
    let runs: Vec<&ServiceRun> = turns
        .iter()
        .flat_map(|t| t.services.iter().filter(|r| r.service == service))
        .collect();
    let m = |f: &dyn Fn(&CreateResult) -> f64| median(runs.iter().map(|r| f(&r.create)));
    Summary {
        service,
        ports_per_s: m(&|c| c.ops_per_s),
        p50_ms: m(&|c| c.latency.p50_ms),
        p90_ms: m(&|c| c.latency.p90_ms),
        p99_ms: m(&|c| c.latency.p99_ms),
        failed_creates: runs.iter().map(|r| r.create.errors).sum(),
        error_sample: runs.iter().find_map(|r| r.create.error_sample.clone()),
        server_cpu_ms_per_port: m(&|c| c.server_cpu_ms_per_op),
        database_cpu_ms_per_port: median_some(runs.iter().map(|r| r.create.database_cpu_ms_per_op)),
        client_cpu_ms_per_port: m(&|c| c.client_cpu_ms_per_op),
        ports_per_s_each_turn: runs.iter().map(|r| r.create.ops_per_s).collect(),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

/// The summary, the targets and every turn.
pub fn markdown(r: &Results) -> String {
    use std::fmt::Write as _;
    let p = &r.params;
    let yes = crate::large_list_report::yes;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| service ({} single-port creates, {} clients; median of {} turns) | ports/s | p50 ms | p90 ms | p99 ms | failed creates | server CPU ms/port (all replicas) | PostgreSQL CPU ms/port | client CPU ms/port | ports/s each turn |",
        p.ports, p.clients, p.turns
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for s in &r.summary {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.3} | {} | {:.3} | {} |",
            s.service.label(),
            s.ports_per_s,
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.failed_creates,
            s.server_cpu_ms_per_port,
            opt(s.database_cpu_ms_per_port),
            s.client_cpu_ms_per_port,
            each_rate(&s.ports_per_s_each_turn)
        );
    }
    let ratios: Vec<String> = r
        .turns
        .iter()
        .map(|t| format!("{:.2}", t.replicas_vs_one))
        .collect();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| floor (median of the turns) | commits/s | ports/s over it |"
    );
    let _ = writeln!(out, "| --- | ---: | --- |");
    let _ = writeln!(
        out,
        "| SQLite: durable single-row commits, WAL + `synchronous=FULL` | {:.0} | {:.2}× (SQLite) |",
        r.sqlite_floor_per_s,
        r.summary[0].ports_per_s / r.sqlite_floor_per_s
    );
    let _ = writeln!(
        out,
        "| PostgreSQL: single-row autocommits from one client | {:.0} | {:.2}× (1 server), {:.2}× ({} replicas) |",
        r.postgres_floor_per_s,
        r.summary[1].ports_per_s / r.postgres_floor_per_s,
        r.summary[2].ports_per_s / r.postgres_floor_per_s,
        p.replicas
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| target | goal | measured | met |");
    let _ = writeln!(out, "| --- | --- | ---: | --- |");
    let _ = writeln!(
        out,
        "| PostgreSQL, 1 server, {} clients | ≥ {ONE_REPLICA_PER_S:.0} ports/s, none failed | {:.0} ports/s, {} failed | {} |",
        p.clients,
        r.summary[1].ports_per_s,
        r.summary[1].failed_creates,
        yes(r.one_replica_target_met)
    );
    let _ = writeln!(
        out,
        "| PostgreSQL, {} replicas against 1 | ≥ {REPLICAS_VS_ONE:.2}× | {:.2}× (each turn: {}) | {} |",
        p.replicas,
        r.replicas_vs_one,
        ratios.join(", "),
        yes(r.replicas_target_met)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| turn | load average 1/5/15 min | SQLite durable commits/s | PostgreSQL commits/s (1 client) | order | ports/s | p50 / p99 ms | server + PostgreSQL CPU ms/port | {} / 1 replicas |",
        p.replicas
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | --- | --- | --- | --- | ---: |"
    );
    for t in &r.turns {
        let col = |f: &dyn Fn(&ServiceRun) -> String| {
            t.services.iter().map(f).collect::<Vec<_>>().join(" · ")
        };
        let _ = writeln!(
            out,
            "| {} | {:.2} / {:.2} / {:.2} | {:.0} | {:.0} | {} | {} | {} | {} | {:.2} |",
            t.turn,
            t.load_average[0],
            t.load_average[1],
            t.load_average[2],
            t.sqlite_floor.commits_per_s,
            t.postgres_floor.commits_per_s,
            col(&|s| s.service.label()),
            col(&|s| format!("{:.0}", s.create.ops_per_s)),
            col(&|s| format!(
                "{:.2} / {:.2}",
                s.create.latency.p50_ms, s.create.latency.p99_ms
            )),
            col(&|s| format!(
                "{:.3} + {}",
                s.create.server_cpu_ms_per_op,
                opt(s.create.database_cpu_ms_per_op)
            )),
            t.replicas_vs_one
        );
    }
    out
}
