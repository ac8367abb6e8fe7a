//! Statements a transaction sends later (`Tx::execute_later`) and reads it makes ahead
//! (`Tx::prefetch`) behave as if made in place, on the engine of the test run: PostgreSQL sends
//! them in one flight with the next statement or the commit, SQLite runs them at once.

use neutrino_store::testing::{ScratchDatabase, insert_network_and_port};
use neutrino_store::{self as store, Store, StoreError, tables};

async fn store_with_a_port(dir: &tempfile::TempDir) -> (ScratchDatabase, Store) {
    let db = ScratchDatabase::new(dir.path());
    let store: Store = db.open(dir.path()).unwrap();
    store
        .write(|tx| {
            insert_network_and_port(
                tx,
                r#"{"name": "before", "revision_number": 1}"#,
                r#"{"name": "vm", "status": "DOWN", "revision_number": 1}"#,
            )
        })
        .await
        .unwrap();
    (db, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_sent_later_that_fails_fails_the_write_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store) = store_with_a_port(&dir).await;
    let before = store.changes(0, 100).await.unwrap();
    // A link to a group that does not exist: its foreign key refuses it, whether that is noticed
    // at the statement (SQLite) or at the commit it was sent with (PostgreSQL).
    let result = store
        .write(|tx| {
            store::insert_row(
                tx,
                tables::NETWORKS,
                "n2",
                &[("project_id", "p".into()), ("open", 0.into())],
                r#"{"name": "second"}"#,
            )?;
            store::add_port_security_groups(tx, "p1", &["no-such-group".into()])
        })
        .await;
    assert!(
        matches!(result, Err(StoreError::ForeignKey(_))),
        "{result:?}"
    );
    let n2 = store
        .read(|tx| store::get_doc(tx, tables::NETWORKS, "n2"))
        .await
        .unwrap();
    assert_eq!(n2, None, "the write's other rows are gone too");
    assert_eq!(
        store.changes(0, 100).await.unwrap(),
        before,
        "no outbox entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_made_ahead_answers_as_in_place_and_not_after_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, store) = store_with_a_port(&dir).await;
    let (ahead, after_write) = store
        .write(|tx| {
            tx.prefetch(vec![
                store::doc_read(tables::NETWORKS, "n1"),
                store::doc_read(tables::NETWORKS, "n1-missing"),
            ])?;
            let ahead = store::get_doc(tx, tables::NETWORKS, "n1")?;
            assert_eq!(store::get_doc(tx, tables::NETWORKS, "n1-missing")?, None);
            // Made ahead again, then the transaction writes: the answer kept is stale and must
            // not be given.
            tx.prefetch(vec![store::doc_read(tables::NETWORKS, "n1")])?;
            store::update_doc(tx, tables::NETWORKS, "n1", r#"{"name": "after"}"#)?;
            let after_write = store::get_doc(tx, tables::NETWORKS, "n1")?;
            Ok::<_, StoreError>((ahead, after_write))
        })
        .await
        .unwrap();
    let name = |doc: Option<String>| -> String {
        let doc: serde_json::Value = serde_json::from_str(&doc.unwrap()).unwrap();
        doc["name"].as_str().unwrap().to_string()
    };
    assert_eq!(name(ahead), "before");
    assert_eq!(name(after_write), "after");
}
