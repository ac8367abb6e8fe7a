//! `binding-extended`: `/v2.0/ports/{id}/bindings[/{host}[/activate]]`, the bindings of a port
//! on several hosts that a live migration uses (the compute service binds the port on the target
//! host, moves the instance, activates the target's binding and deletes the source's). The
//! active binding is the port's own `binding:*` attributes; the inactive ones are rows of
//! `port_bindings`. Every change is a new revision of the port.
//!
//! As upstream's ML2 plugin: only compute (`compute:*`) and shared file system (`manila:*`)
//! ports have bindings here (400 otherwise); a new binding is inactive while the port has an
//! active one, which it always has (unbound, on host `""`, until a host binds it); a binding is
//! bound at once — with the OVN back end, on a host with a live chassis (`ovs`), else it fails
//! (500 `PortBindingError`). Reading bindings is for admins and services, changing them for the
//! `service` role only (upstream's policy).

use serde_json::{Map, Value, json};

use neutrino_store::tables::PORT_BINDINGS;
use neutrino_store::{self as store, ColumnValue, Selection, Tx};

use crate::attrs::{self, Body};
use crate::model::Port;
use crate::port::save_port;
use crate::read::load;
use crate::{Caller, Error, Failure, Networking, Result};

pub const ACTIVE: &str = "ACTIVE";
pub const INACTIVE: &str = "INACTIVE";

const VNIC_TYPES: &[&str] = &[
    "normal",
    "direct",
    "macvtap",
    "baremetal",
    "direct-physical",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "accelerator-direct",
    "accelerator-direct-physical",
    "remote-managed",
];

/// A binding as the API shows it.
fn view(
    host: &str,
    vif_type: &str,
    vnic_type: &str,
    status: &str,
    profile: &Value,
    vif_details: &Value,
) -> Map<String, Value> {
    let v = json!({
        "host": host,
        "vif_type": vif_type,
        "vnic_type": vnic_type,
        "status": status,
        "profile": profile,
        "vif_details": vif_details,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn active_view(port: &Port) -> Map<String, Value> {
    view(
        &port.host_id,
        &port.vif_type,
        &port.vnic_type,
        ACTIVE,
        &Value::Object(port.profile.clone()),
        &Value::Object(port.vif_details.clone()),
    )
}

fn row_id(port_id: &str, host: &str) -> String {
    format!("{port_id}/{host}")
}

fn not_found(port_id: &str, host: &str) -> Error {
    Error::not_found(
        "PortBindingNotFound",
        format!("Binding for port {port_id} for host {host} could not be found."),
    )
}

/// The port, if it may have bindings.
fn load_port(tx: &Tx<'_>, port_id: &str) -> Result<Port> {
    let port = load::<Port>(tx, port_id)?.ok_or_else(|| Error::port_not_found(port_id))?;
    if !port.device_owner.starts_with("compute:") && !port.device_owner.starts_with("manila:") {
        return Err(Error::new(
            Failure::Invalid,
            "BadRequest",
            format!(
                "Bad port request: Invalid port {port_id}. Operation only valid on compute and shared filesystem ports."
            ),
        ));
    }
    Ok(port)
}

/// The inactive bindings of a port, by host.
fn inactive(tx: &Tx<'_>, port_id: &str) -> Result<Vec<Map<String, Value>>> {
    store::list_docs(
        tx,
        PORT_BINDINGS,
        &Selection::by("port_id", vec![port_id.to_owned()]),
    )?
    .iter()
    .map(|d| serde_json::from_str(d).map_err(|_| Error::internal()))
    .collect()
}

fn inactive_on(tx: &Tx<'_>, port_id: &str, host: &str) -> Result<Option<Map<String, Value>>> {
    store::get_doc(tx, PORT_BINDINGS, &row_id(port_id, host))?
        .map(|d| serde_json::from_str(&d).map_err(|_| Error::internal()))
        .transpose()
}

fn put_inactive(tx: &Tx<'_>, port_id: &str, binding: &Map<String, Value>) -> Result<()> {
    let host = binding
        .get("host")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut b = binding.clone();
    b.insert("status".into(), INACTIVE.into());
    store::insert_row(
        tx,
        PORT_BINDINGS,
        &row_id(port_id, host),
        &[
            ("port_id", ColumnValue::Text(port_id.to_owned())),
            ("host", ColumnValue::Text(host.to_owned())),
        ],
        &Value::Object(b).to_string(),
    )?;
    Ok(())
}

/// What a host's binding gets from the back end: with a live chassis there, OVN's VIF (as the
/// Southbound task writes it for an active port); without one, the binding fails.
fn bind(tx: &Tx<'_>, port_id: &str, host: &str) -> Result<(String, Value)> {
    let now = store::unix_time_ms();
    let chassis_there = store::agents::agents(tx)?.iter().any(|a| {
        now < a.alive_until_ms
            && serde_json::from_str::<Value>(&a.doc)
                .ok()
                .is_some_and(|d| d["host"].as_str() == Some(host))
    });
    if !chassis_there {
        return Err(Error::new(
            Failure::Internal,
            "PortBindingError",
            format!("Binding for port {port_id} on host {host} could not be created or updated."),
        ));
    }
    Ok((
        "ovs".into(),
        json!({"port_filter": true, "connectivity": "l2", "bridge_name": "br-int",
               "bound_drivers": {"0": "ovn"}}),
    ))
}

fn check_reader(caller: &Caller) -> Result<()> {
    if caller.is_admin() || caller.has_role("service") {
        Ok(())
    } else {
        Err(Error::policy("rule:get_port_binding"))
    }
}

fn check_service(caller: &Caller, rule: &str) -> Result<()> {
    if caller.has_role("service") {
        Ok(())
    } else {
        Err(Error::policy(&format!("rule:{rule}")))
    }
}

/// The binding a create request asks for: `host` (required, a string), `vnic_type` (upstream's
/// values, `normal` by default), `profile` (an object or null).
fn requested(body: &Map<String, Value>) -> Result<(String, String, Value)> {
    for key in body.keys() {
        if !["host", "vnic_type", "profile", "project_id", "tenant_id"].contains(&key.as_str()) {
            return Err(Error::bad_request(format!(
                "Unrecognized attribute(s) '{key}'"
            )));
        }
    }
    let b = Body(body);
    let host = match body.get("host") {
        Some(Value::String(h)) => h.clone(),
        Some(v) => {
            return Err(Error::invalid_attr(
                "host",
                format!("'{}' is not a valid string", attrs::show(v)),
            ));
        }
        None => {
            return Err(Error::bad_request(
                "Failed to parse request. Required attribute 'host' not specified",
            ));
        }
    };
    let vnic_type = b
        .string("vnic_type", 64)?
        .unwrap_or_else(|| "normal".into());
    if !VNIC_TYPES.contains(&vnic_type.as_str()) {
        return Err(Error::invalid_attr(
            "vnic_type",
            format!("{vnic_type} is not in valid_values"),
        ));
    }
    let profile = match body.get("profile") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(m)) => Value::Object(m.clone()),
        Some(v) => {
            return Err(Error::invalid_attr(
                "profile",
                format!("'{}' is not a dictionary", attrs::show(v)),
            ));
        }
    };
    Ok((host, vnic_type, profile))
}

fn create(
    tx: &Tx<'_>,
    caller: &Caller,
    port_id: &str,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    check_service(caller, "create_port_binding")?;
    let (host, vnic_type, profile) = requested(body)?;
    let mut port = load_port(tx, port_id)?;
    if port.host_id == host || inactive_on(tx, port_id, &host)?.is_some() {
        return Err(Error::conflict(
            "PortBindingAlreadyExists",
            format!("Binding for port {port_id} on host {host} already exists."),
        ));
    }
    let (vif_type, vif_details) = bind(tx, port_id, &host)?;
    let binding = view(
        &host,
        &vif_type,
        &vnic_type,
        INACTIVE,
        &profile,
        &vif_details,
    );
    put_inactive(tx, port_id, &binding)?;
    port.std.touch();
    save_port(tx, &port)?;
    Ok(binding)
}

fn activate(tx: &Tx<'_>, caller: &Caller, port_id: &str, host: &str) -> Result<Map<String, Value>> {
    check_service(caller, "activate")?;
    let mut port = load_port(tx, port_id)?;
    if port.host_id == host {
        return Err(Error::conflict(
            "PortBindingAlreadyActive",
            format!("Binding for port {port_id} on host {host} is already active."),
        ));
    }
    let target = inactive_on(tx, port_id, host)?.ok_or_else(|| not_found(port_id, host))?;
    store::delete_row(tx, PORT_BINDINGS, &row_id(port_id, host))?;
    // The binding that was active stays, inactive, until the compute service deletes it (an
    // unbound port's binding on no host has nothing to keep).
    if !port.host_id.is_empty() {
        put_inactive(tx, port_id, &active_view(&port))?;
    }
    let text = |k: &str| {
        target
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let object = |k: &str| match target.get(k) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    port.host_id = host.to_owned();
    port.vif_type = text("vif_type");
    port.vnic_type = text("vnic_type");
    port.profile = object("profile");
    port.vif_details = object("vif_details");
    // Down until the data plane reports the port up on its new host.
    port.status = "DOWN".into();
    port.std.touch();
    save_port(tx, &port)?;
    Ok(active_view(&port))
}

fn delete(tx: &Tx<'_>, caller: &Caller, port_id: &str, host: &str) -> Result<()> {
    check_service(caller, "delete_port_binding")?;
    let mut port = load_port(tx, port_id)?;
    if inactive_on(tx, port_id, host)?.is_some() {
        store::delete_row(tx, PORT_BINDINGS, &row_id(port_id, host))?;
    } else if port.host_id == host && !host.is_empty() {
        // The active binding goes: the port is unbound.
        port.host_id.clear();
        port.vif_type = "unbound".into();
        port.vif_details = Map::new();
        port.profile = Map::new();
        port.status = "DOWN".into();
    } else {
        return Err(not_found(port_id, host));
    }
    port.std.touch();
    save_port(tx, &port)?;
    Ok(())
}

/// A filter of a bindings list: the attribute and the values it may take.
pub type Filter = (String, Vec<String>);

const FILTERS: &[&str] = &["host", "vif_type", "vnic_type", "status"];

impl Networking {
    /// `GET /v2.0/ports/{id}/bindings`: the active binding, then the inactive ones by host.
    pub async fn port_bindings(
        &self,
        caller: &Caller,
        port_id: &str,
        filters: Vec<Filter>,
    ) -> Result<Vec<Map<String, Value>>> {
        if let Some((k, _)) = filters.iter().find(|(k, _)| !FILTERS.contains(&k.as_str())) {
            return Err(Error::bad_request(format!(
                "{k} is not a valid filter for binding"
            )));
        }
        if check_reader(caller).is_err() {
            return Ok(Vec::new());
        }
        let port_id = port_id.to_owned();
        self.store
            .read(move |tx| {
                let port = load_port(tx, &port_id)?;
                let mut all = vec![active_view(&port)];
                let mut rest = inactive(tx, &port_id)?;
                rest.sort_by(|a, b| a["host"].as_str().cmp(&b["host"].as_str()));
                all.extend(rest);
                Ok(all
                    .into_iter()
                    .filter(|b| {
                        filters.iter().all(|(k, vs)| {
                            vs.iter()
                                .any(|v| b.get(k).and_then(Value::as_str) == Some(v.as_str()))
                        })
                    })
                    .collect())
            })
            .await
    }

    /// `GET /v2.0/ports/{id}/bindings/{host}`.
    pub async fn port_binding(
        &self,
        caller: &Caller,
        port_id: &str,
        host: &str,
    ) -> Result<Map<String, Value>> {
        let (caller, port_id, host) = (caller.clone(), port_id.to_owned(), host.to_owned());
        self.store
            .read(move |tx| {
                let port = load_port(tx, &port_id)?;
                if check_reader(&caller).is_err() {
                    return Err(not_found(&port_id, &host));
                }
                if port.host_id == host {
                    return Ok(active_view(&port));
                }
                inactive_on(tx, &port_id, &host)?.ok_or_else(|| not_found(&port_id, &host))
            })
            .await
    }

    /// `POST /v2.0/ports/{id}/bindings` with `{"binding": {host, vnic_type, profile}}`.
    pub async fn create_port_binding(
        &self,
        caller: &Caller,
        port_id: &str,
        body: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let (caller, port_id) = (caller.clone(), port_id.to_owned());
        self.store
            .write(move |tx| create(tx, &caller, &port_id, &body))
            .await
    }

    /// `PUT /v2.0/ports/{id}/bindings/{host}/activate`.
    pub async fn activate_port_binding(
        &self,
        caller: &Caller,
        port_id: &str,
        host: &str,
    ) -> Result<Map<String, Value>> {
        let (caller, port_id, host) = (caller.clone(), port_id.to_owned(), host.to_owned());
        self.store
            .write(move |tx| activate(tx, &caller, &port_id, &host))
            .await
    }

    /// `DELETE /v2.0/ports/{id}/bindings/{host}`.
    pub async fn delete_port_binding(
        &self,
        caller: &Caller,
        port_id: &str,
        host: &str,
    ) -> Result<()> {
        let (caller, port_id, host) = (caller.clone(), port_id.to_owned(), host.to_owned());
        self.store
            .write(move |tx| delete(tx, &caller, &port_id, &host))
            .await
    }
}
