//! An in-process Neutrino: the real router over a real store, called without a socket. The
//! store is SQLite in a temp dir, or a fresh PostgreSQL schema when the run sets
//! `NEUTRINO_TEST_ENGINE=postgres` (see `neutrino_store::testing`). Users: admin (admin), alice and bob (members of p1 and p2), rita
//! (reader of p1).

// Each test file uses a different part of the harness.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use neutrino_api::{AppState, app};
use neutrino_identity::{Identity, IdentityConfig, UserConfig};
use neutrino_network::{NetworkConfig, Networking};
use neutrino_store::testing::ScratchDatabase;
use serde_json::Value;
use tower::ServiceExt;

pub struct Api {
    router: Router,
    identity: Arc<Identity>,
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
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg = IdentityConfig {
            users: vec![
                user("admin", "admin", "admin"),
                user("alice", "p1", "member"),
                user("bob", "p2", "member"),
                user("rita", "p1", "reader"),
            ],
            ..Default::default()
        };
        let identity =
            Arc::new(Identity::open(&cfg, dir.path(), "http://neutrino.test/").expect("identity"));
        let db = ScratchDatabase::new(dir.path());
        let store = db.open(dir.path()).expect("store");
        let net = Networking::new(store, net_cfg).expect("networking");
        let router = app(AppState {
            net,
            identity: identity.clone(),
        });
        Api {
            router,
            identity,
            _db: db,
            _dir: dir,
        }
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
