//! The data plane sets a resource's status without touching its revision or the outbox, and
//! the status column follows the document on every write (on the engine of the test run).

use neutrino_store::testing::{ScratchDatabase, insert_network_and_port};
use neutrino_store::{self as store, Store, StoreError, tables};

fn port_doc(status: &str, revision: i64) -> String {
    format!(
        r#"{{"id": "p1", "name": "vm", "device_owner": "compute:nova", "status": "{status}", "revision_number": {revision}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_set_without_a_revision() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let store: Store = db.open(dir.path()).unwrap();
    store
        .write(|tx| {
            insert_network_and_port(
                tx,
                r#"{"name": "net", "status": "ACTIVE", "revision_number": 1}"#,
                &port_doc("DOWN", 1),
            )
        })
        .await
        .unwrap();
    let before = store.changes(0, 100).await.unwrap();
    let down = store::Selection::by("status", vec!["DOWN".into()]);
    let listed = store
        .read(move |tx| store::list_docs(tx, tables::PORTS, &down))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "the status column follows the document");

    let changed = store
        .write(|tx| store::set_status(tx, tables::PORTS, "p1", "ACTIVE"))
        .await
        .unwrap();
    assert!(changed);
    let again = store
        .write(|tx| store::set_status(tx, tables::PORTS, "p1", "ACTIVE"))
        .await
        .unwrap();
    assert!(!again, "the same status is no change");
    let (doc, revision, active) = store
        .read(|tx| {
            let doc = store::get_doc(tx, tables::PORTS, "p1")?.unwrap_or_default();
            let revision = store::revision_of(tx, tables::PORTS, "p1")?;
            let active = store::list_docs(
                tx,
                tables::PORTS,
                &store::Selection::by("status", vec!["ACTIVE".into()]),
            )?;
            Ok::<_, StoreError>((doc, revision, active.len()))
        })
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["status"], "ACTIVE");
    assert_eq!(doc["revision_number"], 1);
    assert_eq!(revision, Some(1));
    assert_eq!(active, 1);
    assert_eq!(
        store.changes(0, 100).await.unwrap(),
        before,
        "no outbox entry"
    );
    let err = store
        .write(|tx| store::set_status(tx, tables::SUBNETS, "s1", "ACTIVE"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not an operational attribute"),
        "{err}"
    );

    // A port's binding as the data plane reports it: no revision, no outbox entry either.
    let changed = store
        .write(|tx| {
            store::set_operational(
                tx,
                tables::PORTS,
                "p1",
                &[
                    ("status", "DOWN".into()),
                    ("binding:host_id", "chassis-1".into()),
                ],
            )
        })
        .await
        .unwrap();
    assert!(changed);
    let doc = store
        .read(|tx| store::get_doc(tx, tables::PORTS, "p1"))
        .await
        .unwrap()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["binding:host_id"], "chassis-1");
    assert_eq!(doc["status"], "DOWN");
    assert_eq!(doc["revision_number"], 1);
    assert_eq!(store.changes(0, 100).await.unwrap(), before);
    let err = store
        .write(|tx| store::set_operational(tx, tables::PORTS, "p1", &[("name", "x".into())]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not an operational attribute"),
        "{err}"
    );
}
