//! `floating_network` (FN-1..4, FN-11): the floating network must sit on a declared physnet with a
//! type that physnet carries, and its subnet must be consistent in itself. The reference
//! controller checks none of this and fails in its render or in the bootstrap job.

use std::net::Ipv4Addr;

use neutrino_cluster::finding::Finding;

use super::error;
use crate::spec::{Deployment, NEUTRON, NetworkType, parse_vlan_ranges};

pub fn run(d: &Deployment, out: &mut Vec<Finding>) {
    let Some(f) = d.floating() else { return };
    let path = |key: &str| format!("{NEUTRON}.floating_network.{key}");
    if !d.tf_preset()
        && let Some(physnet) = &f.physnet
    {
        match d.external_network(&physnet.value) {
            None => out.push(
                error(
                    d,
                    "FN-1",
                    &physnet.loc,
                    path("physnet"),
                    format!(
                        "physnet `{}` is not one of external_networks[].physnet",
                        physnet.value
                    ),
                )
                .hint("add an external_networks entry for it, or name one that exists"),
            ),
            Some(ext) => {
                let t = f.network_type();
                let loc = f.network_type.as_ref().map_or(&physnet.loc, |t| &t.loc);
                if !ext.has_type(t) {
                    out.push(
                        error(
                            d,
                            "FN-2",
                            loc,
                            path("network_type"),
                            format!(
                                "physnet `{}` does not carry {} networks (its network_types: {})",
                                physnet.value,
                                t.name(),
                                ext.network_types
                                    .iter()
                                    .map(|t| t.value.name())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                        .hint(format!(
                            "add {} to external_networks[{}].network_types, or change network_type",
                            t.name(),
                            ext.index
                        )),
                    );
                }
                segmentation(d, f, ext, out);
            }
        }
    }
    let Some(s) = &f.subnet else {
        out.push(
            error(d, "FN-11", &f.loc, path("subnet"),
                "floating_network is enabled without a subnet: the reference controller fails to render it".into())
            .hint("add subnet: {range, pool_start, pool_end, gateway}"),
        );
        return;
    };
    let Some(range) = &s.range else { return };
    let net = range.value;
    let usable = |a: Ipv4Addr| net.contains(&a) && a != net.network() && a != net.broadcast();
    for (key, addr) in [
        ("pool_start", &s.pool_start),
        ("pool_end", &s.pool_end),
        ("gateway", &s.gateway),
    ] {
        if let Some(a) = addr
            && !usable(a.value)
        {
            out.push(
                error(
                    d,
                    "FN-4",
                    &a.loc,
                    path(&format!("subnet.{key}")),
                    format!("{key} {} is not a host address of range {net}", a.value),
                )
                .hint(format!(
                    "pick an address between {} and {}",
                    net.network(),
                    net.broadcast()
                )),
            );
        }
    }
    if let (Some(a), Some(b)) = (&s.pool_start, &s.pool_end) {
        if a.value > b.value {
            out.push(
                error(
                    d,
                    "FN-4",
                    &a.loc,
                    path("subnet.pool_start"),
                    format!("pool_start {} is after pool_end {}", a.value, b.value),
                )
                .hint("swap them"),
            );
        } else if let Some(g) = &s.gateway
            && (a.value..=b.value).contains(&g.value)
        {
            out.push(
                error(d, "FN-4", &g.loc, path("subnet.gateway"),
                    format!("gateway {} lies inside the pool {}-{}: it could be handed out as a floating IP", g.value, a.value, b.value))
                .hint("move the gateway out of the pool, or shrink the pool"),
            );
        }
    }
}

/// FN-3: a VLAN floating network needs a segmentation id from the physnet's ranges; a flat one has
/// none (Neutron refuses it).
fn segmentation(
    d: &Deployment,
    f: &crate::spec::FloatingNetwork,
    ext: &crate::spec::ExternalNetwork,
    out: &mut Vec<Finding>,
) {
    let key = format!("{NEUTRON}.floating_network.segmentation_id");
    match (f.network_type(), &f.segmentation_id) {
        (NetworkType::Vlan, None) => out.push(
            error(
                d,
                "FN-3",
                &f.loc,
                key,
                "a vlan floating network needs a segmentation_id".into(),
            )
            .hint("add segmentation_id, a VLAN id from the physnet's vlan_ranges"),
        ),
        (NetworkType::Vlan, Some(id)) => {
            let ranges = ext
                .vlan_ranges
                .as_ref()
                .and_then(|r| parse_vlan_ranges(&r.value).ok())
                .unwrap_or_default();
            let inside = ranges
                .iter()
                .any(|(a, b)| (i64::from(*a)..=i64::from(*b)).contains(&id.value));
            if !(1..=4094).contains(&id.value) || !inside {
                out.push(
                    error(
                        d,
                        "FN-3",
                        &id.loc,
                        key,
                        format!(
                            "segmentation_id {} is not in physnet `{}`'s vlan_ranges ({})",
                            id.value,
                            ext.physnet().unwrap_or("?"),
                            ext.vlan_ranges
                                .as_ref()
                                .map_or("none", |r| r.value.as_str())
                        ),
                    )
                    .hint("pick a VLAN id from vlan_ranges, or widen them"),
                );
            }
        }
        (_, Some(id)) => out.push(
            error(
                d,
                "FN-3",
                &id.loc,
                key,
                format!(
                    "a {} network has no segmentation_id",
                    f.network_type().name()
                ),
            )
            .hint("remove segmentation_id, or use network_type: vlan"),
        ),
        (_, None) => {}
    }
}
