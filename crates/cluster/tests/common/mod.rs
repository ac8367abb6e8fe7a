//! Shared helpers for the integration tests: run the whole check on YAML text.
#![allow(dead_code)]

use std::collections::BTreeSet;

use neutrino_cluster::check::analyze;
use neutrino_cluster::finding::{Finding, Findings};
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_cluster::model;
use neutrino_cluster::source::SourceFile;

pub const BASE: &str = include_str!("../fixtures/base.yaml");

/// Replaces each `from` (which must occur in the text) once by `to`.
pub fn patch(text: &str, edits: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (from, to) in edits {
        assert!(
            out.contains(from),
            "fixture patch target not found: {from:?}"
        );
        out = out.replacen(from, to, 1);
    }
    out
}

/// One YAML document of the base fixture, found by a line it contains.
pub fn base_doc(marker: &str) -> String {
    BASE.split("\n---\n")
        .find(|d| d.contains(marker))
        .unwrap_or_else(|| panic!("no base document with {marker:?}"))
        .to_string()
}

pub fn findings_of(text: &str, previous: &AllocationState) -> Vec<Finding> {
    let sources = vec![SourceFile {
        name: "fixture.yaml".to_string(),
        text: text.to_string(),
    }];
    let (input, loaded) = model::load(&sources).expect("fixture is valid YAML");
    let mut findings = Findings::default();
    findings.extend(loaded);
    analyze(&input, previous, &mut findings);
    findings.sorted()
}

pub fn rules_of(text: &str) -> BTreeSet<&'static str> {
    findings_of(text, &AllocationState::new())
        .iter()
        .map(|f| f.rule)
        .collect()
}

pub fn expect_only(rule: &str, text: &str) {
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
pub fn with_docs(text: &str, docs: &[String]) -> String {
    let mut out = text.to_string();
    for d in docs {
        out.push_str("\n---\n");
        out.push_str(d);
    }
    out
}

pub fn subnet(name: &str, label: &str, body: &str) -> String {
    format!(
        "apiVersion: ipam.mirantis.com/v1alpha1\nkind: Subnet\nmetadata:\n  name: {name}\n  namespace: ns1\n  labels:\n    cluster.sigs.k8s.io/cluster-name: c1\n    {label}: \"1\"\nspec:\n{body}"
    )
}

/// Moves the host in `rack` that uses template `from` to template `to`.
pub fn use_template(text: &str, rack: &str, from: &str, to: &str) -> String {
    patch(
        text,
        &[(
            &format!("      rack: {rack}\n      l2Template: {from}\n"),
            &format!("      rack: {rack}\n      l2Template: {to}\n"),
        )],
    )
}

/// A copy of a base template under a new name, with edits.
pub fn template_copy(base_name: &str, new_name: &str, edits: &[(&str, &str)]) -> String {
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

pub fn lcm_b() -> String {
    subnet(
        "lcm-b",
        "ipam/SVC-k8s-lcm",
        "  cidr: 10.11.0.0/24\n  gateway: 10.11.0.1\n",
    )
}

pub fn manager_on_other_segment(base: &str) -> String {
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
