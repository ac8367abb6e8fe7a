//! Prefix arithmetic of subnet pools: compacting a pool's prefix list, the free space left by
//! its subnets, and the block a subnet request gets (`neutron/ipam/subnet_alloc.py`).
//!
//! Every function takes prefixes of one IP version; mixing versions is the caller's error and
//! simply finds no overlap.

use ipnet::IpNet;

/// The prefixes merged and compacted: no two overlap, adjacent blocks are joined, sorted by
/// address (netaddr's `IPSet.compact().iter_cidrs()`).
pub fn compact(prefixes: &[IpNet]) -> Vec<IpNet> {
    let mut out = IpNet::aggregate(&prefixes.iter().map(IpNet::trunc).collect());
    out.sort();
    out
}

/// Do two blocks share an address?
pub fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

/// Does any block of `a` share an address with any block of `b`?
pub fn sets_overlap(a: &[IpNet], b: &[IpNet]) -> bool {
    a.iter().any(|x| b.iter().any(|y| overlap(x, y)))
}

/// Is every address of `inner` inside one of `outer`'s blocks? Both as compacted lists, so a
/// block spanning two adjacent outer blocks is still covered.
pub fn covers(outer: &[IpNet], inner: &[IpNet]) -> bool {
    let outer = compact(outer);
    compact(inner)
        .iter()
        .all(|i| outer.iter().any(|o| o.contains(i)))
}

/// `block` minus `hole`, as the blocks that remain.
fn subtract_one(block: IpNet, hole: &IpNet) -> Vec<IpNet> {
    if !overlap(&block, hole) {
        return vec![block];
    }
    if hole.contains(&block) {
        return Vec::new();
    }
    // `block` strictly contains `hole`: keep the half without it, split the other.
    let half = block.prefix_len() + 1;
    let Ok(mut halves) = block.subnets(half) else {
        return Vec::new();
    };
    let (Some(lo), Some(hi)) = (halves.next(), halves.next()) else {
        return Vec::new();
    };
    let mut out = subtract_one(lo, hole);
    out.extend(subtract_one(hi, hole));
    out
}

/// The addresses of `pool` not in `used`, compacted.
pub fn difference(pool: &[IpNet], used: &[IpNet]) -> Vec<IpNet> {
    let mut free = compact(pool);
    for hole in used {
        free = free
            .into_iter()
            .flat_map(|b| subtract_one(b, &hole.trunc()))
            .collect();
    }
    compact(&free)
}

/// The block a request for a `/prefixlen` gets: the first block of that size in the smallest
/// free block that holds one (upstream sorts the free blocks by size, smallest first, and by
/// address within a size). `None` if no free block is large enough.
pub fn allocate(pool: &[IpNet], used: &[IpNet], prefixlen: u8) -> Option<IpNet> {
    let mut free = difference(pool, used);
    free.sort_by_key(|b| std::cmp::Reverse(b.prefix_len()));
    free.iter()
        .filter(|b| b.prefix_len() <= prefixlen)
        .find_map(|b| b.subnets(prefixlen).ok()?.next())
}

/// Is the requested block entirely free space of the pool?
pub fn is_free(pool: &[IpNet], used: &[IpNet], cidr: &IpNet) -> bool {
    difference(pool, used).iter().any(|b| b.contains(cidr))
}

/// A block's size in quota units: /32s for IPv4, /64s for IPv6 (0 for an IPv6 block smaller
/// than a /64, as upstream's `2 ** (64 - prefixlen)` is below one).
pub fn quota_units(cidr: &IpNet) -> u128 {
    let unit = match cidr {
        IpNet::V4(_) => 32,
        IpNet::V6(_) => 64,
    };
    let len = cidr.prefix_len();
    if len > unit { 0 } else { 1u128 << (unit - len) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter().map(|p| p.parse().unwrap()).collect()
    }

    #[test]
    fn compacts_adjacent_and_overlapping() {
        assert_eq!(
            compact(&nets(&[
                "10.0.1.0/24",
                "10.0.0.0/24",
                "10.0.0.0/25",
                "10.1.0.0/16"
            ])),
            nets(&["10.0.0.0/23", "10.1.0.0/16"])
        );
    }

    #[test]
    fn takes_first_block_of_smallest_free_space() {
        let pool = nets(&["10.0.0.0/16", "192.168.0.0/24"]);
        assert_eq!(
            allocate(&pool, &[], 26),
            Some("192.168.0.0/26".parse().unwrap())
        );
        let used = nets(&["192.168.0.0/26"]);
        assert_eq!(
            allocate(&pool, &used, 26),
            Some("192.168.0.64/26".parse().unwrap())
        );
        assert_eq!(allocate(&pool, &[], 15), None);
        assert_eq!(
            allocate(&pool, &used, 24),
            Some("10.0.0.0/24".parse().unwrap())
        );
    }

    #[test]
    fn specific_requests_and_coverage() {
        let pool = nets(&["10.0.0.0/24"]);
        let used = nets(&["10.0.0.0/26"]);
        assert!(is_free(&pool, &used, &"10.0.0.64/26".parse().unwrap()));
        assert!(!is_free(&pool, &used, &"10.0.0.0/25".parse().unwrap()));
        assert!(!is_free(&pool, &used, &"10.0.1.0/26".parse().unwrap()));
        assert!(covers(&nets(&["10.0.0.0/25", "10.0.0.128/25"]), &pool));
        assert!(!covers(&nets(&["10.0.0.0/25"]), &pool));
    }

    #[test]
    fn quota_units_by_version() {
        assert_eq!(quota_units(&"10.0.0.0/24".parse().unwrap()), 256);
        assert_eq!(quota_units(&"2001:db8::/64".parse().unwrap()), 1);
        assert_eq!(quota_units(&"2001:db8::/48".parse().unwrap()), 65536);
        assert_eq!(quota_units(&"2001:db8::/96".parse().unwrap()), 0);
    }

    proptest! {
        /// Allocating until the pool is exhausted never yields overlapping blocks or blocks
        /// outside the pool, and stops only when no block of the size is free.
        #[test]
        fn allocations_are_disjoint_and_inside(
            bases in proptest::collection::vec((0u32..64, 20u8..=26), 1..4),
            sizes in proptest::collection::vec(24u8..=30, 1..40),
        ) {
            let pool: Vec<IpNet> = bases
                .iter()
                .map(|(b, len)| IpNet::new(std::net::Ipv4Addr::from(0x0a00_0000u32 + (b << 12)).into(), *len).unwrap().trunc())
                .collect();
            let mut used: Vec<IpNet> = Vec::new();
            for len in sizes {
                match allocate(&pool, &used, len) {
                    Some(block) => {
                        prop_assert_eq!(block.prefix_len(), len);
                        prop_assert!(pool.iter().any(|p| p.contains(&block)));
                        prop_assert!(used.iter().all(|u| !overlap(u, &block)));
                        used.push(block);
                    }
                    None => {
                        let free = difference(&pool, &used);
                        prop_assert!(free.iter().all(|f| f.prefix_len() > len));
                    }
                }
            }
        }
    }
}
