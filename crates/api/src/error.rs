//! Errors on the wire: the `NeutronError` envelope, and 401s with `WWW-Authenticate`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use neutrino_network::Error;
use serde_json::json;

/// An API error response.
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"NeutronError": {"type": e.kind, "message": e.message, "detail": ""}});
        (status, axum::Json(body)).into_response()
    }
}

/// 401: what keystonemiddleware answers for a missing, invalid or expired token.
pub fn unauthorized(www_authenticate: &str, message: &str) -> Response {
    let body = json!({"error": {"code": 401, "title": "Unauthorized", "message": message}});
    let mut resp = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(www_authenticate) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

pub fn not_found() -> ApiError {
    ApiError(Error::not_found(
        "HTTPNotFound",
        "The resource could not be found.",
    ))
}

pub fn method_not_allowed() -> ApiError {
    ApiError(Error::new(
        405,
        "HTTPMethodNotAllowed",
        "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    ))
}
