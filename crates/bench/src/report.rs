//! Medians across runs, the targets, upstream's figures, the Markdown table and the JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::scenario::RunResult;
use crate::stats::{each_rate, median, median_some};

/// Upstream Neutrino 29.0.0 (ML2/OVN, MariaDB, uWSGI 2×1) on the same kind of machine, from
/// `reference/upstream-baseline.md` (full run, 2026-11-22).
pub mod upstream {
    /// port_create_concurrent, K=8 clients: ports/s and p50 ms.
    pub const CREATE_CONCURRENT_PER_S: f64 = 5.05;
    pub const CREATE_CONCURRENT_P50_MS: f64 = 1519.74;
    /// port_create_seq: ports/s.
    pub const CREATE_SEQ_PER_S: f64 = 3.2;
    /// port_list_all_1k and _5k (raw GET): p50 ms.
    pub const LIST_1K_P50_MS: f64 = 830.92;
    pub const LIST_5K_P50_MS: f64 = 5120.68;
    /// port_list_filter_device_owner_5k (an indexed-column filter; upstream has no device_id
    /// row): p50 ms.
    pub const FILTER_5K_P50_MS: f64 = 15.78;
}

/// The medians of one server log level over its runs.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub log_level: String,
    /// `sqlite` or `postgresql`.
    pub engine: String,
    pub runs: usize,
    pub create_ops_per_s: f64,
    pub create_p50_ms: f64,
    pub create_p90_ms: f64,
    pub create_p99_ms: f64,
    pub create_server_cpu_ms_per_op: f64,
    /// PostgreSQL backends' CPU per created port, if measured.
    pub create_database_cpu_ms_per_op: Option<f64>,
    pub create_client_cpu_ms_per_op: f64,
    /// Failed creates over all runs, and the first failure.
    pub create_errors: usize,
    pub create_error_sample: Option<String>,
    pub list_all_items: usize,
    pub list_all_bytes: usize,
    pub list_all_p50_ms: f64,
    pub list_all_p90_ms: f64,
    pub list_all_p99_ms: f64,
    pub list_all_server_cpu_ms: f64,
    pub filter_p50_ms: f64,
    pub filter_p90_ms: f64,
    pub filter_p99_ms: f64,
    pub rss_after_create_mib: f64,
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
    pub startup_fresh_ms: f64,
    pub startup_restart_ms: f64,
    pub sqlite_commits_per_s: f64,
    /// Single-row durable INSERTs/s from one client on the PostgreSQL server, if used.
    pub postgres_commits_per_s: Option<f64>,
    pub cpu_baseline_json_per_s: f64,
    pub create_vs_sqlite_commit_ratio: f64,
    pub create_vs_postgres_commit_ratio: Option<f64>,
    /// Each run's create rate, to show the spread.
    pub create_ops_per_s_each_run: Vec<f64>,
}

impl Summary {
    pub fn of(log_level: &str, runs: &[&RunResult]) -> Summary {
        let m = |f: &dyn Fn(&RunResult) -> f64| median(runs.iter().map(|r| f(r)));
        // The median of a figure only some engines have.
        let m_opt = |f: &dyn Fn(&RunResult) -> Option<f64>| median_some(runs.iter().map(|r| f(r)));
        Summary {
            log_level: log_level.to_string(),
            engine: runs.first().map_or_else(String::new, |r| r.engine.clone()),
            runs: runs.len(),
            create_ops_per_s: m(&|r| r.create.ops_per_s),
            create_p50_ms: m(&|r| r.create.latency.p50_ms),
            create_p90_ms: m(&|r| r.create.latency.p90_ms),
            create_p99_ms: m(&|r| r.create.latency.p99_ms),
            create_server_cpu_ms_per_op: m(&|r| r.create.server_cpu_ms_per_op),
            create_database_cpu_ms_per_op: m_opt(&|r| r.create.database_cpu_ms_per_op),
            create_client_cpu_ms_per_op: m(&|r| r.create.client_cpu_ms_per_op),
            create_errors: runs.iter().map(|r| r.create.errors).sum(),
            create_error_sample: runs.iter().find_map(|r| r.create.error_sample.clone()),
            list_all_items: runs.first().map_or(0, |r| r.list_all.items_returned),
            list_all_bytes: runs.first().map_or(0, |r| r.list_all.body_bytes),
            list_all_p50_ms: m(&|r| r.list_all.latency.p50_ms),
            list_all_p90_ms: m(&|r| r.list_all.latency.p90_ms),
            list_all_p99_ms: m(&|r| r.list_all.latency.p99_ms),
            list_all_server_cpu_ms: m(&|r| r.list_all.server_cpu_ms_per_op),
            filter_p50_ms: m(&|r| r.filter_device_id.latency.p50_ms),
            filter_p90_ms: m(&|r| r.filter_device_id.latency.p90_ms),
            filter_p99_ms: m(&|r| r.filter_device_id.latency.p99_ms),
            rss_after_create_mib: m(&|r| r.rss_after_create_kib as f64 / 1024.0),
            rss_mib: m(&|r| r.rss_kib as f64 / 1024.0),
            peak_rss_mib: m(&|r| r.peak_rss_kib as f64 / 1024.0),
            startup_fresh_ms: m(&|r| r.startup_fresh_ms),
            startup_restart_ms: m(&|r| r.startup_restart_ms),
            sqlite_commits_per_s: m(&|r| r.sqlite_baseline.commits_per_s),
            postgres_commits_per_s: m_opt(&|r| {
                r.postgres_baseline.as_ref().map(|b| b.commits_per_s)
            }),
            cpu_baseline_json_per_s: m(&|r| r.cpu_baseline.ops_per_s),
            create_vs_sqlite_commit_ratio: m(&|r| r.create_vs_sqlite_commit_ratio),
            create_vs_postgres_commit_ratio: m_opt(&|r| r.create_vs_postgres_commit_ratio),
            create_ops_per_s_each_run: runs.iter().map(|r| r.create.ops_per_s).collect(),
        }
    }
}

/// One target, judged on the first log level (the benchmark's reference setting).
#[derive(Debug, Serialize)]
pub struct Target {
    pub name: &'static str,
    pub target: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub met: bool,
}

pub fn targets(s: &Summary) -> Vec<Target> {
    vec![
        Target {
            name: "create ports, 8 clients",
            target: ">= 2000 ports/s",
            value: s.create_ops_per_s,
            unit: "ports/s",
            met: s.create_ops_per_s >= 2000.0 && s.create_errors == 0,
        },
        Target {
            name: "list all ports, p50",
            target: "< 100 ms",
            value: s.list_all_p50_ms,
            unit: "ms",
            met: s.list_all_p50_ms < 100.0,
        },
        Target {
            name: "filter by device_id, p50",
            target: "< 5 ms",
            value: s.filter_p50_ms,
            unit: "ms",
            met: s.filter_p50_ms < 5.0,
        },
        Target {
            name: "server RSS",
            target: "< 100 MB",
            value: s.rss_mib,
            unit: "MiB",
            met: s.rss_mib * 1.048_576 < 100.0,
        },
        Target {
            name: "start to first request",
            target: "< 200 ms",
            value: s.startup_fresh_ms,
            unit: "ms",
            met: s.startup_fresh_ms < 200.0,
        },
    ]
}

fn yes(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

/// How one cell of the targets table is written.
type Cell = dyn Fn(&Summary) -> String;

/// One row per run: the machine's state (the two baselines) beside what the server did.
pub fn runs_table(runs: &[RunResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| run | RUST_LOG | engine | SQLite commits/s | PostgreSQL commits/s | CPU baseline/s | created/s | failed creates | create p50 ms | server CPU ms/port | PostgreSQL CPU ms/port | list p50 ms | filter p50 ms | RSS MB | start ms |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {:.0} | {:.0} | {} | {:.2} | {:.3} | {} | {:.1} | {:.2} | {:.1} | {:.1} |",
            r.run,
            r.log_level,
            r.engine,
            r.sqlite_baseline.commits_per_s,
            r.postgres_baseline
                .as_ref()
                .map_or_else(|| "—".to_string(), |b| format!("{:.0}", b.commits_per_s)),
            r.cpu_baseline.ops_per_s,
            r.create.ops_per_s,
            r.create.errors,
            r.create.latency.p50_ms,
            r.create.server_cpu_ms_per_op,
            r.create
                .database_cpu_ms_per_op
                .map_or_else(|| "—".to_string(), |v| format!("{v:.3}")),
            r.list_all.latency.p50_ms,
            r.filter_device_id.latency.p50_ms,
            r.rss_kib as f64 * 1.024 / 1000.0,
            r.startup_fresh_ms
        );
    }
    out
}

/// The Markdown report: targets, details per log level, the baseline and upstream.
pub fn markdown(summaries: &[Summary], ports: usize, clients: usize) -> String {
    let mut out = String::new();
    let Some(first) = summaries.first() else {
        return out;
    };
    let level_cols: String = summaries
        .iter()
        .map(|s| format!(" RUST_LOG={} |", s.log_level))
        .collect();
    let dashes: String = summaries.iter().map(|_| " ---: |").collect();
    let _ = writeln!(
        out,
        "| target ({ports} ports, {}) | goal |{level_cols} met ({}) |",
        first.engine, first.log_level
    );
    let _ = writeln!(out, "| --- | --- |{dashes} --- |");
    let rows: [(&str, &str, &Cell); 5] = [
        ("create, {clients} clients", ">= 2,000 ports/s", &|s| {
            let errors = match s.create_errors {
                0 => String::new(),
                n => format!(", **{n} failed**"),
            };
            let database = s
                .create_database_cpu_ms_per_op
                .map_or_else(String::new, |v| format!(" + {v:.3} ms PostgreSQL"));
            format!(
                "{:.0} ports/s ({:.3} ms server CPU/port{database}{errors})",
                s.create_ops_per_s, s.create_server_cpu_ms_per_op
            )
        }),
        ("list all, p50", "< 100 ms", &|s| {
            format!("{:.1} ms", s.list_all_p50_ms)
        }),
        ("filter by device_id, p50", "< 5 ms", &|s| {
            format!("{:.2} ms", s.filter_p50_ms)
        }),
        ("server RSS after the run", "< 100 MB", &|s| {
            format!("{:.1} MB", s.rss_mib * 1.048_576)
        }),
        ("spawn to first request", "< 200 ms", &|s| {
            format!("{:.1} ms", s.startup_fresh_ms)
        }),
    ];
    for (t, (name, goal, value)) in targets(first).iter().zip(rows) {
        let vals: String = summaries
            .iter()
            .map(|s| format!(" {} |", value(s)))
            .collect();
        let name = name.replace("{clients}", &clients.to_string());
        let _ = writeln!(out, "| {name} | {goal} |{vals} {} |", yes(t.met));
    }
    for s in summaries {
        if let Some(e) = &s.create_error_sample {
            let _ = writeln!(
                out,
                "\n**{} of the port creates failed** (RUST_LOG={}; not sent again, the lists count only the created ports), e.g. `{e}`",
                s.create_errors, s.log_level
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| operation | RUST_LOG | engine | ops/s | p50 ms | p90 ms | p99 ms | server CPU ms/op |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "| POST /v2.0/ports ×{ports}, {clients} clients | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.3} |",
            s.log_level,
            s.engine,
            s.create_ops_per_s,
            s.create_p50_ms,
            s.create_p90_ms,
            s.create_p99_ms,
            s.create_server_cpu_ms_per_op
        );
        let _ = writeln!(
            out,
            "| GET /v2.0/ports ({} ports, {:.1} MB) | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            s.list_all_items,
            s.list_all_bytes as f64 / 1e6,
            s.log_level,
            s.engine,
            1e3 / s.list_all_p50_ms,
            s.list_all_p50_ms,
            s.list_all_p90_ms,
            s.list_all_p99_ms,
            s.list_all_server_cpu_ms
        );
        let _ = writeln!(
            out,
            "| GET /v2.0/ports?device_id=… (1 match) | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | — |",
            s.log_level,
            s.engine,
            1e3 / s.filter_p50_ms,
            s.filter_p50_ms,
            s.filter_p90_ms,
            s.filter_p99_ms
        );
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| RUST_LOG | engine | raw SQLite durable commits/s | raw PostgreSQL durable commits/s (1 client) | CPU baseline (JSON round trips/s) | ports created/s | ratio created/SQLite commits | ratio created/PostgreSQL commits | server CPU ms/port | PostgreSQL CPU ms/port | RSS MB after creates / after lists (peak) | start ms (fresh) | restart ms ({ports} ports) | create/s each run |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {:.0} | {:.0} | {:.2}× | {} | {:.3} | {} | {:.1} / {:.1} ({:.1}) | {:.1} | {:.1} | {} |",
            s.log_level,
            s.engine,
            s.sqlite_commits_per_s,
            s.postgres_commits_per_s
                .map_or_else(|| "—".to_string(), |v| format!("{v:.0}")),
            s.cpu_baseline_json_per_s,
            s.create_ops_per_s,
            s.create_vs_sqlite_commit_ratio,
            s.create_vs_postgres_commit_ratio
                .map_or_else(|| "—".to_string(), |v| format!("{v:.2}×")),
            s.create_server_cpu_ms_per_op,
            s.create_database_cpu_ms_per_op
                .map_or_else(|| "—".to_string(), |v| format!("{v:.3}")),
            s.rss_after_create_mib * 1.048_576,
            s.rss_mib * 1.048_576,
            s.peak_rss_mib * 1.048_576,
            s.startup_fresh_ms,
            s.startup_restart_ms,
            each_rate(&s.create_ops_per_s_each_run)
        );
    }

    let _ = writeln!(out);
    let per_port_up = upstream::LIST_5K_P50_MS / 5000.0;
    let per_port = first.list_all_p50_ms / first.list_all_items.max(1) as f64;
    let _ = writeln!(
        out,
        "| compared with upstream Neutron 29 (ML2/OVN) | upstream | Neutrino ({}) | factor |",
        first.log_level
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    let _ = writeln!(
        out,
        "| port create, 8 clients (Neutrino: {clients}) | {:.2} ports/s (p50 {:.0} ms) | {:.0} ports/s (p50 {:.2} ms) | {:.0}× |",
        upstream::CREATE_CONCURRENT_PER_S,
        upstream::CREATE_CONCURRENT_P50_MS,
        first.create_ops_per_s,
        first.create_p50_ms,
        first.create_ops_per_s / upstream::CREATE_CONCURRENT_PER_S
    );
    let _ = writeln!(
        out,
        "| full port list, per port | {:.3} ms (1k: {:.0} ms, 5k: {:.0} ms) | {:.4} ms ({}: {:.1} ms) | {:.0}× |",
        per_port_up,
        upstream::LIST_1K_P50_MS,
        upstream::LIST_5K_P50_MS,
        per_port,
        first.list_all_items,
        first.list_all_p50_ms,
        per_port_up / per_port
    );
    let _ = writeln!(
        out,
        "| selective filter, p50 | {:.2} ms (device_owner, 5k ports) | {:.2} ms (device_id, {} ports) | {:.0}× |",
        upstream::FILTER_5K_P50_MS,
        first.filter_p50_ms,
        first.list_all_items,
        upstream::FILTER_5K_P50_MS / first.filter_p50_ms
    );
    out
}
