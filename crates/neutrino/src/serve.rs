//! `neutrino serve`: the Networking API with its built-in identity, on SQLite or PostgreSQL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use neutrino_api::{AppState, Backend, BackendReport, Operations};
use neutrino_identity::Authenticator;
use neutrino_network::Networking;
use neutrino_ovn_sync::OvnBackend;
use neutrino_store::Store;

use crate::config::{self, Config};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides `listen`).
    #[arg(long)]
    listen: Option<String>,
    /// Data directory (overrides `data_dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Config file (default: ./neutrino.toml if it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(long)]
    print_config: bool,
}

fn effective_config(args: &ServeArgs) -> Result<Config> {
    let mut cfg = config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(l) = &args.listen {
        cfg.listen = l.clone();
    }
    if let Some(d) = &args.data_dir {
        cfg.data_dir = d.clone();
    }
    Ok(cfg)
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub fn run(args: ServeArgs) -> Result<()> {
    let cfg = effective_config(&args)?;
    if args.print_config {
        print!(
            "{}",
            toml::to_string_pretty(&cfg).context("cannot print config")?
        );
        return Ok(());
    }
    init_logging(&cfg);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(cfg))
}

async fn serve(cfg: Config) -> Result<()> {
    let addr: SocketAddr = cfg
        .listen
        .parse()
        .with_context(|| format!("invalid listen address {}", cfg.listen))?;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let public_url = cfg
        .identity
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}/"));
    let store = Store::open(&cfg.database, &cfg.data_dir).context("cannot open the database")?;
    let identity = Authenticator::open(&cfg.identity, &cfg.data_dir, &public_url, &store)
        .await
        .context("cannot start the identity service")?;
    tokio::spawn(prune_outbox(
        store.clone(),
        i64::try_from(cfg.database.outbox_retain_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
    ));
    // Runs while the server does.
    let backend = start_backend(&cfg, &store).await?;
    let net = Networking::new(store.clone(), cfg.network.clone())
        .map_err(|e| anyhow::anyhow!("invalid [network] config: {}", e.message))?;
    if let Authenticator::Keystone(_) = identity {
        tracing::info!(auth_url = %cfg.identity.keystone.auth_url, "tokens are validated by Keystone");
    }
    let ops = Operations::new(store.clone(), backend.as_ref().map(ovn_report));
    let state = AppState {
        net,
        identity,
        ops: ops.clone(),
    };
    tracing::info!(
        listen = %local,
        data_dir = %cfg.data_dir.display(),
        "neutrino is serving the Networking API"
    );
    let timeout = std::time::Duration::from_secs(cfg.shutdown_timeout_secs);
    crate::shutdown::serve_until_signal(listener, neutrino_api::app(state), ops, timeout).await?;
    // The back end's tasks stop before the store goes away under them, and its lease is given
    // up so that a standby replica takes over at once.
    if let Some(backend) = backend {
        backend.stop(std::time::Duration::from_secs(5)).await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Starts the reconciler of the configured back end. Without one, the back end's place in the
/// change feed is given up, so that the feed does not keep changes for a consumer that is gone —
/// unless another replica still runs it (holds its lease).
async fn start_backend(cfg: &Config, store: &Store) -> Result<Option<Arc<OvnBackend>>> {
    match cfg.backend.as_str() {
        "ovn" => {
            tracing::info!(nb = %cfg.ovn.nb_connection, "the OVN back end is on");
            return Ok(Some(Arc::new(OvnBackend::start(
                store.clone(),
                cfg.ovn.clone(),
            ))));
        }
        _ => {
            let removed = store
                .write(|tx| {
                    // Another replica holding the back end's lease still uses its position.
                    let lease = neutrino_store::leases::lease(tx, neutrino_ovn_sync::lease::LEASE)?;
                    if lease.is_some_and(|l| l.expires_ms > neutrino_store::unix_time_ms()) {
                        return Ok(false);
                    }
                    neutrino_store::outbox::remove_consumer(
                        tx,
                        neutrino_ovn_sync::reconciler::CONSUMER,
                    )?;
                    Ok::<_, neutrino_store::StoreError>(true)
                })
                .await
                .context("cannot open the database")?;
            if !removed {
                tracing::warn!(
                    "another replica runs the OVN back end, this one has backend = \"none\": \
                     every replica should have the same back end"
                );
            }
        }
    }
    Ok(None)
}

/// Keeps the change feed's table small: once a minute, drops what every consumer has read.
async fn prune_outbox(store: Store, retain_ms: i64) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match store.prune_outbox(retain_ms).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(entries = n, "pruned the change feed"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the change feed"),
        }
    }
}

/// The OVN back end as `/readyz` and `/metrics` see it. A weak reference: the reports must not
/// keep the back end running after the server has stopped it.
fn ovn_report(backend: &Arc<OvnBackend>) -> Backend {
    let backend = Arc::downgrade(backend);
    Backend {
        name: "ovn",
        consumer: neutrino_ovn_sync::reconciler::CONSUMER,
        report: Box::new(move || {
            let Some(backend) = backend.upgrade() else {
                return BackendReport::default();
            };
            let s = backend.status();
            let holding = backend.holding();
            BackendReport {
                connected: s.connected.is_some(),
                ready: s.ready,
                position: s.position,
                transactions: s.transactions,
                last_full_compare_seconds: s.last_full_compare_took_ms / 1000.0,
                last_full_compare_changes: s.last_full_compare_changes as u64,
                last_full_compare_at: s.last_full_compare_ms.map(|ms| ms as f64 / 1000.0),
                ports: s.ports as u64,
                failing: s.last_error.is_some(),
                active: holding.token.is_some(),
                decided: holding.answered,
            }
        }),
    }
}
