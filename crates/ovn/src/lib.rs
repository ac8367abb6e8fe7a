//! The OVN back end, first step: Neutron resources mapped onto the OVN Northbound rows upstream
//! ML2/OVN writes ([`mapping`]), and the diff that turns that desired state and a cached copy of
//! the Northbound database into one OVSDB transaction ([`mod@plan`]).
//!
//! ```text
//! Resources { networks, subnets, ports, routers, floating IPs, security groups }
//!        │ desired_state (pure)
//!        ▼
//! Desired (NbRow by RowId) ─┐
//! Northbound cache ─────────┴─▶ plan(desired, cache, scope) ─▶ Plan { operations, changes }
//! (monitor_request())                                              │ Client::transact
//! ```
//!
//! Rows are found by key (name or an `external_ids` entry), never by `_uuid`; set and map columns
//! are changed by `mutate`; every change to a row with a Neutron revision waits on that revision so
//! an older change never overwrites a newer one.
//!
//! Mapped so far: networks, subnets and ports ([`mapping`]), routers and their ports ([`router`]),
//! SNAT, routes, floating IPs and their port forwardings ([`nat`]), security groups and address
//! groups (`Address_Set`, [`security`]), network logs (ACL logging and its `Meter`,
//! [`security`]), the QoS policies of ports and networks ([`qos`]). Later
//! steps: floating IP and gateway QoS; each adds its tables to [`row::TABLES`] and a mapping
//! function.

pub mod input;
pub mod mapping;
pub mod nat;
pub mod plan;
pub mod qos;
pub mod router;
pub mod row;
pub mod security;
pub mod testing;

pub use input::{
    AddressGroupSpec, AddressPair, Direction, FixedIp, FloatingIpSpec, GatewayChassis, HostRoute,
    Ipv6AddressMode, LogEvent, LogSpec, MappingConfig, NetworkSpec, PortForwardingSpec, PortSpec,
    QosPolicySpec, QosRuleSpec, Resources, RouterSpec, SecurityGroupRuleSpec, SecurityGroupSpec,
    SubnetSpec, TrunkParent,
};
pub use mapping::{PortContext, desired_state, network_rows, port_row, subnet_row};
pub use nat::{floating_ip_row, port_forwarding_rows, router_l3_rows};
pub use plan::{Change, NbView, Plan, Scope, monitor_request, plan};
pub use router::{gateway_priorities, router_rows, scheduled_priorities};
pub use row::{Desired, Kind, Members, NbRow, RowId, rows_of, table};
pub use security::{address_set_rows, rule_match, security_rows};

#[cfg(test)]
mod tests;
