//! The mapping against the rows upstream wrote for the same resources
//! (`shared/reference/ovn-dumps/`: probe-net, its subnets and ports, the flat network `public`),
//! and the plan against hand-made database contents.

use std::collections::BTreeMap;

use neutrino_ovsdb::{Atom, Operation, Row, Value};
use uuid::Uuid;

use crate::input::*;
use crate::mapping::*;
use crate::plan::{Change, Scope, plan};
use crate::row::{Desired, NbRow, RowId, table};

const NET: &str = "fdbf1838-1e0c-45a8-997f-f709fca48fd9";
const SUBNET4: &str = "5a4039fa-278d-49e4-a3b3-13c8030cee82";
const SUBNET6: &str = "62c750bf-1af2-487e-9615-1d1dbd5af4f4";
const PROJECT: &str = "e8f54d7fceb54c78b99ad20288af4117";
const ROUTER: &str = "3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d";

fn probe_net() -> NetworkSpec {
    NetworkSpec {
        id: NET.into(),
        name: "probe-net".into(),
        revision_number: 1,
        mtu: 1442,
        network_type: "geneve".into(),
        physical_network: None,
        segmentation_id: Some(1),
        segment_id: NET.into(),
        availability_zone_hints: vec![],
        dns_domain: String::new(),
    }
}

fn public_net() -> NetworkSpec {
    NetworkSpec {
        id: "45d0d069-0983-4fad-a44b-73359fc58289".into(),
        name: "public".into(),
        revision_number: 2,
        mtu: 1500,
        network_type: "flat".into(),
        physical_network: Some("public".into()),
        segmentation_id: None,
        segment_id: "60e744dd-7eef-43ee-a094-d51df9239cee".into(),
        availability_zone_hints: vec![],
        dns_domain: String::new(),
    }
}

fn subnet_v4() -> SubnetSpec {
    SubnetSpec {
        id: SUBNET4.into(),
        network_id: NET.into(),
        revision_number: 0,
        cidr: "10.10.0.0/24".parse().unwrap(),
        gateway_ip: Some("10.10.0.1".parse().unwrap()),
        enable_dhcp: true,
        dns_nameservers: vec!["192.0.2.53".parse().unwrap()],
        host_routes: vec![HostRoute {
            destination: "192.0.2.0/24".parse().unwrap(),
            nexthop: "10.10.0.254".parse().unwrap(),
        }],
        ipv6_address_mode: None,
        ipv6_ra_mode: None,
    }
}

fn subnet_v6(mode: Ipv6AddressMode) -> SubnetSpec {
    SubnetSpec {
        id: SUBNET6.into(),
        network_id: NET.into(),
        revision_number: 0,
        cidr: "2001:db8:10::/64".parse().unwrap(),
        gateway_ip: Some("2001:db8:10::".parse().unwrap()),
        enable_dhcp: true,
        dns_nameservers: vec![],
        host_routes: vec![],
        ipv6_address_mode: Some(mode),
        ipv6_ra_mode: Some(mode),
    }
}

fn port(id: &str, name: &str, mac: &str, ip4: &str, ip6: &str) -> PortSpec {
    PortSpec {
        id: id.into(),
        name: name.into(),
        network_id: NET.into(),
        project_id: PROJECT.into(),
        revision_number: 1,
        admin_state_up: true,
        mac_address: mac.into(),
        fixed_ips: vec![
            FixedIp {
                subnet_id: SUBNET4.into(),
                ip_address: ip4.parse().unwrap(),
            },
            FixedIp {
                subnet_id: SUBNET6.into(),
                ip_address: ip6.parse().unwrap(),
            },
        ],
        device_id: String::new(),
        device_owner: String::new(),
        port_security_enabled: true,
        security_groups: vec![],
        allowed_address_pairs: vec![],
        host_id: String::new(),
        vnic_type: "normal".into(),
    }
}

fn port_sg() -> PortSpec {
    let mut p = port(
        "d3d6fd22-39aa-43fe-9c80-5e00db573640",
        "probe-port-sg",
        "fa:16:3e:c3:1d:db",
        "10.10.0.10",
        "2001:db8:10:0:f816:3eff:fec3:1ddb",
    );
    p.security_groups = vec!["c282720b-2cfc-401d-9cd6-95d06f658e4e".into()];
    p
}

fn port_aap() -> PortSpec {
    let mut p = port(
        "6bb31cd8-5a78-4478-be3a-647ad63efced",
        "probe-port-aap",
        "fa:16:3e:96:be:cd",
        "10.10.0.185",
        "2001:db8:10:0:f816:3eff:fe96:becd",
    );
    p.security_groups = vec!["34a2c6be-78c5-4899-a526-7d03c0f4a2f7".into()];
    p.allowed_address_pairs = vec![AddressPair {
        ip_address: "10.10.0.200/32".parse().unwrap(),
        mac_address: Some("fa:16:3e:00:00:01".into()),
    }];
    p
}

fn map(row: &NbRow, column: &str) -> BTreeMap<String, String> {
    row.columns[column]
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_owned(),
                v.as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expect_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort();
    v
}

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

fn subnets() -> Vec<SubnetSpec> {
    vec![subnet_v4(), subnet_v6(Ipv6AddressMode::Slaac)]
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
        expect_map(&[
            (
                "neutron:cidrs",
                "10.10.0.10/24 2001:db8:10:0:f816:3eff:fec3:1ddb/64"
            ),
            ("neutron:device_id", ""),
            ("neutron:device_owner", ""),
            ("neutron:mtu", ""),
            ("neutron:network_name", &format!("neutron-{NET}")),
            ("neutron:port_capabilities", ""),
            ("neutron:port_name", "probe-port-sg"),
            ("neutron:project_id", PROJECT),
            ("neutron:revision_number", "1"),
            (
                "neutron:security_group_ids",
                "c282720b-2cfc-401d-9cd6-95d06f658e4e"
            ),
            ("neutron:subnet_pool_addr_scope4", ""),
            ("neutron:subnet_pool_addr_scope6", ""),
            ("neutron:vnic_type", "normal"),
        ])
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
        row.map_entry("external_ids", "neutron:cidrs"),
        Some("10.10.0.1/24")
    );
    assert_eq!(
        row.map_entry("external_ids", "neutron:device_id"),
        Some(ROUTER)
    );
}

#[test]
fn a_bound_port_requests_its_chassis() {
    let subnets = subnets();
    let mut p = port_sg();
    p.host_id = "chassis-1".into();
    let ports = vec![p];
    let row = port_row(&ports[0], &PortContext::new(&subnets, &ports));
    assert_eq!(
        row.map_entry("options", "requested-chassis"),
        Some("chassis-1")
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

// --- plan, against hand-made database contents ---

fn ops_named(plan: &crate::plan::Plan, name: &str) -> usize {
    plan.operations.iter().filter(|o| o.name() == name).count()
}

/// A switch, its DHCP options and one port without port security (so no port groups).
fn small_desired() -> Desired {
    let mut port = port_sg();
    port.port_security_enabled = false;
    desired_state(
        &MappingConfig::default(),
        &Resources {
            networks: &[probe_net()],
            subnets: &[subnet_v4()],
            ports: &[port],
            ..Default::default()
        },
    )
}

#[test]
fn an_empty_database_gets_every_row_inserted_with_ports_inside_their_switch() {
    let actual: BTreeMap<String, BTreeMap<Uuid, Row>> = BTreeMap::new();
    let plan = plan(&small_desired(), &actual, &Scope::Full);
    assert_eq!(ops_named(&plan, "insert"), 3);
    assert_eq!(ops_named(&plan, "wait"), 3, "one absence check per insert");
    assert_eq!(ops_named(&plan, "mutate"), 0);
    let switch = plan
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { table, row, .. } if table == "Logical_Switch" => Some(row),
            _ => None,
        })
        .unwrap();
    assert!(matches!(switch["ports"].atoms(), [Atom::NamedUuid(_)]));
    let lsp = plan
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { table, row, .. } if table == "Logical_Switch_Port" => Some(row),
            _ => None,
        })
        .unwrap();
    assert!(matches!(
        lsp["dhcpv4_options"].atoms(),
        [Atom::NamedUuid(_)]
    ));
    assert_eq!(lsp["dhcpv6_options"], Value::empty());
}

/// The database as it would hold `desired` after applying it.
fn applied(desired: &Desired) -> BTreeMap<String, BTreeMap<Uuid, Row>> {
    let mut db: BTreeMap<String, BTreeMap<Uuid, Row>> = BTreeMap::new();
    let uuids: BTreeMap<RowId, Uuid> = desired
        .rows()
        .map(|r| (r.id.clone(), Uuid::new_v4()))
        .collect();
    for row in desired.rows() {
        let mut values = row.columns.clone();
        for (column, targets) in &row.refs {
            values.insert(
                column.clone(),
                Value::Set(targets.iter().map(|t| Atom::Uuid(uuids[t])).collect()),
            );
        }
        db.entry(row.id.table.to_owned())
            .or_default()
            .insert(uuids[&row.id], values);
    }
    for row in desired.rows() {
        if let Some(parent) = &row.parent {
            let column = crate::row::table_spec(row.id.table)
                .unwrap()
                .parent
                .unwrap()
                .1;
            let ports = db
                .get_mut(parent.table)
                .unwrap()
                .get_mut(&uuids[parent])
                .unwrap()
                .entry(column.into())
                .or_insert_with(Value::empty);
            if let Value::Set(atoms) = ports {
                atoms.push(Atom::Uuid(uuids[&row.id]));
            }
        }
    }
    db
}

#[test]
fn an_applied_state_plans_nothing_and_an_older_desired_revision_is_stale() {
    let desired = small_desired();
    let mut db = applied(&desired);
    assert!(plan(&desired, &db, &Scope::Full).is_empty());

    // The database moved on to revision 5 of the port; desired revision 1 must not overwrite it.
    let lsp = db
        .get_mut("Logical_Switch_Port")
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    lsp.insert(
        "external_ids".into(),
        Value::map([
            ("neutron:revision_number", "5"),
            ("neutron:port_name", "newer"),
        ]),
    );
    let stale = plan(&desired, &db, &Scope::Full);
    assert!(stale.is_empty(), "{:?}", stale.operations);
    assert!(matches!(
        stale.changes.as_slice(),
        [Change::Stale {
            actual: 5,
            desired: 1,
            ..
        }]
    ));
}

#[test]
fn a_changed_column_is_one_update_or_mutate_after_a_revision_wait() {
    let desired = small_desired();
    let db = applied(&desired);
    let mut changed = desired.clone();
    let mut lsp = changed
        .table(table::LOGICAL_SWITCH_PORT)
        .next()
        .unwrap()
        .clone();
    lsp.set_strings("addresses", ["fa:16:3e:c3:1d:db 10.10.0.11"]);
    lsp.set("type", "localport");
    changed.insert(lsp);
    let plan = plan(&changed, &db, &Scope::Full);
    let names: Vec<&str> = plan.operations.iter().map(Operation::name).collect();
    assert_eq!(names, vec!["wait", "update", "mutate"]);
    match &plan.operations[2] {
        Operation::Mutate { mutations, .. } => {
            assert_eq!(mutations.len(), 2);
            assert!(mutations.iter().all(|m| m.column == "addresses"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&plan.changes[..], [Change::Update(_, cols)] if cols == &["addresses", "type"])
    );
}

#[test]
fn leftovers_are_removed_from_their_switch_only_in_scope() {
    let desired = small_desired();
    let db = applied(&desired);
    let mut fewer = desired.clone();
    fewer = {
        let mut d = Desired::new();
        d.extend(
            fewer
                .rows()
                .filter(|r| r.id.table != table::LOGICAL_SWITCH_PORT)
                .cloned(),
        );
        d
    };
    let full = plan(&fewer, &db, &Scope::Full);
    let names: Vec<&str> = full.operations.iter().map(Operation::name).collect();
    assert_eq!(
        names,
        vec!["wait", "mutate"],
        "unlinked from Logical_Switch.ports"
    );
    let other = RowId::new(table::LOGICAL_SWITCH_PORT, "someone-else");
    let narrow = plan(&fewer, &db, &Scope::Rows([other].into()));
    assert!(narrow.is_empty());
}

// --- routers ---

fn router_port(
    id: &str,
    mac: &str,
    owner: &str,
    network: &str,
    subnet: &str,
    ip: &str,
) -> PortSpec {
    PortSpec {
        id: id.into(),
        name: String::new(),
        network_id: network.into(),
        project_id: PROJECT.into(),
        revision_number: 2,
        admin_state_up: true,
        mac_address: mac.into(),
        fixed_ips: vec![FixedIp {
            subnet_id: subnet.into(),
            ip_address: ip.parse().unwrap(),
        }],
        device_id: ROUTER.into(),
        device_owner: owner.into(),
        port_security_enabled: false,
        security_groups: vec![],
        allowed_address_pairs: vec![],
        host_id: String::new(),
        vnic_type: "normal".into(),
    }
}

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
    };
    let networks = [probe_net(), public];
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &ports,
        routers: std::slice::from_ref(&router),
        ..Default::default()
    };
    let rows = crate::router::router_rows(&router, &resources);
    let [lr, v4, v6, gw] = rows.as_slice() else {
        panic!("a router and three ports: {rows:?}");
    };
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

// --- security groups ---

const SG: &str = "c282720b-2cfc-401d-9cd6-95d06f658e4e";
const PG: &str = "pg_c282720b_2cfc_401d_9cd6_95d06f658e4e";

fn rule(direction: Direction, ipv6: bool) -> SecurityGroupRuleSpec {
    SecurityGroupRuleSpec {
        id: "06c2f473-41e5-4bbe-a469-ea859c235ebb".into(),
        direction,
        ipv6,
        protocol: None,
        port_range_min: None,
        port_range_max: None,
        remote_ip_prefix: None,
        remote_group_id: None,
        remote_address_group_id: None,
    }
}

#[test]
fn rule_matches_as_upstream_writes_them() {
    use crate::security::rule_match;
    assert_eq!(
        rule_match(PG, &rule(Direction::Egress, false)),
        format!("inport == @{PG} && ip4")
    );
    assert_eq!(
        rule_match(PG, &rule(Direction::Egress, true)),
        format!("inport == @{PG} && ip6")
    );
    let mut ssh = rule(Direction::Ingress, false);
    ssh.protocol = Some("tcp".into());
    ssh.port_range_min = Some(22);
    ssh.port_range_max = Some(22);
    ssh.remote_ip_prefix = Some("0.0.0.0/0".parse().unwrap());
    assert_eq!(
        rule_match(PG, &ssh),
        format!("outport == @{PG} && ip4 && ip4.src == 0.0.0.0/0 && tcp && tcp.dst == 22")
    );
    let mut range = ssh.clone();
    range.remote_ip_prefix = None;
    range.remote_group_id = Some(SG.into());
    range.port_range_min = Some(8000);
    range.port_range_max = Some(8080);
    assert_eq!(
        rule_match(PG, &range),
        format!(
            "outport == @{PG} && ip4 && ip4.src == ${PG}_ip4 && tcp && tcp.dst >= 8000 && tcp.dst <= 8080"
        )
    );
    let mut icmp = rule(Direction::Ingress, false);
    icmp.protocol = Some("icmp".into());
    icmp.remote_ip_prefix = Some("0.0.0.0/0".parse().unwrap());
    assert_eq!(
        rule_match(PG, &icmp),
        format!("outport == @{PG} && ip4 && ip4.src == 0.0.0.0/0 && icmp4")
    );
    let mut dns = rule(Direction::Ingress, false);
    dns.protocol = Some("udp".into());
    dns.port_range_min = Some(53);
    dns.port_range_max = Some(53);
    dns.remote_address_group_id = Some("51bc0ef2-7140-4357-82dd-e12d86fa89a1".into());
    assert_eq!(
        rule_match(PG, &dns),
        format!(
            "outport == @{PG} && ip4 && ip4.src == $ag_51bc0ef2_7140_4357_82dd_e12d86fa89a1_ip4 && udp && udp.dst == 53"
        )
    );
    let mut icmp6 = rule(Direction::Egress, true);
    icmp6.protocol = Some("ipv6-icmp".into());
    icmp6.remote_ip_prefix = Some("2001:db8::1/64".parse().unwrap());
    assert_eq!(
        rule_match(PG, &icmp6),
        format!("inport == @{PG} && ip6 && ip6.dst == 2001:db8::/64 && icmp6")
    );
}

#[test]
fn security_groups_are_port_groups_with_acls_and_the_drop_group() {
    let mut nosec = port_aap();
    nosec.id = "724ad2ea-6f82-40d3-8660-2abad64ba54c".into();
    nosec.port_security_enabled = false;
    nosec.security_groups = vec![];
    let ports = vec![port_sg(), port_aap(), nosec];
    let mut stateless = rule(Direction::Ingress, false);
    stateless.id = "rule-2".into();
    let groups = vec![SecurityGroupSpec {
        id: SG.into(),
        revision_number: 3,
        stateful: true,
        rules: vec![rule(Direction::Egress, false)],
    }];
    let resources = Resources {
        ports: &ports,
        security_groups: &groups,
        ..Default::default()
    };
    let rows = crate::security::security_rows(&resources);
    let [drop, drop_out, drop_in, pg, acl] = rows.as_slice() else {
        panic!("{rows:?}");
    };
    assert_eq!(drop.string("name"), Some("neutron_pg_drop"));
    let lsp = |id: &str| RowId::new(table::LOGICAL_SWITCH_PORT, id);
    assert_eq!(
        drop.refs["ports"],
        vec![
            lsp("d3d6fd22-39aa-43fe-9c80-5e00db573640"),
            lsp("6bb31cd8-5a78-4478-be3a-647ad63efced")
        ],
        "port security off: in no group"
    );
    assert_eq!(
        drop_out.string("match"),
        Some("inport == @neutron_pg_drop && ip")
    );
    assert_eq!(drop_out.string("action"), Some("drop"));
    assert_eq!(
        drop_out.columns["priority"],
        Value::Atom(Atom::Integer(1000))
    );
    assert_eq!(drop_in.string("direction"), Some("to-lport"));
    assert_eq!(
        drop_in.string("match"),
        Some("outport == @neutron_pg_drop && ip")
    );
    assert_eq!(pg.string("name"), Some(PG));
    assert_eq!(
        map(pg, "external_ids"),
        expect_map(&[
            ("neutron:revision_number", "3"),
            ("neutron:security_group_id", SG)
        ])
    );
    assert_eq!(
        pg.refs["ports"],
        vec![lsp("d3d6fd22-39aa-43fe-9c80-5e00db573640")]
    );
    assert_eq!(
        acl.id,
        RowId::new(table::ACL, "06c2f473-41e5-4bbe-a469-ea859c235ebb")
    );
    assert_eq!(acl.parent, Some(pg.id.clone()));
    assert_eq!(acl.string("direction"), Some("from-lport"));
    assert_eq!(acl.string("action"), Some("allow-related"));
    assert_eq!(acl.columns["priority"], Value::Atom(Atom::Integer(1002)));
    assert_eq!(acl.columns["log"], Value::Atom(Atom::Boolean(false)));
    assert_eq!(acl.columns["label"], Value::Atom(Atom::Integer(0)));
    assert_eq!(
        map(acl, "external_ids"),
        expect_map(&[(
            "neutron:security_group_rule_id",
            "06c2f473-41e5-4bbe-a469-ea859c235ebb"
        )])
    );
}

#[test]
fn a_port_of_a_missing_network_is_an_orphan_nothing_refers_to() {
    let mut desired = Desired::new();
    let subnets = subnets();
    let ports = vec![port_sg()];
    desired.insert(port_row(&ports[0], &PortContext::new(&subnets, &ports)));
    let mut group = NbRow::new(table::PORT_GROUP, "pg_x");
    group.reference(
        "ports",
        vec![RowId::new(table::LOGICAL_SWITCH_PORT, ports[0].id.clone())],
    );
    desired.insert(group);
    let actual: BTreeMap<String, BTreeMap<Uuid, Row>> = BTreeMap::new();
    let plan = plan(&desired, &actual, &Scope::Full);
    assert!(plan.changes.contains(&Change::Orphan(RowId::new(
        table::LOGICAL_SWITCH_PORT,
        ports[0].id.clone()
    ))));
    let group_insert = plan
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { row, .. } => Some(row),
            _ => None,
        })
        .unwrap();
    assert_eq!(group_insert["ports"], Value::empty());
    assert_eq!(
        plan.changes[0].to_string(),
        format!(
            "skip Logical_Switch_Port {}: its parent row is missing",
            ports[0].id
        )
    );
}

// --- SNAT, routes, floating IPs ---

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

    // Unassociated: no row.
    let free = FloatingIpSpec {
        port_id: None,
        fixed_ip_address: None,
        ..fip
    };
    assert_eq!(
        crate::nat::floating_ip_row(&MappingConfig::default(), &free, &resources),
        None
    );
}
