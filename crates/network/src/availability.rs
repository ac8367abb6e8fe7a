//! Read-only views that are not collections of stored resources: availability zones (one
//! static `nova` zone for networks and routers) and the IP availability of networks.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Value, json};

use neutrino_store::tables::{NETWORKS, SUBNETS};
use neutrino_store::{self as store, Selection};

use crate::extensions::{Extension, ext};
use crate::model::{Network, Resource, Subnet};
use crate::{Caller, Error, Networking, Result};

pub const EXTENSIONS: &[Extension] = &[
    ext(
        "availability_zone",
        "Availability Zone",
        "The availability zone extension.",
    ),
    ext(
        "network_availability_zone",
        "Network Availability Zone",
        "Availability zone support for network.",
    ),
    ext(
        "network-ip-availability",
        "Network IP Availability",
        "Provides IP availability data for each network and subnet.",
    ),
    ext(
        "network-ip-availability-details",
        "Network IP Availability Details Extension",
        "Add ip_availability_details attribute to network-ip-availabilities resource.",
    ),
];

/// The zone of every network and router without hints: always there, as the one zone of a
/// service without chassis.
pub const ZONE: &str = "nova";

/// Every availability zone, once per resource type it serves: [`ZONE`], and each zone a chassis
/// declares (`availability-zones=` in its `ovn-cms-options`), available while one of its agents
/// is alive.
fn zones(tx: &store::Tx<'_>) -> Result<Vec<(String, bool)>> {
    let agents = store::agents::agents(tx)?;
    let mut zones = crate::agents::agent_zones(&agents, store::unix_time_ms());
    if !zones.iter().any(|(z, _)| z == ZONE) {
        zones.insert(0, (ZONE.to_owned(), true));
    }
    Ok(zones)
}

/// `availability_zone_hints` must name known zones.
pub(crate) fn check_hints(tx: &store::Tx<'_>, hints: &[String]) -> Result<()> {
    if hints.is_empty() {
        return Ok(());
    }
    let known = zones(tx)?;
    match hints.iter().find(|h| !known.iter().any(|(z, _)| z == *h)) {
        Some(h) => Err(Error::not_found(
            "AvailabilityZoneNotFound",
            format!("AvailabilityZone {h} could not be found."),
        )),
        None => Ok(()),
    }
}

impl Networking {
    /// Every availability zone, per resource type it serves.
    pub async fn availability_zones(&self) -> Result<Vec<Value>> {
        let zones = self.store.read(zones).await?;
        Ok(zones
            .iter()
            .flat_map(|(name, up)| {
                let state = if *up { "available" } else { "unavailable" };
                ["network", "router"].map(|r| json!({"name": name, "resource": r, "state": state}))
            })
            .collect())
    }
}

/// Addresses of a subnet: totals are u128 (an IPv6 pool can hold 2^64 and more), serialised
/// as plain JSON integers.
#[derive(Serialize)]
pub struct SubnetAvailability {
    pub subnet_id: String,
    pub subnet_name: String,
    pub cidr: String,
    pub ip_version: u8,
    pub total_ips: u128,
    pub used_ips: u128,
    pub ip_availability_details: Details,
}

/// `ip_availability_details` (`network-ip-availability-details`): the subnet's whole range
/// beside its pools, and the addresses used in each. A network's are its subnets' sums.
#[derive(Serialize, Default, Clone, Copy)]
pub struct Details {
    /// Addresses of the CIDR; IPv4 leaves out the network and broadcast addresses.
    pub total_ips_in_subnet: u128,
    pub total_ips_in_allocation_pool: u128,
    pub used_ips_in_subnet: u128,
    pub used_ips_in_allocation_pool: u128,
}

impl std::iter::Sum for Details {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Details::default(), |a, b| Details {
            total_ips_in_subnet: a.total_ips_in_subnet + b.total_ips_in_subnet,
            total_ips_in_allocation_pool: a.total_ips_in_allocation_pool
                + b.total_ips_in_allocation_pool,
            used_ips_in_subnet: a.used_ips_in_subnet + b.used_ips_in_subnet,
            used_ips_in_allocation_pool: a.used_ips_in_allocation_pool
                + b.used_ips_in_allocation_pool,
        })
    }
}

#[derive(Serialize)]
pub struct NetworkAvailability {
    pub network_id: String,
    pub network_name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub total_ips: u128,
    pub used_ips: u128,
    pub subnet_ip_availability: Vec<SubnetAvailability>,
    pub ip_availability_details: Details,
}

/// A filter of the availabilities list: the attribute and the values it may take.
pub type Filter = (String, Vec<String>);

fn as_int(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The number of addresses of a CIDR, as upstream counts them for `total_ips_in_subnet`.
fn cidr_size(s: &Subnet) -> u128 {
    let bits: u32 = if s.ip_version == 4 { 32 } else { 128 };
    let host_bits = bits.saturating_sub(u32::from(s.cidr.prefix_len()));
    let size = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
    if s.ip_version == 4 {
        size.saturating_sub(2)
    } else {
        size
    }
}

fn subnet_availability(tx: &store::Tx<'_>, s: &Subnet) -> Result<SubnetAvailability> {
    let total = s
        .allocation_pools
        .iter()
        .map(|p| as_int(p.end).saturating_sub(as_int(p.start)) + 1)
        .sum();
    let used: Vec<u128> = store::allocated_addresses(tx, &s.id)?
        .iter()
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .map(as_int)
        .collect();
    let in_pools = used
        .iter()
        .map(|a| {
            s.allocation_pools
                .iter()
                .filter(|p| (as_int(p.start)..=as_int(p.end)).contains(a))
                .count() as u128
        })
        .sum();
    Ok(SubnetAvailability {
        subnet_id: s.id.clone(),
        subnet_name: s.name.clone(),
        cidr: s.cidr.to_string(),
        ip_version: s.ip_version,
        total_ips: total,
        used_ips: used.len() as u128,
        ip_availability_details: Details {
            total_ips_in_subnet: cidr_size(s),
            total_ips_in_allocation_pool: total,
            used_ips_in_subnet: used.len() as u128,
            used_ips_in_allocation_pool: in_pools,
        },
    })
}

fn matches(filters: &[Filter], key: &str, value: &str) -> bool {
    filters
        .iter()
        .filter(|(k, _)| k == key)
        .all(|(_, vs)| vs.iter().any(|v| v == value))
}

fn network_availability(
    tx: &store::Tx<'_>,
    net: &Network,
    filters: &[Filter],
) -> Result<NetworkAvailability> {
    let mut subnets = Vec::new();
    for doc in store::list_docs(
        tx,
        SUBNETS,
        &Selection::by("network_id", vec![net.id.clone()]),
    )? {
        let s = Subnet::from_doc(&net.id, &doc)?;
        if matches(filters, "ip_version", &s.ip_version.to_string()) {
            subnets.push(subnet_availability(tx, &s)?);
        }
    }
    Ok(NetworkAvailability {
        network_id: net.id.clone(),
        network_name: net.name.clone(),
        project_id: net.project_id.clone(),
        tenant_id: net.project_id.clone(),
        total_ips: subnets.iter().map(|s| s.total_ips).sum(),
        used_ips: subnets.iter().map(|s| s.used_ips).sum(),
        ip_availability_details: subnets.iter().map(|s| s.ip_availability_details).sum(),
        subnet_ip_availability: subnets,
    })
}

const FILTERS: &[&str] = &[
    "network_id",
    "network_name",
    "project_id",
    "tenant_id",
    "ip_version",
];

fn check_admin(caller: &Caller) -> Result<()> {
    if caller.is_admin() || caller.has_role("service") {
        Ok(())
    } else {
        Err(Error::policy("rule:get_network_ip_availability"))
    }
}

impl Networking {
    /// `GET /v2.0/network-ip-availabilities` (admin): per network, its subnets' pool sizes and
    /// allocated addresses.
    pub async fn ip_availabilities(
        &self,
        caller: &Caller,
        filters: Vec<Filter>,
    ) -> Result<Vec<NetworkAvailability>> {
        check_admin(caller)?;
        if let Some((k, _)) = filters.iter().find(|(k, _)| !FILTERS.contains(&k.as_str())) {
            return Err(Error::bad_request(format!(
                "{k} is not a valid filter for network_ip_availability"
            )));
        }
        self.store
            .read(move |tx| {
                let mut out = Vec::new();
                for doc in store::list_docs(tx, NETWORKS, &Selection::all())? {
                    let net = Network::from_doc("", &doc)?;
                    let keep = matches(&filters, "network_id", &net.id)
                        && matches(&filters, "network_name", &net.name)
                        && matches(&filters, "project_id", &net.project_id)
                        && matches(&filters, "tenant_id", &net.project_id);
                    if keep {
                        let a = network_availability(tx, &net, &filters)?;
                        // An ip_version filter keeps networks that have such subnets.
                        if filters.iter().all(|(k, _)| k != "ip_version")
                            || !a.subnet_ip_availability.is_empty()
                        {
                            out.push(a);
                        }
                    }
                }
                Ok(out)
            })
            .await
    }

    /// `GET /v2.0/network-ip-availabilities/{network_id}` (admin).
    pub async fn ip_availability(&self, caller: &Caller, id: &str) -> Result<NetworkAvailability> {
        check_admin(caller)?;
        let id = id.to_string();
        self.store
            .read(move |tx| {
                let net = crate::read::load::<Network>(tx, &id)?
                    .ok_or_else(|| Error::network_not_found(&id))?;
                network_availability(tx, &net, &[])
            })
            .await
    }
}

/// The body of a list response.
#[derive(Serialize)]
pub struct IpAvailabilityList {
    pub network_ip_availabilities: Vec<NetworkAvailability>,
}

/// The body of a show response.
#[derive(Serialize)]
pub struct IpAvailabilityOne {
    pub network_ip_availability: NetworkAvailability,
}
