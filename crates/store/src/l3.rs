//! Queries of routers' ports: which router a port belongs to and as what, and which routers
//! connect an internal subnet to an external network.

use crate::StoreError;
use crate::tx::Tx;
use crate::value::Row;

/// `device_owner` of a router's interface port.
pub const ROUTER_INTERFACE: &str = "network:router_interface";
/// `device_owner` of a router's gateway port.
pub const ROUTER_GATEWAY: &str = "network:router_gateway";

/// One port of a router.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterPortRow {
    pub router_id: String,
    pub port_id: String,
    pub port_type: String,
    pub network_id: String,
}

pub fn insert_router_port(tx: &Tx, row: &RouterPortRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO router_ports (router_id, port_id, port_type, network_id) VALUES (?1, ?2, ?3, ?4)",
        &[
            (&row.router_id).into(),
            (&row.port_id).into(),
            (&row.port_type).into(),
            (&row.network_id).into(),
        ],
    )?;
    Ok(())
}

pub fn delete_router_port(tx: &Tx, port_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM router_ports WHERE port_id = ?1",
        &[port_id.into()],
    )?;
    Ok(())
}

fn row(r: &Row) -> Result<RouterPortRow, StoreError> {
    Ok(RouterPortRow {
        router_id: r.text(0)?,
        port_id: r.text(1)?,
        port_type: r.text(2)?,
        network_id: r.text(3)?,
    })
}

/// Every port of a router, oldest first.
pub fn router_ports(tx: &Tx, router_id: &str) -> Result<Vec<RouterPortRow>, StoreError> {
    let sql = format!(
        "SELECT router_id, port_id, port_type, network_id FROM router_ports WHERE router_id = ?1 ORDER BY {}",
        tx.insertion_order()
    );
    tx.query(&sql, &[router_id.into()])?
        .iter()
        .map(row)
        .collect()
}

/// The router a port belongs to, if any.
pub fn router_port(tx: &Tx, port_id: &str) -> Result<Option<RouterPortRow>, StoreError> {
    tx.query_opt(
        "SELECT router_id, port_id, port_type, network_id FROM router_ports WHERE port_id = ?1",
        &[port_id.into()],
    )?
    .as_ref()
    .map(row)
    .transpose()
}

/// Is any router's gateway on the network?
pub fn network_has_gateway_ports(tx: &Tx, network_id: &str) -> Result<bool, StoreError> {
    tx.flag(
        "SELECT EXISTS (SELECT 1 FROM router_ports WHERE network_id = ?1 AND port_type = ?2)",
        &[network_id.into(), ROUTER_GATEWAY.into()],
    )
}

/// The projects of the routers whose gateway is on the network.
pub fn gateway_router_projects(tx: &Tx, network_id: &str) -> Result<Vec<String>, StoreError> {
    tx.texts(
        "SELECT DISTINCT r.project_id FROM router_ports rp JOIN routers r ON r.id = rp.router_id \
         WHERE rp.network_id = ?1 AND rp.port_type = ?2",
        &[network_id.into(), ROUTER_GATEWAY.into()],
    )
}

/// Routers with an interface address on `subnet_id` (of `network_id`) and a gateway on
/// `external_network_id`: (router id, interface address), oldest interface first.
pub fn routers_between(
    tx: &Tx,
    network_id: &str,
    subnet_id: &str,
    external_network_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = format!(
        "SELECT rp.router_id, a.ip_address FROM router_ports rp \
         JOIN ip_allocations a ON a.port_id = rp.port_id AND a.subnet_id = ?2 \
         WHERE rp.network_id = ?1 AND rp.port_type = ?4 \
         AND EXISTS (SELECT 1 FROM router_ports g WHERE g.router_id = rp.router_id \
                     AND g.port_type = ?5 AND g.network_id = ?3) \
         ORDER BY rp.{}",
        tx.insertion_order()
    );
    tx.query(
        &sql,
        &[
            network_id.into(),
            subnet_id.into(),
            external_network_id.into(),
            ROUTER_INTERFACE.into(),
            ROUTER_GATEWAY.into(),
        ],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?)))
    .collect()
}

/// A router interface port holding `ip_address` on `subnet_id`, if any.
pub fn router_port_with_address(
    tx: &Tx,
    subnet_id: &str,
    ip_address: &str,
) -> Result<Option<String>, StoreError> {
    tx.query_opt(
        "SELECT rp.port_id FROM ip_allocations a JOIN router_ports rp ON rp.port_id = a.port_id \
         WHERE a.subnet_id = ?1 AND a.ip_address = ?2",
        &[subnet_id.into(), ip_address.into()],
    )?
    .map(|r| r.text(0))
    .transpose()
}

/// A stored router's document, parsed.
fn router_doc(id: &str, doc: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        table: "routers",
        id: id.to_owned(),
        reason: e.to_string(),
    })
}

/// Migration `0025_routers`: routers stored before it get the flags upstream's OVN provider
/// gives every router, in place (no new revision: nothing the data plane uses changes):
/// `ha` true (OVN routers are HA) and `enable_snat` (`router-enable-snat`), their gateway's or
/// true. The document's text keeps its key order; `enable_snat` follows `ha`.
pub(crate) fn backfill_router_flags(tx: &Tx) -> Result<(), StoreError> {
    for row in tx.query("SELECT id, doc FROM routers", &[])? {
        let (id, doc) = (row.text(0)?, row.text(1)?);
        let parsed = router_doc(&id, &doc)?;
        if parsed.get("enable_snat").is_some() {
            continue;
        }
        let snat = parsed["external_gateway_info"]["enable_snat"]
            .as_bool()
            .unwrap_or(true);
        let flags = format!("\"ha\":true,\"enable_snat\":{snat}");
        let updated = if doc.contains("\"ha\":false") {
            doc.replacen("\"ha\":false", &flags, 1)
        } else if doc.contains("\"ha\":true") {
            doc.replacen("\"ha\":true", &flags, 1)
        } else {
            continue;
        };
        tx.execute(
            "UPDATE routers SET doc = ?1 WHERE id = ?2",
            &[updated.as_str().into(), id.as_str().into()],
        )?;
    }
    Ok(())
}

/// Migration `0028_router_gateways`: routers stored before it show their one gateway (if any)
/// as `external_gateways`, upstream's `{network_id, external_fixed_ips}`, appended to the
/// document in place (no new revision: the gateway is the same).
pub(crate) fn backfill_router_gateways(tx: &Tx) -> Result<(), StoreError> {
    for row in tx.query("SELECT id, doc FROM routers", &[])? {
        let (id, doc) = (row.text(0)?, row.text(1)?);
        let parsed = router_doc(&id, &doc)?;
        if parsed.get("external_gateways").is_some() || !doc.ends_with('}') {
            continue;
        }
        let info = &parsed["external_gateway_info"];
        let gateways = match info.get("network_id") {
            Some(network_id) => serde_json::json!([{
                "network_id": network_id,
                "external_fixed_ips": info.get("external_fixed_ips").cloned().unwrap_or_else(|| serde_json::json!([])),
            }]),
            None => serde_json::json!([]),
        };
        let updated = format!(
            "{},\"external_gateways\":{gateways}}}",
            &doc[..doc.len() - 1]
        );
        tx.execute(
            "UPDATE routers SET doc = ?1 WHERE id = ?2",
            &[updated.as_str().into(), id.as_str().into()],
        )?;
    }
    Ok(())
}
