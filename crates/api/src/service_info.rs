//! Read-only collections about the service itself: the data plane's agents (the OVN chassis,
//! recorded by the OVN back end; none without it) and the service providers (Neutrino has no
//! pluggable ones, so that list is empty for everyone — what upstream answers a caller who may
//! see none — rather than a 404 that clients read as "unsupported").

use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use neutrino_network::{Caller, Error};
use serde_json::{Map, Value, json};

use crate::query::ListQuery;
use crate::{ApiError, AppState, listing};

/// What an agent has, for filters and `fields`.
const AGENT_ATTRIBUTES: &[&str] = &[
    "id",
    "agent_type",
    "binary",
    "topic",
    "host",
    "admin_state_up",
    "created_at",
    "started_at",
    "heartbeat_timestamp",
    "alive",
    "description",
    "configurations",
    "availability_zone",
    "resources_synced",
    "ha_state",
];

fn project(agent: &mut Map<String, Value>, q: &ListQuery) {
    if !q.fields.is_empty() {
        agent.retain(|k, _| q.fields.iter().any(|f| f == k));
    }
}

/// Filters by equality on any attribute (repeated keys OR), and `fields`.
pub async fn list_agents(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    if let Some((key, _)) = q
        .filters
        .iter()
        .find(|(k, _)| !AGENT_ATTRIBUTES.contains(&k.as_str()))
    {
        return Err(
            Error::bad_request(format!("['{key}'] is invalid attribute for filtering")).into(),
        );
    }
    let mut agents = Vec::new();
    for mut agent in st.net.agents(&caller).await? {
        if listing::matches(&agent, &q)? {
            project(&mut agent, &q);
            agents.push(Value::Object(agent));
        }
    }
    Ok(axum::Json(json!({ "agents": agents })).into_response())
}

pub async fn show_agent(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let mut agent = st.net.agent(&caller, &id).await?;
    project(&mut agent, &q);
    Ok(axum::Json(json!({ "agent": agent })).into_response())
}

pub async fn list_service_providers() -> Response {
    axum::Json(json!({"service_providers": []})).into_response()
}
