//! `neutrino deploy` against a real `neutrino serve`: the server runs on the neutrino.toml that
//! `deploy render` wrote for examples/deploy/osdpl.yaml, and `deploy bootstrap` creates the
//! floating network, changes nothing on a second run, applies a changed spec, and refuses — changing
//! nothing — a change that would strand an allocated floating IP. And over https (haproxy
//! terminating TLS with a certificate of a throwaway CA): clouds.yaml's `cacert` and `verify`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use neutrino_deploy::bootstrap::client::Client;
use serde_json::{Value, json};

const NEUTRINO: &str = env!("CARGO_BIN_EXE_neutrino");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Server {
    child: Child,
    data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `neutrino serve` on a free port with `config`; the API only (no OVN here).
    fn start(config: &Path) -> Server {
        Server::start_with(config, free_port(), &[])
    }

    /// The same on `port`, with more settings from the environment.
    fn start_with(config: &Path, port: u16, env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        let child = Command::new(NEUTRINO)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--config",
            ])
            .arg(config)
            .arg("--data-dir")
            .arg(data.path())
            .env("NEUTRINO_BACKEND", "none")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("neutrino serve starts");
        let mut server = Server { child, data };
        // The socket is bound before the identity writes clouds.yaml: wait for both.
        let clouds = server.clouds();
        wait_for(&mut server.child, "neutrino serve", port, || {
            clouds.is_file()
        });
        server
    }

    fn clouds(&self) -> PathBuf {
        self.data.path().join("clouds.yaml")
    }

    /// `neutrino deploy bootstrap SPEC …` as admin: the exit code and everything it printed.
    fn bootstrap(&self, spec: &Path, extra: &[&str]) -> (i32, String) {
        bootstrap(spec, &self.clouds(), extra)
    }

    fn admin(&self) -> Client {
        Client::connect("neutrino-admin", Some(&self.clouds())).expect("admin client")
    }
}

/// `neutrino deploy bootstrap SPEC …` as the cloud `neutrino-admin` of `clouds`: the exit code
/// and everything it printed.
fn bootstrap(spec: &Path, clouds: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(NEUTRINO)
        .args(["deploy", "bootstrap"])
        .arg(spec)
        .args(["--os-cloud", "neutrino-admin", "--clouds"])
        .arg(clouds)
        .args(extra)
        .output()
        .expect("neutrino deploy bootstrap runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits up to 30 s for `child` to listen on `port` and `ready()`; panics if it exits first.
fn wait_for(child: &mut Child, what: &str, port: u16, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() || !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited with {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen in 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The floating network, the subnets, router r1 and the floating IPs as the API shows them.
fn state(api: &Client) -> Value {
    json!({
        "networks": api.get("/v2.0/networks?name=public").expect("networks")["networks"],
        "subnets": api.get("/v2.0/subnets").expect("subnets")["subnets"],
        "routers": api.get("/v2.0/routers?name=r1").expect("routers")["routers"],
        "floatingips": api.get("/v2.0/floatingips").expect("fips")["floatingips"],
    })
}

/// The example spec with some of its lines replaced.
fn spec_with(dir: &Path, name: &str, replace: &[(&str, &str)]) -> PathBuf {
    let mut text =
        std::fs::read_to_string(repo().join("examples/deploy/osdpl.yaml")).expect("example");
    for (from, to) in replace {
        assert!(text.contains(from), "the example has `{from}`");
        text = text.replace(from, to);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write spec");
    path
}

fn render(out: &Path) {
    let status = Command::new(NEUTRINO)
        .args(["deploy", "render"])
        .arg(repo().join("examples/deploy/osdpl.yaml"))
        .arg("--out")
        .arg(out)
        .status()
        .expect("render runs");
    assert!(status.success());
}

#[test]
fn bootstrap_creates_keeps_updates_and_refuses_to_strand_floating_ips() {
    let dir = tempfile::tempdir().expect("tempdir");
    render(&dir.path().join("rendered"));
    let server = Server::start(&dir.path().join("rendered/neutrino.toml"));
    let api = server.admin();
    let spec = spec_with(dir.path(), "osdpl.yaml", &[]);

    let (code, out) = server.bootstrap(&spec, &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("+ network public") && out.contains("dry run"),
        "{out}"
    );
    assert_eq!(
        state(&api)["networks"],
        json!([]),
        "a dry run changes nothing"
    );

    let (code, out) = server.bootstrap(&spec, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("+ subnet public-subnet") && out.contains("+ router r1"),
        "{out}"
    );
    let first = state(&api);
    let net = &first["networks"][0];
    assert_eq!(net["router:external"], json!(true));
    assert_eq!(net["provider:network_type"], json!("flat"));
    assert_eq!(net["provider:physical_network"], json!("physnet1"));
    assert_eq!(net["mtu"], json!(1500), "the physnet's MTU");
    let subnet = &first["subnets"][0];
    assert_eq!(subnet["cidr"], json!("203.0.113.0/24"));
    assert_eq!(subnet["enable_dhcp"], json!(false));
    assert_eq!(subnet["gateway_ip"], json!("203.0.113.1"));
    assert_eq!(
        subnet["allocation_pools"],
        json!([{"start": "203.0.113.50", "end": "203.0.113.250"}])
    );
    assert_eq!(
        first["routers"][0]["external_gateway_info"]["network_id"],
        net["id"]
    );

    let (code, out) = server.bootstrap(&spec, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to change"), "{out}");
    assert_eq!(
        state(&api),
        first,
        "a second run changes nothing, not even revisions"
    );

    // A changed pool, gateway and physnet MTU: shown by a dry run, then applied in place.
    let changed = spec_with(
        dir.path(),
        "changed.yaml",
        &[
            ("pool_start: 203.0.113.50", "pool_start: 203.0.113.100"),
            ("pool_end: 203.0.113.250", "pool_end: 203.0.113.200"),
            ("gateway: 203.0.113.1", "gateway: 203.0.113.254"),
            ("mtu: 1500", "mtu: 1400"),
        ],
    );
    let (code, out) = server.bootstrap(&changed, &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("~ subnet public-subnet") && out.contains("203.0.113.254"),
        "{out}"
    );
    assert_eq!(state(&api), first, "a dry run changes nothing");
    let (code, out) = server.bootstrap(&changed, &[]);
    assert_eq!(code, 0, "{out}");
    let updated = state(&api);
    assert_eq!(
        updated["subnets"][0]["id"], first["subnets"][0]["id"],
        "updated in place"
    );
    assert_eq!(updated["subnets"][0]["gateway_ip"], json!("203.0.113.254"));
    assert_eq!(updated["networks"][0]["mtu"], json!(1400));
    assert_eq!(
        updated["subnets"][0]["allocation_pools"],
        json!([{"start": "203.0.113.100", "end": "203.0.113.200"}])
    );
    let (code, out) = server.bootstrap(&changed, &[]);
    assert!(code == 0 && out.contains("nothing to change"), "{out}");

    // A floating IP is allocated; a new range would re-create the subnet under it: refused.
    let fip = api
        .post(
            "/v2.0/floatingips",
            json!({"floatingip": {"floating_network_id": updated["networks"][0]["id"]}}),
        )
        .expect("a floating IP")["floatingip"]
        .clone();
    let address = fip["floating_ip_address"]
        .as_str()
        .expect("address")
        .to_string();
    let moved = spec_with(
        dir.path(),
        "moved.yaml",
        &[
            ("range: 203.0.113.0/24", "range: 198.51.100.0/24"),
            ("pool_start: 203.0.113.50", "pool_start: 198.51.100.50"),
            ("pool_end: 203.0.113.250", "pool_end: 198.51.100.250"),
            ("gateway: 203.0.113.1", "gateway: 198.51.100.1"),
        ],
    );
    let before = state(&api);
    let (code, out) = server.bootstrap(&moved, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("refused") && out.contains(&address),
        "names the floating IP: {out}"
    );
    assert_eq!(state(&api), before, "nothing changed");
    // New provider attributes would re-create the network: refused as well.
    let provider = spec_with(
        dir.path(),
        "provider.yaml",
        &[(
            "physnet: physnet1\n        subnet",
            "physnet: physnet2\n        network_type: vlan\n        segmentation_id: 3000\n        subnet",
        )],
    );
    let (code, out) = server.bootstrap(&provider, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&address), "{out}");
    assert_eq!(state(&api), before, "nothing changed");

    // Without floating IPs the same change re-creates the subnet and re-attaches r1.
    let fip_id = fip["id"].as_str().expect("id");
    api.delete(&format!("/v2.0/floatingips/{fip_id}"))
        .expect("release the floating IP");
    let (code, out) = server.bootstrap(&moved, &[]);
    assert_eq!(code, 0, "{out}");
    let after = state(&api);
    assert_eq!(after["subnets"][0]["cidr"], json!("198.51.100.0/24"));
    assert_eq!(after["networks"][0]["id"], before["networks"][0]["id"]);
    assert_eq!(
        after["routers"][0]["external_gateway_info"]["network_id"],
        after["networks"][0]["id"]
    );
    let (code, out) = server.bootstrap(&moved, &[]);
    assert!(code == 0 && out.contains("nothing to change"), "{out}");
}

#[test]
fn bootstrap_without_the_cloud_is_unusable_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clouds = dir.path().join("clouds.yaml");
    std::fs::write(
        &clouds,
        "clouds:\n  other:\n    auth: {auth_url: 'http://127.0.0.1:9/v3', username: a, password: b, project_name: c}\n",
    )
    .expect("write");
    let out = Command::new(NEUTRINO)
        .args(["deploy", "bootstrap"])
        .arg(repo().join("examples/deploy/osdpl.yaml"))
        .args(["--os-cloud", "neutrino-admin", "--clouds"])
        .arg(&clouds)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cloud named `neutrino-admin`"));
}

/// `openssl` in `dir`; panics with its output if it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command (crates/neutrino/APT-PACKAGES)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA (`ca.pem`) and a certificate it signed for 127.0.0.1 with its key, in one file
/// as haproxy takes it (`server.pem`).
fn throwaway_ca(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
            &["-subj", "/CN=Neutrino test CA"],
            &["-addext", "basicConstraints=critical,CA:TRUE"],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    )
    .expect("write");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
    let mut pem = std::fs::read(dir.join("server.crt")).expect("server.crt");
    pem.extend(std::fs::read(dir.join("server.key")).expect("server.key"));
    std::fs::write(dir.join("server.pem"), pem).expect("write");
}

/// haproxy terminating TLS on `port` in front of the plain API on `backend`.
struct Haproxy(Child);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Haproxy {
    fn start(dir: &Path, port: u16, backend: u16) -> Haproxy {
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(
            &cfg,
            format!(
                "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
                 frontend api\n  bind 127.0.0.1:{port} ssl crt {}\n  default_backend neutrino\n\
                 backend neutrino\n  server s1 127.0.0.1:{backend}\n",
                dir.join("server.pem").display()
            ),
        )
        .expect("write haproxy.cfg");
        let mut child = Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("haproxy (crates/neutrino/APT-PACKAGES)");
        wait_for(&mut child, "haproxy", port, || true);
        Haproxy(child)
    }
}

#[test]
fn bootstrap_over_https_honours_cacert_and_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    throwaway_ca(dir.path());
    render(&dir.path().join("rendered"));
    // Clients reach the API (Keystone and the network endpoint of the catalog) through haproxy.
    let (https, plain) = (free_port(), free_port());
    let public = format!("https://127.0.0.1:{https}/");
    let server = Server::start_with(
        &dir.path().join("rendered/neutrino.toml"),
        plain,
        &[("NEUTRINO_IDENTITY__PUBLIC_URL", &public)],
    );
    let _proxy = Haproxy::start(dir.path(), https, plain);
    let written = std::fs::read_to_string(server.clouds()).expect("clouds.yaml");
    assert!(written.contains(&format!("{public}v3")), "{written}");
    let spec = spec_with(dir.path(), "osdpl.yaml", &[]);
    let clouds = dir.path().join("clouds.yaml");
    let ca = dir.path().join("ca.pem");
    let run = |extra: &str| {
        // The admin cloud of the server's clouds.yaml, with `extra` added to it.
        let text = written.replacen(
            "  \"neutrino-admin\":\n",
            &format!("  \"neutrino-admin\":\n{extra}"),
            1,
        );
        assert!(extra.is_empty() || text != written, "{written}");
        std::fs::write(&clouds, text).expect("write clouds.yaml");
        bootstrap(&spec, &clouds, &[])
    };

    // The CA is not in the host's bundle: refused, the certificate problem and the fix named.
    let (code, out) = run("");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("POST {public}v3/auth/tokens"))
            && out.contains("invalid peer certificate: UnknownIssuer")
            && out.contains("cacert"),
        "{out}"
    );

    let (code, out) = run(&format!("    cacert: {}\n", ca.display()));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("+ network public"), "{out}");

    let (code, out) = run("    verify: false\n");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("nothing to change") && out.contains("verify: false"),
        "{out}"
    );

    let missing = dir.path().join("missing-ca.pem");
    let (code, out) = run(&format!("    cacert: {}\n", missing.display()));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("cacert {}: cannot read it", missing.display())),
        "{out}"
    );
}
