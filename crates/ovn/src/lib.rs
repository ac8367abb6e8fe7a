//! The OVN back end, first step: Neutron resources mapped onto the OVN Northbound rows upstream
//! ML2/OVN writes ([`mapping`]), and the diff that turns that desired state and a cached copy of
//! the Northbound database into one OVSDB transaction ([`plan`]).
//!
//! ```text
//! NetworkSpec, SubnetSpec, PortSpec ──mapping──▶ Desired (NbRow by RowId)
//!                                                   │
//!            Northbound cache (monitor) ──────▶ plan(desired, cache, scope) ──▶ Plan { operations }
//!                                                                                   │ transact
//! ```
//!
//! Rows are found by key (name or an `external_ids` entry), never by `_uuid`; set and map columns
//! are changed by `mutate`; every change to a row with a Neutron revision waits on that revision so
//! an older change never overwrites a newer one. Routers and their ports ([`router`]) and security groups ([`security`]) are mapped too; NAT,
//! static routes, gateway chassis and address groups are later steps: they add tables to [`row::TABLES`] and mapping functions.

pub mod input;
pub mod mapping;
pub mod plan;
pub mod router;
pub mod row;
pub mod security;

pub use input::{
    AddressPair, Direction, FixedIp, HostRoute, Ipv6AddressMode, MappingConfig, NetworkSpec,
    PortSpec, Resources, RouterSpec, SecurityGroupRuleSpec, SecurityGroupSpec, SubnetSpec,
};
pub use mapping::{PortContext, desired_state, network_rows, port_row, subnet_row};
pub use plan::{Change, NbView, Plan, Scope, monitor_request, plan};
pub use router::router_rows;
pub use row::{Desired, Kind, NbRow, RowId, rows_of, table};
pub use security::{rule_match, security_rows};

#[cfg(test)]
mod tests;
