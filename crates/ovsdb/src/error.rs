//! The crate's one error type.

use std::time::Duration;

use crate::atom::DecodeError;
use crate::schema::SchemaError;

/// What went wrong talking to an OVSDB server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The client has no live connection right now (it is reconnecting in the background).
    #[error("not connected to an OVSDB server (remotes: {remotes})")]
    NotConnected { remotes: String },

    /// No remote could be reached (or none was the cluster leader) within the connect timeout.
    #[error("no OVSDB server for database {database} at {remotes}: {reason}")]
    ServerAbsent {
        remotes: String,
        database: String,
        reason: String,
    },

    /// The server is not (or no longer) the leader of the clustered database, or not connected to
    /// its cluster; the client tries the other remotes.
    #[error("{remote} is not the leader of database {database} ({detail})")]
    NotLeader {
        remote: String,
        database: String,
        detail: String,
    },

    /// The connection dropped while a request was in flight. The request may or may not have been
    /// applied; retry it when the client is connected again if it is safe to repeat.
    #[error("connection to {remote} dropped before the reply ({reason}); retry when reconnected")]
    Disconnected { remote: String, reason: String },

    /// The server's schema lacks a table or column the caller needs, or has it with another type.
    #[error(transparent)]
    Schema(Box<SchemaError>),

    /// The server refused a transaction. `index` is the operation that failed, counted from 0; an
    /// index equal to the number of operations means the commit itself failed (for example a
    /// referential integrity or index uniqueness violation).
    #[error("transaction failed at operation {index} ({operation}): {error}{}", details.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Transaction {
        index: usize,
        operation: String,
        error: String,
        details: Option<String>,
    },

    /// The server answered a request with a JSON-RPC error (for example an unknown database).
    #[error("{remote} refused {method}: {error}{}", details.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rpc {
        remote: String,
        method: String,
        error: String,
        details: Option<String>,
    },

    /// No reply within the configured time.
    #[error("{what} at {remote} timed out after {after:?}")]
    Timeout {
        what: String,
        remote: String,
        after: Duration,
    },

    /// The peer sent something that is not valid OVSDB JSON-RPC.
    #[error("protocol error from {remote}: {detail}")]
    Protocol { remote: String, detail: String },

    /// A remote string that is not `unix:PATH` or `tcp:HOST:PORT`.
    #[error("invalid remote {remote:?}: {reason}")]
    InvalidRemote { remote: String, reason: String },

    /// Connecting or writing failed at the socket level.
    #[error("{remote}: {detail}")]
    Io { remote: String, detail: String },

    /// A caller mistake the client can see before sending anything.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Self {
        Error::Schema(Box::new(e))
    }
}

impl Error {
    /// True for failures that say nothing about the request itself: trying again once the client
    /// is connected (see `Client::wait_connected`) may succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            Error::NotConnected { .. }
                | Error::ServerAbsent { .. }
                | Error::NotLeader { .. }
                | Error::Disconnected { .. }
                | Error::Timeout { .. }
                | Error::Io { .. }
        )
    }

    pub(crate) fn protocol(remote: &str, detail: impl Into<String>) -> Self {
        Error::Protocol {
            remote: remote.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn decode(remote: &str, e: DecodeError) -> Self {
        Error::protocol(remote, e.0)
    }
}
