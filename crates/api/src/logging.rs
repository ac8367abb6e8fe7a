//! The logging routes (`/v2.0/log/...`, extension `logging`): network logs through the generic
//! collection handlers, and the types a log may name.

use axum::Router;
use axum::extract::Extension;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use neutrino_network::log::{self, Logs};
use neutrino_network::{Caller, Kind};

use crate::AppState;
use crate::resources::{collection_routes, json};

const LOGS: Kind = &Logs;

pub fn routes() -> Router<AppState> {
    collection_routes(LOGS).route("/v2.0/log/loggable-resources", get(list_loggable_resources))
}

async fn list_loggable_resources(Extension(caller): Extension<Caller>) -> Response {
    json(StatusCode::OK, log::loggable_resources(&caller))
}
