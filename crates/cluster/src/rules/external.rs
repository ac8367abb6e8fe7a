//! The Kubernetes external network: MCN-11 (services range vs external range), MCN-12 (one stretched
//! external segment), MCN-13 (default route via the external gateway).

use std::collections::BTreeMap;

use crate::design::Design;
use crate::design::hosts::host_loc;
use crate::design::role::NetRole;
use crate::finding::Finding;
use crate::ipam::AddressRanges;
use crate::model::host::NodeRole;

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    check_services_range(design, findings);
    check_segment(design, findings);
    check_default_route(design, findings);
}

fn check_services_range(design: &Design, findings: &mut Vec<Finding>) {
    // An external Subnet that failed its own checks (SN-*) cannot be compared; do not pile on.
    let broken = design.input.subnets.iter().any(|s| {
        s.meta.has_label(NetRole::External.label())
            && !design
                .subnets
                .contains_key(&format!("{}/{}", s.meta.namespace, s.meta.name))
    });
    if broken {
        return;
    }
    let external: Vec<_> = design.subnets_with(NetRole::External).collect();
    for pool in &design.pools {
        for (first, last, text, loc) in &pool.entries {
            let home = external
                .iter()
                .find(|s| s.cidr.contains(first) && s.cidr.contains(last));
            let Some(home) = home else {
                findings.push(
                    Finding::error(
                        "MCN-11",
                        &pool.object,
                        loc.clone(),
                        format!("MetalLB range `{text}` (pool {}) is not inside the external network's Subnet", pool.name),
                    )
                    .hint("the services range must be in the same L2 segment/CIDR as the Kubernetes external Subnet"),
                );
                continue;
            };
            let mut range = AddressRanges::default();
            range.insert(*first, *last);
            let overlap = range.intersect(&home.declared);
            if !overlap.is_empty() {
                findings.push(
                    Finding::error(
                        "MCN-11",
                        &pool.object,
                        loc.clone(),
                        format!(
                            "MetalLB range `{text}` overlaps {} address(es) that Subnet `{}` hands to nodes",
                            overlap.len(),
                            home.name
                        ),
                    )
                    .hint(format!("shrink the Subnet's includeRanges or exclude the MetalLB range from `{}`", home.name)),
                );
            }
        }
    }
}

fn check_segment(design: &Design, findings: &mut Vec<Finding>) {
    if design.subnets_with(NetRole::External).next().is_none() {
        return;
    }
    // The segment most hosts use is "the" external segment; others are off it.
    let mut segments: BTreeMap<(String, Vec<u16>), usize> = BTreeMap::new();
    for host in design.rendered_hosts() {
        for a in design.attachments(host, NetRole::External) {
            *segments
                .entry((a.subnet.clone(), a.vlans.iter().copied().collect()))
                .or_default() += 1;
        }
    }
    let main = segments
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone());
    for host in design.rendered_hosts() {
        let ext: Vec<_> = design.attachments(host, NetRole::External).collect();
        if ext.is_empty() {
            let controller = host.host.roles.contains(&NodeRole::Controller);
            let finding = if controller {
                Finding::error(
                    "MCN-12",
                    host.host.id(),
                    host.host.loc.clone(),
                    "OpenStack controller is not on the Kubernetes external network; MetalLB in L2 mode cannot announce from it",
                )
            } else {
                Finding::warning(
                    "MCN-12",
                    host.host.id(),
                    host.host.loc.clone(),
                    "host has no address in the external range (MOSK 22.2+ puts one on every node so replies return to clients)",
                )
            };
            findings.push(finding.hint("add a k8s-ext bridge on the external VLAN with an `ip` macro from the external Subnet"));
            continue;
        }
        for a in ext {
            let key = (
                a.subnet.clone(),
                a.vlans.iter().copied().collect::<Vec<_>>(),
            );
            if main.as_ref().is_some_and(|m| *m != key) {
                let (subnet, vlans) = main.clone().unwrap_or_default();
                findings.push(
                    Finding::error(
                        "MCN-12",
                        host.host.id(),
                        host_loc(host, a.line),
                        format!(
                            "host's external address {} is on Subnet `{}` VLAN {:?}, not on the shared external segment (`{}` VLAN {:?})",
                            a.address, a.subnet, a.vlans, subnet, vlans
                        ),
                    )
                    .hint("stretch one external VLAN to every node; MetalLB L2 announcements need a single segment"),
                );
            }
        }
    }
}

fn check_default_route(design: &Design, findings: &mut Vec<Finding>) {
    for host in design.rendered_hosts() {
        let Some(a) = design.attachments(host, NetRole::External).next() else {
            continue;
        };
        let Some(subnet) = design.subnets.get(&a.subnet) else {
            continue;
        };
        let Some(gateway) = subnet.gateway else {
            findings.push(
                Finding::error(
                    "MCN-13",
                    subnet.id(),
                    subnet.loc.clone(),
                    "the external Subnet has no gateway for the nodes' default route",
                )
                .hint("set spec.gateway on the external Subnet"),
            );
            continue;
        };
        let Some(netplan) = host.rendered.as_ref().map(|r| &r.netplan) else {
            continue;
        };
        let defaults: Vec<_> = netplan
            .routes()
            .filter(|(_, r)| r.to.prefix_len() == 0)
            .collect();
        let good = defaults.iter().any(|(_, r)| r.via == Some(gateway));
        if !good {
            let (line, what) = match defaults.first() {
                Some((i, r)) => (
                    r.line,
                    format!(
                        "default route on {} goes via {}",
                        i.name,
                        r.via
                            .map_or_else(|| "no gateway (on-link)".to_string(), |v| v.to_string())
                    ),
                ),
                None => (a.line, "host has no default route".to_string()),
            };
            findings.push(
                Finding::error(
                    "MCN-13",
                    host.host.id(),
                    host_loc(host, line),
                    format!("{what}; it must go via the external gateway {gateway}"),
                )
                .hint(format!(
                    "on {}: `routes: [{{to: default, via: {{{{gateway_from_subnet \"{}\"}}}}}}]`",
                    a.iface, subnet.name
                )),
            );
        }
    }
}
