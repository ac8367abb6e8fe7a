//! For tests of the back end (here and in the crates above): a standalone OVN Northbound
//! `ovsdb-server` with a fresh database in a temporary directory, served on a unix socket, killed
//! by PID when dropped; it can be stopped and started again on the same database. Without Open
//! vSwitch and OVN installed a test fails and says what to install.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NB_SCHEMA: &str = "/usr/share/ovn/ovn-nb.ovsschema";
const INSTALL: &str = "install the packages in crates/ovn/APT-PACKAGES (openvswitch-common, ovn-central), e.g. with scripts/test";

/// The path of a program, or a failure naming the packages to install.
pub fn program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["/usr/sbin", "/usr/bin"]
        .into_iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: {INSTALL}"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub struct NbServer {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl NbServer {
    pub fn start() -> NbServer {
        assert!(
            Path::new(NB_SCHEMA).is_file(),
            "{NB_SCHEMA} is missing: {INSTALL}"
        );
        // Under /tmp: a unix socket path must stay under 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("ovn-nb-test-")
            .tempdir_in("/tmp")
            .expect("a temporary directory");
        let db = dir.path().join("nb.db");
        run(Command::new(program("ovsdb-tool"))
            .arg("create")
            .arg(&db)
            .arg(NB_SCHEMA));
        let mut server = NbServer { dir, child: None };
        server.restart();
        server
    }

    /// Stops the server (SIGKILL, by PID); the database file stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server on its database (after [`NbServer::stop`]; a running one is stopped
    /// first) and waits until it listens.
    pub fn restart(&mut self) {
        self.stop();
        let dir = self.dir.path();
        let sock = dir.join("nb.sock");
        let _ = std::fs::remove_file(&sock);
        let mut child = Command::new(program("ovsdb-server"))
            .arg(format!("--remote=punix:{}", sock.display()))
            .arg(format!("--unixctl={}", dir.join("ctl").display()))
            .arg(format!("--log-file={}", dir.join("nb.log").display()))
            .arg("--no-chdir")
            .arg(dir.join("nb.db"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ovsdb-server: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while UnixStream::connect(&sock).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("ovsdb-server exited with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "ovsdb-server did not listen in 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child = Some(child);
    }

    /// The running server's process id (for its CPU time in benchmarks).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn remote(&self) -> String {
        format!("unix:{}", self.dir.path().join("nb.sock").display())
    }

    /// `ovn-nbctl` against this database; its standard output.
    pub fn nbctl(&self, args: &[&str]) -> String {
        run(Command::new(program("ovn-nbctl"))
            .arg(format!("--db={}", self.remote()))
            .arg("--timeout=10")
            .args(args))
    }
}

impl Drop for NbServer {
    fn drop(&mut self) {
        self.stop();
    }
}
