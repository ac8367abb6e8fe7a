//! Real `ovsdb-server` processes for the tests: each in its own temporary directory, started in the
//! foreground as our child (no systemd, no /var/run), and killed by PID when dropped.

use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use neutrino_ovsdb::ClientConfig;

pub const NB_SCHEMA: &str = "/usr/share/ovn/ovn-nb.ovsschema";
pub const NB: &str = "OVN_Northbound";

/// The path of an Open vSwitch program, or a test failure that says what to install.
pub fn program(name: &str) -> PathBuf {
    let path_var = std::env::var("PATH").unwrap_or_default();
    let dirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .into_iter()
        .map(PathBuf::from);
    dirs.chain(std::env::split_paths(&path_var))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: these tests need a real ovsdb-server. \
                 Install the packages in crates/ovsdb/APT-PACKAGES (openvswitch-common, ovn-central), \
                 e.g. with scripts/test"
            )
        })
}

/// The OVN Northbound schema file, or a test failure that says what to install.
pub fn nb_schema() -> &'static Path {
    let path = Path::new(NB_SCHEMA);
    assert!(
        path.is_file(),
        "{NB_SCHEMA} is missing: install ovn-central (see crates/ovsdb/APT-PACKAGES)"
    );
    path
}

pub fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch directory under /tmp: unix socket paths must stay short (108 bytes).
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ovsdb-test-")
        .tempdir_in("/tmp")
        .expect("create a temporary directory")
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// One ovsdb-server with one database file.
pub struct Server {
    pub dir: PathBuf,
    pub db: PathBuf,
    pub sock: PathBuf,
    pub ctl: PathBuf,
    /// Extra `--remote=` arguments (e.g. `ptcp:PORT:127.0.0.1`).
    pub extra_remotes: Vec<String>,
    child: Option<Child>,
}

impl Server {
    /// A standalone OVN Northbound database in `dir`, served on a unix socket and a TCP port.
    pub fn standalone(dir: &Path) -> Server {
        program("ovsdb-server"); // fail early and clearly if it is missing
        let db = dir.join("nb.db");
        run(Command::new(program("ovsdb-tool"))
            .arg("create")
            .arg(&db)
            .arg(nb_schema()));
        let mut server = Server::at(dir, db);
        server
            .extra_remotes
            .push(format!("ptcp:{}:127.0.0.1", free_port()));
        server.start();
        server
    }

    /// A server for an existing database file (created by the caller, e.g. as a cluster member).
    pub fn at(dir: &Path, db: PathBuf) -> Server {
        Server {
            dir: dir.to_owned(),
            sock: dir.join("db.sock"),
            ctl: dir.join("ovsdb-server.ctl"),
            db,
            extra_remotes: Vec::new(),
            child: None,
        }
    }

    pub fn remote(&self) -> String {
        format!("unix:{}", self.sock.display())
    }

    pub fn tcp_remote(&self) -> Option<String> {
        self.extra_remotes.iter().find_map(|r| {
            let rest = r.strip_prefix("ptcp:")?;
            let (port, host) = rest.split_once(':')?;
            Some(format!("tcp:{host}:{port}"))
        })
    }

    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        // A socket left by a killed server would make the readiness check below pass too early.
        let _ = std::fs::remove_file(&self.sock);
        let mut cmd = Command::new(program("ovsdb-server"));
        cmd.arg(format!("--remote=punix:{}", self.sock.display()))
            .arg(format!(
                "--pidfile={}",
                self.dir.join("ovsdb-server.pid").display()
            ))
            .arg(format!("--unixctl={}", self.ctl.display()))
            .arg(format!(
                "--log-file={}",
                self.dir.join("ovsdb-server.log").display()
            ))
            .arg("--no-chdir");
        for remote in &self.extra_remotes {
            cmd.arg(format!("--remote={remote}"));
        }
        cmd.arg(&self.db)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ovsdb-server: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while UnixStream::connect(&self.sock).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("ovsdb-server exited with {status}; log:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "ovsdb-server did not listen on {} in 10 s",
                self.sock.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(Child::id)
            .expect("server is running")
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL by PID and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal by name (STOP, CONT) to this server's PID.
    pub fn signal(&self, name: &str) {
        run(Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string()));
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("ovsdb-server.log")).unwrap_or_default()
    }

    /// A counter from `ovs-appctl -t CTL memory/show` ("monitors", "sessions", ...).
    pub fn memory_counter(&self, name: &str) -> Option<u64> {
        let out = Command::new(program("ovs-appctl"))
            .arg("-t")
            .arg(&self.ctl)
            .arg("memory/show")
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find_map(|item| item.strip_prefix(name)?.strip_prefix(':')?.parse().ok())
    }

    /// The output of `ovs-appctl -t CTL cluster/status DB`.
    pub fn cluster_status(&self) -> Option<String> {
        let out = Command::new(program("ovs-appctl"))
            .arg("-t")
            .arg(&self.ctl)
            .args(["cluster/status", NB])
            .output()
            .ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A `Field: value` line of the cluster status ("Role" → "leader", "Status" → "cluster member").
    pub fn cluster_field(&self, field: &str) -> Option<String> {
        let status = self.cluster_status()?;
        let prefix = format!("{field}: ");
        status
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(str::to_owned)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A 3-member Raft cluster of OVN Northbound, each member its own ovsdb-server.
pub struct Cluster {
    pub servers: Vec<Server>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    pub fn start(members: usize) -> Cluster {
        let dir = scratch();
        let tool = program("ovsdb-tool");
        let ports: Vec<u16> = (0..members).map(|_| free_port()).collect();
        let mut servers = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let member_dir = dir.path().join(format!("nb{}", i + 1));
            std::fs::create_dir(&member_dir).expect("member dir");
            let db = member_dir.join("nb.db");
            let local = format!("tcp:127.0.0.1:{port}");
            if i == 0 {
                run(Command::new(&tool)
                    .arg("create-cluster")
                    .arg(&db)
                    .arg(nb_schema())
                    .arg(&local));
            } else {
                run(Command::new(&tool)
                    .arg("join-cluster")
                    .arg(&db)
                    .arg(NB)
                    .arg(&local)
                    .arg(format!("tcp:127.0.0.1:{}", ports[0])));
            }
            servers.push(Server::at(&member_dir, db));
        }
        for server in &mut servers {
            server.start();
        }
        let cluster = Cluster { servers, _dir: dir };
        // Every member must have finished joining (and the leader must list them all); a member
        // still joining cannot take part in electing the next leader when the tests kill this one.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cluster.formed(members) {
            assert!(
                Instant::now() < deadline,
                "the cluster did not form in 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    pub fn remotes(&self) -> Vec<String> {
        self.servers.iter().map(Server::remote).collect()
    }

    /// The index of the running member that says it is leader.
    pub fn leader(&self) -> Option<usize> {
        self.servers
            .iter()
            .position(|s| s.is_running() && s.cluster_field("Role").as_deref() == Some("leader"))
    }

    fn formed(&self, members: usize) -> bool {
        let all_members = self
            .servers
            .iter()
            .all(|s| s.cluster_field("Status").as_deref() == Some("cluster member"));
        let listed = self
            .leader()
            .and_then(|i| self.servers[i].cluster_status())
            .map(|status| {
                status
                    .lines()
                    .skip_while(|l| !l.starts_with("Servers:"))
                    .filter(|l| l.contains(" at "))
                    .count()
            });
        all_members && listed == Some(members)
    }
}

/// Client logs go to the test's output (shown when a test fails); RUST_LOG overrides the level.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("neutrino_ovsdb=debug"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A client configuration with short timeouts, so that failures show quickly.
pub fn config(remotes: Vec<String>) -> ClientConfig {
    init_logs();
    let mut config = ClientConfig::new(remotes, NB);
    config.request_timeout = Duration::from_secs(5);
    config.monitor_timeout = Duration::from_secs(10);
    config.connect_timeout = Duration::from_secs(15);
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(500);
    config.probe_interval = Some(Duration::from_secs(2));
    config
}

/// Waits up to `secs` for `condition`, polling.
pub async fn eventually<F: FnMut() -> bool>(secs: u64, what: &str, mut condition: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
