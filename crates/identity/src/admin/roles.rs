//! `/v3/roles`: Keystone's role calls; the built-in roles cannot be deleted.

use super::*;

/// Admin: every role; others: the roles they hold on their token's project.
fn sees_role(caller: &Scoped, role: &StoredRole) -> bool {
    caller.is_admin() || caller.roles.contains(&role.name)
}

pub(super) async fn list_roles(
    State(identity): Shared,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> ApiResult {
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

pub(super) async fn show_role(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
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

pub(super) async fn create_role(State(identity): Shared, h: HeaderMap, body: Bytes) -> ApiResult {
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

pub(super) async fn delete_role(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
    let from_config = identity.built_in_role(&id).map(|e| e.name.clone());
    delete_stored(&identity, &h, "role", &id, from_config, stored::delete_role).await
}
