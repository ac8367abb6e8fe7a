//! One failing design per rule: each fixture is the clean base design with one small change, and must
//! trigger exactly its rule id (and nothing else).

mod common;

use common::{BASE, base_doc, findings_of, patch, rules_of};
use neutrino_cluster::finding::Severity;
use neutrino_cluster::ipam::state::AllocationState;

fn expect_only(rule: &str, text: &str) {
    let findings = findings_of(text, &AllocationState::new());
    let rules: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        std::collections::BTreeSet::from([rule]),
        "fixture for {rule} gave: {findings:#?}"
    );
    for f in &findings {
        assert!(f.loc.line > 0, "{rule}: finding without a line: {f:?}");
        assert!(!f.hint.is_empty(), "{rule}: finding without a hint: {f:?}");
    }
}

/// Appends extra YAML documents to the base design.
fn with_docs(text: &str, docs: &[String]) -> String {
    let mut out = text.to_string();
    for d in docs {
        out.push_str("\n---\n");
        out.push_str(d);
    }
    out
}

fn subnet(name: &str, label: &str, body: &str) -> String {
    format!(
        "apiVersion: ipam.mirantis.com/v1alpha1\nkind: Subnet\nmetadata:\n  name: {name}\n  namespace: ns1\n  labels:\n    cluster.sigs.k8s.io/cluster-name: c1\n    {label}: \"1\"\nspec:\n{body}"
    )
}

/// Moves the host in `rack` that uses template `from` to template `to`.
fn use_template(text: &str, rack: &str, from: &str, to: &str) -> String {
    patch(
        text,
        &[(
            &format!("      rack: {rack}\n      l2Template: {from}\n"),
            &format!("      rack: {rack}\n      l2Template: {to}\n"),
        )],
    )
}

/// A copy of a base template under a new name, with edits.
fn template_copy(base_name: &str, new_name: &str, edits: &[(&str, &str)]) -> String {
    let doc = base_doc(&format!(
        "  name: {base_name}\n  namespace: ns1\n  labels:\n    cluster.sigs.k8s.io/cluster-name: c1\nspec:"
    ));
    patch(
        &doc.replacen(
            &format!("name: {base_name}\n"),
            &format!("name: {new_name}\n"),
            1,
        ),
        edits,
    )
}

#[test]
fn base_design_is_clean() {
    let findings = findings_of(BASE, &AllocationState::new());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn in_1_unknown_kind() {
    expect_only(
        "IN-1",
        &with_docs(
            BASE,
            &["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n".into()],
        ),
    );
}

#[test]
fn in_2_unknown_field() {
    expect_only(
        "IN-2",
        &patch(
            BASE,
            &[(
                "  cidr: 10.60.0.0/24\n",
                "  cidr: 10.60.0.0/24\n  gatway: 10.60.0.1\n",
            )],
        ),
    );
}

#[test]
fn in_3_wrong_type() {
    expect_only(
        "IN-3",
        &patch(
            BASE,
            &[(
                "      rack: r2\n",
                "      rack: r2\n      bmc: [10.99.0.12]\n",
            )],
        ),
    );
}

#[test]
fn in_4_missing_required_field() {
    expect_only(
        "IN-4",
        &with_docs(
            BASE,
            &[subnet(
                "spare",
                "ipam/SVC-k8s-pods",
                "  gateway: 10.21.0.1\n",
            )],
        ),
    );
}

#[test]
fn in_5_duplicate_object() {
    let oob = base_doc("  name: oob\n");
    expect_only("IN-5", &with_docs(BASE, &[oob]));
}

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

fn lcm_b() -> String {
    subnet(
        "lcm-b",
        "ipam/SVC-k8s-lcm",
        "  cidr: 10.11.0.0/24\n  gateway: 10.11.0.1\n",
    )
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

fn manager_on_other_segment(base: &str) -> String {
    let mgr_b = template_copy(
        "mgr",
        "mgr-b",
        &[
            (
                "    - {subnetName: lcm, scope: namespace}\n",
                "    - {subnetName: lcm-b, scope: namespace}\n",
            ),
            (
                "      m-lcm: {id: 1100, link: bond0}\n",
                "      m-lcm: {id: 1101, link: bond0}\n",
            ),
            ("{{ip \"k8s-lcm:lcm\"}}", "{{ip \"k8s-lcm:lcm-b\"}}"),
            ("{{nameservers_from_subnet \"lcm\"}}", "[172.18.176.6]"),
            (
                "{{gateway_from_subnet \"lcm\"}}",
                "{{gateway_from_subnet \"lcm-b\"}}",
            ),
        ],
    );
    let text = use_template(base, "r3", "mgr", "mgr-b");
    with_docs(&text, &[lcm_b(), mgr_b])
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
fn l2t_1_if_mapping_and_auto_prio() {
    expect_only(
        "L2T-1",
        &patch(
            BASE,
            &[(
                "  autoIfMappingPrio: [eno, ens]\n",
                "  autoIfMappingPrio: [eno, ens]\n  ifMapping: [eno1, eno2]\n",
            )],
        ),
    );
}

#[test]
fn l2t_2_two_default_templates() {
    let text = BASE.replacen(
        "    cluster.sigs.k8s.io/cluster-name: c1\nspec:\n  autoIfMappingPrio",
        "    cluster.sigs.k8s.io/cluster-name: c1\n    ipam/DefaultForCluster: \"1\"\nspec:\n  autoIfMappingPrio",
        1,
    );
    let text = text.replacen(
        "    cluster.sigs.k8s.io/cluster-name: c1\nspec:\n  ifMapping",
        "    cluster.sigs.k8s.io/cluster-name: c1\n    ipam/DefaultForCluster: \"1\"\nspec:\n  ifMapping",
        1,
    );
    expect_only("L2T-2", &text);
}

#[test]
fn l2t_3_layout_subnet_not_found() {
    expect_only(
        "L2T-3",
        &patch(
            BASE,
            &[(
                "    - {subnetName: ceph-repl, scope: namespace}\n",
                "    - {subnetName: ceph-repl, scope: namespace}\n    - {subnetName: nope, scope: namespace}\n",
            )],
        ),
    );
}

#[test]
fn l2t_3_label_selector_mismatch() {
    expect_only(
        "L2T-3",
        &patch(
            BASE,
            &[(
                "    - {subnetName: ceph-repl, scope: namespace}\n",
                "    - {subnetName: ceph-repl, scope: namespace, labelSelector: {ipam/SVC-ceph-cluster: \"2\"}}\n",
            )],
        ),
    );
}

#[test]
fn l2t_4_unknown_macro() {
    expect_only(
        "L2T-4",
        &patch(
            BASE,
            &[(
                "        set-name: {{nic 0}}\n        mtu: 9000\n",
                "        set-name: {{nic_name 0}}\n        mtu: 9000\n",
            )],
        ),
    );
}

#[test]
fn l2t_4_nic_index_beyond_the_host() {
    expect_only(
        "L2T-4",
        &patch(
            BASE,
            &[(
                "        set-name: {{nic 1}}\n        mtu: 9000\n",
                "        set-name: {{nic 1}}\n        mtu: 9000\n      {{nic 2}}: {mtu: 9000}\n",
            )],
        ),
    );
}

#[test]
fn l2t_5_rendered_template_is_not_yaml() {
    expect_only(
        "L2T-5",
        &patch(
            BASE,
            &[(
                "      s-pods: {id: 1200, link: bond0}\n",
                "      s-pods: {id: 1200, link: bond0\n",
            )],
        ),
    );
}

#[test]
fn l2t_6_interface_name_too_long() {
    let text = BASE.replace("m-ext", "m-external-vlan-1400");
    expect_only("L2T-6", &text);
}

#[test]
fn host_1_template_missing() {
    expect_only("HOST-1", &use_template(BASE, "r2", "mgr", "mgr-typo"));
}

#[test]
fn host_2_duplicate_mac() {
    expect_only(
        "HOST-2",
        &patch(BASE, &[("\"0c:c4:7a:00:02:01\"", "\"0c:c4:7a:00:01:01\"")]),
    );
}

#[test]
fn finding_points_at_the_template_line() {
    let text = patch(
        BASE,
        &[(
            "        set-name: {{nic 0}}\n        mtu: 9000\n",
            "        set-name: {{nic_name 0}}\n        mtu: 9000\n",
        )],
    );
    let findings = findings_of(&text, &AllocationState::new());
    let line = BASE
        .lines()
        .position(|l| l.contains("        set-name: {{nic 0}}"))
        .expect("line")
        + 1;
    assert_eq!(findings[0].loc.line as usize, line, "{findings:#?}");
}

#[test]
fn ipam_hosts_with_role_labels_are_hosts_too() {
    // The same machines as IpamHost objects (roles from node labels) instead of a HostInventory.
    let inventory_start = BASE
        .find("apiVersion: neutrino.io/v1alpha1")
        .expect("inventory");
    let mut text = BASE[..inventory_start].to_string();
    let hosts = [
        (
            "mgr-1",
            "hostlabel.bm.kaas.mirantis.com/controlplane: \"\"",
            "r1",
            "mgr",
            1,
            2,
        ),
        (
            "mgr-2",
            "hostlabel.bm.kaas.mirantis.com/controlplane: \"\"",
            "r2",
            "mgr",
            2,
            2,
        ),
        (
            "mgr-3",
            "hostlabel.bm.kaas.mirantis.com/controlplane: \"\"",
            "r3",
            "mgr",
            3,
            2,
        ),
        (
            "ctl-1",
            "openstack-control-plane: enabled\n    openstack-gateway: enabled",
            "r1",
            "node",
            4,
            4,
        ),
        (
            "cmp-1",
            "openstack-compute-node: enabled",
            "r2",
            "node",
            5,
            4,
        ),
        (
            "stg-1",
            "hostlabel.bm.kaas.mirantis.com/storage: \"\"",
            "r3",
            "stg",
            6,
            4,
        ),
    ];
    let names = ["eno1", "eno2", "ens1f0", "ens1f1"];
    for (i, (name, role, rack, template, n, nics)) in hosts.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&format!(
            "apiVersion: ipam.mirantis.com/v1alpha1\nkind: IpamHost\nmetadata:\n  name: {name}\n  namespace: ns1\n  labels:\n    {role}\n    neutrino.io/rack: {rack}\nspec:\n  l2TemplateSelector: {{name: {template}}}\n  nicMACmap:\n"
        ));
        for (k, nic) in names.iter().take(*nics).enumerate() {
            text.push_str(&format!(
                "    - {{name: {nic}, mac: \"0C-C4-7A-00-{n:02}-{k:02}\"}}\n"
            ));
        }
    }
    let findings = findings_of(&text, &AllocationState::new());
    assert!(findings.is_empty(), "{findings:#?}");
    // And removing a role label is noticed by the role rules.
    let without_role = text.replace("    openstack-compute-node: enabled\n", "");
    assert!(rules_of(&without_role).contains("NB-6"));
}

#[test]
fn check_output_is_deterministic() {
    let broken = patch(
        BASE,
        &[("      n-tenant: {id: 1600,", "      n-tenant: {id: 1400,")],
    );
    let a = findings_of(&broken, &AllocationState::new());
    let b = findings_of(&broken, &AllocationState::new());
    assert_eq!(a, b);
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
