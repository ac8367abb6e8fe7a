//! Quotas: defaults, per-project limits, usage details, policy, validation and enforcement
//! (single, bulk and concurrent creates).

mod harness;

use std::sync::Arc;

use axum::http::StatusCode;
use harness::Api;
use neutrino_network::NetworkConfig;
use serde_json::json;

#[tokio::test]
async fn defaults_show_and_own_project() {
    let api = Api::start();
    let p1 = api.project("alice");
    let r = api.get("alice", &format!("/v2.0/quotas/{p1}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["quota"],
        json!({"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
               "security_group": 10, "security_group_rule": 100, "rbac_policy": 10, "subnetpool": -1})
    );
    let r = api
        .get("alice", &format!("/v2.0/quotas/{p1}/default"))
        .await;
    assert_eq!(r.body["quota"]["network"], 100);
    let r = api.get("alice", "/v2.0/quotas/project").await;
    assert_eq!(r.body, json!({"project": {"project_id": p1}}));
    let r = api.get("alice", "/v2.0/quotas/tenant").await;
    assert_eq!(r.body, json!({"tenant": {"tenant_id": p1}}));
    // Another project's quota is the admin's business.
    let p2 = api.project("bob");
    let r = api.get("alice", &format!("/v2.0/quotas/{p2}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .get("alice", &format!("/v2.0/quotas/{p2}/details"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.get("admin", &format!("/v2.0/quotas/{p2}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get("rita", &format!("/v2.0/quotas/{p1}")).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn configured_defaults() {
    let mut cfg = NetworkConfig::default();
    cfg.quotas.network = 3;
    let api = Api::with_config(cfg);
    let p1 = api.project("alice");
    let r = api.get("alice", &format!("/v2.0/quotas/{p1}")).await;
    assert_eq!(r.body["quota"]["network"], 3);
}

#[tokio::test]
async fn update_list_reset_and_policy() {
    let api = Api::start();
    let p1 = api.project("alice");
    let path = format!("/v2.0/quotas/{p1}");
    let r = api
        .put("alice", &path, json!({"quota": {"network": 5}}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.delete("alice", &path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.get("alice", "/v2.0/quotas").await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::FORBIDDEN, "AdminRequired")
    );

    let r = api
        .put(
            "admin",
            &path,
            json!({"quota": {"network": 5, "port": "7", "subnet": -1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["quota"]["network"], 5);
    assert_eq!(r.body["quota"]["port"], 7);
    assert_eq!(r.body["quota"]["subnet"], -1);
    assert_eq!(r.body["quota"]["router"], 10);
    let r = api.get("alice", &path).await;
    assert_eq!(r.body["quota"]["network"], 5);
    let r = api.get("admin", "/v2.0/quotas").await;
    let list = r.body["quotas"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["project_id"], p1.as_str());
    assert_eq!(list[0]["tenant_id"], p1.as_str());
    assert_eq!(list[0]["network"], 5);

    let r = api.delete("admin", &path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get("alice", &path).await.body["quota"]["network"], 100);
    let r = api.get("admin", "/v2.0/quotas").await;
    assert_eq!(r.body["quotas"], json!([]));
    let r = api
        .post("admin", "/v2.0/quotas", json!({"quota": {}}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn update_validation() {
    let api = Api::start();
    let path = format!("/v2.0/quotas/{}", api.project("alice"));
    for (body, msg) in [
        (
            json!({"quota": {"bogus": 1}}),
            "Unrecognized attribute(s) 'bogus'",
        ),
        (
            json!({"quota": {"network": "abc"}}),
            "Invalid input for network. Reason: 'abc' is not an integer.",
        ),
        (
            json!({"quota": {"network": -2}}),
            "Invalid input for network. Reason: '-2' is too small - must be at least '-1'.",
        ),
        (
            json!({"quota": {"port": 2147483648i64}}),
            "Invalid input for port. Reason: '2147483648' is too large - must be no larger than '2147483647'.",
        ),
        (
            json!({"quota": {"network": true}}),
            "Invalid input for network. Reason: 'True' is not an integer.",
        ),
        (
            json!({"network": 1}),
            "Unable to find 'quota' in request body",
        ),
    ] {
        let r = api.put("admin", &path, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.message(), msg, "{body}");
    }
    // A limit below what is used needs force.
    api.network("alice", json!({})).await;
    api.network("alice", json!({})).await;
    let r = api
        .put("admin", &path, json!({"quota": {"network": 1}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Quota limit 1 for network must be greater than or equal to already used 2"
    );
    let r = api
        .put(
            "admin",
            &path,
            json!({"quota": {"network": 1, "force": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api
        .put(
            "admin",
            &path,
            json!({"quota": {"network": 2, "check_limit": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // check_limit changes nothing: the check is the default (quota-check-limit-default).
    let r = api
        .put(
            "admin",
            &path,
            json!({"quota": {"network": 1, "check_limit": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn details_count_what_the_project_owns() {
    let api = Api::start();
    let p1 = api.project("alice");
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    api.port("alice", &net, json!({})).await;
    api.port("alice", &net, json!({})).await;
    api.network("bob", json!({})).await;
    let r = api
        .get("alice", &format!("/v2.0/quotas/{p1}/details"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let q = &r.body["quota"];
    assert_eq!(
        q["network"],
        json!({"limit": 100, "used": 1, "reserved": 0})
    );
    assert_eq!(q["subnet"]["used"], 1);
    assert_eq!(q["port"]["used"], 2);
    assert_eq!(
        q["subnetpool"],
        json!({"limit": -1, "used": 0, "reserved": 0})
    );
}

#[tokio::test]
async fn creates_over_quota_are_refused() {
    let api = Api::start();
    let p1 = api.project("alice");
    let path = format!("/v2.0/quotas/{p1}");
    api.put("admin", &path, json!({"quota": {"network": 2, "port": 1}}))
        .await;
    let net = api.network("alice", json!({})).await;
    // Bulk counts the whole batch, and fails as a whole.
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"networks": [{"name": "a"}, {"name": "b"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "OverQuota");
    assert_eq!(r.message(), "Quota exceeded for resources: ['network'].");
    let r = api.get("alice", "/v2.0/networks").await;
    assert_eq!(r.body["networks"].as_array().map(Vec::len), Some(1));
    api.network("alice", json!({})).await;
    let r = api
        .post("alice", "/v2.0/networks", json!({"network": {}}))
        .await;
    assert_eq!((r.status, r.kind()), (StatusCode::CONFLICT, "OverQuota"));
    // Other projects are not affected; an admin creating for p1 is.
    api.network("bob", json!({})).await;
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"project_id": p1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    api.port("alice", &net, json!({})).await;
    let r = api
        .post("alice", "/v2.0/ports", json!({"port": {"network_id": net}}))
        .await;
    assert_eq!(r.message(), "Quota exceeded for resources: ['port'].");
    // Zero forbids; -1 lifts the limit.
    api.put(
        "admin",
        &path,
        json!({"quota": {"subnet": 0, "network": -1}}),
    )
    .await;
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": net, "cidr": "10.1.0.0/24", "ip_version": 4}}),
        )
        .await;
    assert_eq!(r.message(), "Quota exceeded for resources: ['subnet'].");
    api.network("alice", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_never_exceed_the_limit() {
    let api = Arc::new(Api::start());
    let p1 = api.project("alice");
    api.put(
        "admin",
        &format!("/v2.0/quotas/{p1}"),
        json!({"quota": {"network": 7}}),
    )
    .await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post(
                    "alice",
                    "/v2.0/networks",
                    json!({"network": {"name": format!("n{i}")}}),
                )
                .await
                .status
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 7);
    let r = api
        .get("alice", &format!("/v2.0/quotas/{p1}/details"))
        .await;
    assert_eq!(r.body["quota"]["network"]["used"], 7);
}

#[tokio::test]
async fn extensions_advertised() {
    let api = Api::start();
    for alias in [
        "quotas",
        "quota_details",
        "quota-check-limit",
        "quota-check-limit-default",
    ] {
        let r = api.get("alice", &format!("/v2.0/extensions/{alias}")).await;
        assert_eq!(r.status, StatusCode::OK, "{alias}");
    }
}
