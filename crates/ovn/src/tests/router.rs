//! Routers, their ports, SNAT, routes and floating IPs against the rows upstream wrote.

use super::*;

#[test]
fn a_router_and_its_ports_as_upstream_writes_them() {
    let public = public_net();
    let public_subnet = SubnetSpec {
        id: "b8f09e17-a4b5-4f5d-8d57-49ec8fbd85f2".into(),
        network_id: public.id.clone(),
        revision_number: 0,
        cidr: "198.18.0.0/20".parse().unwrap(),
        gateway_ip: Some("198.18.0.1".parse().unwrap()),
        enable_dhcp: false,
        dns_nameservers: vec![],
        host_routes: vec![],
        ipv6_address_mode: None,
        ipv6_ra_mode: None,
    };
    let subnets = vec![
        subnet_v4(),
        subnet_v6(Ipv6AddressMode::Slaac),
        public_subnet,
    ];
    let mut gateway = router_port(
        "6c115f58-f8de-4a92-a96d-dd3c88863f4a",
        "fa:16:3e:1a:43:46",
        "network:router_gateway",
        &public.id,
        "b8f09e17-a4b5-4f5d-8d57-49ec8fbd85f2",
        "198.18.2.73",
    );
    gateway.revision_number = 1;
    let ports = vec![
        router_port(
            "6c86556a-1f1d-4a4a-851a-7cdeca170bdc",
            "fa:16:3e:ce:fe:6c",
            "network:router_interface",
            NET,
            SUBNET4,
            "10.10.0.1",
        ),
        router_port(
            "85d9536c-72c7-446f-a06c-df98c17dd5e8",
            "fa:16:3e:f3:95:ad",
            "network:router_interface",
            NET,
            SUBNET6,
            "2001:db8:10::",
        ),
        gateway,
        port_sg(),
    ];
    let router = RouterSpec {
        id: ROUTER.into(),
        name: "probe-router".into(),
        revision_number: 4,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![],
        ..Default::default()
    };
    let networks = [probe_net(), public];
    let gateway_chassis = ["gw-b", "gw-a", "gw-c"].map(GatewayChassis::named);
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &ports,
        routers: std::slice::from_ref(&router),
        gateway_chassis: &gateway_chassis,
        ..Default::default()
    };
    let rows = crate::router::router_rows(&router, &resources);
    let [lr, group, ha @ .., v4, v6, gw] = rows.as_slice() else {
        panic!("a router, its HA chassis group and three ports: {rows:?}");
    };
    // The gateway's chassis: each gateway chassis once, priorities 3, 2, 1, in the sorted order
    // rotated by the router id (so that routers spread over the chassis).
    assert_eq!(
        group.string("name"),
        Some(format!("neutron-{ROUTER}").as_str())
    );
    assert_eq!(
        group.map_entry("external_ids", "neutron:router_id"),
        Some(ROUTER)
    );
    let mut by_priority: Vec<(i64, &str)> = ha
        .iter()
        .map(|r| {
            assert_eq!(r.parent.as_ref(), Some(&group.id));
            let Value::Atom(Atom::Integer(p)) = r.columns["priority"] else {
                panic!("{r:?}")
            };
            (p, r.string("chassis_name").unwrap())
        })
        .collect();
    by_priority.sort();
    let names: Vec<&str> = by_priority.iter().rev().map(|(_, n)| *n).collect();
    assert_eq!(
        by_priority.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let sorted = ["gw-a", "gw-b", "gw-c"];
    let first = sorted.iter().position(|n| *n == names[0]).unwrap();
    let rotated: Vec<&str> = (0..3).map(|i| sorted[(first + i) % 3]).collect();
    assert_eq!(names, rotated);
    assert_eq!(gw.refs["ha_chassis_group"], vec![group.id.clone()]);
    assert!(
        !v4.refs.contains_key("ha_chassis_group"),
        "only the gateway port"
    );
    assert_eq!(
        lr.string("name"),
        Some(format!("neutron-{ROUTER}").as_str())
    );
    assert_eq!(lr.columns["enabled"], Value::Set(vec![Atom::Boolean(true)]));
    assert_eq!(
        map(lr, "external_ids"),
        expect_map(&[
            ("neutron:availability_zone_hints", ""),
            ("neutron:revision_number", "4"),
            ("neutron:router_name", "probe-router"),
        ])
    );
    assert_eq!(
        map(lr, "options"),
        expect_map(&[
            ("always_learn_from_arp_request", "false"),
            ("dynamic_neigh_routers", "true"),
            ("mac_binding_age_threshold", "300"),
        ])
    );
    let router_name = format!("neutron-{ROUTER}");
    let net_name = format!("neutron-{NET}");
    assert_eq!(
        v4.string("name"),
        Some("lrp-6c86556a-1f1d-4a4a-851a-7cdeca170bdc")
    );
    assert_eq!(v4.string("mac"), Some("fa:16:3e:ce:fe:6c"));
    assert_eq!(v4.strings("networks"), vec!["10.10.0.1/24"]);
    assert_eq!(
        map(v4, "external_ids"),
        expect_map(&[
            ("neutron:is_ext_gw", "False"),
            ("neutron:network_name", &net_name),
            ("neutron:revision_number", "2"),
            ("neutron:router_name", &router_name),
            ("neutron:subnet_ids", SUBNET4),
        ])
    );
    assert_eq!(map(v4, "options"), BTreeMap::new());
    assert_eq!(map(v4, "ipv6_ra_configs"), BTreeMap::new());
    assert_eq!(v4.parent.as_ref(), Some(&lr.id));
    assert_eq!(v6.strings("networks"), vec!["2001:db8:10::/64"]);
    assert_eq!(
        map(v6, "ipv6_ra_configs"),
        expect_map(&[
            ("address_mode", "slaac"),
            ("mtu", "1442"),
            ("send_periodic", "true")
        ])
    );
    assert_eq!(gw.strings("networks"), vec!["198.18.2.73/20"]);
    assert_eq!(
        gw.map_entry("external_ids", "neutron:is_ext_gw"),
        Some("True")
    );
    assert_eq!(
        map(gw, "options"),
        expect_map(&[
            ("gateway_mtu", "1442"),
            ("reside-on-redirect-chassis", "true")
        ])
    );

    // The whole state: the router, its three ports, and their switch sides as router-type LSPs.
    let desired = desired_state(&MappingConfig::default(), &resources);
    assert_eq!(desired.table(table::LOGICAL_ROUTER).count(), 1);
    assert_eq!(desired.table(table::LOGICAL_ROUTER_PORT).count(), 3);
    let lsp = desired
        .get(&RowId::new(
            table::LOGICAL_SWITCH_PORT,
            "6c115f58-f8de-4a92-a96d-dd3c88863f4a",
        ))
        .unwrap();
    assert_eq!(
        map(lsp, "options"),
        expect_map(&[
            ("exclude-lb-vips-from-garp", "true"),
            ("nat-addresses", "router"),
            ("router-port", "lrp-6c115f58-f8de-4a92-a96d-dd3c88863f4a"),
        ])
    );
}

#[test]
fn gateway_snat_default_route_and_a_floating_ip_as_upstream_writes_them() {
    let public = public_net();
    let ext_subnet = SubnetSpec {
        id: "b8f09e17-a4b5-4f5d-8d57-49ec8fbd85f2".into(),
        network_id: public.id.clone(),
        revision_number: 0,
        cidr: "198.18.0.0/20".parse().unwrap(),
        gateway_ip: Some("198.18.0.1".parse().unwrap()),
        enable_dhcp: false,
        dns_nameservers: vec![],
        host_routes: vec![],
        ipv6_address_mode: None,
        ipv6_ra_mode: None,
    };
    let gateway = router_port(
        "6c115f58-f8de-4a92-a96d-dd3c88863f4a",
        "fa:16:3e:1a:43:46",
        "network:router_gateway",
        &public.id,
        &ext_subnet.id,
        "198.18.2.73",
    );
    let mut bound = port_sg();
    bound.host_id = "chassis-1".into();
    let ports = vec![gateway, bound];
    let subnets = vec![subnet_v4(), ext_subnet];
    let mut router = RouterSpec {
        id: ROUTER.into(),
        name: "probe-router".into(),
        revision_number: 4,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![HostRoute {
            destination: "192.0.2.0/24".parse().unwrap(),
            nexthop: "10.10.0.254".parse().unwrap(),
        }],
        ..Default::default()
    };
    let fip = FloatingIpSpec {
        id: "f2b9d839-7136-4a58-b25c-0ca0980d2941".into(),
        revision_number: 1,
        floating_ip_address: "198.18.3.82".parse().unwrap(),
        floating_network_id: public.id.clone(),
        floating_port_mac: "fa:16:3e:19:49:c5".into(),
        router_id: Some(ROUTER.into()),
        port_id: Some("d3d6fd22-39aa-43fe-9c80-5e00db573640".into()),
        fixed_ip_address: Some("10.10.0.10".parse().unwrap()),
        port_forwardings: Vec::new(),
    };
    let resources = Resources {
        subnets: &subnets,
        ports: &ports,
        ..Default::default()
    };
    let rows = crate::nat::router_l3_rows(&router, &resources);
    let [default_route, snat, extra] = rows.as_slice() else {
        panic!("{rows:?}");
    };
    assert_eq!(default_route.string("ip_prefix"), Some("0.0.0.0/0"));
    assert_eq!(default_route.string("nexthop"), Some("198.18.0.1"));
    assert_eq!(
        default_route.map_entry("external_ids", "neutron:is_ext_gw"),
        Some("true")
    );
    assert_eq!(
        default_route.map_entry("external_ids", "neutron:subnet_id"),
        Some("b8f09e17-a4b5-4f5d-8d57-49ec8fbd85f2")
    );
    assert_eq!(snat.string("type"), Some("snat"));
    assert_eq!(snat.string("external_ip"), Some("198.18.2.73"));
    assert_eq!(snat.string("logical_ip"), Some("0.0.0.0/0"));
    let router_row = RowId::new(table::LOGICAL_ROUTER, format!("neutron-{ROUTER}"));
    assert_eq!(snat.parent.as_ref(), Some(&router_row));
    assert_eq!(extra.string("ip_prefix"), Some("192.0.2.0/24"));
    assert_eq!(extra.string("nexthop"), Some("10.10.0.254"));
    assert_eq!(extra.map_entry("external_ids", "neutron:is_ext_gw"), None);

    router.enable_snat = false;
    let rows = crate::nat::router_l3_rows(&router, &resources);
    assert!(rows.iter().all(|r| r.id.table != table::NAT), "no SNAT");

    let nat = crate::nat::floating_ip_row(&MappingConfig::default(), &fip, &resources).unwrap();
    assert_eq!(nat.id, RowId::new(table::NAT, fip.id.clone()));
    assert_eq!(nat.string("type"), Some("dnat_and_snat"));
    assert_eq!(nat.string("external_ip"), Some("198.18.3.82"));
    assert_eq!(nat.string("logical_ip"), Some("10.10.0.10"));
    assert_eq!(
        nat.columns["logical_port"],
        Value::Set(vec![Atom::String(
            "d3d6fd22-39aa-43fe-9c80-5e00db573640".into()
        )])
    );
    assert_eq!(nat.columns["external_mac"], Value::empty());
    assert_eq!(map(&nat, "options"), expect_map(&[("stateless", "false")]));
    assert_eq!(
        map(&nat, "external_ids"),
        expect_map(&[
            ("neutron:fip_external_mac", "fa:16:3e:19:49:c5"),
            ("neutron:fip_id", "f2b9d839-7136-4a58-b25c-0ca0980d2941"),
            (
                "neutron:fip_network_id",
                "45d0d069-0983-4fad-a44b-73359fc58289"
            ),
            (
                "neutron:fip_port_id",
                "d3d6fd22-39aa-43fe-9c80-5e00db573640"
            ),
            ("neutron:nat_id", "f2b9d839-7136-4a58-b25c-0ca0980d2941"),
            ("neutron:revision_number", "1"),
            ("neutron:router_name", &format!("neutron-{ROUTER}")),
        ])
    );
    assert_eq!(nat.parent.as_ref(), Some(&router_row));

    // Distributed: translated on the bound port's chassis, from the port's MAC.
    let distributed = MappingConfig {
        distributed_floating_ips: true,
        ..MappingConfig::default()
    };
    let nat = crate::nat::floating_ip_row(&distributed, &fip, &resources).unwrap();
    assert_eq!(
        nat.columns["external_mac"],
        Value::Set(vec![Atom::String("fa:16:3e:c3:1d:db".into())])
    );

    // The associated port names its floating IP, as upstream's `neutron:port_fip`.
    let fips = [fip.clone()];
    let with_fip = Resources {
        floating_ips: &fips,
        ..resources
    };
    let context = PortContext::new(&subnets, &ports).with_floating_ips(with_fip.floating_ips);
    assert_eq!(
        port_row(&ports[1], &context).map_entry("external_ids", "neutron:port_fip"),
        Some("198.18.3.82")
    );
    assert_eq!(
        port_row(&ports[0], &context).map_entry("external_ids", "neutron:port_fip"),
        None
    );

    // Unassociated: no row.
    let free = FloatingIpSpec {
        port_id: None,
        fixed_ip_address: None,
        port_forwardings: Vec::new(),
        ..fip
    };
    assert_eq!(
        crate::nat::floating_ip_row(&MappingConfig::default(), &free, &resources),
        None
    );
}

/// A router with availability zone hints has its gateway only on chassis of those zones, and on
/// none when no gateway chassis is in them.
#[test]
fn gateways_stay_in_the_routers_availability_zones() {
    let chassis = |name: &str, zones: &[&str]| GatewayChassis {
        name: name.into(),
        zones: zones.iter().map(|z| z.to_string()).collect(),
    };
    let all = [
        chassis("gw-a", &["az1"]),
        chassis("gw-b", &["az2"]),
        chassis("gw-c", &["az1", "az2"]),
        chassis("gw-d", &[]),
    ];
    let router = |hints: &[&str]| RouterSpec {
        id: ROUTER.into(),
        name: "r".into(),
        revision_number: 1,
        admin_state_up: true,
        availability_zone_hints: hints.iter().map(|h| h.to_string()).collect(),
        enable_snat: true,
        routes: vec![],
        ..Default::default()
    };
    let chosen = |hints: &[&str]| -> Vec<String> {
        let mut names: Vec<String> = crate::router::gateway_group(&router(hints), "g", &all)
            .iter()
            .filter_map(|r| r.string("chassis_name").map(str::to_owned))
            .collect();
        names.sort();
        names
    };
    assert_eq!(chosen(&["az1"]), ["gw-a", "gw-c"]);
    assert_eq!(chosen(&["az2"]), ["gw-b", "gw-c"]);
    assert_eq!(
        chosen(&[]),
        ["gw-a", "gw-b", "gw-c", "gw-d"],
        "no hints: any zone, and no zone"
    );
    assert!(chosen(&["az9"]).is_empty());
}

/// A router scheduled by hand (`l3-agent-scheduler-ha-chassis-priority`) has exactly the
/// `HA_Chassis` rows of its schedule with their priorities, whatever the computed list would
/// be; an entry on a chassis that is no gateway chassis any more is not realised; an empty
/// schedule leaves the group without chassis.
#[test]
fn ha_chassis_rows_follow_a_manual_schedule() {
    let all = ["gw-a", "gw-b", "gw-c"].map(GatewayChassis::named);
    let router = |schedule: Option<Vec<(&str, i64)>>| RouterSpec {
        id: ROUTER.into(),
        name: "r".into(),
        revision_number: 1,
        admin_state_up: true,
        gateway_schedule: schedule.map(|s| s.into_iter().map(|(c, p)| (c.to_owned(), p)).collect()),
        ..Default::default()
    };
    let rows = |schedule| -> Vec<(String, i64, String)> {
        let mut rows: Vec<(String, i64, String)> =
            crate::router::gateway_group(&router(schedule), "g", &all)
                .iter()
                .filter(|r| r.id.table == table::HA_CHASSIS)
                .map(|r| {
                    let Value::Atom(Atom::Integer(priority)) = r.columns["priority"] else {
                        panic!("no priority in {r:?}");
                    };
                    (
                        r.string("chassis_name").unwrap().to_owned(),
                        priority,
                        r.parent.as_ref().unwrap().key.clone(),
                    )
                })
                .collect();
        rows.sort();
        rows
    };
    let computed = rows(None);
    assert_eq!(computed.len(), 3, "computed: every gateway chassis");
    assert_eq!(
        rows(Some(vec![("gw-c", 100), ("gw-a", 7)])),
        [
            ("gw-a".to_owned(), 7, "g".to_owned()),
            ("gw-c".to_owned(), 100, "g".to_owned())
        ]
    );
    assert_eq!(
        rows(Some(vec![("gw-gone", 9), ("gw-b", 0)])),
        [("gw-b".to_owned(), 0, "g".to_owned())],
        "a chassis that is gone is not realised"
    );
    assert!(
        rows(Some(vec![])).is_empty(),
        "an empty schedule: no chassis"
    );
    assert_eq!(
        crate::scheduled_priorities(
            ROUTER,
            &[],
            Some(&[("gw-a".into(), 1), ("gw-b".into(), 3)]),
            &all
        ),
        [("gw-b".to_owned(), 3), ("gw-a".to_owned(), 1)],
        "highest priority first"
    );
}

/// Two gateways (`external-gateway-multihoming`): the default route through the compatibility
/// gateway only, through both with ECMP; with BFD each route names its port and has a `BFD`
/// row; SNAT on both addresses, each naming its gateway port, and a floating IP's NAT the
/// gateway on its network.
#[test]
fn several_gateways_with_ecmp_and_bfd_as_upstream_writes_them() {
    let subnet = |id: &str, network: &str, cidr: &str, gw: &str| SubnetSpec {
        id: id.into(),
        network_id: network.into(),
        revision_number: 0,
        cidr: cidr.parse().unwrap(),
        gateway_ip: Some(gw.parse().unwrap()),
        enable_dhcp: false,
        dns_nameservers: vec![],
        host_routes: vec![],
        ipv6_address_mode: None,
        ipv6_ra_mode: None,
    };
    let subnets = vec![
        subnet("s1", "ext1", "198.18.0.0/24", "198.18.0.1"),
        subnet("s2", "ext2", "203.0.113.0/24", "203.0.113.1"),
    ];
    // The second port in the list is the compatibility gateway: external_gateway_info names it.
    let ports = vec![
        router_port(
            "gw-b",
            "fa:16:3e:00:00:0b",
            "network:router_gateway",
            "ext2",
            "s2",
            "203.0.113.5",
        ),
        router_port(
            "gw-a",
            "fa:16:3e:00:00:0a",
            "network:router_gateway",
            "ext1",
            "s1",
            "198.18.0.5",
        ),
    ];
    let mut router = RouterSpec {
        id: ROUTER.into(),
        revision_number: 1,
        admin_state_up: true,
        enable_snat: true,
        gateway_ips: vec!["198.18.0.5".parse().unwrap()],
        ..Default::default()
    };
    let fip = FloatingIpSpec {
        id: "fip".into(),
        revision_number: 1,
        floating_ip_address: "203.0.113.9".parse().unwrap(),
        floating_network_id: "ext2".into(),
        floating_port_mac: "fa:16:3e:00:00:0f".into(),
        router_id: Some(ROUTER.into()),
        port_id: Some("vm".into()),
        fixed_ip_address: Some("10.10.0.10".parse().unwrap()),
        port_forwardings: Vec::new(),
    };
    let routes = |router: &RouterSpec| {
        let routers = [router.clone()];
        let resources = Resources {
            subnets: &subnets,
            ports: &ports,
            routers: &routers,
            ..Default::default()
        };
        let rows = crate::nat::router_l3_rows(router, &resources);
        let nat = crate::nat::floating_ip_row(&MappingConfig::default(), &fip, &resources).unwrap();
        (rows, nat)
    };
    let lrp = |id: &str| RowId::new(table::LOGICAL_ROUTER_PORT, format!("lrp-{id}"));

    let (rows, fip_nat) = routes(&router);
    let nexthops: Vec<_> = rows
        .iter()
        .filter(|r| r.id.table == table::LOGICAL_ROUTER_STATIC_ROUTE)
        .map(|r| r.string("nexthop").unwrap().to_owned())
        .collect();
    assert_eq!(
        nexthops,
        vec!["198.18.0.1"],
        "the compatibility gateway's only"
    );
    let snats: Vec<_> = rows
        .iter()
        .filter(|r| r.id.table == table::NAT)
        .map(|r| {
            (
                r.string("external_ip").unwrap().to_owned(),
                r.refs["gateway_port"].clone(),
            )
        })
        .collect();
    assert_eq!(
        snats,
        vec![
            ("198.18.0.5".to_owned(), vec![lrp("gw-a")]),
            ("203.0.113.5".to_owned(), vec![lrp("gw-b")]),
        ]
    );
    assert_eq!(fip_nat.refs["gateway_port"], vec![lrp("gw-b")]);
    assert!(rows.iter().all(|r| r.id.table != table::BFD));

    router.enable_default_route_ecmp = true;
    let (rows, _) = routes(&router);
    let nexthops: Vec<_> = rows
        .iter()
        .filter(|r| r.id.table == table::LOGICAL_ROUTER_STATIC_ROUTE)
        .map(|r| r.string("nexthop").unwrap().to_owned())
        .collect();
    assert_eq!(nexthops, vec!["198.18.0.1", "203.0.113.1"]);

    router.enable_default_route_bfd = true;
    let (rows, _) = routes(&router);
    let bfd: Vec<_> = rows.iter().filter(|r| r.id.table == table::BFD).collect();
    assert_eq!(bfd.len(), 2);
    assert_eq!(bfd[0].string("logical_port"), Some("lrp-gw-a"));
    assert_eq!(bfd[0].string("dst_ip"), Some("198.18.0.1"));
    let route = rows
        .iter()
        .find(|r| {
            r.id.table == table::LOGICAL_ROUTER_STATIC_ROUTE
                && r.string("nexthop") == Some("203.0.113.1")
        })
        .unwrap();
    assert_eq!(
        route.columns["output_port"],
        Value::Set(vec![Atom::String("lrp-gw-b".into())])
    );
    assert_eq!(
        route.refs["bfd"],
        vec![RowId::new(table::BFD, "lrp-gw-b:203.0.113.1")]
    );

    // One gateway: no `gateway_port` (OVN needs none), as before.
    let one = vec![ports[1].clone()];
    let resources = Resources {
        subnets: &subnets,
        ports: &one,
        ..Default::default()
    };
    let rows = crate::nat::router_l3_rows(&router, &resources);
    assert!(
        rows.iter()
            .filter(|r| r.id.table == table::NAT)
            .all(|r| !r.refs.contains_key("gateway_port"))
    );
}
