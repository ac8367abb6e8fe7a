//! Reading a rendered netplan v2 document back: interfaces, their addresses, routes, MTUs and what each
//! one sits on. The rules look at what a host would really get, not at what the template meant.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::yaml::{Node, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IfaceKind {
    Ethernet,
    Bond,
    Vlan,
    Bridge,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `default` is stored as 0.0.0.0/0.
    pub to: Ipv4Net,
    pub via: Option<Ipv4Addr>,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    pub name: String,
    pub kind: IfaceKind,
    pub addresses: Vec<(Ipv4Net, u32)>,
    pub routes: Vec<Route>,
    pub mtu: Option<u32>,
    /// Bond and bridge members.
    pub members: Vec<String>,
    /// VLAN parent and id.
    pub link: Option<String>,
    pub vlan_id: Option<u16>,
    pub mac_match: Option<String>,
    pub line: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Netplan {
    pub interfaces: BTreeMap<String, Iface>,
}

/// A structural problem in a rendered netplan (line relative to the rendered text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetplanProblem {
    pub line: u32,
    pub message: String,
}

const SECTIONS: &[(&str, IfaceKind)] = &[
    ("ethernets", IfaceKind::Ethernet),
    ("bonds", IfaceKind::Bond),
    ("vlans", IfaceKind::Vlan),
    ("bridges", IfaceKind::Bridge),
];

/// Reads a netplan document (the part under `network:`, i.e. what npTemplate holds).
pub fn read_netplan(doc: &Node) -> (Netplan, Vec<NetplanProblem>) {
    let mut plan = Netplan::default();
    let mut problems = Vec::new();
    let mut problem = |node: &Node, message: String| {
        problems.push(NetplanProblem {
            line: node.pos.line,
            message,
        })
    };
    if doc.as_map().is_none() {
        problem(doc, "the rendered npTemplate is not a mapping".into());
        return (plan, problems);
    }
    match doc.get("version").map(|v| &v.value) {
        Some(Value::Int(2)) => {}
        _ => problem(doc, "netplan `version: 2` is missing".into()),
    }
    for (section, kind) in SECTIONS {
        let Some(entries) = doc.get(section).and_then(Node::as_map) else {
            continue;
        };
        for (key, body) in entries {
            let Some(name) = key.scalar_text() else {
                problem(
                    key,
                    format!("an interface name under `{section}` is not a string"),
                );
                continue;
            };
            if name.len() > 15 {
                problem(
                    key,
                    format!("interface name `{name}` is longer than 15 characters"),
                );
            }
            if plan.interfaces.contains_key(&name) {
                problem(key, format!("interface `{name}` is defined twice"));
                continue;
            }
            let iface = read_iface(&name, *kind, key.pos.line, body, &mut problem);
            plan.interfaces.insert(name, iface);
        }
    }
    // Links must point at interfaces the document defines.
    for iface in plan.interfaces.values() {
        for target in iface.members.iter().chain(iface.link.iter()) {
            if !plan.interfaces.contains_key(target) {
                problems.push(NetplanProblem {
                    line: iface.line,
                    message: format!(
                        "`{}` refers to interface `{target}`, which is not defined",
                        iface.name
                    ),
                });
            }
        }
    }
    (plan, problems)
}

fn read_iface(
    name: &str,
    kind: IfaceKind,
    line: u32,
    body: &Node,
    problem: &mut impl FnMut(&Node, String),
) -> Iface {
    let mut iface = Iface {
        name: name.to_string(),
        kind,
        addresses: Vec::new(),
        routes: Vec::new(),
        mtu: None,
        members: Vec::new(),
        link: None,
        vlan_id: None,
        mac_match: None,
        line,
    };
    for addr in body.get("addresses").and_then(Node::as_seq).unwrap_or(&[]) {
        // Only IPv4 infrastructure addresses count (NB-1); IPv6 ones are left to netplan.
        match addr.as_str().map(|a| (a, a.parse::<Ipv4Net>())) {
            Some((_, Ok(net))) => iface.addresses.push((net, addr.pos.line)),
            Some((a, Err(_))) if a.contains(':') => {}
            _ => problem(addr, format!("address of `{name}` is not `A.B.C.D/prefix`")),
        }
    }
    if let Some(gw) = body.get("gateway4").and_then(Node::scalar_text) {
        match gw.parse() {
            Ok(via) => iface.routes.push(Route {
                to: Ipv4Net::default(),
                via: Some(via),
                line: body.get("gateway4").map_or(line, |n| n.pos.line),
            }),
            Err(_) => problem(body, format!("gateway4 of `{name}` is not an IPv4 address")),
        }
    }
    for route in body.get("routes").and_then(Node::as_seq).unwrap_or(&[]) {
        let to = route
            .get("to")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        let to = if to == "default" || to == "0.0.0.0/0" {
            Some(Ipv4Net::default())
        } else {
            to.parse::<Ipv4Net>().ok()
        };
        let via = route.get("via").and_then(Node::scalar_text);
        let via_addr = via.as_deref().map(str::parse::<Ipv4Addr>);
        match (to, via_addr) {
            (Some(to), None) => iface.routes.push(Route {
                to,
                via: None,
                line: route.pos.line,
            }),
            (Some(to), Some(Ok(via))) => iface.routes.push(Route {
                to,
                via: Some(via),
                line: route.pos.line,
            }),
            _ => {
                // IPv6 routes are netplan's business; anything else is a broken IPv4 route.
                let text = route
                    .get("to")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default();
                if !text.contains(':') {
                    problem(
                        route,
                        format!("route of `{name}` needs `to: <cidr>|default` and an IPv4 `via`"),
                    );
                }
            }
        }
    }
    iface.mtu = body
        .get("mtu")
        .and_then(Node::scalar_text)
        .and_then(|m| m.parse().ok());
    iface.members = body
        .get("interfaces")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    if kind == IfaceKind::Vlan {
        iface.link = body.get("link").and_then(Node::scalar_text);
        iface.vlan_id = body
            .get("id")
            .and_then(Node::scalar_text)
            .and_then(|i| i.parse().ok());
        if iface.link.is_none() || iface.vlan_id.is_none_or(|id| id == 0 || id > 4094) {
            problem(
                body,
                format!("VLAN `{name}` needs `link` and an `id` in 1…4094"),
            );
        }
    }
    iface.mac_match = body
        .get("match")
        .and_then(|m| m.get("macaddress"))
        .and_then(Node::scalar_text);
    iface
}

impl Netplan {
    /// The physical NICs (ethernets) an interface ultimately sends through.
    pub fn physical_nics(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.walk(name, &mut out, &mut |iface, out| {
            if iface.kind == IfaceKind::Ethernet {
                out.insert(iface.name.clone());
            }
        });
        out
    }

    /// The VLAN ids between an interface and the wire (a bridge over a VLAN over a bond gives that id).
    pub fn vlan_ids(&self, name: &str) -> BTreeSet<u16> {
        let mut out = BTreeSet::new();
        self.walk(name, &mut out, &mut |iface, out| {
            if let Some(id) = iface.vlan_id {
                out.insert(id);
            }
        });
        out
    }

    fn walk<T>(&self, name: &str, acc: &mut T, visit: &mut impl FnMut(&Iface, &mut T)) {
        let mut seen = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(n) = stack.pop() {
            if !seen.insert(n.clone()) {
                continue; // a loop in links; reported by netplan itself
            }
            let Some(iface) = self.interfaces.get(&n) else {
                continue;
            };
            visit(iface, acc);
            stack.extend(iface.members.iter().cloned());
            stack.extend(iface.link.iter().cloned());
        }
    }

    /// The interfaces an interface sits directly on (bond/bridge members, VLAN link).
    pub fn lower(&self, iface: &Iface) -> Vec<&Iface> {
        iface
            .members
            .iter()
            .chain(iface.link.iter())
            .filter_map(|n| self.interfaces.get(n))
            .collect()
    }

    /// The effective MTU of an interface (netplan leaves the kernel default, 1500, when unset).
    pub fn mtu(&self, iface: &Iface) -> u32 {
        iface.mtu.unwrap_or(1500)
    }

    pub fn routes(&self) -> impl Iterator<Item = (&Iface, &Route)> {
        self.interfaces
            .values()
            .flat_map(|i| i.routes.iter().map(move |r| (i, r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_document;

    const PLAN: &str = "version: 2\nethernets:\n  eno1: {mtu: 9000}\n  eno2: {mtu: 9000}\nbonds:\n  bond0: {interfaces: [eno1, eno2], mtu: 9000}\nvlans:\n  v-lcm: {id: 1101, link: bond0}\nbridges:\n  k8s-lcm:\n    interfaces: [v-lcm]\n    addresses: [10.0.0.10/24]\n    routes:\n      - {to: 10.1.0.0/16, via: 10.0.0.1}\n      - {to: default, via: 10.0.0.1}\n";

    #[test]
    fn reads_interfaces_and_walks_links() {
        let doc = parse_document(PLAN).expect("yaml");
        let (plan, problems) = read_netplan(&doc);
        assert!(problems.is_empty(), "{problems:?}");
        let br = &plan.interfaces["k8s-lcm"];
        assert_eq!(
            br.addresses[0].0,
            "10.0.0.10/24".parse::<Ipv4Net>().expect("net")
        );
        assert_eq!(br.routes.len(), 2);
        assert_eq!(br.routes[1].to.prefix_len(), 0);
        assert_eq!(
            plan.physical_nics("k8s-lcm"),
            BTreeSet::from(["eno1".into(), "eno2".into()])
        );
        assert_eq!(plan.vlan_ids("k8s-lcm"), BTreeSet::from([1101]));
    }

    #[test]
    fn reports_structural_problems() {
        let doc = parse_document(
            "ethernets:\n  averyveryverylongname0: {}\nvlans:\n  v1: {id: 5000, link: nope}\n",
        )
        .expect("yaml");
        let (_, problems) = read_netplan(&doc);
        assert_eq!(problems.len(), 4, "{problems:?}");
    }
}
