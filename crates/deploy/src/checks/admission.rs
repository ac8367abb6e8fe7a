//! The admission webhook's rules (NA-*): what the reference controller rejects before anything is
//! deployed. Like the webhook, Tungsten Fabric is recognised by the preset (BE-2 reports when the
//! preset and the back end disagree).

use neutrino_cluster::finding::Finding;

use neutrino_cluster::model::fields::Located;

use super::error;
use crate::spec::{Backend, Deployment, NEUTRON, NetworkType, OpenStackVersion};

pub fn run(d: &Deployment, out: &mut Vec<Finding>) {
    let n = &d.neutron;
    let tf = d.tf_preset();
    let ovn = d.ovn();
    let v = d.version();
    let before = |name: &str| v.is_some_and(|v| v < OpenStackVersion::named(name));
    let version_text = v.map_or("?", |v| v.name());

    if let Some(f) = d.floating()
        && !tf
        && f.physnet.is_none()
    {
        out.push(
            error(
                d,
                "NA-1",
                &f.loc,
                format!("{NEUTRON}.floating_network.physnet"),
                "floating_network is enabled without a physnet".into(),
            )
            .hint("name the external_networks[].physnet the floating network sits on"),
        );
    }
    let bgpvpn_on = n
        .bgpvpn
        .as_ref()
        .filter(|b| b.enabled.as_ref().is_some_and(|e| e.value));
    if let Some(b) = bgpvpn_on {
        let reflector = b.route_reflector.as_ref().is_some_and(|r| r.value);
        if !tf && !reflector && b.peers.is_empty() {
            out.push(
                error(
                    d,
                    "NA-2",
                    &b.loc,
                    format!("{NEUTRON}.bgpvpn.peers"),
                    "bgpvpn is enabled with neither peers nor a route reflector".into(),
                )
                .hint("list bgpvpn.peers or set bgpvpn.route_reflector.enabled: true"),
            );
        }
        if tf {
            out.push(
                error(
                    d,
                    "NA-4",
                    &b.loc,
                    format!("{NEUTRON}.bgpvpn"),
                    "bgpvpn is not available with Tungsten Fabric".into(),
                )
                .hint("remove bgpvpn or use the ml2/ovn back end"),
            );
        }
        if ovn {
            out.push(
                error(
                    d,
                    "NA-8",
                    &b.loc,
                    format!("{NEUTRON}.bgpvpn"),
                    "bgpvpn is not available with OVN".into(),
                )
                .hint("remove bgpvpn, or use backend ml2"),
            );
        }
    }
    if let Some(i) = on(&n.ipsec) {
        if tf {
            out.push(
                error(
                    d,
                    "NA-3",
                    &i.loc,
                    format!("{NEUTRON}.ipsec"),
                    "ipsec is not available with Tungsten Fabric".into(),
                )
                .hint("remove ipsec"),
            );
        }
        if ovn {
            out.push(
                error(
                    d,
                    "NA-8",
                    &i.loc,
                    format!("{NEUTRON}.ipsec"),
                    "ipsec (strongSwan between nodes) is not available with OVN".into(),
                )
                .hint("remove ipsec, or use backend ml2"),
            );
        }
    }
    if tf && let Some(f) = d.floating() {
        let given = [
            f.network_type.is_some(),
            f.physnet.is_some(),
            f.segmentation_id.is_some(),
        ];
        if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
            out.push(
                error(d, "NA-5", &f.loc, format!("{NEUTRON}.floating_network"),
                    "with Tungsten Fabric, network_type, physnet and segmentation_id are given all together or not at all".into())
                .hint("give all three, or none"),
            );
        }
    }
    if ovn && let Some(b) = &n.backend {
        if before("yoga") {
            out.push(
                error(
                    d,
                    "NA-6",
                    &b.loc,
                    format!("{NEUTRON}.backend"),
                    format!("the OVN back end needs OpenStack yoga or later, not {version_text}"),
                )
                .hint("upgrade openstack_version, or use backend ml2"),
            );
        }
        if tf {
            out.push(
                error(
                    d,
                    "NA-7",
                    &b.loc,
                    format!("{NEUTRON}.backend"),
                    "backend ml2/ovn with the Tungsten Fabric preset (compute-tf)".into(),
                )
                .hint("use preset compute with ml2/ovn"),
            );
        }
    }
    let ext = &n.extensions;
    if let Some(x) = on(&ext.vpnaas) {
        if ovn && before("caracal") {
            out.push(
                error(
                    d,
                    "NA-9",
                    &x.loc,
                    format!("{NEUTRON}.extensions.vpnaas.enabled"),
                    format!("VPNaaS on OVN needs OpenStack caracal or later, not {version_text}"),
                )
                .hint("upgrade openstack_version, or disable vpnaas"),
            );
        }
        if before("yoga") || tf {
            out.push(
                error(d, "NA-10", &x.loc, format!("{NEUTRON}.extensions.vpnaas.enabled"),
                    "VPNaaS needs OpenStack yoga or later and is not available with Tungsten Fabric".into())
                .hint("disable vpnaas"),
            );
        }
    }
    if let Some(x) = on(&ext.dynamic_routing)
        && (before("yoga") || tf)
    {
        out.push(
            error(d, "NA-11", &x.loc, format!("{NEUTRON}.extensions.dynamic_routing.enabled"),
                "dynamic routing needs OpenStack yoga or later and is not available with Tungsten Fabric".into())
            .hint("disable dynamic_routing"),
        );
    }
    if let Some(x) = on(&ext.portprober)
        && (before("antelope") || tf)
    {
        out.push(
            error(d, "NA-12", &x.loc, format!("{NEUTRON}.extensions.portprober.enabled"),
                "portprober needs OpenStack antelope or later and is not available with Tungsten Fabric".into())
            .hint("disable portprober"),
        );
    }
    if d.backend() != Backend::Ml2Ovn {
        for (i, t) in n.tenant_network_types.iter().flatten().enumerate() {
            if t.value == NetworkType::Geneve {
                out.push(
                    error(
                        d,
                        "NA-13",
                        &t.loc,
                        format!("{NEUTRON}.tenant_network_types[{i}]"),
                        format!(
                            "geneve tenant networks need the OVN back end, not {}",
                            d.backend().name()
                        ),
                    )
                    .hint("set backend: ml2/ovn, or use vxlan"),
                );
            }
        }
    }
    if let (Some((loc, _)), Some(_)) = (&n.ngs_hardware, &n.ngs_devices) {
        out.push(
            error(
                d,
                "NA-14",
                loc,
                format!("{NEUTRON}.baremetal.ngs"),
                "baremetal.ngs has both hardware and the deprecated devices".into(),
            )
            .hint("move every entry of devices into hardware"),
        );
    }
    for dev in n.ngs_hardware.iter().flat_map(|(_, devs)| devs) {
        if !dev.has_device_type || !dev.has_ip {
            out.push(
                error(
                    d,
                    "NA-14",
                    &dev.loc,
                    format!("{NEUTRON}.baremetal.ngs.hardware.{}", dev.name),
                    format!("switch `{}` needs both device_type and ip", dev.name),
                )
                .hint("add device_type and ip"),
            );
        }
    }
    if tf && let Some(s) = d.services.iter().find(|s| s.value == "baremetal") {
        out.push(
            error(
                d,
                "NA-15",
                &s.loc,
                "spec.features.services".into(),
                "the baremetal service is not available with the Tungsten Fabric preset".into(),
            )
            .hint("remove baremetal from features.services, or use preset compute"),
        );
    }
}

/// A `{enabled: true}` flag, with its place.
fn on(flag: &Option<Located<bool>>) -> Option<&Located<bool>> {
    flag.as_ref().filter(|f| f.value)
}
