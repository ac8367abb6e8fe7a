//! The security group rule scenario (`--scenario sg-rules`): a fresh server, one group, `rules`
//! single-rule POSTs (TCP, one distinct port each) from `clients` concurrent keep-alive
//! clients, then timed full `GET /v2.0/security-group-rules`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;

use crate::api::Api;
use crate::database::TempDatabase;
use crate::load::{spread, timed_gets};
use crate::server::Launch;
use crate::stats::Latency;

#[derive(Debug, Serialize)]
pub struct SgRulesResult {
    pub rules: usize,
    pub clients: usize,
    pub create_wall_s: f64,
    pub create_per_s: f64,
    pub create_latency: Latency,
    pub list_items: usize,
    pub list_bytes: usize,
    pub list_latency: Latency,
}

/// Runs the scenario once; `rules` is at most 65535 (one TCP port each). `database_url`: on a
/// new database of that PostgreSQL server instead of SQLite.
pub async fn run(
    bin: &Path,
    root: &Path,
    rules: usize,
    clients: usize,
    list_reps: usize,
    database_url: Option<&str>,
) -> Result<SgRulesResult> {
    if rules == 0 || rules > 65535 {
        bail!("--ports must be 1..=65535 for the sg-rules scenario (one TCP port per rule)");
    }
    let dir = tempfile::Builder::new()
        .prefix("neutrino-bench-sg-")
        .tempdir_in(root)
        .with_context(|| format!("cannot create a temp dir in {}", root.display()))?;
    let database = database_url.map(TempDatabase::create).transpose()?;
    // The default quota (100 rules per project) would stop the scenario early.
    let env = [(
        "NEUTRINO_NETWORK__QUOTAS__SECURITY_GROUP_RULE".to_string(),
        "-1".to_string(),
    )];
    let launch = Launch {
        env: &env,
        bin,
        dir: dir.path(),
        log_level: "warn",
        database_url: database.as_ref().map(|db| db.url.as_str()),
    };
    let (mut server, _) = launch.start().await?;
    let api = Api::login(&server.url).await?;
    let sg = api
        .create(
            "security-groups",
            &json!({"security_group": {"name": "bench-sg"}}),
        )
        .await?;

    let created = {
        let api = api.clone();
        spread(clients, rules, move |i| {
            let (api, sg) = (api.clone(), sg.clone());
            async move {
                let port = i + 1;
                let body = json!({"security_group_rule": {"security_group_id": sg,
                    "direction": "ingress", "protocol": "tcp",
                    "port_range_min": port, "port_range_max": port}});
                api.create("security-group-rules", &body).await
            }
        })
        .await?
    };
    let (wall, create_latency) = (created.wall, created.latency);
    eprintln!(
        "  create {rules} rules with {clients} clients: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        rules as f64 / wall.as_secs_f64(),
        create_latency.p50_ms,
        create_latency.p99_ms
    );

    let listed = timed_gets(
        &api,
        "v2.0/security-group-rules",
        "security_group_rules",
        list_reps,
    )
    .await?;
    let (list_items, list_bytes, list_latency) = (listed.items, listed.bytes, listed.latency);
    eprintln!(
        "  list all: {list_items} rules, {list_bytes} bytes, p50 {:.1} ms, p90 {:.1} ms",
        list_latency.p50_ms, list_latency.p90_ms
    );
    server.stop();
    Ok(SgRulesResult {
        rules,
        clients,
        create_wall_s: wall.as_secs_f64(),
        create_per_s: rules as f64 / wall.as_secs_f64(),
        create_latency,
        list_items,
        list_bytes,
        list_latency,
    })
}
