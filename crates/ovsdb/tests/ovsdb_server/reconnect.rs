//! Reconnect after the server is killed and restarted: the caller is told, requests in between fail
//! with a retriable error, and the monitor's cache is resynced with what changed meanwhile.

use std::process::Command;
use std::time::Duration;

use neutrino_ovsdb::operation::row;
use neutrino_ovsdb::{Client, Error, Event, MonitorRequest, Operation, Value};

use crate::harness::{Server, config, program, scratch};

fn names(handle: &neutrino_ovsdb::MonitorHandle) -> Vec<String> {
    let cache = handle.snapshot();
    let mut names: Vec<String> = cache
        .table("Logical_Switch")
        .into_iter()
        .flat_map(|t| t.values())
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    names.sort();
    names
}

async fn next_event(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    what: &str,
    mut wanted: impl FnMut(&Event) -> bool,
) -> Event {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return event,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event stream ended: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {what} event"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_restart_and_resyncs_the_cache() {
    let dir = scratch();
    let mut server = Server::standalone(dir.path());
    let client = Client::connect(config(vec![server.remote()]))
        .await
        .expect("connect");
    client
        .transact(&[Operation::insert("Logical_Switch", row([("name", "kept")]))])
        .await
        .unwrap();
    let handle = client
        .monitor(MonitorRequest::new().table("Logical_Switch", &["name"]))
        .await
        .unwrap();
    assert_eq!(names(&handle), ["kept"]);
    let epoch = client.state().borrow().epoch;
    let mut events = client.events();

    server.kill();
    let event = next_event(&mut events, "Disconnected", |e| {
        matches!(e, Event::Disconnected { .. })
    })
    .await;
    assert!(
        matches!(&event, Event::Disconnected { remote, .. } if *remote == server.remote()),
        "{event:?}"
    );
    let err = client
        .transact(&[Operation::select("Logical_Switch", vec![])])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotConnected { .. }) && err.is_retriable(),
        "{err:?}"
    );
    assert_eq!(names(&handle), ["kept"], "the cache survives the outage");

    // While the server is down, the database changes behind the client's back.
    let txn = serde_json::json!(["OVN_Northbound",
        {"op": "insert", "table": "Logical_Switch", "row": {"name": "added-offline"}},
        {"op": "delete", "table": "Logical_Switch", "where": [["name", "==", "kept"]]}]);
    let out = Command::new(program("ovsdb-tool"))
        .arg("transact")
        .arg(&server.db)
        .arg(txn.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ovsdb-tool transact: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    server.start();
    let mut seen = Vec::new();
    let event = next_event(&mut events, "Connected", |e| {
        seen.push(e.clone());
        matches!(e, Event::Connected { .. })
    })
    .await;
    assert!(
        matches!(event, Event::Connected { epoch: e, .. } if e > epoch),
        "{event:?}"
    );
    // The monitor was set up again before the session was announced; a restarted standalone
    // server has no history to resume from, so the cache was rebuilt in full.
    assert!(
        seen.iter().any(
            |e| matches!(e, Event::Resynced { monitor, full: true, .. } if monitor == handle.id())
        ),
        "{seen:?}"
    );
    let state = tokio::time::timeout(Duration::from_secs(5), client.wait_connected())
        .await
        .unwrap();
    assert!(state.epoch > epoch);
    // The resync happened before Connected was announced.
    assert_eq!(
        names(&handle),
        ["added-offline"],
        "cache resynced with the offline changes"
    );

    // The monitor keeps following changes on the new session, and requests work again.
    client
        .transact(&[Operation::insert(
            "Logical_Switch",
            row([("name", "after")]),
        )])
        .await
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        handle.wait_for(|c| c.table("Logical_Switch").is_some_and(|t| t.len() == 2)),
    )
    .await
    .expect("update after reconnect");
    assert_eq!(names(&handle), ["added-offline", "after"]);
}
