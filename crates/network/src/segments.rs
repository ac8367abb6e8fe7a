//! Network segments: provider attributes given by an admin, or a tenant segment allocated from
//! the configured ranges. The store's unique index on (type, physnet, id) is the final arbiter.

use std::ops::RangeInclusive;

use neutrino_ipam as ipam;
use neutrino_store::Tx;
use neutrino_store::{self as store, SegmentRow};

use crate::error::Failure;
use crate::{Error, NetworkConfig, Result};

/// Provider attributes as requested.
#[derive(Default)]
pub(crate) struct ProviderRequest {
    pub network_type: Option<String>,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
}

/// A segment the type rules complete on reservation (upstream's `is_partial_segment`): a
/// tunnel or VLAN segment without a segmentation id (or a VLAN one without a physical network).
pub(crate) fn is_partial(req: &ProviderRequest) -> bool {
    match req.network_type.as_deref() {
        Some("geneve" | "vxlan") => req.segmentation_id.is_none(),
        Some("vlan") => req.segmentation_id.is_none() || req.physical_network.is_none(),
        _ => false,
    }
}

/// Tunnel id ranges from the config ("min:max" entries).
fn tunnel_ranges(entries: &[String]) -> Result<Vec<RangeInclusive<u32>>> {
    Ok(ipam::parse_id_ranges(&entries.join(","))?)
}

/// VLAN ranges of one physical network ("physnet:min:max" or "physnet" entries); `None` if
/// the physical network is not configured for VLANs.
fn vlan_ranges(cfg: &NetworkConfig, physnet: &str) -> Result<Option<Vec<RangeInclusive<u32>>>> {
    let entries = ipam::parse_vlan_ranges(&cfg.network_vlan_ranges.join(","))?;
    let mine: Vec<_> = entries
        .into_iter()
        .filter(|r| r.physical_network == physnet)
        .collect();
    if mine.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        mine.into_iter()
            .filter_map(|r| r.ids)
            .map(|r| u32::from(*r.start())..=u32::from(*r.end()))
            .collect(),
    ))
}

/// A range of segmentation ids on a physical network ('' for tunnels).
pub(crate) type IdRange = (String, RangeInclusive<u32>);

/// The ranges of the config for a network type: upstream's `default` network segment ranges.
pub(crate) fn default_ranges(cfg: &NetworkConfig, network_type: &str) -> Result<Vec<IdRange>> {
    let tunnels = |entries: &[String]| -> Result<Vec<IdRange>> {
        Ok(tunnel_ranges(entries)?
            .into_iter()
            .map(|r| (String::new(), r))
            .collect())
    };
    match network_type {
        "geneve" => tunnels(&cfg.geneve_vni_ranges),
        "vxlan" => tunnels(&cfg.vxlan_vni_ranges),
        "vlan" => Ok(ipam::parse_vlan_ranges(&cfg.network_vlan_ranges.join(","))?
            .into_iter()
            .filter_map(|r| {
                let ids = r.ids?;
                Some((
                    r.physical_network,
                    u32::from(*ids.start())..=u32::from(*ids.end()),
                ))
            })
            .collect()),
        _ => Ok(Vec::new()),
    }
}

/// `ranges` less every id of `holes`.
fn subtract(
    ranges: Vec<RangeInclusive<u32>>,
    holes: &[RangeInclusive<u32>],
) -> Vec<RangeInclusive<u32>> {
    let mut out = ranges;
    for hole in holes {
        out = out
            .into_iter()
            .flat_map(|r| {
                let below = (*r.start() < *hole.start())
                    .then(|| *r.start()..=(*r.end()).min(hole.start() - 1));
                let above =
                    (*r.end() > *hole.end()).then(|| (*r.start()).max(hole.end() + 1)..=*r.end());
                [below, above].into_iter().flatten()
            })
            .filter(|r| !r.is_empty())
            .collect();
    }
    out
}

/// Where a new segment of `network_type` (on `physnet`, if given) for `project` takes its id,
/// in order (upstream's allocation with network segment ranges): the project's own ranges,
/// then the shared ones (the config's and the shared stored ones) less the ranges of other
/// projects.
fn allocation_tiers(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    network_type: &str,
    physnet: Option<&str>,
    project: Option<&str>,
) -> Result<[Vec<IdRange>; 2]> {
    let on_physnet = |p: &str| physnet.is_none_or(|want| want == p);
    let to_ids = |r: &store::RangeRow| {
        let min = u32::try_from(r.minimum).unwrap_or(u32::MAX);
        let max = u32::try_from(r.maximum).unwrap_or(u32::MAX);
        (r.physical_network.clone(), min..=max)
    };
    let stored: Vec<_> = store::segment_ranges(tx, Some(network_type))?
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| !r.default && on_physnet(&r.physical_network))
        .collect();
    let mut shared: Vec<IdRange> = default_ranges(cfg, network_type)?
        .into_iter()
        .filter(|(p, _)| on_physnet(p))
        .collect();
    if stored.is_empty() {
        return Ok([Vec::new(), shared]);
    }
    let own = stored
        .iter()
        .filter(|r| !r.project_id.is_empty() && Some(r.project_id.as_str()) == project)
        .map(to_ids)
        .collect();
    shared.extend(
        stored
            .iter()
            .filter(|r| r.project_id.is_empty())
            .map(to_ids),
    );
    let others: Vec<IdRange> = stored
        .iter()
        .filter(|r| !r.project_id.is_empty() && Some(r.project_id.as_str()) != project)
        .map(to_ids)
        .collect();
    let shared = shared
        .into_iter()
        .flat_map(|(p, r)| {
            let holes: Vec<_> = others
                .iter()
                .filter(|(q, _)| *q == p)
                .map(|(_, h)| h.clone())
                .collect();
            subtract(vec![r], &holes)
                .into_iter()
                .map(move |r| (p.clone(), r))
        })
        .collect();
    Ok([own, shared])
}

/// The lowest free id of the first range tier that has one, with its physical network.
fn allocate(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    network_type: &str,
    physnet: Option<&str>,
    project: Option<&str>,
) -> Result<Option<(String, i64)>> {
    for tier in allocation_tiers(tx, cfg, network_type, physnet, project)? {
        let mut physnets: Vec<&str> = Vec::new();
        for (p, _) in &tier {
            if !physnets.contains(&p.as_str()) {
                physnets.push(p);
            }
        }
        for p in physnets {
            let ranges = tier
                .iter()
                .filter(|(q, _)| q == p)
                .map(|(_, r)| r.clone())
                .collect();
            let used = store::used_segmentation_ids(tx, network_type, p)?;
            if let Some(id) = lowest_free(ranges, used) {
                return Ok(Some((p.to_string(), id)));
            }
        }
    }
    Ok(None)
}

/// Checks the segment ranges of the config, so a typo stops the start instead of a request.
pub fn check_config(cfg: &NetworkConfig) -> Result<()> {
    tunnel_ranges(&cfg.geneve_vni_ranges)?;
    tunnel_ranges(&cfg.vxlan_vni_ranges)?;
    ipam::parse_vlan_ranges(&cfg.network_vlan_ranges.join(","))?;
    physnet_mtus(cfg)?;
    if cfg.tenant_network_types.is_empty() {
        return Err(Error::invalid_input("tenant_network_types is empty"));
    }
    for t in &cfg.tenant_network_types {
        if !["geneve", "vxlan", "vlan", "flat"].contains(&t.as_str()) {
            return Err(Error::invalid_input(format!(
                "tenant_network_types: {t:?} is not geneve, vxlan, vlan or flat"
            )));
        }
    }
    Ok(())
}

/// `physical_network_mtus` as (physnet, MTU) pairs.
fn physnet_mtus(cfg: &NetworkConfig) -> Result<Vec<(&str, u64)>> {
    cfg.physical_network_mtus
        .iter()
        .map(|entry| {
            entry
                .rsplit_once(':')
                .and_then(|(physnet, mtu)| {
                    let mtu = mtu.trim().parse::<u64>().ok().filter(|m| *m >= 68)?;
                    (!physnet.trim().is_empty()).then_some((physnet.trim(), mtu))
                })
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "physical_network_mtus: {entry:?} is not \"physnet:mtu\" with an MTU of at least 68"
                    ))
                })
        })
        .collect()
}

/// The lowest id of `ranges` that is not in use.
fn lowest_free(ranges: Vec<RangeInclusive<u32>>, used: Vec<i64>) -> Option<i64> {
    let used = used.into_iter().filter_map(|u| u32::try_from(u).ok());
    ipam::free_segmentation_ids(ranges, used)
        .first_free(1)
        .next()
        .map(|id| id as i64)
}

fn no_segments() -> Error {
    Error::new(
        Failure::Exhausted,
        "NoNetworkAvailable",
        "Unable to create the network. No tenant network is available for allocation.",
    )
}

/// Chooses the segment of a new network; [`reserve`] records it once the network row exists.
/// A network without a provider type takes the first of `tenant_network_types` that has a free
/// segment (upstream's order of tenant types).
pub(crate) fn choose(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    req: &ProviderRequest,
    project: Option<&str>,
) -> Result<SegmentRow> {
    if let Some(network_type) = &req.network_type {
        return choose_of_type(tx, cfg, req, network_type.clone(), project, false);
    }
    let mut exhausted = no_segments();
    for network_type in &cfg.tenant_network_types {
        match choose_of_type(tx, cfg, req, network_type.clone(), project, true) {
            Err(e) if matches!(e.failure, Failure::Exhausted) => exhausted = e,
            chosen => return chosen,
        }
    }
    Err(exhausted)
}

/// The segment of `network_type` for a new network; `tenant`: the type was not requested.
fn choose_of_type(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    req: &ProviderRequest,
    network_type: String,
    project: Option<&str>,
    tenant: bool,
) -> Result<SegmentRow> {
    let physnet = req.physical_network.clone().unwrap_or_default();
    let seg_id = req.segmentation_id;
    let invalid = |msg: String| Error::invalid_input(msg);
    let seg = match network_type.as_str() {
        "geneve" | "vxlan" => {
            if !physnet.is_empty() {
                return Err(invalid(format!(
                    "provider:physical_network specified for {network_type} network"
                )));
            }
            let id = match seg_id {
                Some(id) if !(1..=16_777_215).contains(&id) => {
                    return Err(invalid(format!(
                        "{network_type} network segmentation_id {id} is out of range 1 to 16777215"
                    )));
                }
                Some(id) => id,
                None => {
                    allocate(tx, cfg, &network_type, None, project)?
                        .ok_or_else(no_segments)?
                        .1
                }
            };
            SegmentRow {
                network_type,
                physical_network: String::new(),
                segmentation_id: id,
            }
        }
        "vlan" => {
            if physnet.is_empty() && !tenant {
                return Err(invalid("provider:physical_network required".into()));
            }
            if !physnet.is_empty() && vlan_ranges(cfg, &physnet)?.is_none() {
                return Err(invalid(format!(
                    "physical_network '{physnet}' unknown for VLAN provider network"
                )));
            }
            let (physnet, id) = match seg_id {
                Some(id) if !(1..=4094).contains(&id) => {
                    return Err(invalid(
                        "segmentation_id out of range (1 through 4094)".into(),
                    ));
                }
                Some(id) => (physnet, id),
                None => {
                    let on = (!physnet.is_empty()).then_some(physnet.as_str());
                    allocate(tx, cfg, "vlan", on, project)?.ok_or_else(no_segments)?
                }
            };
            SegmentRow {
                network_type,
                physical_network: physnet,
                segmentation_id: id,
            }
        }
        "flat" => {
            if seg_id.is_some() {
                return Err(invalid("segmentation_id specified for flat network".into()));
            }
            if physnet.is_empty() {
                return Err(invalid(
                    "physical_network required for flat provider network".into(),
                ));
            }
            if !cfg.flat_networks.iter().any(|p| p == "*" || *p == physnet) {
                return Err(invalid(format!(
                    "physical_network '{physnet}' unknown for flat provider network"
                )));
            }
            SegmentRow {
                network_type,
                physical_network: physnet,
                segmentation_id: 0,
            }
        }
        other => {
            return Err(invalid(format!(
                "network_type value '{other}' not supported"
            )));
        }
    };
    Ok(seg)
}

/// The error of a segment another network holds.
pub(crate) fn taken(seg: &SegmentRow) -> Error {
    if seg.network_type == "flat" {
        return Error::in_use(
            "FlatNetworkInUse",
            format!(
                "Unable to create the flat network. Physical network {} is in use.",
                seg.physical_network
            ),
        );
    }
    Error::in_use(
        "SegmentationIdInUse",
        format!(
            "Unable to create the network. The {} {} on physical network {} is in use.",
            if seg.network_type == "vlan" {
                "VLAN"
            } else {
                "tunnel"
            },
            seg.segmentation_id,
            if seg.physical_network.is_empty() {
                "None"
            } else {
                &seg.physical_network
            }
        ),
    )
}

/// Per-network MTU: the physical MTU minus the encapsulation overhead of the type; flat and VLAN
/// networks take their physnet's own MTU when `physical_network_mtus` names it.
pub(crate) fn mtu_for(cfg: &NetworkConfig, network_type: &str, physnet: &str) -> u64 {
    match network_type {
        // Outer IPv4 (20) + the largest Geneve header OVN uses (30) / VXLAN+UDP+Ethernet (30).
        "geneve" | "vxlan" => cfg.global_physnet_mtu.saturating_sub(50),
        _ => physnet_mtus(cfg)
            .ok()
            .and_then(|mtus| mtus.into_iter().find(|(p, _)| *p == physnet))
            .map_or(cfg.global_physnet_mtu, |(_, mtu)| mtu),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_skips_used_ids() {
        assert_eq!(lowest_free(vec![1..=5], vec![1, 2, 4]), Some(3));
        assert_eq!(lowest_free(vec![1..=2, 10..=11], vec![1, 2, 10]), Some(11));
        assert_eq!(lowest_free(vec![1..=2], vec![2, 1]), None);
        assert_eq!(lowest_free(vec![5..=6], vec![1, 2]), Some(5));
    }

    #[test]
    fn vlan_ranges_per_physnet() {
        let cfg = NetworkConfig {
            network_vlan_ranges: vec!["p1:100:200".into(), "p2".into()],
            ..Default::default()
        };
        assert_eq!(vlan_ranges(&cfg, "p1").unwrap(), Some(vec![100..=200]));
        assert_eq!(vlan_ranges(&cfg, "p2").unwrap(), Some(vec![]));
        assert_eq!(vlan_ranges(&cfg, "p3").unwrap(), None);
        let bad = NetworkConfig {
            geneve_vni_ranges: vec!["9:1".into()],
            ..Default::default()
        };
        assert!(check_config(&bad).is_err());
    }

    #[test]
    fn flat_and_vlan_networks_take_their_physnets_mtu() {
        let cfg = NetworkConfig {
            global_physnet_mtu: 1500,
            physical_network_mtus: vec!["physnet1:9000".into(), "edge:1400".into()],
            ..Default::default()
        };
        check_config(&cfg).unwrap();
        assert_eq!(mtu_for(&cfg, "vlan", "physnet1"), 9000);
        assert_eq!(mtu_for(&cfg, "flat", "edge"), 1400);
        assert_eq!(mtu_for(&cfg, "flat", "other"), 1500);
        assert_eq!(
            mtu_for(&cfg, "geneve", ""),
            1450,
            "tunnels ride the global MTU"
        );
        for bad in ["physnet1", "physnet1:big", ":9000", "physnet1:10"] {
            let cfg = NetworkConfig {
                physical_network_mtus: vec![bad.into()],
                ..Default::default()
            };
            let e = check_config(&cfg).expect_err(bad);
            assert!(
                e.message.contains("physical_network_mtus"),
                "{bad}: {}",
                e.message
            );
        }
    }
}
