//! Floating IPs: an address of an external network (held by a `network:floatingip` port with
//! project `""`), associated with a fixed IPv4 address of a port that a router connects to that
//! network; and the floating IP pools.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use neutrino_store::Tx;
use neutrino_store::l3;
use neutrino_store::tables::{FLOATINGIPS, NETWORKS, PORTS, SUBNETS};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Network, Port, Resource, Standard, Subnet};
use crate::network::{dns_domain, tags_on_create};
use crate::read::{Scope, check_revision, completed, field, load, load_for_change};
use crate::router::{ServicePort, bad_request, create_service_port, to_map, visible_network};
use crate::{Caller, Error, Networking, Result};

const FIP_OWNER: &str = "network:floatingip";

/// What a floating IP shows of its port (`fip-port-details`), read with the floating IP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortDetails {
    pub name: String,
    pub network_id: String,
    pub mac_address: String,
    pub admin_state_up: bool,
    pub status: String,
    pub device_id: String,
    pub device_owner: String,
}

impl PortDetails {
    fn of(p: &Port) -> PortDetails {
        PortDetails {
            name: p.name.clone(),
            network_id: p.network_id.clone(),
            mac_address: p.mac_address.clone(),
            admin_state_up: p.admin_state_up,
            status: p.status.clone(),
            device_id: p.device_id.clone(),
            device_owner: p.device_owner.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FloatingIp {
    pub id: String,
    pub project_id: String,
    pub tenant_id: String,
    pub floating_network_id: String,
    pub floating_ip_address: String,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub router_id: Option<String>,
    pub status: String,
    pub dns_name: String,
    pub dns_domain: String,
    /// Its QoS policy (`qos-fip`); documents from before QoS have none.
    #[serde(default)]
    pub qos_policy_id: Option<String>,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(FloatingIp, FLOATINGIPS);

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    required("floating_network_id"),
    attr("floating_ip_address", true, false),
    attr("subnet_id", true, false),
    attr("port_id", true, true),
    attr("fixed_ip_address", true, true),
    attr("router_id", false, false),
    attr("status", false, false),
    attr("port_details", false, false),
    attr("dns_name", true, false),
    attr("dns_domain", true, false),
    attr("description", true, true),
    attr("tags", true, false),
    attr("qos_policy_id", true, true),
    attr("port_forwardings", false, false),
];

fn fip_not_found(id: &str) -> Error {
    Error::not_found(
        "FloatingIPNotFound",
        format!("Floating IP {id} could not be found"),
    )
}

fn opt(v: &Option<String>) -> ColumnValue {
    match v {
        Some(s) => ColumnValue::Text(s.clone()),
        None => ColumnValue::Null,
    }
}

fn columns(f: &FloatingIp) -> [(&'static str, ColumnValue); 5] {
    [
        ("project_id", ColumnValue::Text(f.project_id.clone())),
        (
            "floating_network_id",
            ColumnValue::Text(f.floating_network_id.clone()),
        ),
        ("port_id", opt(&f.port_id)),
        ("fixed_ip_address", opt(&f.fixed_ip_address)),
        ("router_id", opt(&f.router_id)),
    ]
}

fn already_associated(f: &FloatingIp, port_id: &str, fixed: &str) -> Error {
    Error::conflict(
        "FloatingIPPortAlreadyAssociated",
        format!(
            "Cannot associate floating IP {} ({}) with port {port_id} using fixed IP {fixed}, as that fixed IP already has a floating IP on external network {}.",
            f.floating_ip_address, f.id, f.floating_network_id
        ),
    )
}

pub(crate) fn save(tx: &Tx<'_>, f: &FloatingIp, insert: bool) -> Result<()> {
    let cols = columns(f);
    let written = if insert {
        store::insert_row(tx, FLOATINGIPS, &f.id, &cols, &f.to_doc())
    } else {
        store::update_row(tx, FLOATINGIPS, &f.id, &cols, &f.to_doc())
    };
    match written {
        Err(StoreError::Conflict(_)) => Err(already_associated(
            f,
            f.port_id.as_deref().unwrap_or_default(),
            f.fixed_ip_address.as_deref().unwrap_or_default(),
        )),
        other => Ok(other?),
    }
}

fn ip_attr(b: &Body, name: &str) -> Result<Option<IpAddr>> {
    match b.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => neutrino_ipam::validate_ip_address(s)
            .map(Some)
            .map_err(|r| Error::invalid_attr(name, r)),
        Some(v) => Err(Error::invalid_attr(
            name,
            format!("'{}' is not a valid IP address", attrs::show(v)),
        )),
    }
}

/// What an association request resolves to.
struct Association {
    port: Port,
    fixed_ip: String,
    router_id: String,
}

/// The association rules of `l3_db`: the port's project, its fixed IPv4 address, and a router
/// connecting its subnet to the floating network.
fn resolve_association(
    tx: &Tx<'_>,
    caller: &Caller,
    fip: &FloatingIp,
    port_id: &str,
    fixed: Option<IpAddr>,
) -> Result<Association> {
    let scope = Scope::load(tx, caller)?;
    let port = match load::<Port>(tx, port_id)? {
        Some(p) if crate::port::Ports.sees(&scope, &to_map(&p)?) => p,
        _ => return Err(Error::port_not_found(port_id)),
    };
    if port.project_id != fip.project_id && !caller.is_admin() {
        return Err(bad_request(
            "floatingip",
            format!(
                "Cannot process floating IP association with Port {port_id}, since that port is owned by a different tenant"
            ),
        ));
    }
    if port.device_owner == "network:dhcp" {
        return Err(bad_request(
            "floatingip",
            format!("Port {port_id} is unable to be assigned a floating IP"),
        ));
    }
    let (subnet_id, fixed_ip) = match fixed {
        Some(ip) => {
            if !ip.is_ipv4() {
                return Err(bad_request(
                    "floatingip",
                    format!(
                        "Cannot process floating IP association with {ip}, since that is not an IPv4 address"
                    ),
                ));
            }
            let f = port
                .fixed_ips
                .iter()
                .find(|f| f.ip_address.parse::<IpAddr>() == Ok(ip))
                .ok_or_else(|| {
                    bad_request(
                        "floatingip",
                        format!("Port {port_id} does not have fixed ip {ip}"),
                    )
                })?;
            (f.subnet_id.clone(), f.ip_address.clone())
        }
        None => {
            let v4: Vec<_> = port
                .fixed_ips
                .iter()
                .filter(|f| f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()))
                .collect();
            match v4.as_slice() {
                [] => {
                    return Err(bad_request(
                        "floatingip",
                        format!(
                            "Cannot add floating IP to port {port_id} that has no fixed IPv4 addresses"
                        ),
                    ));
                }
                [one] => (one.subnet_id.clone(), one.ip_address.clone()),
                _ => {
                    return Err(bad_request(
                        "floatingip",
                        format!(
                            "Port {port_id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP"
                        ),
                    ));
                }
            }
        }
    };
    let gateway = load::<Subnet>(tx, &subnet_id)?.and_then(|s| s.gateway_ip);
    let routers = l3::routers_between(tx, &port.network_id, &subnet_id, &fip.floating_network_id)?;
    let router_id = routers
        .iter()
        .find(|(_, ip)| ip.parse::<IpAddr>().ok() == gateway)
        .or(routers.first())
        .map(|(r, _)| r.clone())
        .ok_or_else(|| {
            Error::not_found(
                "ExternalGatewayForFloatingIPNotFound",
                format!(
                    "External network {} is not reachable from subnet {subnet_id}.  Therefore, cannot associate Port {port_id} with a Floating IP.",
                    fip.floating_network_id
                ),
            )
        })?;
    Ok(Association {
        port,
        fixed_ip,
        router_id,
    })
}

/// Applies the `port_id` / `fixed_ip_address` of a create or update body.
fn apply_association(tx: &Tx<'_>, caller: &Caller, fip: &mut FloatingIp, b: &Body) -> Result<()> {
    let port_given = b.has("port_id");
    let port_id = b.uuid("port_id")?;
    let fixed = ip_attr(b, "fixed_ip_address")?;
    if fixed.is_some() && port_id.is_none() {
        return Err(bad_request(
            "floatingip",
            "fixed_ip_address cannot be specified without a port_id",
        ));
    }
    let target = match (port_given, port_id) {
        (true, Some(p)) => Some(p),
        (true, None) => None,
        // An empty body disassociates, as upstream's does (its "keep the port" rule needs a
        // non-empty update dict, bug #1610045).
        (false, _) if b.0.is_empty() => None,
        // Not named: the current association stays (re-checked if it has one).
        (false, _) => fip.port_id.clone(),
    };
    let forwarded = crate::port_forwarding::any_on(tx, &fip.id)?;
    let Some(port_id) = target else {
        // A floating IP with port forwardings stays on their router.
        if !forwarded {
            set_association(fip, None);
        }
        return Ok(());
    };
    if forwarded {
        return Err(crate::port_forwarding::fip_in_use(&fip.id));
    }
    let fixed = fixed.or_else(|| {
        if b.has("port_id") {
            None
        } else {
            fip.fixed_ip_address.as_ref().and_then(|a| a.parse().ok())
        }
    });
    let assoc = resolve_association(tx, caller, fip, &port_id, fixed)?;
    let changed = fip.port_id.as_deref() != Some(port_id.as_str())
        || fip.fixed_ip_address.as_deref() != Some(assoc.fixed_ip.as_str());
    if changed {
        let sel = Selection::by("floating_network_id", vec![fip.floating_network_id.clone()])
            .and("port_id", vec![port_id.clone()])
            .and("fixed_ip_address", vec![assoc.fixed_ip.clone()]);
        if !store::list_docs(tx, FLOATINGIPS, &sel)?.is_empty() {
            return Err(already_associated(fip, &port_id, &assoc.fixed_ip));
        }
    }
    set_association(fip, Some(assoc));
    Ok(())
}

fn set_association(fip: &mut FloatingIp, assoc: Option<Association>) {
    match assoc {
        Some(a) => {
            fip.port_id = Some(a.port.id.clone());
            fip.fixed_ip_address = Some(a.fixed_ip);
            fip.router_id = Some(a.router_id);
            fip.status = "ACTIVE".into();
        }
        None => {
            fip.port_id = None;
            fip.fixed_ip_address = None;
            fip.router_id = None;
            fip.status = "DOWN".into();
        }
    }
}

fn create_one(tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<FloatingIp> {
    check_attributes(body, ATTRS, Op::Create)?;
    let caller = cx.caller;
    if !caller.has_role("member") && !caller.is_admin() {
        return Err(Error::policy("rule:create_floatingip"));
    }
    let b = Body(body);
    if b.has("floating_ip_address") && !caller.is_admin() && !caller.has_role("manager") {
        return Err(Error::policy(
            "(rule:create_floatingip and rule:create_floatingip:floating_ip_address)",
        ));
    }
    let project_id = attrs::owner(body, caller)?;
    let network_id = b
        .uuid("floating_network_id")?
        .ok_or_else(|| Error::invalid_attr("floating_network_id", "'None' is not a valid UUID"))?;
    let subnet_id = b.uuid("subnet_id")?;
    let address = ip_attr(&b, "floating_ip_address")?;
    let net: Network = visible_network(tx, caller, &network_id)?;
    if !net.router_external {
        return Err(bad_request(
            "floatingip",
            format!("Network {network_id} is not a valid external network"),
        ));
    }
    let has_v4 = crate::port_addresses::subnets_of(tx, &net.id)?
        .iter()
        .any(|s| s.ip_version == 4);
    if !has_v4 {
        return Err(bad_request(
            "floatingip",
            format!("Network {network_id} does not contain any IPv4 subnet"),
        ));
    }
    let mut fixed = Map::new();
    if let Some(s) = &subnet_id {
        fixed.insert("subnet_id".into(), s.clone().into());
    }
    if let Some(a) = address {
        fixed.insert("ip_address".into(), a.to_string().into());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let exhausted = || {
        Error::bad_request(format!(
            "Unable to find any IP address on external network {network_id}."
        ))
        .with_kind("ExternalIpAddressExhausted")
    };
    let port = create_service_port(
        tx,
        cx.cfg,
        ServicePort {
            network_id: &net.id,
            project_id: "",
            device_owner: FIP_OWNER,
            device_id: &id,
            fixed_ips: (!fixed.is_empty()).then(|| vec![Value::Object(fixed)]),
            status: "N/A",
        },
    )
    .map_err(|e| {
        if e.kind == "IpAddressGenerationFailure" {
            exhausted()
        } else {
            e
        }
    })?;
    let floating_ip_address = port
        .fixed_ips
        .iter()
        .find(|f| f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()))
        .map(|f| f.ip_address.clone())
        .ok_or_else(exhausted)?;
    let qos_policy_id =
        crate::qos::bind_on_create(tx, caller, "floatingip", &id, &project_id, body)?;
    let mut fip = FloatingIp {
        id,
        tenant_id: project_id.clone(),
        project_id,
        floating_network_id: net.id.clone(),
        floating_ip_address,
        port_id: None,
        fixed_ip_address: None,
        router_id: None,
        status: "DOWN".into(),
        dns_name: b.string("dns_name", 255)?.unwrap_or_default(),
        dns_domain: dns_domain(&b, "dns_domain")?.unwrap_or_default(),
        qos_policy_id,
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
    };
    apply_association(tx, caller, &mut fip, &b)?;
    save(tx, &fip, true)?;
    Ok(fip)
}

/// The port holding a floating IP's address.
fn address_port(tx: &Tx<'_>, fip_id: &str) -> Result<Option<Port>> {
    for doc in store::list_docs(tx, PORTS, &Selection::by("device_id", vec![fip_id.into()]))? {
        let p = Port::from_doc(fip_id, &doc)?;
        if p.device_owner == FIP_OWNER {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

fn delete_one(tx: &Tx<'_>, fip_id: &str) -> Result<()> {
    // Upstream refuses to delete the address port of a floating IP with port forwardings.
    if crate::port_forwarding::any_on(tx, fip_id)? {
        return Err(crate::port_forwarding::fip_in_use(fip_id));
    }
    crate::qos::unbind(tx, fip_id)?;
    store::delete_row(tx, FLOATINGIPS, fip_id)?;
    if let Some(p) = address_port(tx, fip_id)? {
        crate::port::remove_port(tx, &p)?;
    }
    Ok(())
}

fn by_port(tx: &Tx<'_>, port_id: &str) -> Result<Vec<FloatingIp>> {
    store::list_docs(
        tx,
        FLOATINGIPS,
        &Selection::by("port_id", vec![port_id.into()]),
    )?
    .iter()
    .map(|d| FloatingIp::from_doc(port_id, d).map_err(Error::from))
    .collect()
}

/// A port being deleted takes its floating IPs' associations with it; a member cannot undo
/// an association an admin made for another project.
/// Whether a floating IP is associated with this fixed IP of the port.
pub(crate) fn holds_fixed_ip(tx: &Tx<'_>, port_id: &str, fixed_ip: &str) -> Result<bool> {
    let sel = Selection::by("port_id", vec![port_id.to_string()])
        .and("fixed_ip_address", vec![fixed_ip.to_string()]);
    Ok(store::exists(tx, FLOATINGIPS, &sel)?)
}

pub(crate) fn disassociate_port(tx: &Tx<'_>, caller: &Caller, port_id: &str) -> Result<()> {
    let fips = by_port(tx, port_id)?;
    if !caller.is_admin() && fips.iter().any(|f| f.project_id != caller.project_id) {
        return Err(Error::conflict(
            "FipAssociated",
            format!(
                "Unable to complete the operation on port \"{port_id}\" because the port still has an associated floating IP."
            ),
        ));
    }
    for mut f in fips {
        set_association(&mut f, None);
        f.std.touch();
        save(tx, &f, false)?;
    }
    Ok(())
}

/// A floating IP's `port_details`: what its associated port shows now (`null` while not
/// associated), from the ports of every floating IP of `items` in one query. A change of the
/// port is not a change of the floating IP: no new revision for it (as upstream).
pub(crate) fn with_port_details(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    let port_of =
        |f: &Map<String, Value>| f.get("port_id").and_then(Value::as_str).map(String::from);
    let mut ids: Vec<String> = items.iter().filter_map(port_of).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut details = HashMap::new();
    for doc in store::docs_by_id(tx, PORTS, &ids)? {
        let port = Port::from_doc("", &doc)?;
        let shown = serde_json::to_value(PortDetails::of(&port)).map_err(|_| Error::internal())?;
        details.insert(port.id, shown);
    }
    for fip in items {
        let shown = port_of(fip)
            .and_then(|p| details.get(&p).cloned())
            .unwrap_or(Value::Null);
        fip.insert("port_details".into(), shown);
    }
    Ok(())
}

/// What a floating IP shows that lives elsewhere: `port_details` and `port_forwardings`.
pub(crate) fn complete_all(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    with_port_details(tx, items)?;
    crate::port_forwarding::embed(tx, items)
}

/// Deleting an external network deletes its floating IPs that are not associated.
pub(crate) fn delete_disassociated(tx: &Tx<'_>, network_id: &str) -> Result<()> {
    let sel = Selection::by("floating_network_id", vec![network_id.into()]);
    for doc in store::list_docs(tx, FLOATINGIPS, &sel)? {
        let f = FloatingIp::from_doc(network_id, &doc)?;
        if f.port_id.is_none() {
            delete_one(tx, &f.id)?;
        }
    }
    Ok(())
}

/// `/v2.0/floatingips`.
pub struct FloatingIps;

impl Collection for FloatingIps {
    fn path(&self) -> &'static str {
        "floatingips"
    }
    fn singular(&self) -> &'static str {
        "floatingip"
    }
    fn plural(&self) -> &'static str {
        "floatingips"
    }
    fn table(&self) -> Table {
        FLOATINGIPS
    }
    fn not_found(&self, id: &str) -> Error {
        fip_not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("floatingip")
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "fip-port-details",
                "Floating IP Port Details Extension",
                "Add port_details attribute to Floating IP resource",
            ),
            ext(
                "floatingip-pools",
                "Floating IP Pools Extension",
                "Provides a floating IP pools API.",
            ),
            // Port forwardings (`crate::port_forwarding`).
            ext(
                "floating-ip-port-forwarding",
                "Floating IP Port Forwarding",
                "Allow port forwarding from floating IP port to an internal port",
            ),
            ext(
                "floating-ip-port-forwarding-description",
                "Floating IP Port Forwarding new attribute description",
                "Add a description field to Port Forwarding rules",
            ),
            ext(
                "floating-ip-port-forwarding-port-ranges",
                "Floating IP Port Forwarding support port ranges",
                "Add support to port ranges",
            ),
            ext(
                "floating-ip-port-forwarding-detail",
                "Floating IP port forwarding detail",
                "Allow list floating ip return more port forwarding data, include'id' and 'internal_port_id'",
            ),
            ext(
                "expose-port-forwarding-in-fip",
                "Expose Floating IP port forwardings",
                "Expose port forwarding fields in floating IP response",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "project_id",
            "tenant_id",
            "floating_network_id",
            "floating_ip_address",
            "port_id",
            "fixed_ip_address",
            "router_id",
            "status",
            "port_details",
            "dns_name",
            "dns_domain",
            "qos_policy_id",
            "port_forwardings",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["port_details", "port_forwardings", "tags"]
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    /// `port_details` is read from the port: the stored document is not the view.
    fn stored_is_view(&self) -> bool {
        false
    }
    /// `port_details`, from the associated ports, and `port_forwardings`.
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        complete_all(tx, items)
    }
    /// Its project's floating IPs.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let fip = create_one(tx, cx, body)?;
        completed(tx, &fip, complete_all)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Update)?;
        let mut fip: FloatingIp =
            load_for_change(tx, cx.caller, self, id, "rule:update_floatingip")?;
        check_revision(if_match, fip.std.revision_number)?;
        let b = Body(body);
        apply_association(tx, cx.caller, &mut fip, &b)?;
        if let Some(d) = b.string("description", 255)? {
            fip.std.description = d;
        }
        crate::qos::bind_on_update(
            tx,
            cx.caller,
            "floatingip",
            id,
            &fip.project_id,
            &mut fip.qos_policy_id,
            body,
        )?;
        fip.std.touch();
        save(tx, &fip, false)?;
        completed(tx, &fip, complete_all)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let fip: FloatingIp = load_for_change(tx, cx.caller, self, id, "rule:delete_floatingip")?;
        check_revision(if_match, fip.std.revision_number)?;
        delete_one(tx, id)
    }
}

impl Networking {
    /// `/v2.0/floatingip_pools`: the IPv4 subnets of external networks.
    pub async fn floatingip_pools(&self) -> Result<Vec<Value>> {
        self.store
            .read(|tx| {
                let mut out = Vec::new();
                for doc in store::list_docs(tx, NETWORKS, &Selection::by("open", vec!["1".into()]))?
                {
                    let net: Network = Network::from_doc("", &doc)?;
                    if !net.router_external {
                        continue;
                    }
                    let sel = Selection::by("network_id", vec![net.id.clone()]);
                    for sdoc in store::list_docs(tx, SUBNETS, &sel)? {
                        let s = Subnet::from_doc(&net.id, &sdoc)?;
                        if s.ip_version == 4 {
                            out.push(json!({
                                "subnet_id": s.id,
                                "subnet_name": s.name,
                                "network_id": net.id,
                                "cidr": s.cidr.to_string(),
                                "project_id": s.project_id,
                                "tenant_id": s.project_id,
                            }));
                        }
                    }
                }
                Ok(out)
            })
            .await
    }
}
