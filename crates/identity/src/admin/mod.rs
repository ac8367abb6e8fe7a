//! Keystone v3's identity calls on projects, users, roles and domains: reads for everyone (each
//! caller sees what Keystone's default policy shows them), writes for the `admin` role.
//!
//! Entities of the config file are listed with the stored ones but cannot be changed or deleted
//! through the API (403 that says so): the config file is their source, and it would put them
//! back at the next start anyway.

mod assignments;
mod body;
mod projects;
mod roles;
mod users;

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
        .route(
            "/v3/projects",
            get(projects::list_projects).post(projects::create_project),
        )
        .route(
            "/v3/projects/{id}",
            get(projects::show_project)
                .patch(projects::update_project)
                .delete(projects::delete_project),
        )
        .route("/v3/users", get(users::list_users).post(users::create_user))
        .route(
            "/v3/users/{id}",
            get(users::show_user)
                .patch(users::update_user)
                .delete(users::delete_user),
        )
        .route("/v3/users/{id}/projects", get(users::user_projects))
        .route("/v3/roles", get(roles::list_roles).post(roles::create_role))
        .route(
            "/v3/roles/{id}",
            get(roles::show_role).delete(roles::delete_role),
        )
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

/// A delete of a stored entity by an admin: 403 for one of the config file (`from_config` names
/// it), 404 when there is none, else 204.
async fn delete_stored(
    identity: &Identity,
    headers: &HeaderMap,
    kind: &'static str,
    id: &str,
    from_config: Option<String>,
    delete: fn(&Tx, &str) -> Result<bool, StoreError>,
) -> ApiResult {
    let caller = authenticate(identity, headers).await?;
    require_admin(&caller, &format!("identity:delete_{kind}"))?;
    if let Some(name) = from_config {
        return Err(self::from_config(kind, &name));
    }
    let key = id.to_owned();
    if !write_directory(identity, move |tx| delete(tx, &key)).await? {
        return Err(not_found(kind, id));
    }
    no_content()
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
