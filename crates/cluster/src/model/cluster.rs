//! The cluster-level objects: Cluster (bare-metal providerSpec networking knobs), MetalLBConfig, and the
//! Ceph networks of a KaaSCephCluster.

use super::fields::{Located, Reader};
use super::meta::Meta;
use crate::yaml::Node;

#[derive(Clone, Debug)]
pub struct Cluster {
    pub meta: Meta,
    pub load_balancer_host: Option<Located<String>>,
    pub use_bgp_announcement: bool,
}

/// providerSpec.value keys that are not about networking: accepted without a finding.
const PROVIDER_SPEC_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "loadBalancerHost",
    "dedicatedMetallbPools",
    "useBGPAnnouncement",
    "dedicatedControlPlane",
    "release",
    "helmReleases",
    "publicKeys",
    "kaas",
    "maintenance",
    "credentials",
    "proxy",
    "nodeCidr",
    "region",
    "audit",
    "secureOverlay",
    "ntp",
];

pub fn read_cluster(reader: &mut Reader, doc: &Node, meta: Meta) -> Cluster {
    let value = doc.get("spec").and_then(|spec| {
        reader.mapping(spec, "spec", &["providerSpec", "clusterNetwork"]);
        let provider = spec.get("providerSpec")?;
        reader.mapping(provider, "spec.providerSpec", &["value"]);
        provider.get("value")
    });
    let Some(value) = value else {
        return Cluster {
            meta,
            load_balancer_host: None,
            use_bgp_announcement: false,
        };
    };
    let path = "spec.providerSpec.value";
    reader.mapping(value, path, PROVIDER_SPEC_KEYS);
    Cluster {
        load_balancer_host: reader
            .string(value, "loadBalancerHost", path)
            .filter(|v| !v.value.is_empty()),
        use_bgp_announcement: reader
            .boolean(value, "useBGPAnnouncement", path)
            .is_some_and(|b| b.value),
        meta,
    }
}

/// One MetalLB IPAddressPool: its addresses (CIDRs or `a-b` ranges) as written.
#[derive(Clone, Debug)]
pub struct AddressPool {
    pub name: String,
    pub addresses: Vec<Located<String>>,
    pub auto_assign: bool,
    pub loc: crate::finding::Loc,
}

#[derive(Clone, Debug)]
pub struct L2Advertisement {
    pub name: String,
    pub pools: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct MetalLbConfig {
    pub meta: Meta,
    pub pools: Vec<AddressPool>,
    pub l2_advertisements: Vec<L2Advertisement>,
}

pub fn read_metallb(reader: &mut Reader, doc: &Node, meta: Meta) -> Option<MetalLbConfig> {
    let spec = reader.spec(
        doc,
        &[
            "allowToUpdateByIPAM",
            "addressPools",
            "ipAddressPools",
            "l2Advertisements",
            "bgpPeers",
            "bgpAdvertisements",
            "bfdProfiles",
            "communities",
            "templateName",
        ],
    )?;
    reader.deprecated(
        spec,
        "addressPools",
        "spec",
        "use ipAddressPools (MetalLB IPAddressPool) instead",
    );
    let mut pools = Vec::new();
    // The legacy `addressPools` carry the same `addresses` list; both feed the same checks.
    for key in ["ipAddressPools", "addressPools"] {
        for item in reader.list(spec, key, "spec") {
            let path = format!("spec.{key}[]");
            if !reader.mapping(item, &path, &["name", "labels", "spec"]) {
                continue;
            }
            let Some(name) = reader.required_string(item, "name", &path) else {
                continue;
            };
            let Some(pool_spec) = item.get("spec") else {
                reader.missing(item, &format!("{path}.spec"));
                continue;
            };
            let spec_path = format!("{path}.spec");
            reader.mapping(
                pool_spec,
                &spec_path,
                &[
                    "addresses",
                    "autoAssign",
                    "avoidBuggyIPs",
                    "protocol",
                    "serviceAllocation",
                ],
            );
            pools.push(AddressPool {
                name: name.value,
                addresses: reader.string_list(pool_spec, "addresses", &spec_path),
                auto_assign: reader
                    .boolean(pool_spec, "autoAssign", &spec_path)
                    .is_none_or(|b| b.value),
                loc: name.loc,
            });
        }
    }
    let mut l2_advertisements = Vec::new();
    for item in reader.list(spec, "l2Advertisements", "spec") {
        let path = "spec.l2Advertisements[]";
        if !reader.mapping(item, path, &["name", "labels", "spec"]) {
            continue;
        }
        let Some(name) = reader.required_string(item, "name", path) else {
            continue;
        };
        let pools = item.get("spec").map_or_else(Vec::new, |adv| {
            let spec_path = "spec.l2Advertisements[].spec";
            reader.mapping(
                adv,
                spec_path,
                &[
                    "ipAddressPools",
                    "ipAddressPoolSelectors",
                    "nodeSelectors",
                    "interfaces",
                ],
            );
            reader
                .string_list(adv, "ipAddressPools", spec_path)
                .into_iter()
                .map(|p| p.value)
                .collect()
        });
        l2_advertisements.push(L2Advertisement {
            name: name.value,
            pools,
        });
    }
    Some(MetalLbConfig {
        meta,
        pools,
        l2_advertisements,
    })
}

/// `spec.cephClusterSpec.network` of a KaaSCephCluster: comma-separated CIDR lists.
#[derive(Clone, Debug)]
pub struct CephNetworks {
    pub meta: Meta,
    pub public_net: Option<Located<String>>,
    pub cluster_net: Option<Located<String>>,
}

pub fn read_ceph(reader: &mut Reader, doc: &Node, meta: Meta) -> Option<CephNetworks> {
    let Some(spec) = doc.get("spec") else {
        reader.missing(doc, "spec");
        return None;
    };
    // Only the network part is ours; the rest of a Ceph cluster spec (nodes, pools…) is not checked here.
    let network = spec.get("cephClusterSpec").and_then(|c| c.get("network"));
    let Some(network) = network else {
        return Some(CephNetworks {
            meta,
            public_net: None,
            cluster_net: None,
        });
    };
    let path = "spec.cephClusterSpec.network";
    reader.mapping(
        network,
        path,
        &["publicNet", "clusterNet", "hostNetwork", "provider"],
    );
    Some(CephNetworks {
        public_net: reader.string(network, "publicNet", path),
        cluster_net: reader.string(network, "clusterNet", path),
        meta,
    })
}
