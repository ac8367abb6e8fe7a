//! An OVSDB client (RFC 7047) over tokio: the foundation of Neutrino's OVN back end.
//!
//! # What it supports
//!
//! * **Transports**: `unix:PATH` and `tcp:HOST:PORT`, JSON-RPC 1.0 with messages cut apart by a real
//!   JSON parser (serde_json's stream deserializer), not by counting braces.
//! * **Methods**: `list_dbs`, `get_schema`, `transact`, `monitor_cond`, `monitor_cond_since`
//!   (with `update2` and `update3` notifications), `monitor_cancel`, `echo` in both directions.
//! * **Data model**: [`Atom`] (integer, real, boolean, string, uuid, named-uuid) and [`Value`]
//!   (atom, set, map) with the exact RFC 7047 JSON encoding; the one-element set shorthand is
//!   accepted, and values handed out are normalized to the column's type from the schema.
//! * **Operations**: insert (with `uuid-name`), select, update, mutate, delete, wait, commit, abort,
//!   comment, assert ([`Operation`]); a failed transaction reports the index of the failing
//!   operation and the server's error and details ([`Error::Transaction`]).
//! * **Schema**: the server's schema is read at every connect, and the tables and columns the
//!   caller declares in [`ClientConfig::needs`] are checked against it ([`schema::Shape`]).
//! * **Monitors**: [`Client::monitor`] keeps a local [`Cache`] (table → UUID → row) current, with a
//!   version counter to wait on and [`Event`]s. Rows hold every monitored column (the server
//!   leaves out default values; the cache puts them back), and snapshots are cheap: tables are
//!   shared until they change. After a reconnect every monitor is set up again:
//!   with `monitor_cond_since` and its last transaction id when the server has it (only the changes
//!   since are applied), else with a full `monitor_cond` whose reply replaces the cache whole.
//! * **Liveness**: the server's `echo` requests are answered; our own `echo` probes every
//!   [`ClientConfig::probe_interval`] drop a session that stays silent for one more interval (a
//!   stopped server keeps its socket open).
//! * **Reconnect**: remotes are tried in turn, with exponential backoff between rounds.
//! * **Clustered (Raft) databases**: with [`ClientConfig::leader_only`] (the default) the client
//!   uses only a server whose `_Server.Database` row for our database says `connected` and
//!   `leader`, watches that row, and moves on when the server stops being leader or goes away.
//!   A request cut off by a dropped connection fails with the retriable [`Error::Disconnected`];
//!   the caller decides whether to retry.
//!
//! # What it does not (yet)
//!
//! * TLS (`ssl:`): the transport is an enum ([`Remote`]) so that it can be added as a variant.
//! * Locks (`lock`, `steal`, `unlock`), the old `monitor` and `update` notification format,
//!   relay-aware routing, and generated per-table structs: callers work with [`Row`]s.
//! * Client-side validation of operations against the schema beyond table/column existence for
//!   monitors; the server validates every operation.
//!
//! # Example
//!
//! ```no_run
//! use neutrino_ovsdb::{Client, ClientConfig, Condition, MonitorRequest, Operation, operation::row};
//!
//! # async fn example() -> Result<(), neutrino_ovsdb::Error> {
//! let client = Client::connect(ClientConfig::new(["unix:/run/ovn/ovnnb_db.sock"], "OVN_Northbound")).await?;
//! let ports = client.monitor(MonitorRequest::new().table("Logical_Switch_Port", &["name", "up"])).await?;
//! client.transact(&[Operation::insert("Logical_Switch", row([("name", "ls1")]))]).await?;
//! let snapshot = ports.snapshot();
//! # let _ = (snapshot, Condition::eq("name", "ls1"));
//! # Ok(()) }
//! ```

pub mod atom;
mod client;
pub mod cluster;
mod connection;
mod error;
pub mod monitor;
pub mod operation;
pub mod remote;
pub mod schema;
mod supervisor;
pub mod transact;
pub mod value;

pub use atom::{Atom, AtomKey, AtomicType};
pub use client::{Client, ClientConfig, ConnectionState, Event};
pub use error::Error;
pub use monitor::{Cache, IndexKey, MonitorHandle, MonitorRequest, Rows};
pub use operation::{Condition, Function, Mutation, Mutator, Operation, WaitUntil};
pub use remote::Remote;
pub use schema::{DatabaseSchema, Shape, TableNeed};
pub use transact::OperationResult;
pub use value::{Row, Value};

#[cfg(test)]
mod tests {
    /// The client and its handles are meant to be shared across tasks.
    #[test]
    fn handles_are_send_and_sync() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<crate::Client>();
        shareable::<crate::MonitorHandle>();
        shareable::<crate::Error>();
        shareable::<crate::Cache>();
    }
}
