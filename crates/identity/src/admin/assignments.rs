//! Role assignments of a user on a project (`/v3/projects/{p}/users/{u}/roles/{r}`) and the
//! assignment list (`/v3/role_assignments`). Only users created through the API get or lose
//! roles here; the config file's users keep the roles it gives them. A token's roles are read
//! at every validation, so a granted or revoked role counts from the next request on.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use neutrino_store::identity_directory::{self as stored, RoleAssignment, StoredRole};
use serde_json::{Value, json};

use super::{no_content, not_found, require_admin, write_directory};
use crate::Identity;
use crate::directory::Scoped;
use crate::http::{
    ApiError, ApiResult, Shared, authenticate, collection_links, domain_json, ok_json, param,
    query_params,
};

pub(super) fn routes() -> Router<Arc<Identity>> {
    Router::new()
        .route(
            "/v3/projects/{project}/users/{user}/roles",
            get(list_grants),
        )
        .route(
            "/v3/projects/{project}/users/{user}/roles/{role}",
            get(check_grant).put(create_grant).delete(revoke_grant),
        )
        .route("/v3/role_assignments", get(list_role_assignments))
}

type GrantPath = Path<(String, String, String)>;

/// The caller, an admin, and the grant's user, project and role, which must exist: 404 names
/// the first that does not.
async fn grant_parts(
    identity: &Identity,
    headers: &HeaderMap,
    action: &str,
    project: &str,
    user: &str,
    role: Option<&str>,
) -> Result<Scoped, ApiError> {
    let caller = authenticate(identity, headers).await?;
    require_admin(&caller, action)?;
    if identity.project(project).await?.is_none() {
        return Err(not_found("project", project));
    }
    if identity.user(user).await?.is_none() {
        return Err(not_found("user", user));
    }
    if let Some(role) = role
        && identity.role(role).await?.is_none()
    {
        return Err(not_found("role", role));
    }
    Ok(caller)
}

/// 403 for a user of the config file: its roles are the config's.
fn changeable(identity: &Identity, user: &str) -> Result<(), ApiError> {
    match identity.config_user(user) {
        Some(u) => Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            format!(
                "The user {} is defined in Neutrino's config file ([identity]): its roles are set \
                 there, not through the API.",
                u.name
            ),
        )),
        None => Ok(()),
    }
}

fn assignment(project: String, user: String, role: String) -> RoleAssignment {
    RoleAssignment {
        user_id: user,
        project_id: project,
        role_id: role,
    }
}

async fn create_grant(
    State(identity): Shared,
    Path((p, u, r)): GrantPath,
    h: HeaderMap,
) -> ApiResult {
    grant_parts(&identity, &h, "identity:create_grant", &p, &u, Some(&r)).await?;
    changeable(&identity, &u)?;
    let grant = assignment(p, u, r);
    // Granting a role the user already has succeeds, as in Keystone.
    write_directory(&identity, move |tx| stored::assign_role(tx, &grant)).await?;
    no_content()
}

fn grant_not_found(p: &str, u: &str, r: &str) -> ApiError {
    ApiError::not_found(format!(
        "Could not find role assignment with role: {r}, user or group: {u}, project, domain, or \
         system: {p}."
    ))
}

/// `GET`/`HEAD`: 204 when the user holds the role on the project, else 404.
async fn check_grant(
    State(identity): Shared,
    Path((p, u, r)): GrantPath,
    h: HeaderMap,
) -> ApiResult {
    grant_parts(&identity, &h, "identity:check_grant", &p, &u, Some(&r)).await?;
    if identity
        .assignments(Some(&u), Some(&p), Some(&r))
        .await?
        .is_empty()
    {
        return Err(grant_not_found(&p, &u, &r));
    }
    no_content()
}

async fn revoke_grant(
    State(identity): Shared,
    Path((p, u, r)): GrantPath,
    h: HeaderMap,
) -> ApiResult {
    grant_parts(&identity, &h, "identity:revoke_grant", &p, &u, Some(&r)).await?;
    changeable(&identity, &u)?;
    let grant = assignment(p.clone(), u.clone(), r.clone());
    if !write_directory(&identity, move |tx| stored::unassign_role(tx, &grant)).await? {
        return Err(grant_not_found(&p, &u, &r));
    }
    no_content()
}

/// The roles a user holds on a project (as assigned, implied ones not added).
async fn list_grants(
    State(identity): Shared,
    Path((p, u)): Path<(String, String)>,
    h: HeaderMap,
) -> ApiResult {
    grant_parts(&identity, &h, "identity:list_grants", &p, &u, None).await?;
    let held = identity.assignments(Some(&u), Some(&p), None).await?;
    let roles: Vec<Value> = identity
        .all_roles()
        .await?
        .iter()
        .filter(|r| held.iter().any(|a| a.role_id == r.id))
        .map(|r| identity.role_json(r))
        .collect();
    ok_json(json!({
        "roles": roles,
        "links": collection_links(&identity, &format!("projects/{p}/users/{u}/roles")),
    }))
}

/// `GET /v3/role_assignments` with the filters `user.id`, `scope.project.id`, `role.id` and
/// `include_names`. There are no groups, no domain or system assignments and no inheritance: a
/// filter on those finds nothing; `effective` and `include_subtree` change nothing (the config
/// users' roles are listed expanded already, and projects have no children).
async fn list_role_assignments(
    State(identity): Shared,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    require_admin(&caller, "identity:list_role_assignments")?;
    let params = query_params(q.as_deref());
    let impossible = [
        "group.id",
        "scope.domain.id",
        "scope.system",
        "scope.OS-INHERIT:inherited_to",
    ]
    .iter()
    .any(|k| param(&params, k).is_some());
    let found = if impossible {
        Vec::new()
    } else {
        identity
            .assignments(
                param(&params, "user.id"),
                param(&params, "scope.project.id"),
                param(&params, "role.id"),
            )
            .await?
    };
    let names = param(&params, "include_names").is_some_and(|v| v != "0" && v != "false");
    let (projects, users, roles) = if names {
        (
            identity.all_projects().await?,
            identity.all_users().await?,
            identity.all_roles().await?,
        )
    } else {
        Default::default()
    };
    let items: Vec<Value> = found
        .iter()
        .map(|a| {
            let mut role = json!({"id": a.role_id});
            let mut user = json!({"id": a.user_id});
            let mut project = json!({"id": a.project_id});
            if names {
                name_into(
                    &mut role,
                    roles.iter().find(|r| r.id == a.role_id).map(role_name),
                );
                name_into(
                    &mut user,
                    users
                        .iter()
                        .find(|u| u.id == a.user_id)
                        .map(|u| u.name.as_str()),
                );
                name_into(
                    &mut project,
                    projects
                        .iter()
                        .find(|p| p.id == a.project_id)
                        .map(|p| p.name.as_str()),
                );
                user["domain"] = domain_json();
                project["domain"] = domain_json();
            }
            json!({
                "role": role,
                "user": user,
                "scope": {"project": project},
                "links": {"assignment": format!(
                    "{}/projects/{}/users/{}/roles/{}",
                    identity.auth_url(), a.project_id, a.user_id, a.role_id
                )},
            })
        })
        .collect();
    ok_json(json!({
        "role_assignments": items,
        "links": collection_links(&identity, "role_assignments"),
    }))
}

fn role_name(r: &StoredRole) -> &str {
    &r.name
}

fn name_into(entity: &mut Value, name: Option<&str>) {
    if let Some(name) = name {
        entity["name"] = json!(name);
    }
}
