//! Golden files: rendering examples/deploy/osdpl.yaml with the cluster of examples/cluster gives
//! exactly the files under examples/deploy/rendered/ (`UPDATE_GOLDEN=1` rewrites them); a spec
//! with errors renders nothing.

mod common;

use std::path::{Path, PathBuf};

fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).expect("utf-8");
                out.push((path.strip_prefix(dir).expect("inside").to_path_buf(), text));
            }
        }
    }
    out.sort();
    out
}

fn render_into(out: &Path, with_cluster: bool) -> u8 {
    let example = common::example();
    let cluster = common::cluster();
    let mut args = vec!["render", common::text(&example), "--out", common::text(out)];
    if with_cluster {
        args.extend(["--cluster", common::text(&cluster)]);
    }
    common::run(&args)
}

fn golden(name: &str, with_cluster: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(render_into(dir.path(), with_cluster), 0);
    let golden = common::repo().join("examples/deploy").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        assert_eq!(render_into(&golden, with_cluster), 0);
    }
    let got = tree(dir.path());
    let want = tree(&golden);
    assert_eq!(
        got.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        want.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        "the same files"
    );
    for ((path, g), (_, w)) in got.iter().zip(&want) {
        assert_eq!(g, w, "{} differs from the golden file", path.display());
    }
}

#[test]
fn render_with_the_cluster_matches_the_golden_files() {
    golden("rendered", true);
}

#[test]
fn render_without_a_cluster_matches_the_golden_files() {
    golden("rendered-no-cluster", false);
}

#[test]
fn rendered_hosts_take_their_tunnel_address_and_role() {
    let golden = common::repo().join("examples/deploy/rendered/hosts");
    let gw = std::fs::read_to_string(golden.join("os-ctl-1/ovn-chassis.yaml")).expect("gateway");
    assert!(gw.contains("ovn-cms-options: enable-chassis-as-gw"), "{gw}");
    let compute = std::fs::read_to_string(golden.join("cmp-r1-001/apply-ovs.sh")).expect("compute");
    assert!(
        compute.contains("remove Open_vSwitch . external_ids ovn-cms-options"),
        "{compute}"
    );
    assert!(compute.contains("ovn-bridge-mappings=\"physnet1:br-ex,physnet2:br-prov\""));
    assert!(
        !golden.join("kaas-mgr-1").exists(),
        "managers run no chassis"
    );
    assert!(
        !golden.join("ceph-osd-1").exists(),
        "storage hosts run no chassis"
    );
}

#[test]
fn a_spec_with_errors_renders_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let fixture = common::fixtures().join("FN-9.yaml");
    let cluster = common::cluster();
    let code = common::run(&[
        "render",
        common::text(&fixture),
        "--cluster",
        common::text(&cluster),
        "--out",
        common::text(&out),
    ]);
    assert_eq!(code, 1);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn rerendering_removes_hosts_that_left_the_design_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gone = dir.path().join("hosts/cmp-r9-001");
    std::fs::create_dir_all(&gone).expect("mkdir");
    std::fs::write(gone.join("ovn-chassis.yaml"), "external_ids: {}\n").expect("write");
    let foreign = dir.path().join("hosts/not-ours");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    assert_eq!(render_into(dir.path(), true), 0);
    assert!(!gone.exists(), "a host no longer in the design is removed");
    assert!(
        foreign.exists(),
        "a directory without our settings file is left alone"
    );
    assert!(dir.path().join("hosts/cmp-r1-001/apply-ovs.sh").is_file());
}
