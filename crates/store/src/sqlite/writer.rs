//! Group commit: one thread owns the write connection. It takes every request that is waiting,
//! runs each in its own savepoint of one transaction, commits once (one fsync for the whole
//! batch) and only then answers the requests. A request that fails rolls back its savepoint and
//! leaves the others untouched; if the commit itself fails, every request of the batch fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::feed::Feed;
use crate::tx::Tx;
use crate::{CommitStats, StoreError};

/// Most requests committed together; bounds the latency a batch adds to its first request.
const MAX_BATCH: usize = 512;

/// Longest a batch waits for more requests before it starts (see [`gather`]).
const MAX_GATHER: Duration = Duration::from_micros(1000);

type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// A request: runs in the batch's transaction; says whether it succeeded and changed a
/// resource, and how to answer once the commit is done.
type Job = Box<dyn FnOnce(&Tx) -> Outcome + Send>;

struct Outcome {
    ok: bool,
    changed: bool,
    done: Completion,
}

#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    commits: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
}

impl Writer {
    pub(crate) fn start(conn: Connection, feed: Feed) -> Result<Writer, StoreError> {
        let (jobs, rx) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU64::new(0));
        let (c, r) = (commits.clone(), requests.clone());
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, rx, &feed, &c, &r))
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            jobs,
            commits,
            requests,
        })
    }

    pub(crate) async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&Tx) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |wtx| {
            let result = f(wtx);
            let ok = result.is_ok();
            let changed = ok && wtx.changed();
            let done: Completion = Box::new(move |commit_error| {
                let outcome = match commit_error {
                    Some(e) if ok => Err(E::from(e.for_batch())),
                    _ => result,
                };
                let _ = tx.send(outcome);
            });
            Outcome { ok, changed, done }
        });
        self.jobs.send(job).map_err(|_| E::from(writer_gone()))?;
        rx.await.map_err(|_| E::from(writer_gone()))?
    }

    pub(crate) fn stats(&self) -> CommitStats {
        CommitStats {
            commits: self.commits.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            retries: 0,
            notifications: 0,
        }
    }
}

/// The writer thread has stopped (the store is shutting down, or the thread died).
fn writer_gone() -> StoreError {
    StoreError::Unavailable("the database writer has stopped".into())
}

/// The WAL file is restarted from its beginning once it grows past this size (see [`cap_wal`]).
const WAL_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Under a steady stream of writes the checkpointer's PASSIVE checkpoints never find a moment
/// where the whole WAL is copied and no transaction has started, so the WAL never restarts and
/// grows without bound (and a restart would have to scan it). Between two batches the writer
/// holds no transaction: when the file has grown too big, a RESTART checkpoint there (it waits
/// only for readers) makes the next commit write from the WAL's start again, and
/// `journal_size_limit` then truncates the file.
fn cap_wal(conn: &Connection, wal: &std::path::Path) {
    if std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0) <= WAL_LIMIT_BYTES {
        return;
    }
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL restart checkpoint failed; will retry");
    }
}

fn run(
    mut conn: Connection,
    rx: mpsc::Receiver<Job>,
    feed: &Feed,
    commits: &AtomicU64,
    requests: &AtomicU64,
) {
    let wal = conn
        .path()
        .map(|p| std::path::PathBuf::from(format!("{p}-wal")))
        .unwrap_or_default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let (mut last_batch, mut last_commit) = (1usize, Duration::ZERO);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        gather(&rx, &mut batch, last_batch, last_commit);
        let n = batch.len();
        let started = Instant::now();
        let (completions, changed, result) = commit_batch(&mut conn, batch.drain(..));
        last_commit = started.elapsed();
        last_batch = n;
        if let Err(e) = &result {
            tracing::error!(error = %e, requests = n, "group commit failed");
        }
        let total = commits.fetch_add(1, Ordering::Relaxed) + 1;
        requests.fetch_add(n as u64, Ordering::Relaxed);
        for done in completions {
            done(result.as_ref().err());
        }
        if changed && result.is_ok() {
            feed.wake();
        }
        if total.is_multiple_of(64) {
            cap_wal(&conn, &wal);
        }
    }
}

/// Collects the requests that join a batch. Everything already waiting joins. When the last
/// batch held several requests, their clients are about to send their next ones: waiting a
/// little for as many requests again (never longer than a quarter of the last commit, at most
/// [`MAX_GATHER`]) lets them share this commit instead of missing it and waiting for the next —
/// PostgreSQL's `commit_delay` idea. A lone client (last batch of one) never waits.
fn gather(
    rx: &mpsc::Receiver<Job>,
    batch: &mut Vec<Job>,
    last_batch: usize,
    last_commit: Duration,
) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    if last_batch <= 1 {
        return;
    }
    let deadline = Instant::now() + (last_commit / 4).min(MAX_GATHER);
    while batch.len() < last_batch.min(MAX_BATCH) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// Runs the jobs in one transaction and commits it: the answers to send, whether a job changed
/// a resource, and the commit's result.
fn commit_batch(
    conn: &mut Connection,
    jobs: impl Iterator<Item = Job>,
) -> (Vec<Completion>, bool, Result<(), StoreError>) {
    let mut completions = Vec::new();
    let mut changed = false;
    // A job that cannot run is dropped: dropping its answer channel tells the waiting request
    // that the writer failed.
    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return (completions, false, Err(super::store_error(e))),
    };
    for job in jobs {
        let Ok(sp) = tx.savepoint() else { continue };
        let Outcome {
            ok,
            changed: job_changed,
            done,
        } = job(&Tx::new(&*sp));
        changed |= job_changed;
        let released = if ok {
            sp.commit().map_err(super::store_error)
        } else {
            Ok(())
        };
        match released {
            Ok(()) => completions.push(done),
            Err(e) => completions.push(Box::new(move |_| done(Some(&e)))),
        }
    }
    let result = tx.commit().map_err(super::store_error);
    (completions, changed, result)
}
