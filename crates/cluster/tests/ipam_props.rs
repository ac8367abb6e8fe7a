//! Property tests of host allocation: never a protected or duplicate address, and stable when hosts come
//! and go.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use neutrino_cluster::design::subnets::plan_subnets;
use neutrino_cluster::ipam::{AllocationKey, allocate};
use neutrino_cluster::model;
use neutrino_cluster::source::SourceFile;
use proptest::prelude::*;

/// A random valid Subnet: a /22…/29 with optional gateway, nameservers, include or exclude ranges.
#[derive(Clone, Debug)]
struct SubnetCase {
    prefix: u8,
    gateway: Option<u32>,
    nameservers: Vec<u32>,
    include: Option<(u32, u32)>,
    exclude: Option<(u32, u32)>,
    whole: bool,
}

fn subnet_case() -> impl Strategy<Value = SubnetCase> {
    (
        22u8..=29,
        any::<bool>(),
        proptest::collection::vec(any::<u32>(), 0..3),
        any::<u32>(),
        any::<u32>(),
        0u8..3,
        any::<bool>(),
        any::<u32>(),
    )
        .prop_map(|(prefix, has_gw, ns, a, b, mode, whole, gw)| {
            let size = 1u32 << (32 - prefix);
            let (lo, hi) = ((a % size).min(b % size), (a % size).max(b % size));
            SubnetCase {
                prefix,
                gateway: has_gw.then_some(gw % size),
                nameservers: ns.into_iter().map(|n| n % size).collect(),
                include: (mode == 1).then_some((lo, hi)),
                exclude: (mode == 2).then_some((lo, hi)),
                whole,
            }
        })
}

const BASE: u32 = 0x0a_14_00_00; // 10.20.0.0

fn ip(offset: u32) -> Ipv4Addr {
    Ipv4Addr::from(BASE + offset)
}

impl SubnetCase {
    fn yaml(&self) -> String {
        let mut s = format!(
            "apiVersion: ipam.mirantis.com/v1alpha1\nkind: Subnet\nmetadata: {{name: s, namespace: ns}}\nspec:\n  cidr: {}/{}\n  useWholeCidr: {}\n",
            ip(0),
            self.prefix,
            self.whole
        );
        if let Some(g) = self.gateway {
            s += &format!("  gateway: {}\n", ip(g));
        }
        if !self.nameservers.is_empty() {
            s += "  nameservers:\n";
            for n in &self.nameservers {
                s += &format!("    - {}\n", ip(*n));
            }
        }
        if let Some((a, b)) = self.include {
            s += &format!("  includeRanges:\n    - {}-{}\n", ip(a), ip(b));
        }
        if let Some((a, b)) = self.exclude {
            s += &format!("  excludeRanges:\n    - {}-{}\n", ip(a), ip(b));
        }
        s
    }

    /// The rule the allocator must follow, written independently of it.
    fn allowed(&self, addr: Ipv4Addr) -> bool {
        let size = 1u32 << (32 - self.prefix);
        let off = u32::from(addr).wrapping_sub(BASE);
        if off >= size {
            return false;
        }
        if !self.whole && (off == 0 || off == size - 1) {
            return false;
        }
        if self.gateway == Some(off) || self.nameservers.contains(&off) {
            return false;
        }
        if let Some((a, b)) = self.include
            && !(a..=b).contains(&off)
        {
            return false;
        }
        if let Some((a, b)) = self.exclude
            && (a..=b).contains(&off)
        {
            return false;
        }
        true
    }
}

fn allocatable(case: &SubnetCase) -> BTreeMap<String, neutrino_cluster::ipam::AddressRanges> {
    let sources = vec![SourceFile {
        name: "s.yaml".into(),
        text: case.yaml(),
    }];
    let (input, findings) = model::load(&sources).expect("valid yaml");
    assert!(findings.is_empty(), "{findings:?}");
    let mut found = Vec::new();
    let plans = plan_subnets(&input.subnets, &mut found);
    assert!(found.is_empty(), "{found:?}");
    plans.into_iter().map(|(k, p)| (k, p.allocatable)).collect()
}

fn key(host: u16) -> AllocationKey {
    AllocationKey {
        subnet: "ns/s".into(),
        host: format!("host-{host:04}"),
        interface: "k8s-lcm".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_protected_or_duplicate(case in subnet_case(), hosts in proptest::collection::btree_set(0u16..2000, 0..300)) {
        let pools = allocatable(&case);
        let requests: BTreeSet<AllocationKey> = hosts.iter().map(|h| key(*h)).collect();
        let out = allocate(&pools, &requests, &BTreeMap::new());
        let mut seen = BTreeSet::new();
        for (k, addr) in &out.addresses {
            prop_assert!(case.allowed(*addr), "{k:?} got protected {addr} for {case:?}");
            prop_assert!(seen.insert(*addr), "{addr} handed out twice");
        }
        // Every request is served or reported, and only exhaustion leaves one unserved.
        let capacity = (0..(1u32 << (32 - case.prefix))).filter(|o| case.allowed(ip(*o))).count();
        prop_assert_eq!(out.addresses.len(), requests.len().min(capacity));
        prop_assert_eq!(out.addresses.len() + out.issues.len(), requests.len());
    }

    #[test]
    fn stable_under_additions_and_removals(
        case in subnet_case(),
        before in proptest::collection::btree_set(0u16..500, 0..120),
        added in proptest::collection::btree_set(0u16..500, 0..60),
        removed in proptest::collection::btree_set(0u16..500, 0..60),
    ) {
        let pools = allocatable(&case);
        let first_requests: BTreeSet<AllocationKey> = before.iter().map(|h| key(*h)).collect();
        let first = allocate(&pools, &first_requests, &BTreeMap::new());
        let after: BTreeSet<u16> = before.union(&added).filter(|h| !removed.contains(h)).copied().collect();
        let second_requests: BTreeSet<AllocationKey> = after.iter().map(|h| key(*h)).collect();
        let second = allocate(&pools, &second_requests, &first.addresses);
        for (k, addr) in &first.addresses {
            if second_requests.contains(k) {
                prop_assert_eq!(second.addresses.get(k), Some(addr), "{:?} moved", k);
            }
        }
        let unique: BTreeSet<_> = second.addresses.values().collect();
        prop_assert_eq!(unique.len(), second.addresses.len());
        for addr in second.addresses.values() {
            prop_assert!(case.allowed(*addr));
        }
    }

    #[test]
    fn same_input_same_addresses(case in subnet_case(), hosts in proptest::collection::btree_set(0u16..2000, 0..100)) {
        let pools = allocatable(&case);
        let requests: BTreeSet<AllocationKey> = hosts.iter().map(|h| key(*h)).collect();
        let a = allocate(&pools, &requests, &BTreeMap::new());
        let b = allocate(&pools, &requests, &BTreeMap::new());
        prop_assert_eq!(a.addresses, b.addresses);
    }
}
