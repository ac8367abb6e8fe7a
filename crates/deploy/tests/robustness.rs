//! Bad input gives findings, never a panic: every value of the example spec replaced, one at a time,
//! by values of other types and shapes; each variant is checked (with the cluster design) and, when
//! it has no errors, rendered.

mod common;

use neutrino_cluster::check::{analyze, load_path};
use neutrino_cluster::finding::{Findings, Severity};
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_cluster::yaml::parse_documents;
use neutrino_deploy::{checks, render, spec};

const JUNK: &[&str] = &[
    "~",
    "[]",
    "{}",
    "0",
    "-1",
    "99999999999",
    "true",
    "x",
    "\"\"",
    "[1, [2]]",
    "{a: {b: c}}",
    "10.0.0.0/33",
    "0.0.0.0",
    "1:2:3",
];

#[test]
fn every_value_replaced_by_junk_gives_findings_not_panics() {
    let text = std::fs::read_to_string(common::example()).expect("example");
    let (input, mut cluster_findings) = load_path(&common::cluster()).expect("cluster");
    let design = analyze(&input, &AllocationState::new(), &mut cluster_findings);
    let lines: Vec<&str> = text.lines().collect();
    let mut variants = 0;
    let mut with_errors = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some((key, _)) = line.split_once(": ") else {
            continue;
        };
        for junk in JUNK {
            let mut changed = lines.clone();
            let replaced = format!("{key}: {junk}");
            changed[i] = &replaced;
            let doc = changed.join("\n");
            let Ok(docs) = parse_documents(&doc) else {
                continue; // a YAML syntax error: exit code 2, tested elsewhere
            };
            let Some(node) = docs.first() else { continue };
            let mut found = Vec::new();
            let deployment = spec::read("osdpl.yaml", node, &mut found);
            let mut findings = Findings::default();
            findings.extend(found);
            findings.extend(checks::run(&deployment, Some(&design)));
            for f in findings.sorted() {
                assert!(f.loc.line > 0 || f.severity == Severity::Warning, "{f:?}");
            }
            if findings.has_errors() {
                with_errors += 1;
            } else {
                render::files(&deployment, Some(&design));
            }
            variants += 1;
        }
    }
    assert!(variants > 300, "{variants} variants");
    assert!(
        with_errors > variants / 2,
        "most junk is reported: {with_errors} of {variants}"
    );
}
