//! Routers: create/update/delete, the external gateway (a `network:router_gateway` port on an
//! external network, project `""`), static routes, and the rules that keep router ports out of
//! the port API. Interfaces and the route actions are in [`crate::router_interface`].

use neutrino_ipam::{self as ipam, HostRoute};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::Tx;
use neutrino_store::l3::{self, ROUTER_GATEWAY, ROUTER_INTERFACE};
use neutrino_store::tables::{FLOATINGIPS, ROUTERS};
use neutrino_store::{self as store, ColumnValue, StoreError, Table, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::error::Failure;
use crate::extensions::{Extension, ext};
use crate::model::{FixedIp, Network, Port, Resource, Standard, Subnet};
use crate::network::{Networks, tags_on_create};
use crate::port_addresses::subnets_of;
use crate::read::{Scope, check_revision, field, load, load_for_change};
use crate::router_gateway::{parse_gateway, set_gateway};
use crate::router_routes::{check_routes, parse_routes};
use crate::{Caller, Error, NetworkConfig, Result};

/// Most static routes a router may have (upstream's `max_routes`).
pub(crate) const MAX_ROUTES: usize = 30;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatewayInfo {
    pub network_id: String,
    pub enable_snat: bool,
    pub external_fixed_ips: Vec<FixedIp>,
    /// The QoS policy of the gateway's addresses (`qos-gateway-ip`).
    #[serde(default)]
    pub qos_policy_id: Option<String>,
}

/// One of a router's gateways as `external_gateways` shows it (`external-gateway-multihoming`):
/// its network and addresses, as upstream's `format_gateway_info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExternalGateway {
    pub network_id: String,
    pub external_fixed_ips: Vec<FixedIp>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Router {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub admin_state_up: bool,
    pub status: String,
    pub external_gateway_info: Option<GatewayInfo>,
    pub routes: Vec<HostRoute>,
    pub distributed: bool,
    /// Always true: OVN routers are HA through their gateway's HA chassis group (upstream's
    /// OVN provider makes `ha` mandatory).
    #[serde(default = "yes")]
    pub ha: bool,
    /// The router's SNAT flag (`router-enable-snat`): its gateway's, else the configured
    /// default as upstream's column keeps it.
    #[serde(default = "yes")]
    pub enable_snat: bool,
    /// Every gateway, the compatibility one (`external_gateway_info`'s) first, then the others
    /// in the order they were added (`external-gateway-multihoming`).
    #[serde(default)]
    pub external_gateways: Vec<ExternalGateway>,
    /// A BFD session with the nexthop of each default route (`enable-default-route-bfd`).
    #[serde(default)]
    pub enable_default_route_bfd: bool,
    /// A default route through every gateway rather than the first (`enable-default-route-ecmp`).
    #[serde(default)]
    pub enable_default_route_ecmp: bool,
    pub availability_zone_hints: Vec<String>,
    pub availability_zones: Vec<String>,
    pub flavor_id: Option<String>,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(Router, ROUTERS);

fn yes() -> bool {
    true
}

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("admin_state_up", true, true),
    attr("status", false, false),
    attr("external_gateway_info", true, true),
    attr("routes", false, true),
    attr("distributed", true, true),
    attr("ha", true, true),
    attr("availability_zone_hints", true, false),
    attr("availability_zones", false, false),
    attr("flavor_id", true, false),
    attr("enable_snat", false, false),
    attr("external_gateways", false, false),
    attr("enable_default_route_bfd", true, true),
    attr("enable_default_route_ecmp", true, true),
    attr("tags", true, false),
];

/// The caller the service acts as when it manages its own ports.
pub(crate) fn service_caller() -> Caller {
    Caller {
        user_id: "neutrino".into(),
        project_id: String::new(),
        roles: vec!["admin".into(), "member".into(), "reader".into()],
    }
}

/// neutron_lib's `BadRequest` raised for a resource: "Bad router request: ...".
pub(crate) fn bad_request(resource: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(
        Failure::Invalid,
        "BadRequest",
        format!("Bad {resource} request: {msg}."),
    )
}

pub(crate) fn router_not_found(id: &str) -> Error {
    Error::not_found("RouterNotFound", format!("Router {id} could not be found"))
}

/// A port the service owns (router interface or gateway, floating IP), created through the
/// port rules so its addresses come from the same IPAM.
pub(crate) struct ServicePort<'a> {
    pub network_id: &'a str,
    pub project_id: &'a str,
    pub device_owner: &'a str,
    pub device_id: &'a str,
    pub fixed_ips: Option<Vec<Value>>,
    pub status: &'a str,
}

pub(crate) fn create_service_port(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    spec: ServicePort<'_>,
) -> Result<Port> {
    let mut body = Map::new();
    body.insert("network_id".into(), spec.network_id.into());
    body.insert("project_id".into(), spec.project_id.into());
    body.insert("device_owner".into(), spec.device_owner.into());
    body.insert("device_id".into(), spec.device_id.into());
    if let Some(f) = spec.fixed_ips {
        body.insert("fixed_ips".into(), Value::Array(f));
    }
    let mut port = crate::port::create_one(tx, cfg, &service_caller(), &body)?;
    port.status = spec.status.into();
    crate::port::save_port(tx, &port)?;
    Ok(port)
}

/// Changes a service port through the port rules (new owner, new addresses).
pub(crate) fn update_service_port(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    port_id: &str,
    body: Map<String, Value>,
    status: &str,
) -> Result<Port> {
    let mut port = crate::port::update_one(tx, cfg, &service_caller(), port_id, &body, None)?;
    port.status = status.into();
    crate::port::save_port(tx, &port)?;
    Ok(port)
}

/// A network the caller may see, else `NetworkNotFound`.
pub(crate) fn visible_network(tx: &Tx<'_>, caller: &Caller, id: &str) -> Result<Network> {
    let scope = Scope::load(tx, caller)?;
    match load::<Network>(tx, id)? {
        Some(n) if Networks.sees(&scope, &to_map(&n)?) => Ok(n),
        _ => Err(Error::network_not_found(id)),
    }
}

pub(crate) fn to_map<T: Serialize>(v: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::internal()),
    }
}

/// Attributes of the gateway and of the router only an admin may set.
fn check_admin_attrs(b: &Body, caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() {
        return Ok(());
    }
    for a in [
        "distributed",
        "ha",
        "enable_default_route_bfd",
        "enable_default_route_ecmp",
    ] {
        if b.has(a) {
            return Err(Error::policy(&format!(
                "(rule:{action}_router and rule:{action}_router:{a})"
            )));
        }
    }
    if let Some(Value::Object(gw)) = b.get("external_gateway_info") {
        for a in ["enable_snat", "external_fixed_ips"] {
            if gw.contains_key(a) {
                return Err(Error::policy(&format!(
                    "(rule:{action}_router and rule:{action}_router:external_gateway_info:{a})"
                )));
            }
        }
    }
    Ok(())
}

/// The router's interface ports.
pub(crate) fn interface_ports(tx: &Tx<'_>, router_id: &str) -> Result<Vec<Port>> {
    let mut out = Vec::new();
    for rp in l3::router_ports(tx, router_id)? {
        if rp.port_type == ROUTER_INTERFACE
            && let Some(p) = load::<Port>(tx, &rp.port_id)?
        {
            out.push(p);
        }
    }
    Ok(out)
}

/// Every subnet attached to the router (interfaces, and all subnets of the gateway network),
/// for the overlap rule.
pub(crate) fn attached_subnets(tx: &Tx<'_>, router_id: &str) -> Result<Vec<Subnet>> {
    let mut out: Vec<Subnet> = Vec::new();
    for rp in l3::router_ports(tx, router_id)? {
        let Some(port) = load::<Port>(tx, &rp.port_id)? else {
            continue;
        };
        if rp.port_type == ROUTER_GATEWAY {
            out.extend(subnets_of(tx, &port.network_id)?);
        } else {
            for f in &port.fixed_ips {
                if let Some(s) = load::<Subnet>(tx, &f.subnet_id)? {
                    out.push(s);
                }
            }
        }
    }
    Ok(out)
}

/// `_check_for_dup_router_subnets`: a subnet already on the router, or overlapping one. A new
/// gateway on `gateway_network` may share that network's subnets with the router's other
/// gateways there (upstream's multihoming override).
pub(crate) fn check_new_subnets(
    tx: &Tx<'_>,
    router_id: &str,
    new: &[Subnet],
    ignore_port: Option<&str>,
    gateway_network: Option<&str>,
) -> Result<()> {
    for rp in l3::router_ports(tx, router_id)? {
        if Some(rp.port_id.as_str()) == ignore_port
            || (rp.port_type == ROUTER_GATEWAY && Some(rp.network_id.as_str()) == gateway_network)
        {
            continue;
        }
        if let Some(port) = load::<Port>(tx, &rp.port_id)?
            && let Some(f) = port
                .fixed_ips
                .iter()
                .find(|f| new.iter().any(|s| s.id == f.subnet_id))
        {
            return Err(bad_request(
                "router",
                format!("Router already has a port on subnet {}", f.subnet_id),
            ));
        }
    }
    for old in attached_subnets(tx, router_id)? {
        if Some(old.network_id.as_str()) == gateway_network {
            continue;
        }
        for s in new {
            if old.id != s.id && ipam::overlaps(&old.cidr, &s.cidr) {
                return Err(bad_request(
                    "router",
                    format!(
                        "Cidr {} of subnet {} overlaps with cidr {} of subnet {}",
                        s.cidr, s.id, old.cidr, old.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `ha`: the OVN provider supports only HA routers, so `false` is refused (upstream's
/// `_ensure_driver_supports_request`, on create and update alike).
fn check_ha(b: &Body) -> Result<()> {
    if b.bool("ha")? == Some(false) {
        return Err(Error::invalid_input(
            "Provider ovn does not support ha=False",
        ));
    }
    Ok(())
}

fn build(tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Router> {
    let caller = cx.caller;
    check_attributes(body, ATTRS, Op::Create)?;
    if !caller.has_role("member") && !caller.is_admin() {
        return Err(Error::policy("rule:create_router"));
    }
    let b = Body(body);
    check_admin_attrs(&b, caller, "create")?;
    let project_id = attrs::owner(body, caller)?;
    let flavor_id = match b.get("flavor_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(crate::flavor::router_flavor(tx, v)?),
    };
    check_ha(&b)?;
    let hints = b
        .string_list("availability_zone_hints")?
        .unwrap_or_default();
    crate::availability::check_hints(tx, &hints)?;
    Ok(Router {
        id: uuid::Uuid::new_v4().to_string(),
        name: b.name("name")?.unwrap_or_default(),
        tenant_id: project_id.clone(),
        project_id,
        admin_state_up: b.bool("admin_state_up")?.unwrap_or(true),
        status: "ACTIVE".into(),
        external_gateway_info: None,
        routes: Vec::new(),
        distributed: b.bool("distributed")?.unwrap_or(false),
        ha: true,
        enable_snat: true,
        external_gateways: Vec::new(),
        // `convert_to_boolean_if_not_none`: null is the default, false.
        enable_default_route_bfd: b.bool_or_null("enable_default_route_bfd")?.unwrap_or(false),
        enable_default_route_ecmp: b
            .bool_or_null("enable_default_route_ecmp")?
            .unwrap_or(false),
        // As upstream's OVN L3 plugin reports them: the zones its hints name.
        availability_zones: hints.clone(),
        availability_zone_hints: hints,
        flavor_id,
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
    })
}

pub(crate) fn save_router(tx: &Tx<'_>, router: &Router) -> Result<()> {
    store::update_row(
        tx,
        ROUTERS,
        &router.id,
        &[("project_id", ColumnValue::Text(router.project_id.clone()))],
        &router.to_doc(),
    )?;
    Ok(())
}

/// Ports a router or floating IP owns cannot be deleted through the port API while their
/// owner exists.
pub(crate) fn check_port_deletable(tx: &Tx<'_>, port: &Port) -> Result<()> {
    let owned = match port.device_owner.as_str() {
        "network:floatingip" => store::get_doc(tx, FLOATINGIPS, &port.device_id)?.is_some(),
        o if ipam::ROUTER_PORT_OWNERS.contains(&o) => {
            store::get_doc(tx, ROUTERS, &port.device_id)?.is_some()
        }
        _ => false,
    };
    if owned {
        return Err(Error::in_use(
            "ServicePortInUse",
            format!(
                "Port {} cannot be deleted directly via the port API: has device owner {}.",
                port.id, port.device_owner
            ),
        ));
    }
    Ok(())
}

/// `router:external` cannot be unset while routers have their gateway on the network.
pub(crate) fn check_external_unset(tx: &Tx<'_>, network_id: &str) -> Result<()> {
    if l3::network_has_gateway_ports(tx, network_id)? {
        return Err(Error::in_use(
            "ExternalNetworkInUse",
            format!(
                "External network {network_id} cannot be updated to be made non-external, since it has existing gateway ports."
            ),
        ));
    }
    Ok(())
}

/// A subnet's gateway address cannot change while a router port holds it.
pub(crate) fn check_gateway_change(tx: &Tx<'_>, subnet: &Subnet) -> Result<()> {
    let Some(gw) = subnet.gateway_ip else {
        return Ok(());
    };
    if let Some(port_id) = l3::router_port_with_address(tx, &subnet.id, &gw.to_string())? {
        return Err(Error::in_use(
            "GatewayIpInUse",
            format!("Current gateway ip {gw} already in use by port {port_id}. Unable to update."),
        ));
    }
    Ok(())
}

fn router_value(router: &Router) -> Result<Value> {
    serde_json::to_value(router).map_err(|_| Error::internal())
}

/// `/v2.0/routers`.
pub struct Routers;

impl Collection for Routers {
    fn path(&self) -> &'static str {
        "routers"
    }
    fn singular(&self) -> &'static str {
        "router"
    }
    fn plural(&self) -> &'static str {
        "routers"
    }
    fn table(&self) -> Table {
        ROUTERS
    }
    fn not_found(&self, id: &str) -> Error {
        router_not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("router")
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "router",
                "Neutron L3 Router",
                "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
            ),
            ext(
                "ext-gw-mode",
                "Neutron L3 Configurable external gateway mode",
                "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
            ),
            ext(
                "extraroute",
                "Neutron Extra Route",
                "Extra routes configuration for L3 router",
            ),
            ext(
                "extraroute-atomic",
                "Atomically add/remove extra routes",
                "Edit extra routes of a router on server side by atomically adding/removing extra routes",
            ),
            ext(
                "router_availability_zone",
                "Router Availability Zone",
                "Availability zone support for router.",
            ),
            ext(
                "l3-ha",
                "HA Router extension",
                "Adds HA capability to routers.",
            ),
            ext(
                "router-enable-snat",
                "Exposes the router \"enable_snat\" read-only configuration flag",
                "Exposes the router \"enable_snat\" read-only configuration flag",
            ),
            ext(
                "external-gateway-multihoming",
                "Neutron L3 External Gateway Multihoming",
                "Allow multiple external gateway ports per router",
            ),
            ext(
                "enable-default-route-bfd",
                "Enable Default Route BFD",
                "Enables configurable BFD behavior for default routes",
            ),
            ext(
                "enable-default-route-ecmp",
                "Enable Default Route ECMP",
                "Enables configurable ECMP behavior for default routes",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "project_id",
            "tenant_id",
            "admin_state_up",
            "status",
            "external_gateway_info",
            "routes",
            "distributed",
            "ha",
            "availability_zone_hints",
            "availability_zones",
            "flavor_id",
            "enable_snat",
            "external_gateways",
            "enable_default_route_bfd",
            "enable_default_route_ecmp",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &[
            "external_gateway_info",
            "external_gateways",
            "routes",
            "availability_zone_hints",
            "availability_zones",
            "tags",
        ]
    }
    fn admin_only(&self) -> &'static [&'static str] {
        &["distributed", "ha"]
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    /// Its project's routers.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }

    fn action(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        action: &str,
        body: &Map<String, Value>,
    ) -> Option<Result<Value>> {
        crate::router_interface::action(tx, cx, id, action, body)
            .or_else(|| crate::router_gateways::action(tx, cx, id, action, body))
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let mut router = build(tx, cx, body)?;
        let gateway = Body(body)
            .get("external_gateway_info")
            .map(parse_gateway)
            .transpose()?;
        store::insert_row(
            tx,
            ROUTERS,
            &router.id,
            &[("project_id", ColumnValue::Text(router.project_id.clone()))],
            &router.to_doc(),
        )?;
        if let Some(gw) = gateway {
            set_gateway(tx, cx.cfg, cx.caller, &mut router, gw)?;
            save_router(tx, &router)?;
        }
        router_value(&router)
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
        let mut router: Router = load_for_change(tx, cx.caller, self, id, "rule:update_router")?;
        check_revision(if_match, router.std.revision_number)?;
        let b = Body(body);
        check_admin_attrs(&b, cx.caller, "update")?;
        if let Some(name) = b.name("name")? {
            router.name = name;
        }
        if let Some(d) = b.string("description", 255)? {
            router.std.description = d;
        }
        if let Some(up) = b.bool("admin_state_up")? {
            router.admin_state_up = up;
        }
        if let Some(d) = b.bool("distributed")? {
            router.distributed = d;
        }
        check_ha(&b)?;
        if let Some(v) = b.bool_or_null("enable_default_route_bfd")? {
            router.enable_default_route_bfd = v;
        }
        if let Some(v) = b.bool_or_null("enable_default_route_ecmp")? {
            router.enable_default_route_ecmp = v;
        }
        if let Some(gw) = b.get("external_gateway_info") {
            let req = parse_gateway(gw)?;
            set_gateway(tx, cx.cfg, cx.caller, &mut router, req)?;
        }
        if let Some(v) = b.get("routes") {
            let routes = parse_routes(v)?;
            check_routes(tx, &router.id, &routes)?;
            router.routes = routes;
        }
        router.std.touch();
        save_router(tx, &router)?;
        router_value(&router)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let mut router: Router = load_for_change(tx, cx.caller, self, id, "rule:delete_router")?;
        check_revision(if_match, router.std.revision_number)?;
        let attached: Vec<String> = l3::router_ports(tx, id)?
            .into_iter()
            .filter(|rp| rp.port_type != ROUTER_GATEWAY)
            .map(|rp| rp.port_id)
            .collect();
        if !attached.is_empty() {
            return Err(Error::in_use(
                "RouterInUse",
                format!(
                    "Router {id} has ports still attached: {}",
                    attached.join(", ")
                ),
            ));
        }
        crate::router_gateways::remove_all(tx, &mut router)?;
        store::delete_row(tx, ROUTERS, id)?;
        Ok(())
    }
}

/// Store errors of the router ports table that mean "this port is already a router's".
pub(crate) fn port_taken(e: StoreError, port: &Port) -> Error {
    match e {
        StoreError::Conflict(_) => Error::in_use(
            "PortInUse",
            format!(
                "Unable to complete operation on port {} for network {}. Port already has an attached device {}.",
                port.id, port.network_id, port.device_id
            ),
        ),
        e => e.into(),
    }
}
