//! The ports a trunk uses, kept in `trunk_ports` (one row per port, so the database refuses a
//! port in two trunks however requests interleave): upstream's `TrunkPortValidator`, the claim
//! of a port by a trunk, what a sub-port's own row shows while it is one (as the ML2/OVN trunk
//! driver writes it), the port-deletion rule and the ports' `trunk_details`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use neutrino_store::tables::{PORTS, TRUNK_PORTS};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Tx};

use crate::collection::Collection;
use crate::model::{Network, Port, Resource};
use crate::port::{Ports, save_port};
use crate::read::{Scope, load};
use crate::subports::SubPort;
use crate::{Error, Result};

/// `device_owner` of a port while it is a sub-port.
pub const SUBPORT_OWNER: &str = "trunk:subport";

const PARENT: &str = "parent";
const SUBPORT: &str = "subport";

/// What a port is to a trunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Parent,
    SubPort,
}

/// The `trunk_ports` rows `sel` selects, as their documents (each names its `port_id`,
/// `trunk_id` and `role`).
fn rows(tx: &Tx<'_>, sel: &Selection) -> Result<Vec<Map<String, Value>>> {
    store::list_docs(tx, TRUNK_PORTS, sel)?
        .iter()
        .map(|doc| serde_json::from_str(doc).map_err(|_| Error::internal()))
        .collect()
}

fn text<'a>(row: &'a Map<String, Value>, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The trunk a port belongs to, and as what; `None` if it is in none.
pub fn membership(tx: &Tx<'_>, port_id: &str) -> Result<Option<(String, Role)>> {
    let sel = Selection::by("id", vec![port_id.to_string()]);
    Ok(rows(tx, &sel)?.first().map(|row| {
        let role = if text(row, "role") == PARENT {
            Role::Parent
        } else {
            Role::SubPort
        };
        (text(row, "trunk_id").to_string(), role)
    }))
}

fn trunk_port_in_use(port_id: &str) -> Error {
    Error::in_use(
        "TrunkPortInUse",
        format!("Port {port_id} is in use by another trunk."),
    )
}

pub(crate) fn parent_port_in_use(port_id: &str) -> Error {
    Error::in_use(
        "ParentPortInUse",
        format!("Port {port_id} is currently in use and is not eligible for use as a parent port."),
    )
}

/// The error for a port that is already in a trunk, as upstream's validator words it.
fn already_in_trunk(port_id: &str, role: &Role) -> Error {
    match role {
        Role::SubPort => trunk_port_in_use(port_id),
        Role::Parent => parent_port_in_use(port_id),
    }
}

/// Upstream's `TrunkPortValidator.validate`: the port is in no trunk, and the caller sees it.
/// A parent may be bound (the OVN driver trunks bound ports); a sub-port must have no device.
pub fn usable_port(tx: &Tx<'_>, scope: &Scope, port_id: &str, as_parent: bool) -> Result<Port> {
    if let Some((_, role)) = membership(tx, port_id)? {
        return Err(already_in_trunk(port_id, &role));
    }
    let port = visible_port(tx, scope, port_id)?;
    if !as_parent && !port.device_id.is_empty() {
        return Err(Error::in_use(
            "PortInUse",
            format!(
                "Unable to complete operation on port {} for network {}. Port already has an attached device {}.",
                port.id, port.network_id, port.device_id
            ),
        ));
    }
    Ok(port)
}

/// A port the caller may see, or its 404.
pub fn visible_port(tx: &Tx<'_>, scope: &Scope, port_id: &str) -> Result<Port> {
    let doc = store::get_doc(tx, PORTS, port_id)?.ok_or_else(|| Error::port_not_found(port_id))?;
    let map: Map<String, Value> = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
    if !Ports.sees(scope, &map) {
        return Err(Error::port_not_found(port_id));
    }
    Ok(Port::from_doc(port_id, &doc)?)
}

/// The MTU of a port's network, if both exist (upstream's `_get_port_mtu`).
pub fn port_mtu(tx: &Tx<'_>, port_id: &str) -> Result<Option<u64>> {
    let Some(port) = load::<Port>(tx, port_id)? else {
        return Ok(None);
    };
    Ok(load::<Network>(tx, &port.network_id)?.map(|n| n.mtu))
}

/// Records that `trunk_id` uses its parent port. A port some other request put in a trunk
/// first is refused by the primary key.
pub fn claim_parent(tx: &Tx<'_>, trunk_id: &str, port_id: &str) -> Result<()> {
    let doc =
        serde_json::json!({"port_id": port_id, "trunk_id": trunk_id, "role": PARENT}).to_string();
    let columns = [
        ("trunk_id", ColumnValue::text(trunk_id)),
        ("role", ColumnValue::text(PARENT)),
        ("segmentation_type", ColumnValue::Null),
        ("segmentation_id", ColumnValue::Null),
    ];
    match store::insert_row(tx, TRUNK_PORTS, port_id, &columns, &doc) {
        Err(StoreError::Conflict(_)) => Err(match membership(tx, port_id)? {
            Some((_, role)) => already_in_trunk(port_id, &role),
            None => parent_port_in_use(port_id),
        }),
        other => Ok(other?),
    }
}

/// Records a sub-port of `trunk_id`. The database refuses a port already in a trunk and a
/// segmentation the trunk already uses; which one it was is read back for upstream's error.
pub fn claim_subport(tx: &Tx<'_>, trunk_id: &str, sub: &SubPort) -> Result<()> {
    let mut doc = serde_json::to_value(sub).map_err(|_| Error::internal())?;
    doc["trunk_id"] = Value::from(trunk_id);
    doc["role"] = Value::from(SUBPORT);
    let columns = [
        ("trunk_id", ColumnValue::text(trunk_id)),
        ("role", ColumnValue::text(SUBPORT)),
        (
            "segmentation_type",
            ColumnValue::text(sub.segmentation_type.clone()),
        ),
        ("segmentation_id", ColumnValue::Int(sub.segmentation_id)),
    ];
    match store::insert_row(tx, TRUNK_PORTS, &sub.port_id, &columns, &doc.to_string()) {
        Err(StoreError::Conflict(_)) => match membership(tx, &sub.port_id)? {
            // The same trunk twice is upstream's duplicate entry too.
            Some((owner, role)) if owner != trunk_id => Err(already_in_trunk(&sub.port_id, &role)),
            _ => Err(duplicate_subport(trunk_id, sub)),
        },
        other => Ok(other?),
    }
}

pub(crate) fn duplicate_subport(trunk_id: &str, sub: &SubPort) -> Error {
    Error::in_use(
        "DuplicateSubPort",
        format!(
            "segmentation_type {} and segmentation_id {} already in use on trunk {trunk_id}.",
            sub.segmentation_type, sub.segmentation_id
        ),
    )
}

/// Forgets every port of a trunk (its deletion).
pub fn release_all(tx: &Tx<'_>, trunk_id: &str) -> Result<()> {
    let sel = Selection::by("trunk_id", vec![trunk_id.to_string()]);
    for row in rows(tx, &sel)? {
        store::delete_row(tx, TRUNK_PORTS, text(&row, "port_id"))?;
    }
    Ok(())
}

/// Forgets one sub-port.
pub fn release(tx: &Tx<'_>, port_id: &str) -> Result<()> {
    store::delete_row(tx, TRUNK_PORTS, port_id)?;
    Ok(())
}

/// The sub-ports of each trunk, in the order they were added.
pub fn subports_of(tx: &Tx<'_>, trunk_ids: &[String]) -> Result<BTreeMap<String, Vec<SubPort>>> {
    let mut out: BTreeMap<String, Vec<SubPort>> = BTreeMap::new();
    for chunk in trunk_ids.chunks(500) {
        let sel = Selection::by("trunk_id", chunk.to_vec()).and("role", vec![SUBPORT.into()]);
        for row in rows(tx, &sel)? {
            let trunk_id = text(&row, "trunk_id").to_string();
            let sub: SubPort =
                serde_json::from_value(Value::Object(row)).map_err(|_| Error::internal())?;
            out.entry(trunk_id).or_default().push(sub);
        }
    }
    Ok(out)
}

/// Makes a port show that it is a sub-port, as upstream's trunk plugin and OVN driver do:
/// `device_owner` `trunk:subport`, `device_id` the trunk, the parent's host when the sub-port
/// is added to an existing trunk (`host`), and `binding:profile` `parent_name`/`tag`, which
/// the OVN back end turns into the Logical_Switch_Port's `parent_name` and `tag`.
pub fn bind(
    tx: &Tx<'_>,
    mut port: Port,
    trunk_id: &str,
    parent_id: &str,
    sub: &SubPort,
    host: Option<&str>,
) -> Result<()> {
    port.device_owner = SUBPORT_OWNER.into();
    port.device_id = trunk_id.into();
    if let Some(host) = host {
        port.host_id = host.into();
    }
    port.profile
        .insert("parent_name".into(), Value::from(parent_id));
    port.profile
        .insert("tag".into(), Value::from(sub.segmentation_id));
    port.std.touch();
    save_port(tx, &port)
}

/// Undoes [`bind`]: the port is an ordinary, unbound port again.
pub fn unbind(tx: &Tx<'_>, port_id: &str) -> Result<()> {
    let Some(mut port) = load::<Port>(tx, port_id)? else {
        return Ok(());
    };
    port.device_owner.clear();
    port.device_id.clear();
    port.host_id.clear();
    port.profile.remove("parent_name");
    port.profile.remove("tag");
    port.std.touch();
    save_port(tx, &port)
}

/// Upstream's `enforce_port_deletion_rules`: a port in a trunk cannot be deleted.
pub fn check_port_deletable(tx: &Tx<'_>, port_id: &str) -> Result<()> {
    match membership(tx, port_id)? {
        None => Ok(()),
        Some((trunk_id, Role::SubPort)) => Err(Error::in_use(
            "PortInUseAsSubPort",
            format!("Port {port_id} is currently a subport for trunk {trunk_id}."),
        )),
        Some((trunk_id, Role::Parent)) => Err(Error::in_use(
            "PortInUseAsTrunkParent",
            format!("Port {port_id} is currently a parent port for trunk {trunk_id}."),
        )),
    }
}

/// Whether any port is a trunk's parent: only then can ports show `trunk_details`.
pub fn any_parent(tx: &Tx<'_>) -> Result<bool> {
    Ok(store::exists(
        tx,
        TRUNK_PORTS,
        &Selection::by("role", vec![PARENT.into()]),
    )?)
}

/// `trunk-details`: a trunk's parent port shows `trunk_details: {trunk_id, sub_ports: [{..,
/// mac_address}]}`; other ports have no such key. One query for the parents of a whole list.
pub fn with_trunk_details(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    // Most clouds have few trunks: one cheap query spares every port list the lookups.
    if items.is_empty() || !any_parent(tx)? {
        return Ok(());
    }
    let ids: Vec<String> = items
        .iter()
        .filter_map(|p| p.get("id").and_then(Value::as_str).map(String::from))
        .collect();
    let mut trunk_of: BTreeMap<String, String> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let sel = Selection::by("id", chunk.to_vec()).and("role", vec![PARENT.into()]);
        for row in rows(tx, &sel)? {
            trunk_of.insert(
                text(&row, "port_id").to_string(),
                text(&row, "trunk_id").to_string(),
            );
        }
    }
    if trunk_of.is_empty() {
        return Ok(());
    }
    let trunk_ids: Vec<String> = trunk_of.values().cloned().collect();
    let subports = subports_of(tx, &trunk_ids)?;
    let sub_ids: Vec<String> = subports
        .values()
        .flatten()
        .map(|s| s.port_id.clone())
        .collect();
    let mut macs: BTreeMap<String, String> = BTreeMap::new();
    for doc in store::docs_by_id(tx, PORTS, &sub_ids)? {
        let port = Port::from_doc("", &doc)?;
        macs.insert(port.id, port.mac_address);
    }
    for item in items.iter_mut() {
        let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
        let Some(trunk_id) = trunk_of.get(id) else {
            continue;
        };
        let shown: Vec<Value> = subports
            .get(trunk_id)
            .into_iter()
            .flatten()
            .map(|s| {
                serde_json::json!({
                    "segmentation_id": s.segmentation_id,
                    "segmentation_type": s.segmentation_type,
                    "port_id": s.port_id,
                    "mac_address": macs.get(&s.port_id).cloned().unwrap_or_default(),
                })
            })
            .collect();
        item.insert(
            "trunk_details".into(),
            serde_json::json!({"trunk_id": trunk_id, "sub_ports": shown}),
        );
    }
    Ok(())
}
