//! Our echo probes notice a server that stops answering (SIGSTOP keeps its socket open).

use std::time::{Duration, Instant};

use neutrino_ovsdb::{Client, Error, Event, Operation};

use crate::harness::{Server, config, scratch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_probes_detect_a_stopped_server() {
    let dir = scratch();
    let server = Server::standalone(dir.path());
    let interval = Duration::from_millis(400);
    let mut cfg = config(vec![server.remote()]);
    cfg.probe_interval = Some(interval);
    cfg.request_timeout = Duration::from_secs(1);
    let client = Client::connect(cfg).await.expect("connect");
    // Probes on an idle, healthy connection do not drop it.
    tokio::time::sleep(interval * 3).await;
    assert_eq!(
        client.state().borrow().epoch,
        1,
        "no reconnect while the server is healthy"
    );
    let mut events = client.events();

    server.signal("STOP");
    let stopped = Instant::now();
    let pending = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .transact(&[Operation::select("Logical_Switch", vec![])])
                .await
        }
    });
    let disconnected = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Event::Disconnected { reason, .. }) = events.recv().await {
                return reason;
            }
        }
    })
    .await;
    let detected = stopped.elapsed();
    server.signal("CONT");
    let reason = disconnected.expect("the stopped server was never noticed");
    assert!(reason.contains("echo"), "{reason}");
    eprintln!("stopped server detected after {detected:?} (probe interval {interval:?})");
    // Worst case by design: the next echo leaves at most one interval after the stop, and is
    // given up on one interval later; the rest is slack for a busy 2-core machine.
    assert!(
        detected <= interval * 2 + Duration::from_millis(400),
        "took {detected:?} for a {interval:?} probe interval"
    );

    // The request in flight failed with a retriable error (no reply came before the session died).
    let err = pending.await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Disconnected { .. } | Error::Timeout { .. }) && err.is_retriable(),
        "{err:?}"
    );

    // Once the server runs again the client reconnects by itself.
    let state = tokio::time::timeout(Duration::from_secs(10), client.wait_connected())
        .await
        .expect("reconnect");
    assert!(state.epoch >= 2);
    client.echo().await.unwrap();
}

/// The server probes idle clients too (its `inactivity_probe`): we must answer its `echo`, or it
/// hangs up on us.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_servers_echo_probes() {
    use std::io::Read;
    use std::net::TcpStream;
    use std::process::Command;

    use crate::harness::{free_port, nb_schema, program, run};

    let dir = scratch();
    let port = free_port();
    let db = dir.path().join("nb.db");
    run(Command::new(program("ovsdb-tool"))
        .arg("create")
        .arg(&db)
        .arg(nb_schema()));
    // A remote configured in the database, with a 1 s inactivity probe.
    let txn = serde_json::json!(["OVN_Northbound",
        {"op": "insert", "table": "Connection", "uuid-name": "c",
         "row": {"target": format!("ptcp:{port}:127.0.0.1"), "inactivity_probe": 1000}},
        {"op": "insert", "table": "NB_Global", "row": {"connections": ["named-uuid", "c"]}}]);
    run(Command::new(program("ovsdb-tool"))
        .arg("transact")
        .arg(&db)
        .arg(txn.to_string()));
    let mut server = Server::at(dir.path(), db);
    server
        .extra_remotes
        .push("db:OVN_Northbound,NB_Global,connections".into());
    server.start();
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the database-configured remote never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Control: a connection that never answers is sent an echo and then dropped.
    let silent = tokio::task::spawn_blocking(move || {
        let mut raw = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
        raw.set_read_timeout(Some(Duration::from_secs(6)))
            .expect("read timeout");
        let started = Instant::now();
        let mut received = Vec::new();
        let closed = raw.read_to_end(&mut received).is_ok();
        (
            closed,
            started.elapsed(),
            String::from_utf8_lossy(&received).into_owned(),
        )
    });

    // Our client, with its own probes off, stays connected across several of the server's probes.
    let mut cfg = config(vec![format!("tcp:127.0.0.1:{port}")]);
    cfg.probe_interval = None;
    let client = Client::connect(cfg).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        client.state().borrow().epoch,
        1,
        "the server dropped us: its echo went unanswered"
    );
    client.echo().await.expect("still connected");

    let (closed, after, received) = silent.await.unwrap();
    assert!(closed, "the server never dropped the silent connection");
    assert!(
        received.contains("\"echo\""),
        "the server sent no echo: {received}"
    );
    assert!(after < Duration::from_secs(5), "{after:?}");
}
