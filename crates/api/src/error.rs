//! Errors on the wire: the `NeutronError` envelope, and 401s with `WWW-Authenticate`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use neutrino_network::{Error, Failure};
use serde_json::json;

/// An API error response: a failure of the rules, or one of HTTP itself (a method the path
/// lacks, a body too large) with its own status.
pub struct ApiError {
    status: StatusCode,
    error: Error,
}

impl ApiError {
    /// An error of the HTTP layer, shown in the same envelope.
    pub fn http(status: StatusCode, kind: &'static str, message: &str) -> ApiError {
        ApiError {
            status,
            error: Error::new(Failure::Invalid, kind, message),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError {
            status: status_of(error.failure),
            error,
        }
    }
}

/// The status Neutron answers each failure with.
pub fn status_of(failure: Failure) -> StatusCode {
    match failure {
        Failure::Invalid => StatusCode::BAD_REQUEST,
        Failure::Policy => StatusCode::FORBIDDEN,
        Failure::NotFound => StatusCode::NOT_FOUND,
        Failure::Conflict | Failure::InUse | Failure::OverQuota => StatusCode::CONFLICT,
        Failure::RevisionMismatch => StatusCode::PRECONDITION_FAILED,
        Failure::Exhausted | Failure::Retry | Failure::Unavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.error;
        let body = json!({"NeutronError": {"type": e.kind, "message": e.message, "detail": ""}});
        (self.status, axum::Json(body)).into_response()
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

/// 403 for a token scoped to a domain or the system, or to nothing: what upstream answers
/// when its policies' scope types are enforced.
pub fn not_project_scoped() -> ApiError {
    ApiError::from(Error::new(
        Failure::Policy,
        "PolicyNotAuthorized",
        "The Networking API takes project-scoped tokens; this token is scoped to a domain, \
         the system or nothing.",
    ))
}

/// 503: the identity service cannot check tokens now (keystonemiddleware's answer too).
pub fn identity_unavailable(reason: &str) -> ApiError {
    ApiError::from(Error::new(
        Failure::Unavailable,
        "ServiceUnavailable",
        format!("The identity service cannot validate tokens now: {reason}"),
    ))
}

pub fn not_found() -> ApiError {
    ApiError::from(Error::not_found(
        "HTTPNotFound",
        "The resource could not be found.",
    ))
}

pub fn method_not_allowed() -> ApiError {
    ApiError::http(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTPMethodNotAllowed",
        "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    )
}

/// 413: a body beyond the limit.
pub fn too_large() -> ApiError {
    ApiError::http(
        StatusCode::PAYLOAD_TOO_LARGE,
        "HTTPRequestEntityTooLarge",
        "Request is too large.",
    )
}
