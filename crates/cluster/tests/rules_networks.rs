//! Network layout rules (MCN-1, MCN-9…MCN-18, NB-3, NB-6…NB-10): one failing design each.
//! Each fixture is the clean base design with one small change and must trigger exactly its rule id.

mod common;

use common::*;
use neutrino_cluster::finding::Severity;
use neutrino_cluster::ipam::state::AllocationState;

#[test]
fn mcn_1_pxe_on_operational_node() {
    expect_only(
        "MCN-1",
        &patch(
            BASE,
            &[
                (
                    "    - {subnetName: ceph-repl, scope: namespace}\n",
                    "    - {subnetName: ceph-repl, scope: namespace}\n    - {subnetName: pxe, scope: namespace}\n",
                ),
                (
                    "      s-ext: {id: 1400, link: bond0}\n",
                    "      s-ext: {id: 1400, link: bond0}\n      s-pxe: {id: 1000, link: bond0, addresses: [{{ip \"s-pxe:pxe\"}}]}\n",
                ),
            ],
        ),
    );
}

#[test]
fn mcn_9_pod_segments_not_routed() {
    let text = patch(
        BASE,
        &[
            (
                "      n-pods: {id: 1200, link: bond0}\n",
                "      n-pods: {id: 1201, link: bond0}\n",
            ),
            (
                "{{ip \"k8s-pods:pods\"}}]}\n      k8s-ext:\n        interfaces: [n-ext]",
                "{{ip \"k8s-pods:pods-b\"}}]}\n      k8s-ext:\n        interfaces: [n-ext]",
            ),
            (
                "    - {subnetName: tenant, scope: namespace}\n",
                "    - {subnetName: tenant, scope: namespace}\n    - {subnetName: pods-b, scope: namespace}\n",
            ),
        ],
    );
    expect_only(
        "MCN-9",
        &with_docs(
            &text,
            &[subnet(
                "pods-b",
                "ipam/SVC-k8s-pods",
                "  cidr: 10.21.0.0/24\n  gateway: 10.21.0.1\n",
            )],
        ),
    );
}

#[test]
fn mcn_10_pods_subnet_shared_between_clusters() {
    let other = template_copy(
        "mgr",
        "other-cluster-mgr",
        &[(
            "cluster.sigs.k8s.io/cluster-name: c1",
            "cluster.sigs.k8s.io/cluster-name: c2",
        )],
    );
    expect_only("MCN-10", &with_docs(BASE, &[other]));
}

#[test]
fn mcn_11_metallb_range_overlaps_node_range() {
    expect_only(
        "MCN-11",
        &patch(
            BASE,
            &[(
                "          - 10.50.0.200-10.50.0.220\n",
                "          - 10.50.0.90-10.50.0.110\n",
            )],
        ),
    );
}

#[test]
fn mcn_11_metallb_range_outside_external_network() {
    expect_only(
        "MCN-11",
        &patch(
            BASE,
            &[(
                "          - 10.50.0.200-10.50.0.220\n",
                "          - 10.51.0.200-10.51.0.220\n",
            )],
        ),
    );
}

#[test]
fn mcn_12_controller_without_external_network() {
    let text = patch(
        BASE,
        &[(
            "      k8s-ext:\n        interfaces: [n-ext]\n        addresses: [{{ip \"k8s-ext:ext\"}}]\n        routes:\n          - {to: default, via: {{gateway_from_subnet \"ext\"}}}\n",
            "",
        )],
    );
    let findings = findings_of(&text, &AllocationState::new());
    expect_only("MCN-12", &text);
    let ctl = findings
        .iter()
        .find(|f| f.object == "host/ctl-1")
        .expect("controller finding");
    assert_eq!(ctl.severity, Severity::Error);
    let cmp = findings
        .iter()
        .find(|f| f.object == "host/cmp-1")
        .expect("compute finding");
    assert_eq!(cmp.severity, Severity::Warning);
}

#[test]
fn mcn_13_default_route_not_via_external_gateway() {
    expect_only(
        "MCN-13",
        &patch(
            BASE,
            &[(
                "        interfaces: [n-ext]\n        addresses: [{{ip \"k8s-ext:ext\"}}]\n        routes:\n          - {to: default, via: {{gateway_from_subnet \"ext\"}}}\n",
                "        interfaces: [n-ext]\n        addresses: [{{ip \"k8s-ext:ext\"}}]\n        routes:\n          - {to: default, via: 10.50.0.254}\n",
            )],
        ),
    );
}

#[test]
fn mcn_14_public_net_mismatch() {
    expect_only(
        "MCN-14",
        &patch(
            BASE,
            &[(
                "      publicNet: 10.40.0.0/24\n",
                "      publicNet: 10.40.9.0/24\n",
            )],
        ),
    );
}

#[test]
fn mcn_15_cluster_net_mismatch() {
    expect_only(
        "MCN-15",
        &patch(
            BASE,
            &[(
                "      clusterNet: 10.41.0.0/24\n",
                "      clusterNet: 10.41.0.0/24,10.41.1.0/24\n",
            )],
        ),
    );
}

#[test]
fn mcn_16_storage_shares_the_lcm_nics() {
    expect_only(
        "MCN-16",
        &patch(
            BASE,
            &[(
                "      s-cephpub: {id: 1300, link: bond1,",
                "      s-cephpub: {id: 1300, link: bond0,",
            )],
        ),
    );
}

#[test]
fn mcn_17_tenant_segments_not_routed() {
    let node_b = template_copy(
        "node",
        "node-b",
        &[
            (
                "    - {subnetName: tenant, scope: namespace}\n",
                "    - {subnetName: tenant-b, scope: namespace}\n",
            ),
            ("      n-tenant: {id: 1600,", "      n-tenant: {id: 1601,"),
            (
                "{{ip \"br-tenant:tenant\"}}",
                "{{ip \"br-tenant:tenant-b\"}}",
            ),
        ],
    );
    let text = use_template(BASE, "r2", "node", "node-b");
    expect_only(
        "MCN-17",
        &with_docs(
            &text,
            &[
                node_b,
                subnet(
                    "tenant-b",
                    "ipam/SVC-tenant",
                    "  cidr: 10.61.0.0/24\n  gateway: 10.61.0.1\n",
                ),
            ],
        ),
    );
}

#[test]
fn mcn_18_route_to_out_of_band_network() {
    expect_only(
        "MCN-18",
        &patch(
            BASE,
            &[(
                "          - {to: 10.8.0.0/13, via: {{gateway_from_subnet \"lcm\"}}}\n      k8s-pods:\n        interfaces: [m-pods]",
                "          - {to: 10.8.0.0/13, via: {{gateway_from_subnet \"lcm\"}}}\n          - {to: 10.99.0.0/24, via: {{gateway_from_subnet \"lcm\"}}}\n      k8s-pods:\n        interfaces: [m-pods]",
            )],
        ),
    );
}

#[test]
fn mcn_18_bmc_inside_a_cluster_network() {
    expect_only(
        "MCN-18",
        &patch(
            BASE,
            &[("      bmc: 10.99.0.11\n", "      bmc: 10.10.0.200\n")],
        ),
    );
}

#[test]
fn nb_3_two_subnets_on_one_vlan_in_a_rack() {
    expect_only(
        "NB-3",
        &patch(
            BASE,
            &[("      n-tenant: {id: 1600,", "      n-tenant: {id: 1400,")],
        ),
    );
}

#[test]
fn nb_6_compute_without_tenant_network() {
    expect_only(
        "NB-6",
        &patch(
            BASE,
            &[(
                "      br-tenant: {interfaces: [n-tenant], mtu: 9000, addresses: [{{ip \"br-tenant:tenant\"}}]}\n",
                "",
            )],
        ),
    );
}

#[test]
fn nb_7_tunnel_interface_names_differ() {
    let node_b = template_copy(
        "node",
        "node-b",
        &[("      br-tenant: {", "      br-tun: {")],
    );
    let text = use_template(BASE, "r2", "node", "node-b");
    expect_only("NB-7", &with_docs(&text, &[node_b]));
}

#[test]
fn nb_8_vlan_mtu_above_its_bond() {
    expect_only(
        "NB-8",
        &patch(
            BASE,
            &[(
                "      n-tenant: {id: 1600, link: bond0, mtu: 9000}",
                "      n-tenant: {id: 1600, link: bond0, mtu: 9100}",
            )],
        ),
    );
}

#[test]
fn nb_8_tenant_underlay_too_small_for_vxlan() {
    expect_only(
        "NB-8",
        &patch(
            BASE,
            &[
                (
                    "      n-tenant: {id: 1600, link: bond0, mtu: 9000}",
                    "      n-tenant: {id: 1600, link: bond0, mtu: 1500}",
                ),
                (
                    "      br-tenant: {interfaces: [n-tenant], mtu: 9000,",
                    "      br-tenant: {interfaces: [n-tenant], mtu: 1500,",
                ),
            ],
        ),
    );
}

#[test]
fn nb_10_changed_netplan_needs_approval() {
    let (input, _) = neutrino_cluster::model::load(&[neutrino_cluster::source::SourceFile {
        name: "base.yaml".into(),
        text: BASE.into(),
    }])
    .expect("base loads");
    let mut findings = neutrino_cluster::finding::Findings::default();
    let design = neutrino_cluster::check::analyze(&input, &AllocationState::new(), &mut findings);
    let state = neutrino_cluster::render::output::state(&design);
    assert!(
        findings_of(BASE, &state).is_empty(),
        "unchanged design with its own state is clean"
    );
    let changed = patch(
        BASE,
        &[(
            "      n-pods: {id: 1200, link: bond0}\n",
            "      n-pods: {id: 1200, link: bond0, mtu: 9000}\n",
        )],
    );
    let after = findings_of(&changed, &state);
    let rules: std::collections::BTreeSet<&str> = after.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        std::collections::BTreeSet::from(["NB-10"]),
        "{after:#?}"
    );
    assert_eq!(
        after.len(),
        2,
        "ctl-1 and cmp-1 use the changed template: {after:#?}"
    );
}

#[test]
fn generated_multi_rack_design_is_clean_at_scale() {
    use neutrino_cluster::synth::{Shape, generate};
    let shape = Shape {
        racks: 5,
        compute_racks: 5,
        computes: 150,
    };
    let text: String = generate(shape).into_iter().map(|(_, t)| t + "\n").collect();
    let findings = findings_of(&text, &AllocationState::new());
    assert!(findings.is_empty(), "{findings:#?}");
}
