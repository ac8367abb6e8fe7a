//! `external_networks`, `tenant_network_types` and `dns_servers` (FN-5, FN-6, FN-7, FN-12, FN-13):
//! values the schema lets through but the reference controller renders into configuration that
//! fails, or that Neutron later refuses.

use std::collections::BTreeMap;
use std::net::IpAddr;

use neutrino_cluster::finding::Finding;

use neutrino_cluster::model::fields::Located;

use super::error;
use crate::spec::{Deployment, NEUTRON, NetworkType, parse_vlan_ranges};

pub fn run(d: &Deployment, out: &mut Vec<Finding>) {
    names(d, out);
    for (i, dns) in d.neutron.dns_servers.iter().enumerate() {
        if dns.value.parse::<IpAddr>().is_err() {
            out.push(
                error(
                    d,
                    "FN-12",
                    &dns.loc,
                    format!("{NEUTRON}.dns_servers[{i}]"),
                    format!("`{}` is not an IP address", dns.value),
                )
                .hint("DHCP hands these to instances as resolvers: write addresses, not names"),
            );
        }
    }
    let mut physnets: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bridges: BTreeMap<&str, usize> = BTreeMap::new();
    let mut interfaces: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &d.neutron.external_networks {
        for (field, seen, value) in [
            ("physnet", &mut physnets, &e.physnet),
            ("bridge", &mut bridges, &e.bridge),
            ("interface", &mut interfaces, &e.interface),
        ] {
            let Some(v) = value else { continue };
            if let Some(first) = seen.insert(&v.value, e.index) {
                out.push(
                    error(d, "FN-5", &v.loc, e.path(field),
                        format!("{field} `{}` is also used by external_networks[{first}]", v.value))
                    .hint(match field {
                        "physnet" => "one entry per physnet: merge the two",
                        "bridge" => "a bridge maps to one physnet: give each entry its own bridge",
                        _ => "an interface can join one bridge only: give each entry its own interface",
                    }),
                );
            }
        }
        if let Some(m) = &e.mtu
            && !(MIN_MTU..=MAX_MTU).contains(&m.value)
        {
            out.push(
                error(
                    d,
                    "FN-15",
                    &m.loc,
                    e.path("mtu"),
                    format!("MTU {} is not between {MIN_MTU} and {MAX_MTU}", m.value),
                )
                .hint("write the physnet's MTU, e.g. 1500 or 9000"),
            );
        }
        if e.network_types.is_empty() && e.physnet.is_some() {
            out.push(
                error(
                    d,
                    "FN-6",
                    &e.loc,
                    e.path("network_types"),
                    format!(
                        "physnet `{}` carries no network type",
                        e.physnet().unwrap_or("?")
                    ),
                )
                .hint("list flat, vlan or both"),
            );
        }
        for (j, t) in e.network_types.iter().enumerate() {
            if !matches!(t.value, NetworkType::Flat | NetworkType::Vlan) {
                out.push(
                    error(d, "FN-6", &t.loc, format!("{}[{j}]", e.path("network_types")),
                        format!("an external network cannot be of type {}: only flat and vlan are realised on a physnet", t.value.name()))
                    .hint("use flat or vlan; tunnelled networks need no physnet"),
                );
            }
        }
        match &e.vlan_ranges {
            Some(r) => {
                if let Err(why) = parse_vlan_ranges(&r.value) {
                    out.push(
                        error(
                            d,
                            "FN-13",
                            &r.loc,
                            e.path("vlan_ranges"),
                            format!("invalid vlan_ranges: {why}"),
                        )
                        .hint(
                            "write \"min:max[,min:max…]\" with VLAN ids 1-4094, e.g. \"1000:1099\"",
                        ),
                    );
                }
            }
            None if e.has_type(NetworkType::Vlan) => {
                out.push(
                    error(d, "FN-7", &e.loc, e.path("vlan_ranges"),
                        format!("physnet `{}` carries vlan networks but has no vlan_ranges: the reference controller leaves it out of network_vlan_ranges and Neutron refuses VLAN networks on it",
                            e.physnet().unwrap_or("?")))
                    .hint("add vlan_ranges, e.g. \"1000:1099\""),
                );
            }
            None => {}
        }
    }
}

/// The smallest MTU an IPv4 link may have, and the largest an interface takes.
const MIN_MTU: i64 = 68;
const MAX_MTU: i64 = 65535;
/// Linux limits interface names to 15 bytes (IFNAMSIZ less the terminating zero).
const MAX_IFNAME: usize = 15;

/// FN-14: names that end up in interface names, `ovn-bridge-mappings` (`physnet:bridge,…`) and
/// `network_vlan_ranges` (`physnet:min:max`) must survive there.
fn names(d: &Deployment, out: &mut Vec<Finding>) {
    let n = &d.neutron;
    let mut ifaces: Vec<(String, &Located<String>)> = Vec::new();
    if let Some(t) = &n.tunnel_interface {
        ifaces.push((format!("{NEUTRON}.tunnel_interface"), t));
    }
    for node in &d.nodes {
        if let Some(t) = &node.tunnel_interface {
            ifaces.push((node.path("tunnel_interface"), t));
        }
    }
    for e in &n.external_networks {
        ifaces.extend(e.bridge.iter().map(|b| (e.path("bridge"), b)));
        ifaces.extend(e.interface.iter().map(|i| (e.path("interface"), i)));
        if let Some(p) = &e.physnet
            && (p.value.is_empty()
                || p.value.contains([':', ','])
                || p.value.contains(char::is_whitespace))
        {
            out.push(
                error(d, "FN-14", &p.loc, e.path("physnet"), format!("`{}` cannot name a physnet: it is empty or holds ':', ',' or a space, which separate the entries of bridge mappings and VLAN ranges", p.value))
                    .hint("use a name like physnet1"),
            );
        }
    }
    for (key, name) in ifaces {
        let v = &name.value;
        if v.is_empty()
            || v.len() > MAX_IFNAME
            || v.contains(['/', ':'])
            || v.contains(char::is_whitespace)
        {
            out.push(
                error(d, "FN-14", &name.loc, key, format!("`{v}` is not a Linux interface name (1-{MAX_IFNAME} characters, no '/', ':' or spaces)"))
                    .hint("write the interface's name as `ip link` shows it"),
            );
        }
    }
}
