//! The HTTP surface of the Networking API v2.0, wire-compatible with Neutron: routing, request
//! bodies, list queries, the NeutronError envelope, request ids and the built-in identity.

mod auto_allocate;
mod availability;
mod error;
mod extensions;
mod listing;
mod logging;
mod metrics;
mod ops;
mod port_bindings;
mod port_forwarding;
mod qos;
mod query;
mod quotas;
mod resources;
mod schedulers;
mod service_info;

use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use neutrino_identity::{Authenticator, Rejection};
use neutrino_network::{Caller, Networking};
use tracing::Instrument;

pub use error::ApiError;
pub use ops::{Backend, BackendReport, Operations};

/// Largest request body accepted; bigger ones get a 413 before they are read.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    pub net: Networking,
    /// The built-in identity or the cloud's Keystone (`[identity] mode`).
    pub identity: Authenticator,
    /// What `/readyz` and `/metrics` report.
    pub ops: Operations,
}

impl axum::extract::FromRef<AppState> for Operations {
    fn from_ref(state: &AppState) -> Operations {
        state.ops.clone()
    }
}

/// The whole application: identity under `/v3`, the Networking API at `/` and `/v2.0`.
pub fn app(state: AppState) -> Router {
    let v2 = resources::routes()
        .merge(quotas::routes())
        .merge(availability::routes())
        .merge(auto_allocate::routes())
        .merge(qos::routes())
        .merge(logging::routes())
        .merge(port_forwarding::routes())
        .merge(schedulers::routes())
        .merge(port_bindings::routes())
        .route("/v2.0/", get(v2_root))
        // Upstream answers writes on extensions with 404, not 405; clients rely on neither.
        .route(
            "/v2.0/extensions",
            get(list_extensions).fallback(|| async { error::not_found() }),
        )
        .route(
            "/v2.0/extensions/{alias}",
            get(show_extension).fallback(|| async { error::not_found() }),
        )
        .route("/v2.0/floatingip_pools", get(list_floatingip_pools))
        .route("/v2.0/agents", get(service_info::list_agents))
        .route("/v2.0/agents/{id}", get(service_info::show_agent))
        .route(
            "/v2.0/service-providers",
            get(service_info::list_service_providers),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let routes = Router::new()
        .route("/", get(versions))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(v2)
        .with_state(state.clone())
        .merge(state.identity.router())
        .route_layer(middleware::from_fn(metrics::mark_route))
        .fallback(|| async { error::not_found() })
        .method_not_allowed_fallback(|| async { error::method_not_allowed() });
    // An outer router without routes, so its layers see the request before routing does.
    Router::new()
        .fallback_service(routes)
        .layer(middleware::map_request(strip_json_suffix))
        .layer(middleware::from_fn(refuse_head))
        .layer(middleware::from_fn(read_whole_body))
        .layer(middleware::from_fn_with_state(state.ops, request_log))
}

/// `/v2.0/networks.json` is `/v2.0/networks`.
async fn strip_json_suffix(mut req: Request) -> Request {
    let path = req.uri().path();
    if let Some(stripped) = path.strip_suffix(".json") {
        let rest = req
            .uri()
            .query()
            .map(|q| format!("{stripped}?{q}"))
            .unwrap_or_else(|| stripped.to_string());
        if let Ok(uri) = rest.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Reads every request body before routing, whatever the handler does with it. A handler
/// that answers without reading the body (a 404, a 405) would otherwise leave unread bytes on
/// a keep-alive connection, and hyper would close it under a client about to reuse it. A body
/// over the limit is refused here, with `Connection: close`, since it stays unread.
async fn read_whole_body(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Err(_) => {
            let mut resp = error::too_large().into_response();
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        }
    }
}

/// The Networking API has no HEAD (axum would answer HEAD for every GET route); the identity
/// under `/v3` does, for token validation.
async fn refuse_head(req: Request, next: Next) -> Response {
    let identity = req.uri().path().starts_with("/v3");
    if req.method() == axum::http::Method::HEAD && !identity {
        return error::method_not_allowed().into_response();
    }
    let mut resp = next.run(req).await;
    if identity && resp.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        // Identity errors are Keystone's shape, also for a method the identity lacks.
        let allow = resp.headers().get(header::ALLOW).cloned();
        let body = serde_json::json!({"error": {"code": 405, "title": "Method Not Allowed",
            "message": "The method is not allowed for the requested URL."}});
        resp = (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
        if let Some(a) = allow {
            resp.headers_mut().insert(header::ALLOW, a);
        }
    }
    // axum lists HEAD beside every GET in `Allow`; the API does not offer it.
    if !identity
        && let Some(allow) = resp
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
    {
        let methods: Vec<&str> = allow
            .split(',')
            .map(str::trim)
            .filter(|m| *m != "HEAD")
            .collect();
        if let Ok(v) = HeaderValue::from_str(&methods.join(",")) {
            resp.headers_mut().insert(header::ALLOW, v);
        }
    }
    resp
}

/// Gives every request an id (`X-Openstack-Request-Id`), logs it when it ends and counts it
/// in the metrics.
async fn request_log(State(ops): State<Operations>, req: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let started = Instant::now();
    // What is logged while the request runs (a Keystone that cannot be reached, say) carries
    // its id too.
    let span = tracing::info_span!("request", request_id = %id);
    let mut resp = next.run(req).instrument(span).await;
    let status = resp.status().as_u16();
    ops.http()
        .observe(&resp, method.as_str(), started.elapsed());
    tracing::info!(
        request_id = %id,
        %method,
        path = %path,
        status,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-openstack-request-id", v);
    }
    resp
}

/// Validates `X-Auth-Token` and puts the [`Caller`] into the request.
async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok());
    let Some(token) = token else {
        return error::unauthorized(
            state.identity.www_authenticate(),
            "The request you have made requires authentication.",
        );
    };
    match state.identity.validate(token).await {
        // Every policy of the API is project-scoped (as upstream's with enforce_scope): a
        // domain-, system- or unscoped token may not use it.
        Ok(ctx) if ctx.project_id.is_empty() => error::not_project_scoped().into_response(),
        Ok(ctx) => {
            req.extensions_mut().insert(Caller {
                user_id: ctx.user_id,
                project_id: ctx.project_id,
                roles: ctx.roles,
            });
            next.run(req).await
        }
        Err(Rejection::Unauthorized(e)) => {
            error::unauthorized(state.identity.www_authenticate(), &e.to_string())
        }
        Err(Rejection::Unavailable(reason)) => error::identity_unavailable(&reason).into_response(),
    }
}

/// The URL root the client used (scheme from `X-Forwarded-Proto`, host from `Host`).
pub(crate) fn root_url(headers: &HeaderMap) -> String {
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}/")
}

async fn versions(headers: HeaderMap) -> Response {
    axum::Json(extensions::versions(&root_url(&headers))).into_response()
}

async fn v2_root(headers: HeaderMap) -> Response {
    axum::Json(extensions::resources(&root_url(&headers))).into_response()
}

async fn list_extensions() -> Response {
    axum::Json(extensions::list()).into_response()
}

async fn show_extension(axum::extract::Path(alias): axum::extract::Path<String>) -> Response {
    match extensions::show(&alias) {
        Some(ext) => axum::Json(ext).into_response(),
        None => ApiError::from(neutrino_network::Error::not_found(
            "HTTPNotFound",
            format!("Extension with alias {alias} does not exist"),
        ))
        .into_response(),
    }
}

/// The IPv4 subnets of external networks floating IPs can come from.
async fn list_floatingip_pools(State(state): State<AppState>) -> Response {
    match state.net.floatingip_pools().await {
        Ok(pools) => axum::Json(serde_json::json!({"floatingip_pools": pools})).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
