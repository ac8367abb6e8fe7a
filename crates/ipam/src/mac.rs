//! MAC addresses: parsing with neutron-lib's rules, canonical display, random generation.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};

/// A 48-bit MAC address held in the low bits of a `u64`.
/// `Display` gives the canonical lower-case colon form, e.g. `fa:16:3e:12:34:56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub u64);

impl MacAddr {
    /// Builds a MAC from its six octets.
    pub fn from_octets(o: [u8; 6]) -> Self {
        MacAddr(o.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// The six octets, most significant first.
    pub fn octets(self) -> [u8; 6] {
        let mut o = [0u8; 6];
        for (i, b) in o.iter_mut().enumerate() {
            *b = (self.0 >> (8 * (5 - i))) as u8;
        }
        o
    }

    /// True when the group bit (least significant bit of the first octet) is set.
    pub fn is_multicast(self) -> bool {
        self.octets()[0] & 1 == 1
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.octets();
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

/// Parses the notations netaddr accepts: six groups of 1–2 hex digits separated by `:` or `-`,
/// three groups of 4 hex digits separated by `.` or `:`, or 12 bare hex digits.
fn parse_mac_syntax(s: &str) -> Option<MacAddr> {
    let hex_groups = |parts: Vec<&str>, width_min: usize, width_max: usize| -> Option<u64> {
        let mut v = 0u64;
        for p in &parts {
            if p.len() < width_min
                || p.len() > width_max
                || !p.chars().all(|c| c.is_ascii_hexdigit())
            {
                return None;
            }
            let bits = 48 / parts.len();
            v = (v << bits) | u64::from_str_radix(p, 16).ok()?;
        }
        Some(v)
    };
    for sep in [':', '-'] {
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() == 6 {
            return hex_groups(parts, 1, 2).map(MacAddr);
        }
    }
    for sep in ['.', ':'] {
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() == 3 {
            return hex_groups(parts, 4, 4).map(MacAddr);
        }
    }
    if s.len() == 12 {
        return hex_groups(vec![s], 12, 12).map(MacAddr);
    }
    None
}

/// Validates a MAC address as neutron-lib's `validate_mac_address` does, and additionally
/// requires a unicast address: not all-zero, not broadcast, group bit clear.
/// Error: "'x' is not a valid MAC address".
pub fn validate_mac(data: &str) -> Result<MacAddr, String> {
    let invalid = || format!("'{data}' is not a valid MAC address");
    if data.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    let mac = parse_mac_syntax(data).ok_or_else(invalid)?;
    if mac.0 == 0 || mac.0 == 0xffff_ffff_ffff || mac.is_multicast() {
        return Err(invalid());
    }
    Ok(mac)
}

impl FromStr for MacAddr {
    type Err = String;
    /// Same rules as [`validate_mac`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        validate_mac(s)
    }
}

/// A random MAC with the given first three octets (Neutron's `base_mac`, default `fa:16:3e`)
/// and three random octets, as `neutron_lib.utils.net.get_random_mac`.
/// The group bit of the first octet is cleared so the result is always unicast.
pub fn random_mac<R: Rng + ?Sized>(prefix: [u8; 3], rng: &mut R) -> MacAddr {
    let tail: u32 = rng.random_range(0..=0x00ff_ffff);
    let head =
        u64::from(prefix[0] & 0xfe) << 40 | u64::from(prefix[1]) << 32 | u64::from(prefix[2]) << 24;
    MacAddr(head | u64::from(tail))
}

/// The default `base_mac` prefix `fa:16:3e`.
pub const DEFAULT_MAC_PREFIX: [u8; 3] = [0xfa, 0x16, 0x3e];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn parses_and_displays_lowercase() {
        let m = validate_mac("FA:16:3E:12:34:56").unwrap();
        assert_eq!(m.to_string(), "fa:16:3e:12:34:56");
        assert_eq!(validate_mac("fa-16-3e-12-34-56").unwrap(), m);
        assert_eq!(validate_mac("fa16.3e12.3456").unwrap(), m);
        assert_eq!(validate_mac("fa163e123456").unwrap(), m);
        assert_eq!(
            validate_mac("fa:16:3e:1:2:3").unwrap().to_string(),
            "fa:16:3e:01:02:03"
        );
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "00:00:00:00:00:00",
            "ff:ff:ff:ff:ff:ff",
            "01:00:5e:00:00:01",
            "fa:16:3e:12:34",
            "fa:16:3e:12:34:5g",
            " fa:16:3e:12:34:56",
            "",
            "fa:16:3e:12:34:567",
        ] {
            assert_eq!(
                validate_mac(bad),
                Err(format!("'{bad}' is not a valid MAC address")),
                "{bad}"
            );
        }
    }

    #[test]
    fn random_mac_keeps_prefix_and_is_valid() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..100 {
            let m = random_mac(DEFAULT_MAC_PREFIX, &mut rng);
            assert!(m.to_string().starts_with("fa:16:3e:"));
            assert!(!m.is_multicast());
            assert_eq!(validate_mac(&m.to_string()), Ok(m));
        }
    }
}
