//! What reads compute from other rows: the children of many parents at once, in creation
//! order, and the documents of many rows by id (on the engine of the test run).

use neutrino_store::testing::ScratchDatabase;
use neutrino_store::{self as store, Store, tables};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_of_many_parents_in_creation_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let store: Store = db.open(dir.path()).unwrap();
    store
        .write(|tx| {
            for net in ["n1", "n2"] {
                store::insert_row(
                    tx,
                    tables::NETWORKS,
                    net,
                    &[("project_id", "p".into()), ("open", 0.into())],
                    &format!(r#"{{"id": "{net}", "name": "", "status": "ACTIVE"}}"#),
                )?;
            }
            // Ids out of their creation order: the order is the rows', not the ids'.
            for (subnet, net) in [("s-c", "n1"), ("s-d", "n2"), ("s-a", "n1"), ("s-b", "n1")] {
                store::insert_row(
                    tx,
                    tables::SUBNETS,
                    subnet,
                    &[("project_id", "p".into()), ("network_id", net.into())],
                    &format!(r#"{{"id": "{subnet}", "name": ""}}"#),
                )?;
            }
            Ok::<_, store::StoreError>(())
        })
        .await
        .unwrap();
    // More parents than one query binds: read in several, each parent's children together.
    let mut parents: Vec<String> = (0..10_500).map(|k| format!("other-{k}")).collect();
    parents.insert(0, "n2".into());
    parents.push("n1".into());
    let (children, docs) = store
        .read(move |tx| {
            let children = store::child_ids(tx, tables::SUBNETS, "network_id", &parents)?;
            let docs = store::docs_by_id(tx, tables::SUBNETS, &parents_and_subnets())?;
            Ok::<_, store::StoreError>((children, docs))
        })
        .await
        .unwrap();
    assert_eq!(children.len(), 4);
    let of = |net: &str| -> Vec<&str> {
        children
            .iter()
            .filter(|(n, _)| n == net)
            .map(|(_, s)| s.as_str())
            .collect()
    };
    assert_eq!(of("n1"), ["s-c", "s-a", "s-b"]);
    assert_eq!(of("n2"), ["s-d"]);
    let mut ids: Vec<String> = docs
        .iter()
        .map(|d| {
            let doc: serde_json::Value = serde_json::from_str(d).unwrap();
            doc["id"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["s-a", "s-b", "s-c", "s-d"]);
}

/// The four subnets' ids after 10,500 that name no row: more than one query binds.
fn parents_and_subnets() -> Vec<String> {
    let mut ids: Vec<String> = (0..10_500).map(|k| format!("none-{k}")).collect();
    ids.extend(["s-a", "s-b", "s-c", "s-d"].map(String::from));
    ids
}
