//! The LCM and API/LCM network: MCN-2, MCN-3, SN-8, MCN-5, MCN-6, MCN-7, MCN-8 (relaxed by NB-4/NB-5).

use std::collections::{BTreeMap, BTreeSet};

use crate::design::Design;
use crate::design::hosts::host_loc;
use crate::design::role::NetRole;
use crate::design::services::VipSource;
use crate::finding::{Finding, Loc};
use crate::model::host::NodeRole;
use crate::model::subnet::SVC_LCM;

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    let cluster_id = design.cluster.map_or_else(
        || format!("Cluster/{}", design.cluster_name.as_deref().unwrap_or("?")),
        |c| c.meta.id(),
    );
    // Cluster-wide facts point at the Cluster object, or else at the first object of the design.
    let cluster_loc = design
        .cluster
        .map(|c| c.meta.loc.clone())
        .or_else(|| design.input.subnets.first().map(|s| s.meta.loc.clone()))
        .or_else(|| design.input.hosts.first().map(|h| h.loc.clone()))
        .unwrap_or_default();
    let labelled_lcm: Vec<_> = design
        .subnets
        .values()
        .filter(|s| s.labelled.contains(&NetRole::Lcm))
        .collect();
    if labelled_lcm.is_empty() && !design.input.subnets.is_empty() {
        findings.push(
            Finding::error(
                "MCN-2",
                &cluster_id,
                cluster_loc.clone(),
                "no Subnet is labelled ipam/SVC-k8s-lcm",
            )
            .hint(format!(
                "label the LCM Subnet(s) `{SVC_LCM}: \"1\"`; every cluster needs one"
            )),
        );
    }
    for host in design.rendered_hosts() {
        let lcm: Vec<_> = design.attachments(host, NetRole::Lcm).collect();
        match lcm.len() {
            0 => findings.push(
                Finding::error("SN-8", host.host.id(), host.host.loc.clone(), "host has no address in an LCM Subnet")
                    .hint("add an `ip` macro for the LCM Subnet (bridge k8s-lcm) to the host's L2Template"),
            ),
            1 => {}
            n => findings.push(
                Finding::error(
                    "MCN-3",
                    host.host.id(),
                    host_loc(host, lcm[1].line),
                    format!(
                        "host has {n} LCM addresses ({}); it must have one and only one",
                        lcm.iter().map(|a| format!("{} on {}", a.address, a.iface)).collect::<Vec<_>>().join(", ")
                    ),
                )
                .hint("keep a single `ip` macro on an ipam/SVC-k8s-lcm Subnet"),
            ),
        }
    }
    for subnet in design.subnets_with(NetRole::Lcm) {
        if subnet.gateway.is_none() {
            findings.push(
                Finding::warning(
                    "MCN-5",
                    subnet.id(),
                    subnet.loc.clone(),
                    "LCM Subnet has no gateway, so nothing routes it to the management cluster's Kubernetes API",
                )
                .hint("set spec.gateway to the router that reaches the management/regional cluster"),
            );
        }
    }
    check_vip(design, &cluster_id, cluster_loc, findings);
}

fn check_vip(design: &Design, cluster_id: &str, cluster_loc: Loc, findings: &mut Vec<Finding>) {
    let Some(vip) = &design.vip else {
        // An invalid loadBalancerHost was reported already while choosing the VIP; a design without
        // hosts (Subnets only) is not a cluster yet.
        let invalid_lb = design
            .cluster
            .is_some_and(|c| c.load_balancer_host.is_some());
        if !invalid_lb && !design.hosts.is_empty() {
            findings.push(
                Finding::error("MCN-6", cluster_id, cluster_loc, "the cluster has no API VIP")
                    .hint("set providerSpec.value.loadBalancerHost, or add a Subnet labelled ipam/SVC-LBhost with a free address"),
            );
        }
        return;
    };
    let holders: Vec<_> = design
        .subnets_with(NetRole::Lcm)
        .filter(|s| s.cidr.contains(&vip.address))
        .collect();
    if let VipSource::LoadBalancerHost(loc) = &vip.source
        && holders.is_empty()
    {
        findings.push(
            Finding::error(
                "MCN-6",
                cluster_id,
                loc.clone(),
                format!("loadBalancerHost {} is in no LCM Subnet", vip.address),
            )
            .hint("pick the VIP from the API/LCM Subnet that the Kubernetes managers share"),
        );
        return;
    }
    if design.use_bgp() {
        return; // NB-4: with BGP announcement the API/LCM network need not be one stretched segment.
    }
    if holders.len() != 1 {
        let (object, loc) = match &vip.source {
            VipSource::LoadBalancerHost(loc) => (cluster_id.to_string(), loc.clone()),
            VipSource::Subnet(key) => design
                .subnets
                .get(key)
                .map_or((cluster_id.to_string(), Loc::default()), |s| {
                    (s.id(), s.loc.clone())
                }),
        };
        findings.push(
            Finding::error(
                "MCN-7",
                object,
                loc,
                format!(
                    "the API VIP {} lies in {} LCM Subnets ({}); exactly one LCM network must hold the API endpoint",
                    vip.address,
                    holders.len(),
                    holders.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
            .hint("put the ipam/SVC-LBhost range inside the API/LCM Subnet, and keep LCM Subnets from overlapping"),
        );
        return;
    }
    check_manager_segment(design, &holders[0].key, findings);
}

/// MCN-8: all Kubernetes managers share the API/LCM segment: the VIP's Subnet, on one VLAN.
fn check_manager_segment(design: &Design, api_subnet: &str, findings: &mut Vec<Finding>) {
    let managers: Vec<_> = design
        .rendered_hosts()
        .filter(|h| h.host.roles.contains(&NodeRole::Manager))
        .collect();
    // NB-5: in a compact control plane (managers are also OpenStack controllers) the layout rule is off.
    if !managers.is_empty()
        && managers
            .iter()
            .all(|h| h.host.roles.contains(&NodeRole::Controller))
    {
        return;
    }
    let mut vlans: BTreeMap<BTreeSet<u16>, Vec<&str>> = BTreeMap::new();
    for host in &managers {
        let lcm: Vec<_> = design.attachments(host, NetRole::Lcm).collect();
        let Some(att) = lcm.first() else { continue };
        if att.subnet != api_subnet {
            findings.push(
                Finding::error(
                    "MCN-8",
                    host.host.id(),
                    host_loc(host, att.line),
                    format!(
                        "Kubernetes manager's LCM address {} is not in the API/LCM Subnet `{}` that holds the API VIP",
                        att.address,
                        design.subnets.get(api_subnet).map_or(api_subnet, |s| s.name.as_str())
                    ),
                )
                .hint("stretch the API/LCM VLAN to every manager's rack and give all managers an address in it"),
            );
        } else {
            vlans
                .entry(att.vlans.clone())
                .or_default()
                .push(&host.host.name);
        }
    }
    if vlans.len() > 1 {
        let segments: Vec<String> = vlans
            .iter()
            .map(|(v, h)| format!("VLAN {v:?}: {}", h.join(", ")))
            .collect();
        let first = managers
            .first()
            .map_or(Loc::default(), |h| h.host.loc.clone());
        findings.push(
            Finding::error(
                "MCN-8",
                "Kubernetes managers",
                first,
                format!(
                    "managers sit on different VLANs of the API/LCM network: {}",
                    segments.join("; ")
                ),
            )
            .hint("use one VLAN id for the API/LCM segment on every manager"),
        );
    }
}
