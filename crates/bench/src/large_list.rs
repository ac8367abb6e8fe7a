//! The large-list scenario (`--scenario large-list`): a fresh server filled with `ports` admin
//! ports (bulk POSTs over a few networks with a /16 each) and a member project's 100 own ports,
//! then the lists a cloud of that size has to answer quickly: the first page and the page after
//! a marker (in id order and sorted by name), selective filters (a tag among them: the member's
//! ports carry tags), the member's own ports, and paging through everything the way
//! openstacksdk does (follow `ports_links` `next` until there is none).
//!
//! Every answer is checked against what was created (exact page contents, the one matching
//! port of a filter, no duplicates or gaps while paging); checks run after the clock stopped.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::Api;
use crate::baseline::{self, CommitRate, CpuRate};
use crate::bulk_fill::{self, FillResult, PortRef};
use crate::database::TempDatabase;
use crate::scenario::engine;
use crate::server::{self, Launch, Server};
use crate::stats::Latency;

/// Ports per bulk request, and the page size of every paged query.
const BULK: usize = 100;
const PAGE: usize = 100;
/// Ports per admin network (each has a /16 subnet: 65,533 addresses).
const PORTS_PER_NETWORK: usize = 40_000;
/// The member project's own ports.
const MEMBER_PORTS: usize = 100;
/// The targets: a page or a selective filter, the member's full list, the whole walk.
pub const PAGE_P50_MS: f64 = 5.0;
pub const MEMBER_P50_MS: f64 = 10.0;
pub const PAGING_S: f64 = 10.0;
/// The seed of the "random" ports the filters look for: fixed, so runs ask alike.
const SEED: u64 = 0x5eed_0000_1a49_e115;

/// What one run does.
#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub ports: usize,
    pub clients: usize,
    /// Timed repetitions of each query (after one warm-up).
    pub reps: usize,
    pub baseline_secs: f64,
    pub log_level: String,
    pub server_env: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct QueryResult {
    pub name: String,
    /// The path of the first timed request (the others vary the filter value).
    pub example: String,
    pub reps: usize,
    /// Items in the answers: the fewest and the most.
    pub items_min: usize,
    pub items_max: usize,
    pub body_bytes: usize,
    pub latency: Latency,
    pub server_cpu_ms_per_op: f64,
    pub target_p50_ms: f64,
    pub met: bool,
}

#[derive(Debug, Serialize)]
pub struct PagingResult {
    pub limit: usize,
    pub pages: usize,
    pub items_seen: usize,
    pub expected: usize,
    pub duplicates: usize,
    /// Ports created but never seen, and items out of id order (a page not after the last).
    pub missing: usize,
    pub out_of_order: usize,
    pub seconds: f64,
    pub page_latency: Latency,
    pub server_cpu_s: f64,
    /// With PostgreSQL on this machine: CPU time of the database's backends over the walk.
    pub database_cpu_s: Option<f64>,
    pub target_s: f64,
    pub met: bool,
}

#[derive(Debug, Serialize)]
pub struct LargeListResult {
    pub run: usize,
    pub engine: String,
    pub log_level: String,
    pub ports: usize,
    pub member_ports: usize,
    pub sqlite_baseline: CommitRate,
    pub postgres_baseline: Option<CommitRate>,
    pub cpu_baseline: CpuRate,
    pub fill: FillResult,
    pub queries: Vec<QueryResult>,
    pub paging: PagingResult,
    pub rss_after_fill_kib: u64,
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
    /// SQLite file + WAL, or `pg_database_size`, after the run.
    pub db_bytes: u64,
}

fn port_name(i: usize) -> String {
    format!("port-{i}")
}

fn member_port_name(i: usize) -> String {
    format!("member-port-{i}")
}

/// The tag of the member's `i`th port besides `bench`: ten groups of ten.
fn member_port_tag(i: usize) -> String {
    format!("group-{}", i % 10)
}

/// Runs the scenario once against a new server in a new directory under `root`.
pub async fn run(
    bin: &Path,
    root: &Path,
    index: usize,
    p: &Params,
    database_url: Option<&str>,
) -> Result<LargeListResult> {
    let dir = tempfile::Builder::new()
        .prefix("neutrino-bench-large-")
        .tempdir_in(root)
        .with_context(|| format!("cannot create a temp dir in {}", root.display()))?;
    let secs = Duration::from_secs_f64(p.baseline_secs);
    let sqlite_baseline = baseline::sqlite_commit_rate(dir.path(), secs)?;
    eprintln!(
        "  raw SQLite durable commits: {:.0}/s",
        sqlite_baseline.commits_per_s
    );
    // Declared before the server, so dropped (the database with it) after the server stopped.
    let database = database_url.map(TempDatabase::create).transpose()?;
    let postgres_baseline = match &database {
        Some(db) => Some(baseline::postgres_commit_rate(&db.url, secs)?),
        None => None,
    };
    if let Some(b) = &postgres_baseline {
        eprintln!(
            "  raw PostgreSQL durable commits (1 client): {:.0}/s",
            b.commits_per_s
        );
    }
    let cpu_baseline = baseline::json_cpu_rate(Duration::from_millis(500))?;
    let launch = Launch {
        bin,
        dir: dir.path(),
        log_level: &p.log_level,
        env: &p.server_env,
        database_url: database.as_ref().map(|db| db.url.as_str()),
    };
    let (mut server, _) = launch.start().await?;
    let admin = Api::login(&server.url).await?;

    let networks = admin_networks(&admin, p.ports).await?;
    let plan = bulk_fill::Plan {
        networks: &networks,
        ports: p.ports,
        bulk: BULK,
        clients: p.clients,
        name: port_name,
    };
    let (fill, admin_ports) = bulk_fill::fill(&admin, &server, database.as_ref(), &plan).await?;
    eprintln!(
        "  fill: {} ports in {:.1} s ({:.0}/s, {} bulk requests of {BULK}, {} clients, {} networks), server CPU {:.3} ms/port, {} retries",
        fill.ports,
        fill.wall_s,
        fill.ports_per_s,
        fill.requests,
        fill.clients,
        fill.networks,
        fill.server_cpu_ms_per_port,
        fill.retries
    );
    if let Some(e) = &fill.retry_sample {
        eprintln!("  first error answer during the fill (sent again): {e}");
    }
    let member = Api::login_as(
        &server.url,
        server::MEMBER_USER,
        server::MEMBER_PASSWORD,
        server::MEMBER_PROJECT,
    )
    .await?;
    let member_ports = member_ports(&member).await?;
    let (rss_after_fill_kib, _) = server.memory_kib()?;

    let mut all: Vec<String> = admin_ports
        .iter()
        .chain(&member_ports)
        .map(|p| p.id.clone())
        .collect();
    all.sort();
    let queries = queries(
        &admin,
        &member,
        &server,
        p,
        &all,
        &admin_ports,
        &member_ports,
    )
    .await?;
    let paging = page_through(&admin, &server, database.as_ref(), &all).await?;
    let (rss_kib, peak_rss_kib) = server.memory_kib()?;
    server.stop();
    drop(server);
    let db_bytes = match &database {
        Some(db) => db.size_bytes()?,
        None => ["", "-wal"]
            .iter()
            .filter_map(|s| {
                std::fs::metadata(launch.data_dir().join(format!("neutrino.sqlite{s}"))).ok()
            })
            .map(|m| m.len())
            .sum(),
    };
    Ok(LargeListResult {
        run: index,
        engine: engine(database_url).to_string(),
        log_level: p.log_level.clone(),
        ports: p.ports,
        member_ports: member_ports.len(),
        sqlite_baseline,
        postgres_baseline,
        cpu_baseline,
        fill,
        queries,
        paging,
        rss_after_fill_kib,
        rss_kib,
        peak_rss_kib,
        db_bytes,
    })
}

/// Enough admin networks for `ports`, each with a /16 (`10.<k>.0.0/16`); lifts the admin
/// project's quotas.
async fn admin_networks(admin: &Api, ports: usize) -> Result<Vec<String>> {
    let count = ports.div_ceil(PORTS_PER_NETWORK).max(1);
    if count > 250 {
        bail!("--ports {ports} needs {count} /16 networks; at most 250 are set up");
    }
    let mut networks = Vec::with_capacity(count);
    for k in 1..=count {
        let net = admin
            .create(
                "networks",
                &json!({"network": {"name": format!("large-net-{k}")}}),
            )
            .await?;
        if k == 1 {
            admin.lift_quotas(&net).await?;
        }
        admin
            .create(
                "subnets",
                &json!({"subnet": {"network_id": net, "ip_version": 4,
                    "cidr": format!("10.{k}.0.0/16"), "name": format!("large-subnet-{k}")}}),
            )
            .await?;
        networks.push(net);
    }
    Ok(networks)
}

/// The member's network, a /24 (`172.16.0.0/24`, apart from the admin's addresses) and its
/// 100 ports in one bulk request.
async fn member_ports(member: &Api) -> Result<Vec<PortRef>> {
    let net = member
        .create("networks", &json!({"network": {"name": "member-net"}}))
        .await?;
    member
        .create(
            "subnets",
            &json!({"subnet": {"network_id": net, "ip_version": 4, "cidr": "172.16.0.0/24",
                "name": "member-subnet"}}),
        )
        .await?;
    let items: Vec<Value> = (0..MEMBER_PORTS)
        .map(|i| {
            json!({"network_id": net, "name": member_port_name(i),
                "tags": ["bench", member_port_tag(i)]})
        })
        .collect();
    let answer = member
        .send("POST", "ports", json!({ "ports": items }))
        .await?;
    bulk_fill::port_refs(&answer, MEMBER_PORTS)
}

/// The ids of a list answer, in order.
fn ids(answer: &Value) -> Result<Vec<&str>> {
    answer["ports"]
        .as_array()
        .context("no ports array in the list answer")?
        .iter()
        .map(|p| p["id"].as_str().context("a listed port has no id"))
        .collect()
}

/// The `next` link of a paged answer, if any.
fn next_link(answer: &Value) -> Option<&str> {
    answer["ports_links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == "next")?["href"]
        .as_str()
}

/// Every timed query but the walk through all pages.
async fn queries(
    admin: &Api,
    member: &Api,
    server: &Server,
    p: &Params,
    all: &[String],
    admin_ports: &[PortRef],
    member_ports: &[PortRef],
) -> Result<Vec<QueryResult>> {
    let reps = p.reps;
    let mid = all.len() / 2;
    let marker = all[mid].clone();
    // The port each repetition of a filter looks for (one more for the warm-up).
    let mut rng = SplitMix(SEED);
    let picks: Vec<usize> = (0..=reps)
        .map(|_| (rng.next() % admin_ports.len() as u64) as usize)
        .collect();
    // A filter's answer must hold the port it was built from (a MAC may repeat on another
    // network, so more than one match is allowed there).
    let expect_pick = |exactly_one: bool| {
        let picks = &picks;
        move |k: usize, v: &Value| {
            let want = &admin_ports[picks[k]].id;
            let got = ids(v)?;
            if !got.contains(&want.as_str()) || (exactly_one && got.len() != 1) {
                bail!("expected port {want}, got {got:?}");
            }
            Ok(())
        }
    };
    let first: Vec<String> = all[..PAGE.min(all.len())].to_vec();
    let after: Vec<String> = all[mid + 1..(mid + 1 + PAGE).min(all.len())].to_vec();
    // By name (all lower case here), then id: as the server sorts.
    let mut by_name: Vec<(String, &str)> = admin_ports
        .iter()
        .enumerate()
        .map(|(i, p)| (port_name(i), p.id.as_str()))
        .chain(
            member_ports
                .iter()
                .enumerate()
                .map(|(i, p)| (member_port_name(i), p.id.as_str())),
        )
        .collect();
    by_name.sort_unstable();
    let by_name: Vec<String> = by_name.into_iter().map(|(_, id)| id.to_string()).collect();
    let name_marker = by_name[mid].clone();
    let first_by_name: Vec<String> = by_name[..PAGE.min(by_name.len())].to_vec();
    let after_by_name: Vec<String> = by_name[mid + 1..(mid + 1 + PAGE).min(by_name.len())].to_vec();
    let group = member_port_tag(3);
    let mut tagged: Vec<String> = member_ports
        .iter()
        .enumerate()
        .filter(|(i, _)| member_port_tag(*i) == group)
        .map(|(_, p)| p.id.clone())
        .collect();
    tagged.sort();
    let mut member_ids: Vec<String> = member_ports.iter().map(|p| p.id.clone()).collect();
    member_ids.sort();
    let mut out = Vec::new();
    out.push(
        measure(
            admin,
            server,
            "first page (limit=100)",
            reps,
            PAGE_P50_MS,
            |_| format!("v2.0/ports?limit={PAGE}"),
            expect_ids(&first),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "page after a marker in the middle",
            reps,
            PAGE_P50_MS,
            |_| format!("v2.0/ports?limit={PAGE}&marker={marker}"),
            expect_ids(&after),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "first page sorted by name (sort_key=name&limit=100)",
            reps,
            PAGE_P50_MS,
            |_| format!("v2.0/ports?sort_key=name&limit={PAGE}"),
            expect_ids(&first_by_name),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "page sorted by name after a marker in the middle",
            reps,
            PAGE_P50_MS,
            |_| format!("v2.0/ports?sort_key=name&limit={PAGE}&marker={name_marker}"),
            expect_ids(&after_by_name),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "filter tags=<tag> (limit=100)",
            reps,
            PAGE_P50_MS,
            |_| format!("v2.0/ports?tags={group}&limit={PAGE}"),
            expect_ids(&tagged),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "filter name=port-<i>",
            reps,
            PAGE_P50_MS,
            |k| format!("v2.0/ports?name={}", port_name(picks[k])),
            expect_pick(true),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "filter fixed_ips=ip_address=<addr>",
            reps,
            PAGE_P50_MS,
            |k| {
                format!(
                    "v2.0/ports?fixed_ips=ip_address%3D{}",
                    admin_ports[picks[k]].ip_address
                )
            },
            expect_pick(true),
        )
        .await?,
    );
    out.push(
        measure(
            admin,
            server,
            "filter mac_address=<mac>",
            reps,
            PAGE_P50_MS,
            |k| {
                format!(
                    "v2.0/ports?mac_address={}",
                    admin_ports[picks[k]].mac_address
                )
            },
            expect_pick(false),
        )
        .await?,
    );
    out.push(
        measure(
            member,
            server,
            "member lists its own ports",
            reps,
            MEMBER_P50_MS,
            |_| "v2.0/ports".to_string(),
            move |_, v: &Value| {
                let mut got = ids(v)?;
                got.sort_unstable();
                if got != member_ids {
                    bail!(
                        "the member got {} ports, expected its {}",
                        got.len(),
                        member_ids.len()
                    );
                }
                Ok(())
            },
        )
        .await?,
    );
    Ok(out)
}

/// A check that an answer holds exactly the ports `want`, in that order.
fn expect_ids(want: &[String]) -> impl Fn(usize, &Value) -> Result<()> + '_ {
    move |_, v| {
        let got = ids(v)?;
        if got != want {
            bail!(
                "expected {} ports from {:?} to {:?}, got {} from {:?} to {:?}",
                want.len(),
                want.first(),
                want.last(),
                got.len(),
                got.first(),
                got.last()
            );
        }
        Ok(())
    }
}

/// One warm-up request (`path(reps)`), then `reps` sequential timed GETs `path(0..reps)` (body
/// read completely); each answer is parsed and `check`ed after the clock stopped.
async fn measure(
    api: &Api,
    server: &Server,
    name: &str,
    reps: usize,
    target_p50_ms: f64,
    path: impl Fn(usize) -> String,
    check: impl Fn(usize, &Value) -> Result<()>,
) -> Result<QueryResult> {
    let parse = |k: usize, body: &[u8]| -> Result<usize> {
        let v: Value = serde_json::from_slice(body).context("list answer is not JSON")?;
        check(k, &v).with_context(|| format!("{name}: GET /{}", path(k)))?;
        Ok(ids(&v)?.len())
    };
    parse(reps, &api.get(&path(reps)).await?)?;
    let cpu0 = server.cpu_time()?;
    let mut latencies = Vec::with_capacity(reps);
    let (mut items_min, mut items_max, mut body_bytes) = (usize::MAX, 0, 0);
    for k in 0..reps {
        let t = Instant::now();
        let body = api.get(&path(k)).await?;
        latencies.push(t.elapsed());
        let items = parse(k, &body)?;
        (items_min, items_max) = (items_min.min(items), items_max.max(items));
        body_bytes = body.len();
    }
    let cpu = server.cpu_time()? - cpu0;
    let latency = Latency::of(&latencies);
    eprintln!(
        "  {name}: {items_max} items, {body_bytes} bytes, p50 {:.2} ms, p90 {:.2} ms (target p50 ≤ {target_p50_ms} ms)",
        latency.p50_ms, latency.p90_ms
    );
    Ok(QueryResult {
        name: name.to_string(),
        example: format!("/{}", path(0)),
        reps,
        items_min,
        items_max,
        body_bytes,
        met: latency.p50_ms <= target_p50_ms,
        latency,
        server_cpu_ms_per_op: cpu.as_secs_f64() * 1e3 / reps.max(1) as f64,
        target_p50_ms,
    })
}

/// Pages through every port as openstacksdk does: `GET /v2.0/ports?limit=100`, then the
/// `next` link of each answer until an answer has none. `all`: every port id, sorted.
async fn page_through(
    api: &Api,
    server: &Server,
    database: Option<&TempDatabase>,
    all: &[String],
) -> Result<PagingResult> {
    let mut seen: HashSet<String> = HashSet::with_capacity(all.len());
    let (mut pages, mut items_seen, mut duplicates, mut out_of_order) = (0, 0, 0, 0);
    let mut last: Option<String> = None;
    let mut latencies = Vec::new();
    let mut path = format!("v2.0/ports?limit={PAGE}");
    let database_cpu0 = database.and_then(TempDatabase::backend_cpu);
    let cpu0 = server.cpu_time()?;
    let started = Instant::now();
    loop {
        let t = Instant::now();
        let body = api.get(&path).await?;
        latencies.push(t.elapsed());
        let v: Value = serde_json::from_slice(&body).context("list answer is not JSON")?;
        pages += 1;
        for id in ids(&v)? {
            items_seen += 1;
            if last.as_deref().is_some_and(|l| id <= l) {
                out_of_order += 1;
            }
            last = Some(id.to_string());
            if !seen.insert(id.to_string()) {
                duplicates += 1;
            }
        }
        if pages % 100 == 0 {
            eprintln!(
                "    paging: {pages} pages, {items_seen} ports, {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let Some(next) = next_link(&v) else { break };
        path = next
            .strip_prefix(api.base())
            .with_context(|| format!("the next link {next} is not under {}", api.base()))?
            .to_string();
        if pages > all.len() / PAGE + 10 {
            bail!(
                "still a next link after {pages} pages of {PAGE} ({} ports exist): {next}",
                all.len()
            );
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = server.cpu_time()? - cpu0;
    let database_cpu = database
        .and_then(TempDatabase::backend_cpu)
        .zip(database_cpu0)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64());
    let missing = all.iter().filter(|id| !seen.contains(*id)).count();
    let page_latency = Latency::of(&latencies);
    eprintln!(
        "  paging through everything: {items_seen} ports (expected {}) in {pages} pages, {seconds:.1} s, page p50 {:.1} ms; {duplicates} duplicates, {missing} missing, {out_of_order} out of order (target ≤ {PAGING_S} s)",
        all.len(),
        page_latency.p50_ms
    );
    Ok(PagingResult {
        limit: PAGE,
        pages,
        items_seen,
        expected: all.len(),
        duplicates,
        missing,
        out_of_order,
        seconds,
        page_latency,
        server_cpu_s: cpu.as_secs_f64(),
        database_cpu_s: database_cpu,
        target_s: PAGING_S,
        met: seconds <= PAGING_S && items_seen == all.len() && duplicates == 0 && missing == 0,
    })
}

/// SplitMix64: a tiny generator for reproducible picks, no dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found() {
        let v = json!({"ports": [], "ports_links": [
            {"rel": "previous", "href": "http://h/v2.0/ports?limit=1&marker=a&page_reverse=True"},
            {"rel": "next", "href": "http://h/v2.0/ports?limit=1&marker=b"}]});
        assert_eq!(next_link(&v), Some("http://h/v2.0/ports?limit=1&marker=b"));
        assert_eq!(next_link(&json!({"ports": []})), None);
    }

    #[test]
    fn splitmix_is_reproducible() {
        let (mut a, mut b) = (SplitMix(SEED), SplitMix(SEED));
        assert_eq!(
            (0..5).map(|_| a.next()).collect::<Vec<_>>(),
            (0..5).map(|_| b.next()).collect::<Vec<_>>()
        );
    }
}
