//! The few Networking API and identity calls the benchmark makes, over one keep-alive client.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::server;

/// An authenticated client of one server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    /// Gets a token of the benchmark's admin user from the server's built-in identity.
    pub async fn login(base: &str) -> Result<Api> {
        Api::login_as(base, server::USER, server::PASSWORD, server::PROJECT).await
    }

    /// Gets a token of `user`, scoped to `project`, from the server's built-in identity.
    pub async fn login_as(base: &str, user: &str, password: &str, project: &str) -> Result<Api> {
        let http = // Plain http on loopback: no certificate to trust.
        neutrino_tls::client(neutrino_tls::Trust::Only(Vec::new()))
            .pool_idle_timeout(Duration::from_secs(300))
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(120))
            .build()?;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}});
        let resp = http
            .post(format!("{base}v3/auth/tokens"))
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        match token {
            Some(token) if status.is_success() => Ok(Api {
                http,
                base: base.to_string(),
                token,
            }),
            _ => bail!(
                "POST /v3/auth/tokens: {status}: {}",
                resp.text().await.unwrap_or_default()
            ),
        }
    }

    /// The same token and connection pool against another replica of the service at `base`
    /// (the built-in identity's tokens are valid on every replica of one database).
    pub fn on(&self, base: &str) -> Api {
        Api {
            base: base.to_string(),
            ..self.clone()
        }
    }

    /// The server's root URL (`http://127.0.0.1:PORT/`), which links in answers start with.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs `body` to `/v2.0/{collection}` and returns the created resource's id.
    pub async fn create(&self, collection: &str, body: &Value) -> Result<String> {
        let resp = self
            .http
            .post(format!("{}v2.0/{collection}", self.base))
            .header("x-auth-token", &self.token)
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if status.as_u16() != 201 {
            bail!(
                "POST /v2.0/{collection}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let v: Value = serde_json::from_slice(&bytes).context("created resource is not JSON")?;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("POST /v2.0/{collection}: no id in the answer"))
    }

    /// POSTs one port and reads the answer completely; only the status is checked, so the
    /// client spends no time parsing while it is being timed.
    pub async fn create_port(&self, network_id: &str, device_id: &str, name: &str) -> Result<()> {
        let body =
            json!({"port": {"network_id": network_id, "device_id": device_id, "name": name}});
        let resp = self
            .http
            .post(format!("{}v2.0/ports", self.base))
            .header("x-auth-token", &self.token)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if status.as_u16() != 201 {
            bail!(
                "POST /v2.0/ports: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(())
    }

    /// Sends `body` with `method` to `/v2.0/{path}`; any 2xx answer's JSON (null if empty).
    pub async fn send(&self, method: &str, path: &str, body: Value) -> Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let resp = self
            .http
            .request(method.clone(), format!("{}v2.0/{path}", self.base))
            .header("x-auth-token", &self.token)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            bail!(
                "{method} /v2.0/{path}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Lifts the default quotas of the project owning `network_id`: the scenarios create
    /// thousands of each resource, far over upstream's defaults (500 ports).
    pub async fn lift_quotas(&self, network_id: &str) -> Result<()> {
        let net = self
            .send(
                "PUT",
                &format!("networks/{network_id}"),
                serde_json::json!({"network": {}}),
            )
            .await?;
        let project = net["network"]["project_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let unlimited = serde_json::json!({"quota": {
            "network": -1, "subnet": -1, "port": -1, "router": -1, "floatingip": -1,
            "security_group": -1, "security_group_rule": -1}});
        self.send("PUT", &format!("quotas/{project}"), unlimited)
            .await?;
        Ok(())
    }

    /// A network named `name` with an IPv4 subnet `cidr`; its project's quotas lifted.
    pub async fn network_with_subnet(&self, name: &str, cidr: &str) -> Result<String> {
        let net = self
            .create("networks", &json!({"network": {"name": name}}))
            .await?;
        self.create(
            "subnets",
            &json!({"subnet": {"network_id": net, "ip_version": 4, "cidr": cidr}}),
        )
        .await?;
        self.lift_quotas(&net).await?;
        Ok(net)
    }

    /// GETs `path_and_query` (relative to the root, e.g. `v2.0/ports`) and reads the whole body.
    pub async fn get(&self, path_and_query: &str) -> Result<Vec<u8>> {
        let resp = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .header("x-auth-token", &self.token)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            bail!(
                "GET /{path_and_query}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(bytes.to_vec())
    }
}

/// The number of items in a list answer such as `{"ports": [...]}`.
pub fn count_items(body: &[u8], collection: &str) -> Result<usize> {
    let v: Value = serde_json::from_slice(body).context("list answer is not JSON")?;
    v.get(collection)
        .and_then(Value::as_array)
        .map(Vec::len)
        .with_context(|| format!("no {collection} array in the list answer"))
}
