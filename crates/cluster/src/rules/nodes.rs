//! Per-node layout rules: NB-3 (VLAN consistency across racks), NB-6 (the networks each node role
//! needs), NB-7 (one tunnel interface name everywhere), NB-8 (MTUs), HOST-2 (a MAC on two hosts).

use std::collections::BTreeMap;

use crate::design::Design;
use crate::design::hosts::host_loc;
use crate::design::role::NetRole;
use crate::finding::{Finding, Loc};
use crate::model::host::NodeRole;

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    check_vlans(design, findings);
    check_role_matrix(design, findings);
    check_tunnel_names(design, findings);
    check_mtu(design, findings);
    check_macs(design, findings);
}

/// Subnet → (an example host, where its address is written).
type SubnetsSeen<'a> = BTreeMap<&'a str, (&'a str, Loc)>;

/// NB-3: a VLAN id in one rack carries one Subnet, and a Subnet stretched over racks keeps its VLAN id.
fn check_vlans(design: &Design, findings: &mut Vec<Finding>) {
    let mut by_rack_vlan: BTreeMap<(&str, u16), SubnetsSeen> = BTreeMap::new();
    let mut by_subnet: BTreeMap<&str, BTreeMap<Vec<u16>, &str>> = BTreeMap::new();
    for host in design.rendered_hosts() {
        let Some(r) = &host.rendered else { continue };
        for a in &r.attachments {
            for vlan in &a.vlans {
                by_rack_vlan
                    .entry((host.host.rack.as_str(), *vlan))
                    .or_default()
                    .entry(a.subnet.as_str())
                    .or_insert_with(|| (&host.host.name, host_loc(host, a.line)));
            }
            by_subnet
                .entry(a.subnet.as_str())
                .or_default()
                .entry(a.vlans.iter().copied().collect())
                .or_insert(&host.host.name);
        }
    }
    for ((rack, vlan), subnets) in by_rack_vlan {
        if subnets.len() > 1 {
            let list: Vec<String> = subnets
                .iter()
                .map(|(s, (h, _))| format!("{s} (e.g. {h})"))
                .collect();
            findings.push(
                Finding::error(
                    "NB-3",
                    format!("rack/{}", if rack.is_empty() { "-" } else { rack }),
                    subnets
                        .values()
                        .nth(1)
                        .map(|(_, loc)| loc.clone())
                        .unwrap_or_default(),
                    format!(
                        "VLAN {vlan} carries {} different Subnets in one rack: {}",
                        subnets.len(),
                        list.join(", ")
                    ),
                )
                .hint(
                    "one L2 segment (VLAN) per Subnet in a rack; give each network its own VLAN id",
                ),
            );
        }
    }
    for (subnet, variants) in by_subnet {
        if variants.len() > 1 {
            let list: Vec<String> = variants
                .iter()
                .map(|(v, h)| format!("{v:?} on {h}"))
                .collect();
            let (object, loc) = design
                .subnets
                .get(subnet)
                .map_or((subnet.to_string(), Default::default()), |s| {
                    (s.id(), s.loc.clone())
                });
            findings.push(
                Finding::error(
                    "NB-3",
                    object,
                    loc,
                    format!(
                        "Subnet is reached over different VLAN ids on different hosts: {}",
                        list.join(", ")
                    ),
                )
                .hint("a Subnet is one L2 segment: use the same VLAN id wherever it is stretched"),
            );
        }
    }
}

/// NB-6: the networks each node role joins (D7 "L2 template for a MOSK controller node").
fn check_role_matrix(design: &Design, findings: &mut Vec<Finding>) {
    let present = |role| design.subnets_with(role).next().is_some();
    let needs: &[(NodeRole, NetRole)] = &[
        (NodeRole::Manager, NetRole::Pods),
        (NodeRole::Controller, NetRole::Pods),
        (NodeRole::Compute, NetRole::Pods),
        (NodeRole::Gateway, NetRole::Pods),
        (NodeRole::Storage, NetRole::Pods),
        (NodeRole::Controller, NetRole::Tenant),
        (NodeRole::Compute, NetRole::Tenant),
        (NodeRole::Gateway, NetRole::Tenant),
        (NodeRole::Controller, NetRole::CephPublic),
        (NodeRole::Compute, NetRole::CephPublic),
    ];
    for host in design.rendered_hosts() {
        if host.host.roles.is_empty() {
            findings.push(
                Finding::warning(
                    "NB-6",
                    host.host.id(),
                    host.host.loc.clone(),
                    "host has no node role; role-based rules are skipped",
                )
                .hint("give the host roles (manager, controller, compute, gateway, storage)"),
            );
            continue;
        }
        for &(node_role, net) in needs {
            if host.host.roles.contains(&node_role)
                && present(net)
                && design.attachments(host, net).next().is_none()
            {
                findings.push(
                    Finding::error(
                        "NB-6",
                        host.host.id(),
                        host.host.loc.clone(),
                        format!(
                            "{} node is not on the {} network",
                            node_role.name(),
                            net.name()
                        ),
                    )
                    .hint(format!(
                        "add the {} Subnet to this node's L2Template",
                        net.name()
                    )),
                );
            }
        }
    }
}

/// NB-7: `tunnel_interface` is one name for the whole cloud, so the tenant underlay interface must be
/// called the same on every node.
fn check_tunnel_names(design: &Design, findings: &mut Vec<Finding>) {
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for host in design.rendered_hosts() {
        if let Some(a) = design.attachments(host, NetRole::Tenant).next() {
            *names.entry(a.iface.as_str()).or_default() += 1;
        }
    }
    let Some((common, _)) = names.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else {
        return;
    };
    for host in design.rendered_hosts() {
        if let Some(a) = design.attachments(host, NetRole::Tenant).next()
            && a.iface != *common
        {
            findings.push(
                Finding::warning(
                    "NB-7",
                    host.host.id(),
                    host_loc(host, a.line),
                    format!(
                        "tenant underlay interface is `{}` here but `{common}` on most nodes",
                        a.iface
                    ),
                )
                .hint(
                    "use one interface name so features:neutron:tunnel_interface fits every node, or set the other name for those nodes in the OpenStackDeployment's spec.nodes[\"<label>::<value>\"].features.neutron.tunnel_interface",
                ),
            );
        }
    }
}

/// NB-8: an interface cannot carry more than what is below it, and the tenant underlay needs room for
/// VXLAN/Geneve headers on top of a 1500-byte instance MTU.
fn check_mtu(design: &Design, findings: &mut Vec<Finding>) {
    for host in design.rendered_hosts() {
        let Some(r) = &host.rendered else { continue };
        let plan = &r.netplan;
        for iface in plan.interfaces.values() {
            for lower in plan.lower(iface) {
                if plan.mtu(iface) > plan.mtu(lower) {
                    findings.push(
                        Finding::error(
                            "NB-8",
                            host.host.id(),
                            host_loc(host, iface.line),
                            format!(
                                "{} has MTU {} but sits on {} with MTU {}",
                                iface.name,
                                plan.mtu(iface),
                                lower.name,
                                plan.mtu(lower)
                            ),
                        )
                        .hint(format!(
                            "raise the MTU of {} (and what is below it) or lower {}'s",
                            lower.name, iface.name
                        )),
                    );
                }
            }
        }
        if let Some(a) = design.attachments(host, NetRole::Tenant).next()
            && let Some(iface) = plan.interfaces.get(&a.iface)
            && plan.mtu(iface) < 1550
        {
            findings.push(
                Finding::warning(
                    "NB-8",
                    host.host.id(),
                    host_loc(host, iface.line),
                    format!(
                        "tenant underlay {} has MTU {}: tenant networks get less than 1500 after VXLAN (50) or Geneve (58) overhead",
                        iface.name,
                        plan.mtu(iface)
                    ),
                )
                .hint("use jumbo frames (e.g. mtu: 9000) on the tenant underlay path"),
            );
        }
    }
}

/// HOST-2: the same MAC on two hosts means one inventory entry is wrong; netplan would match the wrong NIC.
fn check_macs(design: &Design, findings: &mut Vec<Finding>) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for host in &design.hosts {
        for nic in &host.host.nics {
            match seen.get(nic.mac.as_str()) {
                Some(other) if *other != host.host.name => findings.push(
                    Finding::error(
                        "HOST-2",
                        host.host.id(),
                        nic.loc.clone(),
                        format!("MAC {} of {} is also on host `{other}`", nic.mac, nic.name),
                    )
                    .hint("check the hardware inventory: MACs are unique"),
                ),
                Some(_) => findings.push(
                    Finding::error(
                        "HOST-2",
                        host.host.id(),
                        nic.loc.clone(),
                        format!("MAC {} appears twice on this host", nic.mac),
                    )
                    .hint("check the hardware inventory: MACs are unique"),
                ),
                None => {
                    seen.insert(&nic.mac, &host.host.name);
                }
            }
        }
    }
}
