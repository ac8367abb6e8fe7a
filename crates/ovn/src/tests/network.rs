//! Networks, subnets and ports against the rows upstream wrote for them.

use super::*;

#[test]
fn a_tenant_network_is_a_logical_switch_as_upstream_writes_it() {
    let rows = network_rows(&probe_net());
    assert_eq!(rows.len(), 1, "no localnet port for a geneve network");
    let ls = &rows[0];
    assert_eq!(
        ls.id,
        RowId::new(table::LOGICAL_SWITCH, format!("neutron-{NET}"))
    );
    assert_eq!(ls.string("name"), Some(format!("neutron-{NET}").as_str()));
    assert_eq!(
        map(ls, "external_ids"),
        expect_map(&[
            ("neutron:availability_zone_hints", ""),
            ("neutron:mtu", "1442"),
            ("neutron:network_name", "probe-net"),
            ("neutron:provnet-network-type", "geneve"),
            ("neutron:revision_number", "1"),
        ])
    );
    assert_eq!(
        map(ls, "other_config"),
        expect_map(&[
            ("mcast_flood_unregistered", "false"),
            ("mcast_snoop", "false"),
            ("vlan-passthru", "false"),
        ])
    );
    assert_eq!(ls.revision, Some(1));
}

#[test]
fn a_flat_provider_network_gets_a_localnet_port() {
    let rows = network_rows(&public_net());
    let [ls, localnet] = rows.as_slice() else {
        panic!("expected a switch and a localnet port: {rows:?}");
    };
    assert_eq!(
        map(ls, "external_ids"),
        expect_map(&[
            ("neutron:availability_zone_hints", ""),
            ("neutron:mtu", "1500"),
            ("neutron:network_name", "public"),
            ("neutron:provnet-network-type", "flat"),
            ("neutron:provnet-physical-network", "public"),
            ("neutron:revision_number", "2"),
        ])
    );
    assert_eq!(
        map(ls, "other_config"),
        expect_map(&[
            ("broadcast-arps-to-all-routers", "true"),
            ("fdb_age_threshold", "300"),
            ("mcast_flood_unregistered", "false"),
            ("mcast_snoop", "false"),
            ("vlan-passthru", "false"),
        ])
    );
    assert_eq!(
        localnet.string("name"),
        Some("provnet-60e744dd-7eef-43ee-a094-d51df9239cee")
    );
    assert_eq!(localnet.string("type"), Some("localnet"));
    assert_eq!(localnet.strings("addresses"), vec!["unknown"]);
    assert_eq!(localnet.columns["tag"], Value::empty());
    assert_eq!(
        map(localnet, "options"),
        expect_map(&[
            ("localnet_learn_fdb", "false"),
            ("mcast_flood", "false"),
            ("mcast_flood_reports", "true"),
            ("network_name", "public"),
        ])
    );
    assert_eq!(
        map(localnet, "external_ids"),
        expect_map(&[("neutron:provnet-physical-network", "public")])
    );
    assert_eq!(localnet.parent.as_ref(), Some(&ls.id));
}

#[test]
fn a_vlan_network_tags_its_localnet_port() {
    let mut net = public_net();
    net.network_type = "vlan".into();
    net.segmentation_id = Some(101);
    let rows = network_rows(&net);
    assert_eq!(
        rows[0].map_entry("external_ids", "neutron:provnet-segmentation-id"),
        Some("101")
    );
    assert_eq!(rows[1].columns["tag"], Value::Set(vec![Atom::Integer(101)]));
    assert_eq!(
        rows[0].map_entry("other_config", "vlan-passthru"),
        Some("false")
    );
    assert_eq!(rows[1].map_entry("options", "ethtype"), None);
}

#[test]
fn vlan_transparent_and_qinq_networks_pass_tagged_frames() {
    let mut net = probe_net();
    net.vlan_transparent = true;
    let rows = network_rows(&net);
    assert_eq!(
        rows[0].map_entry("other_config", "vlan-passthru"),
        Some("true")
    );
    let mut net = public_net();
    net.network_type = "vlan".into();
    net.segmentation_id = Some(7);
    net.qinq = true;
    let rows = network_rows(&net);
    assert_eq!(
        rows[0].map_entry("other_config", "vlan-passthru"),
        Some("true")
    );
    assert_eq!(rows[1].map_entry("options", "ethtype"), Some("802.1ad"));
}

#[test]
fn an_ipv4_subnet_is_dhcpv4_options_as_upstream_writes_them() {
    let row = subnet_row(&MappingConfig::default(), &subnet_v4(), &probe_net()).unwrap();
    assert_eq!(row.id, RowId::new(table::DHCP_OPTIONS, SUBNET4));
    assert_eq!(row.string("cidr"), Some("10.10.0.0/24"));
    assert_eq!(
        map(&row, "external_ids"),
        expect_map(&[
            ("neutron:network_id", NET),
            ("neutron:revision_number", "0"),
            ("subnet_id", SUBNET4),
        ])
    );
    let server_mac = dhcp_server_mac(SUBNET4);
    assert!(server_mac.starts_with("fa:16:3e:") && server_mac.len() == 17);
    assert_eq!(
        map(&row, "options"),
        expect_map(&[
            (
                "classless_static_route",
                "{192.0.2.0/24,10.10.0.254, 0.0.0.0/0,10.10.0.1}"
            ),
            ("dns_server", "{192.0.2.53}"),
            ("lease_time", "43200"),
            ("mtu", "1442"),
            ("router", "10.10.0.1"),
            ("server_id", "10.10.0.1"),
            ("server_mac", &server_mac),
        ])
    );
    assert_ne!(dhcp_server_mac(SUBNET6), server_mac);
}

#[test]
fn dhcpv4_domain_and_default_dns_servers() {
    let mut net = probe_net();
    net.dns_domain = "example.org.".into();
    let mut subnet = subnet_v4();
    subnet.dns_nameservers.clear();
    subnet.host_routes.clear();
    let config = MappingConfig {
        dhcp_lease_time: 600,
        dns_servers: vec!["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()],
        distributed_floating_ips: false,
        ..MappingConfig::default()
    };
    let row = subnet_row(&config, &subnet, &net).unwrap();
    assert_eq!(
        row.map_entry("options", "domain_name"),
        Some("\"example.org\"")
    );
    assert_eq!(row.map_entry("options", "dns_server"), Some("{192.0.2.1}"));
    assert_eq!(row.map_entry("options", "lease_time"), Some("600"));
    assert_eq!(row.map_entry("options", "classless_static_route"), None);
    subnet.enable_dhcp = false;
    assert_eq!(subnet_row(&config, &subnet, &net), None);
}

#[test]
fn ipv6_subnets_get_dhcpv6_options_only_when_stateful_or_stateless() {
    let config = MappingConfig::default();
    let net = probe_net();
    assert_eq!(
        subnet_row(&config, &subnet_v6(Ipv6AddressMode::Slaac), &net),
        None
    );
    let mut stateless = subnet_v6(Ipv6AddressMode::Dhcpv6Stateless);
    stateless.dns_nameservers = vec!["2001:db8::53".parse().unwrap()];
    let row = subnet_row(&config, &stateless, &net).unwrap();
    assert_eq!(row.string("cidr"), Some("2001:db8:10::/64"));
    assert_eq!(
        map(&row, "options"),
        expect_map(&[
            ("dhcpv6_stateless", "true"),
            ("dns_server", "{2001:db8::53}"),
            ("server_id", &dhcp_server_mac(SUBNET6)),
        ])
    );
    let stateful = subnet_row(&config, &subnet_v6(Ipv6AddressMode::Dhcpv6Stateful), &net).unwrap();
    assert_eq!(stateful.map_entry("options", "dhcpv6_stateless"), None);
}

#[test]
fn a_vm_port_is_a_logical_switch_port_as_upstream_writes_it() {
    let subnets = subnets();
    let ports = vec![port_sg()];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(
        row.string("name"),
        Some("d3d6fd22-39aa-43fe-9c80-5e00db573640")
    );
    assert_eq!(row.string("type"), Some(""));
    let entry = "fa:16:3e:c3:1d:db 10.10.0.10 2001:db8:10:0:f816:3eff:fec3:1ddb";
    assert_eq!(row.strings("addresses"), vec![entry]);
    assert_eq!(row.strings("port_security"), vec![entry]);
    assert_eq!(
        row.columns["enabled"],
        Value::Set(vec![Atom::Boolean(true)])
    );
    assert_eq!(map(&row, "options"), BTreeMap::new());
    assert_eq!(
        row.refs["dhcpv4_options"],
        vec![RowId::new(table::DHCP_OPTIONS, SUBNET4)]
    );
    assert_eq!(row.refs["dhcpv6_options"], vec![], "SLAAC: no DHCPv6");
    assert_eq!(
        map(&row, "external_ids"),
        expect_map(&[("neutron:revision_number", "1")]),
        "only the revision: upstream's copies of the port are left out"
    );
    assert_eq!(
        row.parent,
        Some(RowId::new(table::LOGICAL_SWITCH, format!("neutron-{NET}")))
    );
}

#[test]
fn port_security_off_adds_unknown_and_drops_port_security() {
    let subnets = subnets();
    let mut nosec = port(
        "724ad2ea-6f82-40d3-8660-2abad64ba54c",
        "probe-port-nosec",
        "fa:16:3e:4b:96:62",
        "10.10.0.147",
        "2001:db8:10:0:f816:3eff:fe4b:9662",
    );
    nosec.port_security_enabled = false;
    nosec.admin_state_up = false;
    let ports = vec![nosec];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(
        sorted(row.strings("addresses")),
        vec![
            "fa:16:3e:4b:96:62 10.10.0.147 2001:db8:10:0:f816:3eff:fe4b:9662",
            "unknown"
        ]
    );
    assert!(row.strings("port_security").is_empty());
    assert_eq!(
        row.columns["enabled"],
        Value::Set(vec![Atom::Boolean(false)])
    );
}

#[test]
fn allowed_address_pairs_with_another_mac_as_upstream_writes_them() {
    let subnets = subnets();
    let ports = vec![port_aap()];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(
        sorted(row.strings("addresses")),
        vec![
            "fa:16:3e:00:00:01",
            "fa:16:3e:96:be:cd 10.10.0.185 2001:db8:10:0:f816:3eff:fe96:becd"
        ]
    );
    assert_eq!(
        sorted(row.strings("port_security")),
        vec![
            "VRRPv3 fa:16:3e:96:be:cd fa:16:3e:00:00:01 10.10.0.200",
            "fa:16:3e:00:00:01 10.10.0.200",
            "fa:16:3e:96:be:cd 10.10.0.185 2001:db8:10:0:f816:3eff:fe96:becd",
        ]
    );
    assert_eq!(
        row.string("type"),
        Some(""),
        "no port holds the VIP: not virtual"
    );
}

#[test]
fn pairs_with_the_ports_own_mac_widen_its_entry() {
    let subnets = subnets();
    let mut p = port_sg();
    p.allowed_address_pairs = vec![AddressPair {
        ip_address: "10.10.0.0/28".parse().unwrap(),
        mac_address: None,
    }];
    let ports = vec![p];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(
        row.strings("port_security"),
        vec!["fa:16:3e:c3:1d:db 10.10.0.10 2001:db8:10:0:f816:3eff:fec3:1ddb 10.10.0.0/28"]
    );
    assert_eq!(row.strings("addresses").len(), 1);
}

#[test]
fn a_port_holding_a_pairs_vip_is_virtual_with_its_parents() {
    let subnets = subnets();
    let mut second = port_aap();
    second.id = "11111111-2222-3333-4444-555555555555".into();
    let mut vip = port(
        "99999999-8888-7777-6666-555555555555",
        "vip",
        "fa:16:3e:00:00:99",
        "10.10.0.200",
        "2001:db8:10::99",
    );
    vip.fixed_ips.truncate(1);
    let ports = vec![port_aap(), second, vip];
    let context = PortContext::new(&subnets, &ports);
    let row = port_row(&ports[2], &context);
    assert_eq!(row.string("type"), Some("virtual"));
    assert_eq!(
        map(&row, "options"),
        expect_map(&[
            ("virtual-ip", "10.10.0.200"),
            (
                "virtual-parents",
                "11111111-2222-3333-4444-555555555555,6bb31cd8-5a78-4478-be3a-647ad63efced"
            ),
        ])
    );
    assert_eq!(port_row(&ports[0], &context).string("type"), Some(""));
}

#[test]
fn a_router_interface_is_a_router_type_port() {
    let subnets = subnets();
    let mut p = port(
        "6c86556a-1f1d-4a4a-851a-7cdeca170bdc",
        "",
        "fa:16:3e:ce:fe:6c",
        "10.10.0.1",
        "::1",
    );
    p.fixed_ips.truncate(1);
    p.device_owner = "network:router_interface".into();
    p.device_id = ROUTER.into();
    let ports = vec![p];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(row.string("type"), Some("router"));
    assert_eq!(row.strings("addresses"), vec!["router"]);
    assert!(row.strings("port_security").is_empty());
    assert_eq!(
        map(&row, "options"),
        expect_map(&[("router-port", "lrp-6c86556a-1f1d-4a4a-851a-7cdeca170bdc")])
    );
    assert_eq!(row.refs["dhcpv4_options"], vec![]);
    assert_eq!(
        map(&row, "external_ids"),
        expect_map(&[("neutron:revision_number", "1")])
    );
}

/// `binding:host_id` is what the data plane reports; pinning the port to it would keep the port
/// from being claimed on another chassis after it moves.
#[test]
fn a_bound_port_is_not_pinned_to_its_chassis() {
    let subnets = subnets();
    let mut p = port_sg();
    p.host_id = "chassis-1".into();
    let ports = vec![p];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(row.map_entry("options", "requested-chassis"), None);
}

/// A trunk's sub-port is nested in its parent's Logical_Switch_Port: `parent_name` and `tag`,
/// as upstream's OVN trunk driver writes them; an ordinary port has neither.
#[test]
fn a_trunk_subport_names_its_parent_and_tag() {
    let subnets = subnets();
    let mut p = port_sg();
    p.trunk_parent = Some(crate::TrunkParent {
        parent: "parent-port".into(),
        tag: 101,
    });
    let ports = vec![p, port_sg()];
    let context = PortContext::new(&subnets, &ports);
    let row = port_row(&ports[0], &context);
    assert_eq!(
        row.columns["parent_name"],
        Value::Set(vec![Atom::String("parent-port".into())])
    );
    assert_eq!(row.columns["tag"], Value::Set(vec![Atom::Integer(101)]));
    let plain = port_row(&ports[1], &context);
    assert_eq!(plain.columns["parent_name"], Value::empty());
    assert_eq!(plain.columns["tag"], Value::empty());
}

/// `binding:profile` `capabilities` (`switchdev` from `hardware_offload_type`) are the LSP's
/// `neutron:port_capabilities`, joined with `;` as upstream's OVN client writes them; a port
/// without capabilities has no such entry (upstream writes it empty).
#[test]
fn profile_capabilities_are_the_port_capabilities_external_id() {
    let subnets = subnets();
    let mut p = port_sg();
    p.capabilities = vec!["switchdev".into(), "other".into()];
    let ports = vec![p, port_sg()];
    let context = PortContext::new(&subnets, &ports);
    let row = port_row(&ports[0], &context);
    assert_eq!(
        row.map_entry("external_ids", "neutron:port_capabilities"),
        Some("switchdev;other")
    );
    let plain = port_row(&ports[1], &context);
    assert_eq!(
        plain.map_entry("external_ids", "neutron:port_capabilities"),
        None
    );
}

#[test]
fn the_desired_state_holds_every_row_once() {
    let desired = desired_state(
        &MappingConfig::default(),
        &Resources {
            networks: &[probe_net(), public_net()],
            subnets: &subnets(),
            ports: &[port_sg(), port_aap()],
            ..Default::default()
        },
    );
    let ids: Vec<String> = desired.rows().map(|r| r.id.to_string()).collect();
    // 2 switches, localnet, DHCPv4, 2 ports, the drop group and its 2 ACLs
    assert_eq!(desired.len(), 9, "{ids:?}");
}
