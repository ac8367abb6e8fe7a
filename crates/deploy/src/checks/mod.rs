//! Checks of a deployment's Networking spec: the admission webhook's rules (NA-*), the cases the
//! reference controller renders into broken configuration (FN-*), the known limitations of the back
//! ends (BE-*, DV-*), the per-node entries (ND-*), and — with a cluster design — what the hosts must
//! provide (FN-8..10, DC-*).
//! Every finding carries the key path it is about and the line it was written on.

mod admission;
mod cluster;
mod floating;
mod limits;
mod networks;
mod nodes;

use neutrino_cluster::design::Design;
use neutrino_cluster::finding::{Finding, Loc};

use crate::spec::Deployment;

/// Every rule id with what it checks, in the order docs/deploy.md lists them.
pub const RULES: &[(&str, &str)] = &[
    (
        "IN-2",
        "an unknown key under spec.features.neutron (the schema is closed)",
    ),
    ("IN-3", "a value of the wrong type or outside its enum"),
    ("IN-4", "a required key is missing"),
    (
        "NA-1",
        "floating_network.enabled without floating_network.physnet",
    ),
    ("NA-2", "bgpvpn.enabled without a route reflector or peers"),
    ("NA-3", "ipsec with Tungsten Fabric"),
    ("NA-4", "bgpvpn with Tungsten Fabric"),
    (
        "NA-5",
        "Tungsten Fabric floating network: network_type, physnet, segmentation_id all or none",
    ),
    ("NA-6", "OVN before yoga"),
    ("NA-7", "OVN with the Tungsten Fabric preset"),
    ("NA-8", "OVN with bgpvpn or ipsec"),
    ("NA-9", "OVN with vpnaas before caracal"),
    ("NA-10", "vpnaas before yoga or with Tungsten Fabric"),
    (
        "NA-11",
        "dynamic_routing before yoga or with Tungsten Fabric",
    ),
    (
        "NA-12",
        "portprober before antelope or with Tungsten Fabric",
    ),
    ("NA-13", "geneve tenant networks without OVN"),
    (
        "NA-14",
        "baremetal.ngs: hardware and devices together, or a device without device_type/ip",
    ),
    (
        "NA-15",
        "the baremetal service with the Tungsten Fabric preset",
    ),
    (
        "FN-1",
        "floating_network.physnet is one of external_networks[].physnet",
    ),
    (
        "FN-2",
        "floating_network.network_type is one of that physnet's network_types",
    ),
    (
        "FN-3",
        "segmentation_id: inside the physnet's vlan_ranges for vlan, absent for flat",
    ),
    (
        "FN-4",
        "pool inside the range, pool_start <= pool_end, gateway inside the range and outside the pool",
    ),
    (
        "FN-5",
        "external_networks: physnets, bridges and interfaces are not shared",
    ),
    (
        "FN-6",
        "external_networks[].network_types only flat and vlan",
    ),
    ("FN-7", "a vlan physnet has vlan_ranges"),
    (
        "FN-8",
        "external_networks[].mtu fits the host interface behind it",
    ),
    (
        "FN-9",
        "tunnel_interface exists with an IPv4 address on every compute, gateway and controller",
    ),
    (
        "FN-10",
        "the tunnel interface carries tenant networks: its MTU covers the network MTU plus the tunnel overhead",
    ),
    (
        "FN-11",
        "floating_network.enabled needs floating_network.subnet",
    ),
    ("FN-12", "dns_servers are IP addresses"),
    ("FN-13", "vlan_ranges are min:max pairs of VLAN ids"),
    (
        "FN-14",
        "interface, bridge and physnet names survive in interface names, bridge mappings and VLAN ranges",
    ),
    ("FN-15", "external_networks[].mtu is between 68 and 65535"),
    ("BE-1", "the back end as Neutrino realises it"),
    ("BE-2", "preset and backend disagree about Tungsten Fabric"),
    (
        "DV-4",
        "distributed routers where ARP announcements cannot move a VIP (LP#1774459)",
    ),
    (
        "DC-1",
        "external_networks[].interface exists on the hosts that need it",
    ),
    (
        "DC-2",
        "external_networks[].bridge does not clash with a host interface",
    ),
    (
        "DC-3",
        "the floating range lies inside the cluster's external Subnet it overlaps",
    ),
    (
        "DC-4",
        "the floating pool is disjoint from the MetalLB services range and the API VIP",
    ),
    ("DC-5", "the floating pool is disjoint from host addresses"),
    ("ND-1", "spec.nodes keys are <label>::<value>"),
    (
        "ND-2",
        "no host is selected by spec.nodes entries with different tunnel interfaces",
    ),
    (
        "ND-3",
        "every spec.nodes entry selects a host of the design",
    ),
];

/// Runs every rule; `design` adds the rules that need the hosts.
pub fn run(d: &Deployment, design: Option<&Design>) -> Vec<Finding> {
    let mut out = Vec::new();
    admission::run(d, &mut out);
    networks::run(d, &mut out);
    floating::run(d, &mut out);
    limits::run(d, &mut out);
    nodes::run(d, &mut out);
    if let Some(design) = design {
        cluster::run(d, design, &mut out);
    }
    out
}

fn error(d: &Deployment, rule: &'static str, loc: &Loc, key: String, message: String) -> Finding {
    Finding::error(rule, d.id(), loc.clone(), message).key(key)
}

fn warning(d: &Deployment, rule: &'static str, loc: &Loc, key: String, message: String) -> Finding {
    Finding::warning(rule, d.id(), loc.clone(), message).key(key)
}

/// Host names for a message: the first few, then how many more.
fn some_hosts(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}
