//! Network segments: provider attributes given by an admin, or a tenant segment allocated from
//! the configured ranges. The store's unique index on (type, physnet, id) is the final arbiter.

use neutrino_store::{self as store, Connection, SegmentRow};

use crate::{Error, NetworkConfig, Result};

/// Provider attributes as requested.
#[derive(Default)]
pub(crate) struct ProviderRequest {
    pub network_type: Option<String>,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
}

/// Parses "min:max" ranges; a config error if malformed.
fn id_ranges(ranges: &[String]) -> Vec<(i64, i64)> {
    ranges
        .iter()
        .filter_map(|r| {
            let (a, b) = r.split_once(':')?;
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        })
        .collect()
}

/// VLAN ranges of one physical network from "physnet:min:max" entries.
fn vlan_ranges(cfg: &NetworkConfig, physnet: &str) -> Option<Vec<(i64, i64)>> {
    let mut known = false;
    let mut ranges = Vec::new();
    for entry in &cfg.network_vlan_ranges {
        let mut parts = entry.splitn(2, ':');
        if parts.next() != Some(physnet) {
            continue;
        }
        known = true;
        if let Some(rest) = parts.next() {
            ranges.extend(id_ranges(&[rest.to_string()]));
        }
    }
    known.then_some(ranges)
}

/// The lowest id of `ranges` not in `used`.
fn lowest_free(ranges: &[(i64, i64)], used: &mut [i64]) -> Option<i64> {
    used.sort_unstable();
    for &(lo, hi) in ranges {
        let mut candidate = lo;
        for &u in used.iter().filter(|&&u| u >= lo && u <= hi) {
            if u > candidate {
                break;
            }
            candidate = u + 1;
        }
        if candidate <= hi {
            return Some(candidate);
        }
    }
    None
}

fn no_segments() -> Error {
    Error::new(503, "NoNetworkAvailable", "Unable to create the network. No tenant network is available for allocation.")
}

/// Chooses the segment of a new network; [`reserve`] records it once the network row exists.
pub(crate) fn choose(conn: &Connection, cfg: &NetworkConfig, req: &ProviderRequest) -> Result<SegmentRow> {
    let network_type = req.network_type.clone().unwrap_or_else(|| cfg.tenant_network_type.clone());
    let physnet = req.physical_network.clone().unwrap_or_default();
    let seg_id = req.segmentation_id;
    let invalid = |msg: String| Error::invalid_input(msg);
    let seg = match network_type.as_str() {
        "geneve" | "vxlan" => {
            if !physnet.is_empty() {
                return Err(invalid(format!("provider:physical_network specified for {network_type} network")));
            }
            let ranges = id_ranges(if network_type == "geneve" { &cfg.geneve_vni_ranges } else { &cfg.vxlan_vni_ranges });
            let id = match seg_id {
                Some(id) if !(1..=16_777_215).contains(&id) => {
                    return Err(invalid(format!("{network_type} network segmentation_id {id} is out of range 1 to 16777215")));
                }
                Some(id) => id,
                None => {
                    let mut used = store::used_segmentation_ids(conn, &network_type, "")?;
                    lowest_free(&ranges, &mut used).ok_or_else(no_segments)?
                }
            };
            SegmentRow { network_type, physical_network: String::new(), segmentation_id: id }
        }
        "vlan" => {
            let physnet = if physnet.is_empty() {
                match cfg.network_vlan_ranges.first().and_then(|e| e.split(':').next()) {
                    Some(p) if req.network_type.is_none() => p.to_string(),
                    _ => return Err(invalid("provider:physical_network required".into())),
                }
            } else {
                physnet
            };
            let ranges = vlan_ranges(cfg, &physnet)
                .ok_or_else(|| invalid(format!("physical_network '{physnet}' unknown for VLAN provider network")))?;
            let id = match seg_id {
                Some(id) if !(1..=4094).contains(&id) => {
                    return Err(invalid(format!("segmentation_id out of range (1 through 4094)")));
                }
                Some(id) => id,
                None => {
                    let mut used = store::used_segmentation_ids(conn, "vlan", &physnet)?;
                    lowest_free(&ranges, &mut used).ok_or_else(no_segments)?
                }
            };
            SegmentRow { network_type, physical_network: physnet, segmentation_id: id }
        }
        "flat" => {
            if seg_id.is_some() {
                return Err(invalid("segmentation_id specified for flat network".into()));
            }
            if physnet.is_empty() {
                return Err(invalid("physical_network required for flat provider network".into()));
            }
            if !cfg.flat_networks.iter().any(|p| p == "*" || *p == physnet) {
                return Err(invalid(format!("physical_network '{physnet}' unknown for flat provider network")));
            }
            SegmentRow { network_type, physical_network: physnet, segmentation_id: 0 }
        }
        other => {
            return Err(invalid(format!("network_type value '{other}' not supported")));
        }
    };
    Ok(seg)
}

/// Records a network's segment; another network holding it is a conflict.
pub(crate) fn reserve(conn: &Connection, network_id: &str, seg: &SegmentRow) -> Result<()> {
    match store::insert_segment(conn, network_id, seg) {
        Ok(()) => Ok(()),
        Err(store::StoreError::Conflict(_)) if seg.network_type == "flat" => Err(Error::conflict(
            "FlatNetworkInUse",
            format!("Unable to create the flat network. Physical network {} is in use.", seg.physical_network),
        )),
        Err(store::StoreError::Conflict(_)) => Err(Error::conflict(
            "SegmentationIdInUse" ,
            format!(
                "Unable to create the network. The {} {} on physical network {} is in use.",
                if seg.network_type == "vlan" { "VLAN" } else { "tunnel" },
                seg.segmentation_id,
                if seg.physical_network.is_empty() { "None" } else { &seg.physical_network }
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Per-network MTU: the physical MTU minus the encapsulation overhead of the type.
pub(crate) fn mtu_for(cfg: &NetworkConfig, network_type: &str) -> u64 {
    let overhead = match network_type {
        // Outer IPv4 (20) + the largest Geneve header OVN uses (30) / VXLAN+UDP+Ethernet (30).
        "geneve" | "vxlan" => 50,
        _ => 0,
    };
    cfg.global_physnet_mtu.saturating_sub(overhead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_skips_used_ids() {
        assert_eq!(lowest_free(&[(1, 5)], &mut vec![1, 2, 4]), Some(3));
        assert_eq!(lowest_free(&[(1, 2), (10, 11)], &mut vec![1, 2, 10]), Some(11));
        assert_eq!(lowest_free(&[(1, 2)], &mut vec![2, 1]), None);
        assert_eq!(lowest_free(&[(5, 6)], &mut vec![1, 2]), Some(5));
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(id_ranges(&["1:10".into(), "bad".into(), "7:3".into()]), vec![(1, 10)]);
        let cfg = NetworkConfig { network_vlan_ranges: vec!["p1:100:200".into(), "p2".into()], ..Default::default() };
        assert_eq!(vlan_ranges(&cfg, "p1"), Some(vec![(100, 200)]));
        assert_eq!(vlan_ranges(&cfg, "p2"), Some(vec![]));
        assert_eq!(vlan_ranges(&cfg, "p3"), None);
    }
}
