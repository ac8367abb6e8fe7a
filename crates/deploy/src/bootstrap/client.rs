//! A Networking API client for one cloud of `clouds.yaml`: Keystone v3 password authentication,
//! then JSON requests to the catalog's network endpoint. Blocking: bootstrap makes a handful of
//! calls one after another.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::Client as Http;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::DeployError;

#[derive(Deserialize)]
struct CloudsFile {
    clouds: BTreeMap<String, Cloud>,
}

#[derive(Deserialize)]
struct Cloud {
    auth: Auth,
    region_name: Option<String>,
    interface: Option<String>,
    /// openstacksdk's: a PEM file of the CAs the cloud's certificates are checked against,
    /// instead of the host's CA bundle.
    cacert: Option<PathBuf>,
    /// openstacksdk's: `false` checks no certificate (and ignores `cacert`).
    verify: Option<bool>,
}

#[derive(Deserialize)]
struct Auth {
    auth_url: String,
    username: String,
    password: String,
    project_name: String,
    user_domain_name: Option<String>,
    project_domain_name: Option<String>,
}

pub struct Client {
    http: Http,
    token: String,
    /// The network endpoint without a trailing slash; paths start with `/v2.0`.
    endpoint: String,
}

/// Where the openstack CLI looks for clouds.yaml when no file is named.
fn default_clouds_files() -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from("clouds.yaml")];
    if let Some(home) = std::env::var_os("HOME") {
        out.push(Path::new(&home).join(".config/openstack/clouds.yaml"));
    }
    out.push(PathBuf::from("/etc/openstack/clouds.yaml"));
    out
}

impl Client {
    /// Authenticates as the cloud `name` of `clouds` (or of the first clouds.yaml found).
    pub fn connect(name: &str, clouds: Option<&Path>) -> Result<Client, DeployError> {
        let file = match clouds {
            Some(f) => f.to_path_buf(),
            None => default_clouds_files()
                .into_iter()
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    DeployError::Cloud(
                        "no clouds.yaml found (./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml); name one with --clouds".into(),
                    )
                })?,
        };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| DeployError::Cloud(format!("{}: {e}", file.display())))?;
        let mut parsed: CloudsFile = serde_saphyr::from_str(&text).map_err(|e| {
            DeployError::Cloud(format!("{}: not a clouds.yaml: {e}", file.display()))
        })?;
        let known = parsed.clouds.keys().cloned().collect::<Vec<_>>().join(", ");
        let cloud = parsed.clouds.remove(name).ok_or_else(|| {
            DeployError::Cloud(format!(
                "{}: no cloud named `{name}` (clouds: {known})",
                file.display()
            ))
        })?;
        let trust = neutrino_tls::Trust::from_settings(
            cloud.cacert.as_deref(),
            cloud.verify == Some(false),
        )
        .map_err(|e| {
            DeployError::Cloud(format!("{}: cloud `{name}`: cacert {e}", file.display()))
        })?;
        if cloud.verify == Some(false) {
            eprintln!(
                "warning: cloud `{name}` has verify: false: the certificates of its endpoints are not checked"
            );
        }
        let http = neutrino_tls::blocking_client(trust)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| {
                DeployError::Http(format!(
                    "cannot build the HTTP client: {}",
                    neutrino_tls::describe(&e)
                ))
            })?;
        let (token, endpoint) = authenticate(&http, &cloud)?;
        Ok(Client {
            http,
            token,
            endpoint,
        })
    }

    pub fn get(&self, path: &str) -> Result<Value, DeployError> {
        self.call(Method::GET, path, None)
    }
    pub fn post(&self, path: &str, body: Value) -> Result<Value, DeployError> {
        self.call(Method::POST, path, Some(body))
    }
    pub fn put(&self, path: &str, body: Value) -> Result<Value, DeployError> {
        self.call(Method::PUT, path, Some(body))
    }
    pub fn delete(&self, path: &str) -> Result<Value, DeployError> {
        self.call(Method::DELETE, path, None)
    }

    fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, DeployError> {
        let url = format!("{}{path}", self.endpoint);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("X-Auth-Token", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .map_err(|e| unanswered(method.as_str(), &url, &e))?;
        answer(method.as_str(), &url, resp)
    }
}

/// A request that got no answer; the text gives the cause (refused, timed out, certificate not
/// trusted) and, for a certificate, what to do.
fn unanswered(method: &str, url: &str, e: &reqwest::Error) -> DeployError {
    let why = neutrino_tls::describe(e);
    let hint = if why.contains("certificate") {
        " (name the cloud's CA in clouds.yaml `cacert:`, or install it in the host's CA bundle)"
    } else {
        ""
    };
    DeployError::Http(format!("{method} {url}: {why}{hint}"))
}

fn answer(
    method: &str,
    url: &str,
    resp: reqwest::blocking::Response,
) -> Result<Value, DeployError> {
    let status = resp.status();
    let text = resp
        .text()
        .map_err(|e| DeployError::Http(format!("{method} {url}: {e}")))?;
    if !status.is_success() {
        return Err(DeployError::Api {
            method: method.into(),
            url: url.into(),
            status: status.as_u16(),
            body: text,
        });
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text)
        .map_err(|e| DeployError::Http(format!("{method} {url}: the answer is not JSON: {e}")))
}

/// `POST /v3/auth/tokens` with a password scoped to the project; returns the token and the
/// network endpoint of the cloud's interface and region.
fn authenticate(http: &Http, cloud: &Cloud) -> Result<(String, String), DeployError> {
    let a = &cloud.auth;
    let base = a.auth_url.trim_end_matches('/');
    let url = if base.ends_with("/v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    };
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": a.username,
            "domain": {"name": a.user_domain_name.as_deref().unwrap_or("Default")},
            "password": a.password,
        }}},
        "scope": {"project": {
            "name": a.project_name,
            "domain": {"name": a.project_domain_name.as_deref().unwrap_or("Default")},
        }},
    }});
    let resp = http
        .post(&url)
        .json(&body)
        .send()
        .map_err(|e| unanswered("POST", &url, &e))?;
    let token = resp
        .headers()
        .get("X-Subject-Token")
        .and_then(|t| t.to_str().ok())
        .map(str::to_string);
    let answer = answer("POST", &url, resp)?;
    let token = token.ok_or_else(|| {
        DeployError::Cloud(format!("POST {url}: no X-Subject-Token in the answer"))
    })?;
    let interface = cloud.interface.as_deref().unwrap_or("public");
    let endpoint = answer["token"]["catalog"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["type"] == "network")
        .flat_map(|s| s["endpoints"].as_array().into_iter().flatten())
        .find(|e| {
            e["interface"] == interface
                && cloud
                    .region_name
                    .as_deref()
                    .is_none_or(|r| e["region"] == r || e["region_id"] == r)
        })
        .and_then(|e| e["url"].as_str())
        .ok_or_else(|| {
            DeployError::Cloud(format!(
                "the catalog has no {interface} network endpoint{}",
                cloud
                    .region_name
                    .as_deref()
                    .map(|r| format!(" in region {r}"))
                    .unwrap_or_default()
            ))
        })?;
    let endpoint = endpoint.trim_end_matches('/');
    let endpoint = endpoint.strip_suffix("/v2.0").unwrap_or(endpoint);
    Ok((token, endpoint.to_string()))
}
