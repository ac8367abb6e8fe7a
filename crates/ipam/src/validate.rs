//! Value validators with neutron-lib's reason strings (`neutron_lib/api/validators`).
//!
//! Each returns the parsed value or the bare reason; the API layer wraps the reason with
//! [`crate::IpamError::invalid_attribute`] ("Invalid input for {attr}. Reason: {reason}.").

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use serde_json::Value;

use crate::subnet::{AllocationPool, HostRoute};

/// Longest FQDN neutron stores (`neutron_lib.db.constants.FQDN_FIELD_SIZE`).
pub const FQDN_MAX_LEN: usize = 255;

/// Python `repr`-like rendering of a JSON value, as neutron-lib interpolates request data
/// into its messages (`{'start': '10.0.0.2', 'end': '10.0.0.9'}`, `True`, `None`).
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python `str` of a JSON value: strings unquoted, everything else as [`py_repr`].
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Parses dotted IPv4 text leniently like netaddr's ZEROFILL (leading zeros allowed).
/// Returns the address only for exactly four decimal parts each ≤ 255.
fn parse_v4_zerofill(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = p.parse().ok()?;
        o[i] = u8::try_from(v).ok()?;
    }
    Some(Ipv4Addr::from(o))
}

/// `validate_ip_address`: an IPv4 address in canonical dotted form or any IPv6 address.
///
/// Errors: "'x' is not a valid IP address"; for IPv4 with leading zeros
/// "'010.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended".
pub fn validate_ip_address(data: &str) -> Result<IpAddr, String> {
    let invalid = || format!("'{data}' is not a valid IP address");
    if data.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    if data.contains(':') {
        return data
            .parse::<std::net::Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| invalid());
    }
    let v4 = parse_v4_zerofill(data).ok_or_else(invalid)?;
    if v4.to_string() != data {
        return Err(format!(
            "'{data}' is not an accepted IP address, '{v4}' is recommended"
        ));
    }
    Ok(IpAddr::V4(v4))
}

/// Parses IPv4 network text like netaddr: 1–4 dotted parts (missing ones are zero), optional
/// `/len` or `/netmask`. Returns the network with host bits kept, and whether the text had a
/// prefix at all.
fn parse_v4_network(addr: &str, prefix: Option<&str>) -> Option<IpNet> {
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        o[i] = u8::try_from(p.parse::<u32>().ok()?).ok()?;
    }
    let len = match prefix {
        None => 32,
        Some(p) if p.contains('.') => {
            let mask = u32::from(parse_v4_zerofill(p)?);
            let len = mask.leading_ones();
            if mask.checked_shl(len).unwrap_or(0) != 0 {
                return None;
            }
            len as u8
        }
        Some(p) => {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()?
        }
    };
    ipnet::Ipv4Net::new(Ipv4Addr::from(o), len)
        .ok()
        .map(IpNet::V4)
}

fn parse_network(data: &str) -> Option<IpNet> {
    let (addr, prefix) = match data.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (data, None),
    };
    if addr.contains(':') {
        let a: std::net::Ipv6Addr = addr.parse().ok()?;
        let len = match prefix {
            None => 128,
            Some(p) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse().ok()?
            }
        };
        ipnet::Ipv6Net::new(a, len).ok().map(IpNet::V6)
    } else {
        parse_v4_network(addr, prefix)
    }
}

/// `validate_subnet`: an IP network in CIDR notation. IPv4 text must be canonical
/// (`a.b.c.d/len`); host bits are allowed (they are masked on subnet create).
/// The returned network keeps host bits; call `.trunc()` to mask them.
///
/// Errors: "'x' is not a valid IP subnet";
/// "'10.0.0.1' isn't a recognized IP subnet cidr, '10.0.0.1/32' is recommended".
pub fn validate_subnet(data: &str) -> Result<IpNet, String> {
    let invalid = || format!("'{data}' is not a valid IP subnet");
    if data.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    let net = parse_network(data).ok_or_else(invalid)?;
    let canonical_v4 = matches!(net, IpNet::V4(_)) && net.to_string() == data;
    if !data.contains('/') || (matches!(net, IpNet::V4(_)) && !canonical_v4) {
        return Err(format!(
            "'{data}' isn't a recognized IP subnet cidr, '{}' is recommended",
            net.trunc()
        ));
    }
    Ok(net)
}

/// `validate_route_cidr` (host route destinations): a network address in CIDR notation that
/// is routable.
///
/// Errors: "'x' is not a valid CIDR"; "'10.0.0.1/24' is not a recognized CIDR, '10.0.0.0/24'
/// is recommended" (host bits set); "'127.0.0.0/8' is not a routable CIDR".
pub fn validate_route_cidr(data: &str) -> Result<IpNet, String> {
    if data.chars().any(char::is_whitespace) {
        return Err(format!("'{data}' is not a valid CIDR"));
    }
    if !data.contains('/') {
        // A bare address reads as a host network, which upstream recommends instead.
        return Err(match data.parse::<IpAddr>() {
            Ok(ip) => format!(
                "'{data}' is not a recognized CIDR, '{}' is recommended",
                IpNet::from(ip)
            ),
            Err(_) => format!("'{data}' is not a valid CIDR"),
        });
    }
    let net = parse_network(data).ok_or_else(|| format!("'{data}' is not a valid CIDR"))?;
    if net.trunc() != net {
        return Err(format!(
            "'{data}' is not a recognized CIDR, '{}' is recommended",
            net.trunc()
        ));
    }
    if net.network().is_loopback() {
        return Err(format!("'{data}' is not a routable CIDR"));
    }
    Ok(net)
}

/// `validate_ip_or_subnet_or_none` (allowed address pairs): an IP address (returned as a
/// host network, /32 or /128) or a CIDR.
///
/// Error: "'x' is neither a valid IP address, nor is it a valid IP subnet".
pub fn validate_ip_or_subnet(data: &str) -> Result<IpNet, String> {
    if let Ok(ip) = validate_ip_address(data) {
        return Ok(IpNet::from(ip));
    }
    validate_subnet(data)
        .map_err(|_| format!("'{data}' is neither a valid IP address, nor is it a valid IP subnet"))
}

/// The `ip_address` of an allowed address pair (`neutron/extensions/allowedaddresspairs.py`):
/// text with `/` must pass [`validate_subnet`], anything else [`validate_ip_address`]; the
/// reason of the failing validator is returned (upstream raises it as `HTTPBadRequest`).
/// An address becomes a host network (/32 or /128).
pub fn validate_address_pair_ip(data: &str) -> Result<IpNet, String> {
    if data.contains('/') {
        validate_subnet(data)
    } else {
        validate_ip_address(data).map(IpNet::from)
    }
}

fn dns_format_error(data: &str, max_len: usize) -> Option<String> {
    let trimmed = data.strip_suffix('.').unwrap_or(data);
    let reason = (|| {
        if trimmed.len() > max_len {
            return Some(format!(
                "'{trimmed}' exceeds the {max_len} character FQDN limit"
            ));
        }
        let labels: Vec<&str> = trimmed.split('.').collect();
        for label in &labels {
            if label.is_empty() {
                return Some("Encountered an empty component".to_string());
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Some(format!(
                    "Name '{label}' must not start or end with a hyphen"
                ));
            }
            if label.len() > 63
                || !label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Some(format!(
                    "Name '{label}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen"
                ));
            }
        }
        if let Some(last) = labels.last()
            && labels.len() > 1
            && last.bytes().all(|b| b.is_ascii_digit())
        {
            return Some(format!("TLD '{last}' must not be all numeric"));
        }
        None
    })()?;
    Some(format!(
        "'{data}' not a valid PQDN or FQDN. Reason: {reason}"
    ))
}

/// `validate_dns_name` for a port's `dns_name`: empty, or a PQDN/FQDN of RFC 1123 labels.
/// `dns_domain` is the server's configured `dns_domain` (e.g. `openstacklocal.`); when it is set
/// to something other than the default, a PQDN plus the domain must fit in 255 characters and
/// an FQDN must end with the domain. The value is lower-cased (upstream converts it first).
pub fn validate_dns_name(data: &str, dns_domain: &str) -> Result<String, String> {
    let data = data.to_ascii_lowercase();
    if data.is_empty() {
        return Ok(data);
    }
    if let Some(msg) = dns_format_error(&data, FQDN_MAX_LEN) {
        return Err(msg);
    }
    let domain = if dns_domain.is_empty() || dns_domain.ends_with('.') {
        dns_domain.to_string()
    } else {
        format!("{dns_domain}.")
    };
    if domain.is_empty() || domain == "openstacklocal." {
        return Ok(data);
    }
    let higher = format!(".{domain}");
    if !data.ends_with('.') {
        if data.len() + higher.len() > FQDN_MAX_LEN {
            return Err(format!(
                "The dns_name passed is a PQDN and its size is '{}'. The dns_domain option in neutron.conf is set to {dns_domain}, with a length of '{}'. When the two are concatenated to form a FQDN (with a '.' at the end), the resulting length exceeds the maximum size of '{FQDN_MAX_LEN}'",
                data.len(),
                higher.len()
            ));
        }
        return Ok(data);
    }
    if data.len() <= higher.len() || !data.ends_with(&higher) {
        return Err(format!(
            "The dns_name passed is a FQDN. Its higher level labels must be equal to the dns_domain option in neutron.conf, that has been set to '{dns_domain}'. It must also include one or more valid DNS labels to the left of '{dns_domain}'"
        ));
    }
    Ok(data)
}

/// `validate_dns_domain` for a network's `dns_domain`: empty, or an FQDN ending in `.`.
/// Errors: "'x' is not a FQDN", the format reasons, or the sub-domain length message.
pub fn validate_dns_domain(data: &str) -> Result<String, String> {
    if data.is_empty() {
        return Ok(String::new());
    }
    if !data.ends_with('.') {
        return Err(format!("'{data}' is not a FQDN"));
    }
    if let Some(msg) = dns_format_error(data, FQDN_MAX_LEN) {
        return Err(msg);
    }
    if data.len() > FQDN_MAX_LEN - 2 {
        return Err(format!(
            "'{data}' contains {} characters. Adding a sub-domain will cause it to exceed the maximum length of a FQDN of '{FQDN_MAX_LEN}'",
            data.len()
        ));
    }
    Ok(data.to_string())
}

/// `validate_nameservers`: a list of unique IP addresses, order preserved.
/// Errors: "Invalid data format for nameserver: 'x'",
/// "'x' is not a valid nameserver. <ip reason>", "Duplicate nameserver 'x'".
pub fn validate_nameservers(data: &Value) -> Result<Vec<IpAddr>, String> {
    let Value::Array(items) = data else {
        return Err(format!(
            "Invalid data format for nameserver: '{}'",
            py_str(data)
        ));
    };
    let mut out: Vec<IpAddr> = Vec::with_capacity(items.len());
    let mut seen: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(s) = item else {
            let text = py_str(item);
            return Err(format!(
                "'{text}' is not a valid nameserver. '{text}' is not a valid IP address"
            ));
        };
        let ip =
            validate_ip_address(s).map_err(|m| format!("'{s}' is not a valid nameserver. {m}"))?;
        if seen.contains(&s.as_str()) {
            return Err(format!("Duplicate nameserver '{s}'"));
        }
        seen.push(s);
        out.push(ip);
    }
    Ok(out)
}

fn verify_dict_keys(expected: &[&str], v: &Value) -> Result<(), String> {
    let expected_repr = format!(
        "{{{}}}",
        expected
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let Value::Object(o) = v else {
        return Err(format!(
            "Invalid input. '{}' must be a dictionary with keys: {}",
            py_str(v),
            format_args!(
                "[{}]",
                expected
                    .iter()
                    .map(|k| format!("'{k}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ));
    };
    let same = o.len() == expected.len() && expected.iter().all(|k| o.contains_key(*k));
    if !same {
        let provided = if o.is_empty() {
            "set()".to_string()
        } else {
            format!(
                "{{{}}}",
                o.keys()
                    .map(|k| format!("'{k}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(format!(
            "Validation of dictionary's keys failed. Expected keys: {expected_repr} Provided keys: {provided}"
        ));
    }
    Ok(())
}

fn string_field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

fn ip_of(v: &Value) -> Result<IpAddr, String> {
    match v {
        Value::String(s) => validate_ip_address(s),
        other => Err(format!("'{}' is not a valid IP address", py_str(other))),
    }
}

/// `validate_hostroutes`: a list of unique `{destination, nexthop}` objects; the destination
/// passes [`validate_subnet`] and the nexthop [`validate_ip_address`].
/// Errors: "Invalid data format for hostroute: 'x'", the dictionary-keys message,
/// "Duplicate hostroute '{…}'".
pub fn validate_host_routes(data: &Value) -> Result<Vec<HostRoute>, String> {
    let Value::Array(items) = data else {
        return Err(format!(
            "Invalid data format for hostroute: '{}'",
            py_str(data)
        ));
    };
    let mut out: Vec<HostRoute> = Vec::with_capacity(items.len());
    for item in items {
        verify_dict_keys(&["destination", "nexthop"], item)?;
        let destination = match string_field(item, "destination") {
            Value::String(s) => validate_route_cidr(s)?,
            other => return Err(format!("'{}' is not a valid CIDR", py_str(other))),
        };
        let nexthop = ip_of(string_field(item, "nexthop"))?;
        let route = HostRoute {
            destination,
            nexthop,
        };
        if out.contains(&route) {
            return Err(format!("Duplicate hostroute '{}'", py_repr(item)));
        }
        out.push(route);
    }
    Ok(out)
}

/// `validate_ip_pools`: a list of `{start, end}` objects whose values are IP addresses.
/// Order and version consistency are checked later by the subnet rules.
/// Errors: "Invalid data format for IP pool: 'x'", the dictionary-keys message, IP reasons.
pub fn validate_allocation_pools(data: &Value) -> Result<Vec<AllocationPool>, String> {
    let Value::Array(items) = data else {
        return Err(format!(
            "Invalid data format for IP pool: '{}'",
            py_str(data)
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        verify_dict_keys(&["start", "end"], item)?;
        let start = ip_of(string_field(item, "start"))?;
        let end = ip_of(string_field(item, "end"))?;
        out.push(AllocationPool { start, end });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn route_destinations_are_network_addresses() {
        assert_eq!(
            super::validate_route_cidr("x/8").unwrap_err(),
            "'x/8' is not a valid CIDR"
        );
        assert!(super::validate_route_cidr("10.1.0.0/16").is_ok());
        assert_eq!(
            super::validate_route_cidr("192.168.1.1/24").unwrap_err(),
            "'192.168.1.1/24' is not a recognized CIDR, '192.168.1.0/24' is recommended"
        );
        assert_eq!(
            super::validate_route_cidr("127.0.0.0/8").unwrap_err(),
            "'127.0.0.0/8' is not a routable CIDR"
        );
        assert_eq!(
            super::validate_route_cidr("10.0.0.0").unwrap_err(),
            "'10.0.0.0' is not a recognized CIDR, '10.0.0.0/32' is recommended"
        );
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn ip_address_rules() {
        assert_eq!(
            validate_ip_address("10.0.0.1").unwrap(),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        assert!(validate_ip_address("2001:db8::1").is_ok());
        for bad in [
            "10.0.0",
            "10.0.0.256",
            "1.2.3.4.5",
            "abc",
            "",
            " 10.0.0.1",
            "2001:db8::g",
            "1111111111",
        ] {
            assert_eq!(
                validate_ip_address(bad),
                Err(format!("'{bad}' is not a valid IP address")),
                "{bad}"
            );
        }
        assert_eq!(
            validate_ip_address("010.0.0.1"),
            Err("'010.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended".into())
        );
    }

    #[test]
    fn subnet_rules() {
        assert_eq!(
            validate_subnet("10.0.0.0/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        // host bits allowed here (masked on create)
        assert_eq!(
            validate_subnet("10.0.0.5/24").unwrap().to_string(),
            "10.0.0.5/24"
        );
        assert_eq!(
            validate_subnet("10.0.0.1"),
            Err(
                "'10.0.0.1' isn't a recognized IP subnet cidr, '10.0.0.1/32' is recommended".into()
            )
        );
        assert_eq!(
            validate_subnet("10/8"),
            Err("'10/8' isn't a recognized IP subnet cidr, '10.0.0.0/8' is recommended".into())
        );
        assert_eq!(
            validate_subnet("10.0.0.0/255.255.255.0"),
            Err("'10.0.0.0/255.255.255.0' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended".into())
        );
        assert_eq!(
            validate_subnet("2001:db8::"),
            Err(
                "'2001:db8::' isn't a recognized IP subnet cidr, '2001:db8::/128' is recommended"
                    .into()
            )
        );
        assert!(validate_subnet("2001:db8::1/64").is_ok());
        for bad in [
            "10.0.0.0/33",
            "foo",
            "10.0.0.0/",
            "2001:db8::/129",
            "10.0.0.0/24 ",
        ] {
            assert_eq!(
                validate_subnet(bad),
                Err(format!("'{bad}' is not a valid IP subnet")),
                "{bad}"
            );
        }
    }

    #[test]
    fn ip_or_subnet() {
        assert_eq!(
            validate_ip_or_subnet("10.0.0.1").unwrap().to_string(),
            "10.0.0.1/32"
        );
        assert_eq!(
            validate_ip_or_subnet("10.0.0.0/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(
            validate_ip_or_subnet("10.0.0"),
            Err("'10.0.0' is neither a valid IP address, nor is it a valid IP subnet".into())
        );
    }

    #[test]
    fn address_pair_ip() {
        assert_eq!(
            validate_address_pair_ip("10.0.0.5").unwrap().to_string(),
            "10.0.0.5/32"
        );
        assert_eq!(
            validate_address_pair_ip("10.0.0.0/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(
            validate_address_pair_ip("10.0.0/24").unwrap_err(),
            "'10.0.0/24' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended"
        );
        assert_eq!(
            validate_address_pair_ip("x").unwrap_err(),
            "'x' is not a valid IP address"
        );
    }

    #[test]
    fn dns_name_rules() {
        assert_eq!(validate_dns_name("", "openstacklocal.").unwrap(), "");
        assert_eq!(
            validate_dns_name("MyHost", "openstacklocal.").unwrap(),
            "myhost"
        );
        assert_eq!(
            validate_dns_name("-a", "").unwrap_err(),
            "'-a' not a valid PQDN or FQDN. Reason: Name '-a' must not start or end with a hyphen"
        );
        assert_eq!(
            validate_dns_name("a_b", "").unwrap_err(),
            "'a_b' not a valid PQDN or FQDN. Reason: Name 'a_b' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen"
        );
        assert_eq!(
            validate_dns_name("a..b", "").unwrap_err(),
            "'a..b' not a valid PQDN or FQDN. Reason: Encountered an empty component"
        );
        assert_eq!(
            validate_dns_name("a.123", "").unwrap_err(),
            "'a.123' not a valid PQDN or FQDN. Reason: TLD '123' must not be all numeric"
        );
        assert!(validate_dns_name("host.example.org.", "example.org.").is_ok());
        assert!(
            validate_dns_name("host.other.org.", "example.org.")
                .unwrap_err()
                .starts_with("The dns_name passed is a FQDN.")
        );
    }

    #[test]
    fn dns_domain_rules() {
        assert_eq!(validate_dns_domain("test.org.").unwrap(), "test.org.");
        assert_eq!(validate_dns_domain("").unwrap(), "");
        assert_eq!(
            validate_dns_domain("test.org").unwrap_err(),
            "'test.org' is not a FQDN"
        );
        let long = format!(
            "{}.",
            [
                "a".repeat(63),
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(61)
            ]
            .join(".")
        );
        assert!(
            validate_dns_domain(&long)
                .unwrap_err()
                .contains("Adding a sub-domain")
        );
    }

    #[test]
    fn nameserver_rules() {
        let ok = validate_nameservers(&json!(["8.8.8.8", "1.1.1.1"])).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            validate_nameservers(&json!(["8.8.8.8", "8.8.8.8"])).unwrap_err(),
            "Duplicate nameserver '8.8.8.8'"
        );
        assert_eq!(
            validate_nameservers(&json!(["8.8.8"])).unwrap_err(),
            "'8.8.8' is not a valid nameserver. '8.8.8' is not a valid IP address"
        );
        assert_eq!(
            validate_nameservers(&json!("8.8.8.8")).unwrap_err(),
            "Invalid data format for nameserver: '8.8.8.8'"
        );
    }

    #[test]
    fn host_route_rules() {
        let r =
            validate_host_routes(&json!([{"destination": "10.1.0.0/16", "nexthop": "10.0.0.1"}]))
                .unwrap();
        assert_eq!(r[0].destination.to_string(), "10.1.0.0/16");
        assert_eq!(
            validate_host_routes(&json!([
                {"destination": "10.1.0.0/16", "nexthop": "10.0.0.1"},
                {"destination": "10.1.0.0/16", "nexthop": "10.0.0.1"}
            ]))
            .unwrap_err(),
            "Duplicate hostroute '{'destination': '10.1.0.0/16', 'nexthop': '10.0.0.1'}'"
        );
        assert!(
            validate_host_routes(&json!([{"destination": "10.1.0.0/16"}]))
                .unwrap_err()
                .starts_with("Validation of dictionary's keys failed.")
        );
        assert_eq!(
            validate_host_routes(&json!([{"destination": "10.1.0.1", "nexthop": "10.0.0.1"}]))
                .unwrap_err(),
            "'10.1.0.1' is not a recognized CIDR, '10.1.0.1/32' is recommended"
        );
        assert_eq!(
            validate_host_routes(&json!({})).unwrap_err(),
            "Invalid data format for hostroute: '{}'"
        );
    }

    #[test]
    fn pool_shape_rules() {
        let p =
            validate_allocation_pools(&json!([{"start": "10.0.0.2", "end": "10.0.0.9"}])).unwrap();
        assert_eq!(p[0].to_string(), "10.0.0.2-10.0.0.9");
        assert_eq!(
            validate_allocation_pools(&json!([{"start": "10.0.0.2", "end": "x"}])).unwrap_err(),
            "'x' is not a valid IP address"
        );
        assert!(
            validate_allocation_pools(&json!([{"start": "10.0.0.2"}]))
                .unwrap_err()
                .starts_with("Validation of dictionary's keys failed.")
        );
        assert_eq!(
            validate_allocation_pools(&json!("x")).unwrap_err(),
            "Invalid data format for IP pool: 'x'"
        );
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(
            py_repr(&json!({"a": [true, null, 1, "x"]})),
            "{'a': [True, None, 1, 'x']}"
        );
    }
}
