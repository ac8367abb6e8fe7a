//! A 3-member Raft cluster: the client uses the leader only and follows leadership when the leader
//! is killed; requests cut off by the failover fail with retriable errors.

use std::time::{Duration, Instant};

use neutrino_ovsdb::operation::row;
use neutrino_ovsdb::{Client, Condition, MonitorRequest, Operation, Value};

use crate::harness::{Cluster, config, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_leader_of_a_three_member_cluster() {
    let mut cluster = Cluster::start(3);
    let leader = cluster.leader().expect("a leader");
    // List a follower first, so that finding the leader is the client's work.
    let mut remotes = cluster.remotes();
    remotes.rotate_left((leader + 1) % 3);
    let client = Client::connect(config(remotes))
        .await
        .expect("connect to the cluster");
    assert_eq!(
        client.current_remote(),
        Some(cluster.servers[leader].remote()),
        "connected to the leader"
    );

    client
        .transact(&[Operation::insert(
            "Logical_Switch",
            row([("name", "before")]),
        )])
        .await
        .unwrap();
    let handle = client
        .monitor(MonitorRequest::new().table("Logical_Switch", &["name"]))
        .await
        .unwrap();
    assert!(
        handle.last_txn_id().is_some(),
        "a clustered server reports transaction ids"
    );

    cluster.servers[leader].kill();
    let killed = Instant::now();
    let old = cluster.servers[leader].remote();

    // Keep writing through the failover: every failure must be retriable, and writes must succeed
    // again on the new leader.
    let mut retriable_failures = 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = format!("during-{attempt}");
        match client
            .transact(&[Operation::insert(
                "Logical_Switch",
                row([("name", name.as_str())]),
            )])
            .await
        {
            Ok(_) => break,
            Err(e) => {
                assert!(e.is_retriable(), "non-retriable error during failover: {e}");
                retriable_failures += 1;
            }
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "no new leader within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let now = client.current_remote().expect("connected");
    assert_ne!(now, old);
    let new_leader = cluster.leader().expect("a new leader");
    assert_eq!(
        now,
        cluster.servers[new_leader].remote(),
        "failed over to the new leader"
    );
    assert!(
        retriable_failures > 0,
        "the first write after the kill should have failed"
    );
    eprintln!("failover took {:?}", killed.elapsed());

    let results = client
        .transact(&[Operation::select(
            "Logical_Switch",
            vec![Condition::eq("name", "before")],
        )])
        .await
        .unwrap();
    assert_eq!(
        results[0].rows().map(<[neutrino_ovsdb::Row]>::len),
        Some(1),
        "data survived the failover"
    );

    // The monitor was re-established on the new leader and keeps following.
    client
        .transact(&[Operation::insert(
            "Logical_Switch",
            row([("name", "after")]),
        )])
        .await
        .unwrap();
    let after = Value::from("after");
    let before = Value::from("before");
    eventually(
        5,
        "the monitor to show rows from before and after the failover",
        || {
            let cache = handle.snapshot();
            let rows = cache
                .table("Logical_Switch")
                .map(|t| t.values().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            rows.iter().any(|r| r.get("name") == Some(&after))
                && rows.iter().any(|r| r.get("name") == Some(&before))
        },
    )
    .await;
}

/// The leader stays up but leaves the cluster (`cluster/leave`): the client must not keep using it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_on_when_the_leader_leaves_the_cluster() {
    let cluster = Cluster::start(3);
    let leader = cluster.leader().expect("a leader");
    let client = Client::connect(config(cluster.remotes()))
        .await
        .expect("connect to the cluster");
    let old = cluster.servers[leader].remote();
    assert_eq!(client.current_remote().as_deref(), Some(old.as_str()));
    let mut events = client.events();

    let out = std::process::Command::new(crate::harness::program("ovs-appctl"))
        .arg("-t")
        .arg(&cluster.servers[leader].ctl)
        .args(["cluster/leave", crate::harness::NB])
        .output()
        .expect("ovs-appctl");
    assert!(
        out.status.success(),
        "cluster/leave: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let reason = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(neutrino_ovsdb::Event::Disconnected { reason, .. }) = events.recv().await {
                return reason;
            }
        }
    })
    .await
    .expect("the client kept using a server that left the cluster");
    // The server keeps the session open; the client's watch of `_Server.Database` noticed.
    assert!(reason.contains("stopped being leader"), "{reason}");
    let started = Instant::now();
    loop {
        match client
            .transact(&[Operation::insert("Logical_Switch", row([("name", "x")]))])
            .await
        {
            Ok(_) => break,
            Err(e) => assert!(e.is_retriable(), "{e}"),
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no new leader");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(client.current_remote(), Some(old));
}
