//! The machine's raw durable commit rate: single-row transactions on SQLite in WAL mode with
//! `synchronous=FULL` (the server's settings), one after another, on the same file system as
//! the server's data dir. Every commit waits for its own fsync, so this is the ceiling of a
//! server that commits each request alone; group commit beats it only by batching requests.
//! With PostgreSQL, the same from one client on the benchmark's PostgreSQL server.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct CommitRate {
    pub commits: u64,
    pub seconds: f64,
    pub commits_per_s: f64,
}

/// Commits single-row transactions for about `duration` (at least 100 commits).
pub fn sqlite_commit_rate(dir: &Path, duration: Duration) -> Result<CommitRate> {
    let path = dir.join("baseline.sqlite");
    let conn = rusqlite::Connection::open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")?;
    let doc = "x".repeat(700); // about the size of a port document
    let mut insert = conn.prepare("INSERT INTO t (doc) VALUES (?1)")?;
    // One warm-up commit creates the WAL.
    insert.execute([&doc])?;
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed() < duration || commits < 100 {
        // Autocommit: each statement is its own transaction and its own fsync.
        insert.execute([&doc])?;
        commits += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(insert);
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("baseline.sqlite{suffix}")));
    }
    Ok(CommitRate {
        commits,
        seconds,
        commits_per_s: commits as f64 / seconds,
    })
}

/// Commits single-row `INSERT`s from one client (autocommit: one transaction, one WAL flush
/// each) into a scratch table of the database at `url` for about `duration` (at least 100
/// commits), then drops the table. Warns when the server does not flush commits
/// (`synchronous_commit` or `fsync` off), since the figure is then not a durable one.
pub fn postgres_commit_rate(url: &str, duration: Duration) -> Result<CommitRate> {
    crate::database::off_runtime(|| {
        let mut client = crate::database::connect(url)?;
        for setting in ["synchronous_commit", "fsync"] {
            let value: String = client.query_one(&format!("SHOW {setting}"), &[])?.get(0);
            if value != "on" {
                eprintln!("warning: PostgreSQL has {setting} = {value}: commits are not durable");
            }
        }
        client.batch_execute(
            "CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, doc text NOT NULL)",
        )?;
        let doc = "x".repeat(700); // about the size of a port document
        let insert = client.prepare("INSERT INTO bench_baseline (doc) VALUES ($1)")?;
        client.execute(&insert, &[&doc])?;
        let started = Instant::now();
        let mut commits = 0u64;
        while started.elapsed() < duration || commits < 100 {
            client.execute(&insert, &[&doc])?;
            commits += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        client.batch_execute("DROP TABLE bench_baseline")?;
        Ok(CommitRate {
            commits,
            seconds,
            commits_per_s: commits as f64 / seconds,
        })
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct CpuRate {
    pub ops: u64,
    pub seconds: f64,
    pub ops_per_s: f64,
}

/// The CPU this run got: round trips of a port-sized JSON document (parse into a value tree,
/// serialize) on one thread for about `duration`. On a quiet machine this is a constant; when
/// other work shares the cores it drops, which tells a slow run from a slow server.
pub fn json_cpu_rate(duration: Duration) -> Result<CpuRate> {
    let doc = serde_json::json!({
        "id": "9a1c6c0e-54a4-4a8e-9d0e-6f3e3c1b2a10", "name": "bench-port-1", "network_id": "1b4f0e9b-2c6e-4b8e-8a7f-0c9d8e7f6a5b",
        "project_id": "0d6b1c2e3f4a5b6c7d8e9f0a1b2c3d4e", "tenant_id": "0d6b1c2e3f4a5b6c7d8e9f0a1b2c3d4e",
        "mac_address": "fa:16:3e:12:34:56", "admin_state_up": true, "status": "DOWN", "device_id": "bench-device-00001",
        "device_owner": "", "fixed_ips": [{"subnet_id": "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716", "ip_address": "10.0.0.2"}],
        "allowed_address_pairs": [], "extra_dhcp_opts": [], "security_groups": [], "description": "", "tags": [],
        "binding:vnic_type": "normal", "port_security_enabled": true, "dns_name": "", "dns_assignment": [],
        "created_at": "2026-11-22T06:00:00Z", "updated_at": "2026-11-22T06:00:00Z", "revision_number": 1,
    })
    .to_string();
    let started = Instant::now();
    let mut ops = 0u64;
    while started.elapsed() < duration || ops < 1000 {
        for _ in 0..100 {
            let v: serde_json::Value = serde_json::from_str(&doc)?;
            std::hint::black_box(serde_json::to_vec(&v)?);
        }
        ops += 100;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(CpuRate {
        ops,
        seconds,
        ops_per_s: ops as f64 / seconds,
    })
}
