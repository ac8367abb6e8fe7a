//! Known limitations: how Neutrino realises the chosen back end (BE-1), the preset/back end
//! mismatch the admission webhook does not see (BE-2), and the DVR/VRRP limitation of the product
//! page (DV-4).

use neutrino_cluster::finding::Finding;

use super::{error, warning};
use crate::spec::{Backend, Deployment, NEUTRON};

pub fn run(d: &Deployment, out: &mut Vec<Finding>) {
    let n = &d.neutron;
    let backend_loc = n.backend.as_ref().map_or(&n.loc, |b| &b.loc);
    let key = format!("{NEUTRON}.backend");
    match d.backend() {
        Backend::Ml2Ovn => {}
        Backend::Ml2 => out.push(
            warning(d, "BE-1", backend_loc, key.clone(),
                "backend ml2 (Open vSwitch with Neutron agents): Neutrino programs Open vSwitch through OVN, so it is rendered as the OVN back end".into())
            .hint("write backend: ml2/ovn to say what is deployed"),
        ),
        Backend::TungstenFabric => out.push(
            error(d, "BE-1", backend_loc, key.clone(),
                "Neutrino has no Tungsten Fabric back end yet: nothing can be rendered for it".into())
            .hint("use backend: ml2/ovn"),
        ),
    }
    let tf_backend = d.backend() == Backend::TungstenFabric;
    if n.backend.is_some() && d.tf_preset() != tf_backend {
        let preset = d.preset.as_ref().map_or("(none)", |p| p.value.as_str());
        out.push(
            warning(d, "BE-2", backend_loc, key,
                format!("preset {preset} with backend {}: the admission webhook applies its Tungsten Fabric rules by preset, the templates by backend, so one of them checks the wrong deployment", d.backend().name()))
            .hint(if tf_backend { "use preset compute-tf with backend tungstenfabric" } else { "use preset compute with an ml2 back end" }),
        );
    }
    // On OVN an allowed-address-pair VIP is a virtual port whose chassis moves with the VRRP
    // announcement (the data-plane tests prove the failover), so only the agent-based back end is
    // affected.
    if d.dvr() && d.backend() == Backend::Ml2 && d.has_service("load-balancer") {
        let loc = n.dvr.as_ref().map_or(&n.loc, |x| &x.loc);
        out.push(
            warning(d, "DV-4", loc, format!("{NEUTRON}.dvr.enabled"),
                "distributed routers with Open vSwitch agents install permanent ARP entries for VIPs (LP#1774459): load balancers in HA mode (Octavia amphorae, keepalived/VRRP) cannot move their VIP without interruption".into())
            .hint("use backend ml2/ovn (VIP failover works there), or keep load balancers off networks with a distributed router (create those routers with distributed: false)"),
        );
    }
}
