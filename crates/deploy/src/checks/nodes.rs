//! `spec.nodes`: the keys select nodes by a Kubernetes label (ND-1); with a cluster design, a host
//! is not given two different tunnel interfaces (ND-2), and every entry selects some host (ND-3).

use std::collections::BTreeMap;

use neutrino_cluster::design::Design;
use neutrino_cluster::finding::Finding;

use super::{error, some_hosts, warning};
use crate::chassis::Chassis;
use crate::spec::{Deployment, NODE_KEY_SEPARATOR};

/// ND-1: a key the reference's schema refuses (`.*::.*`), or one with an empty label, which no node
/// carries.
pub fn run(d: &Deployment, out: &mut Vec<Finding>) {
    for node in d.nodes.iter().filter(|n| n.label().is_none()) {
        let key = &node.key;
        out.push(
            error(d, "ND-1", &key.loc, format!("spec.nodes[\"{}\"]", key.value),
                format!("`{}` does not select nodes: a key of spec.nodes is `<label>{NODE_KEY_SEPARATOR}<value>`, a Kubernetes node label and its value", key.value))
            .hint("write the label and its value separated by `::`, e.g. \"openstack-compute-node::enabled\" or \"kubernetes.io/hostname::cmp-001\""),
        );
    }
}

/// ND-2, ND-3: the entries against the hosts of the design.
pub fn against_hosts(d: &Deployment, design: &Design, hosts: &[Chassis], out: &mut Vec<Finding>) {
    // (first entry, second entry) → the hosts both select with different interfaces.
    let mut clashes: BTreeMap<(usize, usize), Vec<&str>> = BTreeMap::new();
    for h in hosts {
        if let Err((a, b)) = d.tunnel_for(h.labels) {
            let index = |n| d.nodes.iter().position(|x| std::ptr::eq(x, n));
            if let (Some(a), Some(b)) = (index(a), index(b)) {
                clashes.entry((a, b)).or_default().push(h.name);
            }
        }
    }
    for ((a, b), names) in clashes {
        let (a, b) = (&d.nodes[a], &d.nodes[b]);
        let (Some(ta), Some(tb)) = (&a.tunnel_interface, &b.tunnel_interface) else {
            continue;
        };
        out.push(
            error(d, "ND-2", &tb.loc, b.path("tunnel_interface"),
                format!("{} host(s) carry the labels of both spec.nodes[\"{}\"] (tunnel_interface `{}`) and spec.nodes[\"{}\"] (tunnel_interface `{}`): {}",
                    names.len(), a.key.value, ta.value, b.key.value, tb.value, some_hosts(&names)))
            .hint("choose labels that select disjoint hosts, or give both entries the same tunnel_interface"),
        );
    }
    for node in &d.nodes {
        let Some((label, value)) = node.label() else {
            continue;
        };
        if !design.hosts.iter().any(|h| node.matches(&h.host.labels)) {
            out.push(
                warning(d, "ND-3", &node.key.loc, format!("spec.nodes[\"{}\"]", node.key.value),
                    format!("no host of the cluster design carries the label {label}={value}: the entry changes nothing"))
                .hint("check the label's spelling against the hosts' labels (IpamHost metadata.labels, HostInventory labels, kubernetes.io/hostname, the role and rack labels)"),
            );
        }
    }
}
