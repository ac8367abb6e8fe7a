//! A router's layer-3 rows: SNAT for its gateway addresses, the default route through the external
//! subnet's gateway and its extra routes (`Logical_Router_Static_Route`), and each associated
//! floating IP as a `dnat_and_snat` NAT row.
//!
//! Both tables are non-root, held by the router (`nat`, `static_routes`), and have no name, so
//! every row we write carries a key of its own in `external_ids` besides upstream's keys:
//! `neutron:nat_id` (the floating IP id, or `snat-<router id>-<address>`) and `neutron:route_id`
//! (`<router id>:<prefix>:<nexthop>`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use neutrino_ovsdb::Atom;

use crate::input::{
    FloatingIpSpec, MappingConfig, PortForwardingSpec, PortSpec, Resources, RouterSpec,
};
use crate::mapping::router_port_name;
use crate::router::{ROUTER_GATEWAY, router_name};
use crate::row::{NbRow, REVISION_KEY, RowId, table};

pub const NAT_KEY: &str = "neutron:nat_id";
/// Upstream's marks of a port forwarding's `Load_Balancer`.
pub const DEVICE_OWNER_KEY: &str = "neutron:device_owner";
pub const PORT_FORWARDING_OWNER: &str = "port_forwarding_plugin";
pub const PORT_FORWARDING_PROTOCOLS: [&str; 2] = ["tcp", "udp"];
pub const ROUTE_KEY: &str = "neutron:route_id";

fn strings<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A static route of the router, keyed `<router id>:<prefix>:<nexthop>` (and `:<output port>`
/// when it names one).
fn route(
    router: &RouterSpec,
    prefix: String,
    nexthop: IpAddr,
    output_port: Option<&str>,
    extra: &[(&str, String)],
) -> NbRow {
    let key = match output_port {
        Some(port) => format!("{}:{prefix}:{nexthop}:{port}", router.id),
        None => format!("{}:{prefix}:{nexthop}", router.id),
    };
    let mut row = NbRow::new(table::LOGICAL_ROUTER_STATIC_ROUTE, key.clone());
    let mut external_ids = strings([(ROUTE_KEY, key), ("neutron:is_static_route", "true".into())]);
    for (k, v) in extra {
        external_ids.insert((*k).to_owned(), v.clone());
    }
    row.set("ip_prefix", prefix)
        .set("nexthop", nexthop.to_string())
        .set_map("external_ids", &external_ids);
    row.parent = Some(RowId::new(table::LOGICAL_ROUTER, router_name(&router.id)));
    row
}

/// The router's gateway ports, the compatibility one (holding an address of
/// `external_gateway_info`) first.
pub fn gateway_ports<'a>(router: &RouterSpec, resources: &Resources<'a>) -> Vec<&'a PortSpec> {
    let mut ports: Vec<&PortSpec> = resources
        .ports
        .iter()
        .filter(|p| p.device_id == router.id && p.device_owner == ROUTER_GATEWAY)
        .collect();
    if let Some(i) = ports.iter().position(|p| {
        p.fixed_ips
            .iter()
            .any(|f| router.gateway_ips.contains(&f.ip_address))
    }) {
        let first = ports.remove(i);
        ports.insert(0, first);
    }
    ports
}

/// The gateway port a NAT row of a router with several gateways leaves through (its
/// `gateway_port`, which OVN needs to tell the distributed gateway ports apart): the one on
/// `network_id`, else the one holding `address`. None for a router with one gateway.
fn nat_gateway_port(
    gateways: &[&PortSpec],
    network_id: Option<&str>,
    address: IpAddr,
) -> Option<RowId> {
    if gateways.len() < 2 {
        return None;
    }
    gateways
        .iter()
        .find(|p| {
            p.fixed_ips.iter().any(|f| f.ip_address == address)
                || Some(p.network_id.as_str()) == network_id
        })
        .map(|p| RowId::new(table::LOGICAL_ROUTER_PORT, router_port_name(&p.id)))
}

/// `BFD`'s key in `external_ids`: `<logical port>:<nexthop>`, the table's unique index.
pub const BFD_KEY: &str = "neutron:bfd_id";

/// SNAT, the default routes and the extra routes of a router. The compatibility gateway has
/// a default route through its subnets' gateways; with `enable_default_route_ecmp` every
/// gateway has (OVN spreads traffic over routes of one prefix); with
/// `enable_default_route_bfd` each leaves through its gateway port and refers to a `BFD`
/// session with its nexthop. SNAT takes every gateway's IPv4 addresses, as upstream's
/// `update_nat_rules`.
pub fn router_l3_rows(router: &RouterSpec, resources: &Resources<'_>) -> Vec<NbRow> {
    let mut rows: Vec<NbRow> = Vec::new();
    let gateways = gateway_ports(router, resources);
    for (i, gateway) in gateways.iter().enumerate() {
        let lrp = router_port_name(&gateway.id);
        for fixed in &gateway.fixed_ips {
            let subnet = resources.subnets.iter().find(|s| s.id == fixed.subnet_id);
            if let Some(nexthop) = subnet.and_then(|s| s.gateway_ip)
                && nexthop.is_ipv4() == fixed.ip_address.is_ipv4()
                && (i == 0 || router.enable_default_route_ecmp)
            {
                let prefix = if nexthop.is_ipv4() {
                    "0.0.0.0/0"
                } else {
                    "::/0"
                };
                let bfd = router.enable_default_route_bfd;
                let mut route = route(
                    router,
                    prefix.to_owned(),
                    nexthop,
                    bfd.then_some(lrp.as_str()),
                    &[
                        ("neutron:is_ext_gw", "true".into()),
                        ("neutron:subnet_id", fixed.subnet_id.clone()),
                    ],
                );
                if bfd {
                    let key = format!("{lrp}:{nexthop}");
                    let mut session = NbRow::new(table::BFD, key.clone());
                    session
                        .set("logical_port", lrp.clone())
                        .set("dst_ip", nexthop.to_string())
                        .set_map(
                            "external_ids",
                            &strings([
                                (BFD_KEY, key.clone()),
                                ("neutron:router_name", router_name(&router.id)),
                            ]),
                        );
                    route
                        .set_optional("output_port", Some(Atom::String(lrp.clone())))
                        .reference("bfd", vec![session.id.clone()]);
                    if !rows.iter().any(|r| r.id == session.id) {
                        rows.push(session);
                    }
                }
                if !rows.iter().any(|r| r.id == route.id) {
                    rows.push(route);
                }
            }
            if router.enable_snat && fixed.ip_address.is_ipv4() {
                let key = format!("snat-{}-{}", router.id, fixed.ip_address);
                let mut nat = NbRow::new(table::NAT, key.clone());
                nat.set("type", "snat")
                    .set("external_ip", fixed.ip_address.to_string())
                    .set("logical_ip", "0.0.0.0/0")
                    .set_map("external_ids", &strings([(NAT_KEY, key)]));
                if let Some(port) = nat_gateway_port(&gateways, None, fixed.ip_address) {
                    nat.reference("gateway_port", vec![port]);
                }
                nat.parent = Some(RowId::new(table::LOGICAL_ROUTER, router_name(&router.id)));
                rows.push(nat);
            }
        }
    }
    for extra in &router.routes {
        rows.push(route(
            router,
            extra.destination.trunc().to_string(),
            extra.nexthop,
            None,
            &[],
        ));
    }
    rows
}

/// An associated floating IP's NAT row on its router.
pub fn floating_ip_row(
    config: &MappingConfig,
    fip: &FloatingIpSpec,
    resources: &Resources<'_>,
) -> Option<NbRow> {
    let (router_id, port_id, fixed) = (
        fip.router_id.as_ref()?,
        fip.port_id.as_ref()?,
        fip.fixed_ip_address?,
    );
    let port = resources.ports.iter().find(|p| &p.id == port_id);
    let distributed =
        config.distributed_floating_ips && port.is_some_and(|p| !p.host_id.is_empty());
    let mut row = NbRow::new(table::NAT, fip.id.clone());
    row.set("type", "dnat_and_snat")
        .set("external_ip", fip.floating_ip_address.to_string())
        .set("logical_ip", fixed.to_string())
        .set_optional("logical_port", Some(Atom::String(port_id.clone())))
        .set_optional(
            "external_mac",
            port.filter(|_| distributed)
                .map(|p| Atom::String(p.mac_address.to_lowercase())),
        )
        .set_map("options", &strings([("stateless", "false".into())]))
        .set_map(
            "external_ids",
            &strings([
                (NAT_KEY, fip.id.clone()),
                ("neutron:fip_id", fip.id.clone()),
                ("neutron:fip_port_id", port_id.clone()),
                ("neutron:fip_network_id", fip.floating_network_id.clone()),
                (
                    "neutron:fip_external_mac",
                    fip.floating_port_mac.to_lowercase(),
                ),
                ("neutron:router_name", router_name(router_id)),
                (REVISION_KEY, fip.revision_number.to_string()),
            ]),
        );
    if let Some(router) = resources.routers.iter().find(|r| &r.id == router_id) {
        let gateways = gateway_ports(router, resources);
        if let Some(port) = nat_gateway_port(
            &gateways,
            Some(&fip.floating_network_id),
            fip.floating_ip_address,
        ) {
            row.reference("gateway_port", vec![port]);
        }
    }
    row.parent = Some(RowId::new(table::LOGICAL_ROUTER, router_name(router_id)));
    row.revision = Some(fip.revision_number);
    Some(row)
}

/// `pf-floatingip-<fip id>-<protocol>`, upstream's name of the load balancer holding a floating
/// IP's single-port forwardings of a protocol; a port of a range has one of its own, named with
/// the external port after it.
pub fn lb_name(fip_id: &str, protocol: &str, external_port: Option<u16>) -> String {
    match external_port {
        Some(port) => format!("pf-floatingip-{fip_id}-{protocol}-{port}"),
        None => format!("pf-floatingip-{fip_id}-{protocol}"),
    }
}

/// Each external port of a forwarding with the internal port it goes to: N to N, or N to one.
fn unrolled(pf: &PortForwardingSpec) -> Vec<(u16, u16)> {
    let (start, end) = pf.external;
    let fixed = pf.internal.0 == pf.internal.1;
    (start..=end)
        .map(|ext| {
            let int = if fixed {
                pf.internal.0
            } else {
                pf.internal.0.saturating_add(ext - start)
            };
            (ext, int)
        })
        .collect()
}

/// A floating IP's port forwardings as upstream's OVN driver lays them out: one
/// `Load_Balancer` per protocol for single ports (a VIP `<fip>:<external port>` each, to
/// `<internal ip>:<internal port>`), one per external port of a range, all on the floating
/// IP's router and carrying its revision.
pub fn port_forwarding_rows(fip: &FloatingIpSpec) -> Vec<NbRow> {
    let Some(router_id) = fip.router_id.as_ref().filter(|_| fip.port_id.is_none()) else {
        return Vec::new();
    };
    let mut vips: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    for pf in &fip.port_forwardings {
        let ports = unrolled(pf);
        let ranged = ports.len() > 1;
        for (ext, int) in ports {
            let name = lb_name(&fip.id, &pf.protocol, ranged.then_some(ext));
            let vip = format!("{}:{ext}", fip.floating_ip_address);
            let backend = match pf.internal_ip {
                IpAddr::V6(a) => format!("[{a}]:{int}"),
                IpAddr::V4(a) => format!("{a}:{int}"),
            };
            vips.entry(name)
                .or_insert_with(|| (pf.protocol.clone(), BTreeMap::new()))
                .1
                .insert(vip, backend);
        }
    }
    vips.into_iter()
        .map(|(name, (protocol, vips))| {
            let mut row = NbRow::new(table::LOAD_BALANCER, name);
            row.set_optional("protocol", Some(Atom::String(protocol)))
                .set_map("vips", &vips)
                .set_map(
                    "external_ids",
                    &strings([
                        (DEVICE_OWNER_KEY, PORT_FORWARDING_OWNER.to_owned()),
                        ("neutron:fip_id", fip.id.clone()),
                        ("neutron:router_name", router_name(router_id)),
                        (REVISION_KEY, fip.revision_number.to_string()),
                    ]),
                );
            row.parent = Some(RowId::new(table::LOGICAL_ROUTER, router_name(router_id)));
            row.revision = Some(fip.revision_number);
            row
        })
        .collect()
}
