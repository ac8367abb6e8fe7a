//! `neutrino.toml` from the spec: only keys `neutrino serve` has, so the file is one it accepts.
//! What the spec says that the service has no setting for is listed in docs/deploy.md.

use toml::{Table, Value};

use crate::spec::{Deployment, NetworkType, parse_vlan_ranges};

pub fn neutrino_toml(d: &Deployment) -> String {
    let mut network = Table::new();
    network.insert(
        "global_physnet_mtu".into(),
        Value::Integer(d.physnet_mtu().into()),
    );
    // The types of networks created without provider attributes, in the spec's order (after
    // OVN's geneve-first rule).
    let tenant: Vec<Value> = d
        .tenant_network_types()
        .iter()
        .map(|t| Value::String(t.name().into()))
        .collect();
    network.insert("tenant_network_types".into(), Value::Array(tenant));
    let mut flat = Vec::new();
    let mut vlan = Vec::new();
    for e in &d.neutron.external_networks {
        let Some(physnet) = e.physnet() else { continue };
        if e.has_type(NetworkType::Flat) {
            flat.push(Value::String(physnet.into()));
        }
        if e.has_type(NetworkType::Vlan) {
            match e.vlan_ranges.as_ref().map(|r| parse_vlan_ranges(&r.value)) {
                Some(Ok(ranges)) => vlan.extend(
                    ranges
                        .into_iter()
                        .map(|(a, b)| Value::String(format!("{physnet}:{a}:{b}"))),
                ),
                // A physnet without ranges still takes provider VLAN networks (FN-7 reports it).
                _ => vlan.push(Value::String(physnet.into())),
            }
        }
    }
    // Each external network's MTU for its own physnet (flat and VLAN networks there take it);
    // the smallest is the global one above, for the rest.
    let mtus: Vec<Value> = d
        .neutron
        .external_networks
        .iter()
        .filter_map(|e| Some(format!("{}:{}", e.physnet()?, e.mtu.as_ref()?.value)))
        .map(Value::String)
        .collect();
    network.insert("physical_network_mtus".into(), Value::Array(mtus));
    network.insert("flat_networks".into(), Value::Array(flat));
    network.insert("network_vlan_ranges".into(), Value::Array(vlan));
    let mut ovn = Table::new();
    let dns: Vec<Value> = d
        .neutron
        .dns_servers
        .iter()
        .map(|s| Value::String(s.value.clone()))
        .collect();
    ovn.insert("dns_servers".into(), Value::Array(dns));
    ovn.insert("distributed_floating_ips".into(), Value::Boolean(d.dvr()));
    let mut top = Table::new();
    // ml2 is realised through OVN as well (BE-1); Tungsten Fabric is an error and never renders.
    top.insert("backend".into(), Value::String("ovn".into()));
    top.insert("network".into(), Value::Table(network));
    top.insert("ovn".into(), Value::Table(ovn));
    format!(
        "# Rendered by `neutrino deploy render` from {} ({}).\n# Keys not written here keep their defaults (`neutrino serve --print-config`).\n{}",
        d.file_name(),
        d.id(),
        toml::to_string(&top).unwrap_or_default()
    )
}
