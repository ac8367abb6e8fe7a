use super::*;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}
fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn pool(a: &str, b: &str) -> AllocationPool {
    AllocationPool {
        start: ip(a),
        end: ip(b),
    }
}
fn spec(cidr: &str) -> SubnetSpec {
    let cidr = net(cidr);
    SubnetSpec {
        ip_version: version_of_net(&cidr),
        cidr,
        gateway_ip: GatewayChoice::Default,
        allocation_pools: None,
        dns_nameservers: vec![],
        host_routes: vec![],
        enable_dhcp: true,
        ipv6_ra_mode: None,
        ipv6_address_mode: None,
    }
}
fn create(s: &SubnetSpec) -> Result<ValidatedSubnet, IpamError> {
    validate_new_subnet(s, &SubnetLimits::default())
}
fn err(s: &SubnetSpec) -> (String, &'static str, u16) {
    let e = create(s).unwrap_err();
    (e.to_string(), e.neutron_type(), e.status())
}
fn invalid(msg: &str) -> (String, &'static str, u16) {
    (
        format!("Invalid input for operation: {msg}."),
        "InvalidInput",
        400,
    )
}

#[test]
fn v4_defaults() {
    let s = create(&spec("10.0.0.5/24")).unwrap();
    assert_eq!(s.cidr.to_string(), "10.0.0.0/24");
    assert_eq!(s.gateway_ip, Some(ip("10.0.0.1")));
    assert_eq!(s.allocation_pools, vec![pool("10.0.0.2", "10.0.0.254")]);
}

#[test]
fn v6_defaults() {
    let s = create(&spec("2001:db8::/64")).unwrap();
    assert_eq!(s.gateway_ip, Some(ip("2001:db8::")));
    assert_eq!(
        s.allocation_pools,
        vec![pool("2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff")]
    );
}

#[test]
fn pools_split_around_gateway() {
    let mut s = spec("10.0.0.0/24");
    s.gateway_ip = GatewayChoice::Given(ip("10.0.0.100"));
    let v = create(&s).unwrap();
    assert_eq!(
        v.allocation_pools,
        vec![
            pool("10.0.0.1", "10.0.0.99"),
            pool("10.0.0.101", "10.0.0.254")
        ]
    );
    s.gateway_ip = GatewayChoice::None;
    assert_eq!(
        create(&s).unwrap().allocation_pools,
        vec![pool("10.0.0.1", "10.0.0.254")]
    );
    s.gateway_ip = GatewayChoice::Given(ip("192.168.0.1"));
    assert_eq!(
        create(&s).unwrap().allocation_pools,
        vec![pool("10.0.0.1", "10.0.0.254")]
    );
}

#[test]
fn small_v4_networks_use_all_addresses() {
    assert_eq!(
        default_pools(&net("10.0.0.0/31"), None),
        vec![pool("10.0.0.0", "10.0.0.1")]
    );
    assert_eq!(
        default_pools(&net("10.0.0.4/32"), Some(ip("10.0.0.5"))),
        vec![pool("10.0.0.4", "10.0.0.4")]
    );
    assert_eq!(
        default_pools(&net("10.0.0.0/30"), Some(ip("10.0.0.1"))),
        vec![pool("10.0.0.2", "10.0.0.2")]
    );
    assert_eq!(
        default_pools(&net("10.0.0.0/31"), Some(ip("10.0.0.1"))),
        vec![pool("10.0.0.0", "10.0.0.0")]
    );
    let mut s = spec("10.0.0.0/31");
    s.enable_dhcp = false;
    let v = create(&s).unwrap();
    assert_eq!(v.gateway_ip, Some(ip("10.0.0.1")));
    assert_eq!(v.allocation_pools, vec![pool("10.0.0.0", "10.0.0.0")]);
}

#[test]
fn version_mismatch() {
    let mut s = spec("10.0.0.0/24");
    s.ip_version = 6;
    assert_eq!(
        err(&s),
        invalid("cidr '10.0.0.0/24' does not match the ip_version '6'")
    );
    let mut s = spec("10.0.0.0/24");
    s.gateway_ip = GatewayChoice::Given(ip("2001:db8::1"));
    assert_eq!(
        err(&s),
        invalid("gateway_ip '2001:db8::1' does not match the ip_version '4'")
    );
    let mut s = spec("10.0.0.0/24");
    s.dns_nameservers = vec![ip("2001:db8::1")];
    assert_eq!(
        err(&s),
        invalid("dns_nameserver '2001:db8::1' does not match the ip_version '4'")
    );
    let mut s = spec("10.0.0.0/24");
    s.host_routes = vec![HostRoute {
        destination: net("10.1.0.0/16"),
        nexthop: ip("::1"),
    }];
    assert_eq!(
        err(&s),
        invalid("nexthop '::1' does not match the ip_version '4'")
    );
    s.host_routes = vec![HostRoute {
        destination: net("2001:db8::/64"),
        nexthop: ip("10.0.0.1"),
    }];
    assert_eq!(
        err(&s),
        invalid("destination '2001:db8::/64' does not match the ip_version '4'")
    );
}

#[test]
fn prefix_zero_and_unspecified_v6() {
    let mut s = spec("0.0.0.0/0");
    s.enable_dhcp = false;
    assert_eq!(err(&s), invalid("0 is not allowed as CIDR prefix length"));
    let mut s = spec("::/64");
    s.enable_dhcp = false;
    assert_eq!(err(&s), invalid("IPv6 subnet '::' is not supported"));
}

#[test]
fn dhcp_limits() {
    let msg = "Subnet has a prefix length that is incompatible with DHCP service enabled";
    assert_eq!(err(&spec("10.0.0.0/31")), invalid(msg));
    assert!(create(&spec("10.0.0.0/30")).is_ok());
    assert_eq!(err(&spec("2001:db8::/127")), invalid(msg));
    assert!(create(&spec("2001:db8::/126")).is_ok());
    assert_eq!(
        err(&spec("224.0.0.0/24")),
        invalid("Multicast IP subnet is not supported if enable_dhcp is True")
    );
    assert_eq!(
        err(&spec("ff00::/64")),
        invalid("Multicast IP subnet is not supported if enable_dhcp is True")
    );
    assert_eq!(
        err(&spec("127.0.0.0/8")),
        invalid("Loopback IP subnet is not supported if enable_dhcp is True")
    );
    assert_eq!(
        err(&spec("0.0.0.0/8")),
        invalid("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.")
    );
    let mut s = spec("127.0.0.0/8");
    s.enable_dhcp = false;
    assert!(create(&s).is_ok());
}

#[test]
fn gateway_validity() {
    let mut s = spec("10.0.0.0/24");
    for bad in ["10.0.0.0", "10.0.0.255"] {
        s.gateway_ip = GatewayChoice::Given(ip(bad));
        assert_eq!(err(&s), invalid("Gateway is not valid on subnet"));
    }
    // outside the CIDR is fine; IPv6 network address is fine
    s.gateway_ip = GatewayChoice::Given(ip("10.0.1.1"));
    assert!(create(&s).is_ok());
    let mut s = spec("2001:db8::/64");
    s.gateway_ip = GatewayChoice::Given(ip("2001:db8::"));
    assert!(create(&s).is_ok());
}

#[test]
fn gateway_in_pool_conflicts() {
    let mut s = spec("10.0.0.0/24");
    s.allocation_pools = Some(vec![pool("10.0.0.1", "10.0.0.10")]);
    assert_eq!(
        err(&s),
        (
            "Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.10.".into(),
            "GatewayConflictWithAllocationPools",
            409
        )
    );
    s.gateway_ip = GatewayChoice::None;
    assert!(create(&s).is_ok());
}

#[test]
fn pool_rules() {
    let mut s = spec("10.0.0.0/24");
    s.allocation_pools = Some(vec![pool("10.0.0.2", "10.0.0.255")]);
    assert_eq!(
        err(&s),
        (
            "The allocation pool 10.0.0.2-10.0.0.255 spans beyond the subnet cidr 10.0.0.0/24."
                .into(),
            "OutOfBoundsAllocationPool",
            400
        )
    );
    s.allocation_pools = Some(vec![pool("10.0.0.0", "10.0.0.5")]);
    assert_eq!(err(&s).1, "OutOfBoundsAllocationPool");
    s.allocation_pools = Some(vec![
        pool("10.0.0.2", "10.0.0.10"),
        pool("10.0.0.10", "10.0.0.20"),
    ]);
    assert_eq!(
        err(&s),
        (
            "Found overlapping allocation pools: 10.0.0.2-10.0.0.10 10.0.0.10-10.0.0.20 for subnet 10.0.0.0/24.".into(),
            "OverlappingAllocationPools",
            409
        )
    );
    s.allocation_pools = Some(vec![pool("10.0.0.9", "10.0.0.2")]);
    assert_eq!(
        err(&s),
        (
            "The allocation pool {'start': '10.0.0.9', 'end': '10.0.0.2'} is not valid.".into(),
            "InvalidAllocationPool",
            400
        )
    );
    s.allocation_pools = Some(vec![pool("2001:db8::2", "2001:db8::9")]);
    assert_eq!(
        err(&s),
        (
            "The allocation pool 2001:db8::2-2001:db8::9 is not valid.".into(),
            "InvalidAllocationPool",
            400
        )
    );
    s.allocation_pools = Some(vec![
        pool("10.0.0.2", "10.0.0.9"),
        pool("10.0.0.20", "10.0.0.254"),
    ]);
    let v = create(&s).unwrap();
    assert_eq!(v.allocation_pools.len(), 2);
    // IPv6 pools may end at the last address
    let mut s = spec("2001:db8::/64");
    s.allocation_pools = Some(vec![pool("2001:db8::2", "2001:db8::ffff:ffff:ffff:ffff")]);
    assert!(create(&s).is_ok());
}

#[test]
fn limits() {
    let mut s = spec("10.0.0.0/24");
    s.dns_nameservers = (1..=6).map(|i| ip(&format!("8.8.8.{i}"))).collect();
    assert_eq!(
        err(&s),
        (
            "Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5.".into(),
            "DNSNameServersExhausted",
            400
        )
    );
    let mut s = spec("10.0.0.0/24");
    s.host_routes = (0..21)
        .map(|i| HostRoute {
            destination: net(&format!("10.{}.0.0/16", i + 1)),
            nexthop: ip("10.0.0.1"),
        })
        .collect();
    assert_eq!(
        err(&s),
        (
            "Unable to complete operation for new subnet. The number of host routes exceeds the limit 20.".into(),
            "HostRoutesExhausted",
            400
        )
    );
    let lim = SubnetLimits {
        max_dns_nameservers: 1,
        max_subnet_host_routes: 30,
    };
    assert!(validate_new_subnet(&s, &lim).is_ok());
}

#[test]
fn ipv6_modes() {
    let mut s = spec("10.0.0.0/24");
    s.ipv6_ra_mode = Some(Ipv6Mode::Slaac);
    assert_eq!(
        err(&s),
        invalid("ipv6_ra_mode is not valid when ip_version is 4")
    );
    s.ipv6_ra_mode = None;
    s.ipv6_address_mode = Some(Ipv6Mode::Slaac);
    assert_eq!(
        err(&s),
        invalid("ipv6_address_mode is not valid when ip_version is 4")
    );

    let mut s = spec("2001:db8::/64");
    s.ipv6_ra_mode = Some(Ipv6Mode::Slaac);
    s.enable_dhcp = false;
    assert_eq!(
        err(&s),
        invalid("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False")
    );
    s.enable_dhcp = true;
    s.ipv6_address_mode = Some(Ipv6Mode::Dhcpv6Stateful);
    assert_eq!(
        err(&s),
        invalid(
            "ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value"
        )
    );
    s.ipv6_address_mode = Some(Ipv6Mode::Slaac);
    assert!(create(&s).unwrap().is_auto_address());
    let mut s = spec("2001:db8::/80");
    s.ipv6_address_mode = Some(Ipv6Mode::Dhcpv6Stateless);
    assert_eq!(
        err(&s),
        invalid(
            "Invalid CIDR 2001:db8::/80 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64"
        )
    );
    s.ipv6_address_mode = Some(Ipv6Mode::Dhcpv6Stateful);
    assert!(create(&s).is_ok());
    assert_eq!(
        Ipv6Mode::parse("foo"),
        Err("foo is not in valid_values".into())
    );
    assert_eq!(
        Ipv6Mode::parse("dhcpv6-stateless"),
        Ok(Ipv6Mode::Dhcpv6Stateless)
    );
}

#[test]
fn overlap_check() {
    assert!(overlaps(&net("10.0.0.0/24"), &net("10.0.0.128/25")));
    assert!(overlaps(&net("10.0.0.128/25"), &net("10.0.0.0/16")));
    assert!(!overlaps(&net("10.0.0.0/24"), &net("10.0.1.0/24")));
    assert!(!overlaps(&net("10.0.0.0/24"), &net("::/0")));
    let e = check_overlap(&net("10.0.0.0/24"), "net-1", [net("10.0.0.0/16")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid input for operation: Requested subnet with cidr: 10.0.0.0/24 for network: net-1 overlaps with another subnet."
    );
    assert!(
        check_overlap(
            &net("2001:db8::/64"),
            "n",
            [net("::/64"), net("10.0.0.0/8")]
        )
        .is_ok()
    );
    assert!(check_overlap(&net("0.0.0.0/0"), "n", []).is_err());
}

fn existing() -> ValidatedSubnet {
    create(&spec("10.0.0.0/24")).unwrap()
}

#[test]
fn update_gateway_and_pools() {
    let ex = existing();
    let lim = SubnetLimits::default();
    // moving the gateway into the existing pool conflicts
    let ch = SubnetUpdate {
        gateway_ip: Some(Some(ip("10.0.0.50"))),
        ..Default::default()
    };
    let e = validate_subnet_update(&ex, "sid", &ch, &lim).unwrap_err();
    assert_eq!(e.neutron_type(), "GatewayConflictWithAllocationPools");
    assert_eq!(
        e.to_string(),
        "Gateway ip 10.0.0.50 conflicts with allocation pool 10.0.0.2-10.0.0.254."
    );
    // with new pools that leave room, fine
    let ch = SubnetUpdate {
        gateway_ip: Some(Some(ip("10.0.0.50"))),
        allocation_pools: Some(vec![pool("10.0.0.100", "10.0.0.200")]),
        ..Default::default()
    };
    let v = validate_subnet_update(&ex, "sid", &ch, &lim).unwrap();
    assert_eq!(v.gateway_ip, Some(ip("10.0.0.50")));
    assert_eq!(v.allocation_pools, vec![pool("10.0.0.100", "10.0.0.200")]);
    // new pools containing the unchanged gateway
    let ch = SubnetUpdate {
        allocation_pools: Some(vec![pool("10.0.0.1", "10.0.0.9")]),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap_err()
            .status(),
        409
    );
    // invalid gateway
    let ch = SubnetUpdate {
        gateway_ip: Some(Some(ip("10.0.0.255"))),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap_err()
            .to_string(),
        "Invalid input for operation: Gateway is not valid on subnet."
    );
    // clearing the gateway
    let ch = SubnetUpdate {
        gateway_ip: Some(None),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap()
            .gateway_ip,
        None
    );
    // pools out of bounds
    let ch = SubnetUpdate {
        allocation_pools: Some(vec![pool("10.0.0.2", "10.0.1.9")]),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap_err()
            .neutron_type(),
        "OutOfBoundsAllocationPool"
    );
}

#[test]
fn update_dns_routes_dhcp() {
    let lim = SubnetLimits::default();
    let mut ex = existing();
    let ch = SubnetUpdate {
        dns_nameservers: Some((1..=6).map(|i| ip(&format!("8.8.8.{i}"))).collect()),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap_err()
            .to_string(),
        "Unable to complete operation for sid. The number of DNS nameservers exceeds the limit 5."
    );
    let ch = SubnetUpdate {
        dns_nameservers: Some(vec![ip("1.1.1.1")]),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap()
            .dns_nameservers,
        vec![ip("1.1.1.1")]
    );
    let ch = SubnetUpdate {
        host_routes: Some(vec![HostRoute {
            destination: net("10.9.0.0/16"),
            nexthop: ip("10.0.0.9"),
        }]),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap()
            .host_routes
            .len(),
        1
    );

    // turning DHCP on re-checks the CIDR; already-on does not
    ex.cidr = net("10.0.0.0/31");
    ex.allocation_pools = default_pools(&ex.cidr, None);
    ex.gateway_ip = None;
    ex.enable_dhcp = false;
    let ch = SubnetUpdate {
        enable_dhcp: Some(true),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&ex, "sid", &ch, &lim)
            .unwrap_err()
            .neutron_type(),
        "InvalidInput"
    );
    ex.enable_dhcp = true;
    assert!(validate_subnet_update(&ex, "sid", &ch, &lim).is_ok());

    let mut s = spec("2001:db8::/64");
    s.ipv6_ra_mode = Some(Ipv6Mode::Slaac);
    let v6 = create(&s).unwrap();
    let ch = SubnetUpdate {
        enable_dhcp: Some(false),
        ..Default::default()
    };
    assert_eq!(
        validate_subnet_update(&v6, "sid", &ch, &lim)
            .unwrap_err()
            .to_string(),
        "Invalid input for operation: Cannot disable enable_dhcp with ipv6 attributes set."
    );
}

#[test]
fn free_addresses_from_subnet() {
    let v = existing();
    let f = v.free_addresses([ip("10.0.0.2"), ip("10.0.0.1")]);
    assert_eq!(f.free_count(), 252);
    assert!(!f.contains(ip("10.0.0.2")));
    assert!(f.contains(ip("10.0.0.3")));
}
