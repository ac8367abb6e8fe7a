//! The sub-ports of a trunk as requests name them (`sub_ports: [{port_id, segmentation_type,
//! segmentation_id}]`): the shape checks of neutron_lib's `validate_subports`, and the
//! segmentation rules upstream's `SubPortsValidator` applies to each one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::attrs;
use crate::{Error, Result};

/// The only segmentation type the OVN trunk driver supports; ids are VLAN tags.
pub const VLAN: &str = "vlan";
/// Take the segmentation of the sub-port's network (a VLAN network's tag).
pub const INHERIT: &str = "inherit";

/// A sub-port as a trunk shows it and as `trunk_ports` keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubPort {
    pub segmentation_id: i64,
    pub segmentation_type: String,
    pub port_id: String,
}

/// One requested sub-port after the shape checks: its port and the raw request entry (the
/// segmentation is read later, in upstream's order, by [`segmentation`]).
pub struct Requested<'a> {
    pub port_id: String,
    pub entry: &'a Map<String, Value>,
}

/// Python's repr of a JSON value, as upstream quotes request data in messages.
pub(crate) fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `str` of a JSON value: strings bare, anything else as [`py_repr`].
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// neutron_lib's `validate_subports`: a list of objects with unique, valid port ids, both
/// segmentation attributes or neither (an entry of just `port_id` passes: removals name only
/// the port), and no segmentation twice. Returns upstream's message on failure.
pub fn check_shape(data: Option<&Value>) -> std::result::Result<Vec<Requested<'_>>, String> {
    let items = match data {
        Some(Value::Array(items)) => items,
        other => {
            let shown = other.map(py_str).unwrap_or_else(|| "None".into());
            return Err(format!(
                "Invalid data format for subports: '{shown}' is not a list"
            ));
        }
    };
    let mut out: Vec<Requested<'_>> = Vec::new();
    let mut segmentations: Vec<(String, String)> = Vec::new();
    for item in items {
        let Value::Object(entry) = item else {
            return Err(format!(
                "Invalid data format for subport: '{}' is not a dict",
                py_str(item)
            ));
        };
        let port_id = match entry.get("port_id") {
            None => return Err("A valid port UUID must be specified".into()),
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.clone(),
            Some(v) => return Err(format!("Invalid UUID for subport: '{}'", attrs::show(v))),
        };
        if out.iter().any(|r| r.port_id == port_id) {
            return Err(format!("Non unique UUID for subport: '{port_id}'"));
        }
        out.push(Requested {
            port_id: port_id.clone(),
            entry,
        });
        let kind = entry.get("segmentation_type").filter(|v| !v.is_null());
        if kind.and_then(Value::as_str) == Some(INHERIT) {
            // Its segmentation comes from its network later. (Upstream stops checking the
            // rest of the list here; the entries after it are checked all the same, so none
            // is dropped or half-read.)
            continue;
        }
        let id = entry.get("segmentation_id").filter(|v| !v.is_null());
        let kind_given = kind.is_some_and(|k| k.as_str() != Some(""));
        if (!kind_given || id.is_none()) && entry.len() > 1 {
            return Err(format!(
                "Invalid subport details '{}': missing segmentation information. Must specify both segmentation_id and segmentation_type",
                py_repr(item)
            ));
        }
        if let (Some(kind), Some(id)) = (kind, id) {
            let key = (kind.to_string(), id.to_string());
            if segmentations.contains(&key) {
                return Err(format!(
                    "Segmentation ID '{}' for '{port_id}' is not unique",
                    attrs::show(id)
                ));
            }
            segmentations.push(key);
        }
    }
    Ok(out)
}

/// What the sub-port's network offers to `inherit`: its `provider:network_type` and
/// `provider:segmentation_id`.
pub struct NetworkSegment {
    pub network_type: String,
    pub segmentation_id: Option<i64>,
}

/// The segmentation of one requested sub-port, as upstream's `SubPortsValidator._validate`
/// reads it: both attributes present, an integer id, a supported type, an id in range.
pub fn segmentation(
    requested: &Requested<'_>,
    network: impl FnOnce() -> Result<NetworkSegment>,
) -> Result<(String, i64)> {
    let entry = requested.entry;
    let mut kind = entry.get("segmentation_type").cloned();
    let mut id = entry.get("segmentation_id").cloned();
    if kind.as_ref().and_then(Value::as_str) == Some(INHERIT) {
        let segment = network()?;
        kind = Some(Value::from(segment.network_type));
        id = segment.segmentation_id.map(Value::from);
    }
    let (Some(kind), Some(id)) = (kind, id) else {
        return Err(Error::invalid_input(format!(
            "Invalid subport details '{}': missing segmentation information. Must specify both segmentation_id and segmentation_type",
            py_repr(&Value::Object(entry.clone()))
        )));
    };
    let Some(number) = attrs::to_int(&id) else {
        return Err(Error::invalid_input(format!(
            "Invalid subport details: segmentation_id '{}' is not an integer",
            attrs::show(&id)
        )));
    };
    if kind.as_str() != Some(VLAN) {
        return Err(Error::invalid_input(format!(
            "Unknown segmentation_type '{}'",
            attrs::show(&kind)
        )));
    }
    if !(1..=4094).contains(&number) {
        return Err(Error::invalid_input(format!(
            "Segmentation ID '{number}' is not in range"
        )));
    }
    Ok((VLAN.to_string(), number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "11111111-1111-1111-1111-111111111111";
    const B: &str = "22222222-2222-2222-2222-222222222222";

    fn shape(v: Value) -> std::result::Result<usize, String> {
        check_shape(Some(&v)).map(|r| r.len())
    }

    #[test]
    fn shape_checks_as_neutron_lib() {
        assert_eq!(shape(json!([])), Ok(0));
        assert_eq!(
            shape(json!({"port_id": A})).unwrap_err(),
            format!("Invalid data format for subports: '{{'port_id': '{A}'}}' is not a list")
        );
        assert_eq!(
            shape(json!([{}])).unwrap_err(),
            "A valid port UUID must be specified"
        );
        assert_eq!(
            shape(json!([{"port_id": "x"}])).unwrap_err(),
            "Invalid UUID for subport: 'x'"
        );
        assert!(
            shape(json!([{"port_id": A}, {"port_id": A}]))
                .unwrap_err()
                .starts_with("Non unique UUID")
        );
        assert_eq!(
            shape(json!([{"port_id": A, "segmentation_id": 3}])).unwrap_err(),
            format!(
                "Invalid subport details '{{'port_id': '{A}', 'segmentation_id': 3}}': missing segmentation information. Must specify both segmentation_id and segmentation_type"
            )
        );
        assert_eq!(
            shape(json!([
                {"port_id": A, "segmentation_type": "vlan", "segmentation_id": 3},
                {"port_id": B, "segmentation_type": "vlan", "segmentation_id": 3}
            ]))
            .unwrap_err(),
            format!("Segmentation ID '3' for '{B}' is not unique")
        );
        // `inherit` skips the segmentation checks of its entry, not the shape of the others.
        assert_eq!(
            shape(json!([{"port_id": A, "segmentation_type": "inherit"}])),
            Ok(1)
        );
        assert_eq!(
            shape(json!([{"port_id": A, "segmentation_type": "inherit"}, {"port_id": "x"}]))
                .unwrap_err(),
            "Invalid UUID for subport: 'x'"
        );
        // Removals name just the port.
        assert_eq!(shape(json!([{"port_id": A}, {"port_id": B}])), Ok(2));
    }

    fn seg(v: Value) -> Result<(String, i64)> {
        let entry = v.as_object().unwrap();
        let r = Requested {
            port_id: A.into(),
            entry,
        };
        segmentation(&r, || {
            Ok(NetworkSegment {
                network_type: "geneve".into(),
                segmentation_id: Some(7),
            })
        })
    }

    #[test]
    fn segmentation_rules() {
        let ok = seg(json!({"segmentation_type": "vlan", "segmentation_id": "12"})).unwrap();
        assert_eq!(ok, ("vlan".to_string(), 12));
        let e = seg(json!({"segmentation_type": "vlan", "segmentation_id": 4095})).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid input for operation: Segmentation ID '4095' is not in range."
        );
        assert!(seg(json!({"segmentation_type": "vlan", "segmentation_id": 0})).is_err());
        let e = seg(json!({"segmentation_type": "vxlan", "segmentation_id": 5})).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid input for operation: Unknown segmentation_type 'vxlan'."
        );
        let e = seg(json!({"segmentation_type": "inherit"})).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid input for operation: Unknown segmentation_type 'geneve'."
        );
        let e = seg(json!({"segmentation_type": "vlan", "segmentation_id": "x"})).unwrap_err();
        assert_eq!(e.kind, "InvalidInput");
        assert!(seg(json!({"port_id": A})).is_err());
    }
}
