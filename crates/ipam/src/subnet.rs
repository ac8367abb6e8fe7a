//! Subnet rules (`neutron/db/db_base_plugin_v2.py _validate_subnet`,
//! `neutron/db/ipam_backend_mixin.py`, `neutron/ipam/utils.py`): default gateway, default
//! allocation pools, and every create/update check with upstream's error type and message.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::IpamError;
use crate::ranges::{FreeAddresses, ip_to_u128, u128_to_ip};

/// An allocation pool `{start, end}` (inclusive). `Display` is netaddr's `IPRange` text
/// `start-end`, the form upstream puts in its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AllocationPool {
    /// First address.
    pub start: IpAddr,
    /// Last address.
    pub end: IpAddr,
}

impl AllocationPool {
    /// True when `ip` lies in `[start, end]` (same IP version).
    pub fn contains(&self, ip: IpAddr) -> bool {
        same_family(self.start, ip)
            && ip_to_u128(self.start) <= ip_to_u128(ip)
            && ip_to_u128(ip) <= ip_to_u128(self.end)
    }

    /// Number of addresses in the pool (0 if malformed).
    pub fn size(&self) -> u128 {
        let (s, e) = (ip_to_u128(self.start), ip_to_u128(self.end));
        if !same_family(self.start, self.end) || s > e {
            0
        } else {
            (e - s).saturating_add(1)
        }
    }

    fn dict_repr(&self) -> String {
        format!("{{'start': '{}', 'end': '{}'}}", self.start, self.end)
    }
}

impl fmt::Display for AllocationPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// A host route `{destination, nexthop}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostRoute {
    /// Destination network.
    pub destination: IpNet,
    /// Next hop address.
    pub nexthop: IpAddr,
}

/// IPv6 RA / address modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ipv6Mode {
    /// `slaac`
    #[serde(rename = "slaac")]
    Slaac,
    /// `dhcpv6-stateful`
    #[serde(rename = "dhcpv6-stateful")]
    Dhcpv6Stateful,
    /// `dhcpv6-stateless`
    #[serde(rename = "dhcpv6-stateless")]
    Dhcpv6Stateless,
}

impl Ipv6Mode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Ipv6Mode::Slaac => "slaac",
            Ipv6Mode::Dhcpv6Stateful => "dhcpv6-stateful",
            Ipv6Mode::Dhcpv6Stateless => "dhcpv6-stateless",
        }
    }

    /// Parses the wire value; the error is neutron-lib's `type:values` reason
    /// ("x is not in valid_values").
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "slaac" => Ok(Ipv6Mode::Slaac),
            "dhcpv6-stateful" => Ok(Ipv6Mode::Dhcpv6Stateful),
            "dhcpv6-stateless" => Ok(Ipv6Mode::Dhcpv6Stateless),
            other => Err(format!("{other} is not in valid_values")),
        }
    }

    /// SLAAC and DHCPv6-stateless subnets give EUI-64 addresses automatically.
    pub fn is_auto_address(self) -> bool {
        matches!(self, Ipv6Mode::Slaac | Ipv6Mode::Dhcpv6Stateless)
    }
}

impl fmt::Display for Ipv6Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request's `gateway_ip`: absent (server default), `null`, or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatewayChoice {
    /// Not given: IPv4 first host, IPv6 the network address.
    #[default]
    Default,
    /// `null`: no gateway.
    None,
    /// An explicit address (may lie outside the CIDR).
    Given(IpAddr),
}

/// Configurable limits (`max_dns_nameservers`, `max_subnet_host_routes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetLimits {
    /// Default 5.
    pub max_dns_nameservers: usize,
    /// Default 20.
    pub max_subnet_host_routes: usize,
}

impl Default for SubnetLimits {
    fn default() -> Self {
        SubnetLimits {
            max_dns_nameservers: 5,
            max_subnet_host_routes: 20,
        }
    }
}

/// A typed subnet create request (after the attribute validators of
/// [`crate::validate`] have parsed the values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetSpec {
    /// 4 or 6.
    pub ip_version: u8,
    /// The CIDR as given (host bits are masked by validation).
    pub cidr: IpNet,
    /// Gateway choice.
    pub gateway_ip: GatewayChoice,
    /// `None` → generated from the CIDR and gateway.
    pub allocation_pools: Option<Vec<AllocationPool>>,
    /// DNS nameservers in order.
    pub dns_nameservers: Vec<IpAddr>,
    /// Host routes.
    pub host_routes: Vec<HostRoute>,
    /// DHCP enabled (API default true).
    pub enable_dhcp: bool,
    /// IPv6 RA mode.
    pub ipv6_ra_mode: Option<Ipv6Mode>,
    /// IPv6 address mode.
    pub ipv6_address_mode: Option<Ipv6Mode>,
}

/// A subnet that passed every rule: what gets stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatedSubnet {
    /// 4 or 6.
    pub ip_version: u8,
    /// Canonical CIDR (host bits masked).
    pub cidr: IpNet,
    /// Gateway, if any.
    pub gateway_ip: Option<IpAddr>,
    /// Allocation pools, given or generated.
    pub allocation_pools: Vec<AllocationPool>,
    /// DNS nameservers in order.
    pub dns_nameservers: Vec<IpAddr>,
    /// Host routes.
    pub host_routes: Vec<HostRoute>,
    /// DHCP enabled.
    pub enable_dhcp: bool,
    /// IPv6 RA mode.
    pub ipv6_ra_mode: Option<Ipv6Mode>,
    /// IPv6 address mode.
    pub ipv6_address_mode: Option<Ipv6Mode>,
}

impl ValidatedSubnet {
    /// True for SLAAC / DHCPv6-stateless subnets (`ipv6_utils.is_auto_address_subnet`):
    /// ports get an EUI-64 address and explicit addresses are refused.
    pub fn is_auto_address(&self) -> bool {
        is_auto_address(self.ipv6_ra_mode, self.ipv6_address_mode)
    }

    /// The free addresses of this subnet given the allocated ones.
    pub fn free_addresses<I: IntoIterator<Item = IpAddr>>(&self, allocated: I) -> FreeAddresses {
        FreeAddresses::new(
            self.ip_version,
            self.allocation_pools.iter().map(|p| (p.start, p.end)),
            allocated,
        )
    }
}

/// `ipv6_utils.is_auto_address_subnet`.
pub fn is_auto_address(ra_mode: Option<Ipv6Mode>, address_mode: Option<Ipv6Mode>) -> bool {
    address_mode.is_some_and(Ipv6Mode::is_auto_address)
        || ra_mode.is_some_and(Ipv6Mode::is_auto_address)
}

/// A subnet update: `None` means "not in the request".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubnetUpdate {
    /// `Some(None)` clears the gateway.
    pub gateway_ip: Option<Option<IpAddr>>,
    /// New pools (replace the old ones).
    pub allocation_pools: Option<Vec<AllocationPool>>,
    /// New nameservers.
    pub dns_nameservers: Option<Vec<IpAddr>>,
    /// New host routes.
    pub host_routes: Option<Vec<HostRoute>>,
    /// New DHCP flag.
    pub enable_dhcp: Option<bool>,
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

fn version_of_net(n: &IpNet) -> u8 {
    match n {
        IpNet::V4(_) => 4,
        IpNet::V6(_) => 6,
    }
}

fn version_of_ip(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 4 } else { 6 }
}

fn ip_version_error(name: &str, addr: &dyn fmt::Display, ip_version: u8) -> IpamError {
    IpamError::invalid_input(format!(
        "{name} '{addr}' does not match the ip_version '{ip_version}'"
    ))
}

/// First and last integer of a network.
fn bounds(cidr: &IpNet) -> (u128, u128) {
    (ip_to_u128(cidr.network()), ip_to_u128(cidr.broadcast()))
}

/// The default gateway: IPv4 the first address after the network address, IPv6 the network
/// address itself (Subnet-Router anycast). `None` only for 255.255.255.255/32.
pub fn default_gateway(cidr: &IpNet) -> Option<IpAddr> {
    let cidr = cidr.trunc();
    match cidr {
        IpNet::V4(_) => u128_to_ip(4, ip_to_u128(cidr.network()) + 1),
        IpNet::V6(_) => Some(cidr.network()),
    }
}

/// `check_gateway_invalid_in_subnet`: inside an IPv4 CIDR the gateway may not be the network
/// or broadcast address. Gateways outside the CIDR are accepted.
pub fn gateway_invalid_in_subnet(cidr: &IpNet, gateway: IpAddr) -> bool {
    let cidr = cidr.trunc();
    cidr.contains(&gateway)
        && matches!(cidr, IpNet::V4(_))
        && (gateway == cidr.network() || gateway == cidr.broadcast())
}

/// `generate_pools`: the whole CIDR minus the network address, the IPv4 broadcast address
/// and the gateway, split around the gateway. IPv4 /31 and /32 use every address; a single
/// address network is one pool.
pub fn default_pools(cidr: &IpNet, gateway: Option<IpAddr>) -> Vec<AllocationPool> {
    let cidr = cidr.trunc();
    let version = version_of_net(&cidr);
    let (first, last) = bounds(&cidr);
    let mk = |s: u128, e: u128| -> Option<AllocationPool> {
        Some(AllocationPool {
            start: u128_to_ip(version, s)?,
            end: u128_to_ip(version, e)?,
        })
    };
    if first == last {
        return mk(first, last).into_iter().collect();
    }
    let (lo, hi) = match cidr {
        IpNet::V4(n) if n.prefix_len() > 30 => (first, last),
        IpNet::V4(_) => (first + 1, last - 1),
        IpNet::V6(_) => (first + 1, last),
    };
    let gw = gateway
        .filter(|g| same_family(*g, cidr.network()))
        .map(ip_to_u128)
        .filter(|g| (lo..=hi).contains(g));
    let pieces: Vec<(u128, u128)> = match gw {
        None => vec![(lo, hi)],
        Some(g) => {
            let mut v = Vec::new();
            if g > lo {
                v.push((lo, g - 1));
            }
            if g < hi {
                v.push((g + 1, hi));
            }
            v
        }
    };
    pieces.into_iter().filter_map(|(s, e)| mk(s, e)).collect()
}

/// `validate_allocation_pools` + `pools_to_ip_range`: each pool well-formed
/// (`InvalidAllocationPool`), inside `[first+1, last-1]` (IPv4) or `[first+1, last]` (IPv6)
/// (`OutOfBoundsAllocationPool`), and no two pools overlapping (`OverlappingAllocationPools`).
pub fn validate_pools(pools: &[AllocationPool], cidr: &IpNet) -> Result<(), IpamError> {
    let cidr = cidr.trunc();
    // Conversion to ranges first: mixed versions or start > end.
    for p in pools {
        if !same_family(p.start, p.end) || ip_to_u128(p.start) > ip_to_u128(p.end) {
            return Err(IpamError::InvalidAllocationPool {
                pool: p.dict_repr(),
            });
        }
    }
    let (first, last) = bounds(&cidr);
    let lo = first.saturating_add(1);
    let hi = if matches!(cidr, IpNet::V4(_)) {
        last.saturating_sub(1)
    } else {
        last
    };
    for p in pools {
        if !same_family(p.start, cidr.network()) {
            return Err(IpamError::InvalidAllocationPool {
                pool: p.to_string(),
            });
        }
        if ip_to_u128(p.start) < lo || ip_to_u128(p.end) > hi {
            return Err(IpamError::OutOfBoundsAllocationPool {
                pool: p.to_string(),
                subnet_cidr: cidr.to_string(),
            });
        }
    }
    for (i, a) in pools.iter().enumerate() {
        for b in &pools[i + 1..] {
            let overlap = ip_to_u128(a.start) <= ip_to_u128(b.end)
                && ip_to_u128(b.start) <= ip_to_u128(a.end);
            if overlap {
                return Err(IpamError::OverlappingAllocationPools {
                    pool_1: a.to_string(),
                    pool_2: b.to_string(),
                    subnet_cidr: cidr.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// `validate_gw_out_of_pools`: 409 `GatewayConflictWithAllocationPools` when the gateway lies
/// inside a pool.
pub fn validate_gateway_out_of_pools(
    gateway: IpAddr,
    pools: &[AllocationPool],
) -> Result<(), IpamError> {
    match pools.iter().find(|p| p.contains(gateway)) {
        Some(p) => Err(IpamError::GatewayConflictWithAllocationPools {
            ip_address: gateway.to_string(),
            pool: p.to_string(),
        }),
        None => Ok(()),
    }
}

/// Subnets with prefix length 0 break dnsmasq upstream (bug 1362651) and are refused.
fn prefix_zero_error() -> IpamError {
    IpamError::invalid_input("0 is not allowed as CIDR prefix length")
}

/// The DHCP restrictions checked when DHCP is (newly) enabled.
fn validate_dhcp_cidr(cidr: &IpNet) -> Result<(), IpamError> {
    let prefix = cidr.prefix_len();
    let too_long = match cidr {
        IpNet::V4(_) => prefix > 30,
        IpNet::V6(_) => prefix > 126,
    };
    if too_long {
        return Err(IpamError::invalid_input(
            "Subnet has a prefix length that is incompatible with DHCP service enabled",
        ));
    }
    let network = cidr.network();
    // netaddr tests the first address of the network.
    if network.is_multicast() {
        return Err(IpamError::invalid_input(
            "Multicast IP subnet is not supported if enable_dhcp is True",
        ));
    }
    if network.is_loopback() {
        return Err(IpamError::invalid_input(
            "Loopback IP subnet is not supported if enable_dhcp is True",
        ));
    }
    if matches!(cidr, IpNet::V4(_)) && ip_to_u128(network) == 0 {
        return Err(IpamError::invalid_input(
            "First IP '0.0.0.0' of network is not supported if enable_dhcp is True.",
        ));
    }
    Ok(())
}

fn validate_gateway_value(cidr: &IpNet, ip_version: u8, gw: IpAddr) -> Result<(), IpamError> {
    if version_of_ip(gw) != ip_version {
        return Err(ip_version_error("gateway_ip", &gw, ip_version));
    }
    if gateway_invalid_in_subnet(cidr, gw) {
        return Err(IpamError::invalid_input("Gateway is not valid on subnet"));
    }
    Ok(())
}

fn validate_dns_and_routes(
    ip_version: u8,
    subnet_id: &str,
    dns: Option<&[IpAddr]>,
    routes: Option<&[HostRoute]>,
    limits: &SubnetLimits,
) -> Result<(), IpamError> {
    if let Some(dns) = dns {
        if dns.len() > limits.max_dns_nameservers {
            return Err(IpamError::DnsNameServersExhausted {
                subnet_id: subnet_id.to_string(),
                quota: limits.max_dns_nameservers,
            });
        }
        for d in dns {
            if version_of_ip(*d) != ip_version {
                return Err(ip_version_error("dns_nameserver", d, ip_version));
            }
        }
    }
    if let Some(routes) = routes {
        if routes.len() > limits.max_subnet_host_routes {
            return Err(IpamError::HostRoutesExhausted {
                subnet_id: subnet_id.to_string(),
                quota: limits.max_subnet_host_routes,
            });
        }
        for r in routes {
            if version_of_ip(r.nexthop) != ip_version {
                return Err(ip_version_error("nexthop", &r.nexthop, ip_version));
            }
            if version_of_net(&r.destination) != ip_version {
                return Err(ip_version_error("destination", &r.destination, ip_version));
            }
        }
    }
    Ok(())
}

fn validate_ipv6_modes(
    ip_version: u8,
    cidr: &IpNet,
    enable_dhcp: bool,
    ra: Option<Ipv6Mode>,
    addr: Option<Ipv6Mode>,
) -> Result<(), IpamError> {
    if ip_version == 4 {
        if ra.is_some() {
            return Err(IpamError::invalid_input(
                "ipv6_ra_mode is not valid when ip_version is 4",
            ));
        }
        if addr.is_some() {
            return Err(IpamError::invalid_input(
                "ipv6_address_mode is not valid when ip_version is 4",
            ));
        }
        return Ok(());
    }
    if (ra.is_some() || addr.is_some()) && !enable_dhcp {
        return Err(IpamError::invalid_input(
            "ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False",
        ));
    }
    if let (Some(r), Some(a)) = (ra, addr)
        && r != a
    {
        return Err(IpamError::invalid_input(format!(
            "ipv6_ra_mode set to '{r}' with ipv6_address_mode set to '{a}' is not valid. If both attributes are set, they must be the same value"
        )));
    }
    if is_auto_address(ra, addr) && cidr.prefix_len() != 64 {
        return Err(IpamError::invalid_input(format!(
            "Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64"
        )));
    }
    Ok(())
}

/// Validates a subnet create request in upstream's order and returns the subnet to store:
/// CIDR version and `::`, DHCP limits, gateway, nameservers, host routes, IPv6 modes, then
/// the default gateway and pools (given pools are checked, and the gateway must lie outside
/// them), and finally the /0 prefix rule. The overlap check against the network's other
/// subnets is [`check_overlap`], called by the caller with those subnets.
pub fn validate_new_subnet(
    spec: &SubnetSpec,
    limits: &SubnetLimits,
) -> Result<ValidatedSubnet, IpamError> {
    let cidr = spec.cidr.trunc();
    let v = spec.ip_version;
    if version_of_net(&cidr) != v {
        return Err(ip_version_error("cidr", &cidr, v));
    }
    if let IpNet::V6(n) = cidr
        && n.network().is_unspecified()
    {
        return Err(IpamError::invalid_input(
            "IPv6 subnet '::' is not supported",
        ));
    }
    if spec.enable_dhcp {
        validate_dhcp_cidr(&cidr)?;
    }
    if let GatewayChoice::Given(gw) = spec.gateway_ip {
        validate_gateway_value(&cidr, v, gw)?;
    }
    validate_dns_and_routes(
        v,
        "new subnet",
        Some(&spec.dns_nameservers),
        Some(&spec.host_routes),
        limits,
    )?;
    validate_ipv6_modes(
        v,
        &cidr,
        spec.enable_dhcp,
        spec.ipv6_ra_mode,
        spec.ipv6_address_mode,
    )?;

    let gateway_ip = match spec.gateway_ip {
        GatewayChoice::Default => default_gateway(&cidr),
        GatewayChoice::None => None,
        GatewayChoice::Given(gw) => Some(gw),
    };
    let allocation_pools = match &spec.allocation_pools {
        None => default_pools(&cidr, gateway_ip),
        Some(pools) => {
            validate_pools(pools, &cidr)?;
            if let Some(gw) = gateway_ip {
                validate_gateway_out_of_pools(gw, pools)?;
            }
            pools.clone()
        }
    };
    if cidr.prefix_len() == 0 {
        return Err(prefix_zero_error());
    }
    Ok(ValidatedSubnet {
        ip_version: v,
        cidr,
        gateway_ip,
        allocation_pools,
        dns_nameservers: spec.dns_nameservers.clone(),
        host_routes: spec.host_routes.clone(),
        enable_dhcp: spec.enable_dhcp,
        ipv6_ra_mode: spec.ipv6_ra_mode,
        ipv6_address_mode: spec.ipv6_address_mode,
    })
}

/// Validates an update of `existing` (whose id is `subnet_id`) and returns the new state.
/// DHCP limits apply only when DHCP goes from off to on; disabling DHCP on a subnet with IPv6
/// modes is refused; new pools are checked; when the gateway or the pools change, the
/// gateway must lie outside the (new or old) pools. `GatewayIpInUse` (a router port holds the
/// old gateway) needs the database and is the caller's check.
pub fn validate_subnet_update(
    existing: &ValidatedSubnet,
    subnet_id: &str,
    changes: &SubnetUpdate,
    limits: &SubnetLimits,
) -> Result<ValidatedSubnet, IpamError> {
    let cidr = existing.cidr;
    let v = existing.ip_version;
    if changes.enable_dhcp == Some(true) && !existing.enable_dhcp {
        validate_dhcp_cidr(&cidr)?;
    }
    if let Some(Some(gw)) = changes.gateway_ip {
        validate_gateway_value(&cidr, v, gw)?;
    }
    validate_dns_and_routes(
        v,
        subnet_id,
        changes.dns_nameservers.as_deref(),
        changes.host_routes.as_deref(),
        limits,
    )?;
    if v == 6
        && changes.enable_dhcp == Some(false)
        && (existing.ipv6_ra_mode.is_some() || existing.ipv6_address_mode.is_some())
    {
        return Err(IpamError::invalid_input(
            "Cannot disable enable_dhcp with ipv6 attributes set",
        ));
    }
    if let Some(pools) = &changes.allocation_pools {
        validate_pools(pools, &cidr)?;
    }
    let gateway_ip = changes.gateway_ip.unwrap_or(existing.gateway_ip);
    let pools = changes
        .allocation_pools
        .clone()
        .unwrap_or_else(|| existing.allocation_pools.clone());
    if (gateway_ip != existing.gateway_ip || changes.allocation_pools.is_some())
        && let Some(gw) = gateway_ip
    {
        validate_gateway_out_of_pools(gw, &pools)?;
    }
    Ok(ValidatedSubnet {
        ip_version: v,
        cidr,
        gateway_ip,
        allocation_pools: pools,
        dns_nameservers: changes
            .dns_nameservers
            .clone()
            .unwrap_or_else(|| existing.dns_nameservers.clone()),
        host_routes: changes
            .host_routes
            .clone()
            .unwrap_or_else(|| existing.host_routes.clone()),
        enable_dhcp: changes.enable_dhcp.unwrap_or(existing.enable_dhcp),
        ipv6_ra_mode: existing.ipv6_ra_mode,
        ipv6_address_mode: existing.ipv6_address_mode,
    })
}

/// True when two networks share at least one address.
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    let (a, b) = (a.trunc(), b.trunc());
    version_of_net(&a) == version_of_net(&b)
        && (a.contains(&b.network()) || b.contains(&a.network()))
}

/// The within-network overlap check (`_validate_subnet_cidr`): refuses a /0 and any overlap
/// with `others` (the CIDRs of the network's other subnets; the provisional prefix-delegation
/// prefix `::/64` is ignored). Error (`InvalidInput`): "Requested subnet with cidr: X for
/// network: Y overlaps with another subnet".
pub fn check_overlap<I>(new: &IpNet, network_id: &str, others: I) -> Result<(), IpamError>
where
    I: IntoIterator<Item = IpNet>,
{
    let new = new.trunc();
    if new.prefix_len() == 0 {
        return Err(prefix_zero_error());
    }
    let provisional: IpNet =
        IpNet::V6(ipnet::Ipv6Net::new(std::net::Ipv6Addr::UNSPECIFIED, 64).unwrap_or_default());
    for other in others {
        if other.trunc() != provisional && overlaps(&new, &other) {
            return Err(IpamError::invalid_input(format!(
                "Requested subnet with cidr: {new} for network: {network_id} overlaps with another subnet"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "subnet_tests.rs"]
mod tests;
