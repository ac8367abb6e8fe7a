//! The addresses that belong to services, not hosts: MetalLB pools (the MOSK services range) and the
//! cluster API VIP. Both are kept out of host allocation.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::role::NetRole;
use super::subnets::SubnetPlan;
use crate::finding::{Finding, Loc};
use crate::ipam::AddressRanges;
use crate::ipam::ranges::parse_pool_entry;
use crate::model::Input;

/// One MetalLB address pool with its parsed ranges.
#[derive(Clone, Debug)]
pub struct PoolPlan {
    pub name: String,
    /// Each entry as written, parsed, with its place.
    pub entries: Vec<(Ipv4Addr, Ipv4Addr, String, Loc)>,
    pub ranges: AddressRanges,
    pub auto_assign: bool,
    pub object: String,
    pub loc: Loc,
}

/// Reads MetalLB pools from MetalLBConfig objects, or from legacy `ipam/SVC-MetalLB` Subnets (one pool
/// named `services`, as the provider aggregates them). SN-7 is checked here: ranges in pools must not
/// intersect.
pub fn plan_pools(
    input: &Input,
    subnets: &BTreeMap<String, SubnetPlan>,
    findings: &mut Vec<Finding>,
) -> Vec<PoolPlan> {
    let mut pools = Vec::new();
    for config in &input.metallb {
        for pool in &config.pools {
            let mut plan = PoolPlan {
                name: pool.name.clone(),
                entries: Vec::new(),
                ranges: AddressRanges::default(),
                auto_assign: pool.auto_assign,
                object: config.meta.id(),
                loc: pool.loc.clone(),
            };
            for entry in &pool.addresses {
                match parse_pool_entry(&entry.value) {
                    Ok((a, b)) => plan
                        .entries
                        .push((a, b, entry.value.clone(), entry.loc.clone())),
                    Err(e) => findings.push(
                        Finding::error(
                            "IN-3",
                            config.meta.id(),
                            entry.loc.clone(),
                            format!("pool `{}`: {e}", pool.name),
                        )
                        .hint("write a CIDR or A.B.C.D-A.B.C.E"),
                    ),
                }
            }
            pools.push(plan);
        }
    }
    if pools.is_empty() {
        let legacy: Vec<&SubnetPlan> = subnets
            .values()
            .filter(|s| s.labelled.contains(&NetRole::Services))
            .collect();
        if let Some(first) = legacy.first() {
            let mut plan = PoolPlan {
                name: "services".to_string(),
                entries: Vec::new(),
                ranges: AddressRanges::default(),
                auto_assign: true,
                object: first.id(),
                loc: first.loc.clone(),
            };
            for subnet in legacy {
                // A MetalLB Subnet is "virtual": its include ranges (or whole CIDR) are the pool.
                for (a, b) in subnet.allocatable.intervals() {
                    plan.entries
                        .push((a, b, format!("{a}-{b}"), subnet.loc.clone()));
                }
            }
            pools.push(plan);
        }
    }
    // SN-7: ranges must not intersect, within a pool or across pools (MetalLB rejects both).
    let mut all: Vec<(Ipv4Addr, Ipv4Addr, &str, &str, &Loc, &str)> = Vec::new();
    for pool in &pools {
        for (a, b, text, loc) in &pool.entries {
            all.push((*a, *b, text, &pool.name, loc, &pool.object));
        }
    }
    all.sort_by_key(|e| (e.0, e.1));
    for pair in all.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        if next.0 <= prev.1 {
            findings.push(
                Finding::error(
                    "SN-7",
                    next.5,
                    next.4.clone(),
                    format!(
                        "MetalLB range `{}` (pool {}) intersects `{}` (pool {}, {})",
                        next.2, next.3, prev.2, prev.3, prev.4
                    ),
                )
                .hint("make MetalLB ranges disjoint; the provider blocks MetalLB configuration otherwise"),
            );
        }
    }
    for pool in &mut pools {
        for (a, b, _, _) in &pool.entries {
            pool.ranges.insert(*a, *b);
        }
    }
    pools
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VipSource {
    /// `loadBalancerHost` in the Cluster's providerSpec.
    LoadBalancerHost(Loc),
    /// Allocated from the Subnet with this key (`ipam/SVC-LBhost`).
    Subnet(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiVip {
    pub address: Ipv4Addr,
    pub source: VipSource,
}

/// Picks the cluster API VIP: `loadBalancerHost` when set, otherwise the previous choice from the
/// `ipam/SVC-LBhost` Subnet if still valid, otherwise its first allocatable address.
pub fn choose_api_vip(
    input: &Input,
    subnets: &BTreeMap<String, SubnetPlan>,
    previous: Option<Ipv4Addr>,
    findings: &mut Vec<Finding>,
) -> Option<ApiVip> {
    if let Some(lb) = input
        .clusters
        .first()
        .and_then(|c| c.load_balancer_host.as_ref())
    {
        return match lb.value.parse::<Ipv4Addr>() {
            Ok(address) => Some(ApiVip {
                address,
                source: VipSource::LoadBalancerHost(lb.loc.clone()),
            }),
            Err(_) => {
                findings.push(
                    Finding::error(
                        "MCN-6",
                        input.clusters[0].meta.id(),
                        lb.loc.clone(),
                        format!("loadBalancerHost `{}` is not an IPv4 address", lb.value),
                    )
                    .hint("set loadBalancerHost to a free address of the API/LCM Subnet"),
                );
                None
            }
        };
    }
    let subnet = subnets
        .values()
        .find(|s| s.labelled.contains(&NetRole::ApiVip))?;
    let address = previous
        .filter(|p| subnet.allocatable.contains(*p))
        .or_else(|| subnet.allocatable.iter().next())?;
    Some(ApiVip {
        address,
        source: VipSource::Subnet(subnet.key.clone()),
    })
}
