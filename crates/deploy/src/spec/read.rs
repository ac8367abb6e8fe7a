//! Reading an OpenStackDeployment from the YAML tree: every value with its place, every surprise a
//! finding (the cluster crate's field reader), the schema of `features.neutron` closed.

use std::path::Path;
use std::str::FromStr;

use neutrino_cluster::finding::Finding;
use neutrino_cluster::model::fields::{Located, Reader};
use neutrino_cluster::source::read_sources;
use neutrino_cluster::yaml::{self, Node, Value};

use super::{
    API_VERSION, BACKENDS, Bgpvpn, Deployment, EXTERNAL_TYPES, Extensions, ExternalNetwork,
    FLOATING_TYPES, FloatingNetwork, FloatingSubnet, KIND, NEUTRON, Neutron, NgsDevice,
    NodeOverride, OPENSTACK_VERSIONS, OpenStackVersion, TENANT_TYPES, node_neutron,
};
use crate::error::DeployError;

/// Reads the first OpenStackDeployment of a file. Unreadable input is an error; anything wrong
/// inside the document is a finding.
pub fn load(path: &Path) -> Result<(Deployment, Vec<Finding>), DeployError> {
    let sources = read_sources(path)?;
    for source in &sources {
        let docs = yaml::parse_documents(&source.text).map_err(|e| {
            neutrino_cluster::error::ClusterError::Syntax {
                file: source.name.clone(),
                line: e.pos.line,
                column: e.pos.column,
                message: e.message,
            }
        })?;
        if let Some(doc) = docs
            .iter()
            .find(|d| d.get("kind").and_then(Node::as_str) == Some(KIND))
        {
            let mut findings = Vec::new();
            let deployment = read(&source.name, doc, &mut findings);
            return Ok((deployment, findings));
        }
    }
    Err(DeployError::NoDeployment(path.display().to_string()))
}

/// Reads one OpenStackDeployment document.
pub fn read(file: &str, doc: &Node, findings: &mut Vec<Finding>) -> Deployment {
    let mut r = Reader {
        file,
        object: format!("{KIND}/?"),
        findings,
    };
    r.api_version(doc, KIND, API_VERSION);
    let name = match doc.get("metadata") {
        Some(meta) => r.required_string(meta, "name", "metadata"),
        None => {
            r.missing(doc, "metadata");
            None
        }
    }
    .map_or_else(|| "?".to_string(), |n| n.value);
    r.object = format!("{KIND}/{name}");
    let mut deployment = Deployment {
        file: file.to_string(),
        name,
        loc: r.loc(doc),
        preset: None,
        openstack_version: None,
        services: Vec::new(),
        neutron: Neutron::default(),
        nodes: Vec::new(),
    };
    let Some(spec) = doc.get("spec") else {
        r.missing(doc, "spec");
        return deployment;
    };
    deployment.preset = r.string(spec, "preset", "spec");
    if let Some(nodes) = spec.get("nodes") {
        deployment.nodes = read_nodes(&mut r, nodes);
    }
    deployment.openstack_version = r.string(spec, "openstack_version", "spec").and_then(|v| {
        let version = OpenStackVersion::named(&v.value);
        if version.0 == 0 {
            let node = spec.get("openstack_version").unwrap_or(spec);
            bad_value(
                &mut r,
                node,
                "spec.openstack_version",
                format!("unknown OpenStack release `{}`", v.value),
                format!("one of {}", OPENSTACK_VERSIONS.join(", ")),
            );
            return None;
        }
        Some(Located {
            value: version,
            loc: v.loc,
        })
    });
    let Some(features) = spec.get("features") else {
        r.missing(spec, "spec.features");
        return deployment;
    };
    deployment.services = r.string_list(features, "services", "spec.features");
    match features.get("neutron") {
        Some(neutron) => deployment.neutron = read_neutron(&mut r, neutron),
        None => r.missing(features, NEUTRON),
    }
    deployment
}

fn read_neutron(r: &mut Reader, node: &Node) -> Neutron {
    let mut n = Neutron {
        loc: r.loc(node),
        ..Neutron::default()
    };
    let known = [
        "tunnel_interface",
        "dns_servers",
        "backend",
        "dvr",
        "tenant_network_types",
        "external_networks",
        "floating_network",
        "extensions",
        "bgpvpn",
        "ipsec",
        "baremetal",
    ];
    if !r.closed_mapping(node, NEUTRON, &known) {
        if !matches!(node.value, neutrino_cluster::yaml::Value::Map(_)) {
            r.missing(node, &format!("{NEUTRON}.tunnel_interface"));
        }
        return n;
    }
    n.tunnel_interface = r.required_string(node, "tunnel_interface", NEUTRON);
    n.dns_servers = r.string_list(node, "dns_servers", NEUTRON);
    n.backend = one_of(r, node, "backend", NEUTRON, BACKENDS);
    n.dvr = enabled_flag(r, node, "dvr", NEUTRON);
    if node.get("tenant_network_types").is_some() {
        let path = format!("{NEUTRON}.tenant_network_types");
        n.tenant_network_types = Some(list_of(
            r,
            node,
            "tenant_network_types",
            &path,
            TENANT_TYPES,
        ));
    }
    for (index, item) in r
        .list(node, "external_networks", NEUTRON)
        .iter()
        .enumerate()
    {
        n.external_networks
            .push(read_external_network(r, item, index));
    }
    if let Some(f) = node.get("floating_network") {
        n.floating_network = read_floating(r, f);
    }
    if let Some(ext) = node.get("extensions") {
        let path = format!("{NEUTRON}.extensions");
        if r.closed_mapping(
            ext,
            &path,
            &["vpnaas", "dynamic_routing", "portprober", "trunk"],
        ) {
            n.extensions = Extensions {
                vpnaas: enabled_flag(r, ext, "vpnaas", &path),
                dynamic_routing: enabled_flag(r, ext, "dynamic_routing", &path),
                portprober: enabled_flag(r, ext, "portprober", &path),
                trunk: enabled_flag(r, ext, "trunk", &path),
            };
        }
    }
    if let Some(b) = node.get("bgpvpn") {
        n.bgpvpn = read_bgpvpn(r, b);
    }
    n.ipsec = enabled_flag(r, node, "ipsec", NEUTRON);
    if let Some(bm) = node.get("baremetal") {
        read_baremetal(r, bm, &mut n);
    }
    n
}

/// `spec.nodes`: `"<label>::<value>"` → per-node settings. Only `features.neutron` is the
/// Networking service's; other keys of an entry belong to other services and are not looked at.
/// Under it the keys the reference allows per node: `tunnel_interface` (rendered), `sriov`, `dpdk`
/// and `bgpvpn` (their types checked, nothing rendered).
fn read_nodes(r: &mut Reader, nodes: &Node) -> Vec<NodeOverride> {
    let Some(entries) = nodes.as_map() else {
        if nodes.value != neutrino_cluster::yaml::Value::Null {
            bad_value(
                r,
                nodes,
                "spec.nodes",
                format!(
                    "`spec.nodes` must be a mapping, found {}",
                    nodes.value.kind_name()
                ),
                "write `nodes: {\"<label>::<value>\": {features: {neutron: {…}}}}`".into(),
            );
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, entry) in entries {
        let name = key.scalar_text().unwrap_or_default();
        let mut node = NodeOverride {
            key: Located {
                value: name.clone(),
                loc: r.loc(key),
            },
            tunnel_interface: None,
        };
        if entry.as_map().is_none() && entry.value != neutrino_cluster::yaml::Value::Null {
            bad_value(
                r,
                entry,
                &format!("spec.nodes[\"{name}\"]"),
                format!(
                    "a `spec.nodes` entry must be a mapping, found {}",
                    entry.value.kind_name()
                ),
                "write `{features: {neutron: {tunnel_interface: …}}}`".into(),
            );
        }
        let Some(neutron) = entry.get("features").and_then(|f| f.get("neutron")) else {
            out.push(node);
            continue;
        };
        let path = &node_neutron(&name);
        if r.closed_mapping(
            neutron,
            path,
            &["tunnel_interface", "sriov", "dpdk", "bgpvpn"],
        ) {
            node.tunnel_interface = r.string(neutron, "tunnel_interface", path);
            if let Some(sriov) = neutron.get("sriov") {
                read_sriov(r, sriov, &format!("{path}.sriov"));
            }
            if let Some(dpdk) = neutron.get("dpdk") {
                read_dpdk(r, dpdk, &format!("{path}.dpdk"));
            }
            enabled_flag(r, neutron, "bgpvpn", path);
        }
        out.push(node);
    }
    out
}

/// `sriov {enabled, nics[{device, num_vfs, physnet, mtu, trusted, hooks}]}`: the types the
/// reference states (`trusted` and `hooks` have none there and are not checked).
fn read_sriov(r: &mut Reader, node: &Node, path: &str) {
    if !r.mapping(node, path, &["enabled", "nics"]) {
        return;
    }
    r.boolean(node, "enabled", path);
    let nics_path = format!("{path}.nics[]");
    for nic in r.list(node, "nics", path) {
        let known = ["device", "num_vfs", "physnet", "mtu", "trusted", "hooks"];
        if r.mapping(nic, &nics_path, &known) {
            r.string(nic, "device", &nics_path);
            r.integer(nic, "num_vfs", &nics_path);
            r.string(nic, "physnet", &nics_path);
            r.integer(nic, "mtu", &nics_path);
        }
    }
}

/// `dpdk {enabled, driver, socket_memory, hugepages, bridges[{name, ip_address}], nics[{name,
/// pci_id, bridge}], bonds[…]}`: the types the reference states.
fn read_dpdk(r: &mut Reader, node: &Node, path: &str) {
    let known = [
        "enabled",
        "driver",
        "socket_memory",
        "hugepages",
        "bridges",
        "nics",
        "bonds",
    ];
    if !r.mapping(node, path, &known) {
        return;
    }
    r.boolean(node, "enabled", path);
    r.string(node, "driver", path);
    r.list(node, "bonds", path);
    for (list, keys) in [
        ("bridges", &["name", "ip_address"][..]),
        ("nics", &["name", "pci_id", "bridge"][..]),
    ] {
        let item_path = format!("{path}.{list}[]");
        for item in r.list(node, list, path) {
            if r.mapping(item, &item_path, keys) {
                for key in keys {
                    r.string(item, key, &item_path);
                }
            }
        }
    }
}

fn read_external_network(r: &mut Reader, item: &Node, index: usize) -> ExternalNetwork {
    let path = format!("{NEUTRON}.external_networks[{index}]");
    let mut e = ExternalNetwork {
        index,
        loc: r.loc(item),
        physnet: None,
        interface: None,
        bridge: None,
        network_types: Vec::new(),
        vlan_ranges: None,
        mtu: None,
    };
    let known = [
        "physnet",
        "interface",
        "bridge",
        "network_types",
        "vlan_ranges",
        "mtu",
    ];
    if !r.closed_mapping(item, &path, &known) {
        return e;
    }
    e.physnet = r.required_string(item, "physnet", &path);
    e.interface = r.string(item, "interface", &path);
    e.bridge = r.required_string(item, "bridge", &path);
    if item
        .get("network_types")
        .is_none_or(|n| n.value == neutrino_cluster::yaml::Value::Null)
    {
        r.missing(item, &format!("{path}.network_types"));
    }
    e.network_types = list_of(
        r,
        item,
        "network_types",
        &format!("{path}.network_types"),
        EXTERNAL_TYPES,
    );
    e.vlan_ranges = r.string(item, "vlan_ranges", &path);
    e.mtu = r.integer(item, "mtu", &path);
    e
}

fn read_floating(r: &mut Reader, node: &Node) -> Option<FloatingNetwork> {
    let path = format!("{NEUTRON}.floating_network");
    let known = [
        "enabled",
        "name",
        "physnet",
        "network_type",
        "segmentation_id",
        "subnet",
        "router",
    ];
    if !r.closed_mapping(node, &path, &known) {
        return None;
    }
    let mut f = FloatingNetwork {
        loc: r.loc(node),
        enabled: r.boolean(node, "enabled", &path),
        name: r.string(node, "name", &path),
        physnet: r.string(node, "physnet", &path),
        network_type: one_of(r, node, "network_type", &path, FLOATING_TYPES),
        segmentation_id: r.integer(node, "segmentation_id", &path),
        subnet: None,
        router_name: None,
    };
    if let Some(s) = node.get("subnet") {
        let spath = format!("{path}.subnet");
        let known = ["name", "range", "pool_start", "pool_end", "gateway"];
        if r.closed_mapping(s, &spath, &known) {
            f.subnet = Some(FloatingSubnet {
                loc: r.loc(s),
                name: r.string(s, "name", &spath),
                range: parsed(r, s, "range", &spath, "an IPv4 CIDR like 203.0.113.0/24"),
                pool_start: parsed(r, s, "pool_start", &spath, "an IPv4 address"),
                pool_end: parsed(r, s, "pool_end", &spath, "an IPv4 address"),
                gateway: parsed(r, s, "gateway", &spath, "an IPv4 address"),
            });
        }
    }
    if let Some(router) = node.get("router") {
        let rpath = format!("{path}.router");
        if r.closed_mapping(router, &rpath, &["name"]) {
            f.router_name = r.string(router, "name", &rpath);
        }
    }
    Some(f)
}

fn read_bgpvpn(r: &mut Reader, node: &Node) -> Option<Bgpvpn> {
    let path = format!("{NEUTRON}.bgpvpn");
    let known = [
        "enabled",
        "as_number",
        "control_interface",
        "dataplane_interface",
        "peers",
        "evpn_vxlan_port",
        "route_reflector",
    ];
    if !r.closed_mapping(node, &path, &known) {
        return None;
    }
    let enabled = r.boolean(node, "enabled", &path);
    if enabled.is_none() {
        r.missing(node, &format!("{path}.enabled"));
    }
    let as_number = r.integer(node, "as_number", &path);
    if as_number.is_none() {
        r.missing(node, &format!("{path}.as_number"));
    }
    r.string(node, "control_interface", &path);
    r.string(node, "dataplane_interface", &path);
    r.integer(node, "evpn_vxlan_port", &path);
    let peers = r.string_list(node, "peers", &path);
    let mut route_reflector = None;
    if let Some(rr) = node.get("route_reflector") {
        let rpath = format!("{path}.route_reflector");
        if r.closed_mapping(rr, &rpath, &["enabled", "neighbor_subnets"]) {
            route_reflector = r.boolean(rr, "enabled", &rpath);
            r.string_list(rr, "neighbor_subnets", &rpath);
        }
    }
    Some(Bgpvpn {
        loc: r.loc(node),
        enabled,
        as_number,
        peers,
        route_reflector,
    })
}

fn read_baremetal(r: &mut Reader, node: &Node, n: &mut Neutron) {
    let path = format!("{NEUTRON}.baremetal");
    if !r.closed_mapping(node, &path, &["ngs"]) {
        return;
    }
    let Some(ngs) = node.get("ngs") else { return };
    let npath = format!("{path}.ngs");
    if !r.closed_mapping(ngs, &npath, &["hardware", "devices"]) {
        return;
    }
    if let Some(hw) = ngs.get("hardware") {
        let mut devices = Vec::new();
        match hw.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    devices.push(NgsDevice {
                        name: k.scalar_text().unwrap_or_default(),
                        loc: r.loc(k),
                        has_device_type: v.get("device_type").is_some(),
                        has_ip: v.get("ip").is_some(),
                    });
                }
            }
            None => bad_value(
                r,
                hw,
                &format!("{npath}.hardware"),
                "`hardware` must be a mapping of switch name to device".into(),
                "write `hardware: {name: {device_type: …, ip: …}}`".into(),
            ),
        }
        n.ngs_hardware = Some((r.loc(hw), devices));
    }
    if let Some(d) = ngs.get("devices") {
        n.ngs_devices = Some(r.loc(d));
    }
}

/// `{enabled: bool}` blocks (`dvr`, `ipsec`, the extensions): `enabled` is required inside.
fn enabled_flag(r: &mut Reader, parent: &Node, key: &str, path: &str) -> Option<Located<bool>> {
    let node = parent.get(key)?;
    let path = format!("{path}.{key}");
    if !r.closed_mapping(node, &path, &["enabled"]) {
        return None;
    }
    let flag = r.boolean(node, "enabled", &path);
    // A value of the wrong type is IN-3's already.
    if flag.is_none() && node.get("enabled").is_none_or(|e| e.value == Value::Null) {
        r.missing(node, &format!("{path}.enabled"));
    }
    flag
}

fn one_of<T: Copy>(
    r: &mut Reader,
    parent: &Node,
    key: &str,
    path: &str,
    choices: &[(&str, T)],
) -> Option<Located<T>> {
    let text = r.string(parent, key, path)?;
    match choices.iter().find(|(n, _)| *n == text.value) {
        Some((_, v)) => Some(Located {
            value: *v,
            loc: text.loc,
        }),
        None => {
            let node = parent.get(key).unwrap_or(parent);
            bad_value(
                r,
                node,
                &format!("{path}.{key}"),
                format!("`{}` is not one of the allowed values", text.value),
                format!("one of {}", names(choices)),
            );
            None
        }
    }
}

fn list_of<T: Copy>(
    r: &mut Reader,
    parent: &Node,
    key: &str,
    path: &str,
    choices: &[(&str, T)],
) -> Vec<Located<T>> {
    let mut out = Vec::new();
    let items = r.list(parent, key, path.rsplit_once('.').map_or(path, |(p, _)| p));
    for (i, item) in items.iter().enumerate() {
        match item
            .as_str()
            .and_then(|s| choices.iter().find(|(n, _)| *n == s))
        {
            Some((_, v)) => out.push(Located {
                value: *v,
                loc: r.loc(item),
            }),
            None => bad_value(
                r,
                item,
                &format!("{path}[{i}]"),
                format!(
                    "`{}` is not one of the allowed values",
                    item.scalar_text().unwrap_or_default()
                ),
                format!("one of {}", names(choices)),
            ),
        }
    }
    out
}

/// A required string field holding an address or a CIDR.
fn parsed<T: FromStr>(
    r: &mut Reader,
    parent: &Node,
    key: &str,
    path: &str,
    what: &str,
) -> Option<Located<T>> {
    let text = r.required_string(parent, key, path)?;
    match text.value.parse() {
        Ok(value) => Some(Located {
            value,
            loc: text.loc,
        }),
        Err(_) => {
            let node = parent.get(key).unwrap_or(parent);
            bad_value(
                r,
                node,
                &format!("{path}.{key}"),
                format!("`{}` is not {what}", text.value),
                format!("write {what}"),
            );
            None
        }
    }
}

fn bad_value(r: &mut Reader, node: &Node, key: &str, message: String, hint: String) {
    let finding = Finding::error("IN-3", r.object.clone(), r.loc(node), message)
        .key(key)
        .hint(hint);
    r.findings.push(finding);
}

fn names<T>(choices: &[(&str, T)]) -> String {
    choices
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}
