//! `/v2.0/ports/{id}/bindings[/{host}[/activate]]` (`binding-extended`): a port's bindings on
//! several hosts, as the compute service uses them for live migration.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use neutrino_network::{Caller, Error};
use serde_json::{Map, Value, json};

use crate::query::ListQuery;
use crate::resources::{parse_json, read_body, refuse_delete_body};
use crate::{AppState, error::ApiError};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.0/ports/{id}/bindings", get(list).post(create))
        .route("/v2.0/ports/{id}/bindings/{host}", get(show).delete(delete))
        .route("/v2.0/ports/{id}/bindings/{host}/activate", put(activate))
}

/// Only the fields asked for (`fields=`), as every show and list.
fn only_fields(mut b: Map<String, Value>, fields: &[String]) -> Value {
    if !fields.is_empty() {
        b.retain(|k, _| fields.iter().any(|f| f == k));
    }
    Value::Object(b)
}

async fn list(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let items: Vec<Value> = st
        .net
        .port_bindings(&caller, &id, q.filters)
        .await?
        .into_iter()
        .map(|b| only_fields(b, &q.fields))
        .collect();
    Ok((StatusCode::OK, axum::Json(json!({"bindings": items}))).into_response())
}

async fn show(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, host)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let b = st.net.port_binding(&caller, &id, &host).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"binding": only_fields(b, &q.fields)})),
    )
        .into_response())
}

async fn create(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let mut top = parse_json(&read_body(body).await?)?;
    let body = match top.remove("binding") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(Error::bad_request("Object 'binding' contains invalid data").into()),
        None => return Err(Error::bad_request("Unable to find 'binding' in request body").into()),
    };
    let b = st.net.create_port_binding(&caller, &id, body).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"binding": b}))).into_response())
}

async fn activate(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, host)): Path<(String, String)>,
) -> ApiResult {
    let b = st.net.activate_port_binding(&caller, &id, &host).await?;
    Ok((StatusCode::OK, axum::Json(json!({"binding": b}))).into_response())
}

async fn delete(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, host)): Path<(String, String)>,
    body: Body,
) -> ApiResult {
    refuse_delete_body(body).await?;
    st.net.delete_port_binding(&caller, &id, &host).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
