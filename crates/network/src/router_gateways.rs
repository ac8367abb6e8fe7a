//! A router's several gateways (`external-gateway-multihoming`): the member actions
//! `add_external_gateways`, `update_external_gateways` and `remove_external_gateways`, each
//! `PUT {"router": {"external_gateways": [{network_id, enable_snat, external_fixed_ips}, ...]}}`
//! and answering `{"router": ...}`, as upstream's `ExtraGatewaysDbOnlyMixin`.
//!
//! The first gateway is the compatibility one, the one `external_gateway_info` describes: a
//! router without gateways gets its first through the rules of `external_gateway_info`
//! ([`set_gateway`]), and every other is a further `network:router_gateway` port. A request's
//! gateway is matched to a port by network and, when the router has several there, by
//! addresses.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use neutrino_store::Tx;
use neutrino_store::tables::FLOATINGIPS;
use neutrino_store::{self as store, Selection};

use crate::collection::Ctx;
use crate::error::Failure;
use crate::model::Port;
use crate::read::load_for_change;
use crate::router::{GatewayInfo, Router, Routers, save_router, update_service_port};
use crate::router_gateway::{
    GatewayRequest, check_gateway_network, create_gateway_port, delete_gateway_port, gateway_ports,
    parse_gateway_named, remove_gateway, set_gateway, show_gateways,
};
use crate::{Caller, Error, Result};

const ATTR: &str = "external_gateways";

pub(crate) fn action(
    tx: &Tx<'_>,
    cx: &Ctx<'_>,
    id: &str,
    action: &str,
    body: &Map<String, Value>,
) -> Option<Result<Value>> {
    match action {
        "add_external_gateways" | "update_external_gateways" | "remove_external_gateways" => {
            Some(run(tx, cx, id, action, body))
        }
        _ => None,
    }
}

/// One requested gateway.
struct Requested {
    /// The entry as given, for the compatibility rules.
    value: Value,
    network_id: String,
    fixed_ips: Option<Vec<Value>>,
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
    let Some(Value::Object(r)) = body.get("router") else {
        return Err(Error::bad_request(format!(
            "Invalid input for {ATTR}. Reason: the body must be {{\"router\": {{\"{ATTR}\": [...]}}}}."
        )));
    };
    // Not given: the router as it is.
    if let Some(given) = r.get(ATTR) {
        let requested = parse(given, action, cx.caller)?;
        match action {
            "add_external_gateways" => add(tx, cx, &mut router, requested)?,
            "update_external_gateways" => update(tx, cx, &mut router, requested)?,
            _ => remove(tx, cx.caller, &mut router, &requested)?,
        }
        router.std.touch();
        save_router(tx, &router)?;
    }
    Ok(json!({ "router": router }))
}

/// The requested gateways: a list of gateway dictionaries; `null`, `{}` and `[]` are none.
fn parse(v: &Value, action: &str, caller: &Caller) -> Result<Vec<Requested>> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Object(m) if m.is_empty() => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(Error::invalid_attr(
                ATTR,
                format!("'{}' is not a list", crate::attrs::show(other)),
            ));
        }
    };
    let mut out = Vec::new();
    for item in items {
        let GatewayRequest::Set {
            network_id,
            fixed_ips,
            enable_snat,
            ..
        } = parse_gateway_named(item, ATTR)?
        else {
            return Err(Error::invalid_attr(
                ATTR,
                "Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {}",
            ));
        };
        if !caller.is_admin() && action != "remove_external_gateways" {
            let admin_only = [
                ("enable_snat", enable_snat.is_some()),
                ("external_fixed_ips", fixed_ips.is_some()),
            ];
            if let Some((a, _)) = admin_only.iter().find(|(_, given)| *given) {
                return Err(Error::policy(&format!(
                    "(rule:{action} and rule:{action}:{ATTR}:{a})"
                )));
            }
        }
        out.push(Requested {
            value: item.clone(),
            network_id,
            fixed_ips,
        });
    }
    Ok(out)
}

/// The router's gateway request through `external_gateway_info`'s rules.
fn compat_request(r: &Requested) -> Result<GatewayRequest> {
    crate::router_gateway::parse_gateway(&r.value)
}

fn unable(kind: &'static str, what: &str, router_id: &str) -> Error {
    Error::new(Failure::Internal, kind, format!("{what} {router_id}"))
}

fn unable_to_match(router_id: &str) -> Error {
    unable(
        "UnableToMatchGateways",
        "Unable to match a requested gateway port to existing gateway ports for router",
        router_id,
    )
}

/// `_add_external_gateways`: a router without gateways takes the first as its compatibility
/// gateway; every other becomes a further gateway port.
fn add(tx: &Tx<'_>, cx: &Ctx<'_>, router: &mut Router, requested: Vec<Requested>) -> Result<()> {
    let mut extra = &requested[..];
    if gateway_ports(tx, router)?.is_empty() {
        let Some((first, rest)) = requested.split_first() else {
            return Ok(());
        };
        set_gateway(tx, cx.cfg, cx.caller, router, compat_request(first)?)?;
        extra = rest;
    }
    for r in extra {
        if router.external_gateway_info.is_none() {
            return Err(unable(
                "UnableToAddExtraGateways",
                "Unable to add extra gateways to a router",
                &router.id,
            ));
        }
        check_gateway_network(tx, cx.caller, &r.network_id, r.fixed_ips.as_ref())?;
        create_gateway_port(tx, cx.cfg, &router.id, &r.network_id, r.fixed_ips.clone())?;
    }
    show_gateways(tx, router)
}

/// How the requested gateways match the router's gateway ports (`_match_requested_gateway_ports`):
/// ports whose addresses are exactly the requested ones, ports that share some (or are the
/// only port on the network of a request without addresses), and requests with no port on
/// their network.
struct Matches<'a> {
    full: Vec<String>,
    partial: Vec<(Port, &'a Requested)>,
    missing: Vec<&'a Requested>,
}

fn match_gateways<'a>(
    ports: &[Port],
    router_id: &str,
    requested: &'a [Requested],
) -> Result<Matches<'a>> {
    let mut m = Matches {
        full: Vec::new(),
        partial: Vec::new(),
        missing: Vec::new(),
    };
    for r in requested {
        let on_net: Vec<&Port> = ports
            .iter()
            .filter(|p| p.network_id == r.network_id)
            .collect();
        if on_net.is_empty() {
            m.missing.push(r);
            continue;
        }
        let wanted: BTreeSet<String> = r
            .fixed_ips
            .iter()
            .flatten()
            .filter_map(|e| e.get("ip_address").and_then(Value::as_str))
            .filter_map(|ip| ip.parse::<std::net::IpAddr>().ok())
            .map(|ip| ip.to_string())
            .collect();
        if r.fixed_ips.as_ref().is_none_or(Vec::is_empty) {
            match on_net[..] {
                [only] => m.partial.push((only.clone(), r)),
                _ => return Err(unable_to_match(router_id)),
            }
            continue;
        }
        let found = on_net.iter().find_map(|p| {
            let have: BTreeSet<String> = p.fixed_ips.iter().map(|f| f.ip_address.clone()).collect();
            (!have.is_disjoint(&wanted)).then_some((p, have == wanted))
        });
        match found {
            Some((p, full)) => {
                if full {
                    m.full.push(p.id.clone());
                }
                m.partial.push(((*p).clone(), r));
            }
            None => return Err(unable_to_match(router_id)),
        }
    }
    Ok(m)
}

/// Removes a gateway other than the compatibility one; refused while the router serves
/// floating IPs of its network and no other gateway there remains.
fn delete_extra(tx: &Tx<'_>, router: &Router, port: &Port, ports: &[Port]) -> Result<()> {
    let fips = store::list_docs(
        tx,
        FLOATINGIPS,
        &Selection::by("router_id", vec![router.id.clone()]),
    )?;
    let serves = fips
        .iter()
        .filter_map(|doc| serde_json::from_str::<Value>(doc).ok())
        .any(|f| f["floating_network_id"] == port.network_id.as_str());
    let others_there = ports
        .iter()
        .filter(|p| p.network_id == port.network_id)
        .count();
    if serves && others_there < 2 {
        return Err(Error::in_use(
            "RouterExternalGatewayInUseByFloatingIp",
            format!(
                "Gateway cannot be updated for router {}, since a gateway to external network {} is required by one or more floating IPs.",
                router.id, port.network_id
            ),
        ));
    }
    delete_gateway_port(tx, port)
}

/// `_remove_external_gateways`: the matched gateways go, the compatibility one last (another
/// then takes its place).
fn remove(
    tx: &Tx<'_>,
    caller: &Caller,
    router: &mut Router,
    requested: &[Requested],
) -> Result<()> {
    if requested.is_empty() {
        return Ok(());
    }
    let ports = gateway_ports(tx, router)?;
    if ports.is_empty() {
        return Err(unable(
            "UnableToRemoveGateways",
            "Unable to remove extra gateways from a router",
            &router.id,
        ));
    }
    for r in requested {
        check_gateway_network(tx, caller, &r.network_id, r.fixed_ips.as_ref())?;
    }
    let m = match_gateways(&ports, &router.id, requested)?;
    if !m.missing.is_empty() {
        return Err(unable_to_match(&router.id));
    }
    let compat_id = ports[0].id.clone();
    let mut remaining = ports.clone();
    for (port, _) in m.partial.iter().filter(|(p, _)| p.id != compat_id) {
        delete_extra(tx, router, port, &remaining)?;
        remaining.retain(|p| p.id != port.id);
    }
    if m.partial.iter().any(|(p, _)| p.id == compat_id) {
        remove_gateway(tx, router)?;
    }
    show_gateways(tx, router)
}

/// Every gateway of the router goes (before the router itself does).
pub(crate) fn remove_all(tx: &Tx<'_>, router: &mut Router) -> Result<()> {
    let ports = gateway_ports(tx, router)?;
    let mut remaining = ports.clone();
    for port in ports.iter().skip(1) {
        delete_extra(tx, router, port, &remaining)?;
        remaining.retain(|p| p.id != port.id);
    }
    remove_gateway(tx, router)
}

/// `_update_external_gateways`: the router's gateways become the requested ones. The first
/// is the compatibility gateway (an existing gateway matching it takes that role); matched
/// gateways take the requested addresses, the unmatched requests become new gateways and the
/// router's gateways no request names go. No gateways: all of them go.
fn update(tx: &Tx<'_>, cx: &Ctx<'_>, router: &mut Router, requested: Vec<Requested>) -> Result<()> {
    let Some((first, rest)) = requested.split_first() else {
        return remove_all(tx, router);
    };
    for r in &requested {
        check_gateway_network(tx, cx.caller, &r.network_id, r.fixed_ips.as_ref())?;
    }
    let ports = gateway_ports(tx, router)?;
    let m = match_gateways(&ports, &router.id, std::slice::from_ref(first))?;
    if let Some((port, _)) = m.partial.first() {
        // That gateway becomes the compatibility one.
        router.external_gateway_info = Some(GatewayInfo {
            network_id: port.network_id.clone(),
            enable_snat: router.enable_snat,
            external_fixed_ips: port.fixed_ips.clone(),
            qos_policy_id: router
                .external_gateway_info
                .as_ref()
                .and_then(|g| g.qos_policy_id.clone()),
        });
    }
    set_gateway(tx, cx.cfg, cx.caller, router, compat_request(first)?)?;
    let ports = gateway_ports(tx, router)?;
    let compat_id = ports.first().map(|p| p.id.clone());
    let others: Vec<Port> = ports
        .iter()
        .filter(|p| Some(&p.id) != compat_id.as_ref())
        .cloned()
        .collect();
    let m = match_gateways(&others, &router.id, rest)?;
    for (port, r) in &m.partial {
        if let Some(ips) = r.fixed_ips.as_ref().filter(|f| !f.is_empty()) {
            let mut body = Map::new();
            body.insert("fixed_ips".into(), Value::Array(ips.clone()));
            update_service_port(tx, cx.cfg, &port.id, body, "ACTIVE")?;
        }
    }
    let kept: BTreeSet<&str> = m.partial.iter().map(|(p, _)| p.id.as_str()).collect();
    let mut remaining = ports.clone();
    for port in others.iter().filter(|p| !kept.contains(p.id.as_str())) {
        delete_extra(tx, router, port, &remaining)?;
        remaining.retain(|p| p.id != port.id);
    }
    let missing: Vec<Requested> = m
        .missing
        .iter()
        .map(|r| Requested {
            value: r.value.clone(),
            network_id: r.network_id.clone(),
            fixed_ips: r.fixed_ips.clone(),
        })
        .collect();
    add(tx, cx, router, missing)
}
