//! The error every operation returns: what the API renders as a `NeutronError` body.

use std::borrow::Cow;

use neutrino_store::StoreError;

/// What went wrong, in the domain's terms. The rules say which; each API family maps it to its
/// own status code (the Neutron API: `neutrino_api::error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request is malformed or breaks a rule of the resource.
    Invalid,
    /// The caller may see the resource but not do this to it.
    Policy,
    /// No such resource (or the caller may not see it).
    NotFound,
    /// The request contradicts the current state (a duplicate, a taken address).
    Conflict,
    /// Another resource still uses this one.
    InUse,
    /// The project would exceed a quota.
    OverQuota,
    /// `If-Match` named another revision than the current one.
    RevisionMismatch,
    /// A pool the request needs is used up (segmentation ids, MACs).
    Exhausted,
    /// The request collided with concurrent ones more often than retries allow.
    Retry,
    /// A dependency (the database) is not reachable right now.
    Unavailable,
    /// A fault of ours, or a failure upstream reports as one.
    Internal,
}

/// An error in Neutron's terms: what failed, the exception `type` name and the message text.
/// Clients and tempest match both the type and the message, so they follow upstream's wording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Error {
    pub failure: Failure,
    pub kind: Cow<'static, str>,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(
        failure: Failure,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Error {
            failure,
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// A 400 raised as a bare webob exception upstream (request-body and query errors).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new(Failure::Invalid, "HTTPBadRequest", message)
    }

    /// "Invalid input for {attr}. Reason: {reason}." — how upstream reports a failed validator.
    pub fn invalid_attr(attr: &str, reason: impl std::fmt::Display) -> Self {
        Error::bad_request(format!("Invalid input for {attr}. Reason: {reason}."))
    }

    /// neutron_lib's `InvalidInput`.
    pub fn invalid_input(detail: impl std::fmt::Display) -> Self {
        Error::new(
            Failure::Invalid,
            "InvalidInput",
            format!("Invalid input for operation: {detail}."),
        )
    }

    pub fn not_found(kind: &'static str, message: impl Into<String>) -> Self {
        Error::new(Failure::NotFound, kind, message)
    }

    pub fn conflict(kind: &'static str, message: impl Into<String>) -> Self {
        Error::new(Failure::Conflict, kind, message)
    }

    /// Another resource still uses the one the request would change or delete.
    pub fn in_use(kind: &'static str, message: impl Into<String>) -> Self {
        Error::new(Failure::InUse, kind, message)
    }

    /// oslo.policy's denial.
    pub fn policy(rule: &str) -> Self {
        Error::new(
            Failure::Policy,
            "PolicyNotAuthorized",
            format!("{rule} is disallowed by policy"),
        )
    }

    pub fn network_not_found(id: &str) -> Self {
        Error::not_found(
            "NetworkNotFound",
            format!("Network {id} could not be found."),
        )
    }

    pub fn subnet_not_found(id: &str) -> Self {
        Error::not_found("SubnetNotFound", format!("Subnet {id} could not be found."))
    }

    pub fn port_not_found(id: &str) -> Self {
        Error::not_found("PortNotFound", format!("Port {id} could not be found."))
    }

    /// The same status and message under another exception name.
    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = kind.into();
        self
    }

    pub fn internal() -> Self {
        Error::new(
            Failure::Internal,
            "HTTPInternalServerError",
            "Request Failed: internal server error while processing your request.",
        )
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match &e {
            // The engine runs the write again: not an error unless retries run out.
            StoreError::Retry(_) => tracing::debug!(error = %e, "store conflict"),
            StoreError::Unavailable(_) => tracing::warn!(error = %e, "store unavailable"),
            _ => tracing::error!(error = %e, "store error"),
        }
        match e {
            StoreError::Unavailable(_) => Error::new(
                Failure::Unavailable,
                "ServiceUnavailable",
                "The database is not available, try again later.",
            ),
            StoreError::Retry(_) => Error::new(
                Failure::Retry,
                "ServiceUnavailable",
                "The request collided with concurrent changes too often, try again.",
            ),
            _ => Error::internal(),
        }
    }
}

impl From<neutrino_ipam::IpamError> for Error {
    fn from(e: neutrino_ipam::IpamError) -> Self {
        let failure = match e.status() {
            409 => Failure::Conflict,
            400 => Failure::Invalid,
            _ => Failure::Internal,
        };
        Error::new(failure, e.neutron_type(), e.to_string())
    }
}
