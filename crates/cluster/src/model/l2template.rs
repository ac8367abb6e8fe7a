//! L2Template (ipam.mirantis.com/v1alpha1): which Subnets a host uses and the npTemplate that turns them
//! into the host's netplan.

use std::collections::BTreeMap;

use super::fields::{Located, Reader};
use super::meta::Meta;
use crate::yaml::Node;

/// The only `ipam/*` label a user sets on an L2Template: the cluster's default template.
pub const DEFAULT_FOR_CLUSTER: &str = "ipam/DefaultForCluster";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Namespace,
    Cluster,
}

/// One `l3Layout` entry: the name macros use, and how to find the Subnet behind it.
#[derive(Clone, Debug)]
pub struct L3Subnet {
    pub subnet_name: Located<String>,
    pub scope: Scope,
    pub label_selector: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct L2Template {
    pub meta: Meta,
    pub if_mapping: Vec<Located<String>>,
    pub auto_if_mapping_prio: Vec<Located<String>>,
    /// The template text and the line its first line is on (block scalars start one line below the key).
    pub np_template: Option<Located<String>>,
    pub l3_layout: Vec<L3Subnet>,
    /// Deprecated binding to a cluster, replaced by the cluster label.
    pub cluster_ref: Option<Located<String>>,
}

pub fn read_l2template(reader: &mut Reader, doc: &Node, meta: Meta) -> Option<L2Template> {
    let spec = reader.spec(
        doc,
        &[
            "clusterRef",
            "ifMapping",
            "autoIfMappingPrio",
            "npTemplate",
            "l3Layout",
        ],
    )?;
    // For a block scalar (`npTemplate: |`) the parser reports the first content line, which is what
    // template line numbers are counted from.
    let np_template = reader.required_string(spec, "npTemplate", "spec");
    reader.deprecated(
        spec,
        "clusterRef",
        "spec",
        "since MOSK 23.3 the cluster.sigs.k8s.io/cluster-name label binds a template to its cluster",
    );
    let cluster_ref = reader.string(spec, "clusterRef", "spec");
    let mut l3_layout = Vec::new();
    for item in reader.list(spec, "l3Layout", "spec") {
        if !reader.mapping(
            item,
            "spec.l3Layout[]",
            &["subnetName", "scope", "labelSelector", "subnetPool"],
        ) {
            continue;
        }
        let Some(subnet_name) = reader.required_string(item, "subnetName", "spec.l3Layout[]")
        else {
            continue;
        };
        reader.deprecated(
            item,
            "subnetPool",
            "spec.l3Layout[]",
            "SubnetPools are deprecated since Container Cloud 2.27 and unsupported since 2.28",
        );
        let scope = match reader.string(item, "scope", "spec.l3Layout[]") {
            None => Scope::Namespace,
            Some(s) => match s.value.as_str() {
                "global" => Scope::Global,
                "namespace" | "namespaced" => Scope::Namespace,
                "cluster" => {
                    reader.deprecated(
                        item,
                        "scope",
                        "spec.l3Layout[]",
                        "the `cluster` scope is deprecated since Container Cloud 2.27; use namespace",
                    );
                    Scope::Cluster
                }
                other => {
                    if let Some(node) = item.get("scope") {
                        reader.invalid(
                            node,
                            format!("unknown l3Layout scope `{other}`"),
                            "use global, namespace or cluster",
                        );
                    }
                    Scope::Namespace
                }
            },
        };
        let label_selector = reader.string_map(item, "labelSelector", "spec.l3Layout[]");
        l3_layout.push(L3Subnet {
            subnet_name,
            scope,
            label_selector,
        });
    }
    Some(L2Template {
        if_mapping: reader.string_list(spec, "ifMapping", "spec"),
        auto_if_mapping_prio: reader.string_list(spec, "autoIfMappingPrio", "spec"),
        np_template,
        l3_layout,
        cluster_ref,
        meta,
    })
}
