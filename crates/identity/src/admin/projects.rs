//! `/v3/projects`: Keystone's project calls.

use super::*;

/// Admin: every project; others: the project of their token.
fn sees_project(caller: &Scoped, id: &str) -> bool {
    caller.is_admin() || caller.project_id_hex == id
}

pub(super) async fn list_projects(
    State(identity): Shared,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> ApiResult {
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

pub(super) async fn show_project(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
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

pub(super) async fn create_project(
    State(identity): Shared,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
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

pub(super) async fn update_project(
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

pub(super) async fn delete_project(
    State(identity): Shared,
    Path(id): Path<String>,
    h: HeaderMap,
) -> ApiResult {
    let from_config = identity.config_project(&id).map(|e| e.name.clone());
    delete_stored(
        &identity,
        &h,
        "project",
        &id,
        from_config,
        stored::delete_project,
    )
    .await
}
