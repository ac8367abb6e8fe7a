//! Fuzzing the loader and the whole check with mutated designs: any input gives findings or a clear
//! error with file:line, never a panic.

mod common;

use common::BASE;
use neutrino_cluster::check::analyze;
use neutrino_cluster::error::ClusterError;
use neutrino_cluster::finding::Findings;
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_cluster::model;
use neutrino_cluster::source::SourceFile;
use proptest::prelude::*;

fn run(text: &str) {
    let sources = vec![SourceFile {
        name: "fuzz.yaml".into(),
        text: text.to_string(),
    }];
    match model::load(&sources) {
        Ok((input, loaded)) => {
            let mut findings = Findings::default();
            findings.extend(loaded);
            let design = analyze(&input, &AllocationState::new(), &mut findings);
            for f in findings.sorted() {
                assert!(!f.rule.is_empty() && !f.message.is_empty(), "{f:?}");
            }
            // Rendering output and the diagram must cope with whatever survived.
            if !findings.has_errors() {
                let _ = neutrino_cluster::render::output::files(&design);
            }
            let _ = neutrino_cluster::render::diagram::svg(&design);
        }
        Err(ClusterError::Syntax {
            file,
            line,
            message,
            ..
        }) => {
            assert_eq!(file, "fuzz.yaml");
            assert!(line > 0, "syntax error without a line: {message}");
        }
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

/// Edits that keep most of the design valid: swap a scalar for a list or map, drop or duplicate a line,
/// cut the text short, insert junk.
#[derive(Clone, Debug)]
enum Edit {
    ReplaceValue(usize, &'static str),
    DropLine(usize),
    DuplicateLine(usize),
    Truncate(usize),
    Insert(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (
            any::<usize>(),
            prop::sample::select(vec![
                "[1, 2]",
                "{a: b}",
                "~",
                "-5",
                "true",
                "\"\"",
                "999999999999999999999",
                "10.0.0.0/33",
                "&a x",
                "*a",
                "!!binary aGk="
            ])
        )
            .prop_map(|(i, v)| Edit::ReplaceValue(i, v)),
        any::<usize>().prop_map(Edit::DropLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), "[ -~]{0,20}").prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match e {
            Edit::ReplaceValue(i, v) => {
                let line = &mut lines[i % n];
                if let Some(pos) = line.find(": ") {
                    line.truncate(pos + 2);
                    line.push_str(v);
                }
            }
            Edit::DropLine(i) => {
                lines.remove(i % n);
            }
            Edit::DuplicateLine(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Truncate(i) => lines.truncate(i % n),
            Edit::Insert(i, s) => lines.insert(i % n, s.clone()),
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_designs_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        run(&apply(BASE, &edits));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n\t]{0,400}") {
        run(&text);
    }
}

#[test]
fn wrong_types_are_findings_with_lines() {
    let text = BASE.replace("  cidr: 10.60.0.0/24\n", "  cidr: {a: 1}\n");
    let (input, loaded) = model::load(&[SourceFile {
        name: "t.yaml".into(),
        text,
    }])
    .expect("valid yaml");
    let _ = input;
    let f = loaded
        .iter()
        .find(|f| f.rule == "IN-3")
        .expect("IN-3 finding");
    assert!(f.loc.line > 0 && f.message.contains("spec.cidr"), "{f:?}");
}

#[test]
fn syntax_errors_name_file_and_line() {
    let err = model::load(&[SourceFile {
        name: "bad.yaml".into(),
        text: "apiVersion: v1\nkind: Subnet\nmetadata:\n  name: [x\n".into(),
    }])
    .expect_err("invalid yaml");
    let text = err.to_string();
    assert!(text.starts_with("bad.yaml:"), "{text}");
}
