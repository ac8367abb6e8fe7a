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
