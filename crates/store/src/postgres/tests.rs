//! The PostgreSQL engine against a real server. Ignored in a plain `cargo test`: `scripts/test`
//! runs them with `NEUTRINO_TEST_ENGINE=postgres` and `--run-ignored all`, and each fails
//! loudly without a server.

use std::time::Duration;

use super::pool::{Conn, Pool};
use super::{DatabaseConfig, MIGRATIONS, migrate_history};
use crate::testing::ScratchDatabase;
use crate::{StoreError, tables};

fn scratch() -> (tempfile::TempDir, ScratchDatabase) {
    assert_eq!(
        crate::testing::engine(),
        "postgres",
        "run with NEUTRINO_TEST_ENGINE=postgres and NEUTRINO_TEST_POSTGRES_URL (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    (dir, db)
}

fn connect(cfg: &DatabaseConfig) -> Conn {
    let pool = Pool::new(&cfg.url, cfg).unwrap();
    super::off_runtime(|| pool.connect()).unwrap()
}

/// Columns (with types, nullability, defaults, identity) and indexes of the current schema.
fn schema(conn: &mut Conn) -> Vec<String> {
    super::off_runtime(|| {
        let mut out = Vec::new();
        let mut query = |sql: &str| -> Vec<String> {
            let rows = conn.client.run(|c| c.query(sql, &[])).unwrap();
            rows.iter().map(|r| r.get::<_, String>(0)).collect()
        };
        out.extend(query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
                 || ' ' || COALESCE(column_default, '') || ' ' || is_identity \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 ORDER BY table_name, column_name",
        ));
        out.extend(query(
                "SELECT replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema() \
                 ORDER BY indexname",
        ));
        out
    })
}

#[test]
#[ignore = "needs PostgreSQL (scripts/test runs it)"]
fn upgrading_from_every_earlier_schema_gives_the_fresh_schema() {
    let (_dir, fresh) = scratch();
    let mut conn = connect(&fresh.config);
    super::off_runtime(|| migrate_history(&mut conn, MIGRATIONS)).unwrap();
    let want = schema(&mut conn);
    assert!(want.iter().any(|c| c.starts_with("outbox.seq ")));
    for split in 1..MIGRATIONS.len() {
        let (_dir, old) = scratch();
        let mut conn = connect(&old.config);
        super::off_runtime(|| {
            migrate_history(&mut conn, &MIGRATIONS[..split])?;
            migrate_history(&mut conn, MIGRATIONS)
        })
        .unwrap();
        assert_eq!(
            schema(&mut conn),
            want,
            "upgraded from {}",
            MIGRATIONS[split - 1].name
        );
    }
}

#[test]
#[ignore = "needs PostgreSQL (scripts/test runs it)"]
fn a_newer_schema_is_refused() {
    let (dir, db) = scratch();
    drop(db.open(dir.path()).unwrap());
    let mut conn = connect(&db.config);
    super::off_runtime(|| {
        conn.client
            .run(|c| {
                c.batch_execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES ('0099_future', 0)",
                )
            })
            .unwrap();
    });
    let err = db.open(dir.path()).err().expect("refused");
    assert!(
        matches!(&err, StoreError::SchemaTooNew { found, .. } if found == "0099_future"),
        "{err}"
    );
}

/// Writes from many tasks on two handles (two processes, as far as the database can tell)
/// appear in the feed exactly once each, in an order every reader agrees on; a write through
/// one handle wakes a subscriber of the other (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (scripts/test runs it)"]
async fn the_feed_is_complete_and_wakes_other_processes() {
    let (dir, db) = scratch();
    let a = db.open(dir.path()).unwrap();
    let b = db.open(dir.path()).unwrap();
    let mut woken = b.subscribe();
    // Let the listener connect before the first change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    woken.wait(Duration::from_millis(10)).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            write_network(&store, &format!("net-{i:02}")).await
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(
        woken.wait(Duration::from_secs(5)).await,
        "a subscriber of the other handle is woken"
    );
    let seen_by_a = a.changes(0, 1000).await.unwrap();
    let seen_by_b = b.changes(0, 1000).await.unwrap();
    assert_eq!(seen_by_a, seen_by_b);
    let mut ids: Vec<&str> = seen_by_a.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 40);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40, "each change once");
    let positions: Vec<i64> = seen_by_a.iter().map(|c| c.seq).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    // Reading from a position gives the rest, and pruning what a consumer passed keeps it.
    let rest = a.changes(positions[9], 1000).await.unwrap();
    assert_eq!(rest.len(), 30);
    a.write(move |tx| crate::outbox::set_consumer_position(tx, "test", positions[9]))
        .await
        .unwrap();
    assert_eq!(a.prune_outbox(0).await.unwrap(), 10);
    assert_eq!(b.changes(0, 1000).await.unwrap(), rest);
}

fn notifications_sent(store: &crate::Store) -> u64 {
    store.commit_stats().notifications
}

async fn write_network(store: &crate::Store, id: &str) {
    let id = id.to_string();
    store
        .write(move |tx| {
            crate::insert_row(
                tx,
                tables::NETWORKS,
                &id,
                &[("project_id", "p".into()), ("open", 0.into())],
                "{}",
            )
        })
        .await
        .unwrap();
}

/// Wakes that came meanwhile are taken, so that the next wait sees only new ones.
async fn settle(woken: &mut crate::Subscription) {
    while woken.wait(Duration::from_millis(20)).await {}
}

/// A NOTIFY is a transaction of its own: a notifier sends none while no other process listens
/// (its own process's listener does not count), starts within a second of another listener
/// connecting, and that listener looks at the outbox by itself until then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (scripts/test runs it)"]
async fn changes_are_announced_only_while_another_process_listens() {
    let (dir, db) = scratch();
    let a = db.open(dir.path()).unwrap();
    let _own = a.subscribe();
    // Let the listener connect before the first change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..5 {
        write_network(&a, &format!("alone-{i}")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(notifications_sent(&a), 0, "nobody else listens");

    let b = db.open(dir.path()).unwrap();
    let mut woken = b.subscribe();
    tokio::time::sleep(Duration::from_millis(300)).await;
    settle(&mut woken).await;
    write_network(&a, "seen-while-discovering").await;
    assert!(
        woken.wait(Duration::from_millis(500)).await,
        "a new listener sees changes before the notifiers know of it"
    );

    // Past the discovery period the listener wakes only when notified.
    tokio::time::sleep(super::changes::DISCOVERY).await;
    settle(&mut woken).await;
    assert!(
        !woken.wait(Duration::from_millis(1500)).await,
        "no change, no wake"
    );
    write_network(&a, "notified").await;
    assert!(
        woken.wait(Duration::from_millis(500)).await,
        "a change is announced to the other process"
    );
    assert!(notifications_sent(&a) > 0);
}

/// A read's transaction ends with the read: its pooled connection is not left idle in a
/// transaction (which would hold a snapshot back from vacuum, and its locks from migrations),
/// and the connection's next transactions work. (Sending the `ROLLBACK` without waiting for its
/// answer must keep this: see docs/benchmarks.md, "A read's ROLLBACK".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (scripts/test runs it)"]
async fn a_read_leaves_its_connection_out_of_a_transaction() {
    let (dir, mut db) = scratch();
    // One connection: every transaction below runs on it.
    db.config.max_connections = 1;
    let store = db.open(dir.path()).unwrap();
    let pid = backend_pid(&store).await;

    let mut observer = connect(&db.config);
    // `move`: a connection's runtime must be dropped off the test's runtime too.
    let state = super::off_runtime(move || {
        let mut state = String::new();
        let sql = format!("SELECT state FROM pg_stat_activity WHERE pid = {pid}");
        for _ in 0..100 {
            let rows = observer.client.run(|c| c.query(&sql, &[])).unwrap();
            state = rows.first().map(|r| r.get(0)).unwrap_or_default();
            if state == "idle" {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        state
    });
    assert_eq!(
        state, "idle",
        "the read's connection is out of its transaction"
    );

    // The connection goes on: a write, then reads.
    write_network(&store, "after-the-read").await;
    assert_eq!(backend_pid(&store).await, pid);
    let networks = store
        .read(|tx| -> Result<i64, StoreError> {
            tx.query_one("SELECT COUNT(*) FROM networks", &[])?.int(0)
        })
        .await
        .unwrap();
    assert_eq!(networks, 1);
}

async fn backend_pid(store: &crate::Store) -> i64 {
    store
        .read(|tx| -> Result<i64, StoreError> {
            tx.query_one("SELECT pg_backend_pid()", &[])?.int(0)
        })
        .await
        .unwrap()
}
