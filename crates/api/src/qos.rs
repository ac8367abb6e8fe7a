//! The QoS routes (`/v2.0/qos/...`): policies through the generic collection handlers (their
//! tags at `/v2.0/policies/{id}/tags`, as upstream), rules nested under their policy
//! (`/qos/policies/{id}/{type}_rules[/{rule_id}]`) and by id alone
//! (`/qos/alias-{type}-rules/{rule_id}`), and the rule types.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use neutrino_network::attrs::to_bool;
use neutrino_network::qos::{self, QosPolicies, RULE_KINDS, RuleKind};
use neutrino_network::{Caller, Error, Kind, Selection};
use serde_json::Value;

use crate::query::ListQuery;
use crate::resources::{self, TagRequest, json, wrap};
use crate::{AppState, error::ApiError, listing, root_url};

type ApiResult = Result<Response, ApiError>;

const POLICIES: Kind = &QosPolicies;

pub fn routes() -> Router<AppState> {
    resources::collection_routes(POLICIES)
        // Upstream's tagging extension names collections without their prefix: a policy's tags
        // are at `/v2.0/policies/{id}/tags`, which is where clients look for them.
        .route(
            "/v2.0/policies/{id}/tags",
            get(get_tags)
                .put(replace_tags)
                .post(add_tags)
                .delete(remove_tags),
        )
        .route(
            "/v2.0/policies/{id}/tags/{tag}",
            get(has_tag).put(add_tag).delete(remove_tag),
        )
        .route(
            "/v2.0/qos/policies/{id}/{rules}",
            get(list_rules).post(create_rule),
        )
        .route(
            "/v2.0/qos/policies/{id}/{rules}/{rule_id}",
            get(show_rule).put(update_rule).delete(delete_rule),
        )
        .route(
            "/v2.0/qos/{alias}/{rule_id}",
            get(show_alias).put(update_alias).delete(delete_alias),
        )
        .route("/v2.0/qos/rule-types", get(list_rule_types))
        .route("/v2.0/qos/rule-types/{rule_type}", get(show_rule_type))
}

fn not_found() -> ApiError {
    crate::error::not_found()
}

async fn get_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::List).await
}

async fn replace_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::ReplaceAll(body)).await
}

async fn add_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::Add(body)).await
}

async fn remove_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::RemoveAll).await
}

async fn has_tag(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::Has(tag)).await
}

async fn add_tag(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::AddOne(tag)).await
}

async fn remove_tag(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    resources::tags_of(&st, &caller, POLICIES, &id, TagRequest::RemoveOne(tag)).await
}

/// The rule type of a collection under a policy (`bandwidth_limit_rules`).
fn nested(rules: &str) -> Result<&'static RuleKind, ApiError> {
    qos::rule_kind(rules).ok_or_else(not_found)
}

/// The rule type of an alias collection (`alias-bandwidth-limit-rules`).
fn aliased(alias: &str) -> Result<&'static RuleKind, ApiError> {
    RULE_KINDS
        .iter()
        .copied()
        .find(|k| k.alias == Some(alias))
        .ok_or_else(not_found)
}

async fn list_rules(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((policy, rules)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    let kind = nested(&rules)?;
    let q = ListQuery::parse(
        raw.as_deref().unwrap_or(""),
        st.net.config().pagination_max_limit,
    )?;
    listing::validate(kind, &q)?;
    let items = st
        .net
        .qos_rules(&caller, kind, &policy, Selection::all())
        .await?;
    let base = format!(
        "{}v2.0/qos/policies/{policy}/{}",
        root_url(&headers),
        kind.collection
    );
    let page = listing::apply(kind, items, &q, &base)?;
    let mut body = serde_json::Map::new();
    body.insert(
        kind.collection.to_string(),
        Value::Array(page.items.into_iter().map(Value::Object).collect()),
    );
    if let Some(links) = page.links {
        body.insert(format!("{}_links", kind.collection), Value::Array(links));
    }
    Ok(json(StatusCode::OK, Value::Object(body)))
}

async fn create_rule(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((policy, rules)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    let kind = nested(&rules)?;
    let changes = resources::create_body(kind, body).await?;
    let rule = st
        .net
        .create_qos_rule(&caller, kind, &policy, changes)
        .await?;
    Ok(json(StatusCode::CREATED, wrap(kind.singular, rule)))
}

async fn show_rule(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((policy, rules, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    show(&st, &caller, nested(&rules)?, Some(&policy), &id, raw, None).await
}

async fn update_rule(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((policy, rules, id)): Path<(String, String, String)>,
    body: Body,
) -> ApiResult {
    update(
        &st,
        &caller,
        nested(&rules)?,
        Some(&policy),
        &id,
        body,
        None,
    )
    .await
}

async fn delete_rule(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((policy, rules, id)): Path<(String, String, String)>,
    body: Body,
) -> ApiResult {
    resources::refuse_delete_body(body).await?;
    st.net
        .delete_qos_rule(&caller, nested(&rules)?, Some(&policy), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The key of an alias collection's member: `alias_bandwidth_limit_rule`.
fn alias_key(kind: &RuleKind) -> String {
    format!("alias_{}", kind.singular)
}

async fn show_alias(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((alias, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let kind = aliased(&alias)?;
    show(&st, &caller, kind, None, &id, raw, Some(alias_key(kind))).await
}

async fn update_alias(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((alias, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    let kind = aliased(&alias)?;
    update(&st, &caller, kind, None, &id, body, Some(alias_key(kind))).await
}

async fn delete_alias(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((alias, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    let kind = aliased(&alias)?;
    resources::refuse_delete_body(body).await?;
    st.net.delete_qos_rule(&caller, kind, None, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One rule, under its policy or (`key`: the alias collection's member key) by id alone.
async fn show(
    st: &AppState,
    caller: &Caller,
    kind: &'static RuleKind,
    policy: Option<&str>,
    id: &str,
    raw: Option<String>,
    key: Option<String>,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let mut rule = st.net.qos_rule(caller, kind, policy, id).await?;
    if let Value::Object(m) = &mut rule
        && !q.fields.is_empty()
    {
        m.retain(|k, _| q.fields.iter().any(|f| f == k));
    }
    let key = key.unwrap_or_else(|| kind.singular.to_string());
    Ok(json(StatusCode::OK, wrap(&key, rule)))
}

async fn update(
    st: &AppState,
    caller: &Caller,
    kind: &'static RuleKind,
    policy: Option<&str>,
    id: &str,
    body: Body,
    key: Option<String>,
) -> ApiResult {
    let bytes = resources::read_body(body).await?;
    let mut top = resources::parse_json(&bytes)?;
    let key = key.unwrap_or_else(|| kind.singular.to_string());
    let changes = match top.remove(&key) {
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(Error::bad_request(format!("Object '{key}' contains invalid data")).into());
        }
        None => {
            return Err(
                Error::bad_request(format!("Unable to find '{key}' in request body")).into(),
            );
        }
    };
    let rule = st
        .net
        .update_qos_rule(caller, kind, policy, id, changes)
        .await?;
    Ok(json(StatusCode::OK, wrap(&key, rule)))
}

/// `all_rules` and `all_supported`, booleans as upstream converts them.
fn flag(q: &ListQuery, name: &str) -> Result<bool, Error> {
    let Some(values) = q.filter(name) else {
        return Ok(false);
    };
    let mut on = false;
    for v in values {
        on |= to_bool(&Value::String(v.clone())).ok_or_else(|| {
            Error::bad_request(format!(
                "Invalid input for {name}. Reason: '{v}' cannot be converted to boolean."
            ))
        })?;
    }
    Ok(on)
}

async fn list_rule_types(
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    if let Some((key, _)) = q
        .filters
        .iter()
        .find(|(k, _)| !["all_rules", "all_supported", "type"].contains(&k.as_str()))
    {
        return Err(
            Error::bad_request(format!("['{key}'] is invalid attribute for filtering")).into(),
        );
    }
    let all_rules = flag(&q, "all_rules")?;
    // With one back end, the types some driver supports are the types every driver supports.
    flag(&q, "all_supported")?;
    let mut types = qos::rule_types(&caller, all_rules);
    if let Some(wanted) = q.filter("type") {
        types.retain(|t| wanted.iter().any(|w| t["type"] == w.as_str()));
    }
    Ok(json(
        StatusCode::OK,
        wrap("rule_types", Value::Array(types)),
    ))
}

/// One rule type. Written by hand so that `type` comes before `drivers`, as upstream answers
/// (tempest compares the key order; serde_json's maps sort their keys).
async fn show_rule_type(
    Extension(caller): Extension<Caller>,
    Path(rule_type): Path<String>,
) -> ApiResult {
    let t = qos::rule_type(&caller, &rule_type)?;
    let body = format!(
        r#"{{"rule_type":{{"type":{},"drivers":{}}}}}"#,
        t["type"], t["drivers"]
    );
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
