//! Default policy: project isolation, the reader role, admin, 404-versus-403.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::json;

#[tokio::test]
async fn projects_are_isolated() {
    let api = Api::start();
    let net = api.network("alice", json!({"name": "a"})).await;
    let port = api.port("alice", &net, json!({})).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        api.get("bob", "/v2.0/networks").await.body["networks"],
        json!([])
    );
    assert_eq!(api.get("bob", "/v2.0/ports").await.body["ports"], json!([]));
    for path in [
        format!("/v2.0/networks/{net}"),
        format!("/v2.0/ports/{port}"),
    ] {
        assert_eq!(api.get("bob", &path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            api.put(
                "bob",
                &path,
                json!({"network": {"name": "x"}, "port": {"name": "x"}})
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(api.delete("bob", &path).await.status, StatusCode::NOT_FOUND);
    }
    let r = api
        .post("bob", "/v2.0/ports", json!({"port": {"network_id": net}}))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "NetworkNotFound")
    );
    // Admin sees both projects.
    api.network("bob", json!({"name": "b"})).await;
    assert_eq!(
        api.get("admin", "/v2.0/networks").await.body["networks"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn readers_read_but_do_not_write() {
    let api = Api::start();
    let net = api.network("alice", json!({"name": "a"})).await;
    assert_eq!(
        api.get("rita", "/v2.0/networks").await.body["networks"][0]["id"],
        net.as_str()
    );
    let r = api
        .post("rita", "/v2.0/networks", json!({"network": {}}))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::FORBIDDEN, "PolicyNotAuthorized")
    );
    let r = api
        .put(
            "rita",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"name": "x"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::FORBIDDEN,
            "rule:update_network is disallowed by policy"
        )
    );
    let r = api.delete("rita", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post("rita", "/v2.0/ports", json!({"port": {"network_id": net}}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn network_owner_sees_and_manages_ports_of_others_on_it() {
    let api = Api::start();
    let shared = api.network("alice", json!({})).await;
    // Alice cannot share (admin only); admin shares alice's network.
    let r = api
        .put(
            "admin",
            &format!("/v2.0/networks/{shared}"),
            json!({"network": {"shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    api.subnet("alice", &shared, "10.0.0.0/24", json!({})).await;
    let bobs = api.port("bob", &shared, json!({})).await;
    let path = format!("/v2.0/ports/{}", bobs["id"].as_str().unwrap_or_default());
    assert_eq!(
        api.get("alice", &path).await.status,
        StatusCode::OK,
        "the network owner sees ports on it"
    );
    // Bob, not owning the network, may not pick addresses or MACs on it.
    let r = api
        .post(
            "bob",
            "/v2.0/ports",
            json!({"port": {"network_id": shared, "fixed_ips": [{"ip_address": "10.0.0.50"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post(
            "bob",
            "/v2.0/ports",
            json!({"port": {"network_id": shared, "mac_address": "fa:16:3e:01:02:03"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post(
            "bob",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": shared, "ip_version": 4, "cidr": "10.1.0.0/24"}}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only the owner adds subnets"
    );
    assert_eq!(
        api.get("bob", "/v2.0/subnets").await.body["subnets"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "subnets of shared networks are visible"
    );
}

#[tokio::test]
async fn admin_only_attributes_are_hidden() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let mine = api
        .get("alice", &format!("/v2.0/networks/{net}"))
        .await
        .body["network"]
        .clone();
    assert!(mine.get("provider:network_type").is_none());
    let theirs = api
        .get("admin", &format!("/v2.0/networks/{net}"))
        .await
        .body["network"]
        .clone();
    assert_eq!(theirs["provider:network_type"], "geneve");
    let r = api
        .get("alice", "/v2.0/networks?fields=provider:network_type")
        .await;
    assert_eq!(r.body["networks"], json!([{}]));
}
