//! Auto-allocated topology: requirements, the topology it builds, idempotence, policy, delete,
//! and that a failed build leaves nothing behind.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

fn ids_named(list: &Value, key: &str, name: &str) -> Vec<String> {
    list[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["name"] == name)
        .map(|x| x["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The default external network (with a subnet) and a shared default IPv4 pool.
async fn requirements(api: &Api) -> String {
    let ext = api
        .network(
            "admin",
            json!({"router:external": true, "is_default": true}),
        )
        .await;
    api.subnet("admin", &ext, "172.24.8.0/24", json!({})).await;
    let r = api
        .post(
            "admin",
            "/v2.0/subnetpools",
            json!({"subnetpool": {"name": "default-v4", "prefixes": ["10.128.0.0/16"], "default_prefixlen": 26, "is_default": true, "shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    ext
}

#[tokio::test]
async fn requirements_are_named_when_missing() {
    let api = Api::start();
    let me = api.project("alice");
    let path = format!("/v2.0/auto-allocated-topology/{me}");
    let r = api.get("alice", &path).await;
    assert_eq!(
        (r.status, r.kind(), r.message()),
        (
            StatusCode::CONFLICT,
            "AutoAllocationFailure",
            "Deployment error: No default router:external network."
        )
    );
    let ext = api
        .network(
            "admin",
            json!({"router:external": true, "is_default": true}),
        )
        .await;
    api.subnet("admin", &ext, "172.24.8.0/24", json!({})).await;
    let r = api.get("alice", &format!("{path}?fields=dry-run")).await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::CONFLICT,
            "Deployment error: No default subnetpools defined."
        )
    );
    // Nothing was built by the failed requests.
    let nets = api.get("alice", "/v2.0/networks").await;
    assert!(ids_named(&nets.body, "networks", "auto_allocated_network").is_empty());
}

#[tokio::test]
async fn builds_once_answers_the_same_and_deletes() {
    let api = Api::start();
    let ext = requirements(&api).await;
    let me = api.project("alice");
    let path = format!("/v2.0/auto-allocated-topology/{me}");
    let dry = api.get("alice", &format!("{path}?fields=dry-run")).await;
    assert_eq!(
        dry.body["auto_allocated_topology"],
        json!({"id": "dry-run=pass", "project_id": me})
    );
    let r = api.get("alice", &format!("{path}?fields=id")).await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "Bad auto_allocate request: Unrecognized field."
        )
    );

    let r = api.get("alice", &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let net = r.body["auto_allocated_topology"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(r.body["auto_allocated_topology"]["project_id"], me);
    // "None" is the caller's own project; the answer does not change.
    let again = api.get("alice", "/v2.0/auto-allocated-topology/None").await;
    assert_eq!(again.body["auto_allocated_topology"]["id"], net);

    let shown = api.get("alice", &format!("/v2.0/networks/{net}")).await;
    let shown = &shown.body["network"];
    assert_eq!(
        (
            &shown["name"],
            &shown["project_id"],
            &shown["admin_state_up"]
        ),
        (&json!("auto_allocated_network"), &json!(me), &json!(true))
    );
    let subnets = api
        .get("alice", &format!("/v2.0/subnets?network_id={net}"))
        .await;
    let subnet = &subnets.body["subnets"][0];
    assert_eq!(subnet["name"], "auto_allocated_subnet_v4");
    assert_eq!(subnet["cidr"], "10.128.0.0/26");
    let routers = api.get("alice", "/v2.0/routers").await;
    let router = ids_named(&routers.body, "routers", "auto_allocated_router");
    assert_eq!(router.len(), 1);
    let router = api
        .get("alice", &format!("/v2.0/routers/{}", router[0]))
        .await;
    assert_eq!(
        router.body["router"]["external_gateway_info"]["network_id"],
        ext
    );
    let ports = api
        .get(
            "alice",
            &format!("/v2.0/ports?network_id={net}&device_owner=network:router_interface"),
        )
        .await;
    assert_eq!(ports.body["ports"].as_array().unwrap().len(), 1);

    // Another project may not ask for alice's; an admin may.
    let r = api.get("bob", &path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.get("admin", &path).await;
    assert_eq!(r.body["auto_allocated_topology"]["id"], net);

    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("alice", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let routers = api.get("alice", "/v2.0/routers").await;
    assert!(ids_named(&routers.body, "routers", "auto_allocated_router").is_empty());
    // Deleting nothing is no error; the next GET builds anew.
    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::NO_CONTENT
    );
    let r = api.get("alice", &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.body["auto_allocated_topology"]["id"], net);
}

#[tokio::test]
async fn a_build_over_quota_leaves_nothing_behind() {
    let api = Api::start();
    requirements(&api).await;
    let me = api.project("alice");
    let r = api
        .put(
            "admin",
            &format!("/v2.0/quotas/{me}"),
            json!({"quota": {"router": 0}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api
        .get("alice", &format!("/v2.0/auto-allocated-topology/{me}"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let nets = api.get("alice", "/v2.0/networks").await;
    assert!(ids_named(&nets.body, "networks", "auto_allocated_network").is_empty());
    let subnets = api.get("alice", "/v2.0/subnets").await;
    assert!(ids_named(&subnets.body, "subnets", "auto_allocated_subnet_v4").is_empty());
}
