//! Neutron resources → desired Northbound rows, as upstream ML2/OVN lays them out
//! (`shared/reference/ovn-mapping.md`): a network is a `Logical_Switch` (and a `localnet` port when
//! it is a provider network), a subnet with DHCP is a `DHCP_Options` row, a port is a
//! `Logical_Switch_Port`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use neutrino_ovsdb::Atom;

use crate::input::{
    FloatingIpSpec, Ipv6AddressMode, MappingConfig, NetworkSpec, PortSpec, Resources, SubnetSpec,
};
use crate::row::{Desired, NbRow, REVISION_KEY, RowId, table};

/// `neutron-<network id>`: the name of a network's Logical_Switch.
pub fn switch_name(network_id: &str) -> String {
    format!("neutron-{network_id}")
}

/// `provnet-<segment id>`: the name of a provider network's localnet port.
pub fn localnet_name(segment_id: &str) -> String {
    format!("provnet-{segment_id}")
}

/// `lrp-<port id>`: the Logical_Router_Port of a router's port.
pub fn router_port_name(port_id: &str) -> String {
    format!("lrp-{port_id}")
}

/// The whole desired state of the given resources: what a full compare checks the database against.
pub fn desired_state(config: &MappingConfig, resources: &Resources<'_>) -> Desired {
    let mut desired = Desired::new();
    let networks = resources.networks_by_id();
    for network in resources.networks {
        desired.extend(network_rows(network));
    }
    for subnet in resources.subnets {
        if let Some(network) = networks.get(subnet.network_id.as_str()) {
            desired.extend(subnet_row(config, subnet, network));
        }
    }
    let context = PortContext::new(resources.subnets, resources.ports)
        .with_floating_ips(resources.floating_ips);
    for port in resources.ports {
        if networks.contains_key(port.network_id.as_str()) {
            desired.insert(port_row(port, &context));
        }
    }
    for router in resources.routers {
        desired.extend(crate::router::router_rows(router, resources));
        desired.extend(crate::nat::router_l3_rows(router, resources));
    }
    for fip in resources.floating_ips {
        desired.extend(crate::nat::floating_ip_row(config, fip, resources));
        desired.extend(crate::nat::port_forwarding_rows(fip));
    }
    desired.extend(crate::security::security_rows(resources));
    desired.extend(crate::security::meter_rows(config, resources.logs));
    desired.extend(crate::qos::qos_rows(resources));
    desired
}

fn strings<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A network: its Logical_Switch, and for a flat or VLAN network the localnet port.
pub fn network_rows(network: &NetworkSpec) -> Vec<NbRow> {
    let name = switch_name(&network.id);
    let mut external_ids = strings([
        ("neutron:network_name", network.name.clone()),
        ("neutron:mtu", network.mtu.to_string()),
        (REVISION_KEY, network.revision_number.to_string()),
        (
            "neutron:availability_zone_hints",
            network.availability_zone_hints.join(","),
        ),
        ("neutron:provnet-network-type", network.network_type.clone()),
    ]);
    let mut other_config = strings([
        ("mcast_snoop", "false".into()),
        ("mcast_flood_unregistered", "false".into()),
        (
            "vlan-passthru",
            (network.vlan_transparent || network.qinq).to_string(),
        ),
    ]);
    let mut rows = Vec::new();
    if let (true, Some(physnet)) = (network.is_provider(), &network.physical_network) {
        external_ids.insert("neutron:provnet-physical-network".into(), physnet.clone());
        if network.network_type == "vlan"
            && let Some(vlan) = network.segmentation_id
        {
            external_ids.insert("neutron:provnet-segmentation-id".into(), vlan.to_string());
        }
        other_config.insert("fdb_age_threshold".into(), "300".into());
        other_config.insert("broadcast-arps-to-all-routers".into(), "true".into());
        rows.push(localnet_row(network, physnet, &name));
    }
    let mut switch = NbRow::new(table::LOGICAL_SWITCH, name);
    switch
        .set_map("external_ids", &external_ids)
        .set_map("other_config", &other_config);
    switch.revision = Some(network.revision_number);
    rows.insert(0, switch);
    rows
}

fn localnet_row(network: &NetworkSpec, physnet: &str, switch: &str) -> NbRow {
    let mut row = NbRow::new(
        table::LOGICAL_SWITCH_PORT,
        localnet_name(&network.segment_id),
    );
    let tag = match (network.network_type.as_str(), network.segmentation_id) {
        ("vlan", Some(vlan)) => Some(Atom::Integer(vlan)),
        _ => None,
    };
    let mut options = strings([
        ("network_name", physnet.to_owned()),
        ("mcast_flood", "false".into()),
        ("mcast_flood_reports", "true".into()),
        ("localnet_learn_fdb", "false".into()),
    ]);
    // Upstream sets only the non-default outer tag type; it writes it "802.11ad" (a typo OVN
    // does not read), the type OVN knows is 802.1ad.
    if network.qinq {
        options.insert("ethtype".into(), "802.1ad".into());
    }
    row.set("type", "localnet")
        .set_strings("addresses", ["unknown"])
        .set_optional("tag", tag)
        .set_map("options", &options)
        .set_map(
            "external_ids",
            &strings([("neutron:provnet-physical-network", physnet.to_owned())]),
        );
    row.parent = Some(RowId::new(table::LOGICAL_SWITCH, switch));
    row
}

/// The MAC a subnet's DHCP server answers from: `fa:16:3e` and three bytes of a hash of the subnet
/// id, so the same subnet always gets the same MAC without storing it (upstream picks a random
/// one and keeps it in the row).
pub fn dhcp_server_mac(subnet_id: &str) -> String {
    // FNV-1a, 64 bit: stable across releases, unlike std's hasher.
    let hash = subnet_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let [a, b, c, ..] = hash.to_be_bytes();
    format!("fa:16:3e:{a:02x}:{b:02x}:{c:02x}")
}

/// `{a, b}`: OVN's syntax for a list value of a DHCP option.
fn braced<I: IntoIterator<Item = String>>(items: I) -> String {
    format!("{{{}}}", items.into_iter().collect::<Vec<_>>().join(", "))
}

/// A subnet's DHCP_Options row: DHCPv4 for an IPv4 subnet with DHCP, DHCPv6 for an IPv6 subnet in
/// `dhcpv6-stateful` or `dhcpv6-stateless` mode; none otherwise (SLAAC is the router's business).
pub fn subnet_row(
    config: &MappingConfig,
    subnet: &SubnetSpec,
    network: &NetworkSpec,
) -> Option<NbRow> {
    if !subnet.enable_dhcp {
        return None;
    }
    let server_mac = dhcp_server_mac(&subnet.id);
    let dns: Vec<IpAddr> = if subnet.dns_nameservers.is_empty() {
        config
            .dns_servers
            .iter()
            .filter(|ip| ip.is_ipv4() == subnet.is_ipv4())
            .copied()
            .collect()
    } else {
        subnet.dns_nameservers.clone()
    };
    let mut options = BTreeMap::new();
    if subnet.is_ipv4() {
        // Without a gateway there is no router option and no server_id to answer from.
        let gateway = subnet.gateway_ip?;
        options.insert("server_id".into(), gateway.to_string());
        options.insert("server_mac".into(), server_mac);
        options.insert("router".into(), gateway.to_string());
        options.insert("lease_time".into(), config.dhcp_lease_time.to_string());
        options.insert("mtu".into(), network.mtu.to_string());
        let mut routes: Vec<String> = subnet
            .host_routes
            .iter()
            .filter(|r| matches!(r.destination, IpNet::V4(_)))
            .map(|r| format!("{},{}", r.destination, r.nexthop))
            .collect();
        if !routes.is_empty() {
            routes.push(format!("0.0.0.0/0,{gateway}"));
            options.insert("classless_static_route".into(), braced(routes));
        }
        if !network.dns_domain.is_empty() {
            let domain = network.dns_domain.trim_end_matches('.');
            options.insert("domain_name".into(), format!("\"{domain}\""));
        }
    } else {
        let stateless = match subnet.ipv6_address_mode {
            Some(Ipv6AddressMode::Dhcpv6Stateful) => false,
            Some(Ipv6AddressMode::Dhcpv6Stateless) => true,
            Some(Ipv6AddressMode::Slaac) | None => return None,
        };
        options.insert("server_id".into(), server_mac);
        if stateless {
            options.insert("dhcpv6_stateless".into(), "true".into());
        }
        if !network.dns_domain.is_empty() {
            let domain = network.dns_domain.trim_end_matches('.');
            options.insert("domain_search".into(), format!("\"{domain}\""));
        }
    }
    if !dns.is_empty() {
        options.insert(
            "dns_server".into(),
            braced(dns.iter().map(ToString::to_string)),
        );
    }
    let mut row = NbRow::new(table::DHCP_OPTIONS, subnet.id.clone());
    row.set("cidr", subnet.cidr.trunc().to_string())
        .set_map("options", &options)
        .set_map(
            "external_ids",
            &strings([
                ("subnet_id", subnet.id.clone()),
                ("neutron:network_id", subnet.network_id.clone()),
                (REVISION_KEY, subnet.revision_number.to_string()),
            ]),
        );
    row.revision = Some(subnet.revision_number);
    Some(row)
}

/// What mapping one port needs to know about the others: the subnets, and which ports declare an
/// address as an allowed address pair (the parents of a `virtual` port holding that address).
pub struct PortContext<'a> {
    subnets: BTreeMap<&'a str, &'a SubnetSpec>,
    /// (network id, address) → ids of the ports that list it in `allowed_address_pairs`.
    pair_owners: BTreeMap<(&'a str, IpAddr), BTreeSet<&'a str>>,
    /// Port id → the floating IP associated with it (`neutron:port_fip`).
    floating_ips: BTreeMap<&'a str, IpAddr>,
}

impl<'a> PortContext<'a> {
    /// `ports` must include every port of the networks involved, for the virtual-port parents.
    pub fn new(subnets: &'a [SubnetSpec], ports: &'a [PortSpec]) -> PortContext<'a> {
        let mut pair_owners: BTreeMap<_, BTreeSet<&str>> = BTreeMap::new();
        for port in ports {
            for pair in &port.allowed_address_pairs {
                // Only a single address can be a VIP; a CIDR pair is just permission.
                if pair.ip_address.prefix_len() == pair.ip_address.max_prefix_len() {
                    pair_owners
                        .entry((port.network_id.as_str(), pair.ip_address.addr()))
                        .or_default()
                        .insert(port.id.as_str());
                }
            }
        }
        PortContext {
            subnets: subnets.iter().map(|s| (s.id.as_str(), s)).collect(),
            pair_owners,
            floating_ips: BTreeMap::new(),
        }
    }

    /// Adds the floating IPs, so that each associated port names its address.
    pub fn with_floating_ips(mut self, floating_ips: &'a [FloatingIpSpec]) -> PortContext<'a> {
        self.floating_ips = floating_ips
            .iter()
            .filter_map(|f| Some((f.port_id.as_deref()?, f.floating_ip_address)))
            .collect();
        self
    }

    /// The parents of a virtual port at `ip` on `network`: the other ports that declare `ip`.
    fn virtual_parents(&self, port: &PortSpec, ip: IpAddr) -> Vec<&'a str> {
        self.pair_owners
            .get(&(port.network_id.as_str(), ip))
            .map(|owners| owners.iter().copied().filter(|id| *id != port.id).collect())
            .unwrap_or_default()
    }
}

/// The OVN port type for a Neutron `device_owner`.
fn port_type(device_owner: &str) -> &'static str {
    match device_owner {
        "network:router_interface"
        | "network:router_interface_distributed"
        | "network:ha_router_replicated_interface"
        | "network:router_gateway" => "router",
        "network:distributed" => "localport",
        _ => "",
    }
}

/// A port's Logical_Switch_Port.
pub fn port_row(port: &PortSpec, context: &PortContext<'_>) -> NbRow {
    let mac = port.mac_address.to_lowercase();
    let mut kind = port_type(&port.device_owner);
    let is_vif = kind.is_empty();
    let mut options = BTreeMap::new();

    let ips: Vec<IpAddr> = port.fixed_ips.iter().map(|f| f.ip_address).collect();
    let ip_text = |extra: &[IpAddr]| -> String {
        std::iter::once(mac.clone())
            .chain(ips.iter().chain(extra).map(ToString::to_string))
            .collect::<Vec<_>>()
            .join(" ")
    };

    // Allowed address pairs: those with the port's own MAC widen its entry; the others are
    // entries of their own (and bare MAC addresses, so OVN delivers to them).
    let mut own_pairs = Vec::new();
    let mut other_macs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in &port.allowed_address_pairs {
        let pair_mac = pair.mac_address.as_deref().map(str::to_lowercase);
        let ip = if pair.ip_address.prefix_len() == pair.ip_address.max_prefix_len() {
            pair.ip_address.addr().to_string()
        } else {
            pair.ip_address.to_string()
        };
        match pair_mac {
            Some(m) if m != mac => other_macs.entry(m).or_default().push(ip),
            _ => own_pairs.push(ip),
        }
    }

    let (addresses, port_security) = if !is_vif && kind == "router" {
        (vec!["router".to_owned()], Vec::new())
    } else {
        let mut addresses = vec![ip_text(&[])];
        addresses.extend(other_macs.keys().cloned());
        let mut security = Vec::new();
        if port.port_security_enabled && is_vif {
            let mut own = ip_text(&[]);
            for ip in &own_pairs {
                own.push(' ');
                own.push_str(ip);
            }
            security.push(own);
            for (other, ips) in &other_macs {
                security.push(format!("{other} {}", ips.join(" ")));
                security.push(format!("VRRPv3 {mac} {other} {}", ips.join(" ")));
            }
        } else if is_vif {
            addresses.push("unknown".to_owned());
        }
        (addresses, security)
    };

    match kind {
        "router" => {
            options.insert("router-port".to_owned(), router_port_name(&port.id));
            if port.device_owner == "network:router_gateway" {
                options.insert("nat-addresses".to_owned(), "router".to_owned());
                options.insert("exclude-lb-vips-from-garp".to_owned(), "true".to_owned());
            }
        }
        "" => {
            if let Some((ip, parents)) = ips
                .iter()
                .map(|ip| (*ip, context.virtual_parents(port, *ip)))
                .find(|(_, parents)| !parents.is_empty())
            {
                kind = "virtual";
                options.insert("virtual-ip".to_owned(), ip.to_string());
                options.insert("virtual-parents".to_owned(), parents.join(","));
            }
            // No `requested-chassis` from `binding:host_id`: the data plane reports where a port
            // is bound into `binding:host_id`, and pinning the port there would stop it from
            // being claimed anywhere else after it moves.
        }
        _ => {}
    }

    // DHCP: the first IPv4 subnet with DHCP; the first DHCPv6 (stateful or stateless) subnet.
    let subnets_of_port: Vec<&SubnetSpec> = port
        .fixed_ips
        .iter()
        .filter_map(|f| context.subnets.get(f.subnet_id.as_str()).copied())
        .collect();
    let dhcp = |v4: bool| -> Vec<RowId> {
        if !is_vif {
            return Vec::new();
        }
        subnets_of_port
            .iter()
            .find(|s| {
                s.enable_dhcp
                    && s.is_ipv4() == v4
                    && (v4
                        || matches!(
                            s.ipv6_address_mode,
                            Some(
                                Ipv6AddressMode::Dhcpv6Stateful | Ipv6AddressMode::Dhcpv6Stateless
                            )
                        ))
            })
            .map(|s| vec![RowId::new(table::DHCP_OPTIONS, s.id.clone())])
            .unwrap_or_default()
    };

    // Only what Neutrino reads back: the revision (the guard of every change, and what marks
    // the row as ours), and two entries that exist only for some ports. Upstream's copies of the
    // port (name, device, project, network, CIDRs, groups, VNIC type, and three always-empty
    // keys) are left out: the API is where they are read (docs/ovn.md, "external_ids").
    let mut external_ids = strings([(REVISION_KEY, port.revision_number.to_string())]);
    if !port.capabilities.is_empty() {
        external_ids.insert(
            "neutron:port_capabilities".to_owned(),
            port.capabilities.join(";"),
        );
    }
    if let Some(fip) = context.floating_ips.get(port.id.as_str()) {
        external_ids.insert("neutron:port_fip".to_owned(), fip.to_string());
    }

    // A sub-port is a nested port of its parent's LSP: OVN delivers its traffic tagged on the
    // parent's VIF (upstream's OVN trunk driver sets the same two columns).
    let parent = port.trunk_parent.as_ref();
    let mut row = NbRow::new(table::LOGICAL_SWITCH_PORT, port.id.clone());
    row.set("type", kind)
        .set_optional(
            "parent_name",
            parent.map(|p| Atom::String(p.parent.clone())),
        )
        .set_optional("tag", parent.map(|p| Atom::Integer(p.tag)))
        .set_strings("addresses", addresses)
        .set_strings("port_security", port_security)
        .set_optional("enabled", Some(Atom::Boolean(port.admin_state_up)))
        .set_map("options", &options)
        .set_map("external_ids", &external_ids)
        .reference("dhcpv4_options", dhcp(true))
        .reference("dhcpv6_options", dhcp(false));
    row.parent = Some(RowId::new(
        table::LOGICAL_SWITCH,
        switch_name(&port.network_id),
    ));
    row.revision = Some(port.revision_number);
    row
}
