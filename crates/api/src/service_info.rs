//! Read-only collections about the service itself. Neutrino runs no Neutron agents (OVN needs
//! none) and no pluggable service providers, so both lists are empty for everyone — what
//! upstream answers a caller who may see none — rather than a 404 that clients read as
//! "unsupported".

use axum::response::{IntoResponse, Response};
use neutrino_network::Error;
use serde_json::json;

use crate::ApiError;

pub async fn list_agents() -> Response {
    axum::Json(json!({"agents": []})).into_response()
}

pub async fn show_agent(axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    ApiError::from(Error::not_found(
        "AgentNotFound",
        format!("Agent {id} could not be found."),
    ))
    .into_response()
}

pub async fn list_service_providers() -> Response {
    axum::Json(json!({"service_providers": []})).into_response()
}
