//! The resolved design: valid Subnets with their roles, MetalLB pools, the API VIP, templates bound to
//! Subnets, and every host with its allocated addresses and rendered netplan. Rules run on this.

pub mod hosts;
pub mod layout;
pub mod role;
pub mod services;
pub mod subnets;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::finding::Finding;
use crate::ipam::allocator::AllocationIssue;
use crate::ipam::state::AllocationState;
use crate::ipam::{AllocationKey, allocate};
use crate::model::Input;
use crate::model::cluster::Cluster;
use hosts::{Attachment, HostPlan, RenderContext};
use layout::TemplatePlan;
use role::NetRole;
use services::{ApiVip, PoolPlan};
use subnets::SubnetPlan;

pub struct Design<'a> {
    pub input: &'a Input,
    pub cluster: Option<&'a Cluster>,
    pub cluster_name: Option<String>,
    pub subnets: BTreeMap<String, SubnetPlan>,
    pub pools: Vec<PoolPlan>,
    pub vip: Option<ApiVip>,
    pub templates: BTreeMap<String, TemplatePlan<'a>>,
    pub hosts: Vec<HostPlan<'a>>,
    pub addresses: BTreeMap<AllocationKey, Ipv4Addr>,
    pub previous: AllocationState,
}

/// Builds the design: validates Subnets, allocates, renders. Findings of those steps are appended.
pub fn build<'a>(
    input: &'a Input,
    previous: &AllocationState,
    findings: &mut Vec<Finding>,
) -> Design<'a> {
    let mut subnets = subnets::plan_subnets(&input.subnets, findings);
    let pools = services::plan_pools(input, &subnets, findings);
    let vip = services::choose_api_vip(input, &subnets, previous.api_vip, findings);
    // Service addresses are never given to hosts (SN-5 protection beyond gateway/DNS/network/broadcast).
    for subnet in subnets.values_mut() {
        for pool in &pools {
            for (a, b) in pool.ranges.intervals() {
                subnet.allocatable.remove(a, b);
            }
        }
        if let Some(v) = &vip {
            subnet.allocatable.remove_addr(v.address);
        }
    }
    let templates = layout::plan_templates(input, &subnets, vip.as_ref(), findings);
    let cluster = input.clusters.first();
    let cluster_name = cluster.map(|c| c.meta.name.clone()).or_else(|| {
        let labels: BTreeSet<&str> = input
            .templates
            .iter()
            .filter_map(|t| t.meta.cluster())
            .collect();
        (labels.len() == 1).then(|| labels.into_iter().next().unwrap_or_default().to_string())
    });
    let mut host_plans =
        hosts::plan_hosts(&input.hosts, &templates, cluster_name.as_deref(), findings);
    let requests: BTreeSet<AllocationKey> = host_plans
        .iter()
        .flat_map(|h| hosts::requests(h, &templates))
        .collect();
    let allocatable = subnets
        .iter()
        .map(|(k, s)| (k.clone(), s.allocatable.clone()))
        .collect();
    let allocation = allocate(&allocatable, &requests, &previous.addresses());
    report_allocation_issues(&allocation.issues, &subnets, findings);
    let ctx = RenderContext {
        subnets: &subnets,
        templates: &templates,
        addresses: &allocation.addresses,
        vip: vip.as_ref(),
    };
    for plan in &mut host_plans {
        hosts::render_host(plan, &ctx, findings);
    }
    infer_roles(&mut subnets, &host_plans);
    Design {
        input,
        cluster,
        cluster_name,
        subnets,
        pools,
        vip,
        templates,
        hosts: host_plans,
        addresses: allocation.addresses,
        previous: previous.clone(),
    }
}

/// SN-5: the allocator cannot give an address without breaking protection, or a remembered address
/// became protected.
fn report_allocation_issues(
    issues: &[AllocationIssue],
    subnets: &BTreeMap<String, SubnetPlan>,
    findings: &mut Vec<Finding>,
) {
    let mut exhausted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for issue in issues {
        match issue {
            AllocationIssue::Exhausted(key) => {
                exhausted.entry(&key.subnet).or_default().push(&key.host)
            }
            AllocationIssue::PreviousNotAllocatable(key, addr) => {
                if let Some(s) = subnets.get(&key.subnet) {
                    findings.push(
                        Finding::warning(
                            "SN-5",
                            s.id(),
                            s.loc.clone(),
                            format!(
                                "{} of host `{}` ({}) is no longer allocatable (protected, excluded or a service address); a new address is chosen",
                                addr, key.host, key.interface
                            ),
                        )
                        .hint("expect this host's address to change; approve the new netplan"),
                    );
                }
            }
        }
    }
    for (key, hosts) in exhausted {
        if let Some(s) = subnets.get(key) {
            findings.push(
                Finding::error(
                    "SN-5",
                    s.id(),
                    s.loc.clone(),
                    format!(
                        "Subnet has {} allocatable address(es) after protecting gateway, nameservers, network/broadcast and service addresses; {} more host interface(s) need one (first: {})",
                        s.allocatable.len(),
                        hosts.len(),
                        hosts[0]
                    ),
                )
                .hint("widen includeRanges (or the CIDR), or move hosts to another Subnet"),
            );
        }
    }
}

/// Subnets without a role label get one from the reserved bridge their addresses sit on.
fn infer_roles(subnets: &mut BTreeMap<String, SubnetPlan>, hosts: &[HostPlan]) {
    for host in hosts {
        let Some(r) = &host.rendered else { continue };
        for a in &r.attachments {
            if let (Some(role), Some(s)) =
                (NetRole::from_bridge(&a.iface), subnets.get_mut(&a.subnet))
                && s.labelled.is_empty()
            {
                s.roles.insert(role);
            }
        }
    }
}

impl<'a> Design<'a> {
    pub fn subnets_with(&self, role: NetRole) -> impl Iterator<Item = &SubnetPlan> {
        self.subnets.values().filter(move |s| s.has(role))
    }

    /// A host's addresses on networks of a role.
    pub fn attachments<'h>(
        &'h self,
        host: &'h HostPlan,
        role: NetRole,
    ) -> impl Iterator<Item = &'h Attachment> {
        host.rendered
            .iter()
            .flat_map(|r| r.attachments.iter())
            .filter(move |a| self.subnets.get(&a.subnet).is_some_and(|s| s.has(role)))
    }

    pub fn rendered_hosts(&self) -> impl Iterator<Item = &HostPlan<'a>> {
        self.hosts.iter().filter(|h| h.rendered.is_some())
    }

    pub fn use_bgp(&self) -> bool {
        self.cluster.is_some_and(|c| c.use_bgp_announcement)
    }
}
