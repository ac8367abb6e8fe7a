//! The resource tables of the core API, with the indexed columns each keeps beside its document.
//! Their SQL is in `migrations/0001_core.sql`.

use crate::Table;

/// `open`: 1 when every project may see the network (shared or external).
pub const NETWORKS: Table = Table::new("networks", &["project_id", "open"]);
pub const SUBNETS: Table = Table::new("subnets", &["project_id", "network_id"]);
pub const PORTS: Table = Table::new(
    "ports",
    &["project_id", "network_id", "device_id", "mac_address"],
);
