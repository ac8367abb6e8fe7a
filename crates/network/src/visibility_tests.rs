//! What SQL reads for a caller who is not an admin: exactly the rows the rules let it see, for
//! every collection — a member's list never reads rows of other projects only to drop them.

use serde_json::{Map, Value, json};

use neutrino_store::testing::ScratchDatabase;
use neutrino_store::{self as store, Selection};

use super::{Scope, field, only_visible, parse_map};
use crate::{Caller, Kind, NetworkConfig, Networking, collection, collections};

fn caller(project: &str, roles: &[&str]) -> Caller {
    Caller {
        user_id: format!("user-{project}"),
        project_id: project.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

fn kind(path: &str) -> Kind {
    collection(path).expect("served")
}

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

async fn create(net: &Networking, who: &Caller, path: &str, v: Value) -> String {
    let created = net
        .create(who, kind(path), vec![body(v)])
        .await
        .unwrap_or_else(|e| panic!("create in {path}: {e:?}"));
    created[0]["id"].as_str().expect("an id").to_string()
}

/// (ids SQL reads for the caller's list, ids of the rows it sees among all rows), sorted.
async fn read_and_seen(net: &Networking, who: &Caller, kind: Kind) -> (Vec<String>, Vec<String>) {
    let who = who.clone();
    net.store
        .read(move |tx| {
            let scope = Scope::load(tx, &who)?;
            let ids = |docs: Vec<String>, only_seen: bool| -> crate::Result<Vec<String>> {
                let mut ids = Vec::new();
                for doc in docs {
                    let map = parse_map(kind, &doc)?;
                    if !only_seen || kind.sees(&scope, &map) {
                        ids.push(field(&map, "id").to_string());
                    }
                }
                ids.sort();
                Ok(ids)
            };
            let read = store::list_docs(
                tx,
                kind.table(),
                &only_visible(kind, &scope, Selection::all()),
            )?;
            let all = store::list_docs(tx, kind.table(), &Selection::all())?;
            Ok::<_, crate::Error>((ids(read, false)?, ids(all, true)?))
        })
        .await
        .expect("read")
}

#[tokio::test]
async fn a_caller_who_is_not_an_admin_reads_exactly_the_rows_it_sees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let net = Networking::new(
        db.open(dir.path()).expect("store"),
        NetworkConfig::default(),
    )
    .expect("networking");
    let admin = caller("admin", &["admin", "member", "reader"]);
    let alice = caller("p1", &["member", "reader"]);
    let rita = caller("p1", &["reader"]);
    let bob = caller("p2", &["member", "reader"]);
    let carol = caller("p3", &["member", "reader"]);

    let a_net = create(&net, &alice, "networks", json!({"name": "a"})).await;
    let b_net = create(&net, &bob, "networks", json!({"name": "b"})).await;
    let b_shared = create(
        &net,
        &admin,
        "networks",
        json!({"name": "bs", "shared": true, "project_id": "p2"}),
    )
    .await;
    let b_to_p1 = create(&net, &bob, "networks", json!({"name": "b1"})).await;
    let ext = create(
        &net,
        &admin,
        "networks",
        json!({"name": "ext", "router:external": true}),
    )
    .await;
    for (who, network, cidr) in [
        (&alice, &a_net, "10.1.0.0/24"),
        (&bob, &b_net, "10.2.0.0/24"),
        (&bob, &b_shared, "10.3.0.0/24"),
        (&bob, &b_to_p1, "10.4.0.0/24"),
        (&admin, &ext, "192.0.2.0/24"),
    ] {
        create(
            &net,
            who,
            "subnets",
            json!({"network_id": network, "cidr": cidr, "ip_version": 4}),
        )
        .await;
    }
    let b_sg = create(&net, &bob, "security-groups", json!({"name": "b-sg"})).await;
    create(&net, &bob, "security-groups", json!({"name": "b-private"})).await;
    for (object_type, object_id) in [("network", &b_to_p1), ("security_group", &b_sg)] {
        create(
            &net,
            &bob,
            "rbac-policies",
            json!({"object_type": object_type, "object_id": object_id,
                   "action": "access_as_shared", "target_tenant": "p1"}),
        )
        .await;
    }
    // QoS policies: one of each project, one shared with everyone, one shared with p1.
    create(
        &net,
        &admin,
        "qos/policies",
        json!({"name": "a-q", "project_id": "p1"}),
    )
    .await;
    create(
        &net,
        &admin,
        "qos/policies",
        json!({"name": "b-q", "project_id": "p2"}),
    )
    .await;
    create(
        &net,
        &admin,
        "qos/policies",
        json!({"name": "all-q", "shared": true}),
    )
    .await;
    let b_to_p1_q = create(
        &net,
        &admin,
        "qos/policies",
        json!({"name": "b-q2", "project_id": "p2"}),
    )
    .await;
    create(
        &net,
        &admin,
        "rbac-policies",
        json!({"object_type": "qos_policy", "object_id": b_to_p1_q,
               "action": "access_as_shared", "target_tenant": "p1"}),
    )
    .await;
    // A port of p2 on alice's network: alice owns the network, so she sees it.
    create(
        &net,
        &admin,
        "ports",
        json!({"network_id": a_net, "project_id": "p2"}),
    )
    .await;
    let a_port = create(&net, &alice, "ports", json!({"network_id": a_net})).await;
    let b_port = create(&net, &bob, "ports", json!({"network_id": b_net})).await;
    create(&net, &alice, "trunks", json!({"port_id": a_port})).await;
    create(&net, &bob, "trunks", json!({"port_id": b_port})).await;
    create(&net, &bob, "ports", json!({"network_id": b_shared})).await;
    create(&net, &alice, "routers", json!({"name": "a-r"})).await;
    create(&net, &bob, "routers", json!({"name": "b-r"})).await;
    create(
        &net,
        &alice,
        "floatingips",
        json!({"floating_network_id": ext}),
    )
    .await;
    create(
        &net,
        &bob,
        "floatingips",
        json!({"floating_network_id": ext}),
    )
    .await;
    let scope = create(
        &net,
        &admin,
        "address-scopes",
        json!({"name": "s", "ip_version": 4, "shared": true}),
    )
    .await;
    create(
        &net,
        &bob,
        "address-scopes",
        json!({"name": "bs", "ip_version": 4}),
    )
    .await;
    create(&net, &admin, "subnetpools", json!({"name": "p", "prefixes": ["10.90.0.0/16"], "shared": true, "address_scope_id": scope})).await;
    create(
        &net,
        &bob,
        "subnetpools",
        json!({"name": "bp", "prefixes": ["10.91.0.0/16"]}),
    )
    .await;
    create(
        &net,
        &admin,
        "flavors",
        json!({"name": "f", "service_type": "L3_ROUTER_NAT"}),
    )
    .await;
    create(&net, &admin, "service_profiles", json!({"metainfo": "m"})).await;
    // Network logs are the admin's, whichever project they are made for.
    create(
        &net,
        &admin,
        "log/logs",
        json!({"resource_type": "security_group", "project_id": "p1"}),
    )
    .await;
    create(&net, &alice, "address-groups", json!({"name": "a-ag"})).await;
    create(&net, &bob, "address-groups", json!({"name": "b-ag"})).await;
    for project in ["p1", "p2"] {
        create(
            &net,
            &admin,
            "security-groups-default-statefulness",
            json!({"project_id": project, "stateful": true}),
        )
        .await;
    }

    for who in [&alice, &rita, &bob, &carol] {
        for &kind in collections() {
            let (read, seen) = read_and_seen(&net, who, kind).await;
            assert_eq!(
                read,
                seen,
                "{} read for {:?} of {}",
                kind.path(),
                who.roles,
                who.project_id
            );
        }
    }
    // The test means something: the caller sees some, but not all, rows of each collection.
    // Segments, segment ranges and network logs are the admin's alone: no other caller sees
    // any. Everyone reads every flavor; only administrators see service profiles.
    let not_per_project = [
        "segments",
        "network_segment_ranges",
        "log/logs",
        "flavors",
        "service_profiles",
    ];
    for &kind in collections()
        .iter()
        .filter(|k| !not_per_project.contains(&k.path()))
    {
        let who = if kind.path() == "rbac-policies" {
            &bob
        } else {
            &alice
        };
        let (read, _) = read_and_seen(&net, who, kind).await;
        let (all, _) = read_and_seen(&net, &admin, kind).await;
        assert!(
            !read.is_empty(),
            "{} sees no {}",
            who.project_id,
            kind.path()
        );
        // The default rules are a template every reader reads whole.
        if kind.path() == "default-security-group-rules" {
            continue;
        }
        assert!(
            read.len() < all.len(),
            "{} sees every {}",
            who.project_id,
            kind.path()
        );
    }
}
