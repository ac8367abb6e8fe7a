//! Checks against a cluster design (`--cluster`): what the spec asks of the hosts, looked up in
//! each host's rendered netplan, and the floating range against the cluster's address plan.
//! Findings point at the spec's line and name the hosts.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use neutrino_cluster::design::Design;
use neutrino_cluster::design::role::NetRole;
use neutrino_cluster::finding::Finding;
use neutrino_cluster::ipam::ranges::AddressRanges;
use neutrino_cluster::model::fields::Located;

use super::{error, some_hosts};
use crate::chassis::{Chassis, chassis};
use crate::spec::{Deployment, NEUTRON, TUNNEL_OVERHEAD, Tunnel};

pub fn run(d: &Deployment, design: &Design, out: &mut Vec<Finding>) {
    let hosts = chassis(d, design);
    super::nodes::against_hosts(d, design, &hosts, out);
    tunnel(d, &hosts, out);
    external(d, &hosts, out);
    floating(d, design, out);
}

/// FN-9, FN-10: the tunnel interface exists with IPv4 (ovn-encap-ip is its first address) and is
/// large enough for tenant networks plus the tunnel header. Each host is checked with its own
/// tunnel interface (a `spec.nodes` entry's, else the deployment-wide one); findings point at the
/// value the hosts use.
fn tunnel(d: &Deployment, hosts: &[Chassis], out: &mut Vec<Finding>) {
    // The key path of each value used → the value and its hosts (hosts with clashing entries are
    // ND-2's).
    let mut groups: BTreeMap<String, (Tunnel, Vec<&Chassis>)> = BTreeMap::new();
    for h in hosts {
        if let Ok(Some(t)) = d.tunnel_for(h.labels) {
            groups.entry(t.path()).or_insert((t, Vec::new())).1.push(h);
        }
    }
    for (key, (t, hosts)) in groups {
        tunnel_on(d, t.name, key, &hosts, out);
    }
}

fn tunnel_on(
    d: &Deployment,
    t: &Located<String>,
    key: String,
    hosts: &[&Chassis],
    out: &mut Vec<Finding>,
) {
    let (mut missing, mut no_ipv4, mut small) = (Vec::new(), Vec::new(), Vec::new());
    let needed = d.physnet_mtu();
    for h in hosts {
        match h.netplan.interfaces.get(&t.value) {
            None => missing.push(h.name),
            Some(iface) => {
                if iface.addresses.is_empty() {
                    no_ipv4.push(h.name);
                }
                let mtu = h.netplan.mtu(iface);
                if mtu < needed {
                    small.push((h.name, mtu));
                }
            }
        }
    }
    if !missing.is_empty() {
        out.push(
            error(d, "FN-9", &t.loc, key.clone(),
                format!("tunnel_interface `{}` does not exist on {} host(s): {}", t.value, missing.len(), some_hosts(&missing)))
            .hint("name the interface that carries the tenant (tunnel) network on every compute, gateway and controller, e.g. br-tenant; where hosts name it differently, set it for them under spec.nodes[\"<label>::<value>\"].features.neutron.tunnel_interface"),
        );
    }
    if !no_ipv4.is_empty() {
        out.push(
            error(d, "FN-9", &t.loc, key.clone(),
                format!("tunnel_interface `{}` has no IPv4 address on {} host(s): {}; ovn-encap-ip cannot be set", t.value, no_ipv4.len(), some_hosts(&no_ipv4)))
            .hint("give the interface an address from the tenant Subnet in the hosts' L2Template"),
        );
    }
    if !small.is_empty() {
        let names: Vec<&str> = small.iter().map(|(n, _)| *n).collect();
        let smallest = small.iter().map(|(_, m)| *m).min().unwrap_or_default();
        out.push(
            error(d, "FN-10", &t.loc, key,
                format!("tunnel_interface `{}` has MTU {smallest} on {} host(s) ({}), but tenant networks get MTU {} and the tunnel adds {TUNNEL_OVERHEAD} bytes: packets of full size are dropped",
                    t.value, small.len(), some_hosts(&names), needed - TUNNEL_OVERHEAD))
            .hint(format!("raise the tunnel interface's MTU to at least {needed} in the L2Template, or lower external_networks[].mtu")),
        );
    }
}

/// DC-1, DC-2, FN-8: the external interfaces exist where bridges need them, the bridge names are
/// free, and the physnet MTU fits the interface.
fn external(d: &Deployment, hosts: &[Chassis], out: &mut Vec<Finding>) {
    let needing: Vec<&Chassis> = hosts.iter().filter(|h| h.external).collect();
    for e in &d.neutron.external_networks {
        if let Some(b) = &e.bridge {
            let clash: Vec<&str> = needing
                .iter()
                .filter(|h| h.netplan.interfaces.contains_key(&b.value))
                .map(|h| h.name)
                .collect();
            if !clash.is_empty() {
                out.push(
                    error(d, "DC-2", &b.loc, e.path("bridge"),
                        format!("bridge `{}` is already a host interface on {} host(s): {}; Open vSwitch cannot create it", b.value, clash.len(), some_hosts(&clash)))
                    .hint("name the Open vSwitch bridge differently, e.g. br-ex"),
                );
            }
        }
        let Some(i) = &e.interface else { continue };
        let mut missing = Vec::new();
        let mut small = Vec::new();
        for h in &needing {
            match h.netplan.interfaces.get(&i.value) {
                None => missing.push(h.name),
                Some(iface) => {
                    let mtu = h.netplan.mtu(iface);
                    if let Some(want) = &e.mtu
                        && i64::from(mtu) < want.value
                    {
                        small.push((h.name, mtu));
                    }
                }
            }
        }
        if !missing.is_empty() {
            out.push(
                error(d, "DC-1", &i.loc, e.path("interface"),
                    format!("interface `{}` of physnet `{}` does not exist on {} host(s) that bridge external networks: {}",
                        i.value, e.physnet().unwrap_or("?"), missing.len(), some_hosts(&missing)))
                .hint("add the interface (e.g. a VLAN without an address) to the gateways' and computes' L2Template"),
            );
        }
        if let (false, Some(want)) = (small.is_empty(), &e.mtu) {
            let names: Vec<&str> = small.iter().map(|(n, _)| *n).collect();
            let smallest = small.iter().map(|(_, m)| *m).min().unwrap_or_default();
            out.push(
                error(d, "FN-8", &want.loc, e.path("mtu"),
                    format!("physnet `{}` has MTU {} but interface `{}` has MTU {smallest} on {} host(s): {}",
                        e.physnet().unwrap_or("?"), want.value, i.value, small.len(), some_hosts(&names)))
                .hint(format!("lower mtu to {smallest}, or raise the interface's MTU in the L2Template")),
            );
        }
    }
}

/// DC-3..5: the floating pool against the cluster's address plan.
fn floating(d: &Deployment, design: &Design, out: &mut Vec<Finding>) {
    let Some(s) = d.floating().and_then(|f| f.subnet.as_ref()) else {
        return;
    };
    let (Some(range), Some(start), Some(end)) = (&s.range, &s.pool_start, &s.pool_end) else {
        return;
    };
    if start.value > end.value {
        return; // FN-4
    }
    let mut pool = AddressRanges::default();
    pool.insert(start.value, end.value);
    let key = |k: &str| format!("{NEUTRON}.floating_network.subnet.{k}");
    let net = range.value;
    for subnet in design.subnets.values() {
        let overlaps = subnet.cidr.contains(&net.network()) || net.contains(&subnet.cidr.network());
        if !overlaps {
            continue;
        }
        if !subnet.cidr.contains(&net) {
            out.push(
                error(
                    d,
                    "DC-3",
                    &range.loc,
                    key("range"),
                    format!(
                        "range {net} overlaps Subnet `{}` ({}) but is not inside it",
                        subnet.name, subnet.cidr
                    ),
                )
                .hint(format!(
                    "use a range inside {}, or one that overlaps no cluster Subnet",
                    subnet.cidr
                )),
            );
        } else if !subnet.has(NetRole::External) {
            out.push(
                error(d, "DC-3", &range.loc, key("range"),
                    format!("range {net} lies in Subnet `{}`, which is not the Kubernetes external network", subnet.name))
                .hint("put floating IPs on the external network or on a network of their own"),
            );
        }
        let taken = pool.intersect(&subnet.allocatable);
        if let Some((a, _)) = taken.intervals().next() {
            out.push(
                error(d, "DC-5", &start.loc, key("pool_start"),
                    format!("the pool shares {} address(es) with host addresses of Subnet `{}` (first: {a})", taken.len(), subnet.name))
                .hint("shrink the Subnet's includeRanges or move the pool out of them"),
            );
        }
    }
    let hosts: Vec<(Ipv4Addr, &str)> = design
        .addresses
        .iter()
        .filter(|(_, a)| pool.contains(**a))
        .map(|(k, a)| (*a, k.host.as_str()))
        .collect();
    if let Some((a, host)) = hosts.first() {
        out.push(
            error(d, "DC-5", &start.loc, key("pool_start"),
                format!("{a} in the pool is the address of host `{host}` ({} host address(es) in the pool)", hosts.len()))
            .hint("move the pool away from host addresses"),
        );
    }
    for p in &design.pools {
        let shared = pool.intersect(&p.ranges);
        if let Some((a, _)) = shared.intervals().next() {
            out.push(
                error(d, "DC-4", &start.loc, key("pool_start"),
                    format!("the pool shares {} address(es) with MetalLB pool `{}` (first: {a})", shared.len(), p.name))
                .hint("floating IPs and Kubernetes service addresses must not meet: move one of the ranges"),
            );
        }
    }
    if let Some(vip) = &design.vip
        && pool.contains(vip.address)
    {
        out.push(
            error(
                d,
                "DC-4",
                &start.loc,
                key("pool_start"),
                format!("the pool holds the cluster API VIP {}", vip.address),
            )
            .hint("move the pool away from the API VIP"),
        );
    }
}
