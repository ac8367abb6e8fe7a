//! An in-process Neutrino: the real router over a real store, called without a socket. The
//! store is SQLite in a temp dir, or a fresh PostgreSQL schema when the run sets
//! `NEUTRINO_TEST_ENGINE=postgres` (see `neutrino_store::testing`). Users: admin (admin), alice and bob (members of p1 and p2), rita
//! (reader of p1).

// Each test file uses a different part of the harness.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use neutrino_api::{AppState, Operations, app};
use neutrino_identity::{Identity, IdentityConfig, SigningKeys, UserConfig};
use neutrino_network::{NetworkConfig, Networking};
use neutrino_store::testing::ScratchDatabase;
use neutrino_store::{Change, Op};
use neutrino_store::{Store, StoreError, tables};
use serde_json::Value;
use tower::ServiceExt;

/// The attributes of a resource as shown, sorted.
pub fn keys(resource: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = resource
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

/// The ids of the resources of a list (`body["networks"]`), in order.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub struct Api {
    router: Router,
    identity: Arc<Identity>,
    store: Store,
    /// Requests started, and requests in flight: a write's outbox is checked only when it ran
    /// alone (see [`Api::raw`]).
    started: AtomicU64,
    in_flight: AtomicU64,
    _db: ScratchDatabase,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The NeutronError type.
    pub fn kind(&self) -> &str {
        self.body["NeutronError"]["type"]
            .as_str()
            .unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["NeutronError"]["message"]
            .as_str()
            .unwrap_or_default()
    }
}

fn user(name: &str, project: &str, role: &str) -> UserConfig {
    UserConfig {
        name: name.into(),
        password: Some(format!("{name}-pw")),
        project: project.into(),
        roles: vec![role.into()],
    }
}

impl Api {
    pub fn start() -> Api {
        Api::with_config(NetworkConfig::default())
    }

    pub fn with_config(net_cfg: NetworkConfig) -> Api {
        Api::build(net_cfg, None)
    }

    /// The API over a copy of an existing SQLite database file (a fixture of an earlier
    /// release), upgraded by opening it.
    pub fn on_sqlite_copy(file: &std::path::Path) -> Api {
        Api::build(NetworkConfig::default(), Some(file))
    }

    fn build(net_cfg: NetworkConfig, sqlite_file: Option<&std::path::Path>) -> Api {
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg = IdentityConfig {
            users: vec![
                user("admin", "admin", "admin"),
                user("alice", "p1", "member"),
                user("bob", "p2", "member"),
                user("rita", "p1", "reader"),
                // The compute service's user (upstream's `service` role).
                user("nova", "service", "service"),
            ],
            ..Default::default()
        };
        let identity = Arc::new(
            Identity::open(
                &cfg,
                dir.path(),
                "http://neutrino.test/",
                SigningKeys::in_memory(),
            )
            .expect("identity"),
        );
        let db = ScratchDatabase::new(dir.path());
        let store = match sqlite_file {
            Some(file) => {
                let copy = dir.path().join("copy.sqlite");
                std::fs::copy(file, &copy).expect("copy the fixture");
                Store::open_sqlite(&copy).expect("open and upgrade the fixture")
            }
            None => db.open(dir.path()).expect("store"),
        };
        let net = Networking::new(store.clone(), net_cfg).expect("networking");
        let router = app(AppState {
            net,
            identity: identity.clone().into(),
            ops: Operations::new(store.clone(), None),
        });
        Api {
            router,
            identity,
            store,
            started: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            _db: db,
            _dir: dir,
        }
    }

    /// The store under the API: for what only the data plane does (set a status).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// An agent of an OVN chassis as the back end records it, alive for `alive_for_ms` more
    /// (negative: dead).
    pub fn agent(
        id: &str,
        agent_type: &str,
        zone: &str,
        alive_for_ms: i64,
    ) -> neutrino_store::agents::AgentRow {
        let now = neutrino_store::unix_time_ms();
        neutrino_store::agents::AgentRow {
            id: id.into(),
            doc: serde_json::json!({"agent_type": agent_type, "binary": "ovn-controller",
                "host": id, "availability_zone": zone, "configurations": {"chassis_name": id}})
            .to_string(),
            created_at_ms: now,
            heartbeat_at_ms: now,
            alive_until_ms: now + alive_for_ms,
        }
    }

    /// Records agents as the OVN back end would (there is no OVN in these tests).
    pub async fn put_agents(&self, rows: Vec<neutrino_store::agents::AgentRow>) {
        self.store
            .write(move |tx| {
                for row in &rows {
                    neutrino_store::agents::put_agent(tx, row)?;
                }
                Ok::<_, StoreError>(())
            })
            .await
            .expect("agents written");
    }

    pub fn token(&self, user: &str) -> String {
        self.identity
            .issue_token(user, &format!("{user}-pw"), None)
            .expect("token")
    }

    pub fn project(&self, user: &str) -> String {
        self.identity
            .validate(&self.token(user))
            .expect("valid")
            .project_id
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let write = method != Method::GET && method != Method::HEAD;
        let started = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let alone = self.in_flight.fetch_add(1, Ordering::SeqCst) == 0;
        let before = match write && alone {
            true => Some(self.snapshot().await),
            false => None,
        };
        let reply = self.call(method, path, user, body, headers).await;
        let still_alone = self.started.load(Ordering::SeqCst) == started;
        if let (Some(before), true) = (before, still_alone) {
            let after = self.snapshot().await;
            check_outbox(path, &before, &after);
            assert_eq!(
                after.tags, after.doc_tags,
                "{path}: the tags table holds exactly the documents' tags"
            );
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        reply
    }

    /// Every resource row's revision, and the outbox's last position.
    async fn snapshot(&self) -> Snapshot {
        let changes = self.store.changes(0, i64::MAX).await.expect("changes");
        self.store
            .read(|tx| {
                let mut rows = BTreeMap::new();
                let mut doc_tags = Vec::new();
                for table in tables::RESOURCES {
                    for (id, revision, doc) in neutrino_store::revisions(tx, table)? {
                        if table.tagged {
                            let parsed: Value = serde_json::from_str(&doc).unwrap_or_default();
                            for tag in parsed["tags"].as_array().into_iter().flatten() {
                                let tag = tag.as_str().unwrap_or_default().to_string();
                                doc_tags.push((table.name.to_string(), id.clone(), tag));
                            }
                        }
                        let kind = table.kind.unwrap_or_default();
                        rows.insert((kind.to_string(), id), (revision, doc));
                    }
                }
                doc_tags.sort();
                let mut tags = neutrino_store::all_tags(tx)?;
                tags.sort();
                let last = changes.last().map_or(0, |c| c.seq);
                Ok::<_, StoreError>(Snapshot {
                    rows,
                    last,
                    changes,
                    tags,
                    doc_tags,
                })
            })
            .await
            .expect("snapshot")
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "neutrino.test");
        if let Some(u) = user {
            req = req.header("x-auth-token", self.token(u));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, user: &str, path: &str) -> Reply {
        self.raw(Method::GET, path, Some(user), None, &[]).await
    }

    pub async fn post(&self, user: &str, path: &str, body: Value) -> Reply {
        self.raw(Method::POST, path, Some(user), Some(&body.to_string()), &[])
            .await
    }

    pub async fn put(&self, user: &str, path: &str, body: Value) -> Reply {
        self.raw(Method::PUT, path, Some(user), Some(&body.to_string()), &[])
            .await
    }

    pub async fn delete(&self, user: &str, path: &str) -> Reply {
        self.raw(Method::DELETE, path, Some(user), None, &[]).await
    }

    /// Creates a network and returns its id (asserting 201).
    pub async fn network(&self, user: &str, body: Value) -> String {
        let r = self
            .post(user, "/v2.0/networks", serde_json::json!({"network": body}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["network"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn subnet(&self, user: &str, network_id: &str, cidr: &str, extra: Value) -> Value {
        let mut body = serde_json::json!({"network_id": network_id, "cidr": cidr, "ip_version": if cidr.contains(':') { 6 } else { 4 }});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self
            .post(user, "/v2.0/subnets", serde_json::json!({"subnet": body}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["subnet"].clone()
    }

    /// Creates a security group named `name` and returns it (asserting 201).
    pub async fn security_group(&self, user: &str, name: &str) -> Value {
        let body = serde_json::json!({"security_group": {"name": name}});
        let r = self.post(user, "/v2.0/security-groups", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["security_group"].clone()
    }

    pub async fn port(&self, user: &str, network_id: &str, extra: Value) -> Value {
        let mut body = serde_json::json!({"network_id": network_id});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self
            .post(user, "/v2.0/ports", serde_json::json!({"port": body}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["port"].clone()
    }
}

/// The resource rows and the outbox at one moment.
struct Snapshot {
    rows: BTreeMap<(String, String), (i64, String)>,
    last: i64,
    changes: Vec<Change>,
    /// The `tags` table, and the tags of the documents of tagged tables: (table, id, tag), sorted.
    tags: Vec<(String, String, String)>,
    doc_tags: Vec<(String, String, String)>,
}

/// The outbox entries a write appended name exactly the rows it created, changed or deleted,
/// each with its final revision; and every stored document shows its row's revision.
fn check_outbox(path: &str, before: &Snapshot, after: &Snapshot) {
    let new: Vec<&Change> = after
        .changes
        .iter()
        .filter(|c| c.seq > before.last)
        .collect();
    let mut last_entry: BTreeMap<(String, String), &Change> = BTreeMap::new();
    for c in &new {
        last_entry.insert((c.kind.clone(), c.id.clone()), c);
    }
    let mut changed = BTreeMap::new();
    for (key, (revision, _)) in &after.rows {
        if before.rows.get(key).map(|(r, _)| r) != Some(revision) {
            changed.insert(key.clone(), Some(*revision));
        }
    }
    for key in before.rows.keys() {
        if !after.rows.contains_key(key) {
            changed.insert(key.clone(), None);
        }
    }
    let recorded: BTreeMap<_, _> = last_entry
        .iter()
        .map(|(k, c)| {
            let revision = (c.op != Op::Delete).then_some(c.revision);
            (k.clone(), revision)
        })
        .collect();
    assert_eq!(
        recorded, changed,
        "{path}: the outbox (left: last entry per resource; revision, or None for a delete) \
         must record exactly the rows that changed (right)"
    );
    for ((kind, id), (revision, doc)) in &after.rows {
        let shown = serde_json::from_str::<Value>(doc)
            .ok()
            .and_then(|d| d.get("revision_number").and_then(Value::as_i64));
        if let Some(shown) = shown {
            assert_eq!(
                shown, *revision,
                "{path}: {kind} {id} shows revision {shown} but its row is at {revision}"
            );
        }
    }
}
