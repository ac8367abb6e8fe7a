//! Settings of the Networking service (`[network]` in neutrino.toml).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// MTU of the underlying physical network; tenant networks subtract their tunnel overhead.
    pub global_physnet_mtu: u64,
    /// Type of networks created without provider attributes: geneve, vxlan, vlan or flat.
    pub tenant_network_type: String,
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
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            global_physnet_mtu: 1500,
            tenant_network_type: "geneve".into(),
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
        }
    }
}
