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
        qos_policy_id: None,
        vlan_transparent: false,
        qinq: false,
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
        qos_policy_id: None,
        vlan_transparent: false,
        qinq: false,
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
        trunk_parent: None,
        capabilities: Vec::new(),
        qos_policy_id: None,
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

fn subnets() -> Vec<SubnetSpec> {
    vec![subnet_v4(), subnet_v6(Ipv6AddressMode::Slaac)]
}

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
        trunk_parent: None,
        capabilities: Vec::new(),
        qos_policy_id: None,
    }
}

mod network;
mod plan;
mod port_forwarding;
mod qos;
mod router;
mod security;
