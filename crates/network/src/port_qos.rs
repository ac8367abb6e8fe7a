//! What a port's QoS means beyond its own `qos_policy_id`: `qos_network_policy_id`
//! (`qos-port-network-policy`: its network's policy) and `resource_request`
//! (`port-resource-request`, in the `port-resource-request-groups` format): what the port asks
//! Placement for, from the minimum bandwidth and minimum packet rate rules of its effective
//! policy — its own, else its network's. Both are computed on read from the network and the
//! rules, never stored: the port's document holds them as `null` so that a plain list of ports
//! without any QoS needs no completion.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use neutrino_store::tables::{NETWORKS, QOS_BINDINGS};
use neutrino_store::{self as store, Selection, Tx};

use crate::model::{Network, Resource};
use crate::read::field;
use crate::{Error, Result};

pub const NETWORK_POLICY: &str = "qos_network_policy_id";
pub const RESOURCE_REQUEST: &str = "resource_request";

/// Upstream's trait of a tunnelled (overlay) network's bandwidth.
const TUNNEL_TRAIT: &str = "CUSTOM_NETWORK_TUNNEL_PROVIDER";

/// Whether some network or port has a policy at all: otherwise every port shows the `null`s its
/// document holds.
pub fn any_binding(tx: &Tx<'_>) -> Result<bool> {
    Ok(store::exists(tx, QOS_BINDINGS, &Selection::all())?)
}

/// The network facts a port's QoS attributes need.
struct NetworkQos {
    policy: Option<String>,
    physical_network: Option<String>,
}

/// Sets `qos_network_policy_id` and (where the view has the admin-only key) `resource_request`
/// of a list of port views. One query for their networks, one for the rules of their policies.
pub fn complete(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    if items.is_empty() || !any_binding(tx)? {
        return Ok(());
    }
    let mut net_ids: Vec<String> = items
        .iter()
        .map(|p| field(p, "network_id").to_string())
        .collect();
    net_ids.sort();
    net_ids.dedup();
    let mut networks = BTreeMap::new();
    for doc in store::docs_by_id(tx, NETWORKS, &net_ids)? {
        let net = Network::from_doc("", &doc)?;
        let qos = NetworkQos {
            policy: net.qos_policy_id,
            physical_network: net.physical_network,
        };
        networks.insert(net.id, qos);
    }
    let effective = |p: &Map<String, Value>| -> Option<String> {
        match p.get("qos_policy_id").and_then(Value::as_str) {
            Some(own) => Some(own.to_string()),
            None => networks
                .get(field(p, "network_id"))
                .and_then(|n| n.policy.clone()),
        }
    };
    let mut policies: Vec<String> = items
        .iter()
        .filter(|p| p.contains_key(RESOURCE_REQUEST))
        .filter_map(effective)
        .collect();
    policies.sort();
    policies.dedup();
    let mut minimum_rules: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
    if !policies.is_empty() {
        for rule in crate::qos::rules_of(tx, policies)? {
            if matches!(
                field(&rule, "type"),
                "minimum_bandwidth" | "minimum_packet_rate"
            ) {
                let policy = field(&rule, "qos_policy_id").to_string();
                minimum_rules.entry(policy).or_default().push(rule);
            }
        }
    }
    for item in items.iter_mut() {
        let net = networks.get(field(item, "network_id"));
        let network_policy = net.and_then(|n| n.policy.clone());
        if item.contains_key(RESOURCE_REQUEST) {
            let request = effective(item)
                .and_then(|p| minimum_rules.get(&p))
                .and_then(|rules| {
                    resource_request(
                        field(item, "id"),
                        field(item, "binding:vnic_type"),
                        net.and_then(|n| n.physical_network.as_deref()),
                        rules,
                    )
                });
            item.insert(RESOURCE_REQUEST.into(), request.unwrap_or(Value::Null));
        }
        item.insert(NETWORK_POLICY.into(), network_policy.into());
    }
    Ok(())
}

/// `CUSTOM_` and the name upper-cased with anything but letters and digits as `_`, as
/// `os_traits.normalize_name` makes a custom trait.
fn custom_trait(name: &str) -> String {
    let body: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("CUSTOM_{body}")
}

/// The id of a request group: a version 5 UUID in the port's namespace named by the ids of the
/// rules behind it, comma-separated (neutron-lib's `resource_request_group_uuid`).
fn group_id(port_id: &str, rules: &[&Map<String, Value>]) -> Result<String> {
    let namespace = uuid::Uuid::parse_str(port_id).map_err(|_| Error::internal())?;
    let name = rules
        .iter()
        .map(|r| field(r, "id"))
        .collect::<Vec<_>>()
        .join(",");
    let mut data = namespace.as_bytes().to_vec();
    data.extend_from_slice(name.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    Ok(uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// One request group from rules of one type: the resource class of each rule's direction and
/// its amount. `None` without rules.
fn group(
    port_id: &str,
    rules: &[&Map<String, Value>],
    amount: &str,
    class: fn(&str) -> &'static str,
    required: Vec<String>,
) -> Option<Value> {
    if rules.is_empty() {
        return None;
    }
    let resources: Map<String, Value> = rules
        .iter()
        .map(|r| {
            let direction = field(r, "direction");
            (
                class(direction).to_string(),
                r.get(amount).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    let id = group_id(port_id, rules).ok()?;
    Some(json!({"id": id, "required": required, "resources": resources}))
}

fn bandwidth_class(direction: &str) -> &'static str {
    if direction == "ingress" {
        "NET_BW_IGR_KILOBIT_PER_SEC"
    } else {
        "NET_BW_EGR_KILOBIT_PER_SEC"
    }
}

fn packet_rate_class(direction: &str) -> &'static str {
    match direction {
        "ingress" => "NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC",
        "egress" => "NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC",
        _ => "NET_PACKET_RATE_KILOPACKET_PER_SEC",
    }
}

/// A port's `resource_request`: a group for its minimum bandwidth rules (traits: the network's
/// physical network, or the tunnel trait, and the VNIC type) and one for its minimum packet rate
/// rules (the VNIC type), all in one subtree; `None` when the policy has neither.
fn resource_request(
    port_id: &str,
    vnic_type: &str,
    physical_network: Option<&str>,
    rules: &[Map<String, Value>],
) -> Option<Value> {
    let of_type = |t: &str| -> Vec<&Map<String, Value>> {
        let mut rs: Vec<_> = rules.iter().filter(|r| field(r, "type") == t).collect();
        rs.sort_by(|a, b| field(a, "id").cmp(field(b, "id")));
        rs
    };
    let vnic_trait = custom_trait(&format!("VNIC_TYPE_{vnic_type}"));
    let network_trait = match physical_network {
        Some(p) => custom_trait(&format!("PHYSNET_{p}")),
        None => TUNNEL_TRAIT.to_string(),
    };
    let groups: Vec<Value> = [
        group(
            port_id,
            &of_type("minimum_bandwidth"),
            "min_kbps",
            bandwidth_class,
            vec![network_trait, vnic_trait.clone()],
        ),
        group(
            port_id,
            &of_type("minimum_packet_rate"),
            "min_kpps",
            packet_rate_class,
            vec![vnic_trait],
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if groups.is_empty() {
        return None;
    }
    let subtree: Vec<Value> = groups.iter().filter_map(|g| g.get("id").cloned()).collect();
    Some(json!({"request_groups": groups, "same_subtree": subtree}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_are_upstreams_uuid5() {
        // uuid.uuid5(uuid.UUID(port), "r1,r2") in Python.
        let r1 = json!({"id": "r1"});
        let r2 = json!({"id": "r2"});
        let rules = [r1.as_object().unwrap(), r2.as_object().unwrap()];
        let id = group_id("3dabed10-e009-4b68-b9ec-99947db0a03c", &rules).unwrap();
        assert_eq!(id, "7bcc05a1-e2b2-5f88-affe-f5549b986768");
    }

    #[test]
    fn traits_are_normalised() {
        assert_eq!(
            custom_trait("PHYSNET_phys-net1"),
            "CUSTOM_PHYSNET_PHYS_NET1"
        );
        assert_eq!(custom_trait("VNIC_TYPE_normal"), "CUSTOM_VNIC_TYPE_NORMAL");
    }
}
