//! The request attributes of ports that need more than a typed read: `fixed_ips` entries,
//! allowed address pairs, extra DHCP options, DNS name and binding details, each checked with
//! upstream's messages.

use std::net::IpAddr;

use serde_json::{Map, Value};

use neutrino_ipam::{self as ipam, FixedIpRequest};

use crate::attrs::{self, Body};
use crate::model::{AddressPair, DhcpOption};
use crate::{Error, NetworkConfig, Result};

pub(crate) const VNIC_TYPES: &[&str] = &[
    "normal",
    "direct",
    "macvtap",
    "baremetal",
    "direct-physical",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "accelerator-direct",
    "accelerator-direct-physical",
    "remote-managed",
];

/// The NUMA affinity policies a port may ask for (`port-numa-affinity-policy` and `-socket`).
const NUMA_AFFINITY_POLICIES: &[&str] = &["required", "preferred", "legacy", "socket"];

/// `numa_affinity_policy`: `Some(None)` clears it (`null`).
pub(crate) fn numa_affinity_policy(b: &Body) -> Result<Option<Option<String>>> {
    match b.get("numa_affinity_policy") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => one_of("numa_affinity_policy", v, NUMA_AFFINITY_POLICIES).map(|p| Some(Some(p))),
    }
}

/// The hardware offload types a port may be created with (`port-hardware-offload-type`).
pub(crate) const HARDWARE_OFFLOAD_TYPES: &[&str] = &["switchdev"];

/// `hardware_offload_type`: one of [`HARDWARE_OFFLOAD_TYPES`]; `null` is refused as upstream's
/// validator refuses it.
pub(crate) fn hardware_offload_type(b: &Body) -> Result<Option<String>> {
    b.get("hardware_offload_type")
        .map(|v| one_of("hardware_offload_type", v, HARDWARE_OFFLOAD_TYPES))
        .transpose()
}

/// A `type:values` attribute: the value converted to a string, or upstream's message.
fn one_of(name: &str, v: &Value, valid: &[&str]) -> Result<String> {
    match v {
        Value::String(s) if valid.contains(&s.as_str()) => Ok(s.clone()),
        _ => Err(Error::invalid_attr(
            name,
            format!("{} is not in valid_values", attrs::show(v)),
        )),
    }
}

/// `binding:profile` as `hardware_offload_type` leaves it: its type added to the profile's
/// `capabilities` (upstream appends it to the request's profile, and replaces a profile whose
/// `capabilities` is not a list).
pub(crate) fn with_offload_capability(profile: &mut Map<String, Value>, offload: &str) {
    let capability = Value::String(offload.to_string());
    match profile.get_mut("capabilities") {
        Some(Value::Array(caps)) => {
            if !caps.contains(&capability) {
                caps.push(capability);
            }
        }
        None => {
            profile.insert("capabilities".into(), Value::Array(vec![capability]));
        }
        Some(_) => {
            profile.clear();
            profile.insert("capabilities".into(), Value::Array(vec![capability]));
        }
    }
}

/// `device_profile`: a string of at most 255 characters, or `null`.
pub(crate) fn device_profile(b: &Body) -> Result<Option<String>> {
    match b.get("device_profile") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => b.string("device_profile", 255),
    }
}

/// One entry of a `fixed_ips` request, parsed.
pub(crate) type FixedIpEntry = FixedIpRequest<String>;

pub(crate) fn parse_fixed_ips(b: &Body) -> Result<Option<Vec<FixedIpEntry>>> {
    let Some(entries) = b.object_list("fixed_ips")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut seen: Vec<IpAddr> = Vec::new();
    for e in entries {
        if let Some(k) = e.keys().find(|k| *k != "subnet_id" && *k != "ip_address") {
            return Err(Error::invalid_attr(
                "fixed_ips",
                format!("Unrecognized attribute(s) '{k}'"),
            ));
        }
        let subnet_id = match e.get("subnet_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                return Err(Error::invalid_attr(
                    "fixed_ips",
                    format!("'{}' is not a valid UUID", attrs::show(v)),
                ));
            }
        };
        let ip = match e.get("ip_address") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let ip = ipam::validate_ip_address(s)
                    .map_err(|r| Error::invalid_attr("fixed_ips", r))?;
                if seen.contains(&ip) {
                    return Err(Error::invalid_attr(
                        "fixed_ips",
                        format!("Duplicate IP address '{s}'"),
                    ));
                }
                seen.push(ip);
                Some(ip)
            }
            Some(v) => {
                return Err(Error::invalid_attr(
                    "fixed_ips",
                    format!("'{}' is not a valid IP address", attrs::show(v)),
                ));
            }
        };
        out.push(FixedIpRequest::classify(subnet_id, ip)?);
    }
    Ok(Some(out))
}

/// A requested address pair: the address and, if given, the MAC.
pub(crate) type PairRequest = (String, Option<String>);

/// A requested DHCP option: name, value (`None` removes it), IP version.
pub(crate) type DhcpOptRequest = (String, Option<String>, u8);

pub(crate) fn parse_address_pairs(
    b: &Body,
    cfg: &NetworkConfig,
) -> Result<Option<Vec<PairRequest>>> {
    let Some(entries) = b.object_list("allowed_address_pairs")? else {
        return Ok(None);
    };
    if entries.len() > cfg.max_allowed_address_pair {
        return Err(Error::bad_request(format!(
            "The number of allowed address pair exceeds the maximum {}.",
            cfg.max_allowed_address_pair
        ))
        .with_kind("AllowedAddressPairExhausted"));
    }
    let mut out: Vec<PairRequest> = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(k) = e.keys().find(|k| *k != "ip_address" && *k != "mac_address") {
            return Err(Error::bad_request(format!(
                "Unrecognized attribute(s) '{k}'"
            )));
        }
        let ip = match e.get("ip_address") {
            Some(Value::String(s)) => {
                ipam::validate_ip_or_subnet(s)
                    .map_err(|r| Error::invalid_attr("allowed_address_pairs", r))?;
                s.clone()
            }
            _ => {
                return Err(
                    Error::bad_request("AllowedAddressPair must contain ip_address")
                        .with_kind("AllowedAddressPairsMissingIP"),
                );
            }
        };
        let mac = match e.get("mac_address") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                ipam::validate_mac(s)
                    .map_err(|r| Error::invalid_attr("allowed_address_pairs", r))?
                    .to_string(),
            ),
            Some(v) => {
                return Err(Error::invalid_attr(
                    "allowed_address_pairs",
                    format!("'{}' is not a valid MAC address", attrs::show(v)),
                ));
            }
        };
        if out.iter().any(|(i, m)| *i == ip && *m == mac) {
            return Err(Error::bad_request("Request contains duplicate address pair: mac_address and ip_address must be unique.").with_kind("DuplicateAddressPairInRequest"));
        }
        out.push((ip, mac));
    }
    Ok(Some(out))
}

pub(crate) fn resolve_pairs(pairs: Vec<PairRequest>, port_mac: &str) -> Vec<AddressPair> {
    pairs
        .into_iter()
        .map(|(ip_address, mac)| AddressPair {
            ip_address,
            mac_address: mac.unwrap_or_else(|| port_mac.to_string()),
        })
        .collect()
}

pub(crate) fn parse_dhcp_opts(b: &Body) -> Result<Option<Vec<DhcpOptRequest>>> {
    let Some(entries) = b.object_list("extra_dhcp_opts")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(k) = e
            .keys()
            .find(|k| !matches!(k.as_str(), "opt_name" | "opt_value" | "ip_version"))
        {
            return Err(Error::invalid_attr(
                "extra_dhcp_opts",
                format!("Unrecognized attribute(s) '{k}'"),
            ));
        }
        if !e.contains_key("opt_name") || !e.contains_key("opt_value") {
            let mut given: Vec<String> = e.keys().map(|k| format!("'{k}'")).collect();
            given.sort();
            return Err(Error::invalid_attr(
                "extra_dhcp_opts",
                format!(
                    "Validation of dictionary's keys failed. Expected keys: {{'opt_name', 'opt_value'}} Provided keys: {{{}}}",
                    given.join(", ")
                ),
            ));
        }
        let name = match e.get("opt_name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            other => {
                let shown = other.map(attrs::show).unwrap_or_default();
                return Err(Error::invalid_attr(
                    "extra_dhcp_opts",
                    format!("'{shown}' Blank strings are not permitted"),
                ));
            }
        };
        // A null value removes the option on update; blank values only make sense for the
        // two options whose empty value means "none" to dnsmasq.
        let value = match e.get("opt_value") {
            None | Some(Value::Null) => None,
            Some(Value::String(s))
                if s.is_empty()
                    && !matches!(name.as_str(), "router" | "classless-static-route") =>
            {
                return Err(Error::invalid_attr(
                    "extra_dhcp_opts",
                    "'' Blank strings are not permitted",
                ));
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(attrs::show(v)),
        };
        let version = match e.get("ip_version").map(attrs::to_int) {
            None => 4,
            Some(Some(v @ (4 | 6))) => v as u8,
            Some(_) => {
                return Err(Error::invalid_attr(
                    "extra_dhcp_opts",
                    "ip_version must be 4 or 6",
                ));
            }
        };
        out.push((name, value, version));
    }
    Ok(Some(out))
}

/// Merges requested DHCP options into the current ones: an option with a null value is removed.
pub(crate) fn merge_dhcp_opts(current: &mut Vec<DhcpOption>, requested: Vec<DhcpOptRequest>) {
    for (name, value, ip_version) in requested {
        current.retain(|o| !(o.opt_name == name && o.ip_version == ip_version));
        if let Some(opt_value) = value {
            current.push(DhcpOption {
                opt_name: name,
                opt_value,
                ip_version,
            });
        }
    }
}

pub(crate) fn vnic_type(b: &Body) -> Result<Option<String>> {
    match b.string("binding:vnic_type", 64)? {
        Some(v) if !VNIC_TYPES.contains(&v.as_str()) => Err(Error::invalid_attr(
            "binding:vnic_type",
            format!("{v} is not in valid_values"),
        )),
        other => Ok(other),
    }
}

pub(crate) fn profile(b: &Body) -> Result<Option<Map<String, Value>>> {
    match b.get("binding:profile") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Map::new())),
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        Some(v) => Err(Error::invalid_attr(
            "binding:profile",
            format!("'{}' is not a dictionary", attrs::show(v)),
        )),
    }
}

pub(crate) fn dns_name(b: &Body, cfg: &NetworkConfig) -> Result<Option<String>> {
    match b.string("dns_name", 255)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(Some(s)),
        Some(s) => ipam::validate_dns_name(&s, &cfg.dns_domain)
            .map(Some)
            .map_err(|r| Error::invalid_attr("dns_name", r)),
    }
}
