//! The group commit: concurrent writes share commits, a failing request rolls back alone,
//! and everything acknowledged is in the file afterwards.

use neutrino_store::tables::{NETWORKS, PORTS, SUBNETS};
use neutrino_store::{self as store, ColumnValue, Selection, Store, StoreError, Tx};

#[derive(Debug)]
#[allow(dead_code)] // the store error is only shown in failure messages
enum TestError {
    Store(StoreError),
    Refused,
}

impl From<StoreError> for TestError {
    fn from(e: StoreError) -> Self {
        TestError::Store(e)
    }
}

fn text(s: &str) -> ColumnValue {
    ColumnValue::Text(s.to_string())
}

fn insert_network(conn: &Tx, id: &str) -> Result<(), StoreError> {
    store::insert_row(
        conn,
        NETWORKS,
        id,
        &[("project_id", text("p")), ("open", ColumnValue::Int(0))],
        "{}",
    )
}

fn insert_port(conn: &Tx, id: &str, mac: &str) -> Result<(), StoreError> {
    let cols = [
        ("project_id", text("p")),
        ("network_id", text("n")),
        ("device_id", text("")),
        ("mac_address", text(mac)),
    ];
    store::insert_row(conn, PORTS, id, &cols, "{}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_batched_and_isolated() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite");
    let db = Store::open_sqlite(&path).expect("open");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |tx| {
                insert_network(tx, &format!("n{i}"))?;
                // Every tenth request fails after writing: its row must vanish.
                if i % 10 == 0 {
                    Err(TestError::Refused)
                } else {
                    Ok(i)
                }
            })
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => ok += 1,
            Err(TestError::Refused) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(ok, 180);
    assert_eq!(db.commit_stats().requests, 200);
    drop(db);
    // A fresh handle on the same file sees exactly the acknowledged rows.
    let db = Store::open_sqlite(&path).expect("reopen");
    let rows = db
        .read(|conn| store::list_docs(conn, NETWORKS, &Selection::all()).map_err(TestError::from))
        .await
        .expect("read");
    assert_eq!(rows.len(), 180);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_waiting_behind_a_commit_share_the_next_one() {
    let dir = tempfile::tempdir().expect("dir");
    let db = Store::open_sqlite(&dir.path().join("db.sqlite")).expect("open");
    // The first request holds the writer; the 50 sent meanwhile queue up behind it.
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    // A write may run more than once; the signal is sent the first time.
    let started_tx = std::sync::Mutex::new(Some(started_tx));
    let slow = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(move |_tx| {
                if let Some(tx) = started_tx.lock().expect("lock").take() {
                    let _ = tx.send(());
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
                Ok::<_, StoreError>(())
            })
            .await
        })
    };
    started_rx.await.expect("writer started");
    let before = db.commit_stats();
    let queued: Vec<_> = (0..50)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |tx| insert_network(tx, &format!("q{i}")))
                    .await
            })
        })
        .collect();
    slow.await.expect("join").expect("slow write");
    for q in queued {
        q.await.expect("join").expect("queued write");
    }
    let after = db.commit_stats();
    assert_eq!(after.requests - before.requests, 51);
    assert!(
        after.commits - before.commits <= 3,
        "{before:?} -> {after:?}"
    );
}

#[tokio::test]
async fn unique_indexes_report_conflicts() {
    let dir = tempfile::tempdir().expect("dir");
    let db = Store::open_sqlite(&dir.path().join("db.sqlite")).expect("open");
    db.write(|tx| {
        insert_network(tx, "n")?;
        store::insert_row(
            tx,
            SUBNETS,
            "s",
            &[("project_id", text("p")), ("network_id", text("n"))],
            "{}",
        )?;
        insert_port(tx, "port", "fa:16:3e:00:00:01")?;
        store::insert_allocation(tx, "s", "10.0.0.2".parse().unwrap(), "port")
    })
    .await
    .expect("setup");
    let again = db
        .write(|tx| store::insert_allocation(tx, "s", "10.0.0.2".parse().unwrap(), "port"))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let mac = db
        .write(|tx| insert_port(tx, "port2", "fa:16:3e:00:00:01"))
        .await;
    assert!(matches!(mac, Err(StoreError::Conflict(_))), "{mac:?}");
}

#[tokio::test]
async fn migrations_run_once() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite");
    drop(Store::open_sqlite(&path).expect("first open"));
    drop(Store::open_sqlite(&path).expect("second open applies nothing again"));
}
