//! Property tests for allocation and subnet rules.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use neutrino_ipam::{
    FreeAddresses, FreeRanges, GatewayChoice, PICK_WINDOW, SubnetLimits, SubnetSpec, default_pools,
    ip_to_u128, pick_address, validate_new_subnet, validate_subnet,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn v4_net(addr: u32, len: u8) -> IpNet {
    IpNet::V4(Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap()).trunc()
}

fn v6_net(addr: u128, len: u8) -> IpNet {
    IpNet::V6(Ipv6Net::new(Ipv6Addr::from(addr), len).unwrap()).trunc()
}

fn spec(cidr: IpNet, gateway: GatewayChoice) -> SubnetSpec {
    SubnetSpec {
        ip_version: if cidr.addr().is_ipv4() { 4 } else { 6 },
        cidr,
        gateway_ip: gateway,
        allocation_pools: None,
        dns_nameservers: vec![],
        host_routes: vec![],
        enable_dhcp: false,
        ipv6_ra_mode: None,
        ipv6_address_mode: None,
    }
}

fn gateway_choice(cidr: &IpNet, sel: u8, offset: u128) -> GatewayChoice {
    let first = ip_to_u128(cidr.network());
    let size = ip_to_u128(cidr.broadcast()) - first + 1;
    match sel % 3 {
        0 => GatewayChoice::Default,
        1 => GatewayChoice::None,
        _ => {
            // an address strictly inside (not network / broadcast) when possible
            let v = first + 1 + offset % size.saturating_sub(2).max(1);
            let ip = match cidr {
                IpNet::V4(_) => IpAddr::V4(Ipv4Addr::from(v as u32)),
                IpNet::V6(_) => IpAddr::V6(Ipv6Addr::from(v)),
            };
            GatewayChoice::Given(ip)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Default pools exclude network, v4 broadcast and gateway, and cover every other address
    /// (v4 /31 and /32: every address except the gateway, single-address networks: the address).
    #[test]
    fn default_pools_cover_exactly_the_rest(
        addr in any::<u32>(), len in 22u8..=32, sel in any::<u8>(), off in any::<u128>(),
        v6 in any::<bool>(), addr6 in any::<u128>(), len6 in 118u8..=128,
    ) {
        let cidr = if v6 { v6_net(addr6, len6) } else { v4_net(addr, len) };
        let gw = match gateway_choice(&cidr, sel, off) {
            GatewayChoice::Default => neutrino_ipam::default_gateway(&cidr),
            GatewayChoice::None => None,
            GatewayChoice::Given(g) => Some(g),
        };
        let pools = default_pools(&cidr, gw);
        let first = ip_to_u128(cidr.network());
        let last = ip_to_u128(cidr.broadcast());
        let mut covered = BTreeSet::new();
        for p in &pools {
            for v in ip_to_u128(p.start)..=ip_to_u128(p.end) {
                prop_assert!(covered.insert(v), "pools overlap");
            }
        }
        let small_v4 = !v6 && cidr.prefix_len() > 30;
        let mut expected = BTreeSet::new();
        for v in first..=last {
            let excluded = if first == last {
                false
            } else {
                (!small_v4 && v == first)
                    || (!v6 && !small_v4 && v == last)
                    || gw.map(ip_to_u128) == Some(v)
            };
            if !excluded {
                expected.insert(v);
            }
        }
        prop_assert_eq!(covered, expected);
        // the validated subnet agrees and its pools pass the pool rules
        let validated = validate_new_subnet(&spec(cidr, gateway_choice(&cidr, sel, off)), &SubnetLimits::default());
        if let Ok(v) = validated {
            prop_assert_eq!(v.cidr, cidr);
            prop_assert!(neutrino_ipam::validate_pools(&v.allocation_pools, &cidr).is_ok() || first == last || small_v4);
        }
    }

    /// Picks never leave the pools and never return a used address, the gateway, the network
    /// or the IPv4 broadcast address.
    #[test]
    fn allocation_stays_in_pools(
        addr in any::<u32>(), len in 22u8..=30, sel in any::<u8>(), off in any::<u128>(),
        used in prop::collection::vec(any::<u16>(), 0..200), seed in any::<u64>(),
    ) {
        let cidr = v4_net(addr, len);
        let Ok(subnet) = validate_new_subnet(&spec(cidr, gateway_choice(&cidr, sel, off)), &SubnetLimits::default()) else {
            return Ok(());
        };
        let first = ip_to_u128(cidr.network());
        let size = ip_to_u128(cidr.broadcast()) - first + 1;
        let used: BTreeSet<IpAddr> = used.iter()
            .map(|u| IpAddr::V4(Ipv4Addr::from((first + u128::from(*u) % size) as u32)))
            .collect();
        let mut free = subnet.free_addresses(used.iter().copied());
        let mut rng = StdRng::seed_from_u64(seed);
        let mut taken = BTreeSet::new();
        while let Some(a) = pick_address(&free, &mut rng) {
            prop_assert!(subnet.allocation_pools.iter().any(|p| p.contains(a)));
            prop_assert!(!used.contains(&a));
            prop_assert!(Some(a) != subnet.gateway_ip);
            prop_assert!(a != cidr.network() && a != cidr.broadcast());
            prop_assert!(taken.insert(a));
            prop_assert!(free.take(a));
        }
        prop_assert_eq!(free.free_count(), 0);
    }

    /// take/release behave like a set model restricted to the pools.
    #[test]
    fn take_release_match_model(
        pools in prop::collection::vec((0u128..500, 0u128..40), 1..6),
        ops in prop::collection::vec((any::<bool>(), 0u128..600), 0..300),
    ) {
        let ranges: Vec<_> = pools.iter().map(|(s, l)| *s..=*s + *l).collect();
        let in_pool = |v: u128| ranges.iter().any(|r| r.contains(&v));
        let mut model: BTreeSet<u128> = (0..600).filter(|v| in_pool(*v)).collect();
        let mut set = FreeRanges::new(ranges.clone(), []);
        prop_assert_eq!(set.free_count(), model.len() as u128);
        for (take, v) in ops {
            if take {
                prop_assert_eq!(set.take(v), model.remove(&v));
            } else {
                let expect = in_pool(v) && !model.contains(&v);
                prop_assert_eq!(set.release(v), expect);
                if expect { model.insert(v); }
            }
            prop_assert_eq!(set.free_count(), model.len() as u128);
            prop_assert_eq!(set.contains(v), model.contains(&v));
        }
        let listed: Vec<u128> = set.first_free(usize::MAX).collect();
        prop_assert_eq!(listed, model.iter().copied().collect::<Vec<_>>());
        // free intervals are disjoint and not adjacent (canonical)
        let fr: Vec<_> = set.free_ranges().collect();
        for w in fr.windows(2) {
            prop_assert!(*w[0].end() + 1 < *w[1].start());
        }
    }

    /// pick_address only chooses among the first PICK_WINDOW free addresses.
    #[test]
    fn pick_within_first_window(
        start in 0u128..(1u128 << 100), len in 1u128..5000,
        used in prop::collection::vec(0u128..3000, 0..500), seed in any::<u64>(),
    ) {
        let s = IpAddr::V6(Ipv6Addr::from(start));
        let e = IpAddr::V6(Ipv6Addr::from(start + len));
        let free = FreeAddresses::new(6, [(s, e)], used.iter().map(|u| IpAddr::V6(Ipv6Addr::from(start + u))));
        let window: BTreeSet<IpAddr> = free.candidates(PICK_WINDOW).collect();
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..200 {
            match pick_address(&free, &mut rng) {
                Some(a) => prop_assert!(window.contains(&a)),
                None => prop_assert_eq!(free.free_count(), 0),
            }
        }
    }

    /// A validated CIDR is canonical: host bits masked, and its text passes validate_subnet
    /// unchanged.
    #[test]
    fn validated_cidr_is_canonical(addr in any::<u32>(), len in 1u8..=32, addr6 in any::<u128>(), len6 in 1u8..=128) {
        let text = format!("{}/{}", Ipv4Addr::from(addr), len);
        let parsed = validate_subnet(&text).unwrap();
        let v = validate_new_subnet(&spec(parsed, GatewayChoice::None), &SubnetLimits::default());
        if let Ok(v) = v {
            prop_assert_eq!(ip_to_u128(v.cidr.addr()), ip_to_u128(v.cidr.network()));
            prop_assert_eq!(validate_subnet(&v.cidr.to_string()).unwrap(), v.cidr);
        }
        let text6 = format!("{}/{}", Ipv6Addr::from(addr6), len6);
        let parsed6 = validate_subnet(&text6).unwrap();
        if let Ok(v) = validate_new_subnet(&spec(parsed6, GatewayChoice::None), &SubnetLimits::default()) {
            prop_assert_eq!(ip_to_u128(v.cidr.addr()), ip_to_u128(v.cidr.network()));
            prop_assert_eq!(validate_subnet(&v.cidr.to_string()).unwrap(), v.cidr);
        }
    }

    /// Any parsable IPv4 text that is not canonical gets the "recommended" message naming the
    /// canonical CIDR.
    #[test]
    fn non_canonical_v4_text_recommends_canonical(addr in any::<u32>(), len in 0u8..=32) {
        let ip = Ipv4Addr::from(addr);
        let o = ip.octets();
        let padded = format!("{:03}.{}.{}.{}/{}", o[0], o[1], o[2], o[3], len);
        let r = validate_subnet(&padded);
        if o[0] >= 100 {
            prop_assert!(r.is_ok());
        } else {
            let expected = v4_net(addr, len);
            prop_assert_eq!(r.unwrap_err(), format!("'{padded}' isn't a recognized IP subnet cidr, '{expected}' is recommended"));
        }
    }
}
