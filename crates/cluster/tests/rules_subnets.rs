//! Subnet, LCM and API VIP rules (SN-*, NB-1, MCN-2…MCN-8, MCN-19, NB-4, NB-5): one failing design each.
//! Each fixture is the clean base design with one small change and must trigger exactly its rule id.

mod common;

use common::*;

#[test]
fn sn_1_cidr_not_ipv4() {
    expect_only(
        "SN-1",
        &with_docs(
            BASE,
            &[subnet(
                "spare",
                "ipam/SVC-k8s-pods",
                "  cidr: 10.21.0.1/24\n",
            )],
        ),
    );
}

#[test]
fn nb_1_ipv6_infrastructure_subnet() {
    expect_only(
        "NB-1",
        &with_docs(
            BASE,
            &[subnet(
                "spare",
                "ipam/SVC-k8s-pods",
                "  cidr: fd00:1::/64\n",
            )],
        ),
    );
}

#[test]
fn sn_2_include_and_exclude() {
    expect_only(
        "SN-2",
        &patch(
            BASE,
            &[(
                "    - 10.50.0.10-10.50.0.100\n",
                "    - 10.50.0.10-10.50.0.100\n  excludeRanges:\n    - 10.50.0.5\n",
            )],
        ),
    );
}

#[test]
fn sn_3_range_outside_cidr() {
    expect_only(
        "SN-3",
        &patch(
            BASE,
            &[(
                "    - 10.50.0.10-10.50.0.100\n",
                "    - 10.50.0.10-10.50.1.100\n",
            )],
        ),
    );
}

#[test]
fn sn_4_gateway_outside_cidr() {
    expect_only(
        "SN-4",
        &patch(
            BASE,
            &[("  gateway: 10.60.0.1\n", "  gateway: 10.61.0.1\n")],
        ),
    );
}

#[test]
fn sn_5_subnet_exhausted() {
    expect_only(
        "SN-5",
        &patch(
            BASE,
            &[(
                "    - 10.50.0.10-10.50.0.100\n",
                "    - 10.50.0.10-10.50.0.13\n",
            )],
        ),
    );
}

#[test]
fn sn_6_metallb_subnet_in_l3layout() {
    let lb = subnet(
        "lb",
        "ipam/SVC-MetalLB",
        "  cidr: 10.50.0.0/24\n  includeRanges:\n    - 10.50.0.200-10.50.0.220\n",
    );
    let text = patch(
        BASE,
        &[(
            "    - {subnetName: ext, scope: namespace}\n  npTemplate: |\n    version: 2\n    ethernets:\n      {{nic 0}}:\n",
            "    - {subnetName: ext, scope: namespace}\n    - {subnetName: lb, scope: namespace}\n  npTemplate: |\n    version: 2\n    ethernets:\n      {{nic 0}}:\n",
        )],
    );
    expect_only("SN-6", &with_docs(&text, &[lb]));
}

#[test]
fn sn_7_metallb_ranges_intersect() {
    expect_only(
        "SN-7",
        &patch(
            BASE,
            &[(
                "          - 10.50.0.200-10.50.0.220\n",
                "          - 10.50.0.200-10.50.0.220\n          - 10.50.0.210-10.50.0.230\n",
            )],
        ),
    );
}

#[test]
fn sn_8_host_without_lcm_address() {
    expect_only(
        "SN-8",
        &patch(
            BASE,
            &[(
                "        interfaces: [s-lcm]\n        addresses: [{{ip \"k8s-lcm:lcm\"}}]\n",
                "        interfaces: [s-lcm]\n",
            )],
        ),
    );
}

#[test]
fn mcn_2_no_lcm_label() {
    expect_only(
        "MCN-2",
        &patch(BASE, &[("    ipam/SVC-k8s-lcm: \"1\"\n", "")]),
    );
}

#[test]
fn mcn_3_two_lcm_addresses() {
    expect_only(
        "MCN-3",
        &patch(
            BASE,
            &[(
                "        interfaces: [s-lcm]\n        addresses: [{{ip \"k8s-lcm:lcm\"}}]\n",
                "        interfaces: [s-lcm]\n        addresses: [{{ip \"k8s-lcm:lcm\"}}, {{ip \"lcm-alias:lcm\"}}]\n",
            )],
        ),
    );
}

#[test]
fn mcn_4_lcm_segments_not_routed() {
    let text = patch(
        BASE,
        &[
            (
                "      n-lcm: {id: 1100, link: bond0}\n",
                "      n-lcm: {id: 1101, link: bond0}\n",
            ),
            (
                "        interfaces: [n-lcm]\n        addresses: [{{ip \"k8s-lcm:lcm\"}}]\n        routes:\n          - {to: 10.8.0.0/13, via: {{gateway_from_subnet \"lcm\"}}}\n",
                "        interfaces: [n-lcm]\n        addresses: [{{ip \"k8s-lcm:lcm-b\"}}]\n",
            ),
            (
                "    - {subnetName: tenant, scope: namespace}\n",
                "    - {subnetName: tenant, scope: namespace}\n    - {subnetName: lcm-b, scope: namespace}\n",
            ),
        ],
    );
    expect_only("MCN-4", &with_docs(&text, &[lcm_b()]));
}

#[test]
fn mcn_5_lcm_subnet_without_router() {
    expect_only(
        "MCN-5",
        &with_docs(
            BASE,
            &[subnet(
                "lcm-spare",
                "ipam/SVC-k8s-lcm",
                "  cidr: 10.12.0.0/24\n",
            )],
        ),
    );
}

#[test]
fn mcn_6_no_api_vip() {
    expect_only(
        "MCN-6",
        &patch(
            BASE,
            &[(
                "      loadBalancerHost: 10.10.0.10\n",
                "      useBGPAnnouncement: false\n",
            )],
        ),
    );
}

#[test]
fn mcn_6_vip_outside_lcm() {
    expect_only(
        "MCN-6",
        &patch(
            BASE,
            &[(
                "      loadBalancerHost: 10.10.0.10\n",
                "      loadBalancerHost: 10.50.0.150\n",
            )],
        ),
    );
}

#[test]
fn mcn_7_vip_in_two_lcm_networks() {
    expect_only(
        "MCN-7",
        &with_docs(
            BASE,
            &[subnet(
                "lcm-overlap",
                "ipam/SVC-k8s-lcm",
                "  cidr: 10.10.0.0/25\n  gateway: 10.10.0.126\n",
            )],
        ),
    );
}

#[test]
fn mcn_8_manager_off_the_api_lcm_segment() {
    expect_only("MCN-8", &manager_on_other_segment(BASE));
}

#[test]
fn nb_4_bgp_announcement_relaxes_mcn_8() {
    let text = patch(
        BASE,
        &[(
            "      loadBalancerHost: 10.10.0.10\n",
            "      loadBalancerHost: 10.10.0.10\n      useBGPAnnouncement: true\n",
        )],
    );
    let rules = rules_of(&manager_on_other_segment(&text));
    assert!(
        !rules.contains("MCN-8") && !rules.contains("MCN-7"),
        "{rules:?}"
    );
}

#[test]
fn nb_5_compact_control_plane_relaxes_mcn_8() {
    let text = BASE.replace(
        "      roles: [manager]\n",
        "      roles: [manager, controller]\n",
    );
    let rules = rules_of(&manager_on_other_segment(&text));
    assert!(!rules.contains("MCN-8"), "{rules:?}");
}

#[test]
fn mcn_19_pxe_subnet_with_gateway() {
    expect_only(
        "MCN-19",
        &patch(
            BASE,
            &[(
                "  cidr: 10.0.0.0/24\n",
                "  cidr: 10.0.0.0/24\n  gateway: 10.0.0.1\n",
            )],
        ),
    );
}

#[test]
fn api_vip_from_an_lbhost_subnet_is_protected_and_usable_in_templates() {
    let lb_host = subnet(
        "api-vip",
        "ipam/SVC-LBhost",
        "  cidr: 10.10.0.0/24\n  includeRanges:\n    - 10.10.0.20\n",
    );
    let text = patch(
        BASE,
        &[
            (
                "      loadBalancerHost: 10.10.0.10\n",
                "      useBGPAnnouncement: false\n",
            ),
            (
                "          - {to: 10.8.0.0/13, via: {{gateway_from_subnet \"lcm\"}}}\n      k8s-pods:\n        interfaces: [m-pods]",
                "          - {to: 10.8.0.0/13, via: {{gateway_from_subnet \"lcm\"}}}\n          - {to: \"{{cluster_api_lb_ip}}/32\", via: {{gateway_from_subnet \"lcm\"}}}\n      k8s-pods:\n        interfaces: [m-pods]",
            ),
        ],
    );
    let text = with_docs(&text, &[lb_host]);
    let sources = vec![neutrino_cluster::source::SourceFile {
        name: "vip.yaml".into(),
        text,
    }];
    let (input, loaded) = neutrino_cluster::model::load(&sources).expect("valid yaml");
    let mut findings = neutrino_cluster::finding::Findings::default();
    findings.extend(loaded);
    let design = neutrino_cluster::check::analyze(&input, &Default::default(), &mut findings);
    assert!(findings.sorted().is_empty(), "{:#?}", findings.sorted());
    let vip = design.vip.as_ref().expect("a VIP").address;
    assert_eq!(vip.to_string(), "10.10.0.20");
    // The LCM Subnet's first address is the VIP, so no host may get it.
    assert!(
        design.addresses.values().all(|a| *a != vip),
        "VIP handed to a host"
    );
    let mgr = design
        .hosts
        .iter()
        .find(|h| h.host.name == "mgr-1")
        .and_then(|h| h.rendered.as_ref())
        .expect("mgr-1 rendered");
    assert!(mgr.text.contains("to: \"10.10.0.20/32\""), "{}", mgr.text);
    // The state remembers the VIP, so it survives a later change of the range.
    let state = neutrino_cluster::render::output::state(&design);
    assert_eq!(state.api_vip, Some(vip));
}
