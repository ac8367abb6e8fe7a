//! `/v2.0/auto-allocated-topology/{project_id}`: GET builds (or finds) the project's topology,
//! DELETE removes it. See `neutrino_network::auto_allocate`.

use axum::Router;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use neutrino_network::Caller;
use serde_json::json;

use crate::query::ListQuery;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v2.0/auto-allocated-topology/{project_id}",
        axum::routing::get(show).delete(delete),
    )
}

async fn show(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let topology = st
        .net
        .auto_allocated_topology(&caller, &project_id, &q.fields)
        .await?;
    Ok(axum::Json(json!({"auto_allocated_topology": topology})).into_response())
}

async fn delete(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(project_id): Path<String>,
) -> Result<Response, ApiError> {
    st.net
        .delete_auto_allocated_topology(&caller, &project_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
