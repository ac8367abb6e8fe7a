//! The sub-resources of agents, routers, networks and flavors that are not collections of
//! their own: the L3 and DHCP agent schedulers (`l3_agent_scheduler`, `dhcp_agent_scheduler`)
//! and a flavor's service profiles (`flavors`). The rules are in `neutrino_network`.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use neutrino_network::{Caller, Error};
use serde_json::{Map, Value, json};

use crate::resources::{json, parse_json, read_body, refuse_delete_body};
use crate::{ApiError, AppState};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.0/routers/{id}/l3-agents", get(router_l3_agents))
        .route(
            "/v2.0/agents/{id}/l3-routers",
            get(agent_l3_routers).post(add_l3_router),
        )
        .route(
            "/v2.0/agents/{id}/l3-routers/{router_id}",
            put(update_l3_router).delete(remove_l3_router),
        )
        .route("/v2.0/networks/{id}/dhcp-agents", get(network_dhcp_agents))
        .route(
            "/v2.0/agents/{id}/dhcp-networks",
            get(agent_dhcp_networks).post(add_dhcp_network),
        )
        .route(
            "/v2.0/agents/{id}/dhcp-networks/{network_id}",
            delete(remove_dhcp_network),
        )
        .route(
            "/v2.0/flavors/{id}/service_profiles",
            post(associate_profile),
        )
        .route(
            "/v2.0/flavors/{id}/service_profiles/{profile_id}",
            get(show_binding).delete(disassociate_profile),
        )
        .route("/v2.0/flavors/{id}/next_providers", get(next_providers))
}

/// The body of a sub-resource create: `{"<key>": {...}}`.
async fn wrapped_body(body: Body, key: &str) -> Result<Map<String, Value>, ApiError> {
    let mut top = parse_json(&read_body(body).await?)?;
    match top.remove(key) {
        Some(Value::Object(m)) if top.is_empty() => Ok(m),
        _ => Err(Error::bad_request(format!("Unable to find '{key}' in request body")).into()),
    }
}

async fn router_l3_agents(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let agents = st.net.router_l3_agents(&caller, &id).await?;
    Ok(axum::Json(json!({ "agents": agents })).into_response())
}

async fn agent_l3_routers(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let routers = st.net.agent_l3_routers(&caller, &id).await?;
    Ok(axum::Json(json!({ "routers": routers })).into_response())
}

/// 201 with the `null` body upstream's scheduler controller answers (openstacksdk reads it as
/// JSON).
async fn add_l3_router(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let body = parse_json(&read_body(body).await?)?;
    st.net.add_router_to_agent(&caller, &id, &body).await?;
    Ok(json(StatusCode::CREATED, Value::Null))
}

/// 204, as upstream's controller: its update returns nothing.
async fn update_l3_router(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, router_id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    let body = parse_json(&read_body(body).await?)?;
    st.net
        .update_router_on_agent(&caller, &id, &router_id, &body)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A body is ignored, as upstream's scheduler controller does (openstacksdk sends
/// `{"router_id": ...}`).
async fn remove_l3_router(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, router_id)): Path<(String, String)>,
) -> ApiResult {
    st.net
        .remove_router_from_agent(&caller, &id, &router_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn network_dhcp_agents(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let agents = st.net.network_dhcp_agents(&caller).await?;
    Ok(axum::Json(json!({ "agents": agents })).into_response())
}

async fn agent_dhcp_networks(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let networks = st.net.agent_dhcp_networks(&caller, &id).await?;
    Ok(axum::Json(json!({ "networks": networks })).into_response())
}

async fn add_dhcp_network(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let body = parse_json(&read_body(body).await?)?;
    st.net.add_dhcp_network(&caller, &id, &body).await?;
    Ok(StatusCode::CREATED.into_response())
}

/// A body is ignored, as upstream's scheduler controller does (openstacksdk sends
/// `{"network_id": ...}`).
async fn remove_dhcp_network(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, _network_id)): Path<(String, String)>,
) -> ApiResult {
    st.net.remove_dhcp_network(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn associate_profile(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let body = wrapped_body(body, "service_profile").await?;
    let out = st.net.associate_flavor_profile(&caller, &id, body).await?;
    Ok(json(StatusCode::CREATED, json!({ "service_profile": out })))
}

async fn disassociate_profile(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, profile_id)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    refuse_delete_body(body).await?;
    st.net
        .disassociate_flavor_profile(&caller, &id, &profile_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn show_binding(
    State(st): State<AppState>,
    Path((id, profile_id)): Path<(String, String)>,
) -> ApiResult {
    let out = st.net.flavor_profile(&id, &profile_id).await?;
    Ok(json(StatusCode::OK, json!({ "service_profile": out })))
}

async fn next_providers(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let out = st.net.flavor_next_providers(&id).await?;
    Ok(json(StatusCode::OK, json!({ "next_providers": out })))
}
