//! `transact` with every kind of operation, over TCP and a unix socket.

use neutrino_ovsdb::operation::row;
use neutrino_ovsdb::{
    Atom, Client, Condition, Error, Mutation, Operation, OperationResult, Row, Value, WaitUntil,
};

use crate::harness::{Server, config, scratch};

fn select_switch(name: &str) -> Operation {
    Operation::select("Logical_Switch", vec![Condition::eq("name", name)])
}

async fn one_row(client: &Client, op: Operation) -> Row {
    let results = client.transact(&[op]).await.expect("select");
    let rows = results[0].rows().expect("rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transact_insert_select_update_mutate_delete_over_tcp() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let tcp = server.tcp_remote().expect("tcp remote");
    let client = Client::connect(config(vec![tcp.clone()]))
        .await
        .expect("connect over TCP");
    assert_eq!(client.current_remote().as_deref(), Some(tcp.as_str()));
    assert!(
        client
            .list_dbs()
            .await
            .unwrap()
            .iter()
            .any(|d| d == "OVN_Northbound")
    );
    client.echo().await.unwrap();

    // A port and the switch that holds it, in one transaction, linked by a named UUID.
    let results = client
        .transact(&[
            Operation::Comment("create ls1 with port p1".into()),
            Operation::insert_named(
                "Logical_Switch_Port",
                row([
                    ("name", Value::from("p1")),
                    ("addresses", Value::set(["00:00:00:00:00:01 10.0.0.1"])),
                ]),
                "p1",
            ),
            Operation::insert(
                "Logical_Switch",
                row([
                    ("name", Value::from("ls1")),
                    ("ports", Value::set([Atom::NamedUuid("p1".into())])),
                    (
                        "external_ids",
                        Value::map([("neutron:network_name", "net1")]),
                    ),
                ]),
            ),
        ])
        .await
        .expect("insert");
    assert_eq!(results[0], OperationResult::Done);
    let port = results[1].uuid().expect("port uuid");
    let switch = results[2].uuid().expect("switch uuid");

    let ls = one_row(&client, select_switch("ls1")).await;
    assert_eq!(ls["_uuid"], Value::from(switch));
    assert_eq!(
        ls["ports"],
        Value::set([port]),
        "a one-element set comes back as a set"
    );
    assert_eq!(
        ls["external_ids"],
        Value::map([("neutron:network_name", "net1")])
    );

    let results = client
        .transact(&[Operation::update(
            "Logical_Switch",
            vec![Condition::uuid(switch)],
            row([("external_ids", Value::map([("a", "1"), ("b", "2")]))]),
        )])
        .await
        .unwrap();
    assert_eq!(results[0].count(), Some(1));

    // Mutate a map (add a key, delete a key) and a set (add an element, delete one).
    let results = client
        .transact(&[
            Operation::mutate(
                "Logical_Switch",
                vec![Condition::eq("name", "ls1")],
                vec![
                    Mutation::insert("external_ids", Value::map([("c", "3")])),
                    Mutation::delete("external_ids", Value::set(["a"])),
                ],
            ),
            Operation::mutate(
                "Logical_Switch_Port",
                vec![Condition::uuid(port)],
                vec![Mutation::insert(
                    "addresses",
                    Value::set(["00:00:00:00:00:02 10.0.0.2"]),
                )],
            ),
            Operation::mutate(
                "Logical_Switch_Port",
                vec![Condition::uuid(port)],
                vec![Mutation::delete(
                    "addresses",
                    Value::set(["00:00:00:00:00:01 10.0.0.1"]),
                )],
            ),
        ])
        .await
        .unwrap();
    assert!(results.iter().all(|r| r.count() == Some(1)), "{results:?}");
    let ls = one_row(&client, select_switch("ls1")).await;
    assert_eq!(ls["external_ids"], Value::map([("b", "2"), ("c", "3")]));
    let lsp = one_row(
        &client,
        Operation::select_columns(
            "Logical_Switch_Port",
            vec![Condition::uuid(port)],
            &["addresses", "up"],
        ),
    )
    .await;
    assert_eq!(lsp["addresses"], Value::set(["00:00:00:00:00:02 10.0.0.2"]));
    assert_eq!(
        lsp["up"],
        Value::empty(),
        "an unset optional column is the empty set"
    );
    assert!(!lsp.contains_key("name"), "only the selected columns");

    // Wait that holds: passes. Wait that does not hold: fails at its index with "timed out".
    let holds = Operation::wait(
        "Logical_Switch",
        vec![Condition::uuid(switch)],
        &["name"],
        WaitUntil::Equal,
        vec![row([("name", "ls1")])],
        Some(0),
    );
    client.transact(&[holds]).await.expect("wait that holds");
    let fails = Operation::wait(
        "Logical_Switch",
        vec![Condition::uuid(switch)],
        &["name"],
        WaitUntil::Equal,
        vec![row([("name", "other")])],
        Some(100),
    );
    let started = std::time::Instant::now();
    let err = client
        .transact(&[
            Operation::Comment("guarded".into()),
            fails,
            Operation::delete("Logical_Switch", vec![]),
        ])
        .await
        .unwrap_err();
    match &err {
        Error::Transaction {
            index,
            operation,
            error,
            ..
        } => {
            assert_eq!(*index, 1);
            assert_eq!(operation, "wait on Logical_Switch");
            assert_eq!(error, "timed out");
        }
        other => panic!("expected a transaction error, got {other:?}"),
    }
    assert!(!err.is_retriable());
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(90),
        "the server waited for the timeout"
    );
    assert_eq!(
        client.transact(&[select_switch("ls1")]).await.unwrap()[0]
            .rows()
            .map(<[Row]>::len),
        Some(1)
    );

    // A failure at commit (two address sets with the same name violate the name index) has index = ops.len().
    let dup = || Operation::insert("Address_Set", row([("name", "dup")]));
    match client.transact(&[dup(), dup()]).await {
        Err(Error::Transaction {
            index: 2,
            operation,
            error,
            ..
        }) => {
            assert_eq!(operation, "commit");
            assert!(error.contains("constraint violation"), "{error}");
        }
        other => panic!("expected a commit failure, got {other:?}"),
    }
    match client
        .transact(&[select_switch("ls1"), Operation::Abort])
        .await
    {
        Err(Error::Transaction {
            index: 1, error, ..
        }) => assert_eq!(error, "aborted"),
        other => panic!("expected an abort, got {other:?}"),
    }

    // Delete the switch; its port, no longer referenced from a root table, goes with it.
    let results = client
        .transact(&[Operation::delete(
            "Logical_Switch",
            vec![Condition::eq("name", "ls1")],
        )])
        .await
        .unwrap();
    assert_eq!(results[0].count(), Some(1));
    let results = client
        .transact(&[Operation::select(
            "Logical_Switch_Port",
            vec![Condition::uuid(port)],
        )])
        .await
        .unwrap();
    assert_eq!(results[0].rows().map(<[Row]>::len), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_database_is_a_clear_error() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let mut cfg = config(vec![server.remote()]);
    cfg.database = "No_Such_DB".into();
    cfg.connect_timeout = std::time::Duration::from_secs(1);
    let err = Client::connect(cfg).await.err().expect("no such database");
    let text = err.to_string();
    assert!(matches!(err, Error::ServerAbsent { .. }), "{err:?}");
    assert!(
        text.contains("No_Such_DB") && text.contains(&server.remote()),
        "{text}"
    );
    assert!(text.contains("unknown database"), "{text}");
}

/// Many requests in flight on one session at once: each reply reaches its own caller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transactions_share_one_session() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let client = Client::connect(config(vec![server.remote()]))
        .await
        .expect("connect");
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let name = format!("c{i}");
                let inserted = client
                    .transact(&[Operation::insert(
                        "Logical_Switch",
                        row([("name", name.as_str())]),
                    )])
                    .await
                    .expect("insert")[0]
                    .uuid()
                    .expect("uuid");
                let found = one_row(&client, select_switch(&name)).await;
                assert_eq!(found["_uuid"], Value::from(inserted));
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let all = client
        .transact(&[Operation::select("Logical_Switch", vec![])])
        .await
        .unwrap();
    assert_eq!(all[0].rows().map(<[Row]>::len), Some(200));
}
