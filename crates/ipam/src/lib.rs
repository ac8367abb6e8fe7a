//! Pure IP address management for Neutrino: value validators with neutron-lib's messages,
//! subnet rules (default gateway and pools, every create/update check), a free-value interval
//! set for address and segmentation-id allocation, and port address helpers.
//!
//! No HTTP, no SQL, no async: the `network` crate calls these functions inside its
//! transactions and the `api` crate maps [`IpamError`] to the `NeutronError` envelope.

pub mod error;
pub mod mac;
pub mod port;
pub mod prefixes;
pub mod ranges;
pub mod subnet;
pub mod validate;

pub use error::IpamError;
pub use mac::{DEFAULT_MAC_PREFIX, MacAddr, random_mac, validate_mac};
pub use port::{
    FixedIpRequest, ROUTER_PORT_OWNERS, check_ip_for_subnet, check_subnet_ip, eui64_address,
    is_router_port_owner, subnet_for_ip,
};
pub use ranges::{
    FreeAddresses, FreeRanges, PICK_WINDOW, VLAN_IDS, VlanRange, free_segmentation_ids, ip_to_u128,
    parse_id_ranges, parse_vlan_ranges, pick_address, u128_to_ip,
};
pub use subnet::{
    AllocationPool, GatewayChoice, HostRoute, Ipv6Mode, SubnetLimits, SubnetSpec, SubnetUpdate,
    ValidatedSubnet, check_overlap, default_gateway, default_pools, gateway_invalid_in_subnet,
    is_auto_address, overlaps, validate_gateway_out_of_pools, validate_new_subnet, validate_pools,
    validate_subnet_update,
};
pub use validate::{
    py_repr, py_str, validate_address_pair_ip, validate_allocation_pools, validate_dns_domain,
    validate_dns_name, validate_host_routes, validate_ip_address, validate_ip_or_subnet,
    validate_nameservers, validate_route_cidr, validate_subnet,
};
