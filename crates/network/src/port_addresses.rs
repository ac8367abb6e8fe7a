//! The fixed IPs of ports: choosing and reserving addresses in the network's subnets when a
//! port is created or its `fixed_ips` change, and releasing them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex, PoisonError};

use neutrino_ipam::{self as ipam, FixedIpRequest, IpamError};
use neutrino_store::tables::SUBNETS;
use neutrino_store::{self as store, Read, Selection, StoreError, Tx};
use rand::RngExt;

use crate::floatingip;
use crate::model::{FixedIp, Port, Resource, Subnet};
use crate::port_input::FixedIpEntry;
use crate::read::load;
use crate::{Error, Result};

/// A network's subnets, in creation order.
pub(crate) fn subnets_of(tx: &Tx<'_>, network_id: &str) -> Result<Vec<Subnet>> {
    store::list_docs(tx, SUBNETS, &subnets_selection(network_id))?
        .iter()
        .map(|d| Subnet::from_doc(network_id, d).map_err(Error::from))
        .collect()
}

/// What [`subnets_of`] reads, to read it ahead.
pub(crate) fn subnets_read(tx: &Tx<'_>, network_id: &str) -> Result<Read> {
    Ok(store::docs_read(
        tx,
        SUBNETS,
        &subnets_selection(network_id),
    )?)
}

fn subnets_selection(network_id: &str) -> Selection {
    Selection::by("network_id", vec![network_id.to_string()])
}

/// The subnets a port with `device_owner` takes addresses from (subnet-service-types): those
/// without service types and those naming its owner (DHCP ports: any with DHCP on), the latter
/// first. A network whose every subnet serves other owners has none for it: 400.
pub(crate) fn service_subnets(
    subnets: Vec<Subnet>,
    network_id: &str,
    device_owner: &str,
) -> Result<Vec<Subnet>> {
    let total = subnets.len();
    let mut fit: Vec<Subnet> = subnets
        .into_iter()
        .filter(|s| {
            s.service_types.is_empty()
                || s.service_types.iter().any(|t| t == device_owner)
                || (device_owner == "network:dhcp" && s.enable_dhcp)
        })
        .collect();
    if fit.is_empty() && total > 0 {
        return Err(Error::bad_request(format!(
            "No valid service subnet for the given device owner, network {network_id}, service type {device_owner}."
        ))
        .with_kind("IpAddressGenerationFailureNoMatchingSubnet"));
    }
    fit.sort_by_key(|s| s.service_types.is_empty());
    Ok(fit)
}

/// Reserves one address for a port: a unique row in the store decides who has it.
pub(crate) fn take_address(tx: &Tx<'_>, subnet: &Subnet, ip: IpAddr, port_id: &str) -> Result<()> {
    match store::insert_allocation(tx, &subnet.id, ip, port_id) {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(_)) => Err(IpamError::IpAddressAlreadyAllocated {
            ip: ip.to_string(),
            subnet_id: subnet.id.clone(),
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn release_address(tx: &Tx<'_>, subnet_id: &str, ip: &str) -> Result<()> {
    store::delete_allocation(tx, subnet_id, ip)?;
    Ok(())
}

/// Random probes per window before the window doubles.
const PROBES_PER_WINDOW: usize = 3;

/// How often the gap search of a dense pool picks again when a concurrent transaction took
/// the address it found first.
const SEARCH_ATTEMPTS: usize = 16;

/// Picks and reserves a free address of the subnet; `None` if it is full.
///
/// Like upstream, the pick is random among the low addresses of a pool, so that concurrent
/// creates rarely want the same one. It probes: a random address among the pool's first
/// [`ipam::PICK_WINDOW`], reserved by inserting it (the unique key decides); when taken, again,
/// and after a few misses in a window twice as large. Nothing is read before the insert, so
/// concurrent allocations in one pool do not conflict on what they read (on PostgreSQL a read
/// of the pool would make SERIALIZABLE abort most of them). Only a dense pool, where probes
/// keep missing, is searched: the first free address from a random point, wrapping around.
///
/// A pool that fills from the bottom would make every allocation miss through the same full
/// windows (at 10,000 addresses, a dozen probes, each a round trip on PostgreSQL), so probing
/// starts in the window where the pool's last allocation in this process succeeded, or in the
/// next larger one if that one took several probes ([`START_WINDOWS`]). Every window starts at
/// the pool's first address, so released low addresses are still picked.
pub(crate) fn allocate_any(tx: &Tx<'_>, subnet: &Subnet, port_id: &str) -> Result<Option<IpAddr>> {
    let mut rng = rand::rng();
    for pool in &subnet.allocation_pools {
        let (lo, hi) = store::key_range(pool.start, pool.end);
        let size = (hi - lo).saturating_add(1);
        let first = size.min(ipam::PICK_WINDOW as i64);
        let start = START_WINDOWS.get(&subnet.id, lo).clamp(first, size);
        let mut window = start;
        loop {
            for probe in 0..PROBES_PER_WINDOW {
                let key = lo + rng.random_range(0..window);
                if let Some(ip) = try_reserve(tx, subnet, pool.start, lo, key, port_id)? {
                    let crowded = window > start || probe > 0;
                    let next = if crowded {
                        window.saturating_mul(2)
                    } else {
                        window
                    };
                    START_WINDOWS.set(&subnet.id, lo, next.min(size));
                    return Ok(Some(ip));
                }
            }
            if window == size {
                break;
            }
            window = window.saturating_mul(2).min(size);
        }
        for _ in 0..SEARCH_ATTEMPTS {
            let from = lo + rng.random_range(0..size);
            let found = match store::first_free_key(tx, &subnet.id, from, hi)? {
                Some(k) => Some(k),
                None => store::first_free_key(tx, &subnet.id, lo, from - 1)?,
            };
            let Some(key) = found else {
                break;
            };
            if let Some(ip) = try_reserve(tx, subnet, pool.start, lo, key, port_id)? {
                return Ok(Some(ip));
            }
        }
    }
    Ok(None)
}

/// Per pool (subnet id, first key), the window of low addresses its next allocation probes
/// first. Only where probing starts: whichever window it starts in, an allocation finds a free
/// address if there is one, and the unique key decides, so the hint is never wrong, only
/// more or less apt — in each process, however many there are.
static START_WINDOWS: StartWindows = StartWindows(LazyLock::new(Mutex::default));

struct StartWindows(LazyLock<Mutex<HashMap<(String, i64), i64>>>);

impl StartWindows {
    /// Pools remembered at most (subnets come and go; the hints of gone ones are dropped).
    const MOST: usize = 10_000;

    fn get(&self, subnet_id: &str, lo: i64) -> i64 {
        let windows = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        windows
            .get(&(subnet_id.to_string(), lo))
            .copied()
            .unwrap_or(0)
    }

    fn set(&self, subnet_id: &str, lo: i64, window: i64) {
        let mut windows = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= Self::MOST {
            windows.clear();
        }
        windows.insert((subnet_id.to_string(), lo), window);
    }
}

/// Reserves the address of `key` in the pool starting at `start` (key `lo`); `None` if it is
/// taken.
fn try_reserve(
    tx: &Tx<'_>,
    subnet: &Subnet,
    start: IpAddr,
    lo: i64,
    key: i64,
    port_id: &str,
) -> Result<Option<IpAddr>> {
    let ip = store::address_at(start, lo, key).ok_or_else(Error::internal)?;
    match store::insert_allocation(tx, &subnet.id, ip, port_id) {
        Ok(()) => Ok(Some(ip)),
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a port is being given addresses for.
pub(crate) struct AddressTarget<'a> {
    pub(crate) network_id: &'a str,
    pub(crate) port_id: &'a str,
    pub(crate) mac: &'a str,
    pub(crate) device_owner: &'a str,
}

pub(crate) fn auto_address(subnet: &Subnet, mac: &str) -> Result<IpAddr> {
    let mac = ipam::validate_mac(mac).map_err(|_| Error::internal())?;
    ipam::eui64_address(&subnet.cidr, mac)
        .map(IpAddr::V6)
        .ok_or_else(Error::internal)
}

/// Allocates the addresses of a new port, or of a `fixed_ips` update (`keep` are the port's
/// current addresses that stay).
pub(crate) fn allocate_fixed_ips(
    tx: &Tx<'_>,
    subnets: &[Subnet],
    target: &AddressTarget<'_>,
    request: Option<&[FixedIpEntry]>,
) -> Result<Vec<FixedIp>> {
    let mut out = Vec::new();
    let router_port =
        ipam::is_router_port_owner(target.device_owner) && !target.device_owner.is_empty();
    let Some(entries) = request else {
        // Nothing asked: one IPv4 address, one stateful IPv6 address, and an automatic address
        // on every SLAAC/stateless subnet.
        let mut wanted_v4 = subnets.iter().any(|s| s.ip_version == 4);
        let mut wanted_v6 = subnets
            .iter()
            .any(|s| s.ip_version == 6 && !s.ip_settings().is_auto_address());
        let (mut got_v4, mut got_v6) = (false, false);
        for s in subnets {
            if s.ip_version == 6 && s.ip_settings().is_auto_address() {
                if !router_port {
                    let ip = auto_address(s, target.mac)?;
                    take_address(tx, s, ip, target.port_id)?;
                    out.push(FixedIp {
                        subnet_id: s.id.clone(),
                        ip_address: ip.to_string(),
                    });
                }
                continue;
            }
            let want = if s.ip_version == 4 {
                &mut got_v4
            } else {
                &mut got_v6
            };
            if *want {
                continue;
            }
            if let Some(ip) = allocate_any(tx, s, target.port_id)? {
                *want = true;
                out.push(FixedIp {
                    subnet_id: s.id.clone(),
                    ip_address: ip.to_string(),
                });
            }
        }
        wanted_v4 &= !got_v4;
        wanted_v6 &= !got_v6;
        if wanted_v4 || wanted_v6 {
            return Err(IpamError::IpAddressGenerationFailure {
                net_id: target.network_id.to_string(),
            }
            .into());
        }
        return Ok(out);
    };
    for entry in entries {
        let subnet = match entry {
            FixedIpRequest::Subnet(id) | FixedIpRequest::SubnetAddress(id, _) => {
                subnet_by_id(tx, subnets, id, target.network_id)?
            }
            FixedIpRequest::Address(ip) => {
                let cidrs: Vec<(&Subnet, &ipnet::IpNet)> =
                    subnets.iter().map(|s| (s, &s.cidr)).collect();
                ipam::subnet_for_ip(cidrs, *ip, target.device_owner)?.clone()
            }
        };
        let ip = match entry.ip_address() {
            Some(ip) => {
                ipam::check_ip_for_subnet(&subnet.cidr, ip, target.device_owner)?;
                if subnet.ip_settings().is_auto_address() && !router_port {
                    return Err(IpamError::AllocationOnAutoAddressSubnet {
                        ip: ip.to_string(),
                        subnet_id: subnet.id.clone(),
                    }
                    .into());
                }
                take_address(tx, &subnet, ip, target.port_id)?;
                ip
            }
            None if subnet.ip_settings().is_auto_address() && !router_port => {
                let ip = auto_address(&subnet, target.mac)?;
                take_address(tx, &subnet, ip, target.port_id)?;
                ip
            }
            None => allocate_any(tx, &subnet, target.port_id)?.ok_or_else(|| {
                Error::from(IpamError::IpAddressGenerationFailure {
                    net_id: target.network_id.to_string(),
                })
            })?,
        };
        out.push(FixedIp {
            subnet_id: subnet.id.clone(),
            ip_address: ip.to_string(),
        });
    }
    Ok(out)
}

pub(crate) fn subnet_by_id(
    tx: &Tx<'_>,
    subnets: &[Subnet],
    id: &str,
    network_id: &str,
) -> Result<Subnet> {
    if let Some(s) = subnets.iter().find(|s| s.id == id) {
        return Ok(s.clone());
    }
    match load::<Subnet>(tx, id)? {
        Some(_) => Err(Error::bad_request(format!(
            "Failed to create port on network {network_id}, because fixed_ips included invalid subnet {id}"
        ))),
        None => Err(Error::subnet_not_found(id)),
    }
}

/// Applies a `fixed_ips` update: entries naming an address the port has keep it, entries with
/// only a subnet reuse the port's address there if it has one, the rest are allocated;
/// addresses no entry keeps are released.
pub(crate) fn update_fixed_ips(
    tx: &Tx<'_>,
    port: &mut Port,
    entries: &[FixedIpEntry],
) -> Result<()> {
    let subnets = service_subnets(
        subnets_of(tx, &port.network_id)?,
        &port.network_id,
        &port.device_owner,
    )?;
    let mut keep: Vec<FixedIp> = Vec::new();
    let mut new: Vec<FixedIpEntry> = Vec::new();
    let mut current = port.fixed_ips.clone();
    for e in entries {
        let found = match e {
            FixedIpRequest::Address(ip) | FixedIpRequest::SubnetAddress(_, ip) => current
                .iter()
                .position(|f| f.ip_address.parse::<IpAddr>().ok() == Some(*ip)),
            FixedIpRequest::Subnet(s) => current.iter().position(|f| f.subnet_id == *s),
        };
        match found {
            Some(i) => keep.push(current.remove(i)),
            None => new.push(e.clone()),
        }
    }
    for gone in &current {
        if floatingip::holds_fixed_ip(tx, &port.id, &gone.ip_address)? {
            return Err(Error::bad_request(format!(
                "Cannot update the fixed_ips of the port {}, because its original fixed_ip has been associated to a floating ip",
                port.id
            )));
        }
        // Upstream deletes the port forwardings to an address the port gives up.
        crate::port_forwarding::remove_for_port(tx, &port.id, Some(&gone.ip_address))?;
        release_address(tx, &gone.subnet_id, &gone.ip_address)?;
    }
    let target = AddressTarget {
        network_id: &port.network_id,
        port_id: &port.id,
        mac: &port.mac_address,
        device_owner: &port.device_owner,
    };
    let added = if new.is_empty() {
        Vec::new()
    } else {
        allocate_fixed_ips(tx, &subnets, &target, Some(&new))?
    };
    keep.extend(added);
    port.fixed_ips = keep;
    Ok(())
}
