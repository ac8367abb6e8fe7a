//! The static routes of a router (`routes`, `add_extraroutes`, `remove_extraroutes`): each
//! nexthop must be on a subnet connected to the router.

use std::net::IpAddr;

use neutrino_ipam::{self as ipam, HostRoute};
use serde_json::Value;

use neutrino_store::Tx;
use neutrino_store::l3;

use crate::model::Port;
use crate::read::load;
use crate::router::{MAX_ROUTES, attached_subnets};
use crate::{Error, Result};

/// Python's repr of a route list, as upstream puts it in `InvalidRoutes`.
pub(crate) fn routes_repr(routes: &[HostRoute]) -> String {
    let items: Vec<String> = routes
        .iter()
        .map(|r| {
            format!(
                "{{'destination': '{}', 'nexthop': '{}'}}",
                r.destination, r.nexthop
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Parses `routes` with the host-route validator.
pub(crate) fn parse_routes(v: &Value) -> Result<Vec<HostRoute>> {
    let v = if v.is_null() {
        &Value::Array(Vec::new())
    } else {
        v
    };
    ipam::validate_host_routes(v).map_err(|r| Error::invalid_attr("routes", r))
}

/// Each nexthop must be inside a subnet the router is connected to and not one of the
/// router's own addresses; at most [`MAX_ROUTES`] routes.
pub(crate) fn check_routes(tx: &Tx<'_>, router_id: &str, routes: &[HostRoute]) -> Result<()> {
    if routes.len() > MAX_ROUTES {
        return Err(Error::bad_request(format!(
            "Unable to complete operation for {router_id}. The number of routes exceeds the maximum {MAX_ROUTES}."
        ))
        .with_kind("RoutesExhausted"));
    }
    if routes.is_empty() {
        return Ok(());
    }
    let cidrs: Vec<_> = attached_subnets(tx, router_id)?
        .into_iter()
        .map(|s| s.cidr)
        .collect();
    let mut own: Vec<IpAddr> = Vec::new();
    for rp in l3::router_ports(tx, router_id)? {
        if let Some(p) = load::<Port>(tx, &rp.port_id)? {
            own.extend(
                p.fixed_ips
                    .iter()
                    .filter_map(|f| f.ip_address.parse::<IpAddr>().ok()),
            );
        }
    }
    for r in routes {
        let reason = if !cidrs.iter().any(|c| c.contains(&r.nexthop)) {
            "the nexthop is not connected with router"
        } else if own.contains(&r.nexthop) {
            "the nexthop is used by router"
        } else {
            continue;
        };
        return Err(Error::bad_request(format!(
            "Invalid format for routes: {}, {reason}.",
            routes_repr(routes)
        ))
        .with_kind("InvalidRoutes"));
    }
    Ok(())
}
