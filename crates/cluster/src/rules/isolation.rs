//! Networks hosts must not be on: MCN-1 (PXE on operational nodes), MCN-18 (out-of-band), and MCN-10
//! (a pods network shared between clusters).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::design::Design;
use crate::design::hosts::host_loc;
use crate::design::role::NetRole;
use crate::finding::Finding;

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    for host in design.rendered_hosts() {
        for a in design.attachments(host, NetRole::Pxe) {
            findings.push(
                Finding::error(
                    "MCN-1",
                    host.host.id(),
                    host_loc(host, a.line),
                    format!(
                        "operational host has PXE address {} on {}",
                        a.address, a.iface
                    ),
                )
                .hint("the PXE network is for provisioning only: drop it from the L2Template"),
            );
        }
        for a in design.attachments(host, NetRole::Oob) {
            findings.push(
                Finding::error(
                    "MCN-18",
                    host.host.id(),
                    host_loc(host, a.line),
                    format!(
                        "host OS has out-of-band address {} on {}",
                        a.address, a.iface
                    ),
                )
                .hint("BMCs are out of band: never configure the OOB network on hosts"),
            );
        }
        let Some(r) = &host.rendered else { continue };
        for oob in design.subnets_with(NetRole::Oob) {
            for (iface, route) in r.netplan.routes() {
                if route.to.prefix_len() > 0
                    && (route.to.contains(&oob.cidr.network())
                        || oob.cidr.contains(&route.to.network()))
                {
                    findings.push(
                        Finding::error(
                            "MCN-18",
                            host.host.id(),
                            host_loc(host, route.line),
                            format!("route on {} to {} reaches the out-of-band network {}", iface.name, route.to, oob.cidr),
                        )
                        .hint("the OOB network must not be reachable from the cluster; remove the route"),
                    );
                }
            }
        }
    }
    check_bmc(design, findings);
    check_shared_pods(design, findings);
}

/// A BMC address must be in an OOB Subnet, never in a network the cluster's hosts are on.
fn check_bmc(design: &Design, findings: &mut Vec<Finding>) {
    for host in &design.hosts {
        let Some(bmc) = &host.host.bmc else { continue };
        let Ok(addr) = bmc.value.parse::<Ipv4Addr>() else {
            findings.push(
                Finding::error(
                    "IN-3",
                    host.host.id(),
                    bmc.loc.clone(),
                    format!("bmc `{}` is not an IPv4 address", bmc.value),
                )
                .hint("write the BMC's IPv4 address"),
            );
            continue;
        };
        let inside: Vec<_> = design
            .subnets
            .values()
            .filter(|s| s.cidr.contains(&addr))
            .collect();
        if let Some(s) = inside.iter().find(|s| !s.has(NetRole::Oob)) {
            findings.push(
                Finding::error(
                    "MCN-18",
                    host.host.id(),
                    bmc.loc.clone(),
                    format!(
                        "BMC {addr} is inside Subnet `{}` ({}), so the cluster can reach it",
                        s.name, s.cidr
                    ),
                )
                .hint("put BMCs on a separate out-of-band network"),
            );
        }
    }
}

fn check_shared_pods(design: &Design, findings: &mut Vec<Finding>) {
    let mut users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for plan in design.templates.values() {
        // A template bound to no cluster is reported as L2T-7; it shares nothing yet.
        let Some(cluster) = plan.template.meta.cluster() else {
            continue;
        };
        for key in plan.layout.values() {
            if design
                .subnets
                .get(key)
                .is_some_and(|s| s.has(NetRole::Pods))
            {
                users.entry(key).or_default().insert(cluster);
            }
        }
    }
    for (key, clusters) in users {
        if clusters.len() > 1
            && let Some(s) = design.subnets.get(key)
        {
            findings.push(
                Finding::warning(
                    "MCN-10",
                    s.id(),
                    s.loc.clone(),
                    format!(
                        "pods Subnet is used by the L2Templates of {} clusters ({})",
                        clusters.len(),
                        clusters.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .hint("give each cluster its own Kubernetes workloads Subnet"),
            );
        }
    }
}
