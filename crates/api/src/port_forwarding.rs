//! A floating IP's port forwardings (`/v2.0/floatingips/{id}/port_forwardings[/{pf_id}]`),
//! nested under their floating IP as upstream's sub-resource: listed with filters, sorting,
//! paging and `fields` in memory (a floating IP holds few of them).

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use neutrino_network::port_forwarding::{PortForwardings, UNFILTERABLE};
use neutrino_network::{Caller, Error, Kind};
use serde_json::Value;

use crate::query::ListQuery;
use crate::resources::{self, json, wrap};
use crate::{AppState, error::ApiError, listing, root_url};

type ApiResult = Result<Response, ApiError>;

const KIND: Kind = &PortForwardings;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2.0/floatingips/{fip_id}/port_forwardings",
            get(list).post(create),
        )
        .route(
            "/v2.0/floatingips/{fip_id}/port_forwardings/{id}",
            get(show).put(update).delete(delete),
        )
}

async fn list(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(fip_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    let q = ListQuery::parse(
        raw.as_deref().unwrap_or(""),
        st.net.config().pagination_max_limit,
    )?;
    if let Some((key, _)) = q
        .filters
        .iter()
        .find(|(k, _)| UNFILTERABLE.contains(&k.as_str()))
    {
        return Err(
            Error::bad_request(format!("Port Forwarding filter {key} is not supported."))
                .with_kind("PortForwardingNotSupportFilterField")
                .into(),
        );
    }
    listing::validate(KIND, &q)?;
    let items = st.net.port_forwardings(&caller, &fip_id).await?;
    let base = format!(
        "{}v2.0/floatingips/{fip_id}/port_forwardings",
        root_url(&headers)
    );
    let page = listing::apply(KIND, items, &q, &base)?;
    let mut body = serde_json::Map::new();
    body.insert(
        "port_forwardings".into(),
        Value::Array(page.items.into_iter().map(Value::Object).collect()),
    );
    if let Some(links) = page.links {
        body.insert("port_forwardings_links".into(), Value::Array(links));
    }
    Ok(json(StatusCode::OK, Value::Object(body)))
}

async fn create(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(fip_id): Path<String>,
    body: Body,
) -> ApiResult {
    let changes = resources::create_body(KIND, body).await?;
    let pf = st
        .net
        .create_port_forwarding(&caller, &fip_id, changes)
        .await?;
    Ok(json(StatusCode::CREATED, wrap("port_forwarding", pf)))
}

async fn show(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((fip_id, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let mut pf = st.net.port_forwarding(&caller, &fip_id, &id).await?;
    if let Value::Object(m) = &mut pf
        && !q.fields.is_empty()
    {
        m.retain(|k, _| q.fields.iter().any(|f| f == k));
    }
    Ok(json(StatusCode::OK, wrap("port_forwarding", pf)))
}

async fn update(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((fip_id, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    let changes = resources::create_body(KIND, body).await?;
    let pf = st
        .net
        .update_port_forwarding(&caller, &fip_id, &id, changes)
        .await?;
    Ok(json(StatusCode::OK, wrap("port_forwarding", pf)))
}

async fn delete(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((fip_id, id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    resources::refuse_delete_body(body).await?;
    st.net.delete_port_forwarding(&caller, &fip_id, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
