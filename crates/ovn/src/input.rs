//! What the mapping reads: the parts of Neutron's resources that reach OVN, in plain structs the
//! caller fills from its model (`neutrino-network`'s `Network`, `Subnet`, `Port`).
//!
//! The crate does not depend on `neutrino-network`: that would pull the store and both SQL engines
//! into the back end's build, and the mapping needs a few facts the stored resources do not hold
//! (a network's segment id, a subnet's DHCP server MAC). The caller converts; the mapping stays a
//! pure function of these values.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

/// A network (`provider:*` attributes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSpec {
    pub id: String,
    pub name: String,
    pub revision_number: u64,
    pub mtu: u32,
    /// `provider:network_type`: `geneve`, `vxlan`, `flat`, `vlan`, `local`.
    pub network_type: String,
    /// `provider:physical_network` of a flat or VLAN network.
    pub physical_network: Option<String>,
    /// `provider:segmentation_id`: the VLAN id of a VLAN network (the VNI of an overlay one).
    pub segmentation_id: Option<i64>,
    /// The id that names the provider network's localnet port `provnet-<segment_id>`; upstream uses
    /// the network segment's id. A caller without segments passes the network id.
    pub segment_id: String,
    pub availability_zone_hints: Vec<String>,
    /// `dns_domain` of the network: `domain_name` in DHCP when not empty.
    pub dns_domain: String,
    /// Its QoS policy: the policy of its ports that have none of their own.
    pub qos_policy_id: Option<String>,
    /// `vlan_transparent`: tagged frames pass the switch as they are (`vlan-passthru`).
    pub vlan_transparent: bool,
    /// `qinq`: as `vlan_transparent`, and the localnet port tags with 802.1ad.
    pub qinq: bool,
}

impl NetworkSpec {
    /// A flat or VLAN network, which reaches a physical network through a localnet port.
    pub fn is_provider(&self) -> bool {
        self.physical_network.is_some() && matches!(self.network_type.as_str(), "flat" | "vlan")
    }
}

/// `ipv6_address_mode` of a subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv6AddressMode {
    Slaac,
    Dhcpv6Stateful,
    Dhcpv6Stateless,
}

/// A host route of a subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRoute {
    pub destination: IpNet,
    pub nexthop: IpAddr,
}

/// A subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetSpec {
    pub id: String,
    pub network_id: String,
    pub revision_number: u64,
    pub cidr: IpNet,
    pub gateway_ip: Option<IpAddr>,
    pub enable_dhcp: bool,
    pub dns_nameservers: Vec<IpAddr>,
    pub host_routes: Vec<HostRoute>,
    pub ipv6_address_mode: Option<Ipv6AddressMode>,
    /// `ipv6_ra_mode`: the router port sends router advertisements in this mode.
    pub ipv6_ra_mode: Option<Ipv6AddressMode>,
}

impl SubnetSpec {
    pub fn is_ipv4(&self) -> bool {
        matches!(self.cidr, IpNet::V4(_))
    }
}

/// A fixed IP of a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedIp {
    pub subnet_id: String,
    pub ip_address: IpAddr,
}

/// An allowed address pair: an address (or CIDR) and the MAC it may come from (the port's own MAC
/// when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressPair {
    pub ip_address: IpNet,
    pub mac_address: Option<String>,
}

/// A port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub id: String,
    pub name: String,
    pub network_id: String,
    pub project_id: String,
    pub revision_number: u64,
    pub admin_state_up: bool,
    pub mac_address: String,
    pub fixed_ips: Vec<FixedIp>,
    pub device_id: String,
    pub device_owner: String,
    pub port_security_enabled: bool,
    pub security_groups: Vec<String>,
    pub allowed_address_pairs: Vec<AddressPair>,
    /// `binding:host_id` (empty when unbound).
    pub host_id: String,
    /// `binding:vnic_type`.
    pub vnic_type: String,
    /// A trunk's sub-port: the parent port and the VLAN tag that tells its traffic apart on the
    /// parent (`binding:profile` `parent_name` and `tag`, as the trunk rules write them).
    pub trunk_parent: Option<TrunkParent>,
    /// `binding:profile` `capabilities` (e.g. `switchdev`, which `hardware_offload_type` adds).
    pub capabilities: Vec<String>,
    /// Its own QoS policy (`qos_policy_id`).
    pub qos_policy_id: Option<String>,
}

/// Where a sub-port's traffic arrives: on `parent`'s Logical_Switch_Port, tagged `tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrunkParent {
    /// The parent's port id (the name of its Logical_Switch_Port).
    pub parent: String,
    pub tag: i64,
}

/// A router. Its interfaces and gateway are the ports whose `device_id` is the router and whose
/// `device_owner` is `network:router_interface` or `network:router_gateway`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterSpec {
    pub id: String,
    pub name: String,
    pub revision_number: u64,
    pub admin_state_up: bool,
    pub availability_zone_hints: Vec<String>,
    /// `external_gateway_info.enable_snat`: one SNAT per gateway IPv4 address.
    pub enable_snat: bool,
    /// `routes`: extra static routes.
    pub routes: Vec<HostRoute>,
    /// The addresses of `external_gateway_info`: they name the compatibility gateway port
    /// (upstream's `gw_port_id`), the one with the default route when the router has several
    /// gateways and no ECMP.
    pub gateway_ips: Vec<IpAddr>,
    /// `enable_default_route_ecmp`: a default route through every gateway.
    pub enable_default_route_ecmp: bool,
    /// `enable_default_route_bfd`: each default route leaves through its gateway port
    /// (`output_port`) and is watched by a `BFD` session with its nexthop.
    pub enable_default_route_bfd: bool,
    /// The gateway chassis an administrator scheduled by hand, with their priorities
    /// (`l3-agent-scheduler-ha-chassis-priority`); `None`: computed by [`crate::gateway_priorities`].
    pub gateway_schedule: Option<Vec<(String, i64)>>,
}

/// A floating IP. It becomes a NAT row only while associated (`port_id`, `fixed_ip_address` and
/// `router_id` set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloatingIpSpec {
    pub id: String,
    pub revision_number: u64,
    pub floating_ip_address: IpAddr,
    pub floating_network_id: String,
    /// The MAC of the floating IP's own port on the external network.
    pub floating_port_mac: String,
    pub router_id: Option<String>,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<IpAddr>,
    /// Its port forwardings (a floating IP has them only while it has no `port_id`); they reach
    /// OVN through `router_id`, the router they were made on.
    pub port_forwardings: Vec<PortForwardingSpec>,
}

/// A port forwarding of a floating IP: `protocol` (`tcp` or `udp`) traffic to the floating IP's
/// ports `external` goes to `internal_ip` at `internal` (as many ports, or one for all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortForwardingSpec {
    pub protocol: String,
    pub internal_ip: IpAddr,
    /// Inclusive port ranges; a single port is a range of one.
    pub external: (u16, u16),
    pub internal: (u16, u16),
}

/// Everything the desired state is made from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resources<'a> {
    pub networks: &'a [NetworkSpec],
    pub subnets: &'a [SubnetSpec],
    pub ports: &'a [PortSpec],
    pub routers: &'a [RouterSpec],
    pub security_groups: &'a [SecurityGroupSpec],
    /// Address groups, which rules name as `remote_address_group_id`.
    pub address_groups: &'a [AddressGroupSpec],
    pub floating_ips: &'a [FloatingIpSpec],
    /// The chassis that may host router gateways (`enable-chassis-as-gw` in the Southbound
    /// `Chassis` row's `ovn-cms-options`).
    pub gateway_chassis: &'a [GatewayChassis],
    /// The QoS policies networks and ports name.
    pub qos_policies: &'a [QosPolicySpec],
    /// Network logs, oldest first: of two logs covering one security group, the older names
    /// its ACLs.
    pub logs: &'a [LogSpec],
}

impl<'a> Resources<'a> {
    /// The networks by id.
    pub fn networks_by_id(&self) -> BTreeMap<&'a str, &'a NetworkSpec> {
        self.networks.iter().map(|n| (n.id.as_str(), n)).collect()
    }
}

/// A QoS policy, with the rules OVN realises.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QosPolicySpec {
    pub id: String,
    pub rules: Vec<QosRuleSpec>,
}

/// A QoS rule OVN realises in a `QoS` row (minimum bandwidth and packet rates are Placement's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QosRuleSpec {
    /// `bandwidth_limit`: kbit/s and burst in kbit.
    BandwidthLimit {
        direction: Direction,
        max_kbps: i64,
        max_burst_kbps: i64,
    },
    /// `dscp_marking` of the port's egress traffic.
    DscpMarking { dscp_mark: i64 },
}

/// A chassis that may host router gateways, and the availability zones it declares
/// (`availability-zones=az1:az2` in its `ovn-cms-options`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct GatewayChassis {
    pub name: String,
    pub zones: Vec<String>,
}

impl GatewayChassis {
    /// Whether a router with these availability zone hints may have its gateway here: any
    /// chassis without hints, else one in a hinted zone.
    pub fn serves(&self, hints: &[String]) -> bool {
        hints.is_empty() || self.zones.iter().any(|z| hints.contains(z))
    }

    /// A chassis in no zone.
    pub fn named(name: &str) -> GatewayChassis {
        GatewayChassis {
            name: name.to_owned(),
            zones: Vec::new(),
        }
    }
}

/// Settings of the mapping that come from configuration, not from a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingConfig {
    /// DHCPv4 `lease_time`, seconds (upstream's default: 43200).
    pub dhcp_lease_time: u32,
    /// DNS servers handed out when a subnet names none (upstream's `[ovn] dns_servers`).
    pub dns_servers: Vec<IpAddr>,
    /// Floating IPs of bound ports are translated on the port's chassis (`external_mac` and
    /// `logical_port` set) rather than on the gateway (upstream's `enable_distributed_floating_ip`).
    pub distributed_floating_ips: bool,
    /// Packets per second the ACL log meter lets through (upstream's `[network_log]
    /// rate_limit`).
    pub log_rate_limit: i64,
    /// The meter's burst, packets (upstream's `[network_log] burst_limit`).
    pub log_burst_limit: i64,
}

impl Default for MappingConfig {
    fn default() -> Self {
        MappingConfig {
            dhcp_lease_time: 43200,
            dns_servers: Vec::new(),
            distributed_floating_ips: false,
            log_rate_limit: 100,
            log_burst_limit: 25,
        }
    }
}

/// `direction` of a security group rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// A security group rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroupRuleSpec {
    pub id: String,
    pub direction: Direction,
    /// `ethertype`: true for IPv6.
    pub ipv6: bool,
    /// The IP protocol number (`None`: any). The caller turns the API's names into numbers
    /// (`tcp` is 6, `vrrp` 112): OVN's `ip.proto` takes only numbers.
    pub protocol: Option<u8>,
    pub port_range_min: Option<u32>,
    pub port_range_max: Option<u32>,
    pub remote_ip_prefix: Option<IpNet>,
    pub remote_group_id: Option<String>,
    pub remote_address_group_id: Option<String>,
}

/// A security group and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroupSpec {
    pub id: String,
    pub revision_number: u64,
    /// `stateful`: ACLs `allow-related` when true, `allow-stateless` otherwise.
    pub stateful: bool,
    pub rules: Vec<SecurityGroupRuleSpec>,
}

/// An address group: the CIDRs a rule naming it as its remote matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressGroupSpec {
    pub id: String,
    pub revision_number: u64,
    pub addresses: Vec<IpNet>,
}

/// Which packets a network log records (`event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogEvent {
    /// Packets an ACL lets through.
    Accept,
    /// Packets the drop ACLs drop.
    Drop,
    All,
}

/// A network log of security groups (`resource_type` `security_group`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSpec {
    pub id: String,
    pub event: LogEvent,
    pub enabled: bool,
    /// The security group it logs; none: every group (or the groups of `target_id`).
    pub resource_id: Option<String>,
    /// The port whose groups it logs.
    pub target_id: Option<String>,
}
