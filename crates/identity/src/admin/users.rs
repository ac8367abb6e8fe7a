//! `/v3/users`: Keystone's user calls (a password is kept as its digest, never shown).

use super::*;

/// Admin: every user; others: themselves.
fn sees_user(caller: &Scoped, id: &str) -> bool {
    caller.is_admin() || caller.account.id_hex == id
}

pub(super) async fn list_users(
    State(identity): Shared,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> ApiResult {
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
pub(super) async fn visible_user(
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

pub(super) async fn show_user(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    let user = visible_user(&identity, &caller, &id, "identity:get_user").await?;
    ok_json(json!({"user": identity.user_json(&user)}))
}

pub(super) async fn user_projects(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
    let caller = authenticate(&identity, &h).await?;
    visible_user(&identity, &caller, &id, "identity:list_user_projects").await?;
    let projects = identity.projects_of(&id).await?;
    ok_json(json!({
        "projects": projects.iter().map(|p| identity.project_json(p)).collect::<Vec<_>>(),
        "links": collection_links(&identity, &format!("users/{id}/projects")),
    }))
}

/// The `password` of a request as it is kept: salted and hashed (see
/// [`model::hash_password`]), off the async workers.
async fn kept_password(password: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(password) = password else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || model::hash_password(&password))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
        .map(Some)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))
}

pub(super) async fn create_user(State(identity): Shared, h: HeaderMap, body: Bytes) -> ApiResult {
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
        password_digest: kept_password(fields.string("password")?).await?,
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

pub(super) async fn update_user(
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
    let password = kept_password(fields.string("password")?).await?;
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

pub(super) async fn delete_user(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
    let from_config = identity.config_user(&id).map(|e| e.name.clone());
    delete_stored(&identity, &h, "user", &id, from_config, stored::delete_user).await
}
