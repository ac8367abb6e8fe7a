//! The resources as stored: each struct serialises to the JSON object the API returns (before
//! per-caller policy strips admin-only attributes), less the attributes computed when read from
//! other rows — a network's `subnets`, a subnet's `shared` and `router:external`, a floating
//! IP's `port_details` (see [`crate::collection::Collection::complete`]). Documents stored by
//! earlier releases may still hold copies of those; reading ignores them.

use std::net::IpAddr;

use ipnet::IpNet;
use neutrino_ipam::{AllocationPool, HostRoute, Ipv6Mode, ValidatedSubnet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::{StoreError, Table, tables};

/// Attributes every resource with standard attributes carries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Standard {
    pub description: String,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub revision_number: u64,
}

impl Standard {
    pub fn new(description: String, tags: Vec<String>) -> Standard {
        let now = crate::time::now();
        Standard {
            description,
            tags,
            created_at: now.clone(),
            updated_at: now,
            revision_number: 1,
        }
    }

    /// Records a change: a new revision and update time.
    pub fn touch(&mut self) {
        self.revision_number += 1;
        self.updated_at = crate::time::now();
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub admin_state_up: bool,
    pub status: String,
    pub shared: bool,
    #[serde(rename = "router:external")]
    pub router_external: bool,
    pub mtu: u64,
    pub port_security_enabled: bool,
    pub dns_domain: String,
    pub availability_zone_hints: Vec<String>,
    pub availability_zones: Vec<String>,
    pub ipv4_address_scope: Option<String>,
    pub ipv6_address_scope: Option<String>,
    pub is_default: bool,
    pub l2_adjacency: bool,
    #[serde(rename = "provider:network_type")]
    pub network_type: Option<String>,
    #[serde(rename = "provider:physical_network")]
    pub physical_network: Option<String>,
    #[serde(rename = "provider:segmentation_id")]
    pub segmentation_id: Option<i64>,
    /// `multi-provider`: the segments of a network that has several (its `provider:*` are then
    /// null); absent while it has one or none (see [`crate::segment::show_on_network`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<ProviderSegment>>,
    /// `vlan-transparent`: VLAN-tagged traffic passes the network as it is.
    #[serde(default)]
    pub vlan_transparent: bool,
    /// `qinq`: VLAN traffic passes in an outer 802.1ad tag.
    #[serde(default)]
    pub qinq: bool,
    /// Its QoS policy (`qos`); documents from before QoS have none.
    #[serde(default)]
    pub qos_policy_id: Option<String>,
    #[serde(flatten)]
    pub std: Standard,
}

/// A segment as a network's `segments` shows it (and a create names it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSegment {
    #[serde(rename = "provider:network_type")]
    pub network_type: Option<String>,
    #[serde(rename = "provider:physical_network")]
    pub physical_network: Option<String>,
    #[serde(rename = "provider:segmentation_id")]
    pub segmentation_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub network_id: String,
    pub ip_version: u8,
    pub cidr: IpNet,
    pub gateway_ip: Option<IpAddr>,
    pub allocation_pools: Vec<AllocationPool>,
    pub dns_nameservers: Vec<IpAddr>,
    pub host_routes: Vec<HostRoute>,
    pub enable_dhcp: bool,
    pub ipv6_ra_mode: Option<Ipv6Mode>,
    pub ipv6_address_mode: Option<Ipv6Mode>,
    pub subnetpool_id: Option<String>,
    pub service_types: Vec<String>,
    pub dns_publish_fixed_ip: bool,
    /// `segment`: the segment of a routed network the subnet is on.
    #[serde(default)]
    pub segment_id: Option<String>,
    #[serde(flatten)]
    pub std: Standard,
}

impl Subnet {
    /// The IP settings of the subnet, as the IPAM rules see them.
    pub fn ip_settings(&self) -> ValidatedSubnet {
        ValidatedSubnet {
            ip_version: self.ip_version,
            cidr: self.cidr,
            gateway_ip: self.gateway_ip,
            allocation_pools: self.allocation_pools.clone(),
            dns_nameservers: self.dns_nameservers.clone(),
            host_routes: self.host_routes.clone(),
            enable_dhcp: self.enable_dhcp,
            ipv6_ra_mode: self.ipv6_ra_mode,
            ipv6_address_mode: self.ipv6_address_mode,
        }
    }

    /// Takes the IP settings that passed the IPAM rules.
    pub fn set_ip_settings(&mut self, v: ValidatedSubnet) {
        self.ip_version = v.ip_version;
        self.cidr = v.cidr;
        self.gateway_ip = v.gateway_ip;
        self.allocation_pools = v.allocation_pools;
        self.dns_nameservers = v.dns_nameservers;
        self.host_routes = v.host_routes;
        self.enable_dhcp = v.enable_dhcp;
        self.ipv6_ra_mode = v.ipv6_ra_mode;
        self.ipv6_address_mode = v.ipv6_address_mode;
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedIp {
    pub subnet_id: String,
    pub ip_address: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressPair {
    pub ip_address: String,
    pub mac_address: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhcpOption {
    pub opt_name: String,
    pub opt_value: String,
    pub ip_version: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsAssignment {
    pub ip_address: String,
    pub hostname: String,
    pub fqdn: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Port {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub network_id: String,
    pub admin_state_up: bool,
    pub mac_address: String,
    pub fixed_ips: Vec<FixedIp>,
    pub device_id: String,
    pub device_owner: String,
    pub status: String,
    pub port_security_enabled: bool,
    /// The groups of the port (`security-group`); also kept in `port_security_groups`.
    #[serde(default)]
    pub security_groups: Vec<String>,
    pub allowed_address_pairs: Vec<AddressPair>,
    pub extra_dhcp_opts: Vec<DhcpOption>,
    pub dns_name: String,
    pub dns_domain: String,
    pub dns_assignment: Vec<DnsAssignment>,
    pub ip_allocation: String,
    #[serde(rename = "binding:host_id")]
    pub host_id: String,
    #[serde(rename = "binding:vnic_type")]
    pub vnic_type: String,
    #[serde(rename = "binding:profile")]
    pub profile: Map<String, Value>,
    #[serde(rename = "binding:vif_type")]
    pub vif_type: String,
    #[serde(rename = "binding:vif_details")]
    pub vif_details: Map<String, Value>,
    /// `port-numa-affinity-policy`: a hint for the compute service, kept and shown.
    #[serde(default)]
    pub numa_affinity_policy: Option<String>,
    /// `port-device-profile`: the accelerator profile (Cyborg) named at create.
    #[serde(default)]
    pub device_profile: Option<String>,
    /// Its QoS policy (`qos`); documents from before QoS have none.
    #[serde(default)]
    pub qos_policy_id: Option<String>,
    /// Always `null` here: `qos_network_policy_id` and `resource_request` are computed on read
    /// (see `port_qos`); the document holds the keys so that a port without QoS is its view.
    #[serde(default)]
    pub qos_network_policy_id: Option<String>,
    #[serde(default)]
    pub resource_request: Option<Value>,
    /// `uplink-status-propagation`: whether the VF follows its physical function's link state
    /// (a hint for the SR-IOV agent). Ports written before the extension show `true`, as
    /// upstream's do.
    #[serde(default = "propagates_uplink_status")]
    pub propagate_uplink_status: bool,
    /// `port-hardware-offload-type`: `switchdev` or `null`, set at create only; it adds its type
    /// to `binding:profile`'s `capabilities`.
    #[serde(default)]
    pub hardware_offload_type: Option<String>,
    /// `port-trusted-vif` (admin only): `null` until set; when set it is also `trusted` in
    /// `binding:profile`, which is how the compute service reads it.
    #[serde(default)]
    pub trusted: Option<bool>,
    #[serde(flatten)]
    pub std: Standard,
}

fn propagates_uplink_status() -> bool {
    true
}

/// A stored resource: knows its table and how to be read back.
pub trait Resource: Serialize + for<'de> Deserialize<'de> {
    const TABLE: Table;
    fn id(&self) -> &str;
    fn std(&mut self) -> &mut Standard;

    fn to_doc(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn from_doc(id: &str, doc: &str) -> Result<Self, StoreError> {
        serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
            table: Self::TABLE.name(),
            id: id.to_string(),
            reason: e.to_string(),
        })
    }
}

/// Implements [`Resource`] for a struct with `id` and flattened standard attributes `std`.
macro_rules! resource {
    ($ty:ty, $table:expr) => {
        impl $crate::model::Resource for $ty {
            const TABLE: neutrino_store::Table = $table;
            fn id(&self) -> &str {
                &self.id
            }
            fn std(&mut self) -> &mut $crate::model::Standard {
                &mut self.std
            }
        }
    };
}
pub(crate) use resource;

resource!(Network, tables::NETWORKS);
resource!(Subnet, tables::SUBNETS);
resource!(Port, tables::PORTS);
