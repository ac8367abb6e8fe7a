//! `/v2.0/availability_zones` and `/v2.0/network-ip-availabilities`.

use axum::Router;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use neutrino_network::Caller;
use neutrino_network::availability;
use serde_json::{Value, json};

use crate::query::ListQuery;
use crate::{AppState, error::ApiError};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.0/availability_zones", get(zones))
        .route("/v2.0/network-ip-availabilities", get(list_ip))
        .route("/v2.0/network-ip-availabilities/{id}", get(show_ip))
}

/// Filters on `name`, `resource` and `state` (equality; repeated keys OR).
async fn zones(State(st): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let zones: Vec<Value> = st
        .net
        .availability_zones()
        .await?
        .into_iter()
        .filter(|z| {
            q.filters.iter().all(|(k, vs)| {
                z.get(k)
                    .and_then(Value::as_str)
                    .is_some_and(|v| vs.iter().any(|x| x == v))
            })
        })
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(json!({"availability_zones": zones})),
    )
        .into_response())
}

async fn list_ip(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = ListQuery::parse(raw.as_deref().unwrap_or(""), -1)?;
    let items = st.net.ip_availabilities(&caller, q.filters).await?;
    // Typed, not a `Value`: totals of IPv6 subnets exceed u64 and stay plain integers.
    Ok(axum::Json(availability::IpAvailabilityList {
        network_ip_availabilities: items,
    })
    .into_response())
}

async fn show_ip(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let item = st.net.ip_availability(&caller, &id).await?;
    Ok(axum::Json(availability::IpAvailabilityOne {
        network_ip_availability: item,
    })
    .into_response())
}
