//! Routers, their interfaces and gateway, SNAT, routes and floating IPs.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_interface_is_a_router_port_joined_to_its_switch_port() {
    let lab = Lab::start().await;
    let router = RouterSpec {
        id: "3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d".into(),
        name: "r1".into(),
        revision_number: 1,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![],
        ..Default::default()
    };
    let mut interface = port(
        "6c86556a-1f1d-4a4a-851a-7cdeca170bdc",
        "fa:16:3e:00:00:01",
        "10.10.0.1",
    );
    interface.device_owner = "network:router_interface".into();
    interface.device_id = router.id.clone();
    let mut all = ports();
    all.push(interface);
    let (networks, subnets) = ([network()], [subnet()]);
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &all,
        routers: std::slice::from_ref(&router),
        ..Default::default()
    };
    let desired = desired_state(&MappingConfig::default(), &resources);
    let first = lab.apply(&desired, &Scope::Full).await;
    // LS, DHCP, 3 LSP, LR, LRP, the drop group and its 2 ACLs
    assert_eq!(first.changes.len(), 10, "{:?}", first.changes);
    assert!(lab.plan(&desired, &Scope::Full).is_empty());

    let lrp = "lrp-6c86556a-1f1d-4a4a-851a-7cdeca170bdc";
    let lr = format!("neutron-{}", router.id);
    assert!(lab.nbctl(&["lrp-list", &lr]).contains(lrp));
    assert_eq!(
        lab.nbctl(&["get", "Logical_Router_Port", lrp, "networks"])
            .trim(),
        "[\"10.10.0.1/24\"]"
    );
    assert_eq!(
        lab.nbctl(&["lsp-get-type", "6c86556a-1f1d-4a4a-851a-7cdeca170bdc"])
            .trim(),
        "router"
    );
    assert_eq!(
        lab.nbctl(&["lsp-get-options", "6c86556a-1f1d-4a4a-851a-7cdeca170bdc"])
            .trim(),
        format!("router-port={lrp}")
    );

    // The interface removed: its router port leaves the router, its switch port the switch.
    let without = desired_state(
        &MappingConfig::default(),
        &Resources {
            ports: &all[..2],
            ..resources
        },
    );
    let removal = lab.apply(&without, &Scope::Full).await;
    assert_eq!(removal.changes.len(), 2, "{:?}", removal.changes);
    assert!(lab.column("Logical_Router_Port", "_uuid").is_empty());
    assert_eq!(lab.column("Logical_Router", "name"), vec![lr]);
    assert_eq!(lab.lsp_count(), 2);

    // The router deleted.
    let no_router = desired_state(
        &MappingConfig::default(),
        &Resources {
            ports: &all[..2],
            routers: &[],
            ..resources
        },
    );
    lab.apply(&no_router, &Scope::Full).await;
    assert!(lab.column("Logical_Router", "_uuid").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_and_a_floating_ip_become_snat_a_default_route_and_dnat() {
    use neutrino_ovn::FloatingIpSpec;
    let lab = Lab::start().await;
    let mut public = network();
    public.id = "45d0d069-0983-4fad-a44b-73359fc58289".into();
    public.network_type = "flat".into();
    public.physical_network = Some("physnet1".into());
    public.segment_id = public.id.clone();
    let mut ext_subnet = subnet();
    ext_subnet.id = "b8f09e17-a4b5-4f5d-8d57-49ec8fbd85f2".into();
    ext_subnet.network_id = public.id.clone();
    ext_subnet.cidr = "172.24.4.0/24".parse().unwrap();
    ext_subnet.gateway_ip = Some("172.24.4.1".parse().unwrap());
    ext_subnet.enable_dhcp = false;
    let router = RouterSpec {
        id: "3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d".into(),
        name: "r1".into(),
        revision_number: 1,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![],
        ..Default::default()
    };
    let mut gateway = port(
        "6c115f58-f8de-4a92-a96d-dd3c88863f4a",
        "fa:16:3e:00:00:99",
        "172.24.4.10",
    );
    gateway.network_id = public.id.clone();
    gateway.fixed_ips[0].subnet_id = ext_subnet.id.clone();
    gateway.device_owner = "network:router_gateway".into();
    gateway.device_id = router.id.clone();
    let mut all = ports();
    all.push(gateway);
    let fip = |port: &str, ip: &str, revision| FloatingIpSpec {
        id: "f2b9d839-7136-4a58-b25c-0ca0980d2941".into(),
        revision_number: revision,
        floating_ip_address: "172.24.4.20".parse().unwrap(),
        floating_network_id: "45d0d069-0983-4fad-a44b-73359fc58289".into(),
        floating_port_mac: "fa:16:3e:19:49:c5".into(),
        router_id: Some("3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d".into()),
        port_id: Some(port.into()),
        fixed_ip_address: Some(ip.parse().unwrap()),
        port_forwardings: Vec::new(),
    };
    let networks = [network(), public];
    let subnets = [subnet(), ext_subnet];
    let fips = [fip(PORT_A, "10.10.0.10", 1)];
    let gateway_chassis = ["chassis-1", "chassis-2"].map(neutrino_ovn::GatewayChassis::named);
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &all,
        routers: std::slice::from_ref(&router),
        floating_ips: &fips,
        gateway_chassis: &gateway_chassis,
        ..Default::default()
    };
    lab.apply(
        &desired_state(&MappingConfig::default(), &resources),
        &Scope::Full,
    )
    .await;
    let lr = format!("neutron-{}", router.id);
    let nats = lab.nbctl(&["lr-nat-list", &lr]);
    assert!(
        nats.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["snat", "172.24.4.10", "0.0.0.0/0"]),
        "{nats}"
    );
    assert!(
        nats.lines()
            .any(|l| l.split_whitespace().take(3).collect::<Vec<_>>()
                == ["dnat_and_snat", "172.24.4.20", "10.10.0.10"]),
        "{nats}"
    );
    let routes = lab.nbctl(&["lr-route-list", &lr]);
    assert!(
        routes.contains("0.0.0.0/0") && routes.contains("172.24.4.1"),
        "{routes}"
    );
    // The gateway port is scheduled on both gateway chassis through the router's HA group.
    let group = lab.nbctl(&["ha-chassis-group-list"]);
    assert!(
        group.contains(&lr) && group.contains("chassis-1") && group.contains("chassis-2"),
        "{group}"
    );
    let lrp_group = lab.nbctl(&[
        "--bare",
        "--columns=ha_chassis_group",
        "list",
        "Logical_Router_Port",
        "lrp-6c115f58-f8de-4a92-a96d-dd3c88863f4a",
    ]);
    assert!(
        !lrp_group.trim().is_empty(),
        "the gateway port refers to the group"
    );
    assert_eq!(
        lab.nbctl(&[
            "lsp-get-type",
            "provnet-45d0d069-0983-4fad-a44b-73359fc58289"
        ])
        .trim(),
        "localnet"
    );

    // The floating IP moved to port B: one update of its NAT row, no new row.
    let moved = [fip(PORT_B, "10.10.0.11", 2)];
    let plan = lab
        .apply(
            &desired_state(
                &MappingConfig::default(),
                &Resources {
                    floating_ips: &moved,
                    ..resources
                },
            ),
            &Scope::Full,
        )
        .await;
    // Both ports' `neutron:port_fip` follow (one loses it, one gains it).
    assert_eq!(
        plan.changes,
        vec![
            Change::Update(
                RowId::new(table::LOGICAL_SWITCH_PORT, PORT_B),
                vec!["external_ids".into()]
            ),
            Change::Update(
                RowId::new(table::LOGICAL_SWITCH_PORT, PORT_A),
                vec!["external_ids".into()]
            ),
            Change::Update(
                RowId::new(table::NAT, "f2b9d839-7136-4a58-b25c-0ca0980d2941"),
                vec![
                    "external_ids".into(),
                    "logical_ip".into(),
                    "logical_port".into()
                ]
            )
        ]
    );
    assert!(lab.nbctl(&["lr-nat-list", &lr]).contains("10.10.0.11"));
    let port_fip = |port| {
        lab.nbctl(&["get", "Logical_Switch_Port", port, "external_ids"])
            .contains("\"neutron:port_fip\"=\"172.24.4.20\"")
    };
    assert!(port_fip(PORT_B) && !port_fip(PORT_A));

    // Disassociated, and SNAT turned off: both NAT rows leave the router.
    let no_snat = [RouterSpec {
        enable_snat: false,
        revision_number: 2,
        ..router.clone()
    }];
    lab.apply(
        &desired_state(
            &MappingConfig::default(),
            &Resources {
                floating_ips: &[],
                routers: &no_snat,
                ..resources
            },
        ),
        &Scope::Full,
    )
    .await;
    assert!(lab.nbctl(&["lr-nat-list", &lr]).trim().is_empty());
    assert!(lab.column("NAT", "_uuid").is_empty());
    assert!(lab.nbctl(&["lr-route-list", &lr]).contains("0.0.0.0/0"));
}
