//! The `security_groups` attribute of ports: the project's default group on new ports with port
//! security, groups the port's project may use, no groups without port security, and the
//! port↔group rows that keep a group in use.

use serde_json::Value;

use neutrino_store::Tx;
use neutrino_store::{self as store};

use crate::attrs::{self, Body};
use crate::error::Failure;
use crate::model::Port;
use crate::security_group::{self, SecurityGroup};
use crate::{Caller, Error, Result};

/// Ports the network itself owns (router, DHCP, ...) carry no security groups.
fn trusted(device_owner: &str) -> bool {
    device_owner.starts_with("network:")
}

/// The requested groups: a list of UUIDs (`null` is empty), upstream's `uuid_list` check.
fn requested(b: &Body) -> Result<Option<Vec<String>>> {
    let invalid = |reason: String| Error::invalid_attr("security_groups", reason);
    let items = match b.get("security_groups") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(items)) => items,
        Some(v) => return Err(invalid(format!("'{}' is not a list", attrs::show(v)))),
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for v in items {
        match v {
            Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => out.push(s.clone()),
            other => {
                return Err(invalid(format!(
                    "'{}' is not a valid UUID",
                    attrs::show(other)
                )));
            }
        }
    }
    let mut sorted = out.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != out.len() {
        return Err(invalid(format!(
            "Duplicate items in the list: '{}'",
            out.join(", ")
        )));
    }
    Ok(Some(out))
}

fn security_needed() -> Error {
    Error::new(
        Failure::Invalid,
        "PortSecurityAndIPRequiredForSecurityGroups",
        "Port security must be enabled and port must have an IP address in order to use security groups.",
    )
}

/// Checks that the port's project may use every group, and that they are all stateful or all
/// stateless.
fn usable_groups(tx: &Tx<'_>, caller: &Caller, ids: &[String], project_id: &str) -> Result<()> {
    let mut missing = Vec::new();
    let mut groups: Vec<SecurityGroup> = Vec::new();
    for id in ids {
        match security_group::check_usable(tx, caller, id, project_id) {
            Ok(g) => groups.push(g),
            Err(e) if e.failure == Failure::NotFound => missing.push(id.as_str()),
            Err(e) => return Err(e),
        }
    }
    if !missing.is_empty() {
        return Err(security_group::not_found(&missing.join(", ")));
    }
    if groups.iter().any(|g| g.stateful) && groups.iter().any(|g| !g.stateful) {
        return Err(Error::conflict(
            "SecurityGroupConflict",
            "Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.",
        ));
    }
    Ok(())
}

/// The groups of a new port (before its row is written).
pub(crate) fn for_new_port(
    tx: &Tx<'_>,
    caller: &Caller,
    b: &Body,
    project_id: &str,
    port_security: bool,
    device_owner: &str,
) -> Result<Vec<String>> {
    let req = requested(b)?;
    if !port_security {
        if req.as_ref().is_some_and(|r| !r.is_empty()) {
            return Err(security_needed());
        }
        return Ok(Vec::new());
    }
    if trusted(device_owner) {
        return Ok(Vec::new());
    }
    match req {
        None => Ok(security_group::ensure_default(tx, caller, project_id)?
            .into_iter()
            .collect()),
        Some(ids) => {
            usable_groups(tx, caller, &ids, project_id)?;
            Ok(ids)
        }
    }
}

/// Applies a port update's `security_groups`, after its `port_security_enabled`.
pub(crate) fn on_update(tx: &Tx<'_>, caller: &Caller, b: &Body, port: &mut Port) -> Result<()> {
    security_group::ensure_default(tx, caller, &port.project_id)?;
    let req = requested(b)?;
    if !port.port_security_enabled {
        match &req {
            Some(ids) if !ids.is_empty() => return Err(security_needed()),
            None if !port.security_groups.is_empty() => {
                return Err(Error::conflict(
                    "PortSecurityPortHasSecurityGroup",
                    "Port has security group associated. Cannot disable port security or IP address until security group is removed.",
                ));
            }
            _ => {}
        }
    }
    let Some(ids) = req else { return Ok(()) };
    let ids = if trusted(&port.device_owner) {
        Vec::new()
    } else {
        ids
    };
    let (mut a, mut b) = (ids.clone(), port.security_groups.clone());
    a.sort();
    b.sort();
    if a == b {
        return Ok(());
    }
    usable_groups(tx, caller, &ids, &port.project_id)?;
    port.security_groups = ids;
    bind(tx, port)
}

/// Records which groups the port uses.
/// Records the groups of a port, replacing those it had.
pub(crate) fn bind(tx: &Tx<'_>, port: &Port) -> Result<()> {
    store::set_port_security_groups(tx, &port.id, &port.security_groups)?;
    Ok(())
}

/// Records the groups of a new port (it has none yet).
pub(crate) fn bind_new(tx: &Tx<'_>, port: &Port) -> Result<()> {
    store::add_port_security_groups(tx, &port.id, &port.security_groups)?;
    Ok(())
}
