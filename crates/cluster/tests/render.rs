//! End-to-end: the example checks clean, renders, its netplan files pass Debian's `netplan generate`,
//! re-rendering keeps every address, and a broken design renders nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use neutrino_cluster::cli::{ClusterArgs, execute};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: ClusterArgs,
}

fn run(args: &[&str]) -> u8 {
    let cli = Cli::try_parse_from(std::iter::once("cluster").chain(args.iter().copied()))
        .expect("valid arguments");
    execute(cli.args)
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cluster")
}

fn read_tree(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            // netplan generate leaves its own output (and symlinks) under <root>/run and <root>/etc/systemd.
            if entry.file_type().expect("file type").is_symlink()
                || path.ends_with("run")
                || path.ends_with("systemd")
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).expect("utf-8 output");
                out.push((path.strip_prefix(dir).expect("inside").to_path_buf(), text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn example_checks_clean() {
    let example = example();
    assert_eq!(run(&["check", example.to_str().expect("utf-8 path")]), 0);
    assert_eq!(
        run(&[
            "check",
            "--format",
            "json",
            example.to_str().expect("utf-8 path")
        ]),
        0
    );
}

#[test]
fn example_renders_valid_netplan_and_stable_addresses() {
    let out = tempfile::tempdir().expect("tempdir");
    let example = example();
    let ex = example.to_str().expect("utf-8 path");
    let dir = out.path().to_str().expect("utf-8 path");
    assert_eq!(run(&["render", ex, "--out", dir]), 0);
    for name in [
        "metallb.yaml",
        "ceph-network.yaml",
        "api-vip.yaml",
        "ipam-state.yaml",
    ] {
        assert!(out.path().join(name).is_file(), "{name} missing");
    }
    let ceph = std::fs::read_to_string(out.path().join("ceph-network.yaml")).expect("ceph");
    assert!(
        ceph.contains("publicNet: 10.40.1.0/24,10.40.2.0/24,10.40.3.0/24"),
        "{ceph}"
    );
    let hosts: Vec<PathBuf> = std::fs::read_dir(out.path().join("hosts"))
        .expect("hosts dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(hosts.len(), 17);
    // The netplan oracle: Debian's netplan must accept every rendered file.
    for host in &hosts {
        let status = Command::new("netplan")
            .arg("generate")
            .arg("--root-dir")
            .arg(host)
            .output()
            .expect("`netplan` must be installed (apt-get install netplan.io; see crates/cluster/APT-PACKAGES)");
        assert!(
            status.status.success(),
            "netplan rejected {}: {}",
            host.display(),
            String::from_utf8_lossy(&status.stderr)
        );
        assert!(
            host.join("run/systemd/network").is_dir(),
            "netplan generated nothing for {}",
            host.display()
        );
    }
    // Re-rendering with the state it wrote changes nothing.
    let before = read_tree(out.path());
    assert_eq!(run(&["render", ex, "--out", dir]), 0);
    let after = read_tree(out.path());
    assert_eq!(before.len(), 22);
    assert_eq!(before, after);
}

#[test]
fn broken_design_renders_nothing() {
    let src = tempfile::tempdir().expect("tempdir");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/base.yaml"),
    )
    .expect("base");
    let broken = base.replace(
        "      loadBalancerHost: 10.10.0.10\n",
        "      loadBalancerHost: 10.50.0.150\n",
    );
    std::fs::write(src.path().join("design.yaml"), broken).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("rendered");
    let code = run(&[
        "render",
        src.path().to_str().expect("utf-8"),
        "--out",
        target.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    assert!(
        !target.exists(),
        "a design with errors must not produce files"
    );
    assert_eq!(run(&["check", src.path().to_str().expect("utf-8")]), 1);
}

#[test]
fn unreadable_input_exits_2() {
    let src = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        src.path().join("bad.yaml"),
        "kind: Subnet\nmetadata: {name: [\n",
    )
    .expect("write");
    assert_eq!(run(&["check", src.path().to_str().expect("utf-8")]), 2);
    assert_eq!(run(&["check", "/nonexistent/neutrino-cluster-input"]), 2);
}

#[test]
fn diagram_shows_racks_hosts_and_ranges() {
    let example = example();
    let (input, mut findings) =
        neutrino_cluster::check::load_path(&example).expect("example loads");
    let design = neutrino_cluster::check::analyze(&input, &Default::default(), &mut findings);
    let svg = neutrino_cluster::render::diagram::svg(&design);
    assert!(svg.starts_with("<svg"));
    for needle in [
        "rack1",
        "rack2",
        "rack3",
        "kaas-mgr-1",
        "cmp-r2-004",
        "API VIP 10.10.0.10",
        "10.50.7.201-10.50.7.250",
        "stretched over 3 racks",
        "VLAN 1400",
    ] {
        assert!(svg.contains(needle), "diagram lacks {needle}");
    }
}

#[test]
fn adding_and_removing_hosts_keeps_everybody_elses_netplan() {
    let src = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(example()).expect("example dir") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, src.path().join(path.file_name().expect("name"))).expect("copy");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let (s, o) = (
        src.path().to_str().expect("utf-8"),
        out.path().to_str().expect("utf-8"),
    );
    assert_eq!(run(&["render", s, "--out", o]), 0);
    let netplan = |host: &str| {
        std::fs::read_to_string(
            out.path()
                .join("hosts")
                .join(host)
                .join("etc/netplan/60-kaas-lcm-netplan.yaml"),
        )
    };
    let before: Vec<(String, String)> = ["cmp-r1-001", "cmp-r1-003", "cmp-r2-004", "os-ctl-2"]
        .iter()
        .map(|h| (h.to_string(), netplan(h).expect("rendered")))
        .collect();
    // A new compute named to sort first, and cmp-r1-002 gone.
    let hosts_file = src.path().join("30-hosts.yaml");
    let hosts = std::fs::read_to_string(&hosts_file).expect("hosts");
    let start = hosts.find("    - name: cmp-r1-002\n").expect("host entry");
    let end = start + hosts[start + 1..].find("    - name: ").expect("next entry") + 1;
    let mut changed = format!("{}{}", &hosts[..start], &hosts[end..]);
    changed.push_str("    - name: cmp-r1-000\n      roles: [compute]\n      rack: rack1\n      l2Template: compute-rack1\n      nics:\n        - {name: eno1, mac: \"0c:c4:7a:ff:00:00\"}\n        - {name: eno2, mac: \"0c:c4:7a:ff:00:01\"}\n        - {name: ens1f0, mac: \"0c:c4:7a:ff:00:02\"}\n        - {name: ens1f1, mac: \"0c:c4:7a:ff:00:03\"}\n");
    std::fs::write(&hosts_file, changed).expect("write hosts");
    assert_eq!(run(&["render", s, "--out", o]), 0);
    for (host, text) in before {
        assert_eq!(
            netplan(&host).expect("still rendered"),
            text,
            "{host} changed"
        );
    }
    // The newcomer reuses the freed addresses, none of anybody else's.
    let state = std::fs::read_to_string(out.path().join("ipam-state.yaml")).expect("state");
    assert!(
        state.contains("cmp-r1-000") && !state.contains("cmp-r1-002"),
        "{state}"
    );
    assert!(
        !out.path().join("hosts/cmp-r1-002").exists(),
        "the removed host's netplan is gone"
    );
}
