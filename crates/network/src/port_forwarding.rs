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
const PROTOCOLS: [&str; 2] = ["tcp", "udp"];
const PORT_MAX: i64 = 65535;

const ATTRS: &[Attr] = &[
    attrs::attr("id", false, false),
    attrs::attr("project_id", true, false),
    attrs::attr("tenant_id", true, false),
    attrs::attr("external_port", true, true),
    attrs::attr("internal_port", true, true),
    Attr {
        name: "internal_ip_address",
        post: true,
        put: true,
        required: true,
    },
    Attr {
        name: "protocol",
        post: true,
        put: true,
        required: true,
    },
    Attr {
        name: "internal_port_id",
        post: true,
        put: true,
        required: true,
    },
    attrs::attr("description", true, true),
    attrs::attr("external_port_range", true, true),
    attrs::attr("internal_port_range", true, true),
];

/// Filters upstream refuses by name (`FIELDS_NOT_SUPPORT_FILTER`).
pub const UNFILTERABLE: [&str; 2] = ["internal_ip_address", "internal_port"];

/// An inclusive range of ports; a single port is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    pub start: i64,
    pub end: i64,
}

impl PortRange {
    fn single(&self) -> Option<i64> {
        (self.start == self.end).then_some(self.start)
    }
    fn width(&self) -> i64 {
        self.end - self.start
    }
    fn overlaps(&self, other: &PortRange) -> bool {
        self.start.max(other.start) <= self.end.min(other.end)
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.start, self.end)
    }
}

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

/// A port number (`type:range_or_none` 1..65535); `None` when absent or null.
fn port_number(b: &Body, name: &str) -> Result<Option<i64>> {
    let Some(v) = b.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let n = attrs::to_int(v).ok_or_else(|| {
        Error::invalid_attr(name, format!("'{}' is not an integer", attrs::show(v)))
    })?;
    if n < 1 {
        return Err(Error::invalid_attr(
            name,
            format!("'{n}' is too small - must be at least '1'"),
        ));
    }
    if n > PORT_MAX {
        return Err(Error::invalid_attr(
            name,
            format!("'{n}' is too large - must be no larger than '{PORT_MAX}'"),
        ));
    }
    Ok(Some(n))
}

/// A port range (`type:port_range` 1..65535): `"N"` or `"N:M"`, N ≤ M.
fn port_range(b: &Body, name: &str) -> Result<Option<PortRange>> {
    let Some(v) = b.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let text = match v {
        Value::String(s) => s.clone(),
        other => attrs::show(other),
    };
    let invalid = |reason: String| Error::invalid_attr(name, reason);
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            "Port range must be two integers separated by a colon".into(),
        ));
    }
    let mut ports = Vec::new();
    for p in &parts {
        let n = p
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=PORT_MAX).contains(n))
            .ok_or_else(|| invalid(format!("Invalid port: {p}")))?;
        if !(1..=PORT_MAX).contains(&n) {
            return Err(invalid(format!(
                "Invalid port: {p}, the port must be in the range [1, {PORT_MAX}]"
            )));
        }
        ports.push(n);
    }
    let range = PortRange {
        start: ports[0],
        end: *ports.last().unwrap_or(&ports[0]),
    };
    if range.start > range.end {
        return Err(invalid(
            "First port in a port range must be lower than the second port".into(),
        ));
    }
    Ok(Some(range))
}

fn protocol(b: &Body) -> Result<Option<String>> {
    match b.get("protocol") {
        None => Ok(None),
        Some(Value::String(s)) if PROTOCOLS.contains(&s.to_lowercase().as_str()) => {
            Ok(Some(s.to_lowercase()))
        }
        Some(v) => Err(Error::invalid_attr(
            "protocol",
            format!("{} is not in ['tcp', 'udp']", attrs::show(v)),
        )),
    }
}

fn ipv4_address(b: &Body) -> Result<Option<IpAddr>> {
    match b.get("internal_ip_address") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => neutrino_ipam::validate_ip_address(s)
            .map(Some)
            .map_err(|r| Error::invalid_attr("internal_ip_address", r)),
        Some(v) => Err(Error::invalid_attr(
            "internal_ip_address",
            format!("'{}' is not a valid IP address", attrs::show(v)),
        )),
    }
}

/// The ports of one side of a request: the single port or the range, never both.
fn side(b: &Body, single: &str, range: &str) -> Result<Option<PortRange>> {
    let port = port_number(b, single)?;
    let ports = port_range(b, range)?;
    match (port, ports) {
        (Some(_), Some(_)) => Err(pf_bad_request(
            "You can not use the attributes internal_port_range and external_port_range with the attributes internal_port and external_port in the same request",
        )),
        (Some(p), None) => Ok(Some(PortRange { start: p, end: p })),
        (None, r) => Ok(r),
    }
}

/// Upstream's `_validate_ranges`: N internal ports for N external ones, or one for all.
fn check_relation(internal: &PortRange, external: &PortRange) -> Result<()> {
    if internal.width() > 0 && internal.width() != external.width() {
        return Err(pf_bad_request(
            "Invalid ranges of internal and/or external ports. The relation between internal and external ports must be N-N or 1-N",
        ));
    }
    Ok(())
}

/// Upstream's `_check_port_collisions`: the outside range against the floating IP's other
/// forwardings of the protocol, the inside range against the other forwardings to the same
/// port, address and protocol.
fn check_collisions(tx: &Tx<'_>, pf: &PortForwarding) -> Result<()> {
    check_relation(&pf.internal, &pf.external)?;
    let collision = |key: &str, existing: &PortRange, wanted: &PortRange| {
        pf_bad_request(format!(
            "There is a port collision with the {key}. The following ranges collide: {existing} and {wanted}"
        ))
    };
    let inside = Selection::by("internal_port_id", vec![pf.internal_port_id.clone()])
        .and("protocol", vec![pf.protocol.clone()])
        .and("internal_ip_address", vec![pf.internal_ip_address.clone()]);
    for other in select(tx, &inside)? {
        if other.id != pf.id && other.internal.overlaps(&pf.internal) {
            return Err(collision(
                "internal_port_range",
                &other.internal,
                &pf.internal,
            ));
        }
    }
    let outside = Selection::by("floatingip_id", vec![pf.floatingip_id.clone()])
        .and("protocol", vec![pf.protocol.clone()]);
    for other in select(tx, &outside)? {
        if other.id != pf.id && other.external.overlaps(&pf.external) {
            return Err(collision(
                "external_port_range",
                &other.external,
                &pf.external,
            ));
        }
    }
    Ok(())
}

/// Python's rendering of a port's IPv4 fixed IPs, as upstream's messages print them.
fn fixed_ips_text(port: &Port, v4_only: bool) -> String {
    let items: Vec<String> = port
        .fixed_ips
        .iter()
        .filter(|f| !v4_only || f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()))
        .map(|f| {
            format!(
                "{{'subnet_id': '{}', 'ip_address': '{}'}}",
                f.subnet_id, f.ip_address
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The internal port as the caller sees it.
fn visible_port(tx: &Tx<'_>, caller: &Caller, port_id: &str) -> Result<Port> {
    let scope = Scope::load(tx, caller)?;
    match load::<Port>(tx, port_id)? {
        Some(p) if crate::port::Ports.sees(&scope, &to_map(&p)?) => Ok(p),
        _ => Err(Error::port_not_found(port_id)),
    }
}

/// Upstream's `_find_a_router_for_fip_port_forwarding`: the internal address (the port's first
/// IPv4 address unless one is named) and the router between its subnet and the floating
/// network.
fn find_router(
    tx: &Tx<'_>,
    caller: &Caller,
    fip: &FloatingIp,
    port_id: &str,
    address: Option<IpAddr>,
) -> Result<(String, String)> {
    let port = visible_port(tx, caller, port_id)?;
    let v4: Vec<_> = port
        .fixed_ips
        .iter()
        .filter(|f| f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()))
        .collect();
    let Some(first) = v4.first() else {
        return Err(pf_bad_request(format!(
            "Requested internal port {port_id} must allocate an IPv4 address at least"
        )));
    };
    let chosen = match address {
        None => first,
        Some(ip) => v4
            .iter()
            .find(|f| f.ip_address.parse::<IpAddr>() == Ok(ip))
            .ok_or_else(|| {
                pf_bad_request(format!(
                    "Requested internal IP address {ip} is not suitable for internal neutron port {port_id}, as its fixed_ips are {}",
                    fixed_ips_text(&port, true)
                ))
            })?,
    };
    let gateway = load::<Subnet>(tx, &chosen.subnet_id)?.and_then(|s| s.gateway_ip);
    let routers = l3::routers_between(
        tx,
        &port.network_id,
        &chosen.subnet_id,
        &fip.floating_network_id,
    )?;
    let router = routers
        .iter()
        .find(|(_, ip)| ip.parse::<IpAddr>().ok() == gateway)
        .or(routers.first())
        .map(|(r, _)| r.clone())
        .ok_or_else(|| {
            pf_bad_request(format!(
                "External network {} is not reachable from subnet {}. Cannot set Port forwarding for port {port_id} with Floating IP {}",
                fip.floating_network_id, chosen.subnet_id, fip.id
            ))
        })?;
    Ok((router, chosen.ip_address.clone()))
}

/// Upstream's `_check_router_match`: a floating IP with forwardings stays on its router.
fn check_router_match(
    tx: &Tx<'_>,
    fip: &FloatingIp,
    router: &str,
    pf: &PortForwarding,
) -> Result<()> {
    let Some(current) = fip.router_id.as_deref().filter(|r| *r != router) else {
        return Ok(());
    };
    let same_socket = of_floating_ips(tx, vec![fip.id.clone()])?
        .iter()
        .any(|o| o.internal_ip_address == pf.internal_ip_address && o.internal == pf.internal);
    let internal_port = pf
        .internal
        .single()
        .map_or_else(|| "None".to_string(), |p| p.to_string());
    Err(pf_bad_request(if same_socket {
        format!(
            "Floating IP {} with params: internal_ip_address: {}, internal_port: {internal_port} already exists",
            fip.id, pf.internal_ip_address
        )
    } else {
        format!(
            "The Floating IP {} had been set on router {current}, the internal Neutron port {} can not reach it",
            fip.id, pf.internal_port_id
        )
    }))
}

/// Upstream's `_check_port_has_binding_floating_ip`: a port with a floating IP of its own
/// gets no forwardings.
fn check_port_has_no_fip(tx: &Tx<'_>, port_id: &str, address: Option<&str>) -> Result<()> {
    let sel = Selection::by("port_id", vec![port_id.to_string()]);
    if let Some(doc) = store::list_docs(tx, FLOATINGIPS, &sel)?.first() {
        let f = FloatingIp::from_doc(port_id, doc)?;
        return Err(Error::in_use(
            "PortHasBindingFloatingIP",
            format!(
                "Cannot create port forwarding to floating IP {} ({}) with port {port_id} using fixed IP {}, as that port already has a binding floating IP.",
                f.floating_ip_address,
                f.id,
                address.unwrap_or("None")
            ),
        ));
    }
    Ok(())
}

/// The floating IP the caller may see; writing its forwardings takes the member role.
fn visible_fip(tx: &Tx<'_>, caller: &Caller, fip_id: &str) -> Result<FloatingIp> {
    let missing = || FloatingIps.not_found(fip_id);
    let fip = load::<FloatingIp>(tx, fip_id)?.ok_or_else(missing)?;
    let scope = Scope::load(tx, caller)?;
    if !FloatingIps.sees(&scope, &to_map(&fip)?) {
        return Err(missing());
    }
    Ok(fip)
}

fn check_writer(caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() || caller.has_role("member") {
        Ok(())
    } else {
        Err(Error::policy(&format!(
            "rule:{action}_floatingip_port_forwarding"
        )))
    }
}

fn load_pf(tx: &Tx<'_>, fip_id: &str, id: &str) -> Result<PortForwarding> {
    let doc = store::get_doc(tx, PORT_FORWARDINGS, id)?.ok_or_else(|| not_found(id))?;
    let pf = parse(&doc)?;
    if pf.floatingip_id != fip_id {
        return Err(not_found(id));
    }
    Ok(pf)
}

/// Writes a forwarding; a row the unique indexes refuse (a concurrent twin) is upstream's
/// duplicate entry.
fn write(tx: &Tx<'_>, pf: &PortForwarding, insert: bool) -> Result<()> {
    let doc = pf.doc()?;
    let written = if insert {
        store::insert_row(tx, PORT_FORWARDINGS, &pf.id, &pf.columns(), &doc)
    } else {
        store::update_row(tx, PORT_FORWARDINGS, &pf.id, &pf.columns(), &doc)
    };
    match written {
        Err(StoreError::Conflict(_)) => Err(pf_bad_request(format!(
            "A duplicate port forwarding entry with same attributes already exists, conflicting values are {{'floatingip_id': '{}', 'external_port': {}, 'protocol': '{}'}}",
            pf.floatingip_id, pf.external.start, pf.protocol
        ))),
        other => Ok(other?),
    }
}

fn create_in(
    tx: &Tx<'_>,
    caller: &Caller,
    fip_id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    check_attributes(body, ATTRS, Op::Create)?;
    let b = Body(body);
    let protocol = protocol(&b)?.unwrap_or_default();
    let port_id = b
        .uuid("internal_port_id")?
        .ok_or_else(|| Error::invalid_attr("internal_port_id", "'None' is not a valid UUID"))?;
    let address = ipv4_address(&b)?;
    let external = side(&b, "external_port", "external_port_range")?;
    let internal = side(&b, "internal_port", "internal_port_range")?;
    let description = b.string("description", 255)?.unwrap_or_default();
    let (Some(external), Some(internal)) = (external, internal) else {
        return Err(pf_bad_request(
            "The external and internal ports are required: external_port and internal_port, or external_port_range and internal_port_range",
        ));
    };
    let fip = visible_fip(tx, caller, fip_id)?;
    check_writer(caller, "create")?;
    let wanted_address = address.map(|a| a.to_string());
    check_port_has_no_fip(tx, &port_id, wanted_address.as_deref())?;
    if let Some(associated) = &fip.port_id {
        return Err(Error::in_use(
            "FloatingIPPortAlreadyAssociated",
            format!(
                "Cannot associate floating IP {} ({}) with port {associated} using fixed IP {}, as that fixed IP already has a floating IP on external network {}.",
                fip.floating_ip_address,
                fip.id,
                wanted_address.as_deref().unwrap_or("None"),
                fip.floating_network_id
            ),
        ));
    }
    let (router, internal_ip_address) = find_router(tx, caller, &fip, &port_id, address)?;
    let pf = PortForwarding {
        id: uuid::Uuid::new_v4().to_string(),
        floatingip_id: fip.id.clone(),
        project_id: fip.project_id.clone(),
        protocol,
        internal_port_id: port_id,
        internal_ip_address,
        external,
        internal,
        description,
    };
    check_collisions(tx, &pf)?;
    check_router_match(tx, &fip, &router, &pf)?;
    write(tx, &pf, true)?;
    changed_fip(tx, &fip.id, Some(&router))?;
    Ok(Value::Object(pf.view()))
}

fn update_in(
    tx: &Tx<'_>,
    caller: &Caller,
    fip_id: &str,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    check_attributes(body, ATTRS, Op::Update)?;
    let b = Body(body);
    let protocol = protocol(&b)?;
    let new_port = b.uuid("internal_port_id")?;
    let address = ipv4_address(&b)?;
    let external = side(&b, "external_port", "external_port_range")?;
    let internal = side(&b, "internal_port", "internal_port_range")?;
    let description = b.string("description", 255)?;
    if let Some(p) = &new_port {
        check_port_has_no_fip(tx, p, address.map(|a| a.to_string()).as_deref())?;
    }
    let fip = visible_fip(tx, caller, fip_id)?;
    let mut pf = load_pf(tx, fip_id, id)?;
    check_writer(caller, "update")?;
    let mut router = None;
    match new_port.filter(|p| *p != pf.internal_port_id) {
        Some(p) => {
            let (r, ip) = find_router(tx, caller, &fip, &p, address)?;
            pf.internal_port_id = p;
            pf.internal_ip_address = ip;
            router = Some(r);
        }
        None => {
            if let Some(a) = address {
                pf.internal_ip_address = a.to_string();
            }
        }
    }
    if let Some(p) = protocol {
        pf.protocol = p;
    }
    if let Some(e) = external {
        pf.external = e;
    }
    if let Some(i) = internal {
        pf.internal = i;
    }
    if let Some(d) = description {
        pf.description = d;
    }
    if let Some(r) = &router {
        check_router_match(tx, &fip, r, &pf)?;
    }
    // Upstream's `_check_port_forwarding_update`: the address is one of the port's.
    let port = load::<Port>(tx, &pf.internal_port_id)?
        .ok_or_else(|| Error::port_not_found(&pf.internal_port_id))?;
    if !port
        .fixed_ips
        .iter()
        .any(|f| f.ip_address == pf.internal_ip_address)
    {
        return Err(pf_bad_request(format!(
            "The internal IP does not correspond to an address on the internal port, which has fixed_ips {}",
            fixed_ips_text(&port, false)
        )));
    }
    check_collisions(tx, &pf)?;
    write(tx, &pf, false)?;
    changed_fip(tx, fip_id, router.as_deref().or(fip.router_id.as_deref()))?;
    Ok(Value::Object(pf.view()))
}

fn delete_in(tx: &Tx<'_>, caller: &Caller, fip_id: &str, id: &str) -> Result<()> {
    let pf = store::get_doc(tx, PORT_FORWARDINGS, id)?
        .map(|d| parse(&d))
        .transpose()?
        .filter(|pf| pf.floatingip_id == fip_id)
        .ok_or_else(|| not_found(id))?;
    visible_fip(tx, caller, fip_id)?;
    check_writer(caller, "delete")?;
    store::delete_row(tx, PORT_FORWARDINGS, &pf.id)?;
    changed_fip(tx, fip_id, None)
}

/// The collection's description for listing (filters, sorting, paging); its requests go
/// through [`Networking::create_port_forwarding`] and its siblings, under a floating IP.
pub struct PortForwardings;

impl Collection for PortForwardings {
    fn path(&self) -> &'static str {
        "port_forwardings"
    }
    fn singular(&self) -> &'static str {
        RESOURCE
    }
    fn plural(&self) -> &'static str {
        "port_forwardings"
    }
    fn table(&self) -> Table {
        PORT_FORWARDINGS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "external_port",
            "internal_port",
            "internal_ip_address",
            "protocol",
            "internal_port_id",
            "description",
            "external_port_range",
            "internal_port_range",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &[
            "internal_port",
            "internal_ip_address",
            "description",
            "internal_port_range",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }
    fn create(&self, _tx: &Tx<'_>, _cx: &Ctx<'_>, _body: &Map<String, Value>) -> Result<Value> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
    fn update(
        &self,
        _tx: &Tx<'_>,
        _cx: &Ctx<'_>,
        _id: &str,
        _body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
    fn delete(&self, _tx: &Tx<'_>, _cx: &Ctx<'_>, _id: &str, _if_match: Option<u64>) -> Result<()> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
}

impl Networking {
    pub async fn create_port_forwarding(
        &self,
        caller: &Caller,
        fip_id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, fip_id) = (caller.clone(), fip_id.to_string());
        self.store
            .write(move |tx| create_in(tx, &caller, &fip_id, &body))
            .await
    }

    /// The forwardings of a floating IP the caller may see, as the API shows them.
    pub async fn port_forwardings(
        &self,
        caller: &Caller,
        fip_id: &str,
    ) -> Result<Vec<Map<String, Value>>> {
        let (caller, fip_id) = (caller.clone(), fip_id.to_string());
        self.store
            .read(move |tx| {
                visible_fip(tx, &caller, &fip_id)?;
                Ok(of_floating_ips(tx, vec![fip_id])?
                    .iter()
                    .map(PortForwarding::view)
                    .collect())
            })
            .await
    }

    pub async fn port_forwarding(&self, caller: &Caller, fip_id: &str, id: &str) -> Result<Value> {
        let (caller, fip_id, id) = (caller.clone(), fip_id.to_string(), id.to_string());
        self.store
            .read(move |tx| {
                visible_fip(tx, &caller, &fip_id)?;
                Ok(Value::Object(load_pf(tx, &fip_id, &id)?.view()))
            })
            .await
    }

    pub async fn update_port_forwarding(
        &self,
        caller: &Caller,
        fip_id: &str,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, fip_id, id) = (caller.clone(), fip_id.to_string(), id.to_string());
        self.store
            .write(move |tx| update_in(tx, &caller, &fip_id, &id, &body))
            .await
    }

    pub async fn delete_port_forwarding(
        &self,
        caller: &Caller,
        fip_id: &str,
        id: &str,
    ) -> Result<()> {
        let (caller, fip_id, id) = (caller.clone(), fip_id.to_string(), id.to_string());
        self.store
            .write(move |tx| delete_in(tx, &caller, &fip_id, &id))
            .await
    }
}
