//! What a security group rule matches, read from a request body with upstream's converters and
//! checked with upstream's rules, in upstream's order: protocol by name or number, ports or ICMP
//! type/code, remote IP prefix consistent with the ethertype, at most one remote.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::attrs::{self, Body};
use crate::error::Failure;
use crate::{Error, Result};

/// Protocol names a rule accepts, with their numbers, in upstream's order (`IP_PROTOCOL_MAP`).
const PROTOCOLS: &[(&str, u8)] = &[
    ("ah", 51),
    ("dccp", 33),
    ("egp", 8),
    ("esp", 50),
    ("gre", 47),
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ip", 0),
    ("ipip", 4),
    ("ipv6-encap", 41),
    ("ipv6-frag", 44),
    ("ipv6-icmp", 58),
    ("icmpv6", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("ipv6-route", 43),
    ("ospf", 89),
    ("pgm", 113),
    ("rsvp", 46),
    ("sctp", 132),
    ("tcp", 6),
    ("udp", 17),
    ("udplite", 136),
    ("vrrp", 112),
];

/// Protocols whose rules take a port range.
const PORT_PROTOCOLS: &[u8] = &[33, 132, 6, 17, 136];
const ICMP: u8 = 1;
const IPV6_ICMP: u8 = 58;

/// Protocols that exist only over IPv6 (names and numbers as strings).
const IPV6_ONLY: &[&str] = &[
    "ipv6-encap",
    "ipv6-frag",
    "ipv6-icmp",
    "icmpv6",
    "ipv6-nonxt",
    "ipv6-opts",
    "ipv6-route",
    "41",
    "44",
    "58",
    "59",
    "60",
    "43",
];

fn number_of(name: &str) -> Option<u8> {
    PROTOCOLS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// The name upstream shows for a number: the last name with that number, except `icmpv6`.
fn name_of(num: u8) -> Option<&'static str> {
    PROTOCOLS
        .iter()
        .rev()
        .find(|(n, p)| *p == num && *n != "icmpv6")
        .map(|(n, _)| *n)
}

/// The protocol's IP number (`None` for "any").
pub fn protocol_number(protocol: &str) -> Option<u8> {
    number_of(protocol).or_else(|| protocol.parse().ok())
}

/// How upstream compares protocols: name and number, so `tcp` and `6` are the same rule.
fn protocol_key(protocol: &str) -> String {
    match (number_of(protocol), protocol.parse::<u8>().ok()) {
        (Some(n), _) => format!("{protocol}/{n}"),
        (None, Some(n)) => format!("{}/{n}", name_of(n).unwrap_or(protocol)),
        _ => protocol.to_string(),
    }
}

fn invalid_protocol(v: &Value) -> Error {
    let names: Vec<String> = PROTOCOLS.iter().map(|(n, _)| format!("'{n}'")).collect();
    Error::new(
        Failure::Invalid,
        "SecurityGroupRuleInvalidProtocol",
        format!(
            "Security group rule protocol {} not supported. Only protocol values (None, 'any', {}) and integer representations [0 to 255] are supported.",
            attrs::show(v),
            names.join(", ")
        ),
    )
}

/// neutron's `convert_protocol`: `null`/`any` → none, a number 0–255, or a known name.
fn protocol(v: Option<&Value>) -> Result<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_u64() {
            Some(p) if p <= 255 => Ok(Some(p.to_string())),
            _ => Err(invalid_protocol(v)),
        },
        Value::String(s) => {
            if let Ok(p) = s.trim().parse::<i64>() {
                return if (0..=255).contains(&p) {
                    Ok(Some(s.clone()))
                } else {
                    Err(invalid_protocol(v))
                };
            }
            let lower = s.to_lowercase();
            if lower == "any" {
                Ok(None)
            } else if number_of(&lower).is_some() {
                Ok(Some(lower))
            } else {
                Err(invalid_protocol(v))
            }
        }
        _ => Err(invalid_protocol(v)),
    }
}

/// neutron's `convert_validate_port_value`.
fn port(v: Option<&Value>) -> Result<Option<u32>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match attrs::to_int(v) {
            Some(p) if (0..=65535).contains(&p) && !v.is_boolean() => Ok(Some(p as u32)),
            _ => Err(Error::new(
                Failure::Invalid,
                "SecurityGroupInvalidPortValue",
                format!("Invalid value for port {}", attrs::show(v)),
            )),
        },
    }
}

fn ethertype(v: Option<&Value>) -> Result<String> {
    match v {
        None => Ok("IPv4".into()),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("ipv4") => Ok("IPv4".into()),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("ipv6") => Ok("IPv6".into()),
        Some(v) => Err(Error::new(
            Failure::Invalid,
            "SecurityGroupRuleInvalidEtherType",
            format!(
                "Security group rule for ethertype '{}' not supported. Allowed values are ['IPv4', 'IPv6'].",
                attrs::show(v)
            ),
        )),
    }
}

/// neutron's `convert_ip_prefix_to_cidr`: a host address gets its full-length mask; host bits
/// of a CIDR are kept (`normalized_cidr` drops them).
fn ip_prefix(v: Option<&Value>) -> Result<Option<IpNet>> {
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(invalid_cidr(&attrs::show(other)));
        }
    };
    let parsed = if text.contains('/') {
        text.parse::<IpNet>().ok()
    } else {
        text.parse::<IpAddr>().ok().map(IpNet::from)
    };
    parsed.map(Some).ok_or_else(|| invalid_cidr(text))
}

fn invalid_cidr(text: &str) -> Error {
    Error::new(
        Failure::Invalid,
        "InvalidCIDR",
        format!("Invalid CIDR {text} given as IP prefix."),
    )
}

fn invalid_input(kind: &'static str, message: String) -> Error {
    Error::new(Failure::Invalid, kind, message)
}

/// An optional id given as a string (other values are kept as text: they name no group).
pub fn optional_id(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(attrs::show(v)),
    }
}

/// What a rule matches, converted and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<u32>,
    pub port_range_max: Option<u32>,
    pub remote_ip_prefix: Option<IpNet>,
    pub remote_group_id: Option<String>,
    pub remote_address_group_id: Option<String>,
}

impl RuleSpec {
    /// Reads the matching attributes of a create body with upstream's converters, in its
    /// attribute-map order, then applies the rule checks.
    pub fn from_body(b: &Body) -> Result<RuleSpec> {
        let remote_group_id = optional_id(b.get("remote_group_id"));
        let direction = match b.get("direction") {
            Some(Value::String(d)) if d == "ingress" || d == "egress" => d.clone(),
            other => {
                return Err(Error::invalid_attr(
                    "direction",
                    format!(
                        "{} is not in valid_values",
                        other.map(attrs::show).unwrap_or_default()
                    ),
                ));
            }
        };
        let protocol = protocol(b.get("protocol"))?;
        let port_range_min = port(b.get("port_range_min"))?;
        let port_range_max = port(b.get("port_range_max"))?;
        let ethertype = ethertype(b.get("ethertype"))?;
        let remote_ip_prefix = ip_prefix(b.get("remote_ip_prefix"))?;
        let mut spec = RuleSpec {
            direction,
            ethertype,
            protocol,
            port_range_min,
            port_range_max,
            remote_ip_prefix,
            remote_group_id,
            remote_address_group_id: optional_id(b.get("remote_address_group_id")),
        };
        spec.check()?;
        Ok(spec)
    }

    /// Upstream's `_validate_base_security_group_rule_attributes`, in its order.
    fn check(&mut self) -> Result<()> {
        // Legacy IPv6 ICMP names and number 1 mean ICMPv6 on an IPv6 rule.
        if self.ethertype == "IPv6" {
            match self.protocol.as_deref() {
                Some("icmp" | "icmpv6") => self.protocol = Some("ipv6-icmp".into()),
                Some("1") => self.protocol = Some("58".into()),
                _ => {}
            }
        }
        // The whole port range is no range at all.
        if self.port_range_min == Some(1) && self.port_range_max == Some(65535) {
            self.port_range_min = None;
            self.port_range_max = None;
        }
        self.check_ports()?;
        if let Some(prefix) = &self.remote_ip_prefix {
            let version = if prefix.addr().is_ipv4() {
                "IPv4"
            } else {
                "IPv6"
            };
            if self.ethertype != version {
                return Err(invalid_input(
                    "SecurityGroupRuleParameterConflict",
                    format!(
                        "Conflicting value ethertype {} for CIDR {prefix}",
                        self.ethertype
                    ),
                ));
            }
        }
        if let Some(p) = &self.protocol
            && self.ethertype == "IPv4"
            && IPV6_ONLY.contains(&p.as_str())
        {
            return Err(invalid_input(
                "SecurityGroupEthertypeConflictWithProtocol",
                format!("Invalid ethertype IPv4 for protocol {p}."),
            ));
        }
        let remotes = [
            self.remote_ip_prefix.is_some(),
            self.remote_group_id.is_some(),
            self.remote_address_group_id.is_some(),
        ];
        if remotes.iter().filter(|r| **r).count() > 1 {
            return Err(invalid_input(
                "SecurityGroupMultipleRemoteEntites",
                "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.".into(),
            ));
        }
        Ok(())
    }

    fn check_ports(&self) -> Result<()> {
        let (min, max) = (self.port_range_min, self.port_range_max);
        if min.is_none() && max.is_none() {
            return Ok(());
        }
        let Some(protocol) = &self.protocol else {
            return Err(invalid_input(
                "SecurityGroupProtocolRequiredWithPorts",
                "Must also specify protocol if port range is given.".into(),
            ));
        };
        let number = protocol_number(protocol);
        match number {
            Some(p) if PORT_PROTOCOLS.contains(&p) => {
                if min == Some(0) || max == Some(0) {
                    return Err(invalid_input(
                        "SecurityGroupInvalidPortValue",
                        "Invalid value for port 0".into(),
                    ));
                }
                match (min, max) {
                    (Some(a), Some(b)) if a <= b => Ok(()),
                    _ => Err(invalid_input(
                        "SecurityGroupInvalidPortRange",
                        "For TCP/UDP protocols, port_range_min must be <= port_range_max".into(),
                    )),
                }
            }
            Some(ICMP | IPV6_ICMP) => {
                for (value, field, attr) in [
                    (min, "type", "port_range_min"),
                    (max, "code", "port_range_max"),
                ] {
                    if let Some(v) = value
                        && v > 255
                    {
                        return Err(invalid_input(
                            "SecurityGroupInvalidIcmpValue",
                            format!(
                                "Invalid value for ICMP {field} ({attr}) {v}. It must be 0 to 255."
                            ),
                        ));
                    }
                }
                match (min, max) {
                    (None, Some(code)) => Err(invalid_input(
                        "SecurityGroupMissingIcmpType",
                        format!(
                            "ICMP code (port-range-max) {code} is provided but ICMP type (port-range-min) is missing."
                        ),
                    )),
                    _ => Ok(()),
                }
            }
            _ => Err(invalid_input(
                "SecurityGroupInvalidProtocolForPort",
                format!(
                    "Ports cannot be specified for protocol {}. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.",
                    number
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| protocol.clone())
                ),
            )),
        }
    }

    /// What makes two rules of a group the same rule (upstream's `_rule_to_key`): `0.0.0.0/0`
    /// and `::/0` are no remote prefix, a protocol is the same by name or number.
    pub fn fingerprint(&self) -> String {
        const NONE: &str = "+";
        let opt = |v: Option<String>| v.unwrap_or_else(|| NONE.to_string());
        let prefix = self
            .remote_ip_prefix
            .filter(|p| p.prefix_len() != 0 || !p.addr().is_unspecified())
            .map(|p| p.to_string());
        [
            self.direction.clone(),
            self.ethertype.clone(),
            opt(self.port_range_max.map(|p| p.to_string())),
            opt(self.port_range_min.map(|p| p.to_string())),
            opt(self.protocol.as_deref().map(protocol_key)),
            opt(self.remote_group_id.clone()),
            opt(self.remote_address_group_id.clone()),
            opt(prefix),
        ]
        .join("_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> Result<RuleSpec> {
        let m = v.as_object().cloned().unwrap_or_default();
        RuleSpec::from_body(&Body(&m))
    }

    #[test]
    fn protocols_by_name_and_number_are_the_same_rule() {
        let a = spec(json!({"direction": "ingress", "protocol": "TCP", "port_range_min": 22, "port_range_max": "22"})).unwrap();
        let b = spec(json!({"direction": "ingress", "protocol": 6, "port_range_min": 22, "port_range_max": 22})).unwrap();
        assert_eq!(a.protocol.as_deref(), Some("tcp"));
        assert_eq!(a.fingerprint(), b.fingerprint());
        let any = spec(json!({"direction": "egress", "protocol": "any"})).unwrap();
        assert_eq!(any.protocol, None);
        let v6 =
            spec(json!({"direction": "egress", "ethertype": "ipv6", "protocol": "icmp"})).unwrap();
        assert_eq!(
            (v6.ethertype.as_str(), v6.protocol.as_deref()),
            ("IPv6", Some("ipv6-icmp"))
        );
        let e = spec(json!({"direction": "egress", "protocol": 256})).unwrap_err();
        assert_eq!(e.kind, "SecurityGroupRuleInvalidProtocol");
    }

    #[test]
    fn ports_and_icmp() {
        let e = spec(json!({"direction": "ingress", "protocol": "tcp", "port_range_min": -16}))
            .unwrap_err();
        assert_eq!(e.message, "Invalid value for port -16");
        let e = spec(json!({"direction": "ingress", "protocol": "tcp", "port_range_min": 5, "port_range_max": 4})).unwrap_err();
        assert!(
            e.message
                .contains("port_range_min must be <= port_range_max")
        );
        let e = spec(json!({"direction": "ingress", "protocol": "icmp", "port_range_max": 3}))
            .unwrap_err();
        assert!(e.message.contains("ICMP type (port-range-min) is missing"));
        let e = spec(json!({"direction": "ingress", "protocol": "icmp", "port_range_min": 8, "port_range_max": 256})).unwrap_err();
        assert!(e.message.starts_with("Invalid value for ICMP code"));
        let full = spec(json!({"direction": "ingress", "protocol": "udp", "port_range_min": 1, "port_range_max": 65535})).unwrap();
        assert_eq!((full.port_range_min, full.port_range_max), (None, None));
        let e = spec(json!({"direction": "ingress", "port_range_min": 80, "port_range_max": 80}))
            .unwrap_err();
        assert_eq!(e.kind, "SecurityGroupProtocolRequiredWithPorts");
        let e = spec(json!({"direction": "ingress", "protocol": "gre", "port_range_min": 80}))
            .unwrap_err();
        assert_eq!(e.kind, "SecurityGroupInvalidProtocolForPort");
    }

    #[test]
    fn prefixes() {
        let r = spec(json!({"direction": "ingress", "remote_ip_prefix": "10.0.0.5"})).unwrap();
        assert_eq!(
            r.remote_ip_prefix.map(|p| p.to_string()).as_deref(),
            Some("10.0.0.5/32")
        );
        let e = spec(
            json!({"direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/24"}),
        )
        .unwrap_err();
        assert!(e.message.contains("Conflicting value ethertype IPv6"));
        let e =
            spec(json!({"direction": "ingress", "remote_ip_prefix": "10.0.0.0/33"})).unwrap_err();
        assert_eq!(e.kind, "InvalidCIDR");
        let any = spec(json!({"direction": "ingress", "remote_ip_prefix": "0.0.0.0/0"})).unwrap();
        let none = spec(json!({"direction": "ingress"})).unwrap();
        assert_eq!(any.fingerprint(), none.fingerprint());
    }
}
