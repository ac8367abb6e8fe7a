//! `/healthz`, `/readyz` and `/metrics`: for load balancers, orchestrators and Prometheus.
//! Unauthenticated and cheap: each asks the database one short question at most.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use neutrino_store::{Store, StoreError, outbox};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use serde_json::{Map, Value, json};

use crate::metrics::HttpMetrics;

/// A probe that waits longer than this for the database reports it unreachable: a load
/// balancer's probe must get an answer before its own timeout.
const DATABASE_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What the back end reports about itself, in the words of every back end.
#[derive(Clone, Debug, Default)]
pub struct BackendReport {
    /// Connected to its remote database (for OVN: the Northbound leader).
    pub connected: bool,
    /// Its first download and full compare are done: it acts on the feed.
    pub ready: bool,
    /// The feed position whose changes it has applied.
    pub position: i64,
    /// Transactions it has written to its remote database.
    pub transactions: u64,
    /// The last full compare: how long it took, how many rows it repaired.
    pub last_full_compare_seconds: f64,
    pub last_full_compare_changes: u64,
    /// When the last full compare ended (unix seconds), if one has.
    pub last_full_compare_at: Option<f64>,
    /// Ports it knows.
    pub ports: u64,
    /// Its last cycle failed (the error is in its log and in `neutrino ovn status`).
    pub failing: bool,
    /// This replica does the back end's work (holds its lease); the others stand by.
    pub active: bool,
    /// It knows which of the two it is (the database has answered its claim of the lease).
    pub decided: bool,
}

/// The configured back end, as `/readyz` and `/metrics` see it.
pub struct Backend {
    /// Its name (`ovn`): the readiness check's and the metrics' name.
    pub name: &'static str,
    /// Its consumer name in the change feed, whose backlog and lag are reported.
    pub consumer: &'static str,
    pub report: Box<dyn Fn() -> BackendReport + Send + Sync>,
}

/// The state of the operations endpoints: the store, the HTTP metrics, the back end.
#[derive(Clone)]
pub struct Operations {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    http: HttpMetrics,
    backend: Option<Backend>,
    draining: AtomicBool,
}

impl Operations {
    pub fn new(store: Store, backend: Option<Backend>) -> Operations {
        Operations {
            inner: Arc::new(Inner {
                store,
                http: HttpMetrics::new(),
                backend,
                draining: AtomicBool::new(false),
            }),
        }
    }

    /// From now on `/readyz` answers 503: the process is shutting down, send no new requests.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::Relaxed);
    }

    pub(crate) fn http(&self) -> &HttpMetrics {
        &self.inner.http
    }
}

/// `/healthz`: the process is alive and answers HTTP. Nothing else is asked, so that a database
/// outage does not get every replica restarted.
pub(crate) async fn healthz() -> Response {
    axum::Json(json!({"status": "alive"})).into_response()
}

/// `/readyz`: 200 when this replica can serve (database reachable, schema current, back end
/// connected and caught up once), else 503 naming each failed check.
pub(crate) async fn readyz(State(ops): State<Operations>) -> Response {
    let inner = &ops.inner;
    let mut checks = Map::new();
    let mut ready = true;
    let mut check = |name: &str, result: Result<(), String>| {
        ready &= result.is_ok();
        checks.insert(
            name.into(),
            result.map_or_else(Value::String, |()| "ok".into()),
        );
    };
    if inner.draining.load(Ordering::Relaxed) {
        check("shutdown", Err("the process is shutting down".into()));
    }
    match pending_migrations(&inner.store).await {
        Ok(pending) => {
            check("database", Ok(()));
            check(
                "migrations",
                match pending.as_slice() {
                    [] => Ok(()),
                    names => Err(format!("not applied: {}", names.join(", "))),
                },
            );
        }
        Err(e) => check("database", Err(e)),
    }
    if let Some(backend) = &inner.backend {
        let report = (backend.report)();
        check(
            backend.name,
            // A standby replica serves the API as well as the active one; one that does not
            // know yet which it is would be ready, then not ready when it turns out active.
            match (report.connected, report.ready) {
                _ if !report.decided => Err("has not claimed its lease yet".into()),
                _ if !report.active => Ok(()),
                (true, true) => Ok(()),
                (false, _) => Err("not connected to its database".into()),
                (true, false) => Err("its first full compare is not done".into()),
            },
        );
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = if ready { "ready" } else { "not ready" };
    (
        status,
        axum::Json(json!({"status": word, "checks": checks})),
    )
        .into_response()
}

async fn pending_migrations(store: &Store) -> Result<Vec<String>, String> {
    match tokio::time::timeout(DATABASE_PROBE_TIMEOUT, store.pending_migrations()).await {
        Ok(Ok(pending)) => Ok(pending),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no answer within {} s",
            DATABASE_PROBE_TIMEOUT.as_secs()
        )),
    }
}

/// `/metrics`: the HTTP metrics, then the store's, the change feed's and the back end's, read
/// now. OpenMetrics text, which Prometheus asks for and parses.
pub(crate) async fn metrics(State(ops): State<Operations>) -> Response {
    let service = service_metrics(&ops.inner).await;
    let mut text = String::new();
    let encoded = encode_registry(&mut text, &ops.inner.http.registry)
        .and_then(|()| encode_registry(&mut text, &service))
        .and_then(|()| encode_eof(&mut text));
    if encoded.is_err() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the metrics",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Where the change feed stands: its newest position and, for the back end's consumer, how
/// many changes it has not applied and how old the oldest of them is.
struct FeedReport {
    position: i64,
    backlog: Option<(i64, f64)>,
}

async fn feed_report(store: &Store, consumer: Option<&'static str>) -> Result<FeedReport, String> {
    let read = async {
        let position = store.feed_position().await?;
        let backlog = match consumer {
            None => None,
            Some(name) => {
                let (count, oldest) = store
                    .read(move |tx| {
                        let at = outbox::consumer(tx, name)?.map_or(0, |c| c.position);
                        Ok::<_, StoreError>((
                            outbox::count_after(tx, at)?,
                            outbox::oldest_after(tx, at)?,
                        ))
                    })
                    .await?;
                let now = neutrino_store::unix_time_ms();
                let lag = oldest.map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0);
                Some((count, lag))
            }
        };
        Ok::<_, StoreError>(FeedReport { position, backlog })
    };
    match tokio::time::timeout(DATABASE_PROBE_TIMEOUT, read).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("no answer".into()),
    }
}

async fn service_metrics(inner: &Inner) -> Registry {
    let mut r = Registry::with_prefix("neutrino");
    let store = &inner.store;
    let stats = store.commit_stats();
    r.register(
        "database_commits",
        "Transactions committed",
        ConstCounter::new(stats.commits),
    );
    r.register(
        "database_transaction_retries",
        "Transactions run again after a serialization failure or deadlock",
        ConstCounter::new(stats.retries),
    );
    r.register(
        "database_change_notifications",
        "Change notifications sent to other processes (PostgreSQL; none while no other process listens)",
        ConstCounter::new(stats.notifications),
    );
    if let Some(pool) = store.pool_stats() {
        r.register(
            "database_pool_connections",
            "Most connections the pool holds (max_connections)",
            ConstGauge::new(pool.size as i64),
        );
        r.register(
            "database_pool_in_use",
            "Connections lent to a transaction now",
            ConstGauge::new(pool.in_use as i64),
        );
        r.register(
            "database_pool_waiting",
            "Requests waiting for a connection now",
            ConstGauge::new(pool.waiting as i64),
        );
    }
    let consumer = inner.backend.as_ref().map(|b| b.consumer);
    let feed = feed_report(store, consumer).await;
    r.register(
        "database_up",
        "Whether the database answered this scrape's questions",
        ConstGauge::new(i64::from(feed.is_ok())),
    );
    if let Ok(feed) = &feed {
        r.register(
            "outbox_position",
            "Position of the newest change in the change feed",
            ConstGauge::new(feed.position),
        );
        if let (Some((count, lag)), Some(name)) = (feed.backlog, consumer) {
            let sub = r.sub_registry_with_label(("consumer".into(), name.into()));
            sub.register(
                "outbox_backlog",
                "Changes the consumer has not applied",
                ConstGauge::new(count),
            );
            sub.register(
                "outbox_lag_seconds",
                "Age of the oldest change the consumer has not applied",
                ConstGauge::new(lag),
            );
        }
    }
    if let Some(backend) = &inner.backend {
        let b = (backend.report)();
        let sub = r.sub_registry_with_prefix(backend.name);
        sub.register(
            "connected",
            "Connected to its database",
            ConstGauge::new(i64::from(b.connected)),
        );
        sub.register(
            "ready",
            "First download and full compare done",
            ConstGauge::new(i64::from(b.ready)),
        );
        sub.register(
            "position",
            "Change feed position applied",
            ConstGauge::new(b.position),
        );
        sub.register(
            "transactions",
            "Transactions written to its database",
            ConstCounter::new(b.transactions),
        );
        sub.register(
            "last_full_compare_duration_seconds",
            "How long the last full compare took",
            ConstGauge::new(b.last_full_compare_seconds),
        );
        sub.register(
            "last_full_compare_repairs",
            "Rows the last full compare changed",
            ConstGauge::new(b.last_full_compare_changes as i64),
        );
        if let Some(at) = b.last_full_compare_at {
            sub.register(
                "last_full_compare_timestamp_seconds",
                "When the last full compare ended",
                ConstGauge::new(at),
            );
        }
        sub.register("ports", "Ports it knows", ConstGauge::new(b.ports as i64));
        sub.register(
            "failing",
            "1 while its last cycle failed",
            ConstGauge::new(i64::from(b.failing)),
        );
        sub.register(
            "lease_held",
            "1 while this replica holds the back end's lease and does its work",
            ConstGauge::new(i64::from(b.active)),
        );
    }
    r
}
