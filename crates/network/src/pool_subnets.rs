//! Subnets allocated from subnet pools: which pool a request names, the block it gets
//! (`neutron/ipam/subnet_alloc.py`), the per-project prefix quota, the network affinity rules,
//! and the address scopes networks show (`ipv4_address_scope`/`ipv6_address_scope`).

use ipnet::IpNet;

use neutrino_ipam::prefixes;
use neutrino_store::Tx;
use neutrino_store::tables::{NETWORKS, SUBNETPOOL_SUBNETS, SUBNETPOOLS, SUBNETS};
use neutrino_store::{self as store, ColumnValue, Selection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attrs::{self, Body};
use crate::error::Failure;
use crate::model::{Network, Resource, Subnet};
use crate::read::load;
use crate::subnetpool::{SubnetPool, SubnetPools};
use crate::{Caller, Error, Result};

/// What `subnetpool_subnets` keeps of a subnet allocated from a pool.
#[derive(Serialize, Deserialize)]
pub(crate) struct PoolBlock {
    pub cidr: IpNet,
    pub network_id: String,
}

fn bad_subnets(msg: &str) -> Error {
    Error::bad_request(format!("Bad subnets request: {msg}."))
}

/// The pool a subnet request names (`subnetpool_id`, or `use_default_subnetpool`), checked
/// against the request's IP version.
pub(crate) fn requested_pool(
    tx: &Tx<'_>,
    caller: &Caller,
    b: &Body,
    ip_version: u8,
) -> Result<Option<SubnetPool>> {
    let id = match b.get("subnetpool_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(Error::invalid_attr(
                "subnetpool_id",
                format!("'{}' is not a valid UUID", attrs::show(v)),
            ));
        }
    };
    let use_default = b.bool("use_default_subnetpool")?.unwrap_or(false);
    let pool = match (id, use_default) {
        (Some(_), true) => {
            return Err(bad_subnets(
                "subnetpool_id and use_default_subnetpool cannot both be specified",
            ));
        }
        (Some(id), false) => SubnetPools::load_visible(tx, caller, &id)?,
        (None, true) => default_pool(tx, caller, ip_version)?.ok_or_else(|| {
            bad_subnets(&format!("No default subnetpool found for IPv{ip_version}"))
        })?,
        (None, false) => return Ok(None),
    };
    if pool.ip_version != ip_version {
        return Err(bad_subnets(&format!(
            "Cannot allocate IPv{ip_version} subnet from IPv{} subnet pool",
            pool.ip_version
        )));
    }
    Ok(Some(pool))
}

/// The default pool of an IP version, if the caller may see it.
fn default_pool(tx: &Tx<'_>, caller: &Caller, ip_version: u8) -> Result<Option<SubnetPool>> {
    let ids: Vec<String> = store::list_docs(
        tx,
        SUBNETPOOLS,
        &Selection::by("default_version", vec![ip_version.to_string()]),
    )?
    .iter()
    .filter_map(|d| serde_json::from_str::<SubnetPool>(d).ok())
    .map(|p| p.id)
    .collect();
    for id in ids {
        if let Ok(pool) = SubnetPools::load_visible(tx, caller, &id) {
            return Ok(Some(pool));
        }
    }
    Ok(None)
}

/// The block a subnet of `project` gets from `pool`: the requested CIDR if it is free pool
/// space, else the first free block of `prefixlen` (the pool's default if not given).
pub(crate) fn allocate(
    tx: &Tx<'_>,
    pool: &SubnetPool,
    project: &str,
    requested: Option<IpNet>,
    prefixlen: Option<u8>,
) -> Result<IpNet> {
    let len = requested
        .map(|c| c.prefix_len())
        .or(prefixlen)
        .unwrap_or(pool.default_prefixlen);
    if len > pool.max_prefixlen {
        return Err(Error::bad_request(format!(
            "Unable to allocate subnet with prefix length {len}, maximum allowed prefix is {}.",
            pool.max_prefixlen
        ))
        .with_kind("MaxPrefixSubnetAllocationError"));
    }
    if len < pool.min_prefixlen {
        return Err(Error::bad_request(format!(
            "Unable to allocate subnet with prefix length {len}, minimum allowed prefix is {}.",
            pool.min_prefixlen
        ))
        .with_kind("MinPrefixSubnetAllocationError"));
    }
    // Upstream treats a quota of 0 as no quota.
    if let Some(quota) = pool.default_quota.filter(|q| *q > 0) {
        let used: u128 = pool
            .allocations(tx, Some(project))?
            .iter()
            .map(prefixes::quota_units)
            .sum();
        let block = match requested {
            Some(c) => c,
            // Only the size counts: any block of the requested length will do.
            None => {
                let base: std::net::IpAddr = if pool.ip_version == 4 {
                    std::net::Ipv4Addr::UNSPECIFIED.into()
                } else {
                    std::net::Ipv6Addr::UNSPECIFIED.into()
                };
                IpNet::new(base, len).map_err(|_| Error::internal())?
            }
        };
        if used + prefixes::quota_units(&block) > u128::from(quota) {
            return Err(Error::conflict(
                "SubnetPoolQuotaExceeded",
                "Per-project subnet pool prefix quota exceeded.",
            ));
        }
    }
    let used = pool.allocations(tx, None)?;
    let allocation_error = |reason: String| {
        Error::new(
            Failure::Internal,
            "SubnetAllocationError",
            format!("Failed to allocate subnet: {reason}."),
        )
    };
    match requested {
        Some(cidr) if prefixes::is_free(&pool.prefixes, &used, &cidr) => Ok(cidr),
        Some(_) => Err(allocation_error(
            "Cannot allocate requested subnet from the available set of prefixes".into(),
        )),
        None => prefixes::allocate(&pool.prefixes, &used, len).ok_or_else(|| {
            allocation_error(format!(
                "Insufficient prefix space to allocate subnet size /{len}"
            ))
        }),
    }
}

fn affinity_error() -> Error {
    Error::bad_request(
        "Subnets of the same address family hosted on the same network must all participate in the same address scope.",
    )
    .with_kind("NetworkAddressScopeAffinityError")
}

/// The address scope the network's subnets of an IP version belong to.
fn network_scope(net: &Network, ip_version: u8) -> Option<&String> {
    if ip_version == 4 {
        net.ipv4_address_scope.as_ref()
    } else {
        net.ipv6_address_scope.as_ref()
    }
}

/// Subnets of one IP version on a network come from one pool, or one address scope, or none
/// (`ipam_backend_mixin._validate_network_subnetpools`).
pub(crate) fn check_network_affinity(
    net: &Network,
    subnets: &[Subnet],
    ip_version: u8,
    pool: Option<&SubnetPool>,
) -> Result<()> {
    let scope = network_scope(net, ip_version);
    if let (Some(scope), Some(pool)) = (scope, pool)
        && pool.address_scope_id.as_ref() != Some(scope)
    {
        return Err(affinity_error());
    }
    let mismatch = subnets.iter().any(|s| {
        s.ip_version == ip_version
            && match pool {
                Some(p) => s.subnetpool_id.as_deref() != Some(p.id.as_str()) && scope.is_none(),
                None => s.subnetpool_id.is_some(),
            }
    });
    if mismatch {
        return Err(Error::bad_request(
            "Subnets hosted on the same network must be allocated from the same subnet pool.",
        )
        .with_kind("NetworkSubnetPoolAffinityError"));
    }
    Ok(())
}

/// Records the block a new subnet took from its pool, and the pool's scope on its network.
pub(crate) fn record(
    tx: &Tx<'_>,
    subnet: &Subnet,
    pool: &SubnetPool,
    net: &mut Network,
) -> Result<()> {
    store::insert_row(
        tx,
        SUBNETPOOL_SUBNETS,
        &subnet.id,
        &[
            ("subnetpool_id", ColumnValue::Text(pool.id.clone())),
            ("project_id", ColumnValue::Text(subnet.project_id.clone())),
        ],
        &serde_json::to_string(&PoolBlock {
            cidr: subnet.cidr,
            network_id: subnet.network_id.clone(),
        })
        .map_err(|_| Error::internal())?,
    )?;
    set_scope(net, subnet.ip_version, pool.address_scope_id.clone());
    Ok(())
}

fn set_scope(net: &mut Network, ip_version: u8, scope: Option<String>) {
    if ip_version == 4 {
        net.ipv4_address_scope = scope;
    } else {
        net.ipv6_address_scope = scope;
    }
}

/// Returns a deleted subnet's block to its pool; the network keeps the scope of an IP version
/// while a subnet of that version remains.
pub(crate) fn release(tx: &Tx<'_>, subnet: &Subnet, net: &mut Network) -> Result<()> {
    if subnet.subnetpool_id.is_none() {
        return Ok(());
    }
    store::delete_row(tx, SUBNETPOOL_SUBNETS, &subnet.id)?;
    let others = store::list_docs(
        tx,
        SUBNETS,
        &Selection::by("network_id", vec![net.id.clone()]),
    )?
    .iter()
    .filter_map(|d| Subnet::from_doc(&net.id, d).ok())
    .any(|s| s.id != subnet.id && s.ip_version == subnet.ip_version && s.subnetpool_id.is_some());
    if !others {
        set_scope(net, subnet.ip_version, None);
    }
    Ok(())
}

/// A pool moved to another address scope (or none): its subnets' networks follow, unless a
/// network also has subnets of that IP version from elsewhere.
pub(crate) fn rescope(tx: &Tx<'_>, pool: &SubnetPool) -> Result<()> {
    let mut network_ids: Vec<String> = Vec::new();
    for block in store::list_docs(
        tx,
        SUBNETPOOL_SUBNETS,
        &Selection::by("subnetpool_id", vec![pool.id.clone()]),
    )? {
        let Ok(block) = serde_json::from_str::<PoolBlock>(&block) else {
            continue;
        };
        if !network_ids.contains(&block.network_id) {
            network_ids.push(block.network_id);
        }
    }
    for network_id in network_ids {
        let Some(mut net) = load::<Network>(tx, &network_id)? else {
            continue;
        };
        let foreign = store::list_docs(
            tx,
            SUBNETS,
            &Selection::by("network_id", vec![network_id.clone()]),
        )?
        .iter()
        .filter_map(|d| Subnet::from_doc(&network_id, d).ok())
        .any(|s| {
            s.ip_version == pool.ip_version && s.subnetpool_id.as_deref() != Some(pool.id.as_str())
        });
        if foreign {
            return Err(affinity_error());
        }
        set_scope(&mut net, pool.ip_version, pool.address_scope_id.clone());
        net.std.touch();
        store::update_doc(tx, NETWORKS, &network_id, &net.to_doc())?;
    }
    Ok(())
}
