//! `render`: the files a spec becomes. Everything is computed in memory first and written only for
//! a spec without errors (the cluster crate's writer), so a broken spec leaves nothing half done.

pub mod host;
pub mod service;

use std::path::{Path, PathBuf};

use neutrino_cluster::design::Design;
use neutrino_cluster::render::output::Files;

use crate::chassis::chassis;
use crate::spec::Deployment;
use host::{EncapIp, HostSettings};

pub const SERVICE_FILE: &str = "neutrino.toml";
/// Without a cluster design: one script for every host, which finds its addresses when it runs.
pub const GENERIC_SCRIPT: &str = "ovs/apply-ovs.sh";

pub fn files(d: &Deployment, design: Option<&Design>) -> Files {
    let mut files = Files::new();
    files.insert(PathBuf::from(SERVICE_FILE), service::neutrino_toml(d));
    let tunnel = d
        .neutron
        .tunnel_interface
        .as_ref()
        .map_or("", |t| t.value.as_str());
    match design {
        None => {
            let mut settings =
                HostSettings::new(d, None, EncapIp::FromInterface(tunnel.into()), None, true);
            settings.per_node_tunnels = d
                .nodes
                .iter()
                .filter_map(|n| {
                    Some((
                        n.key.value.clone(),
                        n.tunnel_interface.as_ref()?.value.clone(),
                    ))
                })
                .collect();
            files.insert(PathBuf::from(GENERIC_SCRIPT), settings.script());
        }
        Some(design) => {
            for h in chassis(d, design) {
                // A clash of spec.nodes entries is an error (ND-2): nothing renders then.
                let tunnel = d
                    .tunnel_for(h.labels)
                    .ok()
                    .flatten()
                    .map_or("", |t| t.name.value.as_str());
                let encap = h
                    .netplan
                    .interfaces
                    .get(tunnel)
                    .and_then(|i| i.addresses.first())
                    .map(|(net, _)| EncapIp::Address(net.addr()))
                    .unwrap_or(EncapIp::FromInterface(tunnel.into()));
                let settings =
                    HostSettings::new(d, Some(h.name), encap, Some(h.gateway), h.external);
                let dir = Path::new("hosts").join(h.name);
                files.insert(dir.join(host::SETTINGS_FILE), settings.yaml());
                files.insert(dir.join(host::SCRIPT_FILE), settings.script());
            }
        }
    }
    files
}
