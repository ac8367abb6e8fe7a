//! The error every operation returns: what the API renders as a `NeutronError` body.

use std::borrow::Cow;

use neutrino_store::StoreError;

/// An error in Neutron's terms: HTTP status, exception `type` name and message text. Clients
/// and tempest match both the type and the message, so they follow upstream's wording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Error {
    pub status: u16,
    pub kind: Cow<'static, str>,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(
        status: u16,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Error {
            status,
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// A 400 raised as a bare webob exception upstream (request-body and query errors).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new(400, "HTTPBadRequest", message)
    }

    /// "Invalid input for {attr}. Reason: {reason}." — how upstream reports a failed validator.
    pub fn invalid_attr(attr: &str, reason: impl std::fmt::Display) -> Self {
        Error::bad_request(format!("Invalid input for {attr}. Reason: {reason}."))
    }

    /// neutron_lib's `InvalidInput`.
    pub fn invalid_input(detail: impl std::fmt::Display) -> Self {
        Error::new(
            400,
            "InvalidInput",
            format!("Invalid input for operation: {detail}."),
        )
    }

    pub fn not_found(kind: &'static str, message: impl Into<String>) -> Self {
        Error::new(404, kind, message)
    }

    pub fn conflict(kind: &'static str, message: impl Into<String>) -> Self {
        Error::new(409, kind, message)
    }

    /// oslo.policy's denial.
    pub fn policy(rule: &str) -> Self {
        Error::new(
            403,
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
            500,
            "HTTPInternalServerError",
            "Request Failed: internal server error while processing your request.",
        )
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        match e {
            StoreError::Unavailable(_) | StoreError::Retry(_) => Error::new(
                503,
                "ServiceUnavailable",
                "The database is not available, try again later.",
            ),
            _ => Error::internal(),
        }
    }
}

impl From<neutrino_ipam::IpamError> for Error {
    fn from(e: neutrino_ipam::IpamError) -> Self {
        Error::new(e.status(), e.neutron_type(), e.to_string())
    }
}
