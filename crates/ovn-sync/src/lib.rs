//! The OVN back end at work: the store's resources kept in step with the OVN Northbound database.
//!
//! * [`mirror`]: the store's resources as the mapping's input, refreshed from the change feed.
//! * [`reconciler`]: the task that compares them with a monitored copy of the Northbound
//!   database and writes the difference, at start, on every change and on a timer.
//! * [`southbound`]: the task that reads the Southbound database: the gateway chassis, and the
//!   port bindings it writes into the ports' status.
//! * [`agents`]: the chassis as Neutron agents, alive by a heartbeat through the databases.
//! * [`lease`]: exactly one replica does all of the above, the holder of the store's lease.
//! * [`config`]: `[ovn]` of `neutrino.toml`.
//!
//! The mapping itself (which rows a resource becomes) is `neutrino-ovn`'s; the OVSDB protocol is
//! `neutrino-ovsdb`'s.

pub mod agents;
pub mod config;
pub mod lease;
pub mod mirror;
pub mod reconciler;
pub mod southbound;

pub use config::OvnConfig;
pub use mirror::{Mirror, Specs};
pub use reconciler::{OvnBackend, SyncStatus, compare, connect, load, sync_once};
