//! The files `render` writes. Everything is computed in memory first and written only for a design
//! without errors, so a broken design never leaves half a configuration behind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::design::Design;
use crate::design::hosts::NETPLAN_PATH;
use crate::design::role::NetRole;
use crate::design::services::VipSource;
use crate::error::ClusterError;
use crate::ipam::state::AllocationState;

/// Relative path → content, in a stable order.
pub type Files = BTreeMap<PathBuf, String>;

pub const STATE_FILE: &str = "ipam-state.yaml";

pub fn files(design: &Design) -> Files {
    let mut files = Files::new();
    let mut statuses = Vec::new();
    for host in design.rendered_hosts() {
        let Some(r) = &host.rendered else { continue };
        files.insert(
            Path::new("hosts").join(&host.host.name).join(NETPLAN_PATH),
            r.file_text(),
        );
        statuses.push(yaml(&ipam_host_status(design, host)));
    }
    if !statuses.is_empty() {
        files.insert(PathBuf::from("ipamhosts.yaml"), statuses.join("---\n"));
    }
    if !design.pools.is_empty() {
        files.insert(PathBuf::from("metallb.yaml"), metallb(design));
    }
    if let Some(ceph) = ceph(design) {
        files.insert(PathBuf::from("ceph-network.yaml"), yaml(&ceph));
    }
    if let Some(vip) = &design.vip {
        let source = match &vip.source {
            VipSource::LoadBalancerHost(_) => {
                "Cluster spec.providerSpec.value.loadBalancerHost".to_string()
            }
            VipSource::Subnet(key) => format!("allocated from Subnet {key} (ipam/SVC-LBhost)"),
        };
        files.insert(
            PathBuf::from("api-vip.yaml"),
            yaml(&json!({"loadBalancerHost": vip.address.to_string(), "source": source})),
        );
    }
    files.insert(PathBuf::from(STATE_FILE), state(design).to_yaml());
    files
}

/// The allocation state to keep for the next run.
pub fn state(design: &Design) -> AllocationState {
    let mut state = AllocationState::new();
    state.set_addresses(&design.addresses);
    state.api_vip = design
        .vip
        .as_ref()
        .filter(|v| matches!(v.source, VipSource::Subnet(_)))
        .map(|v| v.address);
    state.netplan_sha256 = design
        .rendered_hosts()
        .filter_map(|h| {
            h.rendered
                .as_ref()
                .map(|r| (h.host.name.clone(), r.sha256.clone()))
        })
        .collect();
    state
}

pub fn write(out: &Path, files: &Files) -> Result<(), ClusterError> {
    let mut made = BTreeSet::new();
    for (rel, content) in files {
        let path = out.join(rel);
        if let Some(dir) = path.parent()
            && made.insert(dir.to_path_buf())
        {
            std::fs::create_dir_all(dir).map_err(|e| ClusterError::io(dir, e))?;
        }
        write_file(&path, content.as_bytes(), rel.starts_with("hosts"))
            .map_err(|e| ClusterError::io(&path, e))?;
    }
    Ok(())
}

/// Removes `hosts/<name>/` directories of hosts that are no longer in the design, so a re-render never
/// leaves a removed host's files behind. Only directories holding `marker` (a file this renderer
/// writes for every host, e.g. the netplan file) are touched.
pub fn remove_stale_hosts(
    out: &Path,
    files: &Files,
    marker: &Path,
) -> Result<Vec<String>, ClusterError> {
    let hosts_dir = out.join("hosts");
    let Ok(entries) = std::fs::read_dir(&hosts_dir) else {
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ClusterError::io(&hosts_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = Path::new("hosts").join(&name).join(marker);
        if files.contains_key(&rel) || !out.join(&rel).is_file() {
            continue;
        }
        std::fs::remove_dir_all(entry.path()).map_err(|e| ClusterError::io(&entry.path(), e))?;
        removed.push(name);
    }
    removed.sort();
    Ok(removed)
}

/// Writes a file; netplan refuses configuration files that others can read, so those are 0600.
/// A file that already holds exactly this content is left alone: re-rendering a stable design touches
/// nothing (ext4 would otherwise flush every truncated-and-rewritten file to disk on close).
#[cfg(unix)]
fn write_file(path: &Path, content: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mode = if private { 0o600 } else { 0o644 };
    if std::fs::read(path).is_ok_and(|old| old == content) {
        let meta = std::fs::metadata(path)?;
        if private && meta.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)?;
    // An existing file keeps its old mode on open; make sure it is what netplan wants.
    if private {
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.write_all(content)
}

#[cfg(not(unix))]
fn write_file(path: &Path, content: &[u8], _private: bool) -> std::io::Result<()> {
    std::fs::write(path, content)
}

fn yaml(value: &Value) -> String {
    // A serde_json::Value always serialises.
    serde_saphyr::to_string(value).unwrap_or_default()
}

/// The IpamHost status a host would get: its service map and netconfig file (mosk-model §1.3, §1.5).
fn ipam_host_status(design: &Design, host: &crate::design::hosts::HostPlan) -> Value {
    let mut service_map: BTreeMap<String, Vec<(std::net::Ipv4Addr, String)>> = BTreeMap::new();
    if let Some(r) = &host.rendered {
        for a in &r.attachments {
            let Some(subnet) = design.subnets.get(&a.subnet) else {
                continue;
            };
            for label in &subnet.service_labels {
                service_map
                    .entry(label.clone())
                    .or_default()
                    .push((a.address, a.iface.clone()));
            }
        }
    }
    let service_map: serde_json::Map<String, Value> = service_map
        .into_iter()
        .map(|(label, mut entries)| {
            // R2 sorts a service's addresses ascending.
            entries.sort();
            let list = entries
                .into_iter()
                .map(|(ip, ifname)| json!({"ifName": ifname, "ipAddress": ip.to_string()}))
                .collect();
            (label, Value::Array(list))
        })
        .collect();
    let sha = host
        .rendered
        .as_ref()
        .map(|r| r.sha256.clone())
        .unwrap_or_default();
    json!({
        "apiVersion": "ipam.mirantis.com/v1alpha1",
        "kind": "IpamHost",
        "metadata": {"name": host.host.name, "namespace": host.host.namespace},
        "status": {
            "l2TemplateRef": host.template.clone().unwrap_or_default(),
            "serviceMap": service_map,
            "netconfigFiles": [{"path": format!("/{NETPLAN_PATH}"), "sha256": sha}],
        }
    })
}

/// MetalLB IPAddressPool and L2Advertisement manifests for the services range.
fn metallb(design: &Design) -> String {
    let mut docs = Vec::new();
    for pool in &design.pools {
        let addresses: Vec<String> = pool
            .ranges
            .intervals()
            .map(|(a, b)| {
                if a == b {
                    format!("{a}/32")
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        docs.push(json!({
            "apiVersion": "metallb.io/v1beta1",
            "kind": "IPAddressPool",
            "metadata": {"name": pool.name, "namespace": "metallb-system"},
            "spec": {"addresses": addresses, "autoAssign": pool.auto_assign},
        }));
    }
    if !design.use_bgp() {
        let names: Vec<&str> = design.pools.iter().map(|p| p.name.as_str()).collect();
        docs.push(json!({
            "apiVersion": "metallb.io/v1beta1",
            "kind": "L2Advertisement",
            "metadata": {"name": "services", "namespace": "metallb-system"},
            "spec": {"ipAddressPools": names},
        }));
    }
    docs.iter().map(yaml).collect::<Vec<_>>().join("---\n")
}

/// Ceph `publicNet`/`clusterNet` from the storage Subnets.
fn ceph(design: &Design) -> Option<Value> {
    let list = |role| -> String {
        let cidrs: BTreeSet<String> = design
            .subnets_with(role)
            .map(|s| s.cidr.to_string())
            .collect();
        cidrs.into_iter().collect::<Vec<_>>().join(",")
    };
    let (public, cluster) = (list(NetRole::CephPublic), list(NetRole::CephCluster));
    if public.is_empty() && cluster.is_empty() {
        return None;
    }
    Some(
        json!({"spec": {"cephClusterSpec": {"network": {"publicNet": public, "clusterNet": cluster}}}}),
    )
}
