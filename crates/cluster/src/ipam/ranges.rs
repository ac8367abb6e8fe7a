//! Sets of IPv4 addresses kept as sorted, disjoint, inclusive intervals — a /16 is one interval, not
//! 65,536 entries, so a 1,000-host design stays cheap.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// Parses a range item as Subnet `includeRanges`/`excludeRanges` and MetalLB pools write it:
/// `A.B.C.D-A.B.C.E` or a single address. Returns (first, last), first <= last.
pub fn parse_range(text: &str) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    let text = text.trim();
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (text, text),
    };
    let first: Ipv4Addr = first
        .parse()
        .map_err(|_| format!("`{first}` is not an IPv4 address"))?;
    let last: Ipv4Addr = last
        .parse()
        .map_err(|_| format!("`{last}` is not an IPv4 address"))?;
    if first > last {
        return Err(format!("range `{text}` ends before it starts"));
    }
    Ok((first, last))
}

/// Parses a MetalLB pool entry: a CIDR or a range.
pub fn parse_pool_entry(text: &str) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    if text.contains('/') {
        let net: Ipv4Net = text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IPv4 CIDR"))?;
        Ok((net.network(), net.broadcast()))
    } else {
        parse_range(text)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressRanges {
    /// Sorted, disjoint, non-adjacent inclusive intervals.
    intervals: Vec<(u32, u32)>,
}

impl AddressRanges {
    pub fn from_net(net: Ipv4Net) -> Self {
        AddressRanges {
            intervals: vec![(u32::from(net.network()), u32::from(net.broadcast()))],
        }
    }

    pub fn insert(&mut self, first: Ipv4Addr, last: Ipv4Addr) {
        let (mut lo, mut hi) = (u32::from(first), u32::from(last));
        let mut kept = Vec::with_capacity(self.intervals.len() + 1);
        for &(a, b) in &self.intervals {
            // Merge overlapping or adjacent intervals.
            if b.saturating_add(1) < lo || hi.saturating_add(1) < a {
                kept.push((a, b));
            } else {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        kept.push((lo, hi));
        kept.sort_unstable();
        self.intervals = kept;
    }

    pub fn remove(&mut self, first: Ipv4Addr, last: Ipv4Addr) {
        let (lo, hi) = (u32::from(first), u32::from(last));
        let mut kept = Vec::with_capacity(self.intervals.len() + 1);
        for &(a, b) in &self.intervals {
            if b < lo || hi < a {
                kept.push((a, b));
                continue;
            }
            if a < lo {
                kept.push((a, lo - 1));
            }
            if b > hi {
                kept.push((hi + 1, b));
            }
        }
        self.intervals = kept;
    }

    pub fn remove_addr(&mut self, addr: Ipv4Addr) {
        self.remove(addr, addr);
    }

    pub fn intersect(&self, other: &AddressRanges) -> AddressRanges {
        let mut out = Vec::new();
        for &(a, b) in &self.intervals {
            for &(c, d) in &other.intervals {
                let (lo, hi) = (a.max(c), b.min(d));
                if lo <= hi {
                    out.push((lo, hi));
                }
            }
        }
        out.sort_unstable();
        AddressRanges { intervals: out }
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        let v = u32::from(addr);
        let idx = self.intervals.partition_point(|&(_, b)| b < v);
        self.intervals.get(idx).is_some_and(|&(a, _)| a <= v)
    }

    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// Number of addresses (u64: a /0 has 2^32).
    pub fn len(&self) -> u64 {
        self.intervals
            .iter()
            .map(|&(a, b)| u64::from(b - a) + 1)
            .sum()
    }

    /// Addresses in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.intervals
            .iter()
            .flat_map(|&(a, b)| (a..=b).map(Ipv4Addr::from))
    }

    pub fn intervals(&self) -> impl Iterator<Item = (Ipv4Addr, Ipv4Addr)> + '_ {
        self.intervals
            .iter()
            .map(|&(a, b)| (Ipv4Addr::from(a), Ipv4Addr::from(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("test address")
    }

    #[test]
    fn parses_ranges_and_single_addresses() {
        assert_eq!(
            parse_range("10.0.0.5-10.0.0.9"),
            Ok((ip("10.0.0.5"), ip("10.0.0.9")))
        );
        assert_eq!(
            parse_range("10.0.0.5"),
            Ok((ip("10.0.0.5"), ip("10.0.0.5")))
        );
        assert!(parse_range("10.0.0.9-10.0.0.5").is_err());
        assert!(parse_range("10.0.0.x").is_err());
        assert!(parse_range("").is_err());
        assert_eq!(
            parse_pool_entry("10.0.0.0/30"),
            Ok((ip("10.0.0.0"), ip("10.0.0.3")))
        );
    }

    #[test]
    fn insert_merges_and_remove_splits() {
        let mut r = AddressRanges::default();
        r.insert(ip("10.0.0.10"), ip("10.0.0.20"));
        r.insert(ip("10.0.0.21"), ip("10.0.0.30"));
        assert_eq!(r.len(), 21);
        r.remove(ip("10.0.0.15"), ip("10.0.0.16"));
        assert_eq!(r.len(), 19);
        assert!(!r.contains(ip("10.0.0.15")));
        assert!(r.contains(ip("10.0.0.17")));
        assert_eq!(r.iter().next(), Some(ip("10.0.0.10")));
        let other = AddressRanges::from_net("10.0.0.0/28".parse().expect("net"));
        // r is .10-.14 and .17-.30; the /28 ends at .15.
        assert_eq!(r.intersect(&other).len(), 5);
    }
}
