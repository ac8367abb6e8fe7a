//! Floating IP port forwardings (`/v2.0/floatingips/{id}/port_forwardings`): a TCP or UDP port
//! (or range) of a floating IP that is not associated with a port, forwarded to a fixed IPv4
//! address of an internal port whose network a router connects to the floating network.
//!
//! Upstream's rules (`pf_plugin.py`): a floating IP either has an association or forwardings;
//! the first forwarding puts the floating IP on the internal port's router and the last one
//! takes it off; ranges are N-to-N or N-to-1 and must not overlap on a floating IP and protocol
//! (outside) nor on an internal port, address and protocol (inside). A forwarding belongs to its
//! floating IP: whoever may see the floating IP may read it, its owner may change it, and every
//! change is a new revision of the floating IP (upstream's `revises_on_change`), which is also
//! how the OVN back end hears of it.
//!
//! Here: the stored forwarding and what other resources' rules ask of it (a floating IP's
//! `port_forwardings`, a port or interface going); [`request`] reads a request's values,
//! [`rules`] creates, changes and deletes, [`collection`] describes the list.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::{FLOATINGIPS, PORT_FORWARDINGS};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Tx, Visible, l3};

use crate::attrs::{self, Attr, Body, Op, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::floatingip::{FloatingIp, FloatingIps};
use crate::model::{Port, Resource, Subnet};
use crate::read::{Scope, field, load};
use crate::router::{bad_request, to_map};
use crate::{Caller, Error, Networking, Result};

const RESOURCE: &str = "port_forwarding";

mod collection;
mod request;
mod rules;

pub use collection::PortForwardings;
pub use request::PortRange;

/// Filters upstream refuses by name (`FIELDS_NOT_SUPPORT_FILTER`).
pub const UNFILTERABLE: [&str; 2] = ["internal_ip_address", "internal_port"];

/// A stored port forwarding.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortForwarding {
    pub id: String,
    pub floatingip_id: String,
    /// The floating IP's project.
    pub project_id: String,
    pub protocol: String,
    pub internal_port_id: String,
    pub internal_ip_address: String,
    pub external: PortRange,
    pub internal: PortRange,
    #[serde(default)]
    pub description: String,
}

impl PortForwarding {
    /// The API's view: single ports as `external_port`/`internal_port`, every range as
    /// `*_port_range` (`"80:80"` for one port, as upstream shows it).
    pub fn view(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("protocol".into(), self.protocol.clone().into());
        m.insert(
            "internal_ip_address".into(),
            self.internal_ip_address.clone().into(),
        );
        m.insert(
            "internal_port_id".into(),
            self.internal_port_id.clone().into(),
        );
        if let Some(p) = self.internal.single() {
            m.insert("internal_port".into(), p.into());
        }
        if let Some(p) = self.external.single() {
            m.insert("external_port".into(), p.into());
        }
        m.insert(
            "internal_port_range".into(),
            self.internal.to_string().into(),
        );
        m.insert(
            "external_port_range".into(),
            self.external.to_string().into(),
        );
        m.insert("description".into(), self.description.clone().into());
        m
    }

    /// What a floating IP shows of it (`expose-port-forwarding-in-fip` with
    /// `floating-ip-port-forwarding-detail`).
    fn embedded(&self) -> Value {
        let mut m = self.view();
        m.retain(|k, _| {
            [
                "id",
                "internal_ip_address",
                "protocol",
                "internal_port",
                "external_port",
                "internal_port_id",
            ]
            .contains(&k.as_str())
        });
        Value::Object(m)
    }

    fn columns(&self) -> [(&'static str, ColumnValue); 9] {
        let text = |s: &str| ColumnValue::Text(s.to_string());
        [
            ("floatingip_id", text(&self.floatingip_id)),
            ("project_id", text(&self.project_id)),
            ("internal_port_id", text(&self.internal_port_id)),
            ("protocol", text(&self.protocol)),
            ("internal_ip_address", text(&self.internal_ip_address)),
            ("external_port_start", ColumnValue::Int(self.external.start)),
            ("external_port_end", ColumnValue::Int(self.external.end)),
            ("internal_port_start", ColumnValue::Int(self.internal.start)),
            ("internal_port_end", ColumnValue::Int(self.internal.end)),
        ]
    }

    fn doc(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|_| Error::internal())
    }
}

pub(crate) fn not_found(id: &str) -> Error {
    Error::not_found(
        "PortForwardingNotFound",
        format!("Port Forwarding {id} could not be found."),
    )
}

fn pf_bad_request(msg: impl std::fmt::Display) -> Error {
    bad_request(RESOURCE, msg)
}

fn parse(doc: &str) -> Result<PortForwarding> {
    serde_json::from_str(doc).map_err(|_| Error::internal())
}

fn select(tx: &Tx<'_>, sel: &Selection) -> Result<Vec<PortForwarding>> {
    store::list_docs(tx, PORT_FORWARDINGS, sel)?
        .iter()
        .map(|d| parse(d))
        .collect()
}

/// The forwardings of some floating IPs, in the order they were made.
pub(crate) fn of_floating_ips(tx: &Tx<'_>, fips: Vec<String>) -> Result<Vec<PortForwarding>> {
    select(tx, &Selection::by("floatingip_id", fips))
}

/// `port_forwardings` of each floating IP in `items`, one query for all of them.
pub(crate) fn embed(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    let ids: Vec<String> = items.iter().map(|f| field(f, "id").to_string()).collect();
    let mut by_fip: HashMap<String, Vec<Value>> = HashMap::new();
    for pf in of_floating_ips(tx, ids)? {
        by_fip
            .entry(pf.floatingip_id.clone())
            .or_default()
            .push(pf.embedded());
    }
    for fip in items {
        let pfs = by_fip.remove(field(fip, "id")).unwrap_or_default();
        fip.insert("port_forwardings".into(), Value::Array(pfs));
    }
    Ok(())
}

/// Whether a floating IP has forwardings (then it cannot be associated with a port).
pub(crate) fn any_on(tx: &Tx<'_>, fip_id: &str) -> Result<bool> {
    Ok(store::exists(
        tx,
        PORT_FORWARDINGS,
        &Selection::by("floatingip_id", vec![fip_id.to_string()]),
    )?)
}

/// Upstream's `FipInUseByPortForwarding`.
pub(crate) fn fip_in_use(fip_id: &str) -> Error {
    Error::in_use(
        "FipInUseByPortForwarding",
        format!("Floating IP {fip_id} in use by Port Forwarding resources."),
    )
}

/// A port (`None`: the floating IP's all) goes: its forwardings go with it, and a floating IP
/// left without any leaves its router.
pub(crate) fn remove_for_port(tx: &Tx<'_>, port_id: &str, address: Option<&str>) -> Result<()> {
    let mut sel = Selection::by("internal_port_id", vec![port_id.to_string()]);
    if let Some(a) = address {
        sel = sel.and("internal_ip_address", vec![a.to_string()]);
    }
    for pf in select(tx, &sel)? {
        store::delete_row(tx, PORT_FORWARDINGS, &pf.id)?;
        changed_fip(tx, &pf.floatingip_id, None)?;
    }
    Ok(())
}

/// Whether a forwarding of a floating IP on `router_id` reaches an address of `subnet` on one
/// of its ports (the router interface of that subnet cannot go then).
pub(crate) fn uses_subnet(
    tx: &Tx<'_>,
    router_id: &str,
    subnet_id: &str,
    cidr: &ipnet::IpNet,
) -> Result<bool> {
    let fips = store::column_values(
        tx,
        FLOATINGIPS,
        "id",
        &Selection::by("router_id", vec![router_id.to_string()]),
    )?;
    if fips.is_empty() {
        return Ok(false);
    }
    for pf in of_floating_ips(tx, fips)? {
        let Ok(ip) = pf.internal_ip_address.parse::<IpAddr>() else {
            continue;
        };
        if !cidr.contains(&ip) {
            continue;
        }
        let on_subnet = load::<Port>(tx, &pf.internal_port_id)?
            .is_some_and(|p| p.fixed_ips.iter().any(|f| f.subnet_id == subnet_id));
        if on_subnet {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A new revision of the floating IP after a change of its forwardings: on `router` while it
/// has any (`Some`: the router the new forwarding needs), off its router once it has none.
fn changed_fip(tx: &Tx<'_>, fip_id: &str, router: Option<&str>) -> Result<()> {
    let Some(mut fip) = load::<FloatingIp>(tx, fip_id)? else {
        return Ok(());
    };
    if let Some(r) = router {
        fip.router_id = Some(r.to_string());
        fip.status = "ACTIVE".into();
    } else if !any_on(tx, fip_id)? {
        fip.router_id = None;
        fip.status = "DOWN".into();
    }
    fip.std.touch();
    crate::floatingip::save(tx, &fip, false)
}
