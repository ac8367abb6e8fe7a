//! The change feed on PostgreSQL. Transactions commit in another order than they append to the
//! outbox, so an entry is given its position (`seq`) only after it committed, by the sequencer:
//! one at a time (an advisory lock), in append order, in a READ COMMITTED transaction that sees
//! every entry committed so far. A consumer reading `seq > position` thus never skips an entry
//! that committed late. After a commit that changed a resource, the [`Notifier`] sends
//! `NOTIFY neutrino_changes` to every listening process — from its own connection, after the
//! commit and coalesced, because a NOTIFY inside the writing transaction takes a lock at commit
//! that every other notifying commit waits for (it would serialize all writes).

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::pool::{Conn, Pool};
use super::session::{PgSession, store_error};
use crate::StoreError;
use crate::tx::Tx;

pub(crate) const CHANNEL: &str = "neutrino_changes";

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
/// the store is gone. Reconnects after a lost connection.
pub(crate) fn listen(pool: Arc<Pool>, feed: Weak<watch::Sender<u64>>) {
    let spawned = std::thread::Builder::new()
        .name("store-listen".into())
        .spawn(move || {
            while feed.strong_count() > 0 {
                if let Err(e) = listen_once(&pool, &feed) {
                    tracing::warn!(error = %e, "change notifications lost; reconnecting");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the change listener");
    }
}

fn listen_once(pool: &Pool, feed: &Weak<watch::Sender<u64>>) -> Result<(), StoreError> {
    let mut conn = pool.connect()?;
    simple(&mut conn, &format!("LISTEN {CHANNEL}"))?;
    // Changes made while nobody listened are in the outbox; a wake makes subscribers look.
    wake(feed);
    loop {
        let Some(sender) = feed.upgrade() else {
            return Ok(());
        };
        drop(sender);
        // One wake covers every notification that came meanwhile.
        let got = conn
            .client
            .wait_notification(Duration::from_secs(1))
            .map_err(|e| store_error(&e))?;
        if got {
            wake(feed);
        } else if conn.client.is_closed() {
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
    pending: Arc<(Mutex<bool>, Condvar)>,
}

/// How long the notifier waits for more commits before it announces them.
const COALESCE: Duration = Duration::from_millis(2);

impl Notifier {
    pub(crate) fn start(pool: Arc<Pool>) -> Notifier {
        let pending = Arc::new((Mutex::new(false), Condvar::new()));
        let state = Arc::downgrade(&pending);
        let spawned = std::thread::Builder::new()
            .name("store-notify".into())
            .spawn(move || announce_loop(&pool, &state));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the change notifier");
        }
        Notifier { pending }
    }

    /// Asks for a notification soon.
    pub(crate) fn announce(&self) {
        let (flag, wake) = &*self.pending;
        if let Ok(mut p) = flag.lock() {
            *p = true;
            wake.notify_one();
        }
    }
}

fn announce_loop(pool: &Pool, state: &Weak<(Mutex<bool>, Condvar)>) {
    let mut conn: Option<Conn> = None;
    loop {
        let Some(shared) = state.upgrade() else {
            return;
        };
        let (flag, wake) = &*shared;
        let Ok(guard) = flag.lock() else {
            return;
        };
        let Ok((mut guard, _)) = wake.wait_timeout_while(guard, Duration::from_secs(1), |p| !*p)
        else {
            return;
        };
        if !*guard {
            continue;
        }
        *guard = false;
        drop(guard);
        drop(shared);
        std::thread::sleep(COALESCE);
        let sent = match conn.as_mut() {
            Some(c) => simple(c, &format!("NOTIFY {CHANNEL}")).is_ok(),
            None => false,
        };
        if !sent {
            // No connection yet, or it broke: connect and try once more.
            conn = pool.connect().ok();
            if let Some(c) = conn.as_mut()
                && let Err(e) = simple(c, &format!("NOTIFY {CHANNEL}"))
            {
                tracing::warn!(error = %e, "cannot announce changes to other processes");
                conn = None;
            }
        }
    }
}
