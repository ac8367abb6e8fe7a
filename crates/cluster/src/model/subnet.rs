//! Subnet (ipam.mirantis.com/v1alpha1): an L3 network that node addresses are allocated from.
//! Values are kept as written; `rules::subnet` validates them (SN-1…SN-4, NB-1).

use super::fields::{Located, Reader};
use super::meta::Meta;
use crate::yaml::Node;

/// The service labels that give a Subnet its role (mosk-model §1.3).
pub const SVC_LCM: &str = "ipam/SVC-k8s-lcm";
pub const SVC_CEPH_PUBLIC: &str = "ipam/SVC-ceph-public";
pub const SVC_CEPH_CLUSTER: &str = "ipam/SVC-ceph-cluster";
pub const SVC_DHCP_RANGE: &str = "ipam/SVC-dhcp-range";
pub const DEFAULT_SUBNET: &str = "ipam/DefaultSubnet";
pub const SVC_METALLB: &str = "ipam/SVC-MetalLB";
pub const SVC_LB_HOST: &str = "ipam/SVC-LBhost";
/// Custom service labels (D6 allows them) that Neutrino reads for roles the product has no label for.
pub const SVC_PODS: &str = "ipam/SVC-k8s-pods";
pub const SVC_EXTERNAL: &str = "ipam/SVC-k8s-ext";
pub const SVC_TENANT: &str = "ipam/SVC-tenant";
pub const SVC_OOB: &str = "ipam/SVC-oob";

#[derive(Clone, Debug)]
pub struct Subnet {
    pub meta: Meta,
    pub cidr: Option<Located<String>>,
    pub include_ranges: Vec<Located<String>>,
    pub exclude_ranges: Vec<Located<String>>,
    pub use_whole_cidr: bool,
    pub gateway: Option<Located<String>>,
    pub nameservers: Vec<Located<String>>,
}

pub fn read_subnet(reader: &mut Reader, doc: &Node, meta: Meta) -> Option<Subnet> {
    let spec = reader.spec(
        doc,
        &[
            "cidr",
            "includeRanges",
            "excludeRanges",
            "useWholeCidr",
            "gateway",
            "nameservers",
            "subnetPoolRef",
        ],
    )?;
    reader.deprecated(
        spec,
        "subnetPoolRef",
        "spec",
        "SubnetPools are deprecated since Container Cloud 2.27 and unsupported since 2.28",
    );
    Some(Subnet {
        cidr: reader.required_string(spec, "cidr", "spec"),
        include_ranges: reader.string_list(spec, "includeRanges", "spec"),
        exclude_ranges: reader.string_list(spec, "excludeRanges", "spec"),
        use_whole_cidr: reader
            .boolean(spec, "useWholeCidr", "spec")
            .is_some_and(|b| b.value),
        gateway: reader.string(spec, "gateway", "spec"),
        nameservers: reader.string_list(spec, "nameservers", "spec"),
        meta,
    })
}
