//! Every rule has a fixture that breaks it (`tests/fixtures/<RULE>[.<variant>].yaml`), and each
//! fixture reports exactly its rule plus the ones its `# also:` line names, with a key path and a
//! line. The example and `clean.yaml` report nothing.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use neutrino_cluster::check::{analyze, load_path};
use neutrino_cluster::finding::Finding;
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_deploy::checks::{RULES, run};
use neutrino_deploy::spec;

/// Runs the checks on a fixture, with the cluster design its `# cluster:` line names.
fn findings(file: &Path) -> Vec<Finding> {
    let text = std::fs::read_to_string(file).expect("fixture");
    let (deployment, mut found) = spec::load(file).expect("readable fixture");
    match text.lines().find_map(|l| l.strip_prefix("# cluster: ")) {
        None => found.extend(run(&deployment, None)),
        Some(dir) => {
            let (input, mut cluster_findings) =
                load_path(&common::repo().join(dir.trim())).expect("cluster design");
            let design = analyze(&input, &AllocationState::new(), &mut cluster_findings);
            assert!(
                !cluster_findings.has_errors(),
                "the cluster design is clean"
            );
            found.extend(run(&deployment, Some(&design)));
        }
    }
    found
}

fn expected(file: &Path) -> BTreeSet<String> {
    let name = file.file_stem().and_then(|s| s.to_str()).expect("name");
    let rule = name.split('.').next().expect("rule");
    let text = std::fs::read_to_string(file).expect("fixture");
    let mut out: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# also: "))
        .flat_map(|l| l.split(',').map(|r| r.trim().to_string()))
        .collect();
    if rule != "clean" {
        out.insert(rule.to_string());
    }
    out
}

#[test]
fn every_fixture_reports_exactly_its_rules() {
    let mut seen = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(common::fixtures())
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for file in files {
        let found = findings(&file);
        let rules: BTreeSet<String> = found.iter().map(|f| f.rule.to_string()).collect();
        assert_eq!(rules, expected(&file), "{}: {found:#?}", file.display());
        for f in &found {
            assert!(f.loc.line > 0, "{}: {f:?} has a line", file.display());
            assert!(
                f.key.starts_with("spec"),
                "{}: {f:?} has a key path",
                file.display()
            );
            assert!(!f.hint.is_empty(), "{}: {f:?} has a hint", file.display());
        }
        seen.extend(rules);
    }
    for (rule, _) in RULES {
        assert!(seen.contains(*rule), "rule {rule} has no failing fixture");
    }
}

#[test]
fn the_example_is_clean_alone_and_with_the_cluster() {
    let example = common::example();
    let cluster = common::cluster();
    assert_eq!(common::run(&["check", common::text(&example)]), 0);
    assert_eq!(
        common::run(&[
            "check",
            common::text(&example),
            "--cluster",
            common::text(&cluster)
        ]),
        0
    );
}

/// The hosts of examples/deploy/per-node name their tunnel interface differently (NB-7): the spec
/// with its spec.nodes entry is clean, the same spec without it fails FN-9 on cmp-2.
#[test]
fn differently_named_tunnel_interfaces_need_the_per_node_entry() {
    let dir = common::repo().join("examples/deploy/per-node");
    let example = dir.join("osdpl.yaml");
    let cluster = dir.join("cluster.yaml");
    let check = |spec: &Path| {
        common::run(&[
            "check",
            common::text(spec),
            "--cluster",
            common::text(&cluster),
        ])
    };
    assert_eq!(check(&example), 0, "with the entry");
    let text = std::fs::read_to_string(&example).expect("example");
    let without = text.split("\n  nodes:").next().expect("before nodes");
    assert!(!without.contains("node-layout::gen2"), "the entry is gone");
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("osdpl.yaml");
    std::fs::write(&file, without).expect("write");
    assert_eq!(check(&file), 1, "without the entry");
    let (deployment, found) = spec::load(&file).expect("readable");
    assert!(found.is_empty());
    let (input, mut cluster_findings) = load_path(&cluster).expect("design");
    let design = analyze(&input, &AllocationState::new(), &mut cluster_findings);
    let findings = run(&deployment, Some(&design));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].rule, "FN-9");
    assert!(findings[0].message.contains("cmp-2"), "{:?}", findings[0]);
}

#[test]
fn exit_codes_say_errors_and_unusable_input() {
    let fixture = common::fixtures().join("FN-4.yaml");
    assert_eq!(
        common::run(&["check", common::text(&fixture), "--format", "json"]),
        1
    );
    assert_eq!(common::run(&["check", "/nonexistent/osdpl.yaml"]), 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "kind: OpenStackDeployment\nspec: [1, 2\n").expect("write");
    assert_eq!(
        common::run(&["check", common::text(&broken)]),
        2,
        "a syntax error"
    );
    let other = dir.path().join("other.yaml");
    std::fs::write(&other, "kind: Subnet\nspec: {}\n").expect("write");
    assert_eq!(
        common::run(&["check", common::text(&other)]),
        2,
        "no OpenStackDeployment"
    );
}

#[test]
fn every_rule_is_documented() {
    let docs =
        std::fs::read_to_string(common::repo().join("docs/deploy.md")).expect("docs/deploy.md");
    for (rule, _) in RULES {
        assert!(
            docs.contains(&format!("| {rule} |")),
            "docs/deploy.md lists {rule}"
        );
    }
}

#[test]
fn json_findings_carry_the_key_path_and_the_line() {
    let file = common::fixtures().join("FN-4.yaml");
    let (deployment, found) = spec::load(&file).expect("fixture");
    let mut findings = neutrino_cluster::finding::Findings::default();
    findings.extend(found);
    findings.extend(run(&deployment, None));
    let value: serde_json::Value =
        serde_json::from_str(&neutrino_cluster::cli::json(&findings)).expect("JSON");
    assert_eq!(value["errors"], 1);
    let f = &value["findings"][0];
    assert_eq!(f["rule"], "FN-4");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["key"],
        "spec.features.neutron.floating_network.subnet.gateway"
    );
    assert_eq!(f["line"], 25);
    assert!(f["file"].as_str().is_some_and(|p| p.ends_with("FN-4.yaml")));
    assert!(f["hint"].as_str().is_some_and(|h| !h.is_empty()));
}
