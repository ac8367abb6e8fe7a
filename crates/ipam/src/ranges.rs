//! Free-value bookkeeping: an interval set over `u128` (IPv4/IPv6 addresses as integers,
//! segmentation ids), and the address wrapper used for port allocation.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;

use rand::{Rng, RngExt};

use crate::error::IpamError;

/// How many of the first free addresses a random pick chooses among
/// (`neutron/ipam/drivers/neutrondb_ipam/driver.py`, `_generate_ips`).
pub const PICK_WINDOW: usize = 1000;

/// A set of free values inside fixed ranges ("pools"). Values can be taken (allocated) and
/// released (only back into a pool). Every operation is O(log n) in the number of free
/// intervals, iteration is O(k) for k values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreeRanges {
    /// The pools, merged, sorted, disjoint: start → end (inclusive).
    pools: BTreeMap<u128, u128>,
    /// The free intervals, sorted, disjoint, non-adjacent: start → end (inclusive).
    free: BTreeMap<u128, u128>,
    /// Number of free values.
    count: u128,
}

/// Inserts `[start, end]` into a map of disjoint, non-touching intervals, merging neighbours.
/// Returns how many values were newly added (saturating).
fn insert_merged(map: &mut BTreeMap<u128, u128>, start: u128, end: u128) -> u128 {
    let touches = |s: u128, e: u128| s <= end.saturating_add(1) && e.saturating_add(1) >= start;
    let mut removed: Vec<(u128, u128)> = Vec::new();
    if let Some((&s, &e)) = map.range(..=start).next_back()
        && touches(s, e)
    {
        removed.push((s, e));
    }
    for (&s, &e) in map.range(start..) {
        if s == start && removed.first().is_some_and(|r| r.0 == s) {
            continue;
        }
        if !touches(s, e) {
            break;
        }
        removed.push((s, e));
    }
    let mut overlap = 0u128;
    let (mut lo, mut hi) = (start, end);
    for &(s, e) in &removed {
        let (a, b) = (s.max(start), e.min(end));
        if a <= b {
            overlap = overlap.saturating_add(b - a + 1);
        }
        lo = lo.min(s);
        hi = hi.max(e);
        map.remove(&s);
    }
    map.insert(lo, hi);
    (end - start).saturating_add(1) - overlap
}

impl FreeRanges {
    /// Builds the set from pools (may overlap or touch; they are merged) minus the values
    /// already in use. Used values outside the pools are ignored.
    pub fn new<P, U>(pools: P, used: U) -> Self
    where
        P: IntoIterator<Item = RangeInclusive<u128>>,
        U: IntoIterator<Item = u128>,
    {
        let mut set = FreeRanges::default();
        for r in pools {
            let (s, e) = r.into_inner();
            if s <= e {
                insert_merged(&mut set.pools, s, e);
            }
        }
        set.free = set.pools.clone();
        set.count = set
            .free
            .iter()
            .map(|(s, e)| e - s + 1)
            .fold(0u128, u128::saturating_add);
        for v in used {
            set.take(v);
        }
        set
    }

    /// True when `value` lies inside one of the pools (free or not).
    pub fn in_pools(&self, value: u128) -> bool {
        self.pools
            .range(..=value)
            .next_back()
            .is_some_and(|(_, &e)| e >= value)
    }

    /// True when `value` is free.
    pub fn contains(&self, value: u128) -> bool {
        self.free
            .range(..=value)
            .next_back()
            .is_some_and(|(_, &e)| e >= value)
    }

    /// Marks `value` as used. Returns false if it was not free (used already or outside pools).
    pub fn take(&mut self, value: u128) -> bool {
        let Some((&s, &e)) = self.free.range(..=value).next_back() else {
            return false;
        };
        if e < value {
            return false;
        }
        self.free.remove(&s);
        if s < value {
            self.free.insert(s, value - 1);
        }
        if value < e {
            self.free.insert(value + 1, e);
        }
        self.count -= 1;
        true
    }

    /// Returns `value` to the free set. Returns false (and does nothing) when it is outside
    /// the pools or already free.
    pub fn release(&mut self, value: u128) -> bool {
        if !self.in_pools(value) || self.contains(value) {
            return false;
        }
        self.count += insert_merged(&mut self.free, value, value);
        true
    }

    /// Number of free values (saturates at `u128::MAX` for a whole /0 IPv6 space).
    pub fn free_count(&self) -> u128 {
        self.count
    }

    /// The lowest free values in ascending order, at most `k` of them.
    pub fn first_free(&self, k: usize) -> impl Iterator<Item = u128> + '_ {
        self.free.iter().flat_map(|(&s, &e)| s..=e).take(k)
    }

    /// Takes the lowest free value (for sequential allocation such as segmentation ids).
    pub fn take_first(&mut self) -> Option<u128> {
        let v = *self.free.keys().next()?;
        self.take(v);
        Some(v)
    }

    /// The pools as merged inclusive ranges, ascending.
    pub fn pools(&self) -> impl Iterator<Item = RangeInclusive<u128>> + '_ {
        self.pools.iter().map(|(&s, &e)| s..=e)
    }

    /// The free values as inclusive ranges, ascending.
    pub fn free_ranges(&self) -> impl Iterator<Item = RangeInclusive<u128>> + '_ {
        self.free.iter().map(|(&s, &e)| s..=e)
    }
}

/// Integer value of an address (IPv4 in the low 32 bits).
pub fn ip_to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// Address of an integer value for the given IP version (4 or 6). `None` if it does not fit.
pub fn u128_to_ip(version: u8, v: u128) -> Option<IpAddr> {
    match version {
        4 => u32::try_from(v).ok().map(|x| IpAddr::V4(Ipv4Addr::from(x))),
        6 => Some(IpAddr::V6(Ipv6Addr::from(v))),
        _ => None,
    }
}

/// The free addresses of one subnet: its allocation pools minus the allocated addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeAddresses {
    version: u8,
    set: FreeRanges,
}

impl FreeAddresses {
    /// Builds from allocation pools (`start..=end` pairs of one IP version) and the addresses
    /// already allocated. Pools or addresses of the other version are ignored.
    pub fn new<P, U>(version: u8, pools: P, allocated: U) -> Self
    where
        P: IntoIterator<Item = (IpAddr, IpAddr)>,
        U: IntoIterator<Item = IpAddr>,
    {
        let is_v =
            move |ip: &IpAddr| (ip.is_ipv4() && version == 4) || (ip.is_ipv6() && version == 6);
        let set = FreeRanges::new(
            pools
                .into_iter()
                .filter(|(s, e)| is_v(s) && is_v(e))
                .map(|(s, e)| ip_to_u128(s)..=ip_to_u128(e)),
            allocated.into_iter().filter(is_v).map(ip_to_u128),
        );
        FreeAddresses { version, set }
    }

    /// The IP version (4 or 6).
    pub fn version(&self) -> u8 {
        self.version
    }

    fn same_version(&self, ip: IpAddr) -> bool {
        (ip.is_ipv4() && self.version == 4) || (ip.is_ipv6() && self.version == 6)
    }

    /// True when `ip` is free.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.same_version(ip) && self.set.contains(ip_to_u128(ip))
    }

    /// True when `ip` is inside an allocation pool (free or not).
    pub fn in_pools(&self, ip: IpAddr) -> bool {
        self.same_version(ip) && self.set.in_pools(ip_to_u128(ip))
    }

    /// Marks `ip` allocated; false if it was not free.
    pub fn take(&mut self, ip: IpAddr) -> bool {
        self.same_version(ip) && self.set.take(ip_to_u128(ip))
    }

    /// Frees `ip` again; false (no-op) when outside the pools or already free.
    pub fn release(&mut self, ip: IpAddr) -> bool {
        self.same_version(ip) && self.set.release(ip_to_u128(ip))
    }

    /// Number of free addresses.
    pub fn free_count(&self) -> u128 {
        self.set.free_count()
    }

    /// The lowest `k` free addresses, ascending.
    pub fn candidates(&self, k: usize) -> impl Iterator<Item = IpAddr> + '_ {
        let v = self.version;
        self.set.first_free(k).filter_map(move |x| u128_to_ip(v, x))
    }

    /// Alias of [`FreeAddresses::candidates`].
    pub fn first_free(&self, k: usize) -> impl Iterator<Item = IpAddr> + '_ {
        self.candidates(k)
    }

    /// The underlying integer set.
    pub fn ranges(&self) -> &FreeRanges {
        &self.set
    }
}

/// A random address among the first [`PICK_WINDOW`] free ones (upstream's choice), or `None`
/// when nothing is free. Does not take it: the caller inserts it (a unique index decides
/// races) and then calls [`FreeAddresses::take`].
pub fn pick_address<R: Rng + ?Sized>(free: &FreeAddresses, rng: &mut R) -> Option<IpAddr> {
    let window = usize::try_from(free.free_count().min(PICK_WINDOW as u128)).ok()?;
    if window == 0 {
        return None;
    }
    let i = rng.random_range(0..window);
    free.candidates(window).nth(i)
}

fn parse_u32_pair(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once(':')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Parses tunnel id ranges (`vni_ranges`, `tunnel_id_ranges`): a comma-separated list of
/// `min:max` items, each with `min <= max`. An empty string gives no ranges.
pub fn parse_id_ranges(text: &str) -> Result<Vec<RangeInclusive<u32>>, IpamError> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (a, b) = parse_u32_pair(item).ok_or_else(|| IpamError::NetworkTunnelRangeError {
            range: item.to_string(),
            error: "Need exactly two values for tunnel range".to_string(),
        })?;
        if a > b {
            return Err(IpamError::NetworkTunnelRangeError {
                range: item.to_string(),
                error: "Range must be 'min:max' with min <= max".to_string(),
            });
        }
        out.push(a..=b);
    }
    Ok(out)
}

/// A VLAN range entry of `network_vlan_ranges`: a physical network with or without ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlanRange {
    /// Physical network name.
    pub physical_network: String,
    /// Tenant-allocatable VLAN ids, `None` for "provider networks only".
    pub ids: Option<RangeInclusive<u16>>,
}

/// The VLAN ids valid on the wire.
pub const VLAN_IDS: RangeInclusive<u16> = 1..=4094;

/// Parses `network_vlan_ranges`: comma-separated `physnet` or `physnet:min:max` items with
/// `1 <= min <= max <= 4094`.
pub fn parse_vlan_ranges(text: &str) -> Result<Vec<VlanRange>, IpamError> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let err = |e: &str| IpamError::NetworkVlanRangeError {
            range: item.to_string(),
            error: e.to_string(),
        };
        let mut parts = item.splitn(2, ':');
        let physnet = parts.next().unwrap_or_default().trim();
        if physnet.is_empty() {
            return Err(err("Empty physical network name."));
        }
        let ids = match parts.next() {
            None => None,
            Some(rest) => {
                let (a, b) = parse_u32_pair(rest)
                    .ok_or_else(|| err("Need exactly two values for VLAN range"))?;
                let (a, b) = match (u16::try_from(a), u16::try_from(b)) {
                    (Ok(a), Ok(b)) if VLAN_IDS.contains(&a) && VLAN_IDS.contains(&b) => (a, b),
                    _ => return Err(err("VLAN id out of range 1..4094")),
                };
                if a > b {
                    return Err(err("Range must be 'min:max' with min <= max"));
                }
                Some(a..=b)
            }
        };
        out.push(VlanRange {
            physical_network: physnet.to_string(),
            ids,
        });
    }
    Ok(out)
}

/// Free segmentation ids for a set of ranges (VLAN ids of one physical network, VXLAN or
/// Geneve VNIs) minus those in use.
pub fn free_segmentation_ids<R, U>(ranges: R, used: U) -> FreeRanges
where
    R: IntoIterator<Item = RangeInclusive<u32>>,
    U: IntoIterator<Item = u32>,
{
    FreeRanges::new(
        ranges
            .into_iter()
            .map(|r| u128::from(*r.start())..=u128::from(*r.end())),
        used.into_iter().map(u128::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn merges_pools_and_counts() {
        let f = FreeRanges::new([1..=5, 6..=10, 20..=30, 25..=40], [3, 100]);
        assert_eq!(f.pools().collect::<Vec<_>>(), vec![1..=10, 20..=40]);
        assert_eq!(f.free_count(), 10 + 21 - 1);
        assert!(!f.contains(3));
        assert!(f.in_pools(3));
        assert!(!f.in_pools(15));
    }

    #[test]
    fn take_release_roundtrip() {
        let mut f = FreeRanges::new([10..=20], []);
        assert!(f.take(15));
        assert!(!f.take(15));
        assert!(!f.take(9));
        assert_eq!(f.free_count(), 10);
        assert!(f.release(15));
        assert!(!f.release(15));
        assert!(!f.release(21));
        assert_eq!(f.free_ranges().collect::<Vec<_>>(), vec![10..=20]);
        assert_eq!(f.free_count(), 11);
    }

    #[test]
    fn first_free_and_take_first() {
        let mut f = FreeRanges::new([1..=3, 10..=12], [1, 2]);
        assert_eq!(f.first_free(3).collect::<Vec<_>>(), vec![3, 10, 11]);
        assert_eq!(f.take_first(), Some(3));
        assert_eq!(f.take_first(), Some(10));
    }

    #[test]
    fn extreme_values() {
        let mut f = FreeRanges::new([u128::MAX - 1..=u128::MAX, 0..=0], []);
        assert_eq!(f.free_count(), 3);
        assert!(f.take(u128::MAX));
        assert!(f.release(u128::MAX));
        assert!(f.take(0));
        assert!(f.release(0));
        assert_eq!(f.free_count(), 3);
    }

    #[test]
    fn addresses_v6_large_pool_and_many_allocations() {
        let start = ip("2001:db8::1");
        let end = ip("2001:db8::ffff:ffff:ffff:ffff");
        let base = ip_to_u128(start);
        let used: Vec<IpAddr> = (0..100_000u128)
            .map(|i| u128_to_ip(6, base + i * 3).unwrap())
            .collect();
        let t = std::time::Instant::now();
        let mut f = FreeAddresses::new(6, [(start, end)], used.iter().copied());
        assert_eq!(f.free_count(), (1u128 << 64) - 1 - 100_000);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            let a = pick_address(&f, &mut rng).unwrap();
            assert!(f.take(a));
        }
        assert!(t.elapsed().as_secs() < 5);
        assert!(!f.contains(used[0]));
        assert!(f.release(used[0]));
    }

    #[test]
    fn pick_address_exhaustion_and_window() {
        let f = FreeAddresses::new(4, [(ip("10.0.0.2"), ip("10.0.0.2"))], [ip("10.0.0.2")]);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(pick_address(&f, &mut rng), None);
        let f = FreeAddresses::new(4, [(ip("10.0.0.0"), ip("10.255.255.255"))], []);
        let limit = ip_to_u128(ip("10.0.0.0")) + PICK_WINDOW as u128;
        for _ in 0..2000 {
            let a = pick_address(&f, &mut rng).unwrap();
            assert!(ip_to_u128(a) < limit);
        }
    }

    #[test]
    fn other_version_is_ignored() {
        let mut f = FreeAddresses::new(4, [(ip("10.0.0.2"), ip("10.0.0.9"))], [ip("::1")]);
        assert_eq!(f.free_count(), 8);
        assert!(!f.take(ip("::2")));
        assert!(!f.contains(ip("::2")));
        assert_eq!(
            f.candidates(2).collect::<Vec<_>>(),
            vec![ip("10.0.0.2"), ip("10.0.0.3")]
        );
    }

    #[test]
    fn id_ranges() {
        assert_eq!(
            parse_id_ranges("1:1000, 2000:3000").unwrap(),
            vec![1..=1000, 2000..=3000]
        );
        assert_eq!(parse_id_ranges("").unwrap(), vec![]);
        let e = parse_id_ranges("5:1").unwrap_err();
        assert_eq!(e.neutron_type(), "NetworkTunnelRangeError");
        assert!(
            e.to_string()
                .starts_with("Invalid network tunnel range: '5:1'")
        );
        assert!(parse_id_ranges("x").is_err());
        let v = parse_vlan_ranges("physnet1:100:200,physnet2").unwrap();
        assert_eq!(v[0].ids, Some(100..=200));
        assert_eq!(v[1].ids, None);
        assert!(parse_vlan_ranges("p:0:10").is_err());
        assert!(parse_vlan_ranges("p:1:4095").is_err());
        assert!(parse_vlan_ranges(":1:2").is_err());
        let mut ids = free_segmentation_ids([1..=4094], [1, 2]);
        assert_eq!(ids.take_first(), Some(3));
        assert_eq!(ids.free_count(), 4091);
    }
}
