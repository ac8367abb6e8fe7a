//! The network roles of a MOSK cluster (the product page's seven networks, plus the address ranges that
//! live inside them) and how a Subnet gets its role.

use std::collections::BTreeSet;

use crate::model::subnet::{
    DEFAULT_SUBNET, SVC_CEPH_CLUSTER, SVC_CEPH_PUBLIC, SVC_DHCP_RANGE, SVC_EXTERNAL, SVC_LB_HOST,
    SVC_LCM, SVC_METALLB, SVC_OOB, SVC_PODS, SVC_TENANT,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetRole {
    /// Provisioning (PXE): used only while a host is provisioned.
    Pxe,
    /// Life-cycle management and API (LCM, API/LCM).
    Lcm,
    /// Kubernetes workloads (Calico underlay).
    Pods,
    /// Kubernetes external: the external range on the nodes.
    External,
    /// Storage access (Ceph public network).
    CephPublic,
    /// Storage replication (Ceph cluster network).
    CephCluster,
    /// Tenant underlay (VXLAN/Geneve tunnels).
    Tenant,
    /// Out-of-band (BMC) network.
    Oob,
    /// The MOSK services range for MetalLB (legacy `ipam/SVC-MetalLB` Subnets).
    Services,
    /// The dedicated range for the cluster API VIP.
    ApiVip,
}

/// Label → role, in the order roles are listed.
const LABELS: &[(&str, NetRole)] = &[
    (SVC_DHCP_RANGE, NetRole::Pxe),
    (DEFAULT_SUBNET, NetRole::Pxe),
    (SVC_LCM, NetRole::Lcm),
    (SVC_PODS, NetRole::Pods),
    (SVC_EXTERNAL, NetRole::External),
    (SVC_CEPH_PUBLIC, NetRole::CephPublic),
    (SVC_CEPH_CLUSTER, NetRole::CephCluster),
    (SVC_TENANT, NetRole::Tenant),
    (SVC_OOB, NetRole::Oob),
    (SVC_METALLB, NetRole::Services),
    (SVC_LB_HOST, NetRole::ApiVip),
];

impl NetRole {
    pub fn name(self) -> &'static str {
        match self {
            NetRole::Pxe => "PXE",
            NetRole::Lcm => "LCM",
            NetRole::Pods => "Kubernetes workloads",
            NetRole::External => "Kubernetes external",
            NetRole::CephPublic => "storage access",
            NetRole::CephCluster => "storage replication",
            NetRole::Tenant => "tenant underlay",
            NetRole::Oob => "out-of-band",
            NetRole::Services => "MetalLB services",
            NetRole::ApiVip => "API VIP",
        }
    }

    /// Short tag for diagrams.
    pub fn tag(self) -> &'static str {
        match self {
            NetRole::Pxe => "pxe",
            NetRole::Lcm => "lcm",
            NetRole::Pods => "pods",
            NetRole::External => "ext",
            NetRole::CephPublic => "ceph-pub",
            NetRole::CephCluster => "ceph-repl",
            NetRole::Tenant => "tenant",
            NetRole::Oob => "oob",
            NetRole::Services => "metallb",
            NetRole::ApiVip => "api-vip",
        }
    }

    /// The service label that marks a Subnet with this role.
    pub fn label(self) -> &'static str {
        LABELS
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("", |(l, _)| l)
    }

    /// Reserved bridge names (mosk-model §1.7): an address on them tells the role of an unlabelled Subnet.
    pub fn from_bridge(name: &str) -> Option<NetRole> {
        match name {
            "k8s-lcm" => Some(NetRole::Lcm),
            "k8s-pods" => Some(NetRole::Pods),
            "k8s-ext" => Some(NetRole::External),
            _ => None,
        }
    }
}

pub fn roles_from_labels<'a>(labels: impl Iterator<Item = &'a String>) -> BTreeSet<NetRole> {
    let labels: BTreeSet<&String> = labels.collect();
    LABELS
        .iter()
        .filter(|(l, _)| labels.iter().any(|k| k.as_str() == *l))
        .map(|(_, r)| *r)
        .collect()
}
