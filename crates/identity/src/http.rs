//! The Keystone v3 HTTP surface: version document, tokens, catalog and read-only identity calls.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{self, DOMAIN_ID, DOMAIN_NAME, Project, User, format_time};
use crate::token::{Claims, METHOD_PASSWORD};
use crate::{AuthError, Identity, ProjectRef};

type Shared = State<Arc<Identity>>;

pub fn router(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/v3", get(version))
        .route("/v3/", get(version))
        .route(
            "/v3/auth/tokens",
            get(validate_token).post(issue_token).delete(revoke_token),
        )
        .route("/v3/auth/catalog", get(auth_catalog))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/auth/system", get(auth_system))
        .route("/v3/projects", get(list_projects))
        .route("/v3/projects/{id}", get(show_project))
        .route("/v3/users", get(list_users))
        .route("/v3/users/{id}", get(show_user))
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/roles", get(list_roles))
        .route("/v3/roles/{id}", get(show_role))
        .route("/v3/domains", get(list_domains))
        .route("/v3/domains/{id}", get(show_domain))
        .route("/v3/{*rest}", get(not_found).post(not_found))
        .with_state(identity)
}

// ---- errors ----

/// A Keystone error: `{"error": {"code", "message", "title"}}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    www_authenticate: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            www_authenticate: None,
        }
    }

    fn unauthorized(identity: &Identity, err: &AuthError) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: err.to_string(),
            www_authenticate: Some(identity.www_authenticate().to_string()),
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn forbidden(action: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!("You are not authorized to perform the requested action: {action}."),
        )
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
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

type ApiResult = Result<Response, ApiError>;

fn ok_json(body: Value) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

// ---- helpers ----

/// The caller of a request, from `X-Auth-Token`.
struct Caller<'a> {
    user: &'a User,
}

impl Caller<'_> {
    fn is_admin(&self) -> bool {
        self.user.roles.iter().any(|r| r == "admin")
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn authenticate<'a>(
    identity: &'a Identity,
    headers: &HeaderMap,
) -> Result<Caller<'a>, ApiError> {
    let token = header_str(headers, "x-auth-token").unwrap_or("");
    identity
        .check_token_refreshing(token)
        .await
        .map(|(_, user)| Caller { user })
        .map_err(|e| ApiError::unauthorized(identity, &e))
}

/// Decoded query parameters, in order.
fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
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

fn param<'q>(params: &'q [(String, String)], key: &str) -> Option<&'q str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn domain_json() -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME})
}

fn is_default_domain(d: &DomainRef) -> bool {
    d.id.as_deref().is_none_or(|id| id == DOMAIN_ID)
        && d.name
            .as_deref()
            .is_none_or(|n| n.eq_ignore_ascii_case(DOMAIN_NAME))
}

fn collection_links(identity: &Identity, path: &str) -> Value {
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

    fn token_json(&self, claims: &Claims, user: &User, catalog: bool) -> Value {
        let project = &self.projects[user.project];
        let roles: Vec<Value> = user
            .roles
            .iter()
            .map(|r| json!({"id": model::derive_hex_id("role", r), "name": r}))
            .collect();
        let mut token = json!({
            "methods": claims.method_names(),
            "user": {
                "id": user.id_hex,
                "name": user.name,
                "domain": domain_json(),
                "password_expires_at": null,
            },
            "audit_ids": [claims.audit_id_text()],
            "issued_at": format_time(claims.issued_at),
            "expires_at": format_time(claims.expires_at),
            "project": {"id": project.id_hex, "name": project.name, "domain": domain_json()},
            "is_domain": false,
            "roles": roles,
        });
        if catalog && let Some(obj) = token.as_object_mut() {
            obj.insert("catalog".into(), self.catalog_json());
        }
        json!({ "token": token })
    }

    fn project_json(&self, p: &Project) -> Value {
        json!({
            "id": p.id_hex,
            "name": p.name,
            "domain_id": DOMAIN_ID,
            "description": "",
            "enabled": true,
            "is_domain": false,
            "parent_id": DOMAIN_ID,
            "tags": [],
            "options": {},
            "links": {"self": format!("{}/projects/{}", self.identity_url, p.id_hex)},
        })
    }

    fn user_json(&self, u: &User) -> Value {
        json!({
            "id": u.id_hex,
            "name": u.name,
            "domain_id": DOMAIN_ID,
            "default_project_id": self.projects[u.project].id_hex,
            "enabled": true,
            "password_expires_at": null,
            "options": {},
            "links": {"self": format!("{}/users/{}", self.identity_url, u.id_hex)},
        })
    }

    fn role_json(&self, r: &model::Role) -> Value {
        json!({
            "id": r.id_hex,
            "name": r.name,
            "domain_id": null,
            "description": null,
            "options": {},
            "links": {"self": format!("{}/roles/{}", self.identity_url, r.id_hex)},
        })
    }

    fn domain_entity_json(&self) -> Value {
        json!({
            "id": DOMAIN_ID,
            "name": DOMAIN_NAME,
            "description": "The default domain",
            "enabled": true,
            "tags": [],
            "options": {},
            "links": {"self": format!("{}/domains/{DOMAIN_ID}", self.identity_url)},
        })
    }

    fn user_by_hex(&self, id: &str) -> Option<&User> {
        let bytes = parse_hex_id(id)?;
        self.user_by_id.get(&bytes).map(|&i| &self.users[i])
    }
}

fn parse_hex_id(s: &str) -> Option<model::EntityId> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
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

    let (claims, user) = if methods.iter().any(|m| m == "password") {
        let Some(pw) = &req.auth.identity.password else {
            return Err(ApiError::bad_request(
                "Expecting to find password in identity.",
            ));
        };
        let u = &pw.user;
        if u.domain.as_ref().is_some_and(|d| !is_default_domain(d)) {
            return Err(unauthorized(AuthError::BadCredentials));
        }
        let index = match (&u.id, &u.name) {
            (Some(id), _) => identity
                .user_by_hex(id)
                .and_then(|usr| identity.user_by_name.get(&usr.name).copied()),
            (None, Some(name)) => identity.user_by_name.get(name).copied(),
            (None, None) => {
                return Err(ApiError::bad_request(
                    "Expecting to find id or name in user.",
                ));
            }
        };
        let password = u.password.as_deref().unwrap_or("");
        let user = identity
            .check_password(index, password)
            .map_err(unauthorized)?;
        if methods.iter().any(|m| m == "token") {
            // Both methods: the token must belong to the same user.
            let token = req
                .auth
                .identity
                .token
                .as_ref()
                .map(|t| t.id.as_str())
                .unwrap_or("");
            let (_, token_user) = identity
                .check_token_refreshing(token)
                .await
                .map_err(unauthorized)?;
            if token_user.id != user.id {
                return Err(unauthorized(AuthError::BadCredentials));
            }
        }
        let project = identity.scope_project(user, scope).map_err(unauthorized)?;
        let mut methods_bits = METHOD_PASSWORD;
        if methods.iter().any(|m| m == "token") {
            methods_bits |= crate::token::METHOD_TOKEN;
        }
        (identity.new_claims(user, project, methods_bits, None), user)
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
    let body = identity.token_json(&claims, user, wants_catalog(&params));
    let mut resp = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&token) {
        resp.headers_mut().insert("x-subject-token", v);
    }
    tracing::debug!(user = %user.name, "issued token");
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
    let (claims, user) = identity
        .check_token_refreshing(subject)
        .await
        .map_err(|_| ApiError::not_found(format!("Could not find token: {subject}.")))?;
    let is_service = caller.user.roles.iter().any(|r| r == "service");
    if !(caller.is_admin() || is_service || caller.user.id == user.id) {
        return Err(ApiError::forbidden("identity:validate_token"));
    }
    let params = query_params(query.as_deref());
    let body = identity.token_json(&claims, user, wants_catalog(&params));
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
    let project = &identity.projects[caller.user.project];
    ok_json(json!({
        "projects": [identity.project_json(project)],
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

// ---- read-only identity calls ----

/// Keeps the entities whose `name` matches the `name` filter, and none when `domain_id` names
/// another domain.
fn name_filter(params: &[(String, String)], name: &str) -> bool {
    param(params, "name").is_none_or(|n| n == name)
        && param(params, "domain_id").is_none_or(|d| d == DOMAIN_ID)
}

/// The entity kinds served read-only.
#[derive(Clone, Copy)]
enum Kind {
    Project,
    User,
    Role,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Kind::Project => "projects",
            Kind::User => "users",
            Kind::Role => "roles",
        }
    }

    fn member(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::User => "user",
            Kind::Role => "role",
        }
    }
}

/// One entity as the caller may see it.
struct Row<'a> {
    index: usize,
    id: &'a str,
    name: &'a str,
    /// Admin: everything; others: their project, themselves, the roles they hold.
    visible: bool,
}

impl Identity {
    fn rows(&self, kind: Kind, caller: &Caller<'_>) -> Vec<Row<'_>> {
        let admin = caller.is_admin();
        match kind {
            Kind::Project => self
                .projects
                .iter()
                .enumerate()
                .map(|(index, p)| Row {
                    index,
                    id: &p.id_hex,
                    name: &p.name,
                    visible: admin || index == caller.user.project,
                })
                .collect(),
            Kind::User => self
                .users
                .iter()
                .enumerate()
                .map(|(index, u)| Row {
                    index,
                    id: &u.id_hex,
                    name: &u.name,
                    visible: admin || u.id == caller.user.id,
                })
                .collect(),
            Kind::Role => self
                .roles
                .iter()
                .enumerate()
                .map(|(index, r)| Row {
                    index,
                    id: &r.id_hex,
                    name: &r.name,
                    visible: admin || caller.user.roles.contains(&r.name),
                })
                .collect(),
        }
    }

    fn view(&self, kind: Kind, index: usize) -> Value {
        match kind {
            Kind::Project => self.project_json(&self.projects[index]),
            Kind::User => self.user_json(&self.users[index]),
            Kind::Role => self.role_json(&self.roles[index]),
        }
    }
}

async fn list_entities(
    kind: Kind,
    identity: Arc<Identity>,
    query: Option<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &headers).await?;
    let params = query_params(query.as_deref());
    let items: Vec<Value> = identity
        .rows(kind, &caller)
        .into_iter()
        .filter(|row| row.visible && name_filter(&params, row.name))
        .map(|row| identity.view(kind, row.index))
        .collect();
    let collection = kind.collection();
    ok_json(json!({collection: items, "links": collection_links(&identity, collection)}))
}

/// Finds an entity by id: 404 when it does not exist, 403 when the caller may not see it.
fn find_visible(
    identity: &Identity,
    kind: Kind,
    caller: &Caller<'_>,
    id: &str,
    action: &str,
) -> Result<usize, ApiError> {
    let rows = identity.rows(kind, caller);
    let Some(row) = rows.iter().find(|row| row.id == id) else {
        return Err(ApiError::not_found(format!(
            "Could not find {}: {id}.",
            kind.member()
        )));
    };
    if !row.visible {
        return Err(ApiError::forbidden(action));
    }
    Ok(row.index)
}

async fn show_entity(
    kind: Kind,
    identity: Arc<Identity>,
    id: String,
    headers: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &headers).await?;
    let action = format!("identity:get_{}", kind.member());
    let index = find_visible(&identity, kind, &caller, &id, &action)?;
    ok_json(json!({kind.member(): identity.view(kind, index)}))
}

async fn list_projects(State(i): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    list_entities(Kind::Project, i, q, h).await
}

async fn show_project(State(i): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    show_entity(Kind::Project, i, id, h).await
}

async fn list_users(State(i): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    list_entities(Kind::User, i, q, h).await
}

async fn show_user(State(i): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    show_entity(Kind::User, i, id, h).await
}

async fn list_roles(State(i): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    list_entities(Kind::Role, i, q, h).await
}

async fn show_role(State(i): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    show_entity(Kind::Role, i, id, h).await
}

async fn user_projects(
    State(identity): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &headers).await?;
    let index = find_visible(
        &identity,
        Kind::User,
        &caller,
        &id,
        "identity:list_user_projects",
    )?;
    let project = &identity.projects[identity.users[index].project];
    ok_json(json!({
        "projects": [identity.project_json(project)],
        "links": collection_links(&identity, &format!("users/{id}/projects")),
    }))
}

async fn list_domains(
    State(identity): Shared,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    authenticate(&identity, &headers).await?;
    let params = query_params(query.as_deref());
    let domains: Vec<Value> = if param(&params, "name").is_none_or(|n| n == DOMAIN_NAME) {
        vec![identity.domain_entity_json()]
    } else {
        Vec::new()
    };
    ok_json(json!({"domains": domains, "links": collection_links(&identity, "domains")}))
}

async fn show_domain(
    State(identity): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    authenticate(&identity, &headers).await?;
    if id != DOMAIN_ID {
        return Err(ApiError::not_found(format!("Could not find domain: {id}.")));
    }
    ok_json(json!({"domain": identity.domain_entity_json()}))
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

    #[test]
    fn hex_ids_parse() {
        let id = model::derive_id("user", "x");
        assert_eq!(parse_hex_id(&model::hex(&id)), Some(id));
        assert_eq!(parse_hex_id("zz"), None);
        assert_eq!(parse_hex_id(&"é".repeat(16)), None);
    }
}
