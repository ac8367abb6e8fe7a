//! One run: a fresh server on a fresh data dir (and, with `--database-url`, a fresh PostgreSQL
//! database), then every scenario against it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::api::{Api, count_items};
use crate::baseline::{self, CommitRate, CpuRate};
use crate::database::TempDatabase;
use crate::server::{Launch, Profiler, Server, process_cpu_time};
use crate::stats::Latency;

/// What one run does.
#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub ports: usize,
    pub clients: usize,
    pub list_reps: usize,
    pub filter_reps: usize,
    pub baseline_secs: f64,
    pub cidr: String,
    /// Extra environment variables for the server (experiments, e.g. `MALLOC_ARENA_MAX`).
    pub server_env: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct CreateResult {
    pub ports: usize,
    pub clients: usize,
    /// Creates answered with an error (not sent again); the run goes on with the others.
    pub errors: usize,
    pub error_sample: Option<String>,
    /// The indices of the ports that were created.
    #[serde(skip)]
    pub created: Vec<usize>,
    pub wall_s: f64,
    pub ops_per_s: f64,
    pub latency: Latency,
    /// Server CPU time (user + system, all threads; summed over the replicas) per created port
    /// (failed attempts' CPU included).
    pub server_cpu_ms_per_op: f64,
    /// With PostgreSQL on this machine: CPU time of the database's backends per created port.
    pub database_cpu_ms_per_op: Option<f64>,
    /// This benchmark's own CPU time per created port (it shares the 2 cores with the server).
    pub client_cpu_ms_per_op: f64,
}

#[derive(Debug, Serialize)]
pub struct ListResult {
    pub query: String,
    pub items_returned: usize,
    pub body_bytes: usize,
    pub latency: Latency,
    pub server_cpu_ms_per_op: f64,
}

#[derive(Debug, Serialize)]
pub struct RunResult {
    pub log_level: String,
    pub run: usize,
    /// `sqlite` or `postgresql`: the server's storage engine.
    pub engine: String,
    pub sqlite_baseline: CommitRate,
    /// Single-row durable INSERTs from one client on the benchmark's PostgreSQL server (only
    /// with `--database-url`).
    pub postgres_baseline: Option<CommitRate>,
    /// JSON round trips per second on one thread, measured just before the server starts.
    pub cpu_baseline: CpuRate,
    /// Spawn to the first answered `GET /`, empty data dir (creates the key, schema, openrc).
    pub startup_fresh_ms: f64,
    pub create: CreateResult,
    /// Created ports per second over raw single-row durable commits per second.
    pub create_vs_sqlite_commit_ratio: f64,
    /// The same over the PostgreSQL baseline (only with `--database-url`).
    pub create_vs_postgres_commit_ratio: Option<f64>,
    pub list_all: ListResult,
    pub filter_device_id: ListResult,
    /// VmRSS after the creates, before any list.
    pub rss_after_create_kib: u64,
    /// VmRSS and VmHWM at the end of the run (after the lists).
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
    /// Sizes of the database file and its WAL after the server stopped (what a restart reads);
    /// PostgreSQL: `pg_database_size`, and no WAL figure (0).
    pub db_bytes_at_stop: u64,
    pub wal_bytes_at_stop: u64,
    /// Spawn to the first answered `GET /`, restarting on the data dir with all the ports.
    pub startup_restart_ms: f64,
}

/// The name of the engine a server with this `--database-url` runs on.
pub fn engine(database_url: Option<&str>) -> &'static str {
    if database_url.is_some() {
        "postgresql"
    } else {
        "sqlite"
    }
}

fn device_id(i: usize) -> String {
    format!("bench-device-{i:05}")
}

fn self_cpu() -> Duration {
    process_cpu_time("/proc/self/stat").unwrap_or_default()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs every scenario once against a new server in a new directory under `root`.
/// `database_url`: run the server on a new database of that PostgreSQL server (dropped at the
/// end) instead of SQLite. `profile`: a directory to write `perf record` data of the create and
/// list phases to.
pub async fn run(
    bin: &Path,
    root: &Path,
    log_level: &str,
    index: usize,
    p: &Params,
    database_url: Option<&str>,
    profile: Option<&Path>,
) -> Result<RunResult> {
    let dir = tempfile::Builder::new()
        .prefix("neutrino-bench-")
        .tempdir_in(root)
        .with_context(|| format!("cannot create a temp dir in {}", root.display()))?;
    let sqlite_baseline =
        baseline::sqlite_commit_rate(dir.path(), Duration::from_secs_f64(p.baseline_secs))?;
    eprintln!(
        "  raw SQLite durable commits: {:.0}/s",
        sqlite_baseline.commits_per_s
    );
    // Declared before the server, so dropped (the database with it) after the server stopped.
    let database = database_url.map(TempDatabase::create).transpose()?;
    let postgres_baseline = match &database {
        Some(db) => {
            let rate =
                baseline::postgres_commit_rate(&db.url, Duration::from_secs_f64(p.baseline_secs))?;
            eprintln!(
                "  raw PostgreSQL durable commits (1 client): {:.0}/s",
                rate.commits_per_s
            );
            Some(rate)
        }
        None => None,
    };

    let cpu_baseline = baseline::json_cpu_rate(Duration::from_millis(500))?;
    eprintln!(
        "  CPU baseline: {:.0} JSON round trips/s",
        cpu_baseline.ops_per_s
    );
    let launch = Launch {
        env: &p.server_env,
        bin,
        dir: dir.path(),
        log_level,
        database_url: database.as_ref().map(|db| db.url.as_str()),
    };
    let (mut server, startup) = launch.start().await?;
    eprintln!("  start (fresh data dir): {:.1} ms", ms(startup));
    let api = Api::login(&server.url).await?;
    let network_id = api.network_with_subnet("bench-net", &p.cidr).await?;

    let perf = Profiler::start(profile, &server, "create")?;
    let create = create_ports(
        std::slice::from_ref(&api),
        std::slice::from_ref(&server),
        database.as_ref(),
        &network_id,
        p.ports,
        p.clients,
    )
    .await?;
    drop(perf);
    let (rss_after_create_kib, _) = server.memory_kib()?;
    eprintln!(
        "  create {} ports with {} clients: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        create.ports,
        create.clients,
        create.ops_per_s,
        create.latency.p50_ms,
        create.latency.p99_ms,
        create.errors
    );
    eprintln!(
        "  server CPU per created port: {:.3} ms",
        create.server_cpu_ms_per_op
    );
    if let Some(db) = create.database_cpu_ms_per_op {
        eprintln!("  PostgreSQL backends' CPU per created port: {db:.3} ms");
    }
    if let Some(e) = &create.error_sample {
        // Reported with the results; the lists below expect only the created ports.
        eprintln!(
            "  warning: {} of {} port creates failed, e.g. {e}; end of the server log:\n{}",
            create.errors,
            create.ports,
            server.log_tail()
        );
    }
    if create.created.is_empty() {
        bail!("no port was created");
    }

    let perf = Profiler::start(profile, &server, "list")?;
    let list_all = timed_list(&api, &server, "v2.0/ports", p.list_reps, |_| {
        "v2.0/ports".to_string()
    })
    .await?;
    drop(perf);
    eprintln!(
        "  list all: {} ports, {} bytes, p50 {:.1} ms",
        list_all.items_returned, list_all.body_bytes, list_all.latency.p50_ms
    );
    if list_all.items_returned != create.created.len() {
        bail!(
            "GET /v2.0/ports returned {} ports, expected the {} created",
            list_all.items_returned,
            create.created.len()
        );
    }
    let created = &create.created;
    let filter_device_id = timed_list(
        &api,
        &server,
        "v2.0/ports?device_id=<one of them>",
        p.filter_reps,
        |k| {
            let i = created[(k * 7919 + 13) % created.len()];
            format!("v2.0/ports?device_id={}", device_id(i))
        },
    )
    .await?;
    eprintln!(
        "  filter by device_id: p50 {:.2} ms",
        filter_device_id.latency.p50_ms
    );
    if filter_device_id.items_returned != 1 {
        bail!(
            "the device_id filter returned {} ports, expected 1",
            filter_device_id.items_returned
        );
    }

    let (rss_kib, peak_rss_kib) = server.memory_kib()?;
    eprintln!(
        "  RSS {:.1} MiB after the creates, {:.1} MiB after the lists (peak {:.1} MiB)",
        rss_after_create_kib as f64 / 1024.0,
        rss_kib as f64 / 1024.0,
        peak_rss_kib as f64 / 1024.0
    );
    server.stop();
    drop(server);
    let size = |suffix: &str| {
        std::fs::metadata(launch.data_dir().join(format!("neutrino.sqlite{suffix}")))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let (db_bytes_at_stop, wal_bytes_at_stop) = match &database {
        Some(db) => (db.size_bytes()?, 0),
        None => (size(""), size("-wal")),
    };
    if database.is_some() {
        eprintln!(
            "  at stop: database {:.1} MB (pg_database_size)",
            db_bytes_at_stop as f64 / 1e6
        );
    } else {
        eprintln!(
            "  at stop: database {:.1} MB, WAL {:.1} MB",
            db_bytes_at_stop as f64 / 1e6,
            wal_bytes_at_stop as f64 / 1e6
        );
    }

    let (mut again, restart) = launch.start().await?;
    eprintln!("  restart with {} ports: {:.1} ms", p.ports, ms(restart));
    again.stop();

    Ok(RunResult {
        log_level: log_level.to_string(),
        run: index,
        engine: engine(database_url).to_string(),
        create_vs_sqlite_commit_ratio: create.ops_per_s / sqlite_baseline.commits_per_s,
        create_vs_postgres_commit_ratio: postgres_baseline
            .as_ref()
            .map(|b| create.ops_per_s / b.commits_per_s),
        sqlite_baseline,
        postgres_baseline,
        cpu_baseline,
        startup_fresh_ms: ms(startup),
        create,
        list_all,
        filter_device_id,
        rss_after_create_kib,
        rss_kib,
        peak_rss_kib,
        db_bytes_at_stop,
        wal_bytes_at_stop,
        startup_restart_ms: ms(restart),
    })
}

/// `ports` single-port POSTs from `clients` concurrent keep-alive clients; client `k` sends
/// to `apis[k % apis.len()]` (the replicas of one service, or one server). The server CPU is
/// the sum over `servers`.
pub async fn create_ports(
    apis: &[Api],
    servers: &[Server],
    database: Option<&TempDatabase>,
    network_id: &str,
    ports: usize,
    clients: usize,
) -> Result<CreateResult> {
    let servers_cpu = || -> Result<Duration> {
        servers
            .iter()
            .map(Server::cpu_time)
            .sum::<Result<Duration>>()
    };
    let next = Arc::new(AtomicUsize::new(0));
    let database_cpu0 = database.and_then(TempDatabase::backend_cpu);
    let (server_cpu0, client_cpu0) = (servers_cpu()?, self_cpu());
    let started = Instant::now();
    let mut workers = Vec::new();
    for k in 0..clients {
        let (api, next, network_id, total) = (
            apis[k % apis.len()].clone(),
            next.clone(),
            network_id.to_string(),
            ports,
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(total / 4 + 1);
            let (mut created, mut errors) = (Vec::new(), Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                match api
                    .create_port(&network_id, &device_id(i), &format!("bench-port-{i}"))
                    .await
                {
                    Ok(()) => {
                        latencies.push(t.elapsed());
                        created.push(i);
                    }
                    Err(e) => errors.push(format!("{e:#}")),
                }
            }
            (latencies, created, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(ports);
    let (mut created, mut errors) = (Vec::with_capacity(ports), Vec::new());
    for w in workers {
        let (l, c, e) = w.await?;
        latencies.extend(l);
        created.extend(c);
        errors.extend(e);
    }
    created.sort_unstable();
    let done = created.len().max(1) as f64;
    let database_cpu = database
        .and_then(TempDatabase::backend_cpu)
        .zip(database_cpu0)
        .map(|(after, before)| ms(after.saturating_sub(before)) / done);
    let wall = started.elapsed();
    let (server_cpu, client_cpu) = (
        servers_cpu()? - server_cpu0,
        self_cpu().saturating_sub(client_cpu0),
    );
    Ok(CreateResult {
        ports,
        clients,
        errors: errors.len(),
        error_sample: errors.into_iter().next(),
        created,
        wall_s: wall.as_secs_f64(),
        ops_per_s: latencies.len() as f64 / wall.as_secs_f64(),
        latency: Latency::of(&latencies),
        server_cpu_ms_per_op: ms(server_cpu) / done,
        database_cpu_ms_per_op: database_cpu,
        client_cpu_ms_per_op: ms(client_cpu) / done,
    })
}

/// One warm-up request, then `reps` sequential timed GETs (body read completely). The answer is
/// parsed only after the clock stops, to count the items.
async fn timed_list(
    api: &Api,
    server: &Server,
    label: &str,
    reps: usize,
    path: impl Fn(usize) -> String,
) -> Result<ListResult> {
    api.get(&path(reps)).await?;
    let cpu0 = server.cpu_time()?;
    let mut latencies = Vec::with_capacity(reps);
    let (mut items_returned, mut body_bytes) = (0, 0);
    for k in 0..reps.max(1) {
        let t = Instant::now();
        let body = api.get(&path(k)).await?;
        latencies.push(t.elapsed());
        if k == 0 || k + 1 == reps {
            items_returned = count_items(&body, "ports")?;
            body_bytes = body.len();
        }
    }
    let cpu = server.cpu_time()? - cpu0;
    Ok(ListResult {
        query: label.to_string(),
        items_returned,
        body_bytes,
        latency: Latency::of(&latencies),
        server_cpu_ms_per_op: ms(cpu) / reps.max(1) as f64,
    })
}
