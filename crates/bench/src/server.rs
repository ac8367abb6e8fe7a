//! Starting the release server on a loopback port with a fresh data dir, timing its start,
//! reading its memory and CPU from procfs, and stopping it by PID.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Runs the command's process on one CPU only (its threads inherit it).
fn pin_to_cpu(command: &mut Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only sched_setaffinity(2), a system call, runs, on a set
    // built on this stack frame; nothing allocates or takes a lock.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The user the benchmark authenticates as (written to the server's config file).
pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench-password-not-secret";
pub const PROJECT: &str = "bench";
/// A member (not admin) in a project of its own, for the scenarios that list as a tenant.
pub const MEMBER_USER: &str = "bench-member";
pub const MEMBER_PASSWORD: &str = "bench-member-password-not-secret";
pub const MEMBER_PROJECT: &str = "bench-member";

/// A server process this benchmark started.
pub struct Server {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

/// How to start a server.
pub struct Launch<'a> {
    pub bin: &'a Path,
    /// Holds `data/`, `neutrino.toml` and `server.log`.
    pub dir: &'a Path,
    /// `RUST_LOG` for the server.
    pub log_level: &'a str,
    /// Extra environment variables.
    pub env: &'a [(String, String)],
    /// `[database] url`: a PostgreSQL database; `None`: SQLite in the data dir.
    pub database_url: Option<&'a str>,
}

impl Launch<'_> {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn write_config(&self) -> Result<PathBuf> {
        let path = self.dir.join("neutrino.toml");
        let mut text = String::new();
        if let Some(url) = self.database_url {
            text += &format!("[database]\nurl = {}\n\n", toml_string(url));
        }
        for (user, password, project, role) in [
            (USER, PASSWORD, PROJECT, "admin"),
            (MEMBER_USER, MEMBER_PASSWORD, MEMBER_PROJECT, "member"),
        ] {
            text += &format!(
                "[[identity.users]]\nname = \"{user}\"\npassword = \"{password}\"\nproject = \"{project}\"\nroles = [\"{role}\"]\n\n"
            );
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// Spawns the server and polls `GET /` until it answers 200. Returns the server and the
    /// time from spawn to the first served request.
    pub async fn start(&self) -> Result<(Server, Duration)> {
        let config = self.write_config()?;
        self.spawn(&config, &self.data_dir(), self.dir.join("server.log"), None)
            .await
    }

    /// `n` replicas of one service, all from the one generated config (so on one database):
    /// replica `k` has its own loopback port, data dir `data-<k>` and log `server-<k>.log`.
    /// Started one after the other, each once the previous one answers (the first runs the
    /// migrations). `pin`: replica `k` runs on CPU `k mod cores` only.
    pub async fn start_replicas(&self, n: usize, pin: bool) -> Result<Vec<Server>> {
        let config = self.write_config()?;
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let mut servers = Vec::with_capacity(n);
        for k in 0..n {
            let data_dir = self.dir.join(format!("data-{k}"));
            let log = self.dir.join(format!("server-{k}.log"));
            let cpu = pin.then_some(k % cores);
            servers.push(self.spawn(&config, &data_dir, log, cpu).await?.0);
        }
        Ok(servers)
    }

    async fn spawn(
        &self,
        config: &Path,
        data_dir: &Path,
        log: PathBuf,
        cpu: Option<usize>,
    ) -> Result<(Server, Duration)> {
        let port = free_loopback_port()?;
        let listen = format!("127.0.0.1:{port}");
        let log_file = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let probe = // Plain http on loopback: no certificate to trust.
        neutrino_tls::client(neutrino_tls::Trust::Only(Vec::new()))
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("http://{listen}/");

        let started = Instant::now();
        let mut command = Command::new(self.bin);
        if let Some(cpu) = cpu {
            pin_to_cpu(&mut command, cpu);
        }
        let child = command
            .arg("serve")
            .arg("--listen")
            .arg(&listen)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .current_dir(self.dir)
            .env("RUST_LOG", self.log_level)
            // The engine is the generated config's alone, not whatever this shell exports.
            .env_remove("NEUTRINO_DATABASE_URL")
            .env_remove("NEUTRINO_DATABASE__URL")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let mut server = Server { child, url, log };
        loop {
            if let Ok(resp) = probe.get(&server.url).send().await
                && resp.status().is_success()
            {
                let elapsed = started.elapsed();
                let _ = resp.bytes().await;
                return Ok((server, elapsed));
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited with {status} before answering; log:\n{}",
                    server.log_tail()
                );
            }
            if started.elapsed() > Duration::from_secs(30) {
                server.stop();
                bail!(
                    "the server did not answer GET / within 30 s; log:\n{}",
                    server.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// VmRSS and VmHWM (peak) in KiB.
    pub fn memory_kib(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("no {name} in /proc/PID/status"))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// CPU time (user + system) the server has used so far.
    pub fn cpu_time(&self) -> Result<Duration> {
        process_cpu_time(&format!("/proc/{}/stat", self.pid()))
    }

    /// SIGTERM, wait up to 10 s for a graceful exit, then SIGKILL. Only ever signals the
    /// process this benchmark spawned.
    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on the PID of our own child, which has not been reaped yet.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// CPU time (utime + stime) from a `/proc/…/stat` file.
pub fn process_cpu_time(stat_path: &str) -> Result<Duration> {
    let stat =
        std::fs::read_to_string(stat_path).with_context(|| format!("cannot read {stat_path}"))?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("malformed stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime field 15.
    let utime: u64 = fields
        .get(11)
        .and_then(|v| v.parse().ok())
        .context("no utime")?;
    let stime: u64 = fields
        .get(12)
        .and_then(|v| v.parse().ok())
        .context("no stime")?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_secs_f64(
        (utime + stime) as f64 / ticks as f64,
    ))
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_loopback_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(l.local_addr()?.port())
}

/// `perf record -g` (CPU profile) and `perf stat` (fsync/fdatasync calls, i.e. durable commits)
/// attached to the server for one phase; both stopped (SIGINT, by PID) when dropped.
pub struct Profiler {
    children: Vec<Child>,
}

impl Profiler {
    /// Starts profiling `server` into `DIR/<phase>-<server pid>.perf.data` if `dir` is given.
    pub fn start(dir: Option<&Path>, server: &Server, phase: &str) -> Result<Option<Profiler>> {
        let Some(dir) = dir else { return Ok(None) };
        std::fs::create_dir_all(dir)?;
        let pid = server.pid().to_string();
        let out = dir.join(format!("{phase}-{pid}.perf.data"));
        let stat = dir.join(format!("{phase}-{pid}.perf-stat.txt"));
        let events = "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,task-clock";
        let mut children = Vec::new();
        let record = ["record", "-g", "-F", "999", "-p", &pid, "-o"];
        let count = ["stat", "-e", events, "-p", &pid, "-o"];
        for (args, file) in [(&record[..], &out), (&count[..], &stat)] {
            let child = Command::new("perf")
                .args(args)
                .arg(file)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start perf")?;
            children.push(child);
        }
        // Give perf a moment to attach.
        std::thread::sleep(Duration::from_millis(300));
        eprintln!("  profiling {phase} into {}", out.display());
        Ok(Some(Profiler { children }))
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        for child in &mut self.children {
            // SAFETY: kill(2) on the PID of our own child, which has not been reaped yet.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGINT);
            }
            let _ = child.wait();
        }
    }
}
