//! The OpenStackDeployment keys the Networking service reads: `spec.preset`,
//! `spec.openstack_version`, `spec.features.services` and all of `spec.features.neutron`, read from
//! the YAML tree with the place of every value. The schema of `features.neutron` is closed (the
//! admission webhook rejects unknown keys), so an unknown key there is an error; other keys of
//! `spec` belong to other services and are not looked at.

use std::net::Ipv4Addr;
use std::path::Path;
use std::str::FromStr;

use ipnet::Ipv4Net;
use neutrino_cluster::finding::{Finding, Loc};
use neutrino_cluster::model::fields::{Located, Reader};
use neutrino_cluster::source::read_sources;
use neutrino_cluster::yaml::{self, Node};

use crate::error::DeployError;

pub const KIND: &str = "OpenStackDeployment";
pub const API_VERSION: &str = "lcm.mirantis.com/v1alpha1";
/// The key path every finding about the Networking service starts with.
pub const NEUTRON: &str = "spec.features.neutron";

/// OpenStack releases in order; the admission rules compare positions (yoga is the 9th).
pub const OPENSTACK_VERSIONS: &[&str] = &[
    "queens",
    "rocky",
    "stein",
    "train",
    "ussuri",
    "victoria",
    "wallaby",
    "xena",
    "yoga",
    "zed",
    "antelope",
    "bobcat",
    "caracal",
    "dalmatian",
    "epoxy",
    "flamingo",
    "gazpacho",
];

/// A release by its position in [`OPENSTACK_VERSIONS`] (queens = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenStackVersion(pub usize);

impl OpenStackVersion {
    pub fn named(name: &str) -> Self {
        OpenStackVersion(
            OPENSTACK_VERSIONS
                .iter()
                .position(|v| *v == name)
                .map_or(0, |i| i + 1),
        )
    }
    pub fn name(self) -> &'static str {
        OPENSTACK_VERSIONS
            .get(self.0.wrapping_sub(1))
            .copied()
            .unwrap_or("?")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Open vSwitch with the Neutron agents.
    Ml2,
    /// Open vSwitch programmed by OVN.
    Ml2Ovn,
    TungstenFabric,
}

pub const BACKENDS: &[(&str, Backend)] = &[
    ("ml2", Backend::Ml2),
    ("ml2/ovn", Backend::Ml2Ovn),
    ("tungstenfabric", Backend::TungstenFabric),
];

impl Backend {
    pub fn name(self) -> &'static str {
        BACKENDS
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("?", |(n, _)| n)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetworkType {
    Flat,
    Vlan,
    Vxlan,
    Geneve,
    Gre,
    Local,
}

impl NetworkType {
    pub fn name(self) -> &'static str {
        match self {
            NetworkType::Flat => "flat",
            NetworkType::Vlan => "vlan",
            NetworkType::Vxlan => "vxlan",
            NetworkType::Geneve => "geneve",
            NetworkType::Gre => "gre",
            NetworkType::Local => "local",
        }
    }
}

const TENANT_TYPES: &[(&str, NetworkType)] = &[
    ("flat", NetworkType::Flat),
    ("vlan", NetworkType::Vlan),
    ("vxlan", NetworkType::Vxlan),
    ("geneve", NetworkType::Geneve),
];
const EXTERNAL_TYPES: &[(&str, NetworkType)] = &[
    ("flat", NetworkType::Flat),
    ("vlan", NetworkType::Vlan),
    ("vxlan", NetworkType::Vxlan),
    ("gre", NetworkType::Gre),
    ("local", NetworkType::Local),
];
const FLOATING_TYPES: &[(&str, NetworkType)] =
    &[("flat", NetworkType::Flat), ("vlan", NetworkType::Vlan)];

/// The document and the Networking keys of its `spec`.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub file: String,
    pub name: String,
    pub loc: Loc,
    pub preset: Option<Located<String>>,
    pub openstack_version: Option<Located<OpenStackVersion>>,
    pub services: Vec<Located<String>>,
    pub neutron: Neutron,
}

#[derive(Clone, Debug, Default)]
pub struct Neutron {
    pub loc: Loc,
    pub tunnel_interface: Option<Located<String>>,
    pub dns_servers: Vec<Located<String>>,
    pub backend: Option<Located<Backend>>,
    pub dvr: Option<Located<bool>>,
    /// None: not written (the back end's default applies).
    pub tenant_network_types: Option<Vec<Located<NetworkType>>>,
    pub external_networks: Vec<ExternalNetwork>,
    pub floating_network: Option<FloatingNetwork>,
    pub extensions: Extensions,
    pub bgpvpn: Option<Bgpvpn>,
    pub ipsec: Option<Located<bool>>,
    pub ngs_hardware: Option<(Loc, Vec<NgsDevice>)>,
    pub ngs_devices: Option<Loc>,
}

#[derive(Clone, Debug)]
pub struct ExternalNetwork {
    pub index: usize,
    pub loc: Loc,
    pub physnet: Option<Located<String>>,
    pub interface: Option<Located<String>>,
    pub bridge: Option<Located<String>>,
    pub network_types: Vec<Located<NetworkType>>,
    pub vlan_ranges: Option<Located<String>>,
    pub mtu: Option<Located<i64>>,
}

impl ExternalNetwork {
    pub fn path(&self, key: &str) -> String {
        format!("{NEUTRON}.external_networks[{}].{key}", self.index)
    }
    pub fn physnet(&self) -> Option<&str> {
        self.physnet.as_ref().map(|p| p.value.as_str())
    }
    pub fn has_type(&self, t: NetworkType) -> bool {
        self.network_types.iter().any(|n| n.value == t)
    }
}

#[derive(Clone, Debug, Default)]
pub struct FloatingNetwork {
    pub loc: Loc,
    pub enabled: Option<Located<bool>>,
    pub name: Option<Located<String>>,
    pub physnet: Option<Located<String>>,
    pub network_type: Option<Located<NetworkType>>,
    pub segmentation_id: Option<Located<i64>>,
    pub subnet: Option<FloatingSubnet>,
    pub router_name: Option<Located<String>>,
}

#[derive(Clone, Debug)]
pub struct FloatingSubnet {
    pub loc: Loc,
    pub name: Option<Located<String>>,
    pub range: Option<Located<Ipv4Net>>,
    pub pool_start: Option<Located<Ipv4Addr>>,
    pub pool_end: Option<Located<Ipv4Addr>>,
    pub gateway: Option<Located<Ipv4Addr>>,
}

#[derive(Clone, Debug, Default)]
pub struct Extensions {
    pub vpnaas: Option<Located<bool>>,
    pub dynamic_routing: Option<Located<bool>>,
    pub portprober: Option<Located<bool>>,
    pub trunk: Option<Located<bool>>,
}

#[derive(Clone, Debug, Default)]
pub struct Bgpvpn {
    pub loc: Loc,
    pub enabled: Option<Located<bool>>,
    pub as_number: Option<Located<i64>>,
    pub peers: Vec<Located<String>>,
    pub route_reflector: Option<Located<bool>>,
}

#[derive(Clone, Debug)]
pub struct NgsDevice {
    pub name: String,
    pub loc: Loc,
    pub has_device_type: bool,
    pub has_ip: bool,
}

/// Defaults of `floating_network` (what the bootstrap job receives when a key is not written).
pub const DEFAULT_FLOATING_NAME: &str = "public";
pub const DEFAULT_SUBNET_NAME: &str = "public-subnet";
pub const DEFAULT_ROUTER_NAME: &str = "r1";
pub const DEFAULT_PHYSNET_MTU: u32 = 1500;
/// What a tenant network's tunnel adds to each packet, as the service subtracts it from
/// `global_physnet_mtu` (outer IPv4 + UDP + the Geneve/VXLAN header).
pub const TUNNEL_OVERHEAD: u32 = 50;

impl Deployment {
    /// The admission webhook's notion of Tungsten Fabric: the **preset**, not the back end.
    pub fn tf_preset(&self) -> bool {
        self.preset
            .as_ref()
            .is_some_and(|p| p.value == "compute-tf")
    }

    /// The back end in effect: written, else the preset's.
    pub fn backend(&self) -> Backend {
        match &self.neutron.backend {
            Some(b) => b.value,
            None if self.tf_preset() => Backend::TungstenFabric,
            None => Backend::Ml2,
        }
    }

    pub fn ovn(&self) -> bool {
        self.backend() == Backend::Ml2Ovn
    }

    pub fn dvr(&self) -> bool {
        self.neutron.dvr.as_ref().is_some_and(|d| d.value)
    }

    pub fn version(&self) -> Option<OpenStackVersion> {
        self.openstack_version.as_ref().map(|v| v.value)
    }

    pub fn has_service(&self, name: &str) -> bool {
        self.services.iter().any(|s| s.value == name)
    }

    /// Tenant network types in effect: with OVN, `geneve` goes first when `vxlan` was written first
    /// (VXLAN has many limitations in OVN); without a list, the back end's default.
    pub fn tenant_network_types(&self) -> Vec<NetworkType> {
        let written: Vec<NetworkType> = match &self.neutron.tenant_network_types {
            Some(list) => list.iter().map(|t| t.value).collect(),
            None if self.ovn() => vec![NetworkType::Geneve],
            None => vec![NetworkType::Vxlan],
        };
        if self.ovn() && written.first() == Some(&NetworkType::Vxlan) {
            let mut out = vec![NetworkType::Geneve];
            out.extend(written.into_iter().filter(|t| *t != NetworkType::Geneve));
            return out;
        }
        written
    }

    /// The MTU of the physical networks as the service sees one number (`global_physnet_mtu`):
    /// the smallest `external_networks[].mtu`, so no network gets an MTU its physnet cannot carry;
    /// 1500 (Neutron's default) when none is written.
    pub fn physnet_mtu(&self) -> u32 {
        self.neutron
            .external_networks
            .iter()
            .filter_map(|e| e.mtu.as_ref())
            .filter_map(|m| u32::try_from(m.value).ok())
            .min()
            .unwrap_or(DEFAULT_PHYSNET_MTU)
    }

    /// The floating network when `floating_network.enabled` is true.
    pub fn floating(&self) -> Option<&FloatingNetwork> {
        self.neutron
            .floating_network
            .as_ref()
            .filter(|f| f.enabled.as_ref().is_some_and(|e| e.value))
    }

    pub fn external_network(&self, physnet: &str) -> Option<&ExternalNetwork> {
        self.neutron
            .external_networks
            .iter()
            .find(|e| e.physnet() == Some(physnet))
    }

    /// The input's file name, for headers of rendered files (they must not depend on where the
    /// command ran).
    pub fn file_name(&self) -> &str {
        Path::new(&self.file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&self.file)
    }

    /// The Kubernetes-style id used as the object of findings.
    pub fn id(&self) -> String {
        format!("{KIND}/{}", self.name)
    }
}

impl FloatingNetwork {
    pub fn name(&self) -> &str {
        self.name
            .as_ref()
            .map_or(DEFAULT_FLOATING_NAME, |n| n.value.as_str())
    }
    pub fn network_type(&self) -> NetworkType {
        self.network_type
            .as_ref()
            .map_or(NetworkType::Flat, |t| t.value)
    }
    pub fn router_name(&self) -> &str {
        self.router_name
            .as_ref()
            .map_or(DEFAULT_ROUTER_NAME, |n| n.value.as_str())
    }
}

impl FloatingSubnet {
    pub fn name(&self) -> &str {
        self.name
            .as_ref()
            .map_or(DEFAULT_SUBNET_NAME, |n| n.value.as_str())
    }
}

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
    let name = doc
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("?")
        .to_string();
    r.object = format!("{KIND}/{name}");
    r.api_version(doc, KIND, API_VERSION);
    let mut deployment = Deployment {
        file: file.to_string(),
        name,
        loc: r.loc(doc),
        preset: None,
        openstack_version: None,
        services: Vec::new(),
        neutron: Neutron::default(),
    };
    let Some(spec) = doc.get("spec") else {
        r.missing(doc, "spec");
        return deployment;
    };
    deployment.preset = r.string(spec, "preset", "spec");
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
    if item.get("network_types").is_none() {
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
    if flag.is_none() {
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

/// `"1000:1099,2000:2009"` → the VLAN id ranges, each `min:max` with 1 ≤ min ≤ max ≤ 4094.
pub fn parse_vlan_ranges(text: &str) -> Result<Vec<(u16, u16)>, String> {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let (a, b) = part
                .split_once(':')
                .ok_or_else(|| format!("`{part}` is not min:max"))?;
            let id = |s: &str| {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|v| (1..=4094).contains(v))
                    .ok_or_else(|| format!("`{s}` is not a VLAN id (1-4094)"))
            };
            let (min, max) = (id(a)?, id(b)?);
            if min > max {
                return Err(format!("`{part}` starts after it ends"));
            }
            Ok((min, max))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_ranges_parse_and_refuse() {
        assert_eq!(
            parse_vlan_ranges("1000:1099, 2000:2009"),
            Ok(vec![(1000, 1099), (2000, 2009)])
        );
        assert!(parse_vlan_ranges("1000").is_err());
        assert!(parse_vlan_ranges("0:10").is_err());
        assert!(parse_vlan_ranges("10:4095").is_err());
        assert!(parse_vlan_ranges("20:10").is_err());
    }

    #[test]
    fn versions_are_ordered() {
        assert_eq!(OpenStackVersion::named("yoga").0, 9);
        assert_eq!(OpenStackVersion::named("caracal").0, 13);
        assert_eq!(OpenStackVersion::named("gazpacho").0, 17);
        assert_eq!(OpenStackVersion::named("yoga").name(), "yoga");
    }
}
