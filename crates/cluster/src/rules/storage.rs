//! Ceph networks: MCN-14 (storage access = publicNet), MCN-15 (storage replication = clusterNet),
//! MCN-16 (storage traffic on its own interfaces).

use std::collections::BTreeSet;

use ipnet::Ipv4Net;

use crate::design::Design;
use crate::design::hosts::host_loc;
use crate::design::role::NetRole;
use crate::finding::Finding;
use crate::model::fields::Located;
use crate::model::host::NodeRole;

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    check_role(design, NetRole::CephPublic, "MCN-14", "publicNet", findings);
    check_role(
        design,
        NetRole::CephCluster,
        "MCN-15",
        "clusterNet",
        findings,
    );
    check_dedicated(design, findings);
}

/// Parses a Ceph comma-separated CIDR list.
pub fn parse_cidr_list(text: &str) -> Result<BTreeSet<Ipv4Net>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Ipv4Net>()
                .map_err(|_| format!("`{s}` is not an IPv4 CIDR"))
        })
        .collect()
}

fn check_role(
    design: &Design,
    role: NetRole,
    rule: &'static str,
    field: &str,
    findings: &mut Vec<Finding>,
) {
    let cidrs: BTreeSet<Ipv4Net> = design.subnets_with(role).map(|s| s.cidr).collect();
    for ceph in &design.input.ceph {
        let value: Option<&Located<String>> = match role {
            NetRole::CephPublic => ceph.public_net.as_ref(),
            _ => ceph.cluster_net.as_ref(),
        };
        let Some(value) = value else { continue };
        match parse_cidr_list(&value.value) {
            Err(e) => findings.push(
                Finding::error(
                    "IN-3",
                    ceph.meta.id(),
                    value.loc.clone(),
                    format!("{field}: {e}"),
                )
                .hint("write a comma-separated list of IPv4 CIDRs"),
            ),
            Ok(listed) if listed != cidrs => findings.push(
                Finding::error(
                    rule,
                    ceph.meta.id(),
                    value.loc.clone(),
                    format!(
                        "{field} is {} but the {} Subnets ({}) are {}",
                        value.value,
                        role.name(),
                        role.label(),
                        if cidrs.is_empty() {
                            "missing".to_string()
                        } else {
                            cidrs
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(",")
                        }
                    ),
                )
                .hint(format!(
                    "list exactly the CIDRs of the Subnets labelled {}",
                    role.label()
                )),
            ),
            Ok(_) => {}
        }
    }
    // Storage nodes need both Ceph networks (clients' storage-access needs are NB-6).
    for host in design.rendered_hosts() {
        if !host.host.roles.contains(&NodeRole::Storage)
            || design.attachments(host, role).next().is_some()
        {
            continue;
        }
        findings.push(
            Finding::error(
                rule,
                host.host.id(),
                host.host.loc.clone(),
                format!("storage node has no address on the {} network", role.name()),
            )
            .hint(format!(
                "add an `ip` macro on a Subnet labelled {} to the storage nodes' L2Template",
                role.label()
            )),
        );
    }
    if role == NetRole::CephCluster {
        for host in design.rendered_hosts() {
            if host.host.roles.contains(&NodeRole::Storage) {
                continue;
            }
            if let Some(a) = design.attachments(host, role).next() {
                findings.push(
                    Finding::warning(
                        rule,
                        host.host.id(),
                        host_loc(host, a.line),
                        "only storage nodes need the storage replication network",
                    )
                    .hint("remove the Ceph cluster network from non-storage templates"),
                );
            }
        }
    }
}

fn check_dedicated(design: &Design, findings: &mut Vec<Finding>) {
    for host in design.rendered_hosts() {
        let lcm_nics: BTreeSet<&String> = design
            .attachments(host, NetRole::Lcm)
            .flat_map(|a| a.nics.iter())
            .collect();
        for role in [NetRole::CephPublic, NetRole::CephCluster] {
            for a in design.attachments(host, role) {
                let shared: Vec<&String> = a.nics.iter().filter(|n| lcm_nics.contains(n)).collect();
                if !shared.is_empty() {
                    findings.push(
                        Finding::warning(
                            "MCN-16",
                            host.host.id(),
                            host_loc(host, a.line),
                            format!(
                                "{} traffic on {} shares NIC(s) {} with the LCM network",
                                role.name(),
                                a.iface,
                                shared
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                        .hint("put Ceph networks on a dedicated bond/NIC pair"),
                    );
                }
            }
        }
    }
}
