//! `neutrino ovn status|sync`: the OVN back end seen from outside the server.
//!
//! * `status`: the Northbound database (reachable?), the change feed's backlog and lag behind the
//!   back end's position, the replica holding the back end's lease, and the reconciler's last report (written into the database by whichever
//!   server runs it). Exit status 1 when the Northbound database cannot be reached, the reconciler
//!   reported an error, or it is more than a minute behind.
//! * `sync [--dry-run]`: one full compare of the store with the Northbound database, listing every
//!   row it would create, change or delete; without `--dry-run` it applies them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use neutrino_ovn_sync::lease::LEASE;
use neutrino_ovn_sync::reconciler::CONSUMER;
use neutrino_ovn_sync::{OvnConfig, SyncStatus};
use neutrino_store::{Store, StoreError, leases, outbox};

use crate::config;

#[derive(clap::Args)]
pub struct OvnArgs {
    #[command(subcommand)]
    command: OvnCommand,
    /// Data directory (overrides `data_dir`), for SQLite.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Config file (default: ./neutrino.toml if it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum OvnCommand {
    /// Connection, backlog, lag and the last full compare of the OVN back end.
    Status {
        /// One JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Compare the store with the Northbound database in full and repair the difference.
    Sync {
        /// Only list what would change.
        #[arg(long)]
        dry_run: bool,
    },
}

/// What `status` reports.
#[derive(serde::Serialize)]
struct Report {
    nb_connection: String,
    nb_reachable: bool,
    nb_error: Option<String>,
    /// Changes in the feed the back end has not applied yet.
    backlog: i64,
    /// Age of the oldest of them, seconds.
    lag_secs: f64,
    /// The replica holding the back end's lease (the one doing its work), if any ever did.
    lease: Option<LeaseReport>,
    /// The reconciler's last report, and how long ago it was written (seconds).
    reconciler: Option<SyncStatus>,
    reported_secs_ago: Option<f64>,
}

#[derive(serde::Serialize)]
struct LeaseReport {
    holder: String,
    token: i64,
    /// Seconds until it lapses unless renewed; negative once it has.
    expires_in_secs: f64,
}

pub fn run(args: OvnArgs) -> Result<ExitCode> {
    config::with_store(
        args.config.as_deref(),
        args.data_dir.as_deref(),
        async move |cfg, store| {
            cfg.ovn
                .check()
                .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
            match args.command {
                OvnCommand::Status { json } => status(&store, &cfg.ovn, json).await,
                OvnCommand::Sync { dry_run } => sync(&store, &cfg.ovn, dry_run).await,
            }
        },
    )
}

async fn status(store: &Store, ovn: &OvnConfig, json: bool) -> Result<ExitCode> {
    store.feed_position().await?;
    let (consumer, backlog, oldest, lease) = store
        .read(|tx| {
            let consumer = outbox::consumer(tx, CONSUMER)?;
            let position = consumer.as_ref().map_or(0, |c| c.position);
            Ok::<_, StoreError>((
                consumer,
                outbox::count_after(tx, position)?,
                outbox::oldest_after(tx, position)?,
                leases::lease(tx, LEASE)?,
            ))
        })
        .await?;
    let now = neutrino_store::unix_time_ms();
    let mut client = neutrino_ovn_sync::reconciler::nb_client_config(ovn);
    client.connect_timeout = Duration::from_secs(5);
    let nb = neutrino_ovsdb::Client::connect(client).await;
    let report = Report {
        nb_connection: ovn.nb_connection.clone(),
        nb_reachable: nb.is_ok(),
        nb_error: nb.err().map(|e| e.to_string()),
        backlog,
        lag_secs: oldest.map_or(0.0, |at| seconds(now - at)),
        lease: lease.map(|l| LeaseReport {
            holder: l.holder,
            token: l.token,
            expires_in_secs: seconds(l.expires_ms - now),
        }),
        reconciler: consumer
            .as_ref()
            .and_then(|c| c.status.as_deref())
            .and_then(|s| serde_json::from_str(s).ok()),
        reported_secs_ago: consumer
            .as_ref()
            .and_then(|c| c.status_at_ms)
            .map(|at| seconds(now - at)),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    let healthy = report.nb_reachable
        && report.lag_secs < 60.0
        && report
            .reconciler
            .as_ref()
            .is_some_and(|r| r.last_error.is_none());
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_report(r: &Report) {
    match &r.nb_error {
        None => println!("northbound:    {} (reachable)", r.nb_connection),
        Some(e) => println!("northbound:    {} (unreachable: {e})", r.nb_connection),
    }
    println!(
        "backlog:       {} changes, oldest {:.1} s old",
        r.backlog, r.lag_secs
    );
    match &r.lease {
        Some(l) if l.expires_in_secs >= 0.0 => println!(
            "lease:         held by {} (token {}, lapses in {:.1} s unless renewed)",
            l.holder, l.token, l.expires_in_secs
        ),
        Some(l) => println!(
            "lease:         free (last held by {}, token {}, lapsed {:.1} s ago)",
            l.holder, l.token, -l.expires_in_secs
        ),
        None => println!("lease:         never held"),
    }
    let Some(s) = &r.reconciler else {
        println!("reconciler:    no report yet (is a server running with backend = \"ovn\"?)");
        return;
    };
    println!(
        "reconciler:    reported {:.1} s ago; {}; connected to {}",
        r.reported_secs_ago.unwrap_or(f64::NAN),
        if s.ready { "ready" } else { "starting" },
        s.connected.as_deref().unwrap_or("nothing")
    );
    println!(
        "               feed position {}, {} ports, {} transactions",
        s.position, s.ports, s.transactions
    );
    if let Some(at) = s.last_full_compare_ms {
        println!(
            "full compare:  {:.1} s ago, {} rows repaired",
            seconds(neutrino_store::unix_time_ms() - at),
            s.last_full_compare_changes
        );
    }
    if let Some(e) = &s.last_error {
        println!("last error:    {e}");
    }
}

async fn sync(store: &Store, ovn: &OvnConfig, dry_run: bool) -> Result<ExitCode> {
    let plan = neutrino_ovn_sync::sync_once(store, ovn, dry_run)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    for change in &plan.changes {
        println!("{change}");
    }
    let verb = if dry_run { "would change" } else { "changed" };
    println!(
        "{verb} {} rows in {} operations",
        plan.changes.len(),
        plan.operations.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}
