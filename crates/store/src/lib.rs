//! The store: the only place SQL lives.
//!
//! The rules see one transaction interface, [`Tx`], and the typed operations written on it
//! (`get_doc`, `list_docs`, `insert_row`, `insert_allocation`, `first_free_key`, ...); no engine
//! type appears outside the engine modules. Engines:
//!
//! * `sqlite`: embedded, the default; one writer thread with group commit and durable
//!   acknowledgements.
//! * `postgres`: for several API replicas on one database; SERIALIZABLE transactions that are
//!   run again on serialization failures.
//!
//! A write is a closure that may run more than once (an engine may retry it after a
//! serialization failure), so it must have no effect outside its transaction.

pub mod agents;
mod allocations;
mod error;
mod feed;
pub mod flavors;
pub mod identity_directory;
pub mod l3;
pub mod leases;
mod lists;
mod migrations;
pub mod outbox;
mod postgres;
mod queries;
mod quotas;
mod rbac;
pub mod schedules;
mod security_groups;
pub mod signing_keys;
mod sqlite;
pub mod tables;
mod tags;
pub mod testing;
mod tx;
mod value;

use std::path::{Path, PathBuf};

pub use allocations::*;
pub use error::{Constraint, StoreError};
pub use feed::Subscription;
pub use lists::*;
pub use outbox::{Change, Op};
pub use postgres::DatabaseConfig;
pub use queries::*;
pub use quotas::*;
pub use rbac::*;
pub use security_groups::*;
pub use tags::all_tags;
pub use tx::{Read, Tx};
pub use value::{Row, Value};

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Engine,
    feed: feed::Feed,
}

#[derive(Clone)]
enum Engine {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Counters of the commits: how many requests shared how many commits.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommitStats {
    pub commits: u64,
    pub requests: u64,
    /// Transactions run again after a serialization failure or deadlock.
    pub retries: u64,
    /// Change notifications sent to other processes (PostgreSQL; none while no other process
    /// listens).
    pub notifications: u64,
}

/// The PostgreSQL connection pool now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// The most connections the pool holds (`max_connections`).
    pub size: usize,
    /// Connections lent to a transaction.
    pub in_use: usize,
    /// Requests waiting for a connection.
    pub waiting: u64,
}

impl Store {
    /// Opens the database `cfg` names: PostgreSQL when it has a URL, else SQLite in `data_dir`.
    pub fn open(cfg: &DatabaseConfig, data_dir: &Path) -> Result<Store, StoreError> {
        let url = cfg.url.trim();
        if url.is_empty() {
            return Store::open_sqlite(&sqlite_path(data_dir));
        }
        if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
            return Err(StoreError::Open {
                target: "[database] url".into(),
                reason: "expected empty (SQLite in the data directory) or postgresql://…".into(),
            });
        }
        Store::open_postgres(cfg)
    }

    /// Connects to the PostgreSQL database of `cfg.url` and applies pending migrations.
    pub fn open_postgres(cfg: &DatabaseConfig) -> Result<Store, StoreError> {
        let feed = feed::Feed::new();
        Ok(Store {
            engine: Engine::Postgres(postgres::Postgres::open(cfg, feed.clone())?),
            feed,
        })
    }

    /// Opens (creating if needed) the SQLite database at `path` and applies pending migrations.
    pub fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        let feed = feed::Feed::new();
        Ok(Store {
            engine: Engine::Sqlite(sqlite::Sqlite::open(path, feed.clone())?),
            feed,
        })
    }

    /// Runs `f` in a transaction and returns its result once the commit is durable. If `f`
    /// fails, its changes are rolled back and nobody else's are affected. `f` may run more than
    /// once: it must not change anything outside the transaction.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&Tx) -> Result<T, E> + Send + 'static,
    {
        match &self.engine {
            Engine::Sqlite(db) => db.write(f).await,
            Engine::Postgres(db) => db.write(f).await,
        }
    }

    /// Runs `f` in a read-only transaction that sees committed data.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Tx) -> Result<T, E> + Send + 'static,
    {
        match &self.engine {
            Engine::Sqlite(db) => db.read(f).await,
            Engine::Postgres(db) => db.read(f).await,
        }
    }

    /// The outbox entries after position `after`, oldest first, at most `limit`.
    pub async fn changes(&self, after: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
        if let Engine::Postgres(db) = &self.engine {
            db.sequence_outbox().await?;
        }
        self.read(move |tx| outbox::changes_since(tx, after, limit))
            .await
    }

    /// The position of the newest change in the feed (0 when it is empty): a consumer that reads
    /// the resources after taking it has seen every change up to it.
    pub async fn feed_position(&self) -> Result<i64, StoreError> {
        if let Engine::Postgres(db) = &self.engine {
            db.sequence_outbox().await?;
        }
        self.read(outbox::last_position).await
    }

    /// Wakes after every commit that changed a resource, in this process or (on PostgreSQL)
    /// in any process on the same database.
    pub fn subscribe(&self) -> Subscription {
        if let Engine::Postgres(db) = &self.engine {
            db.listen_for_changes();
        }
        self.feed.subscribe()
    }

    /// Deletes outbox entries that every registered consumer has passed (with none registered,
    /// entries older than `retain_ms`).
    pub async fn prune_outbox(&self, retain_ms: i64) -> Result<usize, StoreError> {
        if let Engine::Postgres(db) = &self.engine {
            db.sequence_outbox().await?;
        }
        self.write(move |tx| outbox::prune(tx, retain_ms)).await
    }

    /// The migrations of this binary the database lacks (empty: current). Reads the database,
    /// so an unreachable one is an error too: what a readiness probe asks.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        match &self.engine {
            Engine::Sqlite(db) => {
                db.read(|tx| migrations::pending(tx, sqlite::migrate::MIGRATIONS))
                    .await
            }
            Engine::Postgres(db) => {
                db.read(|tx| migrations::pending(tx, postgres::MIGRATIONS))
                    .await
            }
        }
    }

    /// The connection pool (PostgreSQL; SQLite has none: one writer, readers on demand).
    pub fn pool_stats(&self) -> Option<PoolStats> {
        match &self.engine {
            Engine::Sqlite(_) => None,
            Engine::Postgres(db) => Some(db.pool_stats()),
        }
    }

    /// Statistics of the commits, for metrics and benchmarks.
    pub fn commit_stats(&self) -> CommitStats {
        match &self.engine {
            Engine::Sqlite(db) => db.stats(),
            Engine::Postgres(db) => db.stats(),
        }
    }
}

/// Where the SQLite file lives inside a data directory.
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("neutrino.sqlite")
}

/// Milliseconds since the Unix epoch.
pub fn unix_time_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
