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
    assert!(
        detected <= interval * 2 + Duration::from_millis(300),
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
