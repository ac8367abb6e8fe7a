//! Several segments of one role must be routed together through the hosts' L2 templates:
//! MCN-4 (LCM), MCN-9 (Kubernetes workloads), MCN-17 (any other role with several Subnets).

use std::collections::BTreeSet;

use crate::design::Design;
use crate::design::hosts::{covers, host_loc};
use crate::design::role::NetRole;
use crate::finding::Finding;

const ROLES: &[(NetRole, &str)] = &[
    (NetRole::Lcm, "MCN-4"),
    (NetRole::Pods, "MCN-9"),
    (NetRole::External, "MCN-17"),
    (NetRole::CephPublic, "MCN-17"),
    (NetRole::CephCluster, "MCN-17"),
    (NetRole::Tenant, "MCN-17"),
];

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    for &(role, rule) in ROLES {
        // Only Subnets some host is really on count as segments of the role.
        let used: BTreeSet<&str> = design
            .rendered_hosts()
            .flat_map(|h| design.attachments(h, role).map(|a| a.subnet.as_str()))
            .collect();
        if used.len() < 2 {
            continue;
        }
        for host in design.rendered_hosts() {
            let Some(netplan) = host.rendered.as_ref().map(|r| &r.netplan) else {
                continue;
            };
            for own in design.attachments(host, role) {
                let Some(own_subnet) = design.subnets.get(&own.subnet) else {
                    continue;
                };
                let missing: Vec<String> = used
                    .iter()
                    .filter(|k| **k != own.subnet)
                    .filter_map(|k| design.subnets.get(*k))
                    .filter(|other| {
                        // A specific route via a router on the host's own segment (a default route
                        // serves the external network, not this role).
                        !netplan.routes().any(|(_, r)| {
                            r.to.prefix_len() > 0
                                && covers(&r.to, &other.cidr)
                                && r.via.is_none_or(|v| own_subnet.cidr.contains(&v))
                        })
                    })
                    .map(|other| other.cidr.to_string())
                    .collect();
                if !missing.is_empty() {
                    findings.push(
                        Finding::error(
                            rule,
                            host.host.id(),
                            host_loc(host, own.line),
                            format!(
                                "{} network has several Subnets, but host has no route from {} to {}",
                                role.name(),
                                own_subnet.cidr,
                                missing.join(", ")
                            ),
                        )
                        .hint(format!(
                            "add `routes: [{{to: <cidr>, via: {{{{gateway_from_subnet \"{}\"}}}}}}]` on {} in the L2Template",
                            own_subnet.name, own.iface
                        )),
                    );
                }
            }
        }
    }
}
