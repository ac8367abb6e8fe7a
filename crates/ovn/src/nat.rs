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

use crate::input::{FloatingIpSpec, MappingConfig, Resources, RouterSpec};
use crate::router::{ROUTER_GATEWAY, router_name};
use crate::row::{NbRow, REVISION_KEY, RowId, table};

pub const NAT_KEY: &str = "neutron:nat_id";
pub const ROUTE_KEY: &str = "neutron:route_id";

fn strings<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn route(router: &RouterSpec, prefix: String, nexthop: IpAddr, extra: &[(&str, String)]) -> NbRow {
    let key = format!("{}:{prefix}:{nexthop}", router.id);
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

/// SNAT, the default route and the extra routes of a router.
pub fn router_l3_rows(router: &RouterSpec, resources: &Resources<'_>) -> Vec<NbRow> {
    let mut rows = Vec::new();
    let gateway = resources
        .ports
        .iter()
        .find(|p| p.device_id == router.id && p.device_owner == ROUTER_GATEWAY);
    if let Some(gateway) = gateway {
        for fixed in &gateway.fixed_ips {
            let subnet = resources.subnets.iter().find(|s| s.id == fixed.subnet_id);
            if let Some(nexthop) = subnet.and_then(|s| s.gateway_ip)
                && nexthop.is_ipv4() == fixed.ip_address.is_ipv4()
            {
                let prefix = if nexthop.is_ipv4() {
                    "0.0.0.0/0"
                } else {
                    "::/0"
                };
                rows.push(route(
                    router,
                    prefix.to_owned(),
                    nexthop,
                    &[
                        ("neutron:is_ext_gw", "true".into()),
                        ("neutron:subnet_id", fixed.subnet_id.clone()),
                    ],
                ));
            }
            if router.enable_snat && fixed.ip_address.is_ipv4() {
                let key = format!("snat-{}-{}", router.id, fixed.ip_address);
                let mut nat = NbRow::new(table::NAT, key.clone());
                nat.set("type", "snat")
                    .set("external_ip", fixed.ip_address.to_string())
                    .set("logical_ip", "0.0.0.0/0")
                    .set_map("external_ids", &strings([(NAT_KEY, key)]));
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
    row.parent = Some(RowId::new(table::LOGICAL_ROUTER, router_name(router_id)));
    row.revision = Some(fip.revision_number);
    Some(row)
}
