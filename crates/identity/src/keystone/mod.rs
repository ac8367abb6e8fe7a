//! Keystone mode: tokens are validated against the cloud's own Keystone, as keystonemiddleware's
//! `auth_token` does — `GET /v3/auth/tokens` with the token as `X-Subject-Token` and a token of
//! Neutrino's own service user as `X-Auth-Token`; answers are cached until the token expires or
//! `token_cache_ttl_secs` pass, whichever is first, so that a revocation takes effect within the TTL;
//! tokens Keystone does not know are refused for the TTL without asking it again.
//! Nothing is registered in Keystone: the operator creates the service, endpoints and user.

mod token_body;
mod token_cache;

use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AuthContext, AuthError, IdentityError, Rejection};
use token_cache::{Answer, TokenCache};

/// `[identity.keystone]`: the names of keystonemiddleware's `[keystone_authtoken]` section.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeystoneConfig {
    /// The public Keystone endpoint clients are sent to in `WWW-Authenticate`; empty: `auth_url`.
    pub www_authenticate_uri: String,
    /// Where Neutrino reaches Keystone (e.g. `http://keystone-api:5000/v3`).
    pub auth_url: String,
    /// Neutrino's service user.
    pub username: String,
    pub password: String,
    pub project_name: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
    /// keystonemiddleware's `token_cache_time`: how long a validated token is believed.
    pub token_cache_ttl_secs: u64,
    /// A PEM file of the CAs Keystone's certificate is checked against, instead of the host's CA
    /// bundle; empty: the host's bundle.
    pub cafile: String,
    /// Keystone's certificate is not checked at all.
    pub insecure: bool,
}

impl Default for KeystoneConfig {
    fn default() -> Self {
        KeystoneConfig {
            www_authenticate_uri: String::new(),
            auth_url: String::new(),
            username: "neutrino".into(),
            password: String::new(),
            project_name: "service".into(),
            user_domain_name: "Default".into(),
            project_domain_name: "Default".into(),
            token_cache_ttl_secs: 300,
            cafile: String::new(),
            insecure: false,
        }
    }
}

/// How long Neutrino waits for Keystone: a hung Keystone must give 503s, not hang every request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A service token is renewed this long before Keystone says it expires.
const SERVICE_TOKEN_MARGIN_SECS: i64 = 60;

/// The token validator of Keystone mode.
pub struct Keystone {
    /// `…/v3/auth/tokens`.
    tokens_url: String,
    www_authenticate: String,
    service_auth: serde_json::Value,
    http: reqwest::Client,
    /// Neutrino's own token and its expiry (unix seconds). A lock held across the request that
    /// renews it, so that a burst of requests after expiry asks Keystone once.
    service_token: tokio::sync::Mutex<Option<(String, i64)>>,
    cache: TokenCache,
}

impl Keystone {
    /// Checks the settings; contacts nothing (Keystone may come up after Neutrino).
    pub fn new(cfg: &KeystoneConfig) -> Result<Keystone, IdentityError> {
        let bad = |m: String| IdentityError::Config(format!("[identity.keystone] {m}"));
        let auth_url = cfg.auth_url.trim().trim_end_matches('/');
        let https = auth_url.starts_with("https://");
        if !https && !auth_url.starts_with("http://") {
            return Err(bad(format!(
                "auth_url {auth_url:?} must be an http:// or https:// URL of Keystone"
            )));
        }
        for (key, value) in [
            ("username", &cfg.username),
            ("password", &cfg.password),
            ("project_name", &cfg.project_name),
            ("user_domain_name", &cfg.user_domain_name),
            ("project_domain_name", &cfg.project_domain_name),
        ] {
            if value.trim().is_empty() {
                return Err(bad(format!("{key} must be set in keystone mode")));
            }
        }
        if cfg.token_cache_ttl_secs > 86_400 {
            return Err(bad("token_cache_ttl_secs must be at most 86400".into()));
        }
        // keystonemiddleware's identity endpoint may be given with or without the version.
        let v3 = if auth_url.ends_with("/v3") {
            auth_url.to_string()
        } else {
            format!("{auth_url}/v3")
        };
        let uri = match cfg.www_authenticate_uri.trim() {
            "" => auth_url,
            u => u,
        };
        let http = neutrino_tls::client(trust(cfg, https)?)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| {
                bad(format!(
                    "cannot build the HTTP client: {}",
                    neutrino_tls::describe(&e)
                ))
            })?;
        let service_auth = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": cfg.username, "password": cfg.password,
                "domain": {"name": cfg.user_domain_name}}}},
            "scope": {"project": {"name": cfg.project_name,
                "domain": {"name": cfg.project_domain_name}}}}});
        Ok(Keystone {
            tokens_url: format!("{v3}/auth/tokens"),
            www_authenticate: format!("Keystone uri=\"{uri}\""),
            service_auth,
            http,
            service_token: tokio::sync::Mutex::new(None),
            cache: TokenCache::new(Duration::from_secs(cfg.token_cache_ttl_secs)),
        })
    }

    pub fn www_authenticate(&self) -> &str {
        &self.www_authenticate
    }

    /// The request context of `token`, from the cache or from Keystone.
    pub async fn validate(&self, token: &str) -> Result<AuthContext, Rejection> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Rejection::Unauthorized(AuthError::Missing));
        }
        // Keystone's tokens are printable ASCII; anything else is not worth a question to
        // Keystone (and could not be sent in a header to it).
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Rejection::Unauthorized(AuthError::Invalid));
        }
        match self.cache.get(token) {
            Some(Answer::Valid(ctx)) => return Ok(*ctx),
            Some(Answer::Invalid) => return Err(Rejection::Unauthorized(AuthError::Invalid)),
            None => {}
        }
        match self.ask_keystone(token).await {
            Ok(ctx) => {
                self.cache.put(token, Answer::Valid(Box::new(ctx.clone())));
                Ok(ctx)
            }
            Err(Rejection::Unauthorized(e)) => {
                self.cache.put(token, Answer::Invalid);
                Err(Rejection::Unauthorized(e))
            }
            // Not cached: the next request asks again, and succeeds once Keystone is back.
            Err(unavailable) => Err(unavailable),
        }
    }

    async fn ask_keystone(&self, token: &str) -> Result<AuthContext, Rejection> {
        // A 401 for our own token means it was revoked or Keystone's keys rotated: get a
        // new one and ask once more.
        for renewed in [false, true] {
            let service = self.service_token(renewed).await?;
            let resp = self
                .http
                .get(format!("{}?nocatalog", self.tokens_url))
                .header("X-Auth-Token", service)
                .header("X-Subject-Token", token)
                .send()
                .await
                .map_err(|e| no_answer(&e))?;
            match resp.status() {
                StatusCode::OK => {
                    let body = resp
                        .bytes()
                        .await
                        .map_err(|e| unavailable(&format!("Keystone's answer broke off: {e}")))?;
                    return token_body::context_of(&body).map_err(|e| unavailable(&e));
                }
                // Keystone's answer for unknown, expired and revoked tokens alike.
                StatusCode::NOT_FOUND => return Err(Rejection::Unauthorized(AuthError::Invalid)),
                StatusCode::UNAUTHORIZED if !renewed => continue,
                StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => {
                    return Err(unavailable(
                        "Keystone refuses Neutrino's service user to validate tokens (give it the service or admin role)",
                    ));
                }
                other => return Err(unavailable(&format!("Keystone answered {other}"))),
            }
        }
        Err(unavailable("Keystone refused Neutrino's service token"))
    }

    /// Neutrino's own token: the one held, unless it is about to expire or `renew` is set.
    async fn service_token(&self, renew: bool) -> Result<String, Rejection> {
        let mut held = self.service_token.lock().await;
        if let Some((token, expires_at)) = held.as_ref()
            && !renew
            && *expires_at > crate::now_secs() + SERVICE_TOKEN_MARGIN_SECS
        {
            return Ok(token.clone());
        }
        let resp = self
            .http
            .post(&self.tokens_url)
            .json(&self.service_auth)
            .send()
            .await
            .map_err(|e| no_answer(&e))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(unavailable(
                "Keystone refuses the service credentials of [identity.keystone]",
            ));
        }
        if status != StatusCode::CREATED {
            return Err(unavailable(&format!(
                "Keystone answered {status} to the service user's login"
            )));
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| {
                unavailable("Keystone issued a service token without X-Subject-Token")
            })?;
        let body = resp
            .bytes()
            .await
            .map_err(|e| unavailable(&format!("Keystone's answer broke off: {e}")))?;
        let expires_at = token_body::context_of(&body)
            .map_err(|e| unavailable(&e))?
            .expires_at;
        *held = Some((token.clone(), expires_at));
        Ok(token)
    }
}

/// What Keystone's certificate is checked against. Over plain http nothing is trusted, so that a
/// host without a CA bundle still starts.
fn trust(cfg: &KeystoneConfig, https: bool) -> Result<neutrino_tls::Trust, IdentityError> {
    let cafile = Some(cfg.cafile.trim())
        .filter(|f| !f.is_empty())
        .map(std::path::Path::new);
    let trust = neutrino_tls::Trust::from_settings(cafile, cfg.insecure)
        .map_err(|e| IdentityError::Config(format!("[identity.keystone] cafile {e}")))?;
    if cfg.insecure {
        tracing::warn!(
            auth_url = cfg.auth_url,
            "[identity.keystone] insecure = true: Keystone's certificate is not verified; anyone on the path can impersonate Keystone"
        );
    }
    Ok(if https {
        trust
    } else {
        neutrino_tls::Trust::Only(Vec::new())
    })
}

/// A request that got no answer; the text says why (refused, timed out, certificate not trusted).
fn no_answer(e: &reqwest::Error) -> Rejection {
    unavailable(&format!(
        "cannot reach Keystone: {}",
        neutrino_tls::describe(e)
    ))
}

fn unavailable(reason: &str) -> Rejection {
    tracing::warn!(reason, "token validation failed: Keystone unavailable");
    Rejection::Unavailable(reason.to_string())
}

#[cfg(test)]
mod tests;
