//! The Markdown tables of the large-list scenario: each query against its target, the walk
//! through all pages, the fill and the machine's baselines, one section per run.

use std::fmt::Write as _;

use crate::large_list::LargeListResult;

pub fn yes(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

/// All runs' tables.
pub fn markdown(runs: &[LargeListResult]) -> String {
    runs.iter().map(section).collect::<Vec<_>>().join("\n")
}

fn section(r: &LargeListResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| large list, run {}: {} admin + {} member ports, {}, RUST_LOG={} | target | p50 ms | p90 ms | items | body KB | server CPU ms/op | met |",
        r.run, r.ports, r.member_ports, r.engine, r.log_level
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for q in &r.queries {
        let items = if q.items_min == q.items_max {
            q.items_max.to_string()
        } else {
            format!("{}–{}", q.items_min, q.items_max)
        };
        let _ = writeln!(
            out,
            "| {} (`GET {}`) | ≤ {} ms | {:.2} | {:.2} | {items} | {:.1} | {:.2} | {} |",
            q.name,
            q.example,
            q.target_p50_ms,
            q.latency.p50_ms,
            q.latency.p90_ms,
            q.body_bytes as f64 / 1e3,
            q.server_cpu_ms_per_op,
            yes(q.met)
        );
    }
    let p = &r.paging;
    let _ = writeln!(
        out,
        "| page through all (limit={}, follow `next`): {:.1} s, {} pages | ≤ {} s | {:.2} | {:.2} | {} of {} | — | {:.2} | {} |",
        p.limit,
        p.seconds,
        p.pages,
        p.target_s,
        p.page_latency.p50_ms,
        p.page_latency.p90_ms,
        p.items_seen,
        p.expected,
        p.server_cpu_s * 1e3 / p.pages.max(1) as f64,
        yes(p.met)
    );
    if let Some(db) = p.database_cpu_s {
        let _ = writeln!(
            out,
            "\nPaging through all: server CPU {:.1} s, PostgreSQL backends' CPU {db:.1} s.",
            p.server_cpu_s
        );
    }
    if p.duplicates + p.missing + p.out_of_order > 0 {
        let _ = writeln!(
            out,
            "\n**Paging was wrong:** {} duplicates, {} missing, {} out of id order.",
            p.duplicates, p.missing, p.out_of_order
        );
    }

    let f = &r.fill;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| fill | ports/s | bulk request p50 / p90 ms | server CPU ms/port | PostgreSQL CPU ms/port | retries | raw SQLite commits/s | raw PostgreSQL commits/s (1 client) | CPU baseline/s | RSS MB after fill / after lists (peak) | database MB |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let mb = |kib: u64| kib as f64 * 1.024 / 1000.0;
    let _ = writeln!(
        out,
        "| {} ports, bulk {}, {} clients, {} networks, {:.1} s | {:.0} | {:.1} / {:.1} | {:.3} | {} | {} | {:.0} | {} | {:.0} | {:.1} / {:.1} ({:.1}) | {:.1} |",
        f.ports,
        f.bulk,
        f.clients,
        f.networks,
        f.wall_s,
        f.ports_per_s,
        f.request_latency.p50_ms,
        f.request_latency.p90_ms,
        f.server_cpu_ms_per_port,
        f.database_cpu_ms_per_port
            .map_or_else(|| "—".to_string(), |v| format!("{v:.3}")),
        f.retries,
        r.sqlite_baseline.commits_per_s,
        r.postgres_baseline
            .as_ref()
            .map_or_else(|| "—".to_string(), |b| format!("{:.0}", b.commits_per_s)),
        r.cpu_baseline.ops_per_s,
        mb(r.rss_after_fill_kib),
        mb(r.rss_kib),
        mb(r.peak_rss_kib),
        r.db_bytes as f64 / 1e6
    );
    if let Some(e) = &f.retry_sample {
        let _ = writeln!(
            out,
            "\nFirst error answer during the fill (sent again): `{e}`"
        );
    }
    out
}
