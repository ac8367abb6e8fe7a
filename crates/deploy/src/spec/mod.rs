//! The OpenStackDeployment keys the Networking service reads: `spec.preset`,
//! `spec.openstack_version`, `spec.features.services` and all of `spec.features.neutron`, read from
//! the YAML tree with the place of every value. The schema of `features.neutron` is closed (the
//! admission webhook rejects unknown keys), so an unknown key there is an error; other keys of
//! `spec` belong to other services and are not looked at.

mod read;

pub use read::{load, read};

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use ipnet::Ipv4Net;
use neutrino_cluster::finding::Loc;
use neutrino_cluster::model::fields::Located;

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

pub(crate) const TENANT_TYPES: &[(&str, NetworkType)] = &[
    ("flat", NetworkType::Flat),
    ("vlan", NetworkType::Vlan),
    ("vxlan", NetworkType::Vxlan),
    ("geneve", NetworkType::Geneve),
];
pub(crate) const EXTERNAL_TYPES: &[(&str, NetworkType)] = &[
    ("flat", NetworkType::Flat),
    ("vlan", NetworkType::Vlan),
    ("vxlan", NetworkType::Vxlan),
    ("gre", NetworkType::Gre),
    ("local", NetworkType::Local),
];
pub(crate) const FLOATING_TYPES: &[(&str, NetworkType)] =
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
    /// `spec.nodes`, in file order.
    pub nodes: Vec<NodeOverride>,
}

/// One entry of `spec.nodes`: settings for the nodes carrying a Kubernetes label.
#[derive(Clone, Debug)]
pub struct NodeOverride {
    /// The key as written, `<label>::<value>`.
    pub key: Located<String>,
    /// `features.neutron.tunnel_interface`.
    pub tunnel_interface: Option<Located<String>>,
}

/// Separates the label from its value in a `spec.nodes` key.
pub const NODE_KEY_SEPARATOR: &str = "::";

impl NodeOverride {
    /// The label and value of the key; None when the key is not `<label>::<value>` with a label
    /// (ND-1).
    pub fn label(&self) -> Option<(&str, &str)> {
        self.key
            .value
            .split_once(NODE_KEY_SEPARATOR)
            .filter(|(label, _)| !label.is_empty())
    }

    /// Whether a node with these labels gets this entry's settings.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.label()
            .is_some_and(|(label, value)| labels.get(label).is_some_and(|v| v == value))
    }

    /// The key path of a setting under this entry's `features.neutron`.
    pub fn path(&self, key: &str) -> String {
        format!("{}.{key}", node_neutron(&self.key.value))
    }
}

/// `spec.nodes["<key>"].features.neutron`.
pub fn node_neutron(node_key: &str) -> String {
    format!("spec.nodes[\"{node_key}\"].features.neutron")
}

/// The tunnel interface a node uses, and the key path it was written at.
#[derive(Clone, Copy, Debug)]
pub struct Tunnel<'a> {
    pub name: &'a Located<String>,
    /// None: the deployment-wide value; else the `spec.nodes` entry that overrides it.
    pub node: Option<&'a NodeOverride>,
}

impl Tunnel<'_> {
    pub fn path(&self) -> String {
        match self.node {
            None => format!("{NEUTRON}.tunnel_interface"),
            Some(n) => n.path("tunnel_interface"),
        }
    }
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

    /// The tunnel interface of a node with these labels: the `spec.nodes` entry whose label it
    /// carries, else the deployment-wide value. Err: two entries it matches name different
    /// interfaces (ND-2).
    pub fn tunnel_for(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<Tunnel<'_>>, (&NodeOverride, &NodeOverride)> {
        let mut found: Option<(&NodeOverride, &Located<String>)> = None;
        for node in self.nodes.iter().filter(|n| n.matches(labels)) {
            let Some(name) = &node.tunnel_interface else {
                continue;
            };
            match found {
                Some((first, seen)) if seen.value != name.value => return Err((first, node)),
                Some(_) => {}
                None => found = Some((node, name)),
            }
        }
        Ok(match found {
            Some((node, name)) => Some(Tunnel {
                name,
                node: Some(node),
            }),
            None => self
                .neutron
                .tunnel_interface
                .as_ref()
                .map(|name| Tunnel { name, node: None }),
        })
    }

    pub fn has_service(&self, name: &str) -> bool {
        self.services.iter().any(|s| s.value == name)
    }

    /// Tenant network types in effect: with OVN, `geneve` goes first when `vxlan` was written first
    /// (VXLAN has many limitations in OVN); without a list (or an empty one), the back end's
    /// default.
    pub fn tenant_network_types(&self) -> Vec<NetworkType> {
        let written: Vec<NetworkType> = match &self.neutron.tenant_network_types {
            Some(list) if !list.is_empty() => list.iter().map(|t| t.value).collect(),
            _ if self.ovn() => vec![NetworkType::Geneve],
            _ => vec![NetworkType::Vxlan],
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
