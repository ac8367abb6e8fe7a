//! A host's Open vSwitch settings for the OVN chassis: `ovn-encap-ip` (the tunnel interface's first
//! IPv4 address, as the reference's ovn-controller start script takes it), `ovn-bridge-mappings`,
//! the gateway option, and the bridges with the NICs to add — as a YAML file to read and as a
//! shell script that applies them with `ovs-vsctl` and can be run again at any time.

use std::net::Ipv4Addr;

use crate::spec::Deployment;

pub const SETTINGS_FILE: &str = "ovn-chassis.yaml";
pub const SCRIPT_FILE: &str = "apply-ovs.sh";

pub enum EncapIp {
    Address(Ipv4Addr),
    /// Not known when rendering: the script reads the interface's first IPv4 when it runs.
    FromInterface(String),
}

pub struct HostSettings {
    pub host: Option<String>,
    pub source: String,
    pub encap_ip: EncapIp,
    /// None: the script asks its environment (`OVN_GATEWAY=1`), for a script shared by all hosts.
    pub gateway: Option<bool>,
    /// physnet → bridge, in spec order.
    pub mappings: Vec<(String, String)>,
    /// bridge → the NIC to add (none: an empty bridge the operator fills).
    pub bridges: Vec<(String, Option<String>)>,
    /// For the script shared by all hosts: the `spec.nodes` keys and the tunnel interface each
    /// gives its nodes (they run the script with `OVN_TUNNEL_INTERFACE`).
    pub per_node_tunnels: Vec<(String, String)>,
}

impl HostSettings {
    pub fn new(
        d: &Deployment,
        host: Option<&str>,
        encap_ip: EncapIp,
        gateway: Option<bool>,
        external: bool,
    ) -> Self {
        let mut mappings = Vec::new();
        let mut bridges = Vec::new();
        for e in d.neutron.external_networks.iter().filter(|_| external) {
            let (Some(physnet), Some(bridge)) = (e.physnet(), &e.bridge) else {
                continue;
            };
            mappings.push((physnet.to_string(), bridge.value.clone()));
            bridges.push((
                bridge.value.clone(),
                e.interface.as_ref().map(|i| i.value.clone()),
            ));
        }
        HostSettings {
            host: host.map(str::to_string),
            source: format!("{} ({})", d.file_name(), d.id()),
            encap_ip,
            gateway,
            mappings,
            bridges,
            per_node_tunnels: Vec::new(),
        }
    }

    fn bridge_mappings(&self) -> String {
        self.mappings
            .iter()
            .map(|(p, b)| format!("{p}:{b}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn yaml(&self) -> String {
        let mut out = format!(
            "# Open vSwitch settings of host {} for the OVN back end.\n# Rendered by `neutrino deploy render` from {}; applied by {SCRIPT_FILE}.\nexternal_ids:\n",
            self.host.as_deref().unwrap_or("?"),
            self.source
        );
        out.push_str(&format!(
            "  ovn-bridge-mappings: \"{}\"\n",
            self.bridge_mappings()
        ));
        if self.gateway == Some(true) {
            out.push_str("  ovn-cms-options: enable-chassis-as-gw\n");
        }
        match &self.encap_ip {
            EncapIp::Address(a) => out.push_str(&format!("  ovn-encap-ip: {a}\n")),
            EncapIp::FromInterface(i) => out.push_str(&format!(
                "  ovn-encap-ip: null  # {i} has no IPv4 address\n"
            )),
        }
        out.push_str("  ovn-encap-type: geneve\nbridges:\n");
        if self.bridges.is_empty() {
            out.push_str("  {}\n");
        }
        for (bridge, nic) in &self.bridges {
            match nic {
                Some(n) => out.push_str(&format!("  {bridge}: [{n}]\n")),
                None => out.push_str(&format!("  {bridge}: []\n")),
            }
        }
        out
    }

    pub fn script(&self) -> String {
        let mut out = String::from("#!/bin/sh\n");
        match &self.host {
            Some(h) => out.push_str(&format!(
                "# Open vSwitch settings of host {h} for the OVN back end.\n"
            )),
            None => {
                out.push_str(
                    "# Open vSwitch settings of any chassis host for the OVN back end; OVN_GATEWAY=1 on gateways.\n",
                );
                for (key, iface) in &self.per_node_tunnels {
                    out.push_str(&format!(
                        "# Nodes labelled {key}: OVN_TUNNEL_INTERFACE={iface} (spec.nodes).\n"
                    ));
                }
            }
        }
        out.push_str(&format!(
            "# Rendered by `neutrino deploy render` from {}.\n# Safe to run again: it creates only what is missing and sets the same values.\n# OVS_DATAPATH_TYPE=netdev for hosts without the Open vSwitch kernel module.\nset -eu\ndatapath=${{OVS_DATAPATH_TYPE:-system}}\n",
            self.source
        ));
        for (bridge, nic) in &self.bridges {
            out.push_str(&format!(
                "ovs-vsctl --may-exist add-br {bridge} -- set Bridge {bridge} datapath_type=\"$datapath\"\n"
            ));
            if let Some(nic) = nic {
                out.push_str(&format!(
                    "ovs-vsctl --may-exist add-port {bridge} {nic}\nip link set {nic} up\n"
                ));
            }
        }
        let encap = match &self.encap_ip {
            EncapIp::Address(a) => a.to_string(),
            EncapIp::FromInterface(i) => {
                // The shared script lets a node name its own tunnel interface.
                let (dev, name) = if self.host.is_none() {
                    out.push_str(&format!("tunnel=${{OVN_TUNNEL_INTERFACE:-{i}}}\n"));
                    ("\"$tunnel\"".to_string(), "$tunnel".to_string())
                } else {
                    (i.clone(), i.clone())
                };
                out.push_str(&format!(
                    "encap_ip=$(ip -4 -o addr show dev {dev} | awk '{{split($4, a, \"/\"); print a[1]; exit}}')\n[ -n \"$encap_ip\" ] || {{ echo \"{name} has no IPv4 address: cannot set ovn-encap-ip\" >&2; exit 1; }}\n"
                ));
                "\"$encap_ip\"".to_string()
            }
        };
        out.push_str(&format!(
            "ovs-vsctl set Open_vSwitch . external-ids:ovn-encap-type=geneve external-ids:ovn-encap-ip={encap} external-ids:ovn-bridge-mappings=\"{}\"\n",
            self.bridge_mappings()
        ));
        let set_gw =
            "ovs-vsctl set Open_vSwitch . external-ids:ovn-cms-options=enable-chassis-as-gw\n";
        // Removed when the host is no longer a gateway, so re-running keeps the host in step.
        let unset_gw = "ovs-vsctl remove Open_vSwitch . external_ids ovn-cms-options\n";
        match self.gateway {
            Some(true) => out.push_str(set_gw),
            Some(false) => out.push_str(unset_gw),
            None => out.push_str(&format!(
                "if [ \"${{OVN_GATEWAY:-0}}\" = 1 ]; then\n    {set_gw}else\n    {unset_gw}fi\n"
            )),
        }
        out
    }
}
