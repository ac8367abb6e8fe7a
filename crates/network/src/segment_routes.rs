//! `segments-peer-subnet-host-routes`: on a routed network (subnets on segments), each subnet
//! with a gateway gets a host route to every subnet of the same IP version on another segment
//! of the network, via its own gateway, unless a route of its already covers that subnet
//! (upstream's `SegmentHostRoutes`). Kept up to date as the network's subnets come and go.

use std::net::IpAddr;

use ipnet::IpNet;
use neutrino_ipam::HostRoute;
use neutrino_store::tables::SUBNETS;
use neutrino_store::{self as store, Tx};

use crate::Result;
use crate::model::{Resource, Subnet};

/// `routes` with a route to each peer of `subnet` among `subnets` it does not reach yet;
/// `old_gateway`: a route to a peer via the subnet's former gateway goes first.
pub(crate) fn with_peer_routes(
    subnet: &Subnet,
    subnets: &[Subnet],
    mut routes: Vec<HostRoute>,
    old_gateway: Option<IpAddr>,
) -> Vec<HostRoute> {
    let is_peer = |s: &&Subnet| {
        s.id != subnet.id && s.segment_id != subnet.segment_id && s.ip_version == subnet.ip_version
    };
    for peer in subnets.iter().filter(is_peer) {
        if let Some(old) = old_gateway {
            routes.retain(|r| !(r.destination == peer.cidr && r.nexthop == old));
        }
        let Some(gateway) = subnet.gateway_ip else {
            continue;
        };
        // A route to the peer or to a network that holds it (a summary route) is enough.
        if !routes.iter().any(|r| covers(&r.destination, &peer.cidr)) {
            routes.push(HostRoute {
                destination: peer.cidr,
                nexthop: gateway,
            });
        }
    }
    routes
}

fn covers(net: &IpNet, inner: &IpNet) -> bool {
    net.contains(inner)
}

/// Whether two route lists hold the same routes, in any order.
fn same_routes(a: &[HostRoute], b: &[HostRoute]) -> bool {
    a.len() == b.len() && a.iter().all(|r| b.contains(r)) && b.iter().all(|r| a.contains(r))
}

/// The routes a new or changed subnet on a segment takes: those given (or kept) plus those to
/// its peers. A subnet on no segment, or without a gateway, keeps its routes as they are.
pub(crate) fn for_subnet(
    subnet: &Subnet,
    subnets: &[Subnet],
    old_gateway: Option<IpAddr>,
) -> Vec<HostRoute> {
    if subnet.segment_id.is_none() {
        return subnet.host_routes.clone();
    }
    with_peer_routes(subnet, subnets, subnet.host_routes.clone(), old_gateway)
}

/// After a subnet on a segment was created (or `deleted`, with its CIDR): every subnet of the
/// network gets the routes to its peers anew, and drops those to the deleted subnet via its
/// gateway; a subnet whose routes change is a new revision of it.
pub(crate) fn refresh_network(tx: &Tx<'_>, network_id: &str, deleted: Option<IpNet>) -> Result<()> {
    let subnets = crate::port_addresses::subnets_of(tx, network_id)?;
    for subnet in &subnets {
        let mut routes = subnet.host_routes.clone();
        if let (Some(cidr), Some(gateway)) = (deleted, subnet.gateway_ip) {
            routes.retain(|r| !(r.destination == cidr && r.nexthop == gateway));
        }
        let routes = with_peer_routes(subnet, &subnets, routes, None);
        if same_routes(&routes, &subnet.host_routes) {
            continue;
        }
        let mut changed = subnet.clone();
        changed.host_routes = routes;
        changed.std.touch();
        let columns = crate::subnet::columns(&changed);
        store::update_row(tx, SUBNETS, &changed.id, &columns, &changed.to_doc())?;
    }
    Ok(())
}
