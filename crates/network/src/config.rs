//! Settings of the Networking service (`[network]` in neutrino.toml).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// MTU of the underlying physical network; tenant networks subtract their tunnel overhead.
    pub global_physnet_mtu: u64,
    /// MTUs of single physical networks, "physnet:mtu" (upstream ML2's `physical_network_mtus`):
    /// flat and VLAN networks on such a physnet take it instead of `global_physnet_mtu`.
    pub physical_network_mtus: Vec<String>,
    /// Types of networks created without provider attributes, in order: geneve, vxlan, vlan or
    /// flat; a network takes the next type when the earlier ones have no free segment (upstream's
    /// `tenant_network_types`). One string is taken as a list of one, and `tenant_network_type`
    /// as another spelling.
    #[serde(alias = "tenant_network_type", deserialize_with = "one_or_many")]
    pub tenant_network_types: Vec<String>,
    /// Geneve VNI ranges, "min:max".
    pub geneve_vni_ranges: Vec<String>,
    /// VXLAN VNI ranges, "min:max".
    pub vxlan_vni_ranges: Vec<String>,
    /// VLAN ranges per physical network, "physnet:min:max" (or just "physnet": provider only).
    pub network_vlan_ranges: Vec<String>,
    /// Physical networks that may carry flat networks; "*" allows any.
    pub flat_networks: Vec<String>,
    /// Domain of `dns_assignment` names when neither port nor network sets one.
    pub dns_domain: String,
    /// First three octets of generated MAC addresses.
    pub base_mac: String,
    pub max_dns_nameservers: usize,
    pub max_subnet_host_routes: usize,
    pub max_allowed_address_pair: usize,
    /// Largest page a list returns; -1 means no limit.
    pub pagination_max_limit: i64,
    /// SNAT on a router gateway whose request does not say (upstream's `enable_snat_by_default`).
    pub enable_snat_by_default: bool,
    /// Default per-project quotas (`[network.quotas]`).
    pub quotas: QuotaConfig,
}

/// A string, or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// Default limits of every project without its own (`-1`: unlimited), as upstream's
/// `[quotas] quota_*` options.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotaConfig {
    pub network: i64,
    pub subnet: i64,
    pub port: i64,
    pub router: i64,
    pub floatingip: i64,
    pub security_group: i64,
    pub security_group_rule: i64,
    pub rbac_policy: i64,
    pub subnetpool: i64,
}

impl QuotaConfig {
    /// Every quota resource with its default limit, by name.
    pub fn defaults(&self) -> [(&'static str, i64); 9] {
        [
            ("floatingip", self.floatingip),
            ("network", self.network),
            ("port", self.port),
            ("rbac_policy", self.rbac_policy),
            ("router", self.router),
            ("security_group", self.security_group),
            ("security_group_rule", self.security_group_rule),
            ("subnet", self.subnet),
            ("subnetpool", self.subnetpool),
        ]
    }
}

impl Default for QuotaConfig {
    fn default() -> Self {
        QuotaConfig {
            network: 100,
            subnet: 100,
            port: 500,
            router: 10,
            floatingip: 50,
            security_group: 10,
            security_group_rule: 100,
            rbac_policy: 10,
            subnetpool: -1,
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            global_physnet_mtu: 1500,
            physical_network_mtus: Vec::new(),
            tenant_network_types: vec!["geneve".into()],
            geneve_vni_ranges: vec!["1:65536".into()],
            vxlan_vni_ranges: vec!["1:65536".into()],
            network_vlan_ranges: vec!["physnet1:1:4094".into()],
            flat_networks: vec!["*".into()],
            dns_domain: "openstacklocal.".into(),
            base_mac: "fa:16:3e".into(),
            max_dns_nameservers: 5,
            max_subnet_host_routes: 20,
            max_allowed_address_pair: 10,
            pagination_max_limit: -1,
            enable_snat_by_default: true,
            quotas: QuotaConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NetworkConfig;

    #[test]
    fn tenant_types_are_a_list_or_one_under_either_name() {
        let read = |v: serde_json::Value| -> Vec<String> {
            serde_json::from_value::<NetworkConfig>(v)
                .unwrap()
                .tenant_network_types
        };
        assert_eq!(
            read(serde_json::json!({"tenant_network_types": ["vlan", "geneve"]})),
            ["vlan", "geneve"]
        );
        assert_eq!(
            read(serde_json::json!({"tenant_network_type": "vxlan"})),
            ["vxlan"]
        );
        assert_eq!(read(serde_json::json!({})), ["geneve"]);
    }
}
