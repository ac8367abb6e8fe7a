//! The machines of the cluster: IpamHost objects, or hosts from a Neutrino HostInventory when the
//! IpamHosts do not exist yet (a design on paper).

use std::collections::{BTreeMap, BTreeSet};

use super::fields::{Located, Reader};
use super::meta::Meta;
use crate::finding::Loc;
use crate::yaml::Node;

/// The node roles of a MOSK cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRole {
    Manager,
    Controller,
    Compute,
    Gateway,
    Storage,
}

impl NodeRole {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "manager" => NodeRole::Manager,
            "controller" => NodeRole::Controller,
            "compute" => NodeRole::Compute,
            "gateway" => NodeRole::Gateway,
            "storage" => NodeRole::Storage,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            NodeRole::Manager => "manager",
            NodeRole::Controller => "controller",
            NodeRole::Compute => "compute",
            NodeRole::Gateway => "gateway",
            NodeRole::Storage => "storage",
        }
    }
}

/// Node labels that carry the role on an IpamHost (the labels MOSK machines already have).
pub const ROLE_LABELS: &[(&str, &str, NodeRole)] = &[
    (
        "hostlabel.bm.kaas.mirantis.com/controlplane",
        "",
        NodeRole::Manager,
    ),
    ("openstack-control-plane", "enabled", NodeRole::Controller),
    ("openstack-compute-node", "enabled", NodeRole::Compute),
    ("openstack-gateway", "enabled", NodeRole::Gateway),
    (
        "hostlabel.bm.kaas.mirantis.com/storage",
        "",
        NodeRole::Storage,
    ),
];
/// The rack of an IpamHost.
pub const RACK_LABEL: &str = "neutrino.io/rack";
/// The label Kubernetes gives every node: its name.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nic {
    pub name: String,
    /// Lower-case, colon-separated.
    pub mac: String,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSelector {
    Name(String),
    Label(String),
}

#[derive(Clone, Debug)]
pub struct Host {
    /// IpamHost or HostInventory, for findings.
    pub source_kind: &'static str,
    pub name: String,
    pub namespace: String,
    pub roles: BTreeSet<NodeRole>,
    pub rack: String,
    pub nics: Vec<Nic>,
    pub selector: Option<TemplateSelector>,
    pub np_template_override: Option<Located<String>>,
    pub if_mapping_override: Vec<String>,
    pub update_allowed: bool,
    pub bmc: Option<Located<String>>,
    /// The Kubernetes node labels of the host (see [`node_labels`]).
    pub labels: BTreeMap<String, String>,
    pub loc: Loc,
}

impl Host {
    pub fn id(&self) -> String {
        format!("host/{}", self.name)
    }
}

/// The node labels of a host: the labels written (an IpamHost's `metadata.labels`, a HostInventory
/// host's `labels`), plus what the design knows a node carries without them: `kubernetes.io/hostname`
/// (the node is named after the host), the role labels of [`ROLE_LABELS`] that have a value, and
/// the rack label. Written labels win.
pub fn node_labels(
    name: &str,
    roles: &BTreeSet<NodeRole>,
    rack: &str,
    written: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    labels.insert(HOSTNAME_LABEL.to_string(), name.to_string());
    for (key, value, role) in ROLE_LABELS {
        if !value.is_empty() && roles.contains(role) {
            labels.insert((*key).to_string(), (*value).to_string());
        }
    }
    if !rack.is_empty() {
        labels.insert(RACK_LABEL.to_string(), rack.to_string());
    }
    labels.extend(written);
    labels
}

/// Normalises a MAC to `aa:bb:cc:dd:ee:ff`; accepts `-` separators and upper case (IPAM labels use them).
pub fn normalise_mac(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    if parts.len() != 6
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return None;
    }
    Some(parts.join(":").to_ascii_lowercase())
}

/// Linux interface names are at most 15 bytes; Neutrino also keeps them to characters that need no
/// quoting in YAML, because they are substituted into npTemplates.
pub fn is_interface_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn read_nic(reader: &mut Reader, item: &Node, path: &str, known: &[&str]) -> Option<Nic> {
    if !reader.mapping(item, path, known) {
        return None;
    }
    let name = reader.required_string(item, "name", path)?;
    if !is_interface_name(&name.value) {
        let node = item.get("name").unwrap_or(item);
        reader.invalid(
            node,
            format!("`{}` is not a valid interface name", name.value),
            "use 1-15 characters from A-Z a-z 0-9 . _ -",
        );
        return None;
    }
    let mac = reader.required_string(item, "mac", path)?;
    let Some(normal) = normalise_mac(&mac.value) else {
        let node = item.get("mac").unwrap_or(item);
        reader.invalid(
            node,
            format!("`{}` is not a MAC address", mac.value),
            "write six hex pairs, e.g. 0c:c4:7a:12:34:56",
        );
        return None;
    };
    Some(Nic {
        name: name.value,
        mac: normal,
        loc: name.loc,
    })
}

pub fn read_ipam_host(reader: &mut Reader, doc: &Node, meta: Meta) -> Option<Host> {
    let spec = reader.spec(
        doc,
        &[
            "nicMACmap",
            "l2TemplateSelector",
            "npTemplateOverride",
            "ifMappingOverride",
            "netconfigUpdateMode",
            "netconfigUpdateAllow",
            "allocationStatus",
        ],
    )?;
    let nics = reader
        .list(spec, "nicMACmap", "spec")
        .iter()
        .filter_map(|item| {
            read_nic(
                reader,
                item,
                "spec.nicMACmap[]",
                &[
                    "name",
                    "mac",
                    "ip",
                    "gateway",
                    "nameservers",
                    "primary",
                    "online",
                    "ipRef",
                ],
            )
        })
        .collect();
    let selector = spec.get("l2TemplateSelector").and_then(|sel| {
        reader.mapping(sel, "spec.l2TemplateSelector", &["name", "label"]);
        let name = reader.string(sel, "name", "spec.l2TemplateSelector");
        let label = reader.string(sel, "label", "spec.l2TemplateSelector");
        name.map(|n| TemplateSelector::Name(n.value))
            .or(label.map(|l| TemplateSelector::Label(l.value)))
    });
    let roles: BTreeSet<NodeRole> = ROLE_LABELS
        .iter()
        .filter(|(key, value, _)| {
            meta.labels
                .get(*key)
                .is_some_and(|v| value.is_empty() || v == value)
        })
        .map(|(_, _, role)| *role)
        .collect();
    let rack = meta.labels.get(RACK_LABEL).cloned().unwrap_or_default();
    Some(Host {
        source_kind: "IpamHost",
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        labels: node_labels(&meta.name, &roles, &rack, meta.labels.clone()),
        roles,
        rack,
        nics,
        selector,
        np_template_override: reader.string(spec, "npTemplateOverride", "spec"),
        if_mapping_override: reader
            .string_list(spec, "ifMappingOverride", "spec")
            .into_iter()
            .map(|l| l.value)
            .collect(),
        update_allowed: reader
            .boolean(spec, "netconfigUpdateAllow", "spec")
            .is_some_and(|b| b.value),
        bmc: None,
        loc: meta.loc,
    })
}

/// HostInventory (neutrino.io/v1alpha1): `spec.hosts[] {name, roles[], rack, nics[{name, mac}],
/// l2Template, bmc, labels}`.
pub fn read_inventory(reader: &mut Reader, doc: &Node, meta: &Meta) -> Vec<Host> {
    let Some(spec) = reader.spec(doc, &["hosts"]) else {
        return Vec::new();
    };
    let mut hosts = Vec::new();
    for item in reader.list(spec, "hosts", "spec") {
        let path = "spec.hosts[]";
        if !reader.mapping(
            item,
            path,
            &[
                "name",
                "roles",
                "rack",
                "nics",
                "l2Template",
                "bmc",
                "labels",
            ],
        ) {
            continue;
        }
        let Some(name) = reader.required_string(item, "name", path) else {
            continue;
        };
        let mut roles = BTreeSet::new();
        for role in reader.string_list(item, "roles", path) {
            match NodeRole::parse(&role.value) {
                Some(r) => {
                    roles.insert(r);
                }
                None => {
                    let finding = crate::finding::Finding::error(
                        "IN-3",
                        format!("host/{}", name.value),
                        role.loc.clone(),
                        format!("unknown node role `{}`", role.value),
                    )
                    .hint("use manager, controller, compute, gateway or storage");
                    reader.findings.push(finding);
                }
            }
        }
        if item.get("roles").is_none() {
            reader.missing(item, "spec.hosts[].roles");
        }
        let nics = reader
            .list(item, "nics", path)
            .iter()
            .filter_map(|nic| read_nic(reader, nic, "spec.hosts[].nics[]", &["name", "mac"]))
            .collect();
        let rack = reader
            .string(item, "rack", path)
            .map(|r| r.value)
            .unwrap_or_default();
        let written = reader.string_map(item, "labels", path);
        hosts.push(Host {
            source_kind: "HostInventory",
            labels: node_labels(&name.value, &roles, &rack, written),
            rack,
            selector: reader
                .string(item, "l2Template", path)
                .map(|t| TemplateSelector::Name(t.value)),
            bmc: reader.string(item, "bmc", path),
            namespace: meta.namespace.clone(),
            roles,
            nics,
            np_template_override: None,
            if_mapping_override: Vec::new(),
            update_allowed: false,
            loc: name.loc.clone(),
            name: name.value,
        });
    }
    hosts
}
