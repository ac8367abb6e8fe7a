//! The change feed on PostgreSQL. Transactions commit in another order than they append to the
//! outbox, so an entry is given its position (`seq`) only after it committed, by the sequencer:
//! one at a time (an advisory lock), in append order, in a READ COMMITTED transaction that sees
//! every entry committed so far. A consumer reading `seq > position` thus never skips an entry
//! that committed late.
//!
//! Other processes learn of changes by a `NOTIFY` on the schema's channel ([`CHANNEL`] and a
//! digest of the schema: deployments may share a database, one schema each), sent by the
//! [`Notifier`] after a commit that changed a resource — from its own connection, after the
//! commit and coalesced, because a NOTIFY inside the writing transaction takes a lock at commit
//! that every other notifying commit waits for (it would serialize all writes). A NOTIFY is a
//! transaction of its own, so it is sent only while another process listens: a listener
//! connection is named after its schema ([`listener_name`]), and the notifiers look for other
//! such connections in `pg_stat_activity`, at most once per [`LOOK_AGAIN`] and only while they
//! have something to announce. A listener that has just started may not have been seen yet, so
//! for its first [`DISCOVERY`] it looks at the outbox every [`POLL`] besides.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::pool::{Conn, Pool};
use super::session::{PgSession, store_error};
use crate::StoreError;
use crate::tx::Tx;

/// The notification channels' names start with this; the schema's digest follows.
const CHANNEL: &str = "neutrino_changes_";

/// A digest of the connection's schema, as SQL: names are short and plain ASCII whatever the
/// schema is called (an `application_name` keeps 63 bytes of printable ASCII).
const SCHEMA_DIGEST: &str = "left(md5(current_schema()), 16)";

/// The `application_name` of a listener connection, as SQL: "neutrino-listen" and the digest.
fn listener_name() -> String {
    format!("'neutrino-listen ' || {SCHEMA_DIGEST}")
}

/// How old the notifier's knowledge of other listeners may be when it decides to stay silent.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// How long a new listener also looks at the outbox by itself: until every notifier has seen it.
pub(crate) const DISCOVERY: Duration = Duration::from_secs(3);

/// How often a new listener looks at the outbox during [`DISCOVERY`].
const POLL: Duration = Duration::from_millis(100);

/// Serializes sequencers across processes.
const SEQUENCER_LOCK: i64 = 0x6e65_7574_7365_7131; // "neutseq1"

/// Gives committed, unsequenced entries their positions, in append order.
pub(crate) fn sequence(conn: &mut Conn) -> Result<(), StoreError> {
    let session = PgSession::new(conn, "BEGIN");
    let tx = Tx::new(&session);
    let sequenced = (|| {
        tx.execute("SELECT pg_advisory_xact_lock(?1)", &[SEQUENCER_LOCK.into()])?;
        // A new statement: READ COMMITTED sees what the previous sequencer committed.
        tx.execute(
            "UPDATE outbox SET seq = s.n FROM (\
                 SELECT id, (SELECT COALESCE(MAX(seq), 0) FROM outbox) \
                            + row_number() OVER (ORDER BY id) AS n \
                 FROM outbox WHERE seq IS NULL) s \
             WHERE outbox.id = s.id",
            &[],
        )
    })();
    drop(tx);
    match sequenced {
        Ok(_) => session.commit(),
        Err(e) => {
            session.rollback();
            Err(e)
        }
    }
}

/// Listens for other processes' changes on a connection of its own and wakes the feed, until
/// the store is gone. Reconnects after a lost connection. `own_listener` receives the backend
/// pid of the listener's connection.
pub(crate) fn listen(
    pool: Arc<Pool>,
    feed: Weak<watch::Sender<u64>>,
    own_listener: Arc<AtomicI32>,
) {
    let spawned = std::thread::Builder::new()
        .name("store-listen".into())
        .spawn(move || {
            while feed.strong_count() > 0 {
                if let Err(e) = listen_once(&pool, &feed, &own_listener) {
                    tracing::warn!(error = %e, "change notifications lost; reconnecting");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the change listener");
    }
}

fn listen_once(
    pool: &Pool,
    feed: &Weak<watch::Sender<u64>>,
    own_listener: &AtomicI32,
) -> Result<(), StoreError> {
    let mut conn = pool.connect()?;
    // The pid first: a notifier that sees this connection named knows it is its own.
    let (pid, digest): (i32, String) = conn
        .client
        .run(|c| async move {
            let sql = format!("SELECT pg_backend_pid(), {SCHEMA_DIGEST}");
            let row = c.query_one(&sql, &[]).await?;
            Ok((row.get(0), row.get(1)))
        })
        .map_err(|e| store_error(&e))?;
    own_listener.store(pid, Ordering::Relaxed);
    simple(
        &mut conn,
        &format!(
            "SELECT set_config('application_name', {}, false); \
             LISTEN {CHANNEL}{digest}",
            listener_name()
        ),
    )?;
    let started = Instant::now();
    // Changes made while nobody listened are in the outbox; a wake makes subscribers look.
    wake(feed);
    loop {
        let Some(sender) = feed.upgrade() else {
            return Ok(());
        };
        drop(sender);
        let discovering = started.elapsed() < DISCOVERY;
        let timeout = if discovering {
            POLL
        } else {
            Duration::from_secs(1)
        };
        // One wake covers every notification that came meanwhile.
        let got = conn
            .client
            .wait_notification(timeout)
            .map_err(|e| store_error(&e))?;
        if got || discovering {
            wake(feed);
        }
        if conn.client.is_closed() {
            return Err(StoreError::Unavailable("listener connection closed".into()));
        }
    }
}

/// Runs one statement outside a transaction.
fn simple(conn: &mut Conn, sql: &str) -> Result<(), StoreError> {
    conn.client
        .run(|c| c.batch_execute(sql))
        .map_err(|e| store_error(&e))
}

fn wake(feed: &Weak<watch::Sender<u64>>) {
    if let Some(sender) = feed.upgrade() {
        sender.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Announces committed changes to other processes: many commits in a few milliseconds make one
/// notification. Subscribers only learn "look at the outbox", so one per burst is enough.
pub(crate) struct Notifier {
    shared: Arc<Shared>,
}

/// What a store's writers and its notifier thread share.
struct Shared {
    /// Commits not announced yet.
    pending: Mutex<bool>,
    wake: Condvar,
    /// Whether another process listened at the notifier's last look. While none does, a commit
    /// does not wake the notifier: it looks again at its next tick.
    others_listening: AtomicBool,
    sent: AtomicU64,
}

/// How long the notifier waits for more commits before it announces them.
const COALESCE: Duration = Duration::from_millis(2);

impl Notifier {
    /// Starts a store's notifier; its own listener (backend pid in `own_listener`) does not
    /// count as another process.
    pub(crate) fn start(pool: Arc<Pool>, own_listener: Arc<AtomicI32>) -> Notifier {
        let shared = Arc::new(Shared {
            pending: Mutex::new(false),
            wake: Condvar::new(),
            // Until the first look: the first commit wakes the notifier, which looks.
            others_listening: AtomicBool::new(true),
            sent: AtomicU64::new(0),
        });
        let mut announcer = Announcer {
            pool,
            own_listener,
            conn: None,
            looked_at: None,
        };
        let state = Arc::downgrade(&shared);
        let spawned = std::thread::Builder::new()
            .name("store-notify".into())
            .spawn(move || announce_loop(&mut announcer, &state));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the change notifier");
        }
        Notifier { shared }
    }

    /// Asks for a notification soon.
    pub(crate) fn announce(&self) {
        let shared = &*self.shared;
        if let Ok(mut pending) = shared.pending.lock() {
            *pending = true;
            if shared.others_listening.load(Ordering::Relaxed) {
                shared.wake.notify_one();
            }
        }
    }

    /// How many notifications were sent.
    pub(crate) fn sent(&self) -> u64 {
        self.shared.sent.load(Ordering::Relaxed)
    }
}

/// Waits for commits (or the next tick, [`LOOK_AGAIN`]) and announces them, until the store is
/// gone.
fn announce_loop(announcer: &mut Announcer, state: &Weak<Shared>) {
    loop {
        let Some(shared) = state.upgrade() else {
            return;
        };
        let Ok(pending) = shared.pending.lock() else {
            return;
        };
        let Ok((mut pending, _)) = shared.wake.wait_timeout_while(pending, LOOK_AGAIN, |p| !*p)
        else {
            return;
        };
        if !std::mem::take(&mut *pending) {
            continue;
        }
        drop(pending);
        std::thread::sleep(COALESCE);
        announcer.announce(&shared);
    }
}

/// The notifier's thread: its connection, and when it last looked for other listeners.
struct Announcer {
    pool: Arc<Pool>,
    own_listener: Arc<AtomicI32>,
    conn: Option<Conn>,
    looked_at: Option<Instant>,
}

impl Announcer {
    /// Notifies other processes if any listens; on a broken connection, connects once more.
    fn announce(&mut self, shared: &Shared) {
        if self.try_announce(shared).is_ok() {
            return;
        }
        // The connection may have broken: once more on a new one.
        self.conn = None;
        if let Err(e) = self.try_announce(shared) {
            tracing::warn!(error = %e, "cannot announce changes to other processes");
            self.conn = None;
        }
    }

    fn try_announce(&mut self, shared: &Shared) -> Result<(), StoreError> {
        if self.looked_at.is_none_or(|at| at.elapsed() >= LOOK_AGAIN) {
            let listening = self.look_for_listeners()?;
            shared.others_listening.store(listening, Ordering::Relaxed);
            self.looked_at = Some(Instant::now());
        }
        if shared.others_listening.load(Ordering::Relaxed) {
            let conn = self.connection()?;
            simple(
                conn,
                &format!("SELECT pg_notify('{CHANNEL}' || {SCHEMA_DIGEST}, '')"),
            )?;
            shared.sent.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Whether another process listens to changes in this schema.
    fn look_for_listeners(&mut self) -> Result<bool, StoreError> {
        let own = self.own_listener.load(Ordering::Relaxed);
        let conn = self.connection()?;
        conn.client
            .run(|c| async move {
                let sql = format!(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                     WHERE datname = current_database() \
                     AND application_name = {} AND pid <> $1)",
                    listener_name()
                );
                let row = c.query_one(&sql, &[&own]).await?;
                Ok(row.get::<_, bool>(0))
            })
            .map_err(|e| store_error(&e))
    }

    /// The notifier's connection. Its commits need not wait for the disk: a notification lost
    /// in a crash is made up for by every listener looking at the outbox when it reconnects.
    fn connection(&mut self) -> Result<&mut Conn, StoreError> {
        if self.conn.is_none() {
            let mut conn = self.pool.connect()?;
            simple(&mut conn, "SET synchronous_commit = off")?;
            self.conn = Some(conn);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))
    }
}
