//! The Kubernetes envelope every object shares: apiVersion, kind, metadata.

use std::collections::BTreeMap;

use super::fields::Reader;
use crate::finding::Loc;
use crate::yaml::Node;

/// The label that binds Subnets, L2Templates and MetalLBConfigs to a cluster.
pub const CLUSTER_LABEL: &str = "cluster.sigs.k8s.io/cluster-name";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Where the object starts (its `apiVersion`/`kind` line).
    pub loc: Loc,
}

impl Meta {
    /// `Kind/name`, how findings name objects.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    pub fn cluster(&self) -> Option<&str> {
        self.labels.get(CLUSTER_LABEL).map(String::as_str)
    }

    pub fn has_label(&self, key: &str) -> bool {
        self.labels.contains_key(key)
    }
}

/// Reads `metadata` (the document itself was already checked to be a mapping with a kind).
pub fn read_meta(reader: &mut Reader, doc: &Node, kind: &str) -> Option<Meta> {
    let Some(metadata) = doc.get("metadata") else {
        reader.missing(doc, "metadata");
        return None;
    };
    reader.mapping(
        metadata,
        "metadata",
        &[
            "name",
            "namespace",
            "labels",
            "annotations",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "finalizers",
            "ownerReferences",
            "generateName",
            "managedFields",
        ],
    );
    let name = reader.required_string(metadata, "name", "metadata")?;
    reader.object = format!("{kind}/{}", name.value);
    let namespace = reader
        .string(metadata, "namespace", "metadata")
        .map_or_else(|| "default".to_string(), |n| n.value);
    let labels = reader.string_map(metadata, "labels", "metadata");
    let annotations = reader.string_map(metadata, "annotations", "metadata");
    Some(Meta {
        kind: kind.to_string(),
        name: name.value,
        namespace,
        labels,
        annotations,
        loc: reader.loc(doc),
    })
}
