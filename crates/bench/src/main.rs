//! `neutrino-bench`: the benchmark of the core Networking API.
//!
//! Starts the release server itself (fresh temp data dir, loopback port; SQLite, or a fresh
//! database on the PostgreSQL server of `--database-url`), measures the raw durable commit rate
//! of the machine as a baseline, creates ports with concurrent keep-alive clients, lists them in
//! full and filtered, reads the server's memory, times its start, and stops it by PID. Every
//! scenario runs `--runs` times per server log level; the report gives the median run.

mod api;
mod baseline;
mod bulk_fill;
mod collections;
mod database;
mod l3;
mod large_list;
mod large_list_report;
mod load;
mod ovn;
mod replicas;
mod report;
mod scenario;
mod server;
mod sg_rules;
mod stats;
mod trunks;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::json;

use crate::report::{Summary, targets, upstream};
use crate::scenario::Params;

#[derive(Parser)]
#[command(
    name = "neutrino-bench",
    about = "Benchmark of the Neutrino Networking API"
)]
struct Args {
    /// The `neutrino` binary to benchmark (a release build).
    #[arg(long)]
    server: PathBuf,
    /// Ports to create in each run (single-port POSTs on one network) [default: 10000; 100000
    /// for large-list].
    #[arg(long)]
    ports: Option<usize>,
    /// Concurrent keep-alive clients creating ports.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Runs per log level (replicas: turns); the report gives the median [default: 3; 1 for
    /// large-list].
    #[arg(long)]
    runs: Option<usize>,
    /// Server log levels (RUST_LOG) to run, comma separated; targets are judged on the first.
    #[arg(long, value_delimiter = ',', default_value = "warn,info")]
    log_levels: Vec<String>,
    /// Timed full `GET /v2.0/ports` per run; large-list: timed repetitions of each query
    /// [default: 20; 50 for large-list].
    #[arg(long)]
    list_reps: Option<usize>,
    /// Timed `GET /v2.0/ports?device_id=…` per run.
    #[arg(long, default_value_t = 500)]
    filter_reps: usize,
    /// Seconds of raw SQLite (and, with --database-url, PostgreSQL) single-row durable commits
    /// per run (the baselines).
    #[arg(long, default_value_t = 2.0)]
    baseline_secs: f64,
    /// The subnet's CIDR.
    #[arg(long, default_value = "10.0.0.0/16")]
    cidr: String,
    /// Where the temporary data dirs go (must be a real disk, not tmpfs, for durable numbers).
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    data_root: PathBuf,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench-results.json")]
    json: PathBuf,
    /// Profile the server's create and list phases of the first run (`--scenario ovn`: the first
    /// create-rate turns, back end on and off; `--scenario replicas`: the first replica of each
    /// service in the first turn) with `perf record -g`,
    /// writing the data files into this directory (the timings of a profiled run are not
    /// representative).
    #[arg(long)]
    perf_dir: Option<PathBuf>,
    /// Extra environment variable for the server, KEY=VALUE (repeatable; for experiments).
    #[arg(long, value_parser = parse_env)]
    server_env: Vec<(String, String)>,
    /// Run only the L3 scenarios (floating IP create+associate, router interface add) with
    /// this many operations each.
    #[arg(long)]
    l3: Option<usize>,
    /// Also write the Markdown tables to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// `ports` (the default); `sg-rules`: create `--ports` security group rules with
    /// `--clients` clients and list them `--list-reps` times, once per `--runs`; `large-list`:
    /// fill `--ports` ports (bulk POSTs of 100 from `--clients` clients) plus a member's 100,
    /// then time pages, filters, the member's list (`--list-reps` each) and paging through all,
    /// at the first of `--log-levels`; `ovn`: the OVN back end against a standalone Northbound
    /// database (floors, fill, API → Northbound lag at `--rate`, create rate with the back end on
    /// and off, full compare, cold start, values per port, memory; see bench/README.md);
    /// `replicas` (needs `--database-url`): `--ports` single-port creates from `--clients`
    /// clients against SQLite, PostgreSQL with one server and PostgreSQL with `--replicas`
    /// replicas on one database (clients round-robin over them), in `--runs` turns;
    /// `trunk-subports`: `--ports` (at most 4094) single sub-port `add_subports` to one trunk
    /// from `--clients` clients, then timed `get_subports` and full port lists; `collections`:
    /// per turn (`--runs`), `--ports` single-port creates on `--compare-server` (if given) and
    /// on `--server`, then on `--server` `--ports` QoS bandwidth-limit rules (two per policy)
    /// and `--ports` trunk sub-ports (ten trunks, `add_subports` of 100), each listed
    /// `--list-reps` times.
    #[arg(long, default_value = "ports")]
    scenario: String,
    /// replicas: the replicas of the multi-replica PostgreSQL service (each turn measures
    /// SQLite, PostgreSQL with one server and PostgreSQL with this many replicas).
    #[arg(long, default_value_t = 3)]
    replicas: usize,
    /// replicas: pin replica `k` of the multi-replica service to CPU `k mod cores`, as a host
    /// that gives each replica cores of its own would (Kubernetes' static CPU manager, systemd's
    /// `CPUAffinity=`); the one-server services keep every core.
    #[arg(long)]
    pin_replicas: bool,
    /// ovn: ports per second of the paced phase (API answer → Northbound row).
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// ovn: ports the paced phase creates.
    #[arg(long, default_value_t = 5000)]
    paced_ports: usize,
    /// ovn: ports per create-rate turn (back end on, then off, twice).
    #[arg(long, default_value_t = 2000)]
    rate_ports: usize,
    /// Run the server on PostgreSQL: for each server start, a new database `bench_<random>` is
    /// created on this server (`postgresql://user:password@host:port/db`; the role needs
    /// CREATEDB), given to the server as `[database] url`, and dropped after the run. Adds a
    /// PostgreSQL single-row commit baseline to each run.
    #[arg(long)]
    database_url: Option<String>,
    /// collections: another `neutrino` binary (e.g. the main branch's) whose port create rate
    /// is measured in the same turns, just before `--server`'s.
    #[arg(long)]
    compare_server: Option<PathBuf>,
}

impl Args {
    fn ports(&self) -> usize {
        self.ports.unwrap_or(if self.scenario == "large-list" {
            100_000
        } else {
            10_000
        })
    }

    fn runs(&self) -> usize {
        self.runs
            .unwrap_or(if self.scenario == "large-list" { 1 } else { 3 })
    }

    fn list_reps(&self) -> usize {
        self.list_reps.unwrap_or(if self.scenario == "large-list" {
            50
        } else {
            20
        })
    }

    /// The command line, with the database password hidden.
    fn command(&self) -> String {
        let cmd = std::env::args().collect::<Vec<_>>().join(" ");
        match &self.database_url {
            Some(url) => cmd.replace(url.as_str(), &database::redact(url)),
            None => cmd,
        }
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.runs() == 0 || args.clients == 0 || args.ports() == 0 || args.log_levels.is_empty() {
        bail!("--runs, --clients, --ports and --log-levels must not be zero or empty");
    }
    let scenarios = [
        "ports",
        "sg-rules",
        "large-list",
        "ovn",
        "replicas",
        "trunk-subports",
        "collections",
    ];
    if !scenarios.contains(&args.scenario.as_str()) {
        bail!(
            "--scenario must be ports, sg-rules, large-list, ovn, replicas, trunk-subports or collections"
        );
    }
    let database_url = args.database_url.as_deref();
    if let Some(url) = database_url {
        eprintln!(
            "engine: PostgreSQL, a new database per server start on {}",
            database::redact(url)
        );
    }
    let server = std::fs::canonicalize(&args.server)
        .with_context(|| format!("no server binary at {}", args.server.display()))?;
    let machine = machine(&args.data_root);
    eprintln!("machine: {machine}");
    if machine["data_root_fs"] == "tmpfs" {
        eprintln!(
            "warning: {} is tmpfs; fsync costs nothing there, so the numbers are not durable ones",
            args.data_root.display()
        );
    }
    if args.scenario == "sg-rules" {
        return sg_rules_main(&args, &server, &machine);
    }
    if args.scenario == "trunk-subports" {
        return trunks_main(&args, &server, &machine);
    }
    if args.scenario == "large-list" {
        return large_list_main(&args, &server, &machine);
    }
    if args.scenario == "collections" {
        return collections_main(&args, &server, &machine);
    }
    if args.scenario == "ovn" {
        return ovn_main(&args, &server, &machine);
    }
    if args.scenario == "replicas" {
        return replicas_main(&args, &server, &machine);
    }
    let params = Params {
        ports: args.ports(),
        clients: args.clients,
        list_reps: args.list_reps(),
        filter_reps: args.filter_reps,
        baseline_secs: args.baseline_secs,
        cidr: args.cidr.clone(),
        server_env: args.server_env.clone(),
    };
    let rt = client_runtime()?;
    if let Some(n) = args.l3 {
        let results = rt.block_on(l3::run(
            &server,
            &args.data_root,
            n,
            args.clients,
            database_url,
        ))?;
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    let mut runs = Vec::new();
    // Interleave the log levels so that a noisy minute hurts both alike.
    for i in 1..=args.runs() {
        for level in &args.log_levels {
            eprintln!("run {i}/{}, server RUST_LOG={level}", args.runs());
            let profile = args.perf_dir.as_deref().filter(|_| runs.is_empty());
            runs.push(rt.block_on(scenario::run(
                &server,
                &args.data_root,
                level,
                i,
                &params,
                database_url,
                profile,
            ))?);
        }
    }
    let summaries: Vec<Summary> = args
        .log_levels
        .iter()
        .map(|level| {
            Summary::of(
                level,
                &runs
                    .iter()
                    .filter(|r| &r.log_level == level)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let md = report::markdown(&summaries, args.ports(), args.clients)
        + "\n"
        + &report::runs_table(&runs);
    let doc = json!({
        "label": "neutrino-networking-api",
        "generated_at_unix": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "command": args.command(),
        "server": server.display().to_string(),
        "engine": scenario::engine(database_url),
        "machine": machine,
        "params": params,
        "targets": summaries.first().map(targets),
        "summary": summaries,
        "upstream": {
            "source": "reference/upstream-baseline.md (Neutron 29.0.0, ML2/OVN, MariaDB, 2 cores)",
            "port_create_concurrent_8_per_s": upstream::CREATE_CONCURRENT_PER_S,
            "port_create_concurrent_8_p50_ms": upstream::CREATE_CONCURRENT_P50_MS,
            "port_create_seq_per_s": upstream::CREATE_SEQ_PER_S,
            "port_list_all_1k_p50_ms": upstream::LIST_1K_P50_MS,
            "port_list_all_5k_p50_ms": upstream::LIST_5K_P50_MS,
            "port_list_filter_device_owner_5k_p50_ms": upstream::FILTER_5K_P50_MS,
        },
        "runs": runs,
    });
    write_results(&args, &md, &doc)
}

/// The security group rule scenario, its runs and their JSON.
fn sg_rules_main(args: &Args, server: &std::path::Path, machine: &serde_json::Value) -> Result<()> {
    let rt = client_runtime()?;
    let mut runs = Vec::new();
    for i in 1..=args.runs() {
        eprintln!("sg-rules run {i}/{}", args.runs());
        runs.push(rt.block_on(sg_rules::run(
            server,
            &args.data_root,
            args.ports(),
            args.clients,
            args.list_reps(),
            args.database_url.as_deref(),
        ))?);
    }
    let doc = json!({"label": "neutrino-sg-rules", "machine": machine,
        "engine": scenario::engine(args.database_url.as_deref()), "runs": runs});
    std::fs::write(&args.json, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("cannot write {}", args.json.display()))?;
    eprintln!("wrote {}", args.json.display());
    Ok(())
}

/// The trunk scenario, its runs and their JSON.
fn trunks_main(args: &Args, server: &std::path::Path, machine: &serde_json::Value) -> Result<()> {
    let rt = client_runtime()?;
    let mut runs = Vec::new();
    for i in 1..=args.runs() {
        eprintln!("trunk-subports run {i}/{}", args.runs());
        runs.push(rt.block_on(trunks::run(
            server,
            &args.data_root,
            args.ports(),
            args.clients,
            args.list_reps(),
            args.database_url.as_deref(),
        ))?);
    }
    let doc = json!({"label": "neutrino-trunk-subports", "machine": machine,
        "engine": scenario::engine(args.database_url.as_deref()), "runs": runs});
    std::fs::write(&args.json, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("cannot write {}", args.json.display()))?;
    eprintln!("wrote {}", args.json.display());
    Ok(())
}

/// The collections scenario: its turns, Markdown and JSON.
fn collections_main(
    args: &Args,
    server: &std::path::Path,
    machine: &serde_json::Value,
) -> Result<()> {
    let compare = args
        .compare_server
        .as_ref()
        .map(|c| std::fs::canonicalize(c).with_context(|| format!("no binary at {}", c.display())))
        .transpose()?;
    let params = collections::Params {
        n: args.ports(),
        clients: args.clients,
        turns: args.runs(),
        list_reps: args.list_reps(),
        cidr: args.cidr.clone(),
    };
    let rt = client_runtime()?;
    let results = rt.block_on(collections::run(
        server,
        compare.as_deref(),
        &args.data_root,
        &params,
        args.database_url.as_deref(),
    ))?;
    let md = collections::markdown(&results);
    let doc = json!({
        "label": "neutrino-collections",
        "generated_at_unix": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "command": args.command(),
        "server": server.display().to_string(),
        "engine": scenario::engine(args.database_url.as_deref()),
        "machine": machine,
        "results": results,
    });
    write_results(args, &md, &doc)
}

/// The OVN scenario: its results, Markdown and JSON.
fn ovn_main(args: &Args, server: &std::path::Path, machine: &serde_json::Value) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let params = ovn::Params {
        ports: args.ports(),
        clients: args.clients,
        rate: args.rate,
        paced_ports: args.paced_ports,
        rate_ports: args.rate_ports,
        baseline_secs: args.baseline_secs,
        log_level: args.log_levels[0].clone(),
        perf_dir: args.perf_dir.clone(),
    };
    let results = rt.block_on(ovn::run(server, &args.data_root, &params))?;
    let md = ovn::markdown(&results);
    let doc = json!({
        "label": "neutrino-ovn",
        "generated_at_unix": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "command": args.command(),
        "machine": machine,
        "results": results,
    });
    write_results(args, &md, &doc)
}

fn large_list_main(
    args: &Args,
    server: &std::path::Path,
    machine: &serde_json::Value,
) -> Result<()> {
    let rt = client_runtime()?;
    let params = large_list::Params {
        ports: args.ports(),
        clients: args.clients,
        reps: args.list_reps().max(1),
        baseline_secs: args.baseline_secs,
        log_level: args.log_levels[0].clone(),
        server_env: args.server_env.clone(),
    };
    let mut runs = Vec::new();
    for i in 1..=args.runs() {
        eprintln!(
            "large-list run {i}/{}, {} ports, server RUST_LOG={}",
            args.runs(),
            params.ports,
            params.log_level
        );
        runs.push(rt.block_on(large_list::run(
            server,
            &args.data_root,
            i,
            &params,
            args.database_url.as_deref(),
        ))?);
    }
    let md = large_list_report::markdown(&runs);
    let doc = json!({
        "label": "neutrino-large-list",
        "generated_at_unix": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "command": args.command(),
        "server": server.display().to_string(),
        "engine": scenario::engine(args.database_url.as_deref()),
        "machine": machine,
        "params": params,
        "targets": {
            "page_or_filter_p50_ms": large_list::PAGE_P50_MS,
            "member_p50_ms": large_list::MEMBER_P50_MS,
            "paging_all_s": large_list::PAGING_S,
        },
        "runs": runs,
    });
    write_results(args, &md, &doc)
}

/// The replicas scenario: its turns (at the first log level), Markdown and JSON.
fn replicas_main(args: &Args, server: &std::path::Path, machine: &serde_json::Value) -> Result<()> {
    let Some(database_url) = args.database_url.as_deref() else {
        bail!("--scenario replicas needs --database-url");
    };
    if args.replicas < 2 {
        bail!("--replicas must be at least 2");
    }
    let rt = client_runtime()?;
    let params = replicas::Params {
        ports: args.ports(),
        clients: args.clients,
        replicas: args.replicas,
        turns: args.runs(),
        baseline_secs: args.baseline_secs,
        cidr: args.cidr.clone(),
        log_level: args.log_levels[0].clone(),
        server_env: args.server_env.clone(),
        pin_replicas: args.pin_replicas,
        perf_dir: args.perf_dir.clone(),
    };
    let results = rt.block_on(replicas::run(
        server,
        &args.data_root,
        database_url,
        &params,
    ))?;
    let md = replicas::markdown(&results);
    let doc = json!({
        "label": "neutrino-replicas",
        "generated_at_unix": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "command": args.command(),
        "server": server.display().to_string(),
        "machine": machine,
        "results": results,
    });
    write_results(args, &md, &doc)
}

/// The client's runtime: one thread, so it takes at most one of the cores it shares with the
/// server.
fn client_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Prints the Markdown tables, writes them to `--markdown` if given, and `doc` to `--json`.
fn write_results(args: &Args, md: &str, doc: &serde_json::Value) -> Result<()> {
    println!("{md}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, md).with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(doc)? + "\n")
        .with_context(|| format!("cannot write {}", args.json.display()))?;
    eprintln!("wrote {}", args.json.display());
    Ok(())
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

/// What the numbers were measured on.
fn machine(data_root: &std::path::Path) -> serde_json::Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let meminfo = read("/proc/meminfo");
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_default();
    // The file system of the data root: the longest mount point that is a prefix of it.
    let root = std::fs::canonicalize(data_root).unwrap_or_else(|_| data_root.to_path_buf());
    let fs = read("/proc/mounts")
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, mount, fstype) = (f.next()?, f.next()?, f.next()?);
            root.starts_with(mount)
                .then(|| (mount.len(), fstype.to_string()))
        })
        .max()
        .map(|(_, t)| t)
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": (mem_kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "os": os,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "data_root": root.display().to_string(),
        "data_root_fs": fs,
    })
}
