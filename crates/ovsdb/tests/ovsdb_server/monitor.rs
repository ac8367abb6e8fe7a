//! A monitor's cache follows the changes a second client makes.

use std::time::Duration;

use neutrino_ovsdb::operation::row;
use neutrino_ovsdb::{Cache, Client, Condition, Error, MonitorRequest, Mutation, Operation, Value};

use crate::harness::{Server, config, scratch};

fn switch_named<'a>(cache: &'a Cache, name: &str) -> Option<&'a neutrino_ovsdb::Row> {
    let name = Value::from(name);
    cache
        .table("Logical_Switch")?
        .values()
        .find(|r| r.get("name") == Some(&name))
        .map(|r| &**r)
}

async fn wait_for(
    handle: &neutrino_ovsdb::MonitorHandle,
    what: &str,
    predicate: impl FnMut(&Cache) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(5), handle.wait_for(predicate))
        .await
        .unwrap_or_else(|_| panic!("cache never showed {what}: {:?}", handle.snapshot()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_cache_follows_another_clients_changes() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let watcher = Client::connect(config(vec![server.remote()]))
        .await
        .expect("connect watcher");
    let writer = Client::connect(config(vec![server.remote()]))
        .await
        .expect("connect writer");

    writer
        .transact(&[Operation::insert(
            "Logical_Switch",
            row([("name", "before")]),
        )])
        .await
        .unwrap();
    let handle = watcher
        .monitor(MonitorRequest::new().table("Logical_Switch", &["name", "external_ids", "ports"]))
        .await
        .expect("monitor");
    assert!(
        switch_named(&handle.snapshot(), "before").is_some(),
        "initial rows are loaded before monitor() returns"
    );
    let mut events = watcher.events();

    // Insert.
    let uuid = writer
        .transact(&[Operation::insert(
            "Logical_Switch",
            row([
                ("name", Value::from("ls1")),
                ("external_ids", Value::map([("k", "v")])),
            ]),
        )])
        .await
        .unwrap()[0]
        .uuid()
        .unwrap();
    wait_for(&handle, "the insert", |c| {
        c.get("Logical_Switch", &uuid).is_some()
    })
    .await;
    let cache = handle.snapshot();
    let ls = cache.get("Logical_Switch", &uuid).unwrap();
    assert_eq!(ls["name"], Value::from("ls1"));
    assert_eq!(ls["external_ids"], Value::map([("k", "v")]));
    assert_eq!(ls["ports"], Value::empty());
    assert!(!ls.contains_key("acls"), "only the monitored columns");

    // Update (scalar) and mutate (map key changed and added, set element added).
    writer
        .transact(&[
            Operation::update(
                "Logical_Switch",
                vec![Condition::uuid(uuid)],
                row([("name", "ls1-renamed")]),
            ),
            Operation::mutate(
                "Logical_Switch",
                vec![Condition::uuid(uuid)],
                vec![
                    Mutation::delete("external_ids", Value::set(["k"])),
                    Mutation::insert("external_ids", Value::map([("k", "v2"), ("k2", "x")])),
                ],
            ),
        ])
        .await
        .unwrap();
    wait_for(&handle, "the update", |c| {
        c.get("Logical_Switch", &uuid).is_some_and(|r| {
            r["name"] == Value::from("ls1-renamed")
                && r["external_ids"] == Value::map([("k", "v2"), ("k2", "x")])
        })
    })
    .await;
    let port = writer
        .transact(&[
            Operation::insert_named("Logical_Switch_Port", row([("name", "p1")]), "p"),
            Operation::mutate(
                "Logical_Switch",
                vec![Condition::uuid(uuid)],
                vec![Mutation::insert(
                    "ports",
                    Value::set([neutrino_ovsdb::Atom::NamedUuid("p".into())]),
                )],
            ),
        ])
        .await
        .unwrap()[0]
        .uuid()
        .unwrap();
    wait_for(&handle, "the new port", |c| {
        c.get("Logical_Switch", &uuid)
            .is_some_and(|r| r["ports"] == Value::set([port]))
    })
    .await;

    // Delete.
    writer
        .transact(&[Operation::delete(
            "Logical_Switch",
            vec![Condition::uuid(uuid)],
        )])
        .await
        .unwrap();
    wait_for(&handle, "the delete", |c| {
        c.get("Logical_Switch", &uuid).is_none()
    })
    .await;
    assert!(switch_named(&handle.snapshot(), "before").is_some());

    // The changes were announced: one Updated event per transaction seen (the event follows the
    // cache change, so the last one may still be on its way).
    let mut updated = 0;
    let counting = async {
        while updated < 4 {
            if let Ok(neutrino_ovsdb::Event::Updated { monitor }) = events.recv().await
                && monitor == handle.id()
            {
                updated += 1;
            }
        }
    };
    let counted = tokio::time::timeout(Duration::from_secs(5), counting).await;
    assert!(counted.is_ok(), "{updated} Updated events, expected 4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_monitor_and_cancel() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let client = Client::connect(config(vec![server.remote()]))
        .await
        .expect("connect");
    let handle = client
        .monitor(MonitorRequest::new().table_where(
            "Logical_Switch",
            &["name"],
            vec![Condition::eq("name", "mine")],
        ))
        .await
        .expect("monitor");
    client
        .transact(&[
            Operation::insert("Logical_Switch", row([("name", "mine")])),
            Operation::insert("Logical_Switch", row([("name", "theirs")])),
        ])
        .await
        .unwrap();
    wait_for(&handle, "the matching row", |c| {
        c.table("Logical_Switch").is_some_and(|t| t.len() == 1)
    })
    .await;
    assert!(switch_named(&handle.snapshot(), "mine").is_some());

    // An unknown column is refused before anything is sent.
    match client
        .monitor(MonitorRequest::new().table("Logical_Switch", &["no_such_column"]))
        .await
    {
        Err(Error::Schema(e)) => assert!(e.to_string().contains("no column no_such_column"), "{e}"),
        other => panic!(
            "expected a schema error, got {:?}",
            other.map(|h| h.id().to_owned())
        ),
    }
    // Ours and the client's watch of _Server.
    assert_eq!(server.memory_counter("monitors"), Some(2));
    drop(handle); // cancels the monitor on the server
    crate::harness::eventually(5, "monitor_cancel to reach the server", || {
        server.memory_counter("monitors") == Some(1)
    })
    .await;
    client.echo().await.unwrap();
}

/// An initial reply far larger than one read (hundreds of kilobytes) arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_initial_monitor_reply() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let client = Client::connect(config(vec![server.remote()]))
        .await
        .expect("connect");
    let padding = "x".repeat(200);
    let inserts: Vec<Operation> = (0..3000)
        .map(|i| {
            Operation::insert(
                "Logical_Switch",
                row([
                    ("name", Value::from(format!("ls{i}"))),
                    ("external_ids", Value::map([("padding", padding.as_str())])),
                ]),
            )
        })
        .collect();
    client.transact(&inserts).await.expect("bulk insert");
    let handle = client
        .monitor(MonitorRequest::new().table("Logical_Switch", &["name", "external_ids"]))
        .await
        .expect("monitor");
    let cache = handle.snapshot();
    let table = cache.table("Logical_Switch").expect("table");
    assert_eq!(table.len(), 3000);
    assert!(table.values().all(|r| {
        r["external_ids"]
            .get(&"padding".into())
            .and_then(|a| a.as_str())
            == Some(padding.as_str())
    }));
}
