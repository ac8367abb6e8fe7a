//! A throwaway PostgreSQL database per server start: created on the server `--database-url`
//! names, handed to the Neutrino server as its `[database] url`, dropped afterwards.
//!
//! The `postgres` client is synchronous and runs its own runtime, so it must never be called on
//! a thread inside the benchmark's tokio runtime: every call here runs on a plain thread of its
//! own ([`off_runtime`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};

use crate::server::process_cpu_time;

/// Runs `f` on a new plain thread and waits for it: safe to call from async code (it blocks the
/// calling thread, which is what the benchmark wants between its timed phases).
pub fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .map_err(|_| anyhow!("a PostgreSQL client thread panicked"))?
    })
}

/// Connects with `url` (no TLS: the benchmark's server is local).
pub fn connect(url: &str) -> Result<postgres::Client> {
    postgres::Client::connect(url, postgres::NoTls)
        .with_context(|| format!("cannot connect to {}", redact(url)))
}

/// A database this benchmark created; dropped (with any session still on it) when dropped.
pub struct TempDatabase {
    /// The URL given on the command line; its database is where `CREATE/DROP DATABASE` run.
    admin_url: String,
    pub name: String,
    /// The URL of the new database, for the server's config.
    pub url: String,
    /// Whether the server runs on this machine (a loopback host or a unix socket), so that
    /// its backends' CPU can be read from /proc.
    local: bool,
}

impl TempDatabase {
    /// `CREATE DATABASE bench_<pid>_<nanos>` on the server of `admin_url`.
    pub fn create(admin_url: &str) -> Result<TempDatabase> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("bench_{}_{nanos:x}", std::process::id());
        let url = with_database(admin_url, &name)?;
        off_runtime(|| {
            connect(admin_url)?
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .with_context(|| format!("CREATE DATABASE {name}"))
        })?;
        Ok(TempDatabase {
            admin_url: admin_url.to_string(),
            name,
            url,
            local: is_local(admin_url),
        })
    }

    /// CPU time (user + system) used so far by the PostgreSQL backends connected to this
    /// database (the server's pool), from /proc; `None` if the PostgreSQL server is not on this
    /// machine or a backend cannot be read. Backends that exit between two readings take their
    /// CPU with them, so only differences over a phase with a steady pool mean anything.
    pub fn backend_cpu(&self) -> Option<Duration> {
        if !self.local {
            return None;
        }
        let pids: Vec<i32> = off_runtime(|| {
            let rows = connect(&self.admin_url)?.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1::text",
                &[&self.name],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
        .ok()?;
        pids.iter()
            .map(|pid| process_cpu_time(&format!("/proc/{pid}/stat")).ok())
            .sum()
    }

    /// `pg_database_size` of the database (what a restart reads, roughly).
    pub fn size_bytes(&self) -> Result<u64> {
        off_runtime(|| {
            let row = connect(&self.admin_url)?
                .query_one("SELECT pg_database_size($1::text)", &[&self.name])?;
            Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let result = off_runtime(|| {
            connect(&self.admin_url)?
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .map_err(Into::into)
        });
        if let Err(e) = result {
            eprintln!(
                "warning: could not drop the benchmark database {}: {e:#}",
                self.name
            );
        }
    }
}

/// `url` with its database (the path) replaced by `name`; user, password, host and query kept.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| *s == "postgresql" || *s == "postgres")
        .with_context(|| format!("expected postgresql://…, got {}", redact(url)))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.is_empty() {
        bail!("no host in {}", redact(url));
    }
    let query = tail.find('?').map_or("", |q| &tail[q..]);
    Ok(format!("{scheme}://{authority}/{name}{query}"))
}

/// Whether the host of `url` is a loopback address, `localhost` or a unix socket directory.
fn is_local(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => hostport.split(':').next().unwrap_or_default(),
    };
    let query_host = rest
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("host=")));
    match query_host {
        Some(h) => h.starts_with('/') || h.starts_with("%2F") || h.starts_with("%2f"),
        None => host.is_empty() || host == "localhost" || host == "::1" || host.starts_with("127."),
    }
}

/// `url` with its password replaced by `***`, for messages and the JSON results.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_database() {
        let u = "postgresql://neutrino:pw@127.0.0.1:5433/neutrino";
        assert_eq!(
            with_database(u, "bench_1").unwrap(),
            "postgresql://neutrino:pw@127.0.0.1:5433/bench_1"
        );
        assert_eq!(
            with_database("postgres://u@h?sslmode=disable", "b").unwrap(),
            "postgres://u@h/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://u@h:1/d?a=1", "b").unwrap(),
            "postgresql://u@h:1/b?a=1"
        );
        assert!(with_database("mysql://h/d", "b").is_err());
    }

    #[test]
    fn knows_a_local_server() {
        assert!(is_local("postgresql://u:p@127.0.0.1:5433/d"));
        assert!(is_local("postgresql://u@localhost/d"));
        assert!(is_local("postgresql://u@[::1]:5432/d"));
        assert!(is_local("postgresql:///d?host=/tmp/pg"));
        assert!(!is_local("postgresql://u:p@db.example:5432/d"));
        assert!(!is_local("postgresql://u@localhost/d?host=db.example"));
    }

    #[test]
    fn hides_the_password() {
        assert_eq!(
            redact("postgresql://neutrino:secret@127.0.0.1:5433/neutrino"),
            "postgresql://neutrino:***@127.0.0.1:5433/neutrino"
        );
        assert_eq!(redact("postgresql://u@h/d"), "postgresql://u@h/d");
    }
}
