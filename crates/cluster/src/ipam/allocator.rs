//! The allocator: every (subnet, host, interface) that a rendered template asks an address for gets one.
//!
//! Determinism: requests are served in a fixed order (subnet, host, interface) and each takes the
//! lowest free allocatable address, so the same input always gives the same addresses.
//! Stability: addresses recorded in the previous allocation state are kept first, as long as they are
//! still requested and still allocatable; only new requests take fresh addresses. Adding a host
//! therefore never moves anybody else, and removing one frees only its own addresses.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::Ipv4Addr;

use super::ranges::AddressRanges;

/// Who wants an address: a host's interface on a Subnet (`namespace/name`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AllocationKey {
    pub subnet: String,
    pub host: String,
    pub interface: String,
}

/// Why a previous address was not kept, or why a request got nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocationIssue {
    /// The remembered address is no longer allocatable (protected, excluded or outside the Subnet).
    PreviousNotAllocatable(AllocationKey, Ipv4Addr),
    /// The Subnet has no free allocatable address left.
    Exhausted(AllocationKey),
}

#[derive(Clone, Debug, Default)]
pub struct Allocations {
    pub addresses: BTreeMap<AllocationKey, Ipv4Addr>,
    pub issues: Vec<AllocationIssue>,
}

/// Allocates every request from its subnet's allocatable ranges, keeping previous addresses.
/// `allocatable` maps a subnet key to the addresses that may be handed out (protection already applied);
/// a request for a subnet missing from it is ignored (the subnet itself is invalid and reported).
pub fn allocate(
    allocatable: &BTreeMap<String, AddressRanges>,
    requests: &BTreeSet<AllocationKey>,
    previous: &BTreeMap<AllocationKey, Ipv4Addr>,
) -> Allocations {
    let mut out = Allocations::default();
    let mut used: BTreeMap<&str, HashSet<Ipv4Addr>> = BTreeMap::new();
    let mut fresh = Vec::new();
    for key in requests {
        let Some(ranges) = allocatable.get(&key.subnet) else {
            continue;
        };
        let taken = used.entry(key.subnet.as_str()).or_default();
        match previous.get(key) {
            Some(&addr) if ranges.contains(addr) && !taken.contains(&addr) => {
                taken.insert(addr);
                out.addresses.insert(key.clone(), addr);
            }
            Some(&addr) => {
                out.issues
                    .push(AllocationIssue::PreviousNotAllocatable(key.clone(), addr));
                fresh.push(key);
            }
            None => fresh.push(key),
        }
    }
    // New requests, subnet by subnet, each scanning upwards from where the previous one stopped.
    let mut cursor: BTreeMap<&str, Box<dyn Iterator<Item = Ipv4Addr> + '_>> = BTreeMap::new();
    for key in fresh {
        let Some(ranges) = allocatable.get(&key.subnet) else {
            continue;
        };
        let taken = used.entry(key.subnet.as_str()).or_default();
        let iter = cursor
            .entry(key.subnet.as_str())
            .or_insert_with(|| Box::new(ranges.iter()));
        match iter.find(|a| !taken.contains(a)) {
            Some(addr) => {
                taken.insert(addr);
                out.addresses.insert(key.clone(), addr);
            }
            None => out.issues.push(AllocationIssue::Exhausted(key.clone())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(subnet: &str, host: &str) -> AllocationKey {
        AllocationKey {
            subnet: subnet.into(),
            host: host.into(),
            interface: "k8s-lcm".into(),
        }
    }

    fn pool(first: &str, last: &str) -> BTreeMap<String, AddressRanges> {
        let mut r = AddressRanges::default();
        r.insert(first.parse().expect("ip"), last.parse().expect("ip"));
        BTreeMap::from([("ns/lcm".to_string(), r)])
    }

    #[test]
    fn lowest_free_in_request_order() {
        let requests = BTreeSet::from([key("ns/lcm", "b"), key("ns/lcm", "a")]);
        let out = allocate(&pool("10.0.0.10", "10.0.0.20"), &requests, &BTreeMap::new());
        assert_eq!(
            out.addresses[&key("ns/lcm", "a")],
            Ipv4Addr::new(10, 0, 0, 10)
        );
        assert_eq!(
            out.addresses[&key("ns/lcm", "b")],
            Ipv4Addr::new(10, 0, 0, 11)
        );
        assert!(out.issues.is_empty());
    }

    #[test]
    fn previous_addresses_are_kept_and_new_hosts_fill_gaps() {
        let previous = BTreeMap::from([(key("ns/lcm", "b"), Ipv4Addr::new(10, 0, 0, 10))]);
        let requests = BTreeSet::from([key("ns/lcm", "a"), key("ns/lcm", "b")]);
        let out = allocate(&pool("10.0.0.10", "10.0.0.20"), &requests, &previous);
        assert_eq!(
            out.addresses[&key("ns/lcm", "b")],
            Ipv4Addr::new(10, 0, 0, 10)
        );
        assert_eq!(
            out.addresses[&key("ns/lcm", "a")],
            Ipv4Addr::new(10, 0, 0, 11)
        );
    }

    #[test]
    fn exhaustion_and_stale_previous_are_reported() {
        let previous = BTreeMap::from([(key("ns/lcm", "a"), Ipv4Addr::new(10, 0, 0, 99))]);
        let requests = BTreeSet::from([key("ns/lcm", "a"), key("ns/lcm", "b")]);
        let out = allocate(&pool("10.0.0.10", "10.0.0.10"), &requests, &previous);
        assert_eq!(out.addresses.len(), 1);
        assert_eq!(out.issues.len(), 2);
    }
}
