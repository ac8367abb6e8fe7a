//! A small pool of PostgreSQL connections. A semaphore bounds how many are in use (a request
//! waits for a permit without holding a thread); idle connections are kept for reuse, each with
//! the statements it has prepared.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::Statement;

use super::DatabaseConfig;
use super::client::PgClient;
use crate::{CommitStats, StoreError};

/// A connection and the statements prepared on it (keyed by our SQL text).
pub(crate) struct Conn {
    pub(crate) client: PgClient,
    pub(crate) statements: HashMap<String, Statement>,
}

pub(crate) struct Pool {
    config: tokio_postgres::Config,
    /// Where the database is, without the password: for messages.
    target: String,
    idle: Mutex<Vec<Conn>>,
    permits: std::sync::Arc<Semaphore>,
    acquire_timeout: Duration,
    /// The most connections held at once (`max_connections`).
    size: usize,
    /// Requests waiting for a connection now.
    waiting: AtomicU64,
    commits: AtomicU64,
    retries: AtomicU64,
}

impl Pool {
    pub(crate) fn new(url: &str, settings: &DatabaseConfig) -> Result<Pool, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| StoreError::Open {
            target: "the PostgreSQL URL".into(),
            reason: e.to_string(),
        })?;
        config
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .application_name("neutrino");
        let target = format!(
            "postgresql://{}@{:?}/{}",
            config.get_user().unwrap_or_default(),
            config.get_hosts(),
            config.get_dbname().unwrap_or_default()
        );
        Ok(Pool {
            config,
            target,
            idle: Mutex::default(),
            permits: std::sync::Arc::new(Semaphore::new(settings.max_connections.max(1))),
            size: settings.max_connections.max(1),
            waiting: AtomicU64::new(0),
            acquire_timeout: Duration::from_millis(settings.acquire_timeout_ms),
            commits: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// A permit to use one connection; 503 if none frees up in time.
    pub(crate) async fn acquire(&self) -> Result<OwnedSemaphorePermit, StoreError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let waited =
            tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(StoreError::Unavailable(
                "every database connection is busy".into(),
            )),
        }
    }

    /// An idle connection, or a new one. Blocking: call it on the blocking pool.
    pub(crate) fn take(&self) -> Result<Conn, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(c) if !c.client.is_closed() => Ok(c),
            _ => self.connect(),
        }
    }

    pub(crate) fn connect(&self) -> Result<Conn, StoreError> {
        let client = PgClient::connect(&self.config).map_err(|reason| {
            StoreError::Unavailable(format!("cannot connect to {}: {reason}", self.target))
        })?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
        })
    }

    pub(crate) fn put(&self, conn: Conn) {
        if conn.client.is_closed() {
            return;
        }
        if let Ok(mut v) = self.idle.lock() {
            v.push(conn);
        }
    }

    pub(crate) fn count_commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn pool_stats(&self) -> crate::PoolStats {
        crate::PoolStats {
            size: self.size,
            in_use: self.size.saturating_sub(self.permits.available_permits()),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn stats(&self) -> CommitStats {
        let commits = self.commits.load(Ordering::Relaxed);
        CommitStats {
            commits,
            requests: commits,
            retries: self.retries.load(Ordering::Relaxed),
            notifications: 0,
        }
    }
}

impl Drop for Pool {
    /// Closing a blocking client blocks on its runtime, which must not happen on a thread that
    /// runs async tasks (where the last store handle may be dropped): close them elsewhere.
    fn drop(&mut self) {
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            super::off_runtime(move || drop(idle));
        }
    }
}
