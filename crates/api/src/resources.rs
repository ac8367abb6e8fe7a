//! Handlers of the resource collections (`/v2.0/{networks,subnets,ports}`), their members and
//! their tags.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use neutrino_network::tags::TagChange;
use neutrino_network::{Caller, Error, Kind, PageRequest, Selection};
use serde_json::{Map, Value};

use crate::listing;
use crate::query::ListQuery;
use crate::{AppState, MAX_BODY_BYTES, error::ApiError, root_url};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.0/{coll}", get(list).post(create))
        .route("/v2.0/{coll}/{id}", get(show).put(update).delete(delete))
        .route(
            "/v2.0/{coll}/{id}/{action}",
            axum::routing::put(action).get(read_action),
        )
        .route(
            "/v2.0/{coll}/{id}/tags",
            get(get_tags)
                .put(replace_tags)
                .post(add_tags)
                .delete(remove_tags),
        )
        .route(
            "/v2.0/{coll}/{id}/tags/{tag}",
            get(has_tag).put(add_tag).delete(remove_tag),
        )
}

/// The list, create, show, update and delete routes of one collection at its own path, for
/// collections the generic `/v2.0/{coll}` routes cannot reach (a path with a prefix:
/// `qos/policies`, `log/logs`).
pub(crate) fn collection_routes(kind: Kind) -> Router<AppState> {
    let path = kind.path();
    Router::new()
        .route(
            &format!("/v2.0/{path}"),
            get(
                move |State(st): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      RawQuery(raw): RawQuery,
                      headers: HeaderMap| async move {
                    list_of(&st, &caller, kind, path, raw, &headers).await
                },
            )
            .post(
                move |State(st): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      body: Body| async move {
                    create_of(&st, &caller, kind, body).await
                },
            ),
        )
        .route(
            &format!("/v2.0/{path}/{{id}}"),
            get(
                move |State(st): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      Path(id): Path<String>,
                      RawQuery(raw): RawQuery| async move {
                    show_of(&st, &caller, kind, &id, raw).await
                },
            )
            .put(
                move |State(st): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      Path(id): Path<String>,
                      headers: HeaderMap,
                      body: Body| async move {
                    update_of(&st, &caller, kind, &id, &headers, body).await
                },
            )
            .delete(
                move |State(st): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      Path(id): Path<String>,
                      headers: HeaderMap,
                      body: Body| async move {
                    delete_of(&st, &caller, kind, &id, &headers, body).await
                },
            ),
        )
}

fn kind_of(coll: &str) -> Result<Kind, ApiError> {
    neutrino_network::collection(coll).ok_or_else(crate::error::not_found)
}

pub(crate) async fn read_body(body: Body) -> Result<Vec<u8>, ApiError> {
    to_bytes(body, MAX_BODY_BYTES)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| crate::error::too_large())
}

pub(crate) fn parse_json(bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::bad_request("Resource body required"));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::bad_request("Body contains invalid data")),
    }
}

/// The resources of a POST body: `{"network": {...}}` or `{"networks": [{...} | {"network": {...}}, ...]}`.
fn create_bodies(kind: Kind, bytes: &[u8]) -> Result<(Vec<Map<String, Value>>, bool), Error> {
    let mut top = parse_json(bytes)?;
    // A resource whose two names are one (`security_groups_default_statefulness`) is created
    // one at a time: upstream reads bulk as `<singular>s`.
    let one_name = kind.plural() == kind.singular();
    if let Some(items) = (!one_name).then(|| top.remove(kind.plural())).flatten() {
        let Value::Array(items) = items else {
            return Err(Error::bad_request("Resources required"));
        };
        if items.is_empty() {
            return Err(Error::bad_request("Resources required"));
        }
        let bodies = items
            .into_iter()
            .map(|item| match item {
                Value::Object(mut m) => match m.remove(kind.singular()) {
                    Some(Value::Object(inner)) if m.is_empty() => Ok(inner),
                    Some(_) => Err(Error::bad_request(format!(
                        "Object '{}' contains invalid data",
                        kind.singular()
                    ))),
                    None => Ok(m),
                },
                _ => Err(Error::bad_request(format!(
                    "Object '{}' contains invalid data",
                    kind.singular()
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((bodies, true));
    }
    Ok((vec![single_body(kind, top)?], false))
}

/// The body of a POST that creates one resource (`{"<singular>": {...}}`).
pub(crate) async fn create_body(kind: Kind, body: Body) -> Result<Map<String, Value>, ApiError> {
    let top = parse_json(&read_body(body).await?)?;
    Ok(single_body(kind, top)?)
}

fn single_body(kind: Kind, mut top: Map<String, Value>) -> Result<Map<String, Value>, Error> {
    match top.remove(kind.singular()) {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(Error::bad_request(format!(
            "Object '{}' contains invalid data",
            kind.singular()
        ))),
        None => Err(Error::bad_request(format!(
            "Unable to find '{}' in request body",
            kind.singular()
        ))),
    }
}

/// `If-Match: revision_number=N`.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, Error> {
    let Some(v) = headers.get("if-match").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    for part in v.split(',') {
        if let Some(n) = part.trim().strip_prefix("revision_number=") {
            return n.parse().map(Some).map_err(|_| {
                Error::bad_request(format!("Invalid If-Match revision_number value '{n}'"))
            });
        }
    }
    Ok(None)
}

/// Removes what the caller may not see from a resource the service returned.
fn shown(kind: Kind, caller: &Caller, mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        if !caller.is_admin() {
            for key in kind.admin_only() {
                m.remove(*key);
            }
        }
        strip_hidden(kind, m);
    }
    v
}

/// Filter-only attributes never appear in a response.
fn strip_hidden(kind: Kind, item: &mut Map<String, Value>) {
    for key in kind.hidden() {
        item.remove(*key);
    }
}

pub(crate) fn json(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

pub(crate) fn wrap(key: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.to_string(), v);
    Value::Object(m)
}

/// The part of a list filter the store can apply with its indexes.
fn pushdown(kind: Kind, q: &ListQuery) -> Selection {
    let mut sel = Selection::all();
    for col in kind.table().filter_columns() {
        let values = q.filter(col).or_else(|| {
            if col == "project_id" {
                q.filter("tenant_id")
            } else {
                None
            }
        });
        if let Some(values) = values {
            // MACs are stored lower-case and filtered case-insensitively.
            let values = if col == "mac_address" {
                values.iter().map(|v| v.to_lowercase()).collect()
            } else {
                values.to_vec()
            };
            sel = sel.and(col, values);
        }
    }
    if kind.path() == "ports"
        && let Some(values) = q.filter("fixed_ips")
    {
        sel.allocations = fixed_ips_pushdown(values);
    }
    sel.tags = listing::tag_filters(q);
    sel
}

/// The `ip_address=` and `subnet_id=` parts of a `fixed_ips` filter, for the store to select
/// ports by their allocations (`ip_address_substr` and malformed values are left to the exact
/// filter).
fn fixed_ips_pushdown(values: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let (mut addresses, mut subnets) = (Vec::new(), Vec::new());
    for v in values {
        match v.split_once('=') {
            Some(("ip_address", a)) => addresses.push(a.to_string()),
            Some(("subnet_id", s)) => subnets.push(s.to_string()),
            _ => {}
        }
    }
    (!addresses.is_empty() || !subnets.is_empty()).then_some((addresses, subnets))
}

async fn list(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(coll): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    let kind = kind_of(&coll)?;
    // The links name the path the collection is served at (`security-groups`), as upstream's
    // do, not its JSON key (`security_groups`).
    list_of(&st, &caller, kind, &coll, raw, &headers).await
}

/// Lists a collection; `url_path`: its path under `/v2.0/`, for the pagination links.
pub(crate) async fn list_of(
    st: &AppState,
    caller: &Caller,
    kind: Kind,
    url_path: &str,
    raw: Option<String>,
    headers: &HeaderMap,
) -> ApiResult {
    let q = ListQuery::parse(
        raw.as_deref().unwrap_or(""),
        st.net.config().pagination_max_limit,
    )?;
    listing::validate(kind, &q)?;
    let base = format!("{}v2.0/{url_path}", root_url(headers));
    // What SQL does not filter exactly is filtered in memory, over the rows SQL selected.
    let rest = listing::not_in_sql(kind, &q);
    let order = listing::order_in_store(kind, &q);
    let request = order.map(|order| PageRequest {
        order,
        limit: q.limit.unwrap_or(usize::MAX),
        marker: q.marker.clone(),
        reverse: q.page_reverse,
    });
    // Nothing to filter or project in memory: the stored documents may be the answer.
    if q.fields.is_empty()
        && (plain(kind, &q) || (request.is_some() && rest.filters.is_empty()))
        && let Some(docs) = st
            .net
            .list_stored(caller, kind, pushdown(kind, &q), request.clone())
            .await?
    {
        let links = match q.limit {
            Some(limit) => Some(listing::stored_links(&docs, limit, &q, &base)?),
            None => None,
        };
        return spliced(kind.plural(), &docs, links);
    }
    let mut page = if let Some(request) = request {
        let keep = Box::new(move |item: &Map<String, Value>| listing::matches(item, &rest));
        let items = st
            .net
            .list_page(caller, kind, pushdown(kind, &q), request, keep)
            .await?;
        listing::finish(items, &q, &base)
    } else {
        // Unpaged and unsorted (oldest first), or sorted by an attribute that is not a column:
        // sorted and paged in memory.
        let items = st.net.list(caller, kind, pushdown(kind, &q)).await?;
        listing::apply(kind, items, &rest, &base)?
    };
    for item in &mut page.items {
        strip_hidden(kind, item);
    }
    let mut body = Map::new();
    let count = page.items.len();
    body.insert(
        kind.plural().to_string(),
        Value::Array(page.items.into_iter().map(Value::Object).collect()),
    );
    if let Some(links) = page.links {
        body.insert(format!("{}_links", kind.plural()), Value::Array(links));
    }
    // Sized up front: a list of thousands of resources is megabytes.
    let mut bytes = Vec::with_capacity(64 + count * 1024);
    serde_json::to_writer(&mut bytes, &body).map_err(|_| Error::internal())?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

/// A list that SQL alone answers: every filter is on an indexed column or tags, and nothing
/// is sorted, paged or projected.
fn plain(kind: Kind, q: &ListQuery) -> bool {
    let pushed = |k: &str| {
        k == "tenant_id"
            || listing::TAG_FILTERS.contains(&k)
            || (k != "open" && kind.table().filter_columns().any(|c| c == k))
    };
    q.sort.is_empty()
        && q.limit.is_none()
        && q.marker.is_none()
        && q.fields.is_empty()
        && q.filters.iter().all(|(k, _)| pushed(k))
}

/// `{"<plural>": [doc, doc, ...], "<plural>_links": [...]}` from stored documents, without
/// parsing them: the bytes the views would serialise to, but for the order of each document's
/// keys.
fn spliced(plural: &str, docs: &[String], links: Option<Vec<Value>>) -> ApiResult {
    let mut bytes = Vec::with_capacity(
        2 * plural.len() + 512 + docs.iter().map(|d| d.len() + 1).sum::<usize>(),
    );
    bytes.extend_from_slice(b"{\"");
    bytes.extend_from_slice(plural.as_bytes());
    bytes.extend_from_slice(b"\":[");
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(d.as_bytes());
    }
    bytes.push(b']');
    if let Some(links) = links {
        bytes.extend_from_slice(b",\"");
        bytes.extend_from_slice(plural.as_bytes());
        bytes.extend_from_slice(b"_links\":");
        serde_json::to_writer(&mut bytes, &links).map_err(|_| Error::internal())?;
    }
    bytes.push(b'}');
    Ok(json_bytes(StatusCode::OK, bytes))
}

fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response()
}

async fn show(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    show_of(&st, &caller, kind_of(&coll)?, &id, raw).await
}

pub(crate) async fn show_of(
    st: &AppState,
    caller: &Caller,
    kind: Kind,
    id: &str,
    raw: Option<String>,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let mut item = st.net.get(caller, kind, id).await?;
    strip_hidden(kind, &mut item);
    if !q.fields.is_empty() {
        item.retain(|k, _| q.fields.iter().any(|f| f == k));
    }
    Ok(json(
        StatusCode::OK,
        wrap(kind.singular(), Value::Object(item)),
    ))
}

async fn create(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(coll): Path<String>,
    body: Body,
) -> ApiResult {
    create_of(&st, &caller, kind_of(&coll)?, body).await
}

pub(crate) async fn create_of(st: &AppState, caller: &Caller, kind: Kind, body: Body) -> ApiResult {
    let (bodies, bulk) = create_bodies(kind, &read_body(body).await?)?;
    let created = st.net.create(caller, kind, bodies).await?;
    let mut created: Vec<Value> = created
        .into_iter()
        .map(|v| shown(kind, caller, v))
        .collect();
    let out = if bulk {
        wrap(kind.plural(), Value::Array(created))
    } else {
        wrap(kind.singular(), created.pop().unwrap_or(Value::Null))
    };
    Ok(json(StatusCode::CREATED, out))
}

async fn update(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    update_of(&st, &caller, kind_of(&coll)?, &id, &headers, body).await
}

pub(crate) async fn update_of(
    st: &AppState,
    caller: &Caller,
    kind: Kind,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult {
    let changes = update_body(kind, body).await?;
    let rev = if_match(headers)?;
    let updated = st.net.update(caller, kind, id, changes, rev).await?;
    Ok(json(
        StatusCode::OK,
        wrap(kind.singular(), shown(kind, caller, updated)),
    ))
}

/// The changes of a PUT: `{"<singular>": {...}}`, never a bulk body.
pub(crate) async fn update_body(kind: Kind, body: Body) -> Result<Map<String, Value>, ApiError> {
    let bytes = read_body(body).await?;
    let top = parse_json(&bytes)?;
    if kind.plural() != kind.singular() && top.contains_key(kind.plural()) {
        return Err(Error::bad_request("Bulk operation not supported").into());
    }
    Ok(single_body(kind, top)?)
}

async fn delete(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    delete_of(&st, &caller, kind_of(&coll)?, &id, &headers, body).await
}

pub(crate) async fn delete_of(
    st: &AppState,
    caller: &Caller,
    kind: Kind,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult {
    refuse_delete_body(body).await?;
    let rev = if_match(headers)?;
    st.net.delete(caller, kind, id, rev).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn refuse_delete_body(body: Body) -> Result<(), ApiError> {
    if !read_body(body).await?.is_empty() {
        return Err(Error::bad_request("Request body is not supported in DELETE.").into());
    }
    Ok(())
}

/// A member action: `PUT /v2.0/{coll}/{id}/{action}` with a plain object body.
async fn action(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id, action)): Path<(String, String, String)>,
    body: Body,
) -> ApiResult {
    let kind = kind_of(&coll)?;
    let body = parse_json(&read_body(body).await?)?;
    let out = st.net.action(&caller, kind, &id, &action, body).await?;
    Ok(json(StatusCode::OK, out))
}

/// A member read: `GET /v2.0/{coll}/{id}/{action}` (a trunk's `get_subports`), answered from
/// the resource as the caller sees it.
async fn read_action(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id, action)): Path<(String, String, String)>,
) -> ApiResult {
    let kind = kind_of(&coll)?;
    let mut item = st.net.get(&caller, kind, &id).await?;
    strip_hidden(kind, &mut item);
    let out = kind
        .read_action(&action, &item)
        .ok_or_else(crate::error::not_found)?;
    Ok(json(StatusCode::OK, out))
}

fn tags_body(tags: Vec<String>) -> Value {
    wrap(
        "tags",
        Value::Array(tags.into_iter().map(Value::String).collect()),
    )
}

/// The `{"tags": [...]}` body of a tags PUT/POST.
fn tag_list(bytes: &[u8]) -> Result<Vec<String>, Error> {
    let top = parse_json(bytes)?;
    match top.get("tags") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str().map(String::from).ok_or_else(|| {
                    Error::bad_request(format!(
                        "Invalid input for tags. Reason: '{t}' is not a valid string."
                    ))
                })
            })
            .collect(),
        // Upstream's tagging extension refuses any other body shape this way.
        _ => Err(Error::invalid_input("Invalid tags body")),
    }
}

/// A request on a resource's tags (`/{coll}/{id}/tags[/{tag}]`).
pub(crate) enum TagRequest {
    List,
    ReplaceAll(Body),
    Add(Body),
    RemoveAll,
    Has(String),
    AddOne(String),
    RemoveOne(String),
}

/// Answers a tags request on a resource of `kind`.
pub(crate) async fn tags_of(
    st: &AppState,
    caller: &Caller,
    kind: Kind,
    id: &str,
    req: TagRequest,
) -> ApiResult {
    let change = match req {
        TagRequest::List => {
            return Ok(json(
                StatusCode::OK,
                tags_body(st.net.tags(caller, kind, id).await?),
            ));
        }
        TagRequest::Has(tag) => {
            return if st.net.tags(caller, kind, id).await?.contains(&tag) {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(
                    Error::not_found("TagNotFound", format!("Tag {tag} could not be found."))
                        .into(),
                )
            };
        }
        TagRequest::ReplaceAll(body) => TagChange::ReplaceAll(tag_list(&read_body(body).await?)?),
        TagRequest::Add(body) => TagChange::Add(tag_list(&read_body(body).await?)?),
        TagRequest::RemoveAll => TagChange::RemoveAll,
        TagRequest::AddOne(tag) => TagChange::AddOne(tag),
        TagRequest::RemoveOne(tag) => TagChange::RemoveOne(tag),
    };
    let status = match &change {
        TagChange::ReplaceAll(_) | TagChange::Add(_) => StatusCode::OK,
        TagChange::AddOne(_) => StatusCode::CREATED,
        _ => StatusCode::NO_CONTENT,
    };
    // tag-creation: a POST answers the tags of the request, not the resource's whole list.
    let requested = match &change {
        TagChange::Add(tags) => Some(tags.clone()),
        _ => None,
    };
    let tags = st.net.change_tags(caller, kind, id, change).await?;
    Ok(match status {
        StatusCode::OK => json(status, tags_body(requested.unwrap_or(tags))),
        _ => status.into_response(),
    })
}

async fn get_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
) -> ApiResult {
    tags_of(&st, &caller, kind_of(&coll)?, &id, TagRequest::List).await
}

async fn replace_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    tags_of(
        &st,
        &caller,
        kind_of(&coll)?,
        &id,
        TagRequest::ReplaceAll(body),
    )
    .await
}

async fn add_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    tags_of(&st, &caller, kind_of(&coll)?, &id, TagRequest::Add(body)).await
}

async fn remove_tags(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id)): Path<(String, String)>,
) -> ApiResult {
    tags_of(&st, &caller, kind_of(&coll)?, &id, TagRequest::RemoveAll).await
}

async fn has_tag(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id, tag)): Path<(String, String, String)>,
) -> ApiResult {
    tags_of(&st, &caller, kind_of(&coll)?, &id, TagRequest::Has(tag)).await
}

async fn add_tag(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id, tag)): Path<(String, String, String)>,
) -> ApiResult {
    tags_of(&st, &caller, kind_of(&coll)?, &id, TagRequest::AddOne(tag)).await
}

async fn remove_tag(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((coll, id, tag)): Path<(String, String, String)>,
) -> ApiResult {
    tags_of(
        &st,
        &caller,
        kind_of(&coll)?,
        &id,
        TagRequest::RemoveOne(tag),
    )
    .await
}
