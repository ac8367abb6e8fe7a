//! Port address rules (`neutron/db/ipam_backend_mixin.py`, `neutron/ipam/utils.py`):
//! classifying requested fixed IPs, checking explicit addresses, EUI-64 addresses.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

use crate::error::IpamError;
use crate::mac::MacAddr;

/// Device owners that count as router ports (`neutron_lib.constants.ROUTER_PORT_OWNERS`).
pub const ROUTER_PORT_OWNERS: [&str; 5] = [
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
    "network:router_centralized_snat",
    "network:router_gateway",
];

/// True for router owners and for an unknown owner (`""`), which upstream treats alike when
/// deciding whether the IPv6 network address (Subnet-Router anycast) may be assigned.
pub fn is_router_port_owner(device_owner: &str) -> bool {
    device_owner.is_empty() || ROUTER_PORT_OWNERS.contains(&device_owner)
}

/// One entry of a port's `fixed_ips` request, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixedIpRequest<S> {
    /// `{"subnet_id": S}`: any free address of S.
    Subnet(S),
    /// `{"ip_address": A}`: the subnet is found by containment.
    Address(IpAddr),
    /// `{"subnet_id": S, "ip_address": A}`: A must be valid in S.
    SubnetAddress(S, IpAddr),
}

impl<S> FixedIpRequest<S> {
    /// Classifies a parsed entry. Neither key → `InvalidInput`
    /// "IP allocation requires subnet_id or ip_address".
    pub fn classify(subnet_id: Option<S>, ip_address: Option<IpAddr>) -> Result<Self, IpamError> {
        match (subnet_id, ip_address) {
            (Some(s), Some(a)) => Ok(FixedIpRequest::SubnetAddress(s, a)),
            (Some(s), None) => Ok(FixedIpRequest::Subnet(s)),
            (None, Some(a)) => Ok(FixedIpRequest::Address(a)),
            (None, None) => Err(IpamError::invalid_input(
                "IP allocation requires subnet_id or ip_address",
            )),
        }
    }

    /// The explicit address, if any.
    pub fn ip_address(&self) -> Option<IpAddr> {
        match self {
            FixedIpRequest::Subnet(_) => None,
            FixedIpRequest::Address(a) | FixedIpRequest::SubnetAddress(_, a) => Some(*a),
        }
    }
}

/// `check_subnet_ip`: `ip` is inside `cidr`, and is not the IPv4 network or broadcast
/// address; the IPv6 network address is allowed only for router owners (or an unknown owner).
pub fn check_subnet_ip(cidr: &IpNet, ip: IpAddr, device_owner: &str) -> bool {
    let cidr = cidr.trunc();
    if !cidr.contains(&ip) {
        return false;
    }
    match cidr {
        IpNet::V4(_) => ip != cidr.network() && ip != cidr.broadcast(),
        IpNet::V6(_) => is_router_port_owner(device_owner) || ip != cidr.network(),
    }
}

/// An explicit address on a given subnet (`{subnet_id, ip_address}`): 400
/// `InvalidIpForSubnet` when [`check_subnet_ip`] fails.
pub fn check_ip_for_subnet(cidr: &IpNet, ip: IpAddr, device_owner: &str) -> Result<(), IpamError> {
    if check_subnet_ip(cidr, ip, device_owner) {
        Ok(())
    } else {
        Err(IpamError::InvalidIpForSubnet {
            ip_address: ip.to_string(),
        })
    }
}

/// An explicit address without subnet (`{ip_address}`): the first of `subnets` (id, CIDR) on
/// which it is valid, else 400 `InvalidIpForNetwork`.
pub fn subnet_for_ip<'a, S>(
    subnets: impl IntoIterator<Item = (&'a S, &'a IpNet)>,
    ip: IpAddr,
    device_owner: &str,
) -> Result<&'a S, IpamError>
where
    S: ?Sized + 'a,
{
    subnets
        .into_iter()
        .find(|(_, cidr)| check_subnet_ip(cidr, ip, device_owner))
        .map(|(id, _)| id)
        .ok_or_else(|| IpamError::InvalidIpForNetwork {
            ip_address: ip.to_string(),
        })
}

/// The EUI-64 address of `mac` in an IPv6 `/64` prefix (RFC 4291 appendix A): the upper 64
/// bits of the prefix, the MAC with the universal/local bit flipped and `ff:fe` in the middle.
/// Returns `None` for an IPv4 prefix.
pub fn eui64_address(prefix: &IpNet, mac: MacAddr) -> Option<Ipv6Addr> {
    let IpNet::V6(p) = prefix.trunc() else {
        return None;
    };
    let o = mac.octets();
    let iid = u64::from_be_bytes([o[0] ^ 0x02, o[1], o[2], 0xff, 0xfe, o[3], o[4], o[5]]);
    let high = u128::from(p.network()) & !u128::from(u64::MAX);
    Some(Ipv6Addr::from(high | u128::from(iid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classify_entries() {
        assert_eq!(
            FixedIpRequest::classify(Some("s"), None).unwrap(),
            FixedIpRequest::Subnet("s")
        );
        assert_eq!(
            FixedIpRequest::<&str>::classify(None, Some(ip("10.0.0.3"))).unwrap(),
            FixedIpRequest::Address(ip("10.0.0.3"))
        );
        assert_eq!(
            FixedIpRequest::classify(Some("s"), Some(ip("10.0.0.3")))
                .unwrap()
                .ip_address(),
            Some(ip("10.0.0.3"))
        );
        let e = FixedIpRequest::<&str>::classify(None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid input for operation: IP allocation requires subnet_id or ip_address."
        );
    }

    #[test]
    fn subnet_ip_rules() {
        let v4 = net("10.0.0.0/24");
        assert!(check_subnet_ip(&v4, ip("10.0.0.1"), "compute:nova"));
        assert!(!check_subnet_ip(
            &v4,
            ip("10.0.0.0"),
            "network:router_interface"
        ));
        assert!(!check_subnet_ip(&v4, ip("10.0.0.255"), ""));
        assert!(!check_subnet_ip(&v4, ip("10.0.1.1"), ""));
        let v6 = net("2001:db8::/64");
        assert!(check_subnet_ip(
            &v6,
            ip("2001:db8::"),
            "network:router_interface"
        ));
        assert!(check_subnet_ip(&v6, ip("2001:db8::"), ""));
        assert!(!check_subnet_ip(&v6, ip("2001:db8::"), "compute:nova"));
        assert!(check_subnet_ip(
            &v6,
            ip("2001:db8::ffff:ffff:ffff:ffff"),
            "compute:nova"
        ));
        let e = check_ip_for_subnet(&v4, ip("10.0.0.0"), "").unwrap_err();
        assert_eq!(e.neutron_type(), "InvalidIpForSubnet");
        assert_eq!(
            e.to_string(),
            "IP address 10.0.0.0 is not a valid IP for the specified subnet."
        );
    }

    #[test]
    fn find_subnet_by_address() {
        let subnets = [
            ("a".to_string(), net("10.0.0.0/24")),
            ("b".to_string(), net("10.0.1.0/24")),
        ];
        let found = subnet_for_ip(subnets.iter().map(|(i, c)| (i, c)), ip("10.0.1.7"), "").unwrap();
        assert_eq!(found, "b");
        let e = subnet_for_ip(subnets.iter().map(|(i, c)| (i, c)), ip("10.0.2.7"), "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "IP address 10.0.2.7 is not a valid IP for any of the subnets on the specified network."
        );
        assert_eq!(e.neutron_type(), "InvalidIpForNetwork");
    }

    #[test]
    fn eui64() {
        let mac: MacAddr = "fa:16:3e:12:34:56".parse().unwrap();
        assert_eq!(
            eui64_address(&net("2001:db8:1:2::/64"), mac)
                .unwrap()
                .to_string(),
            "2001:db8:1:2:f816:3eff:fe12:3456"
        );
        let mac: MacAddr = "00:11:22:33:44:55".parse().unwrap();
        assert_eq!(
            eui64_address(&net("fe80::/64"), mac).unwrap().to_string(),
            "fe80::211:22ff:fe33:4455"
        );
        assert_eq!(eui64_address(&net("10.0.0.0/24"), mac), None);
    }
}
