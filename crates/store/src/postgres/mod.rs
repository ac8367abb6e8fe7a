//! The PostgreSQL engine, for several API replicas on one database.
//!
//! Client: `tokio-postgres`, each connection driven on the thread that uses it ([`client`]). The
//! rules are synchronous closures; run on tokio's blocking pool with a blocking client they stay
//! so, with no async layer between a rule and its statements, and a session sends what it can
//! in one flight ([`session`]). Connections come from a small pool ([`pool`]) bounded by
//! `[database] max_connections`.
//!
//! Isolation: every write runs at SERIALIZABLE and is run again on a serialization failure or
//! deadlock (up to `max_retries` times, with a short random back-off). The rules read, check and
//! then write (quotas, in-use checks, overlaps, documents of parents); SERIALIZABLE makes each
//! of those read-then-write sequences safe across processes without a lock for every rule,
//! and a write closure may run again by contract. Allocation (addresses, MACs, segments) is
//! decided by unique constraints besides. Reads run in READ ONLY REPEATABLE READ
//! transactions: one consistent snapshot per request.

mod changes;
mod client;
mod pool;
mod session;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::feed::Feed;
use crate::migrations::{self, Migration};
use crate::tx::Tx;
use crate::{CommitStats, StoreError};
use pool::{Conn, Pool};
use session::{BEGIN_READ, BEGIN_WRITE, Failure, PgSession};

/// `[database]`: which engine, and the PostgreSQL engine's settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Empty: SQLite in the data directory. `postgresql://user:password@host:port/db`: that
    /// PostgreSQL database.
    pub url: String,
    /// Most connections this process opens.
    pub max_connections: usize,
    /// How long a request waits for a free connection before it answers 503.
    pub acquire_timeout_ms: u64,
    /// How long opening a connection may take.
    pub connect_timeout_ms: u64,
    /// How often a write is run again after a serialization failure or deadlock.
    pub max_retries: u32,
    /// Both engines: how long change-feed entries are kept while no consumer is registered
    /// (a registered consumer holds back every entry it has not passed).
    pub outbox_retain_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: 16,
            acquire_timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
            max_retries: 20,
            outbox_retain_secs: 86_400,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Postgres {
    pool: Arc<Pool>,
    retries: u32,
    feed: Feed,
    /// Whether the listener for other processes' changes runs (started by the first subscriber).
    listening: Arc<std::sync::Once>,
    notifier: Arc<changes::Notifier>,
    /// The backend pid of this store's listener connection (0: none yet), which its notifier
    /// does not count as another process listening (see [`changes`]).
    own_listener: Arc<std::sync::atomic::AtomicI32>,
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration::sql(
        "0001_core",
        include_str!("../../migrations/postgres/0001_core.sql"),
    ),
    Migration::sql(
        "0002_security_groups",
        include_str!("../../migrations/postgres/0002_security_groups.sql"),
    ),
    Migration::sql(
        "0003_l3",
        include_str!("../../migrations/postgres/0003_l3.sql"),
    ),
    Migration::sql(
        "0004_quotas_rbac",
        include_str!("../../migrations/postgres/0004_quotas_rbac.sql"),
    ),
    Migration::sql(
        "0005_subnetpools",
        include_str!("../../migrations/postgres/0005_subnetpools.sql"),
    ),
    Migration::sql(
        "0006_ip_keys",
        include_str!("../../migrations/postgres/0006_ip_keys.sql"),
    )
    .then(crate::allocations::backfill_keys),
    Migration::sql(
        "0007_outbox",
        include_str!("../../migrations/postgres/0007_outbox.sql"),
    ),
    Migration::sql(
        "0008_list_columns",
        include_str!("../../migrations/postgres/0008_list_columns.sql"),
    ),
    Migration::sql(
        "0009_status",
        include_str!("../../migrations/postgres/0009_status.sql"),
    ),
    Migration::sql(
        "0010_mac_index",
        include_str!("../../migrations/postgres/0010_mac_index.sql"),
    ),
    Migration::sql(
        "0011_derived_fields",
        include_str!("../../migrations/postgres/0011_derived_fields.sql"),
    ),
    Migration::sql(
        "0012_tags",
        include_str!("../../migrations/postgres/0012_tags.sql"),
    )
    .then(crate::tags::backfill),
    Migration::sql(
        "0013_port_written_once",
        include_str!("../../migrations/postgres/0013_port_written_once.sql"),
    ),
    Migration::sql(
        "0014_consumer_status",
        include_str!("../../migrations/postgres/0014_consumer_status.sql"),
    ),
    Migration::sql(
        "0015_agents",
        include_str!("../../migrations/postgres/0015_agents.sql"),
    ),
    Migration::sql(
        "0016_leases",
        include_str!("../../migrations/postgres/0016_leases.sql"),
    ),
    Migration::sql(
        "0017_signing_keys",
        include_str!("../../migrations/postgres/0017_signing_keys.sql"),
    ),
    Migration::sql(
        "0018_trunks",
        include_str!("../../migrations/postgres/0018_trunks.sql"),
    ),
    Migration::sql(
        "0019_qos",
        include_str!("../../migrations/postgres/0019_qos.sql"),
    ),
    Migration::sql(
        "0020_identity_directory",
        include_str!("../../migrations/postgres/0020_identity_directory.sql"),
    ),
    Migration::sql(
        "0021_auto_allocated_topologies",
        include_str!("../../migrations/postgres/0021_auto_allocated_topologies.sql"),
    ),
    Migration::sql(
        "0022_port_forwardings",
        include_str!("../../migrations/postgres/0022_port_forwardings.sql"),
    ),
    Migration::sql(
        "0023_secgroups",
        include_str!("../../migrations/postgres/0023_secgroups.sql"),
    ),
    Migration::sql(
        "0024_segments",
        include_str!("../../migrations/postgres/0024_segments.sql"),
    ),
    Migration::sql(
        "0025_routers",
        include_str!("../../migrations/postgres/0025_routers.sql"),
    )
    .then(crate::l3::backfill_router_flags),
    Migration::sql(
        "0026_port_extensions",
        include_str!("../../migrations/postgres/0026_port_extensions.sql"),
    ),
    Migration::sql(
        "0027_logs",
        include_str!("../../migrations/postgres/0027_logs.sql"),
    ),
    Migration::sql(
        "0028_router_gateways",
        include_str!("../../migrations/postgres/0028_router_gateways.sql"),
    )
    .then(crate::l3::backfill_router_gateways),
    Migration::sql(
        "0029_port_attributes",
        include_str!("../../migrations/postgres/0029_port_attributes.sql"),
    ),
    Migration::sql(
        "0030_router_schedules",
        include_str!("../../migrations/postgres/0030_router_schedules.sql"),
    ),
];

/// Serializes migrations of replicas that start together (`pg_advisory_xact_lock`).
const MIGRATION_LOCK: i64 = 0x6e65_7574_7269_6e6f; // "neutrino"

/// The outcome of one run of a write.
enum Attempt<T, E> {
    /// Finished: the closure's result, and whether a resource changed.
    Done(Result<T, E>, bool),
    Again(StoreError),
}

impl Postgres {
    pub(crate) fn open(settings: &DatabaseConfig, feed: Feed) -> Result<Postgres, StoreError> {
        let pool = Pool::new(&settings.url, settings)?;
        off_runtime(|| {
            let mut conn = pool.connect()?;
            migrate(&mut conn)?;
            pool.put(conn);
            Ok(())
        })?;
        let pool = Arc::new(pool);
        let own_listener = Arc::default();
        Ok(Postgres {
            notifier: Arc::new(changes::Notifier::start(
                pool.clone(),
                Arc::clone(&own_listener),
            )),
            own_listener,
            pool,
            retries: settings.max_retries,
            feed,
            listening: Arc::new(std::sync::Once::new()),
        })
    }

    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&Tx) -> Result<T, E> + Send + 'static,
    {
        let permit = self.pool.acquire().await.map_err(E::from)?;
        let (pool, retries, feed) = (self.pool.clone(), self.retries, self.feed.clone());
        let notifier = self.notifier.clone();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take().map_err(E::from)?;
            let mut attempt = 0;
            loop {
                let outcome = match attempt {
                    0 => write_once(&mut conn, &f),
                    _ => one_retrier_at_a_time(&mut conn, |conn| write_once(conn, &f)),
                };
                match outcome {
                    Attempt::Done(result, changed) => {
                        pool.count_commit();
                        pool.put(conn);
                        if changed {
                            feed.wake();
                            notifier.announce();
                        }
                        return result;
                    }
                    Attempt::Again(e @ StoreError::Unavailable(_)) => return Err(E::from(e)),
                    Attempt::Again(e) if attempt >= retries => {
                        pool.put(conn);
                        return Err(E::from(e));
                    }
                    Attempt::Again(e) => {
                        attempt += 1;
                        pool.count_retry();
                        tracing::debug!(attempt, error = %e, "retrying a write");
                        backoff(attempt);
                    }
                }
            }
        });
        job.await
            .map_err(|_| E::from(StoreError::Unavailable("a database worker failed".into())))?
    }

    pub(crate) async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Tx) -> Result<T, E> + Send + 'static,
    {
        let permit = self.pool.acquire().await.map_err(E::from)?;
        let pool = self.pool.clone();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take().map_err(E::from)?;
            let session = PgSession::new(&mut conn, BEGIN_READ);
            let result = f(&Tx::new(&session));
            let broken = session.failure() == Some(Failure::Broken);
            // Nothing to keep: ending a read-only transaction either way is the same.
            session.rollback();
            if !broken {
                pool.put(conn);
            }
            result
        });
        job.await
            .map_err(|_| E::from(StoreError::Unavailable("a database worker failed".into())))?
    }

    pub(crate) fn pool_stats(&self) -> crate::PoolStats {
        self.pool.pool_stats()
    }

    pub(crate) fn stats(&self) -> CommitStats {
        CommitStats {
            notifications: self.notifier.sent(),
            ..self.pool.stats()
        }
    }

    /// Gives the committed outbox entries their feed positions (see [`changes`]).
    pub(crate) async fn sequence_outbox(&self) -> Result<(), StoreError> {
        let permit = self.pool.acquire().await?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take()?;
            let result = changes::sequence(&mut conn);
            if !matches!(result, Err(StoreError::Unavailable(_))) {
                pool.put(conn);
            }
            result
        })
        .await
        .map_err(|_| StoreError::Unavailable("a database worker failed".into()))?
    }

    /// Starts listening for other processes' changes (once).
    pub(crate) fn listen_for_changes(&self) {
        self.listening.call_once(|| {
            changes::listen(
                self.pool.clone(),
                self.feed.downgrade(),
                self.own_listener.clone(),
            )
        });
    }
}

/// Runs `f` once in a SERIALIZABLE transaction and commits it if it succeeded.
fn write_once<T, E, F>(conn: &mut Conn, f: &F) -> Attempt<T, E>
where
    E: From<StoreError>,
    F: Fn(&Tx) -> Result<T, E>,
{
    let session = PgSession::new(conn, BEGIN_WRITE);
    let (result, changed) = {
        let tx = Tx::new(&session);
        let result = f(&tx);
        (result, tx.changed())
    };
    match (result, session.failure()) {
        (_, Some(Failure::Broken)) => Attempt::Again(StoreError::Unavailable(
            "the database connection was lost".into(),
        )),
        (_, Some(Failure::Retry)) => {
            session.rollback();
            Attempt::Again(StoreError::Retry("serialization failure".into()))
        }
        (Err(e), None) => {
            session.rollback();
            Attempt::Done(Err(e), false)
        }
        // A statement sent with the commit may fail as it would have alone (a constraint);
        // the commit itself only by serialization or a lost connection.
        (Ok(v), None) => match session.commit() {
            Ok(()) => Attempt::Done(Ok(v), changed),
            Err(err @ (StoreError::Retry(_) | StoreError::Unavailable(_))) => Attempt::Again(err),
            Err(err) => Attempt::Done(Err(E::from(err)), false),
        },
    }
}

/// Serializes retried writes across every process on the database (a session advisory lock
/// taken before the transaction starts). Concurrent creates in one subnet or project read what
/// the others write (the free-address search, the quota count), so SERIALIZABLE lets only some
/// of them commit each round; without this, the losers collide again with each other on every
/// retry. One retrier at a time collides only with first attempts, and gets through.
fn one_retrier_at_a_time<T, E>(
    conn: &mut Conn,
    run: impl FnOnce(&mut Conn) -> Attempt<T, E>,
) -> Attempt<T, E> {
    let lock = |conn: &mut Conn, sql: &'static str| {
        conn.client
            .run(|c| async move { c.execute(sql, &[&RETRY_LOCK]).await })
            .map_err(|e| session::store_error(&e))
    };
    if let Err(e) = lock(conn, "SELECT pg_advisory_lock($1)") {
        return Attempt::Again(e);
    }
    let outcome = run(conn);
    if let Err(e) = lock(conn, "SELECT pg_advisory_unlock($1)") {
        // The lock goes with the session: a broken connection is dropped, not reused.
        return Attempt::Again(e);
    }
    outcome
}

/// The advisory lock of [`one_retrier_at_a_time`].
const RETRY_LOCK: i64 = 0x6e65_7574_7265_7472; // "neutretr"

/// Waits a random 1–2^attempt ms (at most ~0.5 s) so that transactions that collided do not
/// collide again.
fn backoff(attempt: u32) {
    let top = 1u64 << attempt.min(9);
    let ms = rand::rng().random_range(1..=top);
    std::thread::sleep(Duration::from_millis(ms));
}

/// Runs `f` on a thread of its own. The blocking client drives its connection with a runtime of
/// its own, which cannot start on a thread that is already running async tasks (as the caller
/// of `Store::open` may be).
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Applies pending migrations in one transaction, one replica at a time.
fn migrate(conn: &mut Conn) -> Result<(), StoreError> {
    migrate_history(conn, MIGRATIONS)
}

/// Applies the pending migrations of `history` (a prefix of [`MIGRATIONS`] in tests).
fn migrate_history(conn: &mut Conn, history: &[Migration]) -> Result<(), StoreError> {
    let session = PgSession::new(conn, "BEGIN");
    let tx = Tx::new(&session);
    let applied = (|| {
        tx.execute("SELECT pg_advisory_xact_lock(?1)", &[MIGRATION_LOCK.into()])?;
        session.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )?;
        migrations::apply(&tx, history, |sql| session.batch(sql))
    })();
    drop(tx);
    let applied = match applied {
        Ok(applied) => applied,
        Err(e) => {
            session.rollback();
            return Err(e);
        }
    };
    session.commit()?;
    for name in applied {
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}
