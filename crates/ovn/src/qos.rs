//! QoS policies of ports and networks as upstream ML2/OVN's QoS extension writes them: for each
//! port and direction with a bandwidth limit or (egress) a DSCP mark, one `QoS` row on the port's
//! Logical_Switch, priority 2002, matching the port (`inport` for egress, `outport` for ingress),
//! with `bandwidth` `{rate, burst}` (kbit/s; no burst when the rule has none) and `action`
//! `{dscp}`, and `external_ids` `{neutron:port_id}`. A port's policy is its own, else its
//! network's; network devices (router, DHCP, floating IP ports: `network:*` owners) take none.
//! Minimum bandwidth and packet rate rules are not written here (they are Placement's).

use std::collections::BTreeMap;

use neutrino_ovsdb::Value;

use crate::input::{Direction, NetworkSpec, PortSpec, QosPolicySpec, QosRuleSpec, Resources};
use crate::mapping::switch_name;
use crate::row::{NbRow, RowId, table};

/// The priority upstream gives every port's QoS row.
pub const PRIORITY: i64 = 2002;
/// The `external_ids` entry naming the port.
pub const PORT_KEY: &str = "neutron:port_id";

/// The `match` of a port's row in one direction: the row's key.
pub fn port_match(direction: Direction, port_id: &str) -> String {
    match direction {
        Direction::Egress => format!("inport == \"{port_id}\""),
        Direction::Ingress => format!("outport == \"{port_id}\""),
    }
}

/// The rows a port may have, whatever its policy: the scope of a reconcile of the port.
pub fn port_row_ids(port_id: &str) -> Vec<RowId> {
    [Direction::Egress, Direction::Ingress]
        .into_iter()
        .map(|d| RowId::new(table::QOS, port_match(d, port_id)))
        .collect()
}

/// The policy in force on a port: its own, else its network's; none on network devices.
pub fn effective_policy<'a>(
    port: &'a PortSpec,
    network: Option<&'a NetworkSpec>,
) -> Option<&'a str> {
    if port.device_owner.starts_with("network:") {
        return None;
    }
    port.qos_policy_id
        .as_deref()
        .or_else(|| network.and_then(|n| n.qos_policy_id.as_deref()))
}

/// What one direction of a policy asks of OVN.
#[derive(Default)]
struct Limits {
    rate: Option<(i64, i64)>,
    dscp: Option<i64>,
}

/// The `QoS` rows of one port under `policy`.
pub fn port_qos_rows(port: &PortSpec, policy: Option<&QosPolicySpec>) -> Vec<NbRow> {
    let Some(policy) = policy else {
        return Vec::new();
    };
    let mut egress = Limits::default();
    let mut ingress = Limits::default();
    for rule in &policy.rules {
        match rule {
            QosRuleSpec::BandwidthLimit {
                direction,
                max_kbps,
                max_burst_kbps,
            } => {
                let limits = match direction {
                    Direction::Egress => &mut egress,
                    Direction::Ingress => &mut ingress,
                };
                limits.rate = Some((*max_kbps, *max_burst_kbps));
            }
            QosRuleSpec::DscpMarking { dscp_mark } => egress.dscp = Some(*dscp_mark),
        }
    }
    [(Direction::Egress, egress), (Direction::Ingress, ingress)]
        .into_iter()
        .filter(|(_, l)| l.rate.is_some() || l.dscp.is_some())
        .map(|(direction, limits)| qos_row(port, direction, &limits))
        .collect()
}

fn qos_row(port: &PortSpec, direction: Direction, limits: &Limits) -> NbRow {
    let mut row = NbRow::new(table::QOS, port_match(direction, &port.id));
    let mut bandwidth: Vec<(&str, i64)> = Vec::new();
    if let Some((rate, burst)) = limits.rate {
        bandwidth.push(("rate", rate));
        if burst > 0 {
            bandwidth.push(("burst", burst));
        }
    }
    let action: Vec<(&str, i64)> = limits.dscp.map(|d| ("dscp", d)).into_iter().collect();
    let ovn_direction = match direction {
        Direction::Egress => "from-lport",
        Direction::Ingress => "to-lport",
    };
    row.set("priority", PRIORITY)
        .set("direction", ovn_direction)
        .set("bandwidth", Value::map(bandwidth))
        .set("action", Value::map(action))
        .set_map(
            "external_ids",
            &BTreeMap::from([(PORT_KEY.to_owned(), port.id.clone())]),
        );
    row.parent = Some(RowId::new(
        table::LOGICAL_SWITCH,
        switch_name(&port.network_id),
    ));
    row
}

/// The `QoS` rows of every port.
pub fn qos_rows(resources: &Resources<'_>) -> Vec<NbRow> {
    if resources.qos_policies.is_empty() {
        return Vec::new();
    }
    let policies: BTreeMap<&str, &QosPolicySpec> = resources
        .qos_policies
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let networks = resources.networks_by_id();
    resources
        .ports
        .iter()
        .filter_map(|port| {
            let network = networks.get(port.network_id.as_str()).copied()?;
            let policy = effective_policy(port, Some(network)).and_then(|id| policies.get(id));
            Some(port_qos_rows(port, policy.copied()))
        })
        .flatten()
        .collect()
}
