//! Routers → `Logical_Router`, and each router port (interface or gateway) → a
//! `Logical_Router_Port` named `lrp-<port id>` (its switch side is the port's `router`-type
//! Logical_Switch_Port, see [`crate::mapping::port_row`]).
//!
//! A router with a gateway also gets an `HA_Chassis_Group` named like its Logical_Router, listing
//! the gateway chassis by priority (the highest-priority live one hosts the gateway port, and OVN
//! moves it when that chassis fails); its gateway Logical_Router_Port refers to the group.
//! SNAT, routes and floating IPs are in [`crate::nat`].

use std::collections::BTreeMap;

use neutrino_ovsdb::Atom;

use crate::input::{GatewayChassis, Ipv6AddressMode, PortSpec, Resources, RouterSpec, SubnetSpec};
use crate::mapping::{router_port_name, switch_name};
use crate::row::{NbRow, REVISION_KEY, RowId, table};

pub const ROUTER_INTERFACE: &str = "network:router_interface";
pub const ROUTER_GATEWAY: &str = "network:router_gateway";
/// The `external_ids` key of an `HA_Chassis` row: `<group name>:<chassis name>`.
pub const HA_CHASSIS_KEY: &str = "neutron:ha_chassis";
/// The most chassis a gateway is scheduled on (upstream's limit as well).
pub const MAX_GATEWAY_CHASSIS: usize = 5;

/// `neutron-<router id>`: the name of a router's Logical_Router.
pub fn router_name(router_id: &str) -> String {
    format!("neutron-{router_id}")
}

fn is_router_port(port: &PortSpec, router_id: &str) -> bool {
    port.device_id == router_id
        && matches!(
            port.device_owner.as_str(),
            ROUTER_INTERFACE | ROUTER_GATEWAY | "network:router_interface_distributed"
        )
}

fn strings<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A router's Logical_Router and one Logical_Router_Port per router port with an address.
pub fn router_rows(router: &RouterSpec, resources: &Resources<'_>) -> Vec<NbRow> {
    let name = router_name(&router.id);
    let mut lr = NbRow::new(table::LOGICAL_ROUTER, name.clone());
    lr.set_optional("enabled", Some(Atom::Boolean(router.admin_state_up)))
        .set_map(
            "external_ids",
            &strings([
                ("neutron:router_name", router.name.clone()),
                (REVISION_KEY, router.revision_number.to_string()),
                (
                    "neutron:availability_zone_hints",
                    router.availability_zone_hints.join(","),
                ),
            ]),
        )
        .set_map(
            "options",
            &strings([
                ("always_learn_from_arp_request", "false".into()),
                ("dynamic_neigh_routers", "true".into()),
                ("mac_binding_age_threshold", "300".into()),
            ]),
        );
    lr.revision = Some(router.revision_number);

    let subnets: BTreeMap<&str, &SubnetSpec> = resources
        .subnets
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let networks = resources.networks_by_id();
    let ports: Vec<&PortSpec> = resources
        .ports
        .iter()
        .filter(|p| is_router_port(p, &router.id))
        .collect();
    // The gateway forwards at the smallest MTU of the router's networks.
    let gateway_mtu = ports
        .iter()
        .filter_map(|p| networks.get(p.network_id.as_str()).map(|n| n.mtu))
        .min();

    let mut rows = vec![lr];
    if ports.iter().any(|p| p.device_owner == ROUTER_GATEWAY) {
        rows.extend(gateway_group(router, &name, resources.gateway_chassis));
    }
    for port in ports {
        let on_subnets: Vec<(&SubnetSpec, std::net::IpAddr)> = port
            .fixed_ips
            .iter()
            .filter_map(|f| Some((*subnets.get(f.subnet_id.as_str())?, f.ip_address)))
            .collect();
        if on_subnets.is_empty() {
            continue; // a Logical_Router_Port needs at least one network
        }
        let network = networks.get(port.network_id.as_str());
        let is_gateway = port.device_owner == ROUTER_GATEWAY;
        let mut lrp = NbRow::new(table::LOGICAL_ROUTER_PORT, router_port_name(&port.id));
        let subnet_ids: Vec<&str> = on_subnets.iter().map(|(s, _)| s.id.as_str()).collect();
        lrp.set("mac", port.mac_address.to_lowercase())
            .set_strings(
                "networks",
                on_subnets
                    .iter()
                    .map(|(s, ip)| format!("{ip}/{}", s.cidr.prefix_len())),
            )
            .set_map(
                "external_ids",
                &strings([
                    ("neutron:network_name", switch_name(&port.network_id)),
                    ("neutron:router_name", name.clone()),
                    ("neutron:subnet_ids", subnet_ids.join(" ")),
                    (
                        "neutron:is_ext_gw",
                        if is_gateway { "True" } else { "False" }.into(),
                    ),
                    (REVISION_KEY, port.revision_number.to_string()),
                ]),
            );
        let mut options = BTreeMap::new();
        if is_gateway {
            lrp.reference(
                "ha_chassis_group",
                vec![RowId::new(table::HA_CHASSIS_GROUP, name.clone())],
            );
            if let Some(mtu) = gateway_mtu {
                options.insert("gateway_mtu".to_owned(), mtu.to_string());
            }
            if network.is_some_and(|n| n.is_provider()) {
                options.insert("reside-on-redirect-chassis".to_owned(), "true".to_owned());
            }
        }
        lrp.set_map("options", &options);
        // Router advertisements for the first IPv6 subnet with an RA mode.
        let mut ra = BTreeMap::new();
        if let Some((subnet, mode)) = on_subnets
            .iter()
            .find_map(|(s, _)| s.ipv6_ra_mode.map(|m| (s, m)))
        {
            let mode = match mode {
                Ipv6AddressMode::Slaac => "slaac",
                Ipv6AddressMode::Dhcpv6Stateful => "dhcpv6_stateful",
                Ipv6AddressMode::Dhcpv6Stateless => "dhcpv6_stateless",
            };
            ra.insert("address_mode".to_owned(), mode.to_owned());
            ra.insert("send_periodic".to_owned(), "true".to_owned());
            if let Some(n) = networks.get(subnet.network_id.as_str()) {
                ra.insert("mtu".to_owned(), n.mtu.to_string());
            }
        }
        lrp.set_map("ipv6_ra_configs", &ra);
        lrp.parent = Some(RowId::new(table::LOGICAL_ROUTER, name.clone()));
        lrp.revision = Some(port.revision_number);
        rows.push(lrp);
    }
    rows
}

/// The chassis of a router's gateway with their priorities, highest first: up to
/// [`MAX_GATEWAY_CHASSIS`] gateway chassis, the list rotated by the router id so that routers
/// spread over the chassis, priorities falling from the first. A router with availability zone
/// hints takes only chassis in those zones (none there: no chassis, as upstream's scheduler
/// leaves it). The HA chassis group is made of them, and the API's L3 agent scheduler reports
/// them.
pub fn gateway_priorities(
    router_id: &str,
    hints: &[String],
    chassis: &[GatewayChassis],
) -> Vec<(String, i64)> {
    let mut sorted: Vec<&String> = chassis
        .iter()
        .filter(|c| c.serves(hints))
        .map(|c| &c.name)
        .collect();
    if sorted.is_empty() {
        return Vec::new();
    }
    sorted.sort();
    sorted.dedup();
    let start = router_id
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
        % sorted.len();
    sorted.rotate_left(start);
    let count = sorted.len().min(MAX_GATEWAY_CHASSIS);
    sorted
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, c)| (c.clone(), i64::try_from(count - i).unwrap_or(1)))
        .collect()
}

/// The chassis of a router's gateway with their priorities, highest first: the ones scheduled
/// by hand (`schedule`) that are gateway chassis now — an entry on a chassis that is gone is
/// kept but not realised — else those [`gateway_priorities`] computes.
pub fn scheduled_priorities(
    router_id: &str,
    hints: &[String],
    schedule: Option<&[(String, i64)]>,
    chassis: &[GatewayChassis],
) -> Vec<(String, i64)> {
    let Some(schedule) = schedule else {
        return gateway_priorities(router_id, hints, chassis);
    };
    let mut realised: Vec<(String, i64)> = schedule
        .iter()
        .filter(|(name, _)| chassis.iter().any(|c| c.name == *name))
        .cloned()
        .collect();
    realised.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    realised
}

/// The HA chassis group of a router's gateway: the chassis of [`scheduled_priorities`].
pub(crate) fn gateway_group(
    router: &RouterSpec,
    name: &str,
    chassis: &[GatewayChassis],
) -> Vec<NbRow> {
    let mut group = NbRow::new(table::HA_CHASSIS_GROUP, name.to_owned());
    group.set_map(
        "external_ids",
        &strings([
            ("neutron:router_id", router.id.clone()),
            (
                "neutron:availability_zone_hints",
                router.availability_zone_hints.join(","),
            ),
        ]),
    );
    let mut rows = vec![group];
    for (chassis, priority) in scheduled_priorities(
        &router.id,
        &router.availability_zone_hints,
        router.gateway_schedule.as_deref(),
        chassis,
    ) {
        let key = format!("{name}:{chassis}");
        let mut row = NbRow::new(table::HA_CHASSIS, key.clone());
        row.set("chassis_name", chassis)
            .set("priority", priority)
            .set_map("external_ids", &strings([(HA_CHASSIS_KEY, key)]));
        row.parent = Some(RowId::new(table::HA_CHASSIS_GROUP, name.to_owned()));
        rows.push(row);
    }
    rows
}
