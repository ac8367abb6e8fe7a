//! Which service profiles serve which flavors (`flavor_service_profiles`).

use crate::StoreError;
use crate::tx::Tx;
use crate::value::Value;

/// Binds a profile to a flavor; false if they were bound already.
pub fn bind(tx: &Tx, flavor_id: &str, profile_id: &str) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT INTO flavor_service_profiles (flavor_id, service_profile_id) VALUES (?1, ?2) \
         ON CONFLICT DO NOTHING",
        &[flavor_id.into(), profile_id.into()],
    )? > 0)
}

/// Unbinds a profile from a flavor; false if they were not bound.
pub fn unbind(tx: &Tx, flavor_id: &str, profile_id: &str) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "DELETE FROM flavor_service_profiles WHERE flavor_id = ?1 AND service_profile_id = ?2",
        &[flavor_id.into(), profile_id.into()],
    )? > 0)
}

/// Are the two bound?
pub fn bound(tx: &Tx, flavor_id: &str, profile_id: &str) -> Result<bool, StoreError> {
    tx.flag(
        "SELECT EXISTS (SELECT 1 FROM flavor_service_profiles \
         WHERE flavor_id = ?1 AND service_profile_id = ?2)",
        &[flavor_id.into(), profile_id.into()],
    )
}

/// The (flavor, profile) pairs of the given flavors (`column` `flavor_id`) or profiles
/// (`service_profile_id`), oldest binding first.
fn pairs(tx: &Tx, column: &str, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|k| format!("?{k}")).collect();
    let sql = format!(
        "SELECT flavor_id, service_profile_id FROM flavor_service_profiles \
         WHERE {column} IN ({}) ORDER BY {}",
        marks.join(", "),
        tx.insertion_order()
    );
    let args: Vec<Value> = ids.iter().map(|id| id.as_str().into()).collect();
    tx.query(&sql, &args)?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect()
}

/// The bindings of the given flavors: (flavor, profile).
pub fn of_flavors(tx: &Tx, flavor_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    pairs(tx, "flavor_id", flavor_ids)
}

/// The bindings of the given profiles: (flavor, profile).
pub fn of_profiles(tx: &Tx, profile_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    pairs(tx, "service_profile_id", profile_ids)
}
