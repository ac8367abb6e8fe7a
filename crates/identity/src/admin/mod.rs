//! Keystone v3's identity calls on projects, users, roles and domains: reads for everyone (each
//! caller sees what Keystone's default policy shows them), writes for the `admin` role.
//!
//! Entities of the config file are listed with the stored ones but cannot be changed or deleted
//! through the API (403 that says so): the config file is their source, and it would put them
//! back at the next start anyway.

mod assignments;
mod body;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use neutrino_store::identity_directory::{self as stored, StoredProject, StoredRole, StoredUser};
use neutrino_store::{StoreError, Tx, unix_time_ms};
use serde_json::{Map, Value, json};

use crate::Identity;
use crate::directory::Scoped;
use crate::http::{
    ApiError, ApiResult, Shared, authenticate, collection_links, ok_json, param, query_params,
};
use crate::model::{self, DOMAIN_ID, DOMAIN_NAME};
use body::{Fields, new_id};

pub(crate) fn routes() -> Router<Arc<Identity>> {
    Router::new()
        .route("/v3/projects", get(list_projects).post(create_project))
        .route(
            "/v3/projects/{id}",
            get(show_project)
                .patch(update_project)
                .delete(delete_project),
        )
        .route("/v3/users", get(list_users).post(create_user))
        .route(
            "/v3/users/{id}",
            get(show_user).patch(update_user).delete(delete_user),
        )
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/roles", get(list_roles).post(create_role))
        .route("/v3/roles/{id}", get(show_role).delete(delete_role))
        .route("/v3/domains", get(list_domains))
        .route("/v3/domains/{id}", get(show_domain))
        .merge(assignments::routes())
}

// ---- shared pieces ----

/// 403 unless the caller holds `admin` (Keystone's default policy for every write here).
pub(crate) fn require_admin(caller: &Scoped, action: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden(action))
    }
}

/// 403 for a change of an entity of the config file.
fn from_config(kind: &str, name: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        format!(
            "The {kind} {name} is defined in Neutrino's config file ([identity]): it cannot be \
             changed or deleted through the API."
        ),
    )
}

pub(crate) fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("Could not find {kind}: {id}."))
}

fn conflict(kind: &str, name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "Conflict occurred attempting to store {kind} - Duplicate entry found with name \
             {name} at domain ID {DOMAIN_ID}."
        ),
    )
}

/// Runs a write on the stored directory: 501 without a database (keys kept in memory).
async fn write_directory<T, F>(identity: &Identity, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Fn(&Tx) -> Result<T, StoreError> + Send + 'static,
{
    let Some(store) = identity.store() else {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "This identity keeps no database: only the users and projects of the config file exist.",
        ));
    };
    Ok(store.write(f).await?)
}

/// What a write on a stored entity found.
enum Written<T> {
    Done(T),
    Missing,
    NameTaken,
}

impl<T> Written<T> {
    fn into_result(self, kind: &str, id: &str, name: &str) -> Result<T, ApiError> {
        match self {
            Written::Done(t) => Ok(t),
            Written::Missing => Err(not_found(kind, id)),
            Written::NameTaken => Err(conflict(kind, name)),
        }
    }
}

fn created(member: &str, view: Value) -> ApiResult {
    Ok((StatusCode::CREATED, axum::Json(json!({ member: view }))).into_response())
}

pub(crate) fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The `name`, `domain_id` and `enabled` filters of Keystone's lists.
fn matches_filters(
    params: &[(String, String)],
    name: &str,
    domain_id: &str,
    enabled: bool,
) -> bool {
    param(params, "name").is_none_or(|n| n == name)
        && param(params, "domain_id").is_none_or(|d| d == domain_id)
        && param(params, "enabled").is_none_or(|e| {
            let wanted = !matches!(
                e.to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            );
            wanted == enabled
        })
}

/// The domain of a new entity: `default` unless the body names another, which does not exist.
fn domain_of(fields: &Fields) -> Result<String, ApiError> {
    match fields.string("domain_id")? {
        None => Ok(DOMAIN_ID.to_string()),
        Some(d) if d == DOMAIN_ID => Ok(d),
        Some(d) => Err(not_found("domain", &d)),
    }
}

/// The new name of an update, if it asks for one (a domain cannot change); 409 when it is the
/// name of an entity of the config file.
fn new_name(
    fields: &Fields,
    kind: &str,
    max: usize,
    in_config: impl Fn(&str) -> bool,
) -> Result<Option<String>, ApiError> {
    if fields.string("domain_id")?.is_some_and(|d| d != DOMAIN_ID) {
        return Err(ApiError::bad_request(format!(
            "A {kind} cannot move to another domain."
        )));
    }
    if !fields.has("name") {
        return Ok(None);
    }
    let name = fields.name(max)?;
    if in_config(&name) {
        return Err(conflict(kind, &name));
    }
    Ok(Some(name))
}

// ---- JSON views ----

impl Identity {
    pub(crate) fn project_json(&self, p: &StoredProject) -> Value {
        json!({
            "id": p.id,
            "name": p.name,
            "domain_id": p.domain_id,
            "description": p.description,
            "enabled": p.enabled,
            "is_domain": false,
            "parent_id": p.domain_id,
            "tags": [],
            "options": {},
            "links": {"self": format!("{}/projects/{}", self.identity_url, p.id)},
        })
    }

    pub(crate) fn user_json(&self, u: &StoredUser) -> Value {
        let mut view: Map<String, Value> = serde_json::from_str(&u.extra).unwrap_or_default();
        for (key, value) in [
            ("id", json!(u.id)),
            ("name", json!(u.name)),
            ("domain_id", json!(u.domain_id)),
            ("enabled", json!(u.enabled)),
            ("password_expires_at", Value::Null),
            ("options", json!({})),
            (
                "links",
                json!({"self": format!("{}/users/{}", self.identity_url, u.id)}),
            ),
        ] {
            view.insert(key.into(), value);
        }
        if let Some(p) = &u.default_project_id {
            view.insert("default_project_id".into(), json!(p));
        }
        Value::Object(view)
    }

    pub(crate) fn role_json(&self, r: &StoredRole) -> Value {
        json!({
            "id": r.id,
            "name": r.name,
            "domain_id": null,
            "description": r.description,
            "options": {},
            "links": {"self": format!("{}/roles/{}", self.identity_url, r.id)},
        })
    }

    fn domain_json(&self) -> Value {
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
}

fn list_reply(identity: &Identity, collection: &str, items: Vec<Value>) -> ApiResult {
    ok_json(json!({collection: items, "links": collection_links(identity, collection)}))
}

// ---- projects ----

/// Admin: every project; others: the project of their token.
fn sees_project(caller: &Scoped, id: &str) -> bool {
    caller.is_admin() || caller.project_id_hex == id
}

async fn list_projects(State(identity): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let params = query_params(q.as_deref());
    let items = identity
        .all_projects()
        .await?
        .iter()
        .filter(|p| sees_project(&caller, &p.id))
        .filter(|p| matches_filters(&params, &p.name, &p.domain_id, p.enabled))
        .map(|p| identity.project_json(p))
        .collect();
    list_reply(&identity, "projects", items)
}

async fn show_project(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let project = identity
        .project(&id)
        .await?
        .ok_or_else(|| not_found("project", &id))?;
    if !sees_project(&caller, &id) {
        return Err(ApiError::forbidden("identity:get_project"));
    }
    ok_json(json!({"project": identity.project_json(&project)}))
}

async fn create_project(State(identity): Shared, h: HeaderMap, body: Bytes) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:create_project")?;
    let fields = Fields::of(&body, "project")?;
    let name = fields.name(64)?;
    let domain_id = domain_of(&fields)?;
    if fields.string("parent_id")?.is_some_and(|p| p != domain_id) {
        return Err(ApiError::bad_request(
            "Neutrino's built-in identity has no project hierarchy: parent_id must be the domain.",
        ));
    }
    if fields.boolean("is_domain")? == Some(true) {
        return Err(ApiError::bad_request(
            "Neutrino's built-in identity cannot create domains.",
        ));
    }
    if identity.config_project_named(&name).is_some() {
        return Err(conflict("project", &name));
    }
    let project = StoredProject {
        id: new_id(),
        domain_id,
        name: name.clone(),
        description: fields.string("description")?.unwrap_or_default(),
        enabled: fields.boolean("enabled")?.unwrap_or(true),
    };
    let row = project.clone();
    let inserted = write_directory(&identity, move |tx| {
        stored::insert_project(tx, &row, unix_time_ms())
    })
    .await?;
    if !inserted {
        return Err(conflict("project", &name));
    }
    created("project", identity.project_json(&project))
}

async fn update_project(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:update_project")?;
    if let Some(p) = identity.config_project(&id) {
        return Err(from_config("project", &p.name));
    }
    let fields = Fields::of(&body, "project")?;
    let name = new_name(&fields, "project", 64, |n| {
        identity.config_project_named(n).is_some()
    })?;
    let description = fields.string("description")?;
    let enabled = fields.boolean("enabled")?;
    let key = id.clone();
    let written = write_directory(&identity, move |tx| {
        let Some(mut p) = stored::project_by_id(tx, &key)? else {
            return Ok(Written::Missing);
        };
        if let Some(n) = &name {
            if stored::project_by_name(tx, &p.domain_id, n)?.is_some_and(|o| o.id != p.id) {
                return Ok(Written::NameTaken);
            }
            p.name = n.clone();
        }
        if let Some(d) = &description {
            p.description = d.clone();
        }
        if let Some(e) = enabled {
            p.enabled = e;
        }
        stored::update_project(tx, &p)?;
        Ok(Written::Done(p))
    })
    .await?;
    let project = written.into_result("project", &id, &fields.name_text())?;
    ok_json(json!({"project": identity.project_json(&project)}))
}

async fn delete_project(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:delete_project")?;
    if let Some(p) = identity.config_project(&id) {
        return Err(from_config("project", &p.name));
    }
    let key = id.clone();
    if !write_directory(&identity, move |tx| stored::delete_project(tx, &key)).await? {
        return Err(not_found("project", &id));
    }
    no_content()
}

// ---- users ----

/// Admin: every user; others: themselves.
fn sees_user(caller: &Scoped, id: &str) -> bool {
    caller.is_admin() || caller.account.id_hex == id
}

async fn list_users(State(identity): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let params = query_params(q.as_deref());
    let items = identity
        .all_users()
        .await?
        .iter()
        .filter(|u| sees_user(&caller, &u.id))
        .filter(|u| matches_filters(&params, &u.name, &u.domain_id, u.enabled))
        .map(|u| identity.user_json(u))
        .collect();
    list_reply(&identity, "users", items)
}

/// The user `id` if the caller may see it: 404 when it does not exist, 403 when hidden.
async fn visible_user(
    identity: &Identity,
    caller: &Scoped,
    id: &str,
    action: &str,
) -> Result<StoredUser, ApiError> {
    let user = identity
        .user(id)
        .await?
        .ok_or_else(|| not_found("user", id))?;
    if !sees_user(caller, id) {
        return Err(ApiError::forbidden(action));
    }
    Ok(user)
}

async fn show_user(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let user = visible_user(&identity, &caller, &id, "identity:get_user").await?;
    ok_json(json!({"user": identity.user_json(&user)}))
}

async fn user_projects(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    visible_user(&identity, &caller, &id, "identity:list_user_projects").await?;
    let projects = identity.projects_of(&id).await?;
    ok_json(json!({
        "projects": projects.iter().map(|p| identity.project_json(p)).collect::<Vec<_>>(),
        "links": collection_links(&identity, &format!("users/{id}/projects")),
    }))
}

/// The hex SHA-256 a user's password is kept as (the config users' digest, in hex).
fn password_digest_text(password: &str) -> String {
    model::hex(&model::password_digest(password))
}

async fn create_user(State(identity): Shared, h: HeaderMap, body: Bytes) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:create_user")?;
    let fields = Fields::of(&body, "user")?;
    let name = fields.name(255)?;
    let domain_id = domain_of(&fields)?;
    if identity.config_user_named(&name).is_some() {
        return Err(conflict("user", &name));
    }
    let user = StoredUser {
        id: new_id(),
        domain_id,
        name: name.clone(),
        password_digest: fields
            .string("password")?
            .as_deref()
            .map(password_digest_text),
        enabled: fields.boolean("enabled")?.unwrap_or(true),
        default_project_id: fields.string("default_project_id")?,
        extra: fields.extra(&Map::new()),
    };
    let row = user.clone();
    let inserted = write_directory(&identity, move |tx| {
        stored::insert_user(tx, &row, unix_time_ms())
    })
    .await?;
    if !inserted {
        return Err(conflict("user", &name));
    }
    created("user", identity.user_json(&user))
}

async fn update_user(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:update_user")?;
    if let Some(u) = identity.config_user(&id) {
        return Err(from_config("user", &u.name));
    }
    let fields = Fields::of(&body, "user")?;
    let name = new_name(&fields, "user", 255, |n| {
        identity.config_user_named(n).is_some()
    })?;
    let password = fields
        .string("password")?
        .as_deref()
        .map(password_digest_text);
    let enabled = fields.boolean("enabled")?;
    let default_project = match fields.has("default_project_id") {
        true => Some(fields.string("default_project_id")?),
        false => None,
    };
    let wanted_name = fields.name_text();
    let key = id.clone();
    let written = write_directory(&identity, move |tx| {
        let Some(mut u) = stored::user_by_id(tx, &key)? else {
            return Ok(Written::Missing);
        };
        if let Some(n) = &name {
            if stored::user_by_name(tx, n)?.is_some_and(|o| o.id != u.id) {
                return Ok(Written::NameTaken);
            }
            u.name = n.clone();
        }
        if password.is_some() {
            u.password_digest = password.clone();
        }
        if let Some(e) = enabled {
            u.enabled = e;
        }
        if let Some(d) = &default_project {
            u.default_project_id = d.clone();
        }
        let old: Map<String, Value> = serde_json::from_str(&u.extra).unwrap_or_default();
        u.extra = fields.extra(&old);
        stored::update_user(tx, &u)?;
        Ok(Written::Done(u))
    })
    .await?;
    let user = written.into_result("user", &id, &wanted_name)?;
    ok_json(json!({"user": identity.user_json(&user)}))
}

async fn delete_user(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:delete_user")?;
    if let Some(u) = identity.config_user(&id) {
        return Err(from_config("user", &u.name));
    }
    let key = id.clone();
    if !write_directory(&identity, move |tx| stored::delete_user(tx, &key)).await? {
        return Err(not_found("user", &id));
    }
    no_content()
}

// ---- roles ----

/// Admin: every role; others: the roles they hold on their token's project.
fn sees_role(caller: &Scoped, role: &StoredRole) -> bool {
    caller.is_admin() || caller.roles.contains(&role.name)
}

async fn list_roles(State(identity): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let params = query_params(q.as_deref());
    let items = identity
        .all_roles()
        .await?
        .iter()
        .filter(|r| sees_role(&caller, r))
        .filter(|r| param(&params, "name").is_none_or(|n| n == r.name))
        .map(|r| identity.role_json(r))
        .collect();
    list_reply(&identity, "roles", items)
}

async fn show_role(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let role = identity
        .role(&id)
        .await?
        .ok_or_else(|| not_found("role", &id))?;
    if !sees_role(&caller, &role) {
        return Err(ApiError::forbidden("identity:get_role"));
    }
    ok_json(json!({"role": identity.role_json(&role)}))
}

async fn create_role(State(identity): Shared, h: HeaderMap, body: Bytes) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:create_role")?;
    let fields = Fields::of(&body, "role")?;
    let name = fields.name(255)?;
    if fields.string("domain_id")?.is_some() {
        return Err(ApiError::bad_request(
            "Neutrino's built-in identity has no domain-specific roles.",
        ));
    }
    // Role names are compared without case, as Keystone's database does.
    let taken = |n: &str| n.eq_ignore_ascii_case(&name);
    if identity.all_roles().await?.iter().any(|r| taken(&r.name)) {
        return Err(role_conflict(&name));
    }
    let role = StoredRole {
        id: new_id(),
        name: name.clone(),
        description: fields.string("description")?,
    };
    let row = role.clone();
    let inserted = write_directory(&identity, move |tx| {
        let clash = stored::roles(tx)?
            .iter()
            .any(|r| r.name.eq_ignore_ascii_case(&row.name));
        Ok(!clash && stored::insert_role(tx, &row, unix_time_ms())?)
    })
    .await?;
    if !inserted {
        return Err(role_conflict(&name));
    }
    created("role", identity.role_json(&role))
}

fn role_conflict(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "Conflict occurred attempting to store role - Duplicate entry found with name {name}."
        ),
    )
}

async fn delete_role(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:delete_role")?;
    if let Some(r) = identity.built_in_role(&id) {
        return Err(from_config("role", &r.name));
    }
    let key = id.clone();
    if !write_directory(&identity, move |tx| stored::delete_role(tx, &key)).await? {
        return Err(not_found("role", &id));
    }
    no_content()
}

// ---- domains: the default one only ----

async fn list_domains(State(identity): Shared, RawQuery(q): RawQuery, h: HeaderMap) -> ApiResult {
    authenticate(&identity, &h).await?;
    let params = query_params(q.as_deref());
    let items = if matches_filters(&params, DOMAIN_NAME, DOMAIN_ID, true)
        && param(&params, "id").is_none_or(|i| i == DOMAIN_ID)
    {
        vec![identity.domain_json()]
    } else {
        Vec::new()
    };
    list_reply(&identity, "domains", items)
}

async fn show_domain(State(identity): Shared, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    authenticate(&identity, &h).await?;
    if id != DOMAIN_ID {
        return Err(not_found("domain", &id));
    }
    ok_json(json!({"domain": identity.domain_json()}))
}

#[cfg(test)]
mod tests;
