//! The external gateway of a router: a `network:router_gateway` port on an external network
//! (project `""`), its addresses and SNAT setting, and the rules for changing or removing it.

use std::net::IpAddr;

use serde_json::{Map, Value};

use neutrino_store::l3::{self, ROUTER_GATEWAY, RouterPortRow};
use neutrino_store::tables::FLOATINGIPS;
use neutrino_store::{self as store, Selection, Tx};

use crate::attrs;
use crate::model::{Network, Port};
use crate::read::load;
use crate::router::{
    ExternalGateway, GatewayInfo, Router, ServicePort, bad_request, check_new_subnets,
    create_service_port, update_service_port, visible_network,
};
use crate::{Caller, Error, NetworkConfig, Result};

/// The requested gateway: none (`null` or `{}`), or a network with optional settings.
pub(crate) enum GatewayRequest {
    None,
    Set {
        network_id: String,
        enable_snat: Option<bool>,
        fixed_ips: Option<Vec<Value>>,
        /// `{"qos_policy_id": ...}` if the request names one (or `null`), checked when set.
        qos: Option<Map<String, Value>>,
    },
}

pub(crate) fn parse_gateway(v: &Value) -> Result<GatewayRequest> {
    parse_gateway_named(v, "external_gateway_info")
}

/// [`parse_gateway`] of an attribute named `NAME` (`external_gateways` entries).
#[allow(non_snake_case)]
pub(crate) fn parse_gateway_named(v: &Value, NAME: &str) -> Result<GatewayRequest> {
    let m = match v {
        Value::Null => return Ok(GatewayRequest::None),
        Value::Object(m) if m.is_empty() => return Ok(GatewayRequest::None),
        Value::Object(m) => m,
        other => {
            return Err(Error::invalid_attr(
                NAME,
                format!("'{}' is not a dictionary", attrs::show(other)),
            ));
        }
    };
    if let Some(k) = m.keys().find(|k| {
        !matches!(
            k.as_str(),
            "network_id" | "enable_snat" | "external_fixed_ips" | "qos_policy_id"
        )
    }) {
        return Err(Error::invalid_attr(
            NAME,
            format!("Unrecognized attribute(s) '{k}'"),
        ));
    }
    let network_id = match m.get("network_id") {
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.clone(),
        Some(other) => {
            return Err(Error::invalid_attr(
                NAME,
                format!("'{}' is not a valid UUID", attrs::show(other)),
            ));
        }
        None => {
            let mut given: Vec<String> = m.keys().map(|k| format!("'{k}'")).collect();
            given.sort();
            return Err(Error::invalid_attr(
                NAME,
                format!(
                    "Validation of dictionary's keys failed. Expected keys: {{'network_id'}} Provided keys: {{{}}}",
                    given.join(", ")
                ),
            ));
        }
    };
    let enable_snat = match m.get("enable_snat") {
        None => None,
        Some(v) => Some(attrs::to_bool(v).ok_or_else(|| {
            Error::invalid_attr(
                NAME,
                format!("'{}' cannot be converted to boolean", attrs::show(v)),
            )
        })?),
    };
    let fixed_ips = match m.get("external_fixed_ips") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(e) = item else {
                    return Err(Error::invalid_attr(
                        NAME,
                        format!("'{}' is not a dictionary", attrs::show(item)),
                    ));
                };
                if let Some(k) = e.keys().find(|k| *k != "subnet_id" && *k != "ip_address") {
                    return Err(Error::invalid_attr(
                        NAME,
                        format!("Unrecognized attribute(s) '{k}'"),
                    ));
                }
            }
            Some(items.clone())
        }
        Some(other) => {
            return Err(Error::invalid_attr(
                NAME,
                format!("'{}' is not a list", attrs::show(other)),
            ));
        }
    };
    let qos = m.get("qos_policy_id").map(|v| {
        let mut body = Map::new();
        body.insert("qos_policy_id".into(), v.clone());
        body
    });
    Ok(GatewayRequest::Set {
        network_id,
        enable_snat,
        fixed_ips,
        qos,
    })
}

/// The router's gateway ports, the compatibility one (the port `external_gateway_info`
/// describes: upstream's `gw_port_id`) first, then the others in the order they were added.
pub(crate) fn gateway_ports(tx: &Tx<'_>, router: &Router) -> Result<Vec<Port>> {
    let mut ports = Vec::new();
    for rp in l3::router_ports(tx, &router.id)? {
        if rp.port_type == ROUTER_GATEWAY
            && let Some(p) = load::<Port>(tx, &rp.port_id)?
        {
            ports.push(p);
        }
    }
    if let Some(info) = &router.external_gateway_info {
        let holds = |p: &Port| {
            p.fixed_ips.iter().any(|f| {
                info.external_fixed_ips
                    .iter()
                    .any(|g| g.ip_address == f.ip_address)
            })
        };
        let compat = ports
            .iter()
            .position(holds)
            .or_else(|| ports.iter().position(|p| p.network_id == info.network_id));
        if let Some(i) = compat {
            let port = ports.remove(i);
            ports.insert(0, port);
        }
    }
    Ok(ports)
}

/// The router's compatibility gateway port, if it has one.
pub(crate) fn gateway_port(tx: &Tx<'_>, router: &Router) -> Result<Option<Port>> {
    Ok(gateway_ports(tx, router)?.into_iter().next())
}

/// Shows the router's gateways as they are now: `external_gateways` (the compatibility one
/// first) and `external_gateway_info` (the first's, with the router's SNAT flag and the
/// gateway's QoS policy), or none.
pub(crate) fn show_gateways(tx: &Tx<'_>, router: &mut Router) -> Result<()> {
    let ports = gateway_ports(tx, router)?;
    router.external_gateways = ports
        .iter()
        .map(|p| ExternalGateway {
            network_id: p.network_id.clone(),
            external_fixed_ips: p.fixed_ips.clone(),
        })
        .collect();
    router.external_gateway_info = ports.first().map(|p| GatewayInfo {
        network_id: p.network_id.clone(),
        enable_snat: router.enable_snat,
        external_fixed_ips: p.fixed_ips.clone(),
        qos_policy_id: router
            .external_gateway_info
            .as_ref()
            .and_then(|g| g.qos_policy_id.clone()),
    });
    Ok(())
}

pub(crate) fn floating_ips_use_router(tx: &Tx<'_>, router_id: &str) -> Result<bool> {
    Ok(!store::list_docs(
        tx,
        FLOATINGIPS,
        &Selection::by("router_id", vec![router_id.to_string()]),
    )?
    .is_empty())
}

/// Removes the router's compatibility gateway; refused while floating IPs are served through
/// it. Another gateway the router has becomes the compatibility one, as upstream's
/// `_update_router_gw_info` replaces `gw_port_id`.
pub(crate) fn remove_gateway(tx: &Tx<'_>, router: &mut Router) -> Result<()> {
    if let Some(gw) = gateway_port(tx, router)? {
        if floating_ips_use_router(tx, &router.id)? {
            return Err(Error::in_use(
                "RouterExternalGatewayInUseByFloatingIp",
                format!(
                    "Gateway cannot be updated for router {}, since a gateway to external network {} is required by one or more floating IPs.",
                    router.id, gw.network_id
                ),
            ));
        }
        delete_gateway_port(tx, &gw)?;
    }
    crate::qos::unbind(tx, &router.id)?;
    router.external_gateway_info = None;
    show_gateways(tx, router)
}

/// Deletes a gateway port and its router port row.
pub(crate) fn delete_gateway_port(tx: &Tx<'_>, gw: &Port) -> Result<()> {
    l3::delete_router_port(tx, &gw.id)?;
    crate::port::remove_port(tx, gw)
}

/// Creates a gateway port of the router on `network_id` (its subnets checked against the
/// router's others first).
pub(crate) fn create_gateway_port(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    router_id: &str,
    network_id: &str,
    fixed_ips: Option<Vec<Value>>,
) -> Result<Port> {
    let subnets = crate::port_addresses::subnets_of(tx, network_id)?;
    check_new_subnets(tx, router_id, &subnets, None, Some(network_id))?;
    let port = create_service_port(
        tx,
        cfg,
        ServicePort {
            network_id,
            project_id: "",
            device_owner: ROUTER_GATEWAY,
            device_id: router_id,
            fixed_ips: fixed_ips.filter(|f| !f.is_empty()),
            status: "ACTIVE",
        },
    )?;
    l3::insert_router_port(
        tx,
        &RouterPortRow {
            router_id: router_id.to_owned(),
            port_id: port.id.clone(),
            port_type: ROUTER_GATEWAY.into(),
            network_id: network_id.to_owned(),
        },
    )?;
    Ok(port)
}

/// `_validate_gw_info`: the network must be external and visible, and no requested address the
/// gateway address of one of its subnets. Returns the network.
pub(crate) fn check_gateway_network(
    tx: &Tx<'_>,
    caller: &Caller,
    network_id: &str,
    fixed_ips: Option<&Vec<Value>>,
) -> Result<Network> {
    let net = visible_network(tx, caller, network_id)?;
    if !net.router_external {
        return Err(bad_request(
            "router",
            format!("Network {network_id} is not an external network"),
        ));
    }
    let subnets = crate::port_addresses::subnets_of(tx, &net.id)?;
    for ip in fixed_ips
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("ip_address"))
    {
        let ip = ip.as_str().and_then(|s| s.parse::<IpAddr>().ok());
        if let Some(ip) = ip
            && subnets.iter().any(|s| s.gateway_ip == Some(ip))
        {
            return Err(bad_request(
                "router",
                format!("External IP {ip} is the same as the gateway IP"),
            ));
        }
    }
    Ok(net)
}

pub(crate) fn set_gateway(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    caller: &Caller,
    router: &mut Router,
    req: GatewayRequest,
) -> Result<()> {
    let GatewayRequest::Set {
        network_id,
        enable_snat,
        fixed_ips,
        qos,
    } = req
    else {
        router.enable_snat = cfg.enable_snat_by_default;
        return remove_gateway(tx, router);
    };
    let net = check_gateway_network(tx, caller, &network_id, fixed_ips.as_ref())?;
    let current = gateway_port(tx, router)?;
    match current {
        Some(gw) if gw.network_id == net.id => {
            if let Some(ips) = fixed_ips
                && !ips.is_empty()
                && external_ips_change(&gw, &ips)
            {
                let mut body = Map::new();
                body.insert("fixed_ips".into(), Value::Array(ips));
                update_service_port(tx, cfg, &gw.id, body, "ACTIVE")?;
            }
        }
        _ => {
            remove_gateway(tx, router)?;
            let port = create_gateway_port(tx, cfg, &router.id, &net.id, fixed_ips)?;
            // The new port is the compatibility one.
            router.external_gateway_info = Some(GatewayInfo {
                network_id: net.id.clone(),
                enable_snat: router.enable_snat,
                external_fixed_ips: port.fixed_ips,
                qos_policy_id: None,
            });
        }
    }
    let previous = router.external_gateway_info.as_ref();
    // As upstream, a gateway request that does not name a policy keeps the current one.
    let mut qos_policy_id = previous.and_then(|g| g.qos_policy_id.clone());
    if let Some(body) = qos {
        crate::qos::bind_on_update(
            tx,
            caller,
            "router",
            &router.id,
            &router.project_id,
            &mut qos_policy_id,
            &body,
        )?;
    }
    // As upstream's `_get_enable_snat`: a request that does not say takes the configured
    // default, whatever the gateway had; the router keeps the flag (`router-enable-snat`).
    router.enable_snat = enable_snat.unwrap_or(cfg.enable_snat_by_default);
    show_gateways(tx, router)?;
    if let Some(info) = router.external_gateway_info.as_mut() {
        info.qos_policy_id = qos_policy_id;
    }
    Ok(())
}

/// Do the requested external IPs differ from the gateway port's (by subnet or address)?
pub(crate) fn external_ips_change(gw: &Port, requested: &[Value]) -> bool {
    let mut subnets: Vec<&str> = requested
        .iter()
        .filter_map(|e| e.get("subnet_id").and_then(Value::as_str))
        .collect();
    let mut current: Vec<&str> = gw.fixed_ips.iter().map(|f| f.subnet_id.as_str()).collect();
    subnets.sort_unstable();
    subnets.dedup();
    current.sort_unstable();
    current.dedup();
    if !subnets.is_empty() && subnets != current {
        return true;
    }
    let mut ips: Vec<&str> = requested
        .iter()
        .filter_map(|e| e.get("ip_address").and_then(Value::as_str))
        .collect();
    let mut have: Vec<&str> = gw.fixed_ips.iter().map(|f| f.ip_address.as_str()).collect();
    ips.sort_unstable();
    have.sort_unstable();
    !ips.is_empty() && ips != have
}
