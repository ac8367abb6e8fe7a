//! `subnet_onboard`: `PUT /v2.0/subnetpools/{id}/onboard_network_subnets` with
//! `{"network_id": ...}` takes a network's subnets of the pool's IP version into the pool: their
//! CIDRs join the pool's prefixes, each subnet names the pool (and its network the pool's address
//! scope). A CIDR overlapping a block the pool already gave out is refused, as upstream's
//! `_onboard_network_subnets` does. The answer lists the onboarded subnets' `id` and `cidr`.

use serde_json::{Map, Value, json};

use neutrino_store::tables::{SUBNETPOOL_SUBNETS, SUBNETS};
use neutrino_store::{self as store, Selection, Tx};

use crate::model::{Network, Resource, Subnet};
use crate::read::{load, load_for_change};
use crate::subnetpool::{SubnetPool, SubnetPools, check_associations, check_prefixes, save};
use crate::{Caller, Error, Result};

fn illegal_update(reason: String) -> Error {
    Error::bad_request(format!("Illegal subnetpool update : {reason}."))
        .with_kind("IllegalSubnetPoolUpdate")
}

pub(crate) fn onboard(
    tx: &Tx<'_>,
    caller: &Caller,
    pool_id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    let mut pool: SubnetPool = load_for_change(
        tx,
        caller,
        &SubnetPools,
        pool_id,
        "rule:onboard_network_subnets",
    )?;
    let network_id = match body.get("network_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(Error::invalid_input("network_id must be specified.")),
    };
    let mut net =
        load::<Network>(tx, &network_id)?.ok_or_else(|| Error::network_not_found(&network_id))?;
    let subnets: Vec<Subnet> = store::list_docs(
        tx,
        SUBNETS,
        &Selection::by("network_id", vec![network_id.clone()]),
    )?
    .iter()
    .map(|d| Subnet::from_doc(&network_id, d))
    .collect::<std::result::Result<Vec<_>, _>>()?
    .into_iter()
    .filter(|s| s.ip_version == pool.ip_version)
    .collect();
    let allocated = pool.allocations(tx, None)?;
    for s in &subnets {
        if neutrino_ipam::prefixes::sets_overlap(&allocated, &[s.cidr]) {
            return Err(illegal_update(format!(
                "Onboarding subnet {}: {} conflicts with allocated prefixes in subnet pool {}",
                s.id, s.cidr, pool.id
            )));
        }
    }
    if !subnets.is_empty() {
        let mut all = pool.prefixes.clone();
        all.extend(subnets.iter().map(|s| s.cidr));
        pool.prefixes = check_prefixes(&all)?.1;
        check_associations(tx, caller, &pool)?;
        pool.std.touch();
        save(tx, &pool)?;
    }
    let mut onboarded = Vec::new();
    for mut s in subnets {
        // A subnet of another pool leaves it for this one.
        if s.subnetpool_id.is_some() {
            store::delete_row(tx, SUBNETPOOL_SUBNETS, &s.id)?;
        }
        s.subnetpool_id = Some(pool.id.clone());
        s.std.touch();
        store::update_doc(tx, SUBNETS, &s.id, &s.to_doc())?;
        crate::pool_subnets::record(tx, &s, &pool, &mut net)?;
        onboarded.push(json!({"id": s.id, "cidr": s.cidr.to_string()}));
    }
    if !onboarded.is_empty() {
        net.std.touch();
        crate::network::save(tx, &net)?;
    }
    Ok(Value::Array(onboarded))
}
