//! Member actions of routers: `add_router_interface` / `remove_router_interface` (by subnet or
//! by port) and `add_extraroutes` / `remove_extraroutes`.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use neutrino_store::l3::{self, ROUTER_INTERFACE, RouterPortRow};
use neutrino_store::tables::FLOATINGIPS;
use neutrino_store::{self as store, Selection, Tx};

use crate::collection::{Collection, Ctx};
use crate::model::{Port, Subnet};
use crate::read::{Scope, load, load_for_change};
use crate::router::{
    Router, Routers, ServicePort, bad_request, check_new_subnets, create_service_port,
    interface_ports, save_router, to_map, update_service_port,
};
use crate::router_routes::{check_routes, parse_routes};
use crate::subnet::Subnets;
use crate::{Caller, Error, Result};

pub(crate) fn action(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    id: &str,
    action: &str,
    body: &Map<String, Value>,
) -> Option<Result<Value>> {
    match action {
        "add_router_interface"
        | "remove_router_interface"
        | "add_extraroutes"
        | "remove_extraroutes" => Some(run(tx, cx, id, action, body)),
        _ => None,
    }
}

fn run(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    id: &str,
    action: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    let mut router: Router =
        load_for_change(tx, cx.caller, &Routers, id, &format!("rule:{action}"))?;
    let out = match action {
        "add_router_interface" => add_interface(tx, cx, &mut router, body)?,
        "remove_router_interface" => remove_interface(tx, cx, &mut router, body)?,
        _ => change_routes(tx, &mut router, body, action == "add_extraroutes")?,
    };
    router.std.touch();
    save_router(tx, &router)?;
    Ok(out.unwrap_or_else(|| json!({ "router": router })))
}

fn unreachable_action() -> Result<Option<Value>> {
    Err(Error::not_found(
        "HTTPNotFound",
        "The resource could not be found.",
    ))
}

/// The `{subnet_id, port_id}` of an interface request, checked as upstream does.
fn interface_info(
    body: &Map<String, Value>,
    for_removal: bool,
) -> Result<(Option<String>, Option<String>)> {
    let mut ids = [None, None];
    for (i, key) in ["port_id", "subnet_id"].iter().enumerate() {
        let Some(v) = body.get(*key) else { continue };
        match v.as_str() {
            Some(s) if uuid::Uuid::parse_str(s).is_ok() => ids[i] = Some(s.to_string()),
            _ => {
                return Err(bad_request(
                    "router",
                    format!("'{}' is not a valid UUID", crate::attrs::show(v)),
                ));
            }
        }
    }
    let [port_id, subnet_id] = ids;
    if port_id.is_none() && subnet_id.is_none() {
        return Err(bad_request(
            "router",
            "Either subnet_id or port_id must be specified",
        ));
    }
    if !for_removal && port_id.is_some() && subnet_id.is_some() {
        return Err(bad_request(
            "router",
            "Cannot specify both subnet-id and port-id",
        ));
    }
    Ok((port_id, subnet_id))
}

fn visible_subnet(tx: &Tx<'_>, caller: &Caller, id: &str) -> Result<Subnet> {
    let scope = Scope::load(tx, caller)?;
    match load::<Subnet>(tx, id)? {
        Some(s) if Subnets.sees(&scope, &to_map(&s)?) => Ok(s),
        _ => Err(Error::subnet_not_found(id)),
    }
}

fn visible_port(tx: &Tx<'_>, caller: &Caller, id: &str) -> Result<Port> {
    let scope = Scope::load(tx, caller)?;
    match load::<Port>(tx, id)? {
        Some(p) if crate::port::Ports.sees(&scope, &to_map(&p)?) => Ok(p),
        _ => Err(Error::port_not_found(id)),
    }
}

/// An IPv6 subnet whose hosts take RAs from an outside router cannot be routed by us.
fn check_address_mode(subnet: &Subnet) -> Result<()> {
    if subnet.ip_version == 6 && subnet.ipv6_ra_mode.is_none() && subnet.ipv6_address_mode.is_some()
    {
        return Err(bad_request(
            "router",
            format!(
                "IPv6 subnet {} configured to receive RAs from an external router cannot be added to Neutron Router.",
                subnet.id
            ),
        ));
    }
    Ok(())
}

fn has_ipv6(port: &Port) -> bool {
    port.fixed_ips
        .iter()
        .any(|f| f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6()))
}

fn interface_reply(router: &Router, port: &Port, subnets: &[String], last: bool) -> Value {
    let subnet_id = if last {
        subnets.last()
    } else {
        subnets.first()
    };
    json!({
        "id": router.id,
        "tenant_id": port.project_id,
        "project_id": port.project_id,
        "port_id": port.id,
        "network_id": port.network_id,
        "subnet_id": subnet_id,
        "subnet_ids": subnets,
    })
}

fn add_interface(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    router: &mut Router,
    body: &Map<String, Value>,
) -> Result<Option<Value>> {
    let (port_id, subnet_id) = interface_info(body, false)?;
    let (port, subnets) = match (port_id, subnet_id) {
        (Some(port_id), _) => add_by_port(tx, cx, router, &port_id)?,
        (None, Some(subnet_id)) => add_by_subnet(tx, cx, router, &subnet_id)?,
        (None, None) => return unreachable_action(),
    };
    Ok(Some(interface_reply(router, &port, &subnets, true)))
}

fn attach(tx: &Tx<'_>, router: &Router, port: &Port) -> Result<()> {
    l3::insert_router_port(
        tx,
        &RouterPortRow {
            router_id: router.id.clone(),
            port_id: port.id.clone(),
            port_type: ROUTER_INTERFACE.into(),
            network_id: port.network_id.clone(),
        },
    )
    .map_err(|e| crate::router::port_taken(e, port))
}

/// Whether an RBAC policy shares the network with this project by name. As upstream, a router
/// may take an interface on another project's subnet only then — not when the network is shared
/// with everyone (LP 1757482, LP 1975603).
fn shared_with_project(tx: &Tx<'_>, network_id: &str, project_id: &str) -> Result<bool> {
    Ok(store::policies_on(tx, network_id)?
        .iter()
        .any(|(_, action, target)| action == crate::rbac::SHARED && target == project_id))
}

fn add_by_subnet(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    router: &Router,
    subnet_id: &str,
) -> Result<(Port, Vec<String>)> {
    let subnet = visible_subnet(tx, cx.caller, subnet_id)?;
    let Some(gateway) = subnet.gateway_ip else {
        return Err(bad_request(
            "router",
            "Subnet for router interface must have a gateway IP",
        ));
    };
    if subnet.project_id != cx.caller.project_id
        && !cx.caller.is_admin()
        && !shared_with_project(tx, &subnet.network_id, &cx.caller.project_id)?
    {
        return Err(bad_request(
            "router",
            format!(
                "Cannot add interface to router because subnet {subnet_id} is not owned by project making the request"
            ),
        ));
    }
    check_address_mode(&subnet)?;
    check_new_subnets(tx, &router.id, std::slice::from_ref(&subnet), None, None)?;
    let entry = json!({"subnet_id": subnet.id, "ip_address": gateway.to_string()});
    if subnet.ip_version == 6 {
        // One IPv6 interface port per network: further IPv6 subnets become its prefixes.
        let existing = interface_ports(tx, &router.id)?
            .into_iter()
            .find(|p| p.network_id == subnet.network_id && has_ipv6(p));
        if let Some(p) = existing {
            let mut ips: Vec<Value> = p
                .fixed_ips
                .iter()
                .map(|f| json!({"subnet_id": f.subnet_id, "ip_address": f.ip_address}))
                .collect();
            ips.push(entry);
            let mut body = Map::new();
            body.insert("fixed_ips".into(), Value::Array(ips));
            let port = update_service_port(tx, cx.cfg, &p.id, body, "ACTIVE")?;
            return Ok((port, vec![subnet.id]));
        }
    }
    let port = create_service_port(
        tx,
        cx.cfg,
        ServicePort {
            network_id: &subnet.network_id,
            project_id: &router.project_id,
            device_owner: ROUTER_INTERFACE,
            device_id: &router.id,
            fixed_ips: Some(vec![entry]),
            status: "ACTIVE",
        },
    )?;
    attach(tx, router, &port)?;
    Ok((port, vec![subnet.id]))
}

fn add_by_port(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    router: &Router,
    port_id: &str,
) -> Result<(Port, Vec<String>)> {
    let port = visible_port(tx, cx.caller, port_id)?;
    if !port.device_id.is_empty() {
        return Err(Error::in_use(
            "PortInUse",
            format!(
                "Unable to complete operation on port {} for network {}. Port already has an attached device {}.",
                port.id, port.network_id, port.device_id
            ),
        ));
    }
    if port.fixed_ips.is_empty() {
        return Err(bad_request(
            "router",
            "Router port must have at least one fixed IP",
        ));
    }
    let mut subnets = Vec::new();
    for f in &port.fixed_ips {
        if let Some(s) = load::<Subnet>(tx, &f.subnet_id)?
            && !subnets.iter().any(|x: &Subnet| x.id == s.id)
        {
            check_address_mode(&s)?;
            subnets.push(s);
        }
    }
    if has_ipv6(&port)
        && let Some(other) = interface_ports(tx, &router.id)?
            .into_iter()
            .find(|p| p.network_id == port.network_id && has_ipv6(p))
    {
        return Err(bad_request(
            "router",
            format!(
                "Router already contains IPv6 port {} belonging to network id {}. Only one IPv6 port from the same network subnet can be connected to a router.",
                other.id, other.network_id
            ),
        ));
    }
    check_new_subnets(tx, &router.id, &subnets, Some(&port.id), None)?;
    if subnets.iter().filter(|s| s.ip_version == 4).count() > 1 {
        return Err(bad_request(
            "router",
            "Cannot have multiple IPv4 subnets on router port",
        ));
    }
    if !cx.caller.is_admin() {
        for f in &port.fixed_ips {
            let Some(s) = subnets.iter().find(|s| s.id == f.subnet_id) else {
                continue;
            };
            let in_pool = f.ip_address.parse::<IpAddr>().is_ok_and(|ip| {
                s.allocation_pools.iter().any(|p| {
                    neutrino_ipam::ip_to_u128(p.start) <= neutrino_ipam::ip_to_u128(ip)
                        && neutrino_ipam::ip_to_u128(ip) <= neutrino_ipam::ip_to_u128(p.end)
                })
            });
            if !in_pool && s.project_id != cx.caller.project_id {
                return Err(bad_request(
                    "router",
                    format!(
                        "Cannot add interface to router because specified port {} has an IP address out of the allocation pool of subnet {}, which is not owned by the project making the request",
                        port.id, s.id
                    ),
                ));
            }
        }
    }
    let mut body = Map::new();
    body.insert("device_id".into(), router.id.clone().into());
    body.insert("device_owner".into(), ROUTER_INTERFACE.into());
    let port = update_service_port(tx, cx.cfg, &port.id, body, "ACTIVE")?;
    attach(tx, router, &port)?;
    Ok((port, subnets.into_iter().map(|s| s.id).collect()))
}

/// An interface on `subnet` cannot go while a static route's nexthop or a floating IP served
/// by this router needs it.
fn check_interface_unused(tx: &Tx<'_>, router: &Router, subnet: &Subnet) -> Result<()> {
    if router
        .routes
        .iter()
        .any(|r| subnet.cidr.contains(&r.nexthop))
    {
        return Err(Error::in_use(
            "RouterInterfaceInUseByRoute",
            format!(
                "Router interface for subnet {} on router {} cannot be deleted, as it is required by one or more routes.",
                subnet.id, router.id
            ),
        ));
    }
    let fips = store::list_docs(
        tx,
        FLOATINGIPS,
        &Selection::by("router_id", vec![router.id.clone()]),
    )?;
    for doc in fips {
        let fip: Value = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
        let fixed = fip["fixed_ip_address"]
            .as_str()
            .and_then(|a| a.parse::<IpAddr>().ok());
        let Some(fixed) = fixed.filter(|a| subnet.cidr.contains(a)) else {
            continue;
        };
        let port_id = fip["port_id"].as_str().unwrap_or_default();
        let on_subnet = load::<Port>(tx, port_id)?.is_some_and(|p| {
            p.fixed_ips
                .iter()
                .any(|f| f.subnet_id == subnet.id && f.ip_address.parse() == Ok(fixed))
        });
        if on_subnet {
            return Err(Error::in_use(
                "RouterInterfaceInUseByFloatingIP",
                format!(
                    "Router interface for subnet {} on router {} cannot be deleted, as it is required by one or more floating IPs.",
                    subnet.id, router.id
                ),
            ));
        }
    }
    if crate::port_forwarding::uses_subnet(tx, &router.id, &subnet.id, &subnet.cidr)? {
        return Err(Error::in_use(
            "RouterInterfaceInUseByFloatingIP",
            format!(
                "Router interface for subnet {} on router {} cannot be deleted, as it is required by one or more floating IPs.",
                subnet.id, router.id
            ),
        ));
    }
    Ok(())
}

/// Takes `subnet_id` off a router port: the port goes if it was its only subnet.
fn detach_subnet(tx: &Tx<'_>, cx: &Ctx<'_>, port: &Port, subnet_id: &str) -> Result<()> {
    if port.fixed_ips.iter().any(|f| f.subnet_id != subnet_id) {
        let ips: Vec<Value> = port
            .fixed_ips
            .iter()
            .filter(|f| f.subnet_id != subnet_id)
            .map(|f| json!({"subnet_id": f.subnet_id, "ip_address": f.ip_address}))
            .collect();
        let mut body = Map::new();
        body.insert("fixed_ips".into(), Value::Array(ips));
        update_service_port(tx, cx.cfg, &port.id, body, "ACTIVE")?;
        return Ok(());
    }
    l3::delete_router_port(tx, &port.id)?;
    crate::port::remove_port(tx, port)
}

fn remove_interface(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    router: &mut Router,
    body: &Map<String, Value>,
) -> Result<Option<Value>> {
    let (port_id, subnet_id) = interface_info(body, true)?;
    if let Some(port_id) = port_id {
        let port = interface_ports(tx, &router.id)?
            .into_iter()
            .find(|p| p.id == port_id)
            .ok_or_else(|| {
                Error::not_found(
                    "RouterInterfaceNotFound",
                    format!(
                        "Router {} does not have an interface with id {port_id}",
                        router.id
                    ),
                )
            })?;
        let subnet_ids: Vec<String> = port.fixed_ips.iter().map(|f| f.subnet_id.clone()).collect();
        if let Some(s) = &subnet_id
            && !subnet_ids.contains(s)
        {
            return Err(Error::bad_request(format!(
                "Subnet {s} could not be found on port {port_id}."
            ))
            .with_kind("SubnetMismatchForPort"));
        }
        for sid in &subnet_ids {
            if let Some(s) = load::<Subnet>(tx, sid)? {
                check_interface_unused(tx, router, &s)?;
            }
        }
        l3::delete_router_port(tx, &port.id)?;
        crate::port::remove_port(tx, &port)?;
        return Ok(Some(interface_reply(router, &port, &subnet_ids, false)));
    }
    let subnet_id = subnet_id.unwrap_or_default();
    let subnet = visible_subnet(tx, cx.caller, &subnet_id)?;
    let ports: Vec<Port> = interface_ports(tx, &router.id)?
        .into_iter()
        .filter(|p| p.network_id == subnet.network_id)
        .collect();
    if !ports.is_empty() {
        check_interface_unused(tx, router, &subnet)?;
    }
    let port = ports
        .into_iter()
        .find(|p| p.fixed_ips.iter().any(|f| f.subnet_id == subnet.id))
        .ok_or_else(|| {
            Error::not_found(
                "RouterInterfaceNotFoundForSubnet",
                format!(
                    "Router {} has no interface on subnet {}",
                    router.id, subnet.id
                ),
            )
        })?;
    detach_subnet(tx, cx, &port, &subnet.id)?;
    Ok(Some(interface_reply(
        router,
        &port,
        std::slice::from_ref(&subnet.id),
        false,
    )))
}

/// `add_extraroutes` / `remove_extraroutes`: `{"router": {"routes": [...]}}`.
fn change_routes(
    tx: &Tx<'_>,
    router: &mut Router,
    body: &Map<String, Value>,
    add: bool,
) -> Result<Option<Value>> {
    let routes = match body.get("router") {
        Some(Value::Object(r)) if r.len() == 1 && r.contains_key("routes") => &r["routes"],
        _ => {
            return Err(Error::bad_request(
                "Invalid input for routes. Reason: the body must be {\"router\": {\"routes\": [...]}}.",
            ));
        }
    };
    let given = parse_routes(routes)?;
    let mut routes = router.routes.clone();
    if add {
        for r in given {
            if !routes.contains(&r) {
                routes.push(r);
            }
        }
        check_routes(tx, &router.id, &routes)?;
    } else {
        routes.retain(|r| !given.contains(r));
    }
    router.routes = routes;
    Ok(None)
}
