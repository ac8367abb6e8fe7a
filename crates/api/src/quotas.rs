//! `/v2.0/quotas`: per-project limits, their defaults and their usage.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use neutrino_network::{Caller, Error};
use serde_json::{Value, json};

use crate::resources::{parse_json, read_body};
use crate::{AppState, error::ApiError};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.0/quotas", get(list).post(not_implemented))
        .route(
            "/v2.0/quotas/{project}",
            get(show).put(update).delete(reset),
        )
        .route("/v2.0/quotas/{project}/default", get(defaults))
        .route("/v2.0/quotas/{project}/details", get(details))
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

async fn list(State(st): State<AppState>, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(ok(json!({"quotas": st.net.quotas(&caller).await?})))
}

async fn not_implemented() -> ApiResult {
    Err(ApiError::http(
        axum::http::StatusCode::NOT_IMPLEMENTED,
        "HTTPNotImplemented",
        "The server has either erred or is incapable of performing the requested operation.",
    ))
}

/// `quotas/project` and `quotas/tenant` name the caller's own project.
async fn show(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> ApiResult {
    match project.as_str() {
        "project" => Ok(ok(json!({"project": {"project_id": caller.project_id}}))),
        "tenant" => Ok(ok(json!({"tenant": {"tenant_id": caller.project_id}}))),
        _ => Ok(ok(json!({"quota": st.net.quota(&caller, &project).await?}))),
    }
}

async fn defaults(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> ApiResult {
    Ok(ok(
        json!({"quota": st.net.quota_defaults(&caller, &project)?}),
    ))
}

async fn details(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> ApiResult {
    Ok(ok(
        json!({"quota": st.net.quota_details(&caller, &project).await?}),
    ))
}

async fn update(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
    body: Body,
) -> ApiResult {
    let mut top = parse_json(&read_body(body).await?)?;
    let changes = match top.remove("quota") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(Error::bad_request("Object 'quota' contains invalid data").into()),
        None => return Err(Error::bad_request("Unable to find 'quota' in request body").into()),
    };
    Ok(ok(
        json!({"quota": st.net.set_quota(&caller, &project, changes).await?}),
    ))
}

async fn reset(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> ApiResult {
    st.net.reset_quota(&caller, &project).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
