//! Queries of routers' ports: which router a port belongs to and as what, and which routers
//! connect an internal subnet to an external network.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

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

pub fn insert_router_port(conn: &Connection, row: &RouterPortRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO router_ports (router_id, port_id, port_type, network_id) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![row.router_id, row.port_id, row.port_type, row.network_id])?;
    Ok(())
}

pub fn delete_router_port(conn: &Connection, port_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM router_ports WHERE port_id = ?1")?
        .execute([port_id])?;
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RouterPortRow> {
    Ok(RouterPortRow {
        router_id: r.get(0)?,
        port_id: r.get(1)?,
        port_type: r.get(2)?,
        network_id: r.get(3)?,
    })
}

/// Every port of a router, oldest first.
pub fn router_ports(conn: &Connection, router_id: &str) -> Result<Vec<RouterPortRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT router_id, port_id, port_type, network_id FROM router_ports WHERE router_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([router_id], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The router a port belongs to, if any.
pub fn router_port(conn: &Connection, port_id: &str) -> Result<Option<RouterPortRow>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT router_id, port_id, port_type, network_id FROM router_ports WHERE port_id = ?1",
        )?
        .query_row([port_id], row)
        .optional()?)
}

/// Is any router's gateway on the network?
pub fn network_has_gateway_ports(conn: &Connection, network_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM router_ports WHERE network_id = ?1 AND port_type = ?2)",
        )?
        .query_row(params![network_id, ROUTER_GATEWAY], |r| r.get(0))?)
}

/// Routers with an interface address on `subnet_id` (of `network_id`) and a gateway on
/// `external_network_id`: (router id, interface address), oldest interface first.
pub fn routers_between(
    conn: &Connection,
    network_id: &str,
    subnet_id: &str,
    external_network_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rp.router_id, a.ip_address FROM router_ports rp \
         JOIN ip_allocations a ON a.port_id = rp.port_id AND a.subnet_id = ?2 \
         WHERE rp.network_id = ?1 AND rp.port_type = ?4 \
         AND EXISTS (SELECT 1 FROM router_ports g WHERE g.router_id = rp.router_id \
                     AND g.port_type = ?5 AND g.network_id = ?3) \
         ORDER BY rp.rowid",
    )?;
    let rows = stmt.query_map(
        params![
            network_id,
            subnet_id,
            external_network_id,
            ROUTER_INTERFACE,
            ROUTER_GATEWAY
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A router interface port holding `ip_address` on `subnet_id`, if any.
pub fn router_port_with_address(
    conn: &Connection,
    subnet_id: &str,
    ip_address: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT rp.port_id FROM ip_allocations a JOIN router_ports rp ON rp.port_id = a.port_id \
             WHERE a.subnet_id = ?1 AND a.ip_address = ?2",
        )?
        .query_row(params![subnet_id, ip_address], |r| r.get(0))
        .optional()?)
}
