//! The rule types (`/v2.0/qos/rule-types`): which rules Neutrino's back end takes, with the
//! values of each parameter (`qos-rule-type-details`). They are those of upstream's OVN QoS
//! driver: bandwidth limits and minimum bandwidth in both directions, and DSCP marking. Packet
//! rate rules may be stored (`all_rules=true` lists them) but no back end applies them.

use serde_json::{Map, Value, json};

use crate::extensions::{Extension, ext};
use crate::{Caller, Error, Result};

use super::rules::{DSCP_MARKS, RULE_KINDS};

/// The name the back end's driver is listed under.
const DRIVER: &str = "ovn";

/// The values a parameter may take.
enum Values {
    Range(i64, i64),
    Choices(&'static [&'static str]),
    Numbers(&'static [i64]),
}

/// A rule type the back end supports, with its parameters.
pub struct RuleType {
    pub name: &'static str,
    parameters: &'static [(&'static str, Values)],
}

const RATE: Values = Values::Range(0, 2_147_483_647);
const DIRECTIONS: Values = Values::Choices(&["ingress", "egress"]);

const SUPPORTED: &[RuleType] = &[
    RuleType {
        name: "bandwidth_limit",
        parameters: &[
            ("max_kbps", RATE),
            ("max_burst_kbps", RATE),
            ("direction", DIRECTIONS),
        ],
    },
    RuleType {
        name: "dscp_marking",
        parameters: &[("dscp_mark", Values::Numbers(DSCP_MARKS))],
    },
    RuleType {
        name: "minimum_bandwidth",
        parameters: &[("min_kbps", RATE), ("direction", DIRECTIONS)],
    },
];

/// The extensions of QoS, all advertised with the policies' collection.
pub(crate) const EXTENSIONS: &[Extension] = &[
    ext(
        "qos",
        "Quality of Service",
        "The Quality of Service extension.",
    ),
    ext(
        "qos-bw-limit-direction",
        "Direction for QoS bandwidth limit rule",
        "Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress",
    ),
    ext(
        "qos-bw-minimum-ingress",
        "Ingress direction for QoS minimum bandwidth rule",
        "Allow to configure QoS minumum bandwidth rule with ingress direction.",
    ),
    ext(
        "qos-default",
        "QoS default policy",
        "Expose the QoS default policy per project",
    ),
    ext(
        "qos-rule-type-details",
        "Details of QoS rule types",
        "Expose details about QoS rule types supported by loaded backend drivers",
    ),
    ext(
        "qos-rule-type-filter",
        "Allow to filter the list of QoS rule types",
        "Allows to filter the QoS rule type list adding two new flags. \"all_rules\" prints all implemented QoS rule types.\"all_supported\" prints all supported QoS rule types by the loaded mechanism drivers",
    ),
    ext(
        "qos-rules-alias",
        "Quality of Service rules alias API",
        "API to enable GET, PUT and DELETE operations on QoS policy rules without specifying policy ID",
    ),
    ext(
        "qos-fip",
        "Floating IP QoS",
        "The floating IP Quality of Service extension",
    ),
    ext(
        "qos-gateway-ip",
        "Router gateway IP QoS",
        "The Router gateway IP Quality of Service extension",
    ),
    ext(
        "qos-pps",
        "QoS Rule Type Packet per Second Extension",
        "Add QoS Rule Type Packet per Second",
    ),
    ext(
        "qos-pps-minimum",
        "QoS minimum packet rate rule",
        "Allow to configure QoS minimum packet rate rule.",
    ),
    ext(
        "qos-pps-minimum-rule-alias",
        "QoS minimum packet rate rule alias",
        "API to enable GET, PUT and DELETE operations on QoS minimum packet rate rule without specifying policy ID",
    ),
];

/// `get_rule_type` is for admins: others get an empty list.
fn may_read(caller: &Caller) -> bool {
    caller.is_admin()
}

/// The rule types: those the back end supports, or (`all_rules`) every type Neutrino stores.
/// `all_supported` asks for the types at least one driver supports; with one driver that is
/// the default answer.
pub fn rule_types(caller: &Caller, all_rules: bool) -> Vec<Value> {
    if !may_read(caller) {
        return Vec::new();
    }
    let names: Vec<&str> = if all_rules {
        RULE_KINDS.iter().map(|k| k.rule_type).collect()
    } else {
        SUPPORTED.iter().map(|t| t.name).collect()
    };
    names.into_iter().map(|n| json!({"type": n})).collect()
}

/// One rule type with the drivers that support it (none for a type Neutrino stores but does
/// not apply).
pub fn rule_type(caller: &Caller, name: &str) -> Result<Value> {
    let known = RULE_KINDS.iter().any(|k| k.rule_type == name);
    if !may_read(caller) || !known {
        return Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ));
    }
    let drivers: Vec<Value> = SUPPORTED
        .iter()
        .filter(|t| t.name == name)
        .map(|t| {
            let parameters: Vec<Value> = t
                .parameters
                .iter()
                .map(|(p, values)| {
                    let (values, kind) = match values {
                        Values::Range(start, end) => (json!({"start": start, "end": end}), "range"),
                        Values::Choices(c) => (json!(c), "choices"),
                        Values::Numbers(n) => (json!(n), "choices"),
                    };
                    json!({"parameter_name": p, "parameter_values": values, "parameter_type": kind})
                })
                .collect();
            json!({"name": DRIVER, "supported_parameters": parameters})
        })
        .collect();
    let mut out = Map::new();
    out.insert("type".into(), name.into());
    out.insert("drivers".into(), Value::Array(drivers));
    Ok(Value::Object(out))
}
