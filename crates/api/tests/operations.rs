//! `/healthz`, `/readyz` and `/metrics`, in process, on the engine of the test run.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use neutrino_api::{AppState, Operations, app};
use neutrino_identity::{Identity, IdentityConfig};
use neutrino_network::{NetworkConfig, Networking};
use neutrino_store::Store;
use neutrino_store::testing::{ScratchDatabase, execute};
use serde_json::Value;
use tower::ServiceExt;

struct Service {
    router: Router,
    ops: Operations,
    identity: std::sync::Arc<Identity>,
    store: Store,
    _db: ScratchDatabase,
    _dir: tempfile::TempDir,
}

impl Service {
    fn start() -> Service {
        Service::with_database(|db, dir| db.open(dir).unwrap())
    }

    /// A service on the scratch database of the run, opened by `open`.
    fn with_database(open: impl FnOnce(&ScratchDatabase, &std::path::Path) -> Store) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let identity = std::sync::Arc::new(
            Identity::open(
                &IdentityConfig::default(),
                dir.path(),
                "http://neutrino.test/",
                neutrino_identity::SigningKeys::in_memory(),
            )
            .unwrap(),
        );
        let db = ScratchDatabase::new(dir.path());
        let store = open(&db, dir.path());
        let ops = Operations::new(store.clone(), None);
        let router = app(AppState {
            net: Networking::new(store.clone(), NetworkConfig::default()).unwrap(),
            identity: identity.clone().into(),
            ops: ops.clone(),
        });
        Service {
            router,
            ops,
            identity,
            store,
            _db: db,
            _dir: dir,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String, String) {
        let mut req = Request::get(path).header("host", "neutrino.test");
        if let Some(t) = token {
            req = req.header("x-auth-token", t);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, String::from_utf8_lossy(&body).into())
    }

    fn admin_token(&self) -> String {
        let password = std::fs::read_to_string(self._dir.path().join("identity-passwords.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["admin"].as_str().map(str::to_string))
            .expect("the generated admin password");
        self.identity.issue_token("admin", &password, None).unwrap()
    }

    /// The samples of `/metrics` whose name and labels start with `prefix`, parsed.
    async fn samples(&self, prefix: &str) -> Vec<(String, f64)> {
        let (status, _, text) = self.get("/metrics", None).await;
        assert_eq!(status, StatusCode::OK);
        parse(&text)
            .into_iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .collect()
    }

    async fn sample(&self, series: &str) -> Option<f64> {
        self.samples(series)
            .await
            .into_iter()
            .find(|(k, _)| k == series)
            .map(|(_, v)| v)
    }
}

/// OpenMetrics text: `# HELP`/`# TYPE`/`# UNIT` lines, samples `name{labels} value`, `# EOF`
/// last. Panics on anything else, so that a malformed exposition fails the test.
fn parse(text: &str) -> Vec<(String, f64)> {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "ends with # EOF");
    let mut samples = Vec::new();
    for line in &lines[..lines.len() - 1] {
        if let Some(comment) = line.strip_prefix("# ") {
            let word = comment.split(' ').next().unwrap_or_default();
            assert!(["HELP", "TYPE", "UNIT"].contains(&word), "comment {line:?}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name in {line:?}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "labels closed in {line:?}");
        }
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value in {line:?}")),
        };
        samples.push((series.to_string(), value));
    }
    samples
}

#[tokio::test]
async fn healthz_answers_without_a_token() {
    let s = Service::start();
    let (status, _, body) = s.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn request_counters_move_by_route_template() {
    let s = Service::start();
    let token = s.admin_token();
    let list = r#"neutrino_http_requests_total{route="/v2.0/networks",method="GET",status="200"}"#;
    let before = s.sample(list).await.unwrap_or(0.0);
    for _ in 0..3 {
        assert_eq!(
            s.get("/v2.0/networks", Some(&token)).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(s.sample(list).await, Some(before + 3.0));
    // A show is counted under its template, not under the id it names.
    let id = "0e5f2c1a-0000-4000-8000-000000000001";
    let (status, _, _) = s.get(&format!("/v2.0/ports/{id}"), Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let show =
        r#"neutrino_http_requests_total{route="/v2.0/ports/{id}",method="GET",status="404"}"#;
    assert_eq!(s.sample(show).await, Some(1.0));
    let text = s.get("/metrics", None).await.2;
    assert!(!text.contains(id), "no raw path in the metrics");
    // A missing token, a path no route has, a made-up collection.
    assert_eq!(
        s.get("/v2.0/networks", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.get("/nowhere/at/all", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get("/v2.0/made-up", Some(&token)).await.0,
        StatusCode::NOT_FOUND
    );
    let refused =
        r#"neutrino_http_requests_total{route="/v2.0/networks",method="GET",status="401"}"#;
    assert_eq!(s.sample(refused).await, Some(1.0));
    let unmatched = r#"neutrino_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(s.sample(unmatched).await, Some(1.0));
    let made_up = r#"neutrino_http_requests_total{route="/v2.0/{coll}",method="GET",status="404"}"#;
    assert_eq!(s.sample(made_up).await, Some(1.0));
    // The latency histogram counted the same requests.
    let count =
        r#"neutrino_http_request_duration_seconds_count{route="/v2.0/networks",method="GET"}"#;
    assert_eq!(s.sample(count).await, Some(before + 4.0));
}

#[tokio::test]
async fn metrics_report_the_store_and_the_change_feed() {
    let s = Service::start();
    let (_, content_type, _) = s.get("/metrics", None).await;
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(s.sample("neutrino_database_up").await, Some(1.0));
    let position = s.sample("neutrino_outbox_position").await.unwrap();
    let commits = s.sample("neutrino_database_commits_total").await.unwrap();
    assert!(
        s.sample("neutrino_database_transaction_retries_total")
            .await
            .is_some()
    );
    let token = s.admin_token();
    let body = r#"{"network": {"name": "n"}}"#;
    let req = Request::post("/v2.0/networks")
        .header("x-auth-token", token)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let resp = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(s.sample("neutrino_outbox_position").await.unwrap() > position);
    assert!(s.sample("neutrino_database_commits_total").await.unwrap() > commits);
    // Nobody in another process listens to this service's changes: nothing announced.
    assert_eq!(
        s.sample("neutrino_database_change_notifications_total")
            .await,
        Some(0.0)
    );
    let pool = s.sample("neutrino_database_pool_connections").await;
    match neutrino_store::testing::engine() {
        "postgres" => assert!(pool.unwrap() >= 1.0, "PostgreSQL has a pool"),
        _ => assert_eq!(pool, None, "SQLite has no pool"),
    }
}

#[tokio::test]
async fn readyz_checks_the_database_and_its_schema() {
    let s = Service::start();
    let (status, _, body) = s.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["migrations"], "ok");

    // A migration the database does not list: the schema is behind the binary.
    execute(
        &s.store,
        "DELETE FROM schema_migrations WHERE name = '0007_outbox'",
    )
    .await
    .unwrap();
    let (status, _, body) = s.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert!(
        body["checks"]["migrations"]
            .as_str()
            .unwrap()
            .contains("0007_outbox")
    );

    // A database that cannot answer the question at all.
    execute(&s.store, "ALTER TABLE schema_migrations RENAME TO gone")
        .await
        .unwrap();
    let (status, _, body) = s.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_ne!(body["checks"]["database"], "ok", "{body}");
    assert!(body["checks"].get("migrations").is_none());
    assert_eq!(
        s.sample("neutrino_database_up").await,
        Some(1.0),
        "the feed still answers"
    );
    // healthz does not care: the process is alive.
    assert_eq!(s.get("/healthz", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn readyz_fails_while_draining() {
    let s = Service::start();
    assert_eq!(s.get("/readyz", None).await.0, StatusCode::OK);
    s.ops.start_draining();
    let (status, _, body) = s.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["checks"]["shutdown"], "the process is shutting down");
    assert_eq!(s.get("/healthz", None).await.0, StatusCode::OK);
}

/// A TCP relay to the PostgreSQL server that can be cut and restored: for the store, a database
/// that goes away (connections reset, new ones refused) and comes back on the same address.
struct Relay {
    port: u16,
    target: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr, port: u16) -> Relay {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            // Dropped with the task when it is aborted: every relayed connection goes with it.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, target, task }
    }

    async fn cut(self) -> (std::net::SocketAddr, u16) {
        self.task.abort();
        let _ = self.task.await;
        (self.target, self.port)
    }
}

/// `/readyz` answers 503 naming the database while PostgreSQL cannot be reached, the API
/// answers 503 (not 500), and both recover by themselves once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (scripts/test runs it)"]
async fn readyz_follows_a_postgresql_outage() {
    assert_eq!(
        neutrino_store::testing::engine(),
        "postgres",
        "run with NEUTRINO_TEST_ENGINE=postgres and NEUTRINO_TEST_POSTGRES_URL (scripts/test does)"
    );
    let probe = ScratchDatabase::new(std::path::Path::new("."));
    // postgresql://user:pw@HOST:PORT/db?options=...: the server's address, to relay to.
    let url = probe.config.url.clone();
    let host_port = url
        .split('@')
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap();
    let target: std::net::SocketAddr = tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .next()
        .unwrap();
    drop(probe);
    let relay = Relay::start(target, 0).await;
    let relayed = format!("127.0.0.1:{}", relay.port);
    let s = Service::with_database(|db, dir| {
        let mut cfg = db.config.clone();
        cfg.url = cfg.url.replacen(host_port, &relayed, 1);
        cfg.connect_timeout_ms = 1000;
        cfg.acquire_timeout_ms = 1000;
        Store::open(&cfg, dir).unwrap()
    });
    let token = s.admin_token();
    assert_eq!(s.get("/readyz", None).await.0, StatusCode::OK);

    let (target, port) = relay.cut().await;
    let (status, _, body) = s.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_ne!(body["checks"]["database"], "ok", "{body}");
    let (status, _, body) = s.get("/v2.0/networks", Some(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(s.sample("neutrino_database_up").await, Some(0.0));
    assert_eq!(s.get("/healthz", None).await.0, StatusCode::OK);

    let _relay = Relay::start(target, port).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.get("/readyz", None).await.0 != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "not ready again");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        s.get("/v2.0/networks", Some(&token)).await.0,
        StatusCode::OK
    );
}
