//! Routers whose gateway chassis an administrator scheduled by hand
//! (`l3-agent-scheduler-ha-chassis-priority`): each such router's chassis with their priorities.
//! A router without a schedule has the chassis the back end computes. The rules record a change
//! here as a new revision of the router, so the back ends learn it from the change feed.

use std::collections::BTreeMap;

use crate::StoreError;
use crate::tx::Tx;

/// Gateway chassis and their `HA_Chassis` priorities, highest first.
pub type Schedule = Vec<(String, i64)>;

fn collect(rows: Vec<crate::Row>) -> Result<BTreeMap<String, Schedule>, StoreError> {
    let mut all: BTreeMap<String, Schedule> = BTreeMap::new();
    for r in &rows {
        let entry = all.entry(r.text(0)?).or_default();
        if let Some(chassis) = r.opt_text(1)? {
            entry.push((chassis, r.int(2)?));
        }
    }
    Ok(all)
}

const SELECT: &str = "SELECT s.router_id, c.chassis, c.priority FROM router_schedules s \
     LEFT JOIN router_schedule_chassis c ON c.router_id = s.router_id";
const ORDER: &str = "ORDER BY s.router_id, c.priority DESC";

/// The schedule of a router, if it has one (it may list no chassis).
pub fn schedule(tx: &Tx, router_id: &str) -> Result<Option<Schedule>, StoreError> {
    let rows = tx.query(
        &format!("{SELECT} WHERE s.router_id = ?1 {ORDER}"),
        &[router_id.into()],
    )?;
    Ok(collect(rows)?.remove(router_id))
}

/// Every router's schedule, by router id.
pub fn schedules(tx: &Tx) -> Result<BTreeMap<String, Schedule>, StoreError> {
    collect(tx.query(&format!("{SELECT} {ORDER}"), &[])?)
}

/// Replaces a router's schedule (the router must exist).
pub fn set_schedule(tx: &Tx, router_id: &str, chassis: &[(String, i64)]) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO router_schedules (router_id) VALUES (?1) ON CONFLICT DO NOTHING",
        &[router_id.into()],
    )?;
    tx.execute(
        "DELETE FROM router_schedule_chassis WHERE router_id = ?1",
        &[router_id.into()],
    )?;
    for (name, priority) in chassis {
        tx.execute(
            "INSERT INTO router_schedule_chassis (router_id, chassis, priority) \
             VALUES (?1, ?2, ?3)",
            &[router_id.into(), name.as_str().into(), (*priority).into()],
        )?;
    }
    Ok(())
}
