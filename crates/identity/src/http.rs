//! The Keystone v3 HTTP surface: version document, tokens and catalog; and the errors, the caller
//! and the query helpers that the identity calls (`crate::admin`) share.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use neutrino_store::StoreError;

use crate::directory::Scoped;
use crate::model::{self, DOMAIN_ID, DOMAIN_NAME, format_time};
use crate::token::{Claims, METHOD_PASSWORD};
use crate::{AuthError, Identity, ProjectRef};

pub(crate) type Shared = State<Arc<Identity>>;

pub fn router(identity: Arc<Identity>) -> Router {
    let tokens = Router::new()
        .route("/v3", get(version))
        .route("/v3/", get(version))
        .route(
            "/v3/auth/tokens",
            get(validate_token).post(issue_token).delete(revoke_token),
        )
        .route("/v3/auth/catalog", get(auth_catalog))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/auth/system", get(auth_system));
    tokens
        .merge(crate::admin::routes())
        .route("/v3/{*rest}", get(not_found).post(not_found))
        .with_state(identity)
}

// ---- errors ----

/// A Keystone error: `{"error": {"code", "message", "title"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    www_authenticate: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            www_authenticate: None,
        }
    }

    /// 401 with where to get a token; 503 when the directory cannot be read.
    pub(crate) fn unauthorized(identity: &Identity, err: &AuthError) -> ApiError {
        if let AuthError::Unavailable(_) = err {
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, err.to_string());
        }
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: err.to_string(),
            www_authenticate: Some(identity.www_authenticate().to_string()),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn forbidden(action: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!("You are not authorized to perform the requested action: {action}."),
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let status = match e {
            StoreError::Unavailable(_) | StoreError::Retry(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        tracing::warn!(error = %e, "identity directory");
        ApiError::new(status, format!("The identity's database failed: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::BAD_REQUEST => "Bad Request",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "Not Found",
            s => s.canonical_reason().unwrap_or("Error"),
        };
        let body = json!({"error": {
            "code": self.status.as_u16(),
            "message": self.message,
            "title": title,
        }});
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(v) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

pub(crate) fn ok_json(body: Value) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

// ---- helpers ----

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The caller of a request, from `X-Auth-Token`: who, on which project, with which roles now.
pub(crate) async fn authenticate(
    identity: &Identity,
    headers: &HeaderMap,
) -> Result<Scoped, ApiError> {
    let token = header_str(headers, "x-auth-token").unwrap_or("");
    identity
        .check_token(token)
        .await
        .map(|(_, scoped)| scoped)
        .map_err(|e| ApiError::unauthorized(identity, &e))
}

/// Decoded query parameters, in order.
pub(crate) fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn param<'q>(params: &'q [(String, String)], key: &str) -> Option<&'q str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn domain_json() -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME})
}

fn is_default_domain(d: &DomainRef) -> bool {
    d.id.as_deref().is_none_or(|id| id == DOMAIN_ID)
        && d.name
            .as_deref()
            .is_none_or(|n| n.eq_ignore_ascii_case(DOMAIN_NAME))
}

pub(crate) fn collection_links(identity: &Identity, path: &str) -> Value {
    json!({"self": format!("{}/{path}", identity.identity_url), "previous": null, "next": null})
}

// ---- JSON views ----

impl Identity {
    fn catalog_json(&self) -> Value {
        let endpoints = |service: &str, url: &str| -> Vec<Value> {
            ["public", "internal", "admin"]
                .iter()
                .map(|iface| {
                    json!({
                        "id": model::derive_hex_id("endpoint", &format!("{service}/{iface}")),
                        "interface": iface,
                        "region": self.region,
                        "region_id": self.region,
                        "url": url,
                    })
                })
                .collect()
        };
        json!([
            {
                "type": "network",
                "name": "neutron",
                "id": model::derive_hex_id("service", "network"),
                "endpoints": endpoints("network", &self.public_url),
            },
            {
                "type": "identity",
                "name": "keystone",
                "id": model::derive_hex_id("service", "identity"),
                "endpoints": endpoints("identity", &self.identity_url),
            },
        ])
    }

    fn token_json(&self, claims: &Claims, scoped: &Scoped, catalog: bool) -> Value {
        let roles: Vec<Value> = scoped
            .role_ids
            .iter()
            .zip(&scoped.roles)
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect();
        let mut token = json!({
            "methods": claims.method_names(),
            "user": {
                "id": scoped.account.id_hex,
                "name": scoped.account.name,
                "domain": domain_json(),
                "password_expires_at": null,
            },
            "audit_ids": [claims.audit_id_text()],
            "issued_at": format_time(claims.issued_at),
            "expires_at": format_time(claims.expires_at),
            "project": {
                "id": scoped.project_id_hex,
                "name": scoped.project_name,
                "domain": domain_json(),
            },
            "is_domain": false,
            "roles": roles,
        });
        if catalog && let Some(obj) = token.as_object_mut() {
            obj.insert("catalog".into(), self.catalog_json());
        }
        json!({ "token": token })
    }
}

// ---- version ----

async fn version(State(identity): Shared) -> ApiResult {
    ok_json(json!({"version": {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{}/", identity.identity_url)}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }}))
}

async fn not_found() -> ApiError {
    ApiError::not_found("The resource could not be found.")
}

// ---- tokens ----

#[derive(Deserialize)]
struct AuthRequest {
    auth: AuthBody,
}

#[derive(Deserialize)]
struct AuthBody {
    identity: IdentityBody,
    #[serde(default)]
    scope: Option<Value>,
}

#[derive(Deserialize)]
struct IdentityBody {
    methods: Vec<String>,
    #[serde(default)]
    password: Option<PasswordBody>,
    #[serde(default)]
    token: Option<TokenBody>,
}

#[derive(Deserialize)]
struct PasswordBody {
    user: PasswordUser,
}

#[derive(Deserialize)]
struct PasswordUser {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<DomainRef>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
struct DomainRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct TokenBody {
    id: String,
}

/// The requested scope. A request without scope (or `"scope": "unscoped"`) is scoped to the
/// user's own project: OpenStack clients always ask for a project scope anyway.
fn parse_scope<'a>(
    identity: &Identity,
    scope: Option<&'a Value>,
) -> Result<ProjectRef<'a>, ApiError> {
    let Some(scope) = scope else {
        return Ok(ProjectRef::Own);
    };
    if scope.is_null() || scope.as_str() == Some("unscoped") {
        return Ok(ProjectRef::Own);
    }
    let Some(obj) = scope.as_object() else {
        return Err(ApiError::bad_request("Invalid input for field 'scope'."));
    };
    for (key, what) in [
        ("system", "System scope"),
        ("domain", "Domain scope"),
        ("OS-TRUST:trust", "Trust scope"),
    ] {
        if obj.contains_key(key) {
            let message = format!(
                "{what} is not supported by Neutrino's built-in identity; request a project scope."
            );
            return Err(ApiError::unauthorized(
                identity,
                &AuthError::UnsupportedScope(message),
            ));
        }
    }
    let Some(project) = obj.get("project").and_then(Value::as_object) else {
        return Err(ApiError::bad_request("Expecting to find project in scope."));
    };
    if let Some(id) = project.get("id").and_then(Value::as_str) {
        return Ok(ProjectRef::Id(id));
    }
    let Some(name) = project.get("name").and_then(Value::as_str) else {
        return Err(ApiError::bad_request(
            "Expecting to find id or name in project.",
        ));
    };
    match project.get("domain") {
        None => {
            return Err(ApiError::bad_request(
                "Expecting to find domain in project.",
            ));
        }
        Some(d) => {
            let d: DomainRef = serde_json::from_value(d.clone())
                .map_err(|_| ApiError::bad_request("Invalid input for field 'domain'."))?;
            if !is_default_domain(&d) {
                return Err(ApiError::unauthorized(
                    identity,
                    &AuthError::NoProjectAccess {
                        user: String::new(),
                        project: name.to_string(),
                    },
                ));
            }
        }
    }
    Ok(ProjectRef::Name(name))
}

fn wants_catalog(params: &[(String, String)]) -> bool {
    param(params, "nocatalog").is_none()
}

async fn issue_token(State(identity): Shared, RawQuery(query): RawQuery, body: Bytes) -> ApiResult {
    let req: AuthRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid authentication request: {e}")))?;
    let methods = &req.auth.identity.methods;
    if methods.is_empty() {
        return Err(ApiError::bad_request(
            "Expecting to find methods in identity.",
        ));
    }
    if let Some(m) = methods
        .iter()
        .find(|m| m.as_str() != "password" && m.as_str() != "token")
    {
        return Err(ApiError::unauthorized(
            &identity,
            &AuthError::UnsupportedMethod(m.clone()),
        ));
    }
    let scope = parse_scope(&identity, req.auth.scope.as_ref())?;
    let unauthorized = |e: AuthError| ApiError::unauthorized(&identity, &e);

    let (claims, scoped) = if methods.iter().any(|m| m == "password") {
        let Some(pw) = &req.auth.identity.password else {
            return Err(ApiError::bad_request(
                "Expecting to find password in identity.",
            ));
        };
        let u = &pw.user;
        if u.domain.as_ref().is_some_and(|d| !is_default_domain(d)) {
            return Err(unauthorized(AuthError::BadCredentials));
        }
        if u.id.is_none() && u.name.is_none() {
            return Err(ApiError::bad_request(
                "Expecting to find id or name in user.",
            ));
        }
        let password = u.password.as_deref().unwrap_or("");
        let account = identity
            .login(u.id.as_deref(), u.name.as_deref(), password)
            .await
            .map_err(unauthorized)?;
        let mut methods_bits = METHOD_PASSWORD;
        if methods.iter().any(|m| m == "token") {
            // Both methods: the token must belong to the same user.
            let token = req
                .auth
                .identity
                .token
                .as_ref()
                .map(|t| t.id.as_str())
                .unwrap_or("");
            let (_, current) = identity.check_token(token).await.map_err(unauthorized)?;
            if current.account.id != account.id {
                return Err(unauthorized(AuthError::BadCredentials));
            }
            methods_bits |= crate::token::METHOD_TOKEN;
        }
        let scoped = identity
            .scope(&account, scope)
            .await
            .map_err(unauthorized)?;
        (identity.claims_for(&scoped, methods_bits, None), scoped)
    } else {
        let Some(token) = &req.auth.identity.token else {
            return Err(ApiError::bad_request(
                "Expecting to find token in identity.",
            ));
        };
        identity
            .rescope(&token.id, scope)
            .await
            .map_err(unauthorized)?
    };

    let token = identity.keys.sign(&claims);
    let params = query_params(query.as_deref());
    let body = identity.token_json(&claims, &scoped, wants_catalog(&params));
    let mut resp = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&token) {
        resp.headers_mut().insert("x-subject-token", v);
    }
    tracing::debug!(user = %scoped.account.name, "issued token");
    Ok(resp)
}

/// `GET`/`HEAD /v3/auth/tokens`: validates `X-Subject-Token` for a caller holding `X-Auth-Token`.
async fn validate_token(
    State(identity): Shared,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &headers).await?;
    let Some(subject) = header_str(&headers, "x-subject-token") else {
        return Err(ApiError::bad_request("X-Subject-Token header is required."));
    };
    let (claims, scoped) = match identity.check_token(subject).await {
        Ok(found) => found,
        Err(e @ AuthError::Unavailable(_)) => return Err(ApiError::unauthorized(&identity, &e)),
        Err(_) => {
            return Err(ApiError::not_found(format!(
                "Could not find token: {subject}."
            )));
        }
    };
    let is_service = caller.roles.iter().any(|r| r == "service");
    if !(caller.is_admin() || is_service || caller.account.id == scoped.account.id) {
        return Err(ApiError::forbidden("identity:validate_token"));
    }
    let params = query_params(query.as_deref());
    let body = identity.token_json(&claims, &scoped, wants_catalog(&params));
    let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(subject.trim()) {
        resp.headers_mut().insert("x-subject-token", v);
    }
    Ok(resp)
}

async fn revoke_token(State(identity): Shared, headers: HeaderMap) -> ApiResult {
    authenticate(&identity, &headers).await?;
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "Token revocation is not supported by Neutrino's built-in identity: tokens are stateless and \
         expire after token_ttl_secs.",
    ))
}

async fn auth_catalog(State(identity): Shared, headers: HeaderMap) -> ApiResult {
    authenticate(&identity, &headers).await?;
    ok_json(json!({
        "catalog": identity.catalog_json(),
        "links": collection_links(&identity, "auth/catalog"),
    }))
}

async fn auth_projects(State(identity): Shared, headers: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &headers).await?;
    let projects = identity.projects_of(&caller.account.id_hex).await?;
    ok_json(json!({
        "projects": projects.iter().map(|p| identity.project_json(p)).collect::<Vec<_>>(),
        "links": collection_links(&identity, "auth/projects"),
    }))
}

async fn auth_domains(State(identity): Shared, headers: HeaderMap) -> ApiResult {
    authenticate(&identity, &headers).await?;
    ok_json(json!({"domains": [], "links": collection_links(&identity, "auth/domains")}))
}

async fn auth_system(State(identity): Shared, headers: HeaderMap) -> ApiResult {
    authenticate(&identity, &headers).await?;
    ok_json(json!({"system": [], "links": collection_links(&identity, "auth/system")}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let p = query_params(Some("name=my%20project&nocatalog&x=a+b&bad=%zz&end=%4"));
        assert_eq!(param(&p, "name"), Some("my project"));
        assert_eq!(param(&p, "nocatalog"), Some(""));
        assert_eq!(param(&p, "x"), Some("a b"));
        assert_eq!(param(&p, "bad"), Some("%zz"));
        assert_eq!(param(&p, "end"), Some("%4"));
        assert!(query_params(None).is_empty());
    }
}
