//! The Container Cloud objects of a design, read from YAML with their places in the input.

pub mod cluster;
pub mod fields;
pub mod host;
pub mod l2template;
pub mod meta;
pub mod subnet;

use std::collections::BTreeMap;

use crate::error::ClusterError;
use crate::finding::{Finding, Loc};
use crate::source::SourceFile;
use crate::yaml::{self, Node};
use cluster::{CephNetworks, Cluster, MetalLbConfig};
use fields::Reader;
use host::Host;
use l2template::L2Template;
use subnet::Subnet;

/// Every object of the input, by kind, in input order.
#[derive(Clone, Debug, Default)]
pub struct Input {
    pub subnets: Vec<Subnet>,
    pub templates: Vec<L2Template>,
    pub hosts: Vec<Host>,
    pub clusters: Vec<Cluster>,
    pub metallb: Vec<MetalLbConfig>,
    pub ceph: Vec<CephNetworks>,
}

/// The apiVersion each kind must have; a mismatch is reported (IN-3) but the object is still read.
const KINDS: &[(&str, &str)] = &[
    ("Subnet", "ipam.mirantis.com/v1alpha1"),
    ("L2Template", "ipam.mirantis.com/v1alpha1"),
    ("IpamHost", "ipam.mirantis.com/v1alpha1"),
    ("MetalLBConfig", "kaas.mirantis.com/v1alpha1"),
    ("Cluster", "cluster.k8s.io/v1alpha1"),
    ("KaaSCephCluster", "kaas.mirantis.com/v1alpha1"),
    ("HostInventory", "neutrino.io/v1alpha1"),
];

/// Reads all documents of all files. A YAML syntax error stops the run (the input is unreadable);
/// anything else about the objects becomes a finding.
pub fn load(sources: &[SourceFile]) -> Result<(Input, Vec<Finding>), ClusterError> {
    let mut input = Input::default();
    let mut findings = Vec::new();
    for source in sources {
        let docs = yaml::parse_documents(&source.text).map_err(|e| ClusterError::Syntax {
            file: source.name.clone(),
            line: e.pos.line,
            column: e.pos.column,
            message: e.message,
        })?;
        for doc in &docs {
            read_object(&source.name, doc, &mut input, &mut findings);
        }
    }
    report_duplicates(&input, &mut findings);
    report_extra_clusters(&input, &mut findings);
    Ok((input, findings))
}

fn read_object(file: &str, doc: &Node, input: &mut Input, findings: &mut Vec<Finding>) {
    let mut reader = Reader {
        file,
        object: "document".to_string(),
        findings,
    };
    if !reader.mapping(
        doc,
        "document",
        &["apiVersion", "kind", "metadata", "spec", "status"],
    ) {
        return;
    }
    let Some(kind) = reader.required_string(doc, "kind", "document") else {
        return;
    };
    let Some(&(_, api_version)) = KINDS.iter().find(|(k, _)| *k == kind.value) else {
        let finding = Finding::warning(
            "IN-1",
            format!("{}/?", kind.value),
            kind.loc.clone(),
            format!(
                "kind `{}` is not part of a network design; the object is ignored",
                kind.value
            ),
        )
        .hint(format!(
            "known kinds: {}",
            KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        ));
        reader.findings.push(finding);
        return;
    };
    reader.object = format!("{}/?", kind.value);
    reader.api_version(doc, &kind.value, api_version);
    let Some(meta) = meta::read_meta(&mut reader, doc, &kind.value) else {
        return;
    };
    match kind.value.as_str() {
        "Subnet" => input
            .subnets
            .extend(subnet::read_subnet(&mut reader, doc, meta)),
        "L2Template" => input
            .templates
            .extend(l2template::read_l2template(&mut reader, doc, meta)),
        "IpamHost" => input
            .hosts
            .extend(host::read_ipam_host(&mut reader, doc, meta)),
        "HostInventory" => input
            .hosts
            .extend(host::read_inventory(&mut reader, doc, &meta)),
        "MetalLBConfig" => input
            .metallb
            .extend(cluster::read_metallb(&mut reader, doc, meta)),
        "Cluster" => input
            .clusters
            .push(cluster::read_cluster(&mut reader, doc, meta)),
        "KaaSCephCluster" => input
            .ceph
            .extend(cluster::read_ceph(&mut reader, doc, meta)),
        _ => {}
    }
}

/// IN-1: one run checks one cluster, the first Cluster object; further ones are ignored.
fn report_extra_clusters(input: &Input, findings: &mut Vec<Finding>) {
    let Some(first) = input.clusters.first() else {
        return;
    };
    for extra in input
        .clusters
        .iter()
        .skip(1)
        .filter(|c| c.meta.name != first.meta.name)
    {
        findings.push(
            Finding::warning(
                "IN-1",
                extra.meta.id(),
                extra.meta.loc.clone(),
                format!(
                    "a second Cluster object; this run checks cluster `{}` and ignores this one",
                    first.meta.name
                ),
            )
            .hint("check one cluster per input directory"),
        );
    }
}

/// IN-5: two objects of one kind with the same namespace/name, or two hosts with the same name, would
/// overwrite each other in the cluster.
fn report_duplicates(input: &Input, findings: &mut Vec<Finding>) {
    let mut seen: BTreeMap<(String, String, String), Loc> = BTreeMap::new();
    let metas = input
        .subnets
        .iter()
        .map(|s| &s.meta)
        .chain(input.templates.iter().map(|t| &t.meta))
        .chain(input.clusters.iter().map(|c| &c.meta))
        .chain(input.metallb.iter().map(|m| &m.meta));
    let keyed = metas
        .map(|m| {
            (
                (m.kind.clone(), m.namespace.clone(), m.name.clone()),
                m.loc.clone(),
            )
        })
        .chain(input.hosts.iter().map(|h| {
            (
                ("host".to_string(), String::new(), h.name.clone()),
                h.loc.clone(),
            )
        }));
    for (key, loc) in keyed {
        if let Some(first) = seen.get(&key) {
            findings.push(
                Finding::error(
                    "IN-5",
                    format!("{}/{}", key.0, key.2),
                    loc,
                    format!("{} `{}` is defined twice (first at {first})", key.0, key.2),
                )
                .hint("rename or remove one of them"),
            );
        } else {
            seen.insert(key, loc);
        }
    }
}
