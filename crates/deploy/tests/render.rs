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
    let cluster = common::cluster();
    render_example(&common::example(), with_cluster.then_some(&cluster), out)
}

fn render_example(example: &Path, cluster: Option<&PathBuf>, out: &Path) -> u8 {
    let mut args = vec!["render", common::text(example), "--out", common::text(out)];
    if let Some(cluster) = cluster {
        args.extend(["--cluster", common::text(cluster)]);
    }
    common::run(&args)
}

/// Renders an example into a temporary directory and compares it with `examples/deploy/<name>`.
fn golden(name: &str, with_cluster: bool) {
    let cluster = common::cluster();
    golden_of(&common::example(), with_cluster.then_some(&cluster), name);
}

fn golden_of(example: &Path, cluster: Option<&PathBuf>, name: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(render_example(example, cluster, dir.path()), 0);
    let golden = common::repo().join("examples/deploy").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        assert_eq!(render_example(example, cluster, &golden), 0);
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
fn render_with_per_node_tunnel_interfaces_matches_the_golden_files() {
    let dir = common::repo().join("examples/deploy/per-node");
    golden_of(
        &dir.join("osdpl.yaml"),
        Some(&dir.join("cluster.yaml")),
        "per-node/rendered",
    );
}

/// cmp-2 carries node-layout=gen2: its ovn-encap-ip is the address of the entry's interface
/// bond1.1600 in the design (it has no br-tenant); cmp-1's that of br-tenant.
#[test]
fn a_per_node_tunnel_interface_gives_the_host_its_encap_ip() {
    use neutrino_cluster::check::{analyze, load_path};
    use neutrino_cluster::ipam::state::AllocationState;
    let dir = common::repo().join("examples/deploy/per-node");
    let (input, mut findings) = load_path(&dir.join("cluster.yaml")).expect("design");
    let design = analyze(&input, &AllocationState::new(), &mut findings);
    let address = |host: &str, iface: &str| {
        let plan = design
            .hosts
            .iter()
            .find(|h| h.host.name == host)
            .expect("host");
        let netplan = &plan.rendered.as_ref().expect("rendered").netplan;
        netplan
            .interfaces
            .get(iface)
            .map(|i| i.addresses[0].0.addr().to_string())
    };
    assert_eq!(
        address("cmp-2", "br-tenant"),
        None,
        "cmp-2 has no br-tenant"
    );
    let encap = |host: &str| {
        let file = dir
            .join("rendered/hosts")
            .join(host)
            .join("ovn-chassis.yaml");
        let text = std::fs::read_to_string(file).expect("host settings");
        text.lines()
            .find_map(|l| l.trim().strip_prefix("ovn-encap-ip: ").map(str::to_string))
    };
    assert_eq!(encap("cmp-2"), address("cmp-2", "bond1.1600"));
    assert_eq!(encap("cmp-1"), address("cmp-1", "br-tenant"));
    assert!(encap("cmp-1").is_some());
    let no_cluster = common::repo().join("examples/deploy/rendered-no-cluster/ovs/apply-ovs.sh");
    let script = std::fs::read_to_string(no_cluster).expect("script");
    assert!(
        script.contains("tunnel=${OVN_TUNNEL_INTERFACE:-br-tenant}"),
        "{script}"
    );
}

/// Without a design the shared script names the per-node entries and takes OVN_TUNNEL_INTERFACE.
#[test]
fn the_shared_script_lets_per_node_hosts_name_their_tunnel_interface() {
    let out = tempfile::tempdir().expect("tempdir");
    let example = common::repo().join("examples/deploy/per-node/osdpl.yaml");
    assert_eq!(render_example(&example, None, out.path()), 0);
    let script = std::fs::read_to_string(out.path().join("ovs/apply-ovs.sh")).expect("script");
    assert!(
        script.contains("# Nodes labelled node-layout::gen2: OVN_TUNNEL_INTERFACE=bond1.1600"),
        "{script}"
    );
    assert!(script.contains("tunnel=${OVN_TUNNEL_INTERFACE:-br-tenant}"));
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

#[test]
fn each_external_network_gets_its_physnets_mtu() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = std::fs::read_to_string(common::example()).expect("example");
    let (head, tail) = spec.split_at(spec.find("physnet: physnet2").expect("physnet2"));
    let changed = format!("{head}{}", tail.replacen("mtu: 1500", "mtu: 9000", 1));
    let example = dir.path().join("osdpl.yaml");
    std::fs::write(&example, changed).expect("write");
    let out = dir.path().join("out");
    assert_eq!(render_example(&example, None, &out), 0);
    let toml: toml::Table = std::fs::read_to_string(out.join("neutrino.toml"))
        .expect("rendered")
        .parse()
        .expect("toml");
    let network = toml["network"].as_table().expect("[network]");
    assert_eq!(network["global_physnet_mtu"].as_integer(), Some(1500));
    let mtus: Vec<&str> = network["physical_network_mtus"]
        .as_array()
        .expect("physical_network_mtus")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(mtus, ["physnet1:1500", "physnet2:9000"]);
}
