//! The new collections' scenario (`--scenario collections`): create and list rates of QoS
//! bandwidth-limit rules and trunk sub-ports at scale, and the single-port create rate of the
//! same server beside another build's (`--compare-server`), so a change can show it did not
//! slow the port create path.
//!
//! Each turn starts a fresh server (SQLite unless `--database-url`) per binary, the compared
//! one first, and creates `n` ports (single POSTs, named, no `device_id`) from `clients`
//! keep-alive clients on one network with a /16 subnet: the port create figure. On the server
//! under test the turn goes on: `n / 2` QoS policies, then `n` bandwidth-limit rules (an
//! egress and an ingress rule per policy, the most a policy may have), then the full policy
//! list (which embeds every rule); ten trunks on ten more ports, the `n` ports added to them as
//! sub-ports (`n / 10` per trunk, VLAN 1…) in `add_subports` requests of [`SUBPORT_BATCH`], then
//! the trunk list, one trunk's `get_subports` and the full port list (with `trunk_details`).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;

use crate::api::Api;
use crate::database::TempDatabase;
use crate::load::{Listed, Timed, spread, timed_gets};
use crate::server::{Launch, Server};
use crate::stats::{Latency, median};

/// Trunks the sub-ports are spread over.
pub const TRUNKS: usize = 10;
/// Sub-ports per `add_subports` request.
pub const SUBPORT_BATCH: usize = 100;

pub struct Params {
    /// Ports per port-create phase, QoS rules, and sub-ports.
    pub n: usize,
    pub clients: usize,
    pub turns: usize,
    pub list_reps: usize,
    pub cidr: String,
}

/// A phase of creates: how many, how fast.
#[derive(Debug, Serialize)]
pub struct Rate {
    pub count: usize,
    pub wall_s: f64,
    pub per_s: f64,
    pub latency: Latency,
}

impl<T> From<&Timed<T>> for Rate {
    fn from(t: &Timed<T>) -> Rate {
        Rate {
            count: t.outputs.len(),
            wall_s: t.wall.as_secs_f64(),
            per_s: t.rate(),
            latency: t.latency.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct QosFigures {
    pub policy_create: Rate,
    pub rule_create: Rate,
    pub policy_list: Listed,
}

#[derive(Debug, Serialize)]
pub struct TrunkFigures {
    /// The trunks' parent ports.
    pub parent_port_create: Rate,
    /// `add_subports` requests of [`SUBPORT_BATCH`] sub-ports each.
    pub subport_add_batches: Rate,
    pub subports_per_s: f64,
    pub trunk_list: Listed,
    pub get_subports: Listed,
    pub port_list: Listed,
}

#[derive(Debug, Serialize)]
pub struct Collections {
    pub qos: QosFigures,
    pub trunks: TrunkFigures,
}

#[derive(Debug, Serialize)]
pub struct Turn {
    pub turn: usize,
    /// The port create rate of `--compare-server`, measured just before this server's.
    pub compared_port_create: Option<Rate>,
    pub port_create: Rate,
    pub collections: Collections,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub n: usize,
    pub clients: usize,
    pub compare_server: Option<String>,
    pub turns: Vec<Turn>,
}

/// A fresh server on `bin` with one network named `name` (with an IPv4 subnet `cidr` if given)
/// whose project's quotas are lifted; its data dir (and database) go when it is dropped.
pub struct Fresh {
    pub server: Server,
    pub api: Api,
    pub network: String,
    _dir: tempfile::TempDir,
    _database: Option<TempDatabase>,
}

pub async fn fresh(
    bin: &Path,
    root: &Path,
    name: &str,
    cidr: Option<&str>,
    database_url: Option<&str>,
) -> Result<Fresh> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("neutrino-{name}-"))
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
    let (server, _) = launch.start().await?;
    let api = Api::login(&server.url).await?;
    let network = match cidr {
        Some(cidr) => api.network_with_subnet(name, cidr).await?,
        None => {
            let net = api
                .create("networks", &json!({"network": {"name": name}}))
                .await?;
            api.lift_quotas(&net).await?;
            net
        }
    };
    Ok(Fresh {
        server,
        api,
        network,
        _dir: dir,
        _database: database,
    })
}

/// `n` single-port creates from `clients` clients; the ports' ids. No `device_id`: they become
/// trunk sub-ports, which must not be attached to a device.
async fn create_ports(
    api: &Api,
    network: &str,
    n: usize,
    clients: usize,
    prefix: &'static str,
) -> Result<Timed<String>> {
    let (api, network) = (api.clone(), network.to_string());
    spread(clients, n, move |i| {
        let (api, network) = (api.clone(), network.clone());
        async move {
            let body = json!({"port": {"network_id": network, "name": format!("{prefix}-{i}")}});
            api.create("ports", &body).await
        }
    })
    .await
}

/// The port create phase alone, on a fresh server of `bin`.
async fn port_create_only(
    bin: &Path,
    root: &Path,
    p: &Params,
    database_url: Option<&str>,
) -> Result<Rate> {
    let mut f = fresh(bin, root, "bench-collections", Some(&p.cidr), database_url).await?;
    let created = create_ports(&f.api, &f.network, p.n, p.clients, "vm").await?;
    f.server.stop();
    Ok(Rate::from(&created))
}

async fn qos(api: &Api, p: &Params) -> Result<QosFigures> {
    let policies = p.n.div_ceil(2);
    let created = {
        let api = api.clone();
        spread(p.clients, policies, move |i| {
            let api = api.clone();
            async move {
                api.create(
                    "qos/policies",
                    &json!({"policy": {"name": format!("bench-qos-{i}")}}),
                )
                .await
            }
        })
        .await?
    };
    let ids = Arc::new(created.outputs.clone());
    let n = p.n;
    let rules = {
        let api = api.clone();
        spread(p.clients, n, move |i| {
            let (api, ids) = (api.clone(), ids.clone());
            async move {
                let direction = if i % 2 == 0 { "egress" } else { "ingress" };
                let body = json!({"bandwidth_limit_rule": {"max_kbps": 1000 + i,
                    "max_burst_kbps": 100, "direction": direction}});
                api.create(
                    &format!("qos/policies/{}/bandwidth_limit_rules", ids[i / 2]),
                    &body,
                )
                .await
            }
        })
        .await?
    };
    let listed = timed_gets(api, "v2.0/qos/policies", "policies", p.list_reps).await?;
    if listed.items != policies {
        bail!(
            "the policy list has {} policies, not {policies}",
            listed.items
        );
    }
    Ok(QosFigures {
        policy_create: Rate::from(&created),
        rule_create: Rate::from(&rules),
        policy_list: listed,
    })
}

/// Ten trunks on ten new ports; `subports` (the ports of the port create phase) added in
/// batches, `n / 10` per trunk.
async fn trunks(
    api: &Api,
    network: &str,
    subports: Vec<String>,
    p: &Params,
) -> Result<TrunkFigures> {
    let parents = create_ports(api, network, TRUNKS, p.clients, "trunk-parent").await?;
    let mut trunk_ids = Vec::with_capacity(TRUNKS);
    for (k, parent) in parents.outputs.iter().enumerate() {
        trunk_ids.push(
            api.create(
                "trunks",
                &json!({"trunk": {"port_id": parent, "name": format!("bench-trunk-{k}")}}),
            )
            .await?,
        );
    }
    let per_trunk = subports.len().div_ceil(TRUNKS);
    if per_trunk > 4094 {
        bail!(
            "--ports must be at most {} for this scenario (one VLAN id per sub-port of a trunk)",
            4094 * TRUNKS
        );
    }
    // Batches that never straddle two trunks.
    let mut batches: Vec<(usize, usize, usize)> = Vec::new(); // (trunk, first index, end)
    for t in 0..TRUNKS {
        let (start, end) = (t * per_trunk, ((t + 1) * per_trunk).min(subports.len()));
        let mut b = start;
        while b < end {
            batches.push((t, b, (b + SUBPORT_BATCH).min(end)));
            b += SUBPORT_BATCH;
        }
    }
    // Trunks in turn, so that concurrent requests mostly go to different trunks.
    batches.sort_by_key(|(t, first, _)| (*first - t * per_trunk, *t));
    let (total, batches) = (subports.len(), Arc::new(batches));
    let (subports, trunk_ids) = (Arc::new(subports), Arc::new(trunk_ids));
    let added = {
        let (api, batches, trunk_ids) = (api.clone(), batches.clone(), trunk_ids.clone());
        spread(p.clients, batches.len(), move |i| {
            let (api, batches, subports, trunk_ids) = (
                api.clone(),
                batches.clone(),
                subports.clone(),
                trunk_ids.clone(),
            );
            async move {
                let (t, first, end) = batches[i];
                let sub_ports: Vec<_> = (first..end)
                    .map(|k| {
                        json!({"port_id": subports[k], "segmentation_type": "vlan",
                        "segmentation_id": k - t * per_trunk + 1})
                    })
                    .collect();
                api.send(
                    "PUT",
                    &format!("trunks/{}/add_subports", trunk_ids[t]),
                    json!({ "sub_ports": sub_ports }),
                )
                .await?;
                Ok(())
            }
        })
        .await?
    };
    let subports_per_s = total as f64 / added.wall.as_secs_f64();
    let trunk_list = timed_gets(api, "v2.0/trunks", "trunks", p.list_reps).await?;
    let path = format!("v2.0/trunks/{}/get_subports", trunk_ids[0]);
    let get_subports = timed_gets(api, &path, "sub_ports", p.list_reps).await?;
    if get_subports.items != per_trunk.min(total) {
        bail!(
            "get_subports answered {} sub-ports, not {per_trunk}",
            get_subports.items
        );
    }
    let port_list = timed_gets(api, "v2.0/ports", "ports", p.list_reps).await?;
    Ok(TrunkFigures {
        parent_port_create: Rate::from(&parents),
        subport_add_batches: Rate::from(&added),
        subports_per_s,
        trunk_list,
        get_subports,
        port_list,
    })
}

/// The port create phase and the collections on a fresh server of `bin`.
async fn full_turn(
    bin: &Path,
    root: &Path,
    p: &Params,
    database_url: Option<&str>,
) -> Result<(Rate, Collections)> {
    let mut f = fresh(bin, root, "bench-collections", Some(&p.cidr), database_url).await?;
    let ports = create_ports(&f.api, &f.network, p.n, p.clients, "vm").await?;
    let port_create = Rate::from(&ports);
    eprintln!(
        "  port create: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        port_create.per_s, port_create.latency.p50_ms, port_create.latency.p99_ms
    );
    let qos = qos(&f.api, p).await?;
    eprintln!(
        "  QoS: {} policies {:.0}/s; {} bandwidth-limit rules {:.0}/s (p50 {:.2} ms, p99 {:.2} ms); policy list p50 {:.1} ms",
        qos.policy_create.count,
        qos.policy_create.per_s,
        qos.rule_create.count,
        qos.rule_create.per_s,
        qos.rule_create.latency.p50_ms,
        qos.rule_create.latency.p99_ms,
        qos.policy_list.latency.p50_ms
    );
    let trunks = trunks(&f.api, &f.network, ports.outputs, p).await?;
    eprintln!(
        "  trunks: {} sub-ports in {} batches, {:.0} sub-ports/s; trunk list p50 {:.1} ms; get_subports p50 {:.1} ms; port list p50 {:.1} ms",
        p.n,
        trunks.subport_add_batches.count,
        trunks.subports_per_s,
        trunks.trunk_list.latency.p50_ms,
        trunks.get_subports.latency.p50_ms,
        trunks.port_list.latency.p50_ms
    );
    f.server.stop();
    Ok((port_create, Collections { qos, trunks }))
}

pub async fn run(
    bin: &Path,
    compare: Option<&Path>,
    root: &Path,
    p: &Params,
    database_url: Option<&str>,
) -> Result<Results> {
    if p.n < TRUNKS {
        bail!("--ports must be at least {TRUNKS} for the collections scenario");
    }
    let mut turns = Vec::with_capacity(p.turns);
    for turn in 1..=p.turns {
        let compared_port_create = match compare {
            Some(other) => {
                eprintln!("turn {turn}/{}: {}", p.turns, other.display());
                let r = port_create_only(other, root, p, database_url).await?;
                eprintln!(
                    "  port create: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
                    r.per_s, r.latency.p50_ms, r.latency.p99_ms
                );
                Some(r)
            }
            None => None,
        };
        eprintln!("turn {turn}/{}: {}", p.turns, bin.display());
        let (port_create, collections) = full_turn(bin, root, p, database_url).await?;
        turns.push(Turn {
            turn,
            compared_port_create,
            port_create,
            collections,
        });
    }
    Ok(Results {
        n: p.n,
        clients: p.clients,
        compare_server: compare.map(|c| c.display().to_string()),
        turns,
    })
}

/// The figures as Markdown: one column per turn, and the median.
pub fn markdown(r: &Results) -> String {
    fn ms(l: &Latency) -> String {
        format!("{:.1} / {:.1} ms", l.p50_ms, l.p99_ms)
    }
    let mut rows: Vec<(String, Vec<String>, String)> = Vec::new();
    let mut add = |name: String, values: Vec<f64>, cells: Vec<String>, unit: &str| {
        let med = if unit.is_empty() {
            String::new()
        } else {
            format!("{:.0}{unit}", median(values))
        };
        rows.push((name, cells, med));
    };
    let t = &r.turns;
    let rate = |f: &dyn Fn(&Turn) -> Option<&Rate>| -> (Vec<f64>, Vec<String>) {
        let rates: Vec<f64> = t.iter().filter_map(|x| f(x).map(|r| r.per_s)).collect();
        let cells = t
            .iter()
            .map(|x| {
                f(x).map_or("—".into(), |r| {
                    format!("{:.0}/s ({})", r.per_s, ms(&r.latency))
                })
            })
            .collect();
        (rates, cells)
    };
    if r.compare_server.is_some() {
        let (v, c) = rate(&|x| x.compared_port_create.as_ref());
        add(
            format!("port create, {} ports, `--compare-server`", r.n),
            v,
            c,
            "/s",
        );
    }
    let (v, c) = rate(&|x| Some(&x.port_create));
    add(
        format!("port create, {} ports, this server", r.n),
        v,
        c,
        "/s",
    );
    let (v, c) = rate(&|x| Some(&x.collections.qos.policy_create));
    add("QoS policy create".into(), v, c, "/s");
    let (v, c) = rate(&|x| Some(&x.collections.qos.rule_create));
    add(format!("bandwidth-limit rule create ({})", r.n), v, c, "/s");
    let (v, c) = rate(&|x| Some(&x.collections.trunks.subport_add_batches));
    add(
        format!("`add_subports` of {SUBPORT_BATCH} (requests/s)"),
        v,
        c,
        "/s",
    );
    add(
        "… sub-ports added per second".into(),
        t.iter()
            .map(|x| x.collections.trunks.subports_per_s)
            .collect(),
        t.iter()
            .map(|x| format!("{:.0}/s", x.collections.trunks.subports_per_s))
            .collect(),
        "/s",
    );
    let list = |name: String, f: &dyn Fn(&Turn) -> &Listed| {
        let cells: Vec<String> = t
            .iter()
            .map(|x| {
                format!(
                    "{} ({} items, {} kB)",
                    ms(&f(x).latency),
                    f(x).items,
                    f(x).bytes / 1000
                )
            })
            .collect();
        let p50: Vec<f64> = t.iter().map(|x| f(x).latency.p50_ms).collect();
        (name, cells, format!("{:.1} ms", median(p50)))
    };
    rows.push(list(
        "list QoS policies (all rules embedded) p50 / p99".into(),
        &|x| &x.collections.qos.policy_list,
    ));
    rows.push(list(
        format!("list {TRUNKS} trunks (all sub-ports) p50 / p99"),
        &|x| &x.collections.trunks.trunk_list,
    ));
    rows.push(list("`get_subports` of one trunk p50 / p99".into(), &|x| {
        &x.collections.trunks.get_subports
    }));
    rows.push(list(
        "list all ports (`trunk_details`) p50 / p99".into(),
        &|x| &x.collections.trunks.port_list,
    ));
    let mut md = String::from("| measure |");
    for x in t {
        md += &format!(" turn {} |", x.turn);
    }
    md += " median |\n| --- |";
    md += &" --- |".repeat(t.len() + 1);
    md += "\n";
    for (name, cells, med) in rows {
        md += &format!("| {name} | {} | {med} |\n", cells.join(" | "));
    }
    md
}
