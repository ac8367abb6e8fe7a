//! Which hosts of a cluster design run an OVN chassis, and what each one needs from the spec: the
//! tunnel interface (computes, gateways, controllers), the external bridges (gateways; computes too
//! when floating IPs are translated on them), the gateway role. Checks and render share this.

use std::collections::BTreeMap;

use neutrino_cluster::design::Design;
use neutrino_cluster::design::hosts::HostPlan;
use neutrino_cluster::model::host::NodeRole;
use neutrino_cluster::render::netplan::Netplan;

use crate::spec::{Backend, Deployment};

pub struct Chassis<'d> {
    pub name: &'d str,
    /// The node labels that select `spec.nodes` entries.
    pub labels: &'d BTreeMap<String, String>,
    pub netplan: &'d Netplan,
    /// Routers' gateway ports may be scheduled here (`ovn-cms-options=enable-chassis-as-gw`).
    pub gateway: bool,
    /// The host bridges the external networks: a gateway, or a compute when OVN or DVR brings
    /// floating IP traffic to the computes.
    pub external: bool,
}

/// The rendered hosts that need the tunnel interface, in name order.
pub fn chassis<'d>(d: &Deployment, design: &'d Design) -> Vec<Chassis<'d>> {
    let computes_bridge = d.backend() == Backend::Ml2Ovn || d.dvr();
    design
        .rendered_hosts()
        .filter_map(|h: &'d HostPlan| {
            let roles = &h.host.roles;
            let has = |r| roles.contains(&r);
            if !(has(NodeRole::Compute) || has(NodeRole::Gateway) || has(NodeRole::Controller)) {
                return None;
            }
            let rendered = h.rendered.as_ref()?;
            Some(Chassis {
                name: &h.host.name,
                labels: &h.host.labels,
                netplan: &rendered.netplan,
                gateway: has(NodeRole::Gateway),
                external: has(NodeRole::Gateway) || (has(NodeRole::Compute) && computes_bridge),
            })
        })
        .collect()
}
