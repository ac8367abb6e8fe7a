//! Trunks (`trunk`, `trunk-details`): create/show/list/update/delete, the sub-port actions,
//! upstream's rules and error types, what sub-ports and parents show, policy, and the
//! database-held uniqueness under concurrent requests.

mod harness;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use harness::{Api, Reply};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn sub(port: &str, seg: i64) -> Value {
    json!({"port_id": port, "segmentation_type": "vlan", "segmentation_id": seg})
}

async fn create(api: &Api, user: &str, body: Value) -> Reply {
    api.post(user, "/v2.0/trunks", json!({"trunk": body})).await
}

async fn trunk(api: &Api, user: &str, body: Value) -> Value {
    let r = create(api, user, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["trunk"].clone()
}

async fn action(api: &Api, user: &str, trunk: &str, action: &str, subs: Value) -> Reply {
    api.put(
        user,
        &format!("/v2.0/trunks/{trunk}/{action}"),
        json!({"sub_ports": subs}),
    )
    .await
}

/// A network of `user` and `n` ports on it.
async fn ports(api: &Api, user: &str, n: usize) -> Vec<String> {
    let net = api.network(user, json!({})).await;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(id(&api.port(user, &net, json!({})).await));
    }
    out
}

fn expect(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!((r.status, r.kind()), (status, kind), "{:?}", r.body);
}

#[tokio::test]
async fn create_show_list_and_subport_state() {
    let api = Api::start();
    let p = ports(&api, "alice", 3).await;
    let t = trunk(
        &api,
        "alice",
        json!({"name": "t1", "port_id": p[0], "sub_ports": [sub(&p[1], 10)], "tags": ["x"]}),
    )
    .await;
    let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "admin_state_up",
            "created_at",
            "description",
            "id",
            "name",
            "port_id",
            "project_id",
            "revision_number",
            "status",
            "sub_ports",
            "tags",
            "tenant_id",
            "updated_at",
        ]
    );
    assert_eq!(t["status"], "ACTIVE");
    assert_eq!(t["admin_state_up"], true);
    assert_eq!(t["sub_ports"], json!([sub(&p[1], 10)]));
    assert_eq!(t["tags"], json!(["x"]));
    let tid = id(&t);

    let shown = api.get("alice", &format!("/v2.0/trunks/{tid}")).await;
    assert_eq!(shown.body["trunk"]["sub_ports"], json!([sub(&p[1], 10)]));
    let got = api
        .get("alice", &format!("/v2.0/trunks/{tid}/get_subports"))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, json!({"sub_ports": [sub(&p[1], 10)]}));
    let list = api.get("alice", "/v2.0/trunks?name=t1").await;
    assert_eq!(harness::ids(&list.body["trunks"]), [tid.as_str()]);
    let by_port = api
        .get("alice", &format!("/v2.0/trunks?port_id={}", p[0]))
        .await;
    assert_eq!(harness::ids(&by_port.body["trunks"]), [tid.as_str()]);
    let tagged = api.get("alice", "/v2.0/trunks?tags=x").await;
    assert_eq!(harness::ids(&tagged.body["trunks"]), [tid.as_str()]);
    let untagged = api.get("alice", "/v2.0/trunks?tags=y").await;
    assert_eq!(untagged.body["trunks"], json!([]));
    let path = format!("/v2.0/trunks/{tid}/tags/y");
    let r = api.raw(Method::PUT, &path, Some("alice"), None, &[]).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let second = trunk(&api, "alice", json!({"name": "t0", "port_id": p[2]})).await;
    let sorted = api
        .get("alice", "/v2.0/trunks?sort_key=name&sort_dir=asc&limit=1")
        .await;
    assert_eq!(harness::ids(&sorted.body["trunks"]), [id(&second)]);
    assert!(sorted.body["trunks_links"].is_array(), "{:?}", sorted.body);
    let fields = api
        .get("alice", "/v2.0/trunks?fields=id&fields=sub_ports")
        .await;
    assert_eq!(
        fields.body["trunks"][0].as_object().unwrap().len(),
        2,
        "{:?}",
        fields.body
    );

    // The sub-port shows it is one (upstream's trunk plugin and OVN driver).
    let s = api.get("admin", &format!("/v2.0/ports/{}", p[1])).await;
    let s = &s.body["port"];
    assert_eq!(s["device_owner"], "trunk:subport");
    assert_eq!(s["device_id"], tid.as_str());
    assert_eq!(s["binding:profile"]["parent_name"], p[0].as_str());
    assert_eq!(s["binding:profile"]["tag"], 10);

    // trunk-details: on the parent only, with the sub-ports' MACs; in lists too (admins'
    // plain lists included).
    let mac = s["mac_address"].clone();
    let details = json!({"trunk_id": tid, "sub_ports": [{
        "segmentation_id": 10, "segmentation_type": "vlan", "port_id": p[1], "mac_address": mac}]});
    let parent = api.get("alice", &format!("/v2.0/ports/{}", p[0])).await;
    assert_eq!(parent.body["port"]["trunk_details"], details);
    for user in ["alice", "admin"] {
        let all = api.get(user, "/v2.0/ports").await;
        for port in all.body["ports"].as_array().unwrap() {
            if port["id"] == p[0].as_str() {
                assert_eq!(port["trunk_details"], details, "{user}");
            } else if port["id"] == p[2].as_str() {
                assert_eq!(port["trunk_details"]["sub_ports"], json!([]), "{user}");
            } else {
                assert!(port.get("trunk_details").is_none(), "{user}: {port}");
            }
        }
    }
}

#[tokio::test]
async fn add_get_remove_subports() {
    let api = Api::start();
    let p = ports(&api, "alice", 4).await;
    let t = trunk(&api, "alice", json!({"port_id": p[0]})).await;
    let tid = id(&t);
    assert_eq!(t["sub_ports"], json!([]));
    let rev = t["revision_number"].as_u64().unwrap();

    let r = action(
        &api,
        "alice",
        &tid,
        "add_subports",
        json!([sub(&p[1], 100), sub(&p[2], 200)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // Upstream answers the trunk itself, not wrapped in {"trunk": ...}.
    assert_eq!(
        r.body["sub_ports"],
        json!([sub(&p[1], 100), sub(&p[2], 200)])
    );
    assert_eq!(r.body["id"], tid.as_str());
    assert!(r.body["revision_number"].as_u64().unwrap() > rev);

    let r = action(
        &api,
        "alice",
        &tid,
        "remove_subports",
        json!([{"port_id": p[1]}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["sub_ports"], json!([sub(&p[2], 200)]));
    let freed = api.get("admin", &format!("/v2.0/ports/{}", p[1])).await;
    let freed = &freed.body["port"];
    assert_eq!(freed["device_owner"], "");
    assert_eq!(freed["device_id"], "");
    assert!(freed["binding:profile"].get("parent_name").is_none());
    assert!(freed["binding:profile"].get("tag").is_none());

    // The removed port and its tag can be used again.
    let r = action(
        &api,
        "alice",
        &tid,
        "add_subports",
        json!([sub(&p[1], 100)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let got = api
        .get("alice", &format!("/v2.0/trunks/{tid}/get_subports"))
        .await;
    assert_eq!(got.body["sub_ports"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn parent_rules() {
    let api = Api::start();
    let p = ports(&api, "alice", 3).await;
    let missing = "11111111-2222-3333-4444-555555555555";
    let r = create(&api, "alice", json!({"port_id": missing})).await;
    expect(&r, StatusCode::NOT_FOUND, "PortNotFound");
    let r = create(&api, "alice", json!({"port_id": "nope"})).await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    assert_eq!(
        r.message(),
        "Invalid input for port_id. Reason: 'nope' is not a valid UUID."
    );
    let r = create(&api, "alice", json!({})).await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");

    let t = trunk(
        &api,
        "alice",
        json!({"port_id": p[0], "sub_ports": [sub(&p[1], 5)]}),
    )
    .await;
    let r = create(&api, "alice", json!({"port_id": p[0]})).await;
    expect(&r, StatusCode::CONFLICT, "ParentPortInUse");
    assert_eq!(
        r.message(),
        format!(
            "Port {} is currently in use and is not eligible for use as a parent port.",
            p[0]
        )
    );
    let r = create(&api, "alice", json!({"port_id": p[1]})).await;
    expect(&r, StatusCode::CONFLICT, "TrunkPortInUse");
    assert_eq!(
        r.message(),
        format!("Port {} is in use by another trunk.", p[1])
    );
    // A bound parent may be trunked (the OVN driver's can_trunk_bound_port).
    api.put(
        "admin",
        &format!("/v2.0/ports/{}", p[2]),
        json!({"port": {"binding:host_id": "h1", "device_id": "vm"}}),
    )
    .await;
    trunk(&api, "alice", json!({"port_id": p[2]})).await;
    // The parent's ports cannot be deleted while in the trunk.
    let r = api.delete("alice", &format!("/v2.0/ports/{}", p[0])).await;
    expect(&r, StatusCode::CONFLICT, "PortInUseAsTrunkParent");
    assert_eq!(
        r.message(),
        format!(
            "Port {} is currently a parent port for trunk {}.",
            p[0],
            id(&t)
        )
    );
    let r = api.delete("alice", &format!("/v2.0/ports/{}", p[1])).await;
    expect(&r, StatusCode::CONFLICT, "PortInUseAsSubPort");
    assert_eq!(
        r.message(),
        format!("Port {} is currently a subport for trunk {}.", p[1], id(&t))
    );
}

#[tokio::test]
async fn subport_rules() {
    let api = Api::start();
    let p = ports(&api, "alice", 6).await;
    let missing = "11111111-2222-3333-4444-555555555555";
    let t = trunk(
        &api,
        "alice",
        json!({"port_id": p[0], "sub_ports": [sub(&p[1], 5)]}),
    )
    .await;
    let tid = id(&t);
    let add = |subs: Value| action(&api, "alice", &tid, "add_subports", subs);

    let r = add(json!([sub(missing, 6)])).await;
    expect(&r, StatusCode::NOT_FOUND, "PortNotFound");
    let r = add(json!([sub(&p[0], 6)])).await;
    expect(&r, StatusCode::CONFLICT, "ParentPortInUse");
    let r = add(json!([sub(&p[1], 6)])).await;
    expect(&r, StatusCode::CONFLICT, "TrunkPortInUse");
    let r = add(json!([sub(&p[2], 5)])).await;
    expect(&r, StatusCode::CONFLICT, "DuplicateSubPort");
    assert_eq!(
        r.message(),
        format!("segmentation_type vlan and segmentation_id 5 already in use on trunk {tid}.")
    );
    for seg in [0, 4095] {
        let r = add(json!([sub(&p[2], seg)])).await;
        expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
        assert_eq!(
            r.message(),
            format!("Invalid input for operation: Segmentation ID '{seg}' is not in range.")
        );
    }
    let r =
        add(json!([{"port_id": p[2], "segmentation_type": "vxlan", "segmentation_id": 7}])).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    assert_eq!(
        r.message(),
        "Invalid input for operation: Unknown segmentation_type 'vxlan'."
    );
    // inherit takes the network's type: a geneve network has no VLAN to inherit.
    let r = add(json!([{"port_id": p[2], "segmentation_type": "inherit"}])).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = add(json!([{"port_id": p[2], "segmentation_id": 7}])).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = add(json!([{"port_id": p[2]}])).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = add(json!([sub(&p[2], 7), sub(&p[3], 7)])).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = add(json!({"port_id": p[2]})).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = add(json!([sub("x", 7)])).await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = api
        .put(
            "alice",
            &format!("/v2.0/trunks/{tid}/add_subports"),
            json!({}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    // A port with a device cannot become a sub-port.
    api.put(
        "alice",
        &format!("/v2.0/ports/{}", p[4]),
        json!({"port": {"device_id": "vm-1"}}),
    )
    .await;
    let r = add(json!([sub(&p[4], 8)])).await;
    expect(&r, StatusCode::CONFLICT, "PortInUse");
    // A failed request adds nothing, not even its valid entries.
    let r = add(json!([sub(&p[2], 9), sub(&p[4], 10)])).await;
    expect(&r, StatusCode::CONFLICT, "PortInUse");
    let got = api
        .get("alice", &format!("/v2.0/trunks/{tid}/get_subports"))
        .await;
    assert_eq!(got.body["sub_ports"], json!([sub(&p[1], 5)]));
    // Bad sub_ports on create are the attribute's 400.
    let r = create(
        &api,
        "alice",
        json!({"port_id": p[5], "sub_ports": [sub(&p[2], 3), sub(&p[3], 3)]}),
    )
    .await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    assert_eq!(
        r.message(),
        format!(
            "Invalid input for sub_ports. Reason: Segmentation ID '3' for '{}' is not unique.",
            p[3]
        )
    );

    let r = action(
        &api,
        "alice",
        &tid,
        "remove_subports",
        json!([{"port_id": p[2]}]),
    )
    .await;
    expect(&r, StatusCode::NOT_FOUND, "SubPortNotFound");
    assert_eq!(
        r.message(),
        format!(
            "SubPort on trunk {tid} with parent port {} could not be found.",
            p[2]
        )
    );
    let r = action(&api, "alice", &tid, "frobnicate", json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mtu_of_subport_network_must_fit() {
    let api = Api::start();
    let small = api.network("alice", json!({"mtu": 1400})).await;
    let big = api.network("alice", json!({"mtu": 1450})).await;
    let parent = id(&api.port("alice", &small, json!({})).await);
    let s = id(&api.port("alice", &big, json!({})).await);
    let r = create(
        &api,
        "alice",
        json!({"port_id": parent, "sub_ports": [sub(&s, 3)]}),
    )
    .await;
    expect(
        &r,
        StatusCode::CONFLICT,
        "SubPortMtuGreaterThanTrunkPortMtu",
    );
    assert_eq!(
        r.message(),
        format!("MTU 1450 of subport {s} cannot be greater than MTU 1400 of trunk {parent}.")
    );
}

#[tokio::test]
async fn disabled_trunk_refuses_changes() {
    let api = Api::start();
    let p = ports(&api, "alice", 3).await;
    let t = trunk(
        &api,
        "alice",
        json!({"port_id": p[0], "sub_ports": [sub(&p[1], 5)], "admin_state_up": false}),
    )
    .await;
    let tid = id(&t);
    let r = action(&api, "alice", &tid, "add_subports", json!([sub(&p[2], 6)])).await;
    expect(&r, StatusCode::CONFLICT, "TrunkDisabled");
    assert_eq!(r.message(), format!("Trunk {tid} is currently disabled."));
    let r = action(
        &api,
        "alice",
        &tid,
        "remove_subports",
        json!([{"port_id": p[1]}]),
    )
    .await;
    expect(&r, StatusCode::CONFLICT, "TrunkDisabled");
    let r = api.delete("alice", &format!("/v2.0/trunks/{tid}")).await;
    expect(&r, StatusCode::CONFLICT, "TrunkDisabled");
    let r = api
        .put(
            "alice",
            &format!("/v2.0/trunks/{tid}"),
            json!({"trunk": {"admin_state_up": true, "name": "up", "description": "d"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["trunk"]["name"], "up");
    assert_eq!(r.body["trunk"]["sub_ports"], json!([sub(&p[1], 5)]));
    for body in [json!({"port_id": p[2]}), json!({"sub_ports": []})] {
        let r = api
            .put(
                "alice",
                &format!("/v2.0/trunks/{tid}"),
                json!({"trunk": body}),
            )
            .await;
        expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    }
}

#[tokio::test]
async fn delete_frees_the_ports() {
    let api = Api::start();
    let p = ports(&api, "alice", 2).await;
    let t = trunk(
        &api,
        "alice",
        json!({"port_id": p[0], "sub_ports": [sub(&p[1], 5)]}),
    )
    .await;
    let tid = id(&t);
    let r = api.delete("alice", &format!("/v2.0/trunks/{tid}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api.get("alice", &format!("/v2.0/trunks/{tid}")).await;
    expect(&r, StatusCode::NOT_FOUND, "TrunkNotFound");
    let s = api.get("alice", &format!("/v2.0/ports/{}", p[1])).await;
    assert_eq!(s.body["port"]["device_owner"], "");
    let parent = api.get("alice", &format!("/v2.0/ports/{}", p[0])).await;
    assert!(parent.body["port"].get("trunk_details").is_none());
    // Both ports can be trunked again, and deleted.
    let t2 = trunk(
        &api,
        "alice",
        json!({"port_id": p[1], "sub_ports": [sub(&p[0], 5)]}),
    )
    .await;
    let r = api
        .delete("alice", &format!("/v2.0/trunks/{}", id(&t2)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    for port in &p {
        let r = api.delete("alice", &format!("/v2.0/ports/{port}")).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    }
}

#[tokio::test]
async fn other_projects_see_nothing() {
    let api = Api::start();
    let p = ports(&api, "alice", 2).await;
    let t = trunk(&api, "alice", json!({"port_id": p[0]})).await;
    let tid = id(&t);
    for path in [
        format!("/v2.0/trunks/{tid}"),
        format!("/v2.0/trunks/{tid}/get_subports"),
    ] {
        let r = api.get("bob", &path).await;
        expect(&r, StatusCode::NOT_FOUND, "TrunkNotFound");
    }
    let list = api.get("bob", "/v2.0/trunks").await;
    assert_eq!(list.body["trunks"], json!([]));
    let r = action(&api, "bob", &tid, "add_subports", json!([])).await;
    expect(&r, StatusCode::NOT_FOUND, "TrunkNotFound");
    let r = api.delete("bob", &format!("/v2.0/trunks/{tid}")).await;
    expect(&r, StatusCode::NOT_FOUND, "TrunkNotFound");
    // Bob cannot trunk Alice's port, nor take it as a sub-port.
    let r = create(&api, "bob", json!({"port_id": p[1]})).await;
    expect(&r, StatusCode::NOT_FOUND, "PortNotFound");
    let mine = ports(&api, "bob", 1).await;
    let r = create(
        &api,
        "bob",
        json!({"port_id": mine[0], "sub_ports": [sub(&p[1], 3)]}),
    )
    .await;
    expect(&r, StatusCode::NOT_FOUND, "PortNotFound");
    // A reader sees but may not change.
    let r = api.get("rita", &format!("/v2.0/trunks/{tid}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api
        .put(
            "rita",
            &format!("/v2.0/trunks/{tid}"),
            json!({"trunk": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // The admin sees it.
    let r = api.get("admin", &format!("/v2.0/trunks/{tid}")).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn extensions_are_advertised() {
    let api = Api::start();
    for alias in ["trunk", "trunk-details"] {
        let r = api.get("alice", &format!("/v2.0/extensions/{alias}")).await;
        assert_eq!(r.status, StatusCode::OK, "{alias}");
        assert_eq!(r.body["extension"]["alias"], alias);
    }
}

/// Concurrent requests that would put one port in two trunks, or one tag twice in a trunk:
/// exactly one wins, whatever the interleaving.
#[tokio::test]
async fn uniqueness_holds_under_concurrency() {
    let api = Arc::new(Api::start());
    let p = ports(&api, "alice", 12).await;
    // Four trunks race for one parent.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (api, port) = (api.clone(), p[0].clone());
        tasks.push(tokio::spawn(async move {
            create(&api, "alice", json!({"port_id": port})).await
        }));
    }
    let mut created = 0;
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            StatusCode::CREATED => created += 1,
            _ => expect(&r, StatusCode::CONFLICT, "ParentPortInUse"),
        }
    }
    assert_eq!(created, 1);

    // Trunks on other parents race to take one sub-port, and to use one tag in one trunk.
    let t = trunk(&api, "alice", json!({"port_id": p[1]})).await;
    let tid = id(&t);
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (api, parent, s) = (api.clone(), p[2 + i].clone(), p[6].clone());
        tasks.push(tokio::spawn(async move {
            create(
                &api,
                "alice",
                json!({"port_id": parent, "sub_ports": [sub(&s, 9)]}),
            )
            .await
        }));
    }
    for i in 0..4 {
        let (api, tid, s) = (api.clone(), tid.clone(), p[7 + i].clone());
        tasks.push(tokio::spawn(async move {
            action(&api, "alice", &tid, "add_subports", json!([sub(&s, 42)])).await
        }));
    }
    let mut won = [0, 0];
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.expect("task");
        let race = i / 4;
        if r.status.is_success() {
            won[race] += 1;
        } else if race == 0 {
            expect(&r, StatusCode::CONFLICT, "TrunkPortInUse");
        } else {
            expect(&r, StatusCode::CONFLICT, "DuplicateSubPort");
        }
    }
    assert_eq!(won, [1, 1]);
    let got = api
        .get("alice", &format!("/v2.0/trunks/{tid}/get_subports"))
        .await;
    assert_eq!(got.body["sub_ports"].as_array().unwrap().len(), 1);
}
