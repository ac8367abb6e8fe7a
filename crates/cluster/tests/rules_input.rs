//! Input and template rules (IN-*, L2T-*, HOST-*): one failing design each, plus input paths.
//! Each fixture is the clean base design with one small change and must trigger exactly its rule id.

mod common;

use common::*;
use neutrino_cluster::ipam::state::AllocationState;

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
fn base_design_is_clean() {
    let findings = findings_of(BASE, &AllocationState::new());
    assert!(findings.is_empty(), "{findings:#?}");
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
fn in_6_deprecated_field() {
    expect_only(
        "IN-6",
        &patch(
            BASE,
            &[(
                "  autoIfMappingPrio: [eno, ens]\n",
                "  clusterRef: c1\n  autoIfMappingPrio: [eno, ens]\n",
            )],
        ),
    );
}

#[test]
fn in_6_deprecated_subnet_pool() {
    expect_only(
        "IN-6",
        &patch(
            BASE,
            &[(
                "  cidr: 10.60.0.0/24\n",
                "  cidr: 10.60.0.0/24\n  subnetPoolRef: old-pool\n",
            )],
        ),
    );
}

/// Replaces the labels of one base template (found by its name) with `labels` (YAML lines).
fn relabel_template(name: &str, labels: &str) -> String {
    let from = format!(
        "  name: {name}\n  namespace: ns1\n  labels:\n    cluster.sigs.k8s.io/cluster-name: c1\nspec:\n"
    );
    let to = format!("  name: {name}\n  namespace: ns1\n  labels:\n{labels}spec:\n");
    patch(BASE, &[(&from, &to)])
}

#[test]
fn l2t_7_template_without_cluster_label() {
    expect_only(
        "L2T-7",
        &relabel_template("mgr", "    kaas.mirantis.com/provider: baremetal\n"),
    );
}

#[test]
fn l2t_7_template_of_another_cluster() {
    let text = relabel_template("stg", "    cluster.sigs.k8s.io/cluster-name: c2\n");
    // The template also makes the pods Subnet shared with cluster c2, which MCN-10 rightly reports.
    assert_eq!(
        rules_of(&text),
        std::collections::BTreeSet::from(["L2T-7", "MCN-10"])
    );
    let findings = findings_of(&text, &AllocationState::new());
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "L2T-7" && f.object == "host/stg-1")
    );
}

#[test]
fn l2t_8_controller_label_on_template() {
    let text = relabel_template(
        "mgr",
        "    cluster.sigs.k8s.io/cluster-name: c1\n    ipam/UID: \"1234\"\n",
    );
    expect_only("L2T-8", &text);
}

#[test]
fn in_1_second_cluster_is_ignored() {
    let second = base_doc("kind: Cluster\n").replace("name: c1", "name: c9");
    expect_only("IN-1", &with_docs(BASE, &[second]));
}
