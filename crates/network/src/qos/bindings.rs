//! `qos_policy_id` of networks, ports, floating IPs and router gateways: what a request may
//! set (a policy the caller sees), the project's default policy for a new network (`qos-default`,
//! where upstream applies it), and the `qos_bindings` rows that let a policy's delete find who
//! uses it without reading every port. The object's document holds the id; its binding row is
//! written beside it.

use serde_json::{Map, Value, json};

use neutrino_store::tables::{QOS_BINDINGS, QOS_POLICIES};
use neutrino_store::{self as store, ColumnValue, Selection, Tx};

use crate::attrs::{self, Body};
use crate::read::Scope;
use crate::{Caller, Collection, Error, Result};

use super::policy::{QosPolicies, load_visible};

/// The `qos_policy_id` of a request: absent, `null`, or the id of a policy the caller sees.
fn requested(
    tx: &Tx<'_>,
    caller: &Caller,
    body: &Map<String, Value>,
) -> Result<Option<Option<String>>> {
    match Body(body).get("qos_policy_id") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => {
            load_visible(tx, caller, s)?;
            Ok(Some(Some(s.clone())))
        }
        Some(v) => Err(Error::invalid_attr(
            "qos_policy_id",
            format!("'{}' is not a valid UUID", attrs::show(v)),
        )),
    }
}

/// The default policy of a project, if it has one.
fn project_default(tx: &Tx<'_>, project_id: &str) -> Result<Option<String>> {
    let sel = Selection::by("default_project", vec![project_id.to_string()]);
    Ok(store::column_values(tx, QOS_POLICIES, "id", &sel)?
        .into_iter()
        .next())
}

fn bind(
    tx: &Tx<'_>,
    object_type: &str,
    object_id: &str,
    project_id: &str,
    policy_id: &str,
) -> Result<()> {
    let doc = json!({"object_type": object_type, "object_id": object_id, "policy_id": policy_id})
        .to_string();
    let text = |s: &str| ColumnValue::Text(s.to_string());
    store::insert_row(
        tx,
        QOS_BINDINGS,
        object_id,
        &[
            ("object_type", text(object_type)),
            ("policy_id", text(policy_id)),
            ("project_id", text(project_id)),
        ],
        &doc,
    )?;
    Ok(())
}

/// Forgets the policy of an object that goes away.
pub(crate) fn unbind(tx: &Tx<'_>, object_id: &str) -> Result<()> {
    store::delete_row(tx, QOS_BINDINGS, object_id)?;
    Ok(())
}

/// The policy of a new network or port: the one requested, else (networks only, as upstream)
/// the project's default policy.
pub(crate) fn bind_on_create(
    tx: &Tx<'_>,
    caller: &Caller,
    object_type: &str,
    object_id: &str,
    project_id: &str,
    body: &Map<String, Value>,
) -> Result<Option<String>> {
    let mut policy = requested(tx, caller, body)?.flatten();
    if policy.is_none() && object_type == "network" {
        policy = project_default(tx, project_id)?;
    }
    if let Some(p) = &policy {
        bind(tx, object_type, object_id, project_id, p)?;
    }
    Ok(policy)
}

/// Applies a requested change (if the request names `qos_policy_id`, `null` included) to an
/// object's `policy`. As upstream, a caller may only take away a policy it can see.
pub(crate) fn bind_on_update(
    tx: &Tx<'_>,
    caller: &Caller,
    object_type: &str,
    object_id: &str,
    project_id: &str,
    policy: &mut Option<String>,
    body: &Map<String, Value>,
) -> Result<()> {
    let Some(new) = requested(tx, caller, body)? else {
        return Ok(());
    };
    if let Some(old) = policy.as_deref() {
        check_may_remove(tx, caller, old)?;
        unbind(tx, object_id)?;
    }
    if let Some(p) = &new {
        bind(tx, object_type, object_id, project_id, p)?;
    }
    *policy = new;
    Ok(())
}

fn check_may_remove(tx: &Tx<'_>, caller: &Caller, policy_id: &str) -> Result<()> {
    let Some(doc) = store::get_doc(tx, QOS_POLICIES, policy_id)? else {
        return Ok(());
    };
    let map: Map<String, Value> = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
    if QosPolicies.sees(&Scope::load(tx, caller)?, &map) {
        return Ok(());
    }
    Err(Error::new(
        crate::Failure::Policy,
        "PolicyRemoveAuthorizationError",
        format!("Failed to remove provided policy {policy_id} because you are not authorized."),
    ))
}
