//! Network logs (`logging`): `/v2.0/log/logs` and `/v2.0/log/loggable-resources` with
//! upstream's attributes, defaults, validation, error types, policy and cascades.

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply, ids};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn expect(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!((r.status, r.kind()), (status, kind), "{:?}", r.body);
}

async fn create_log(api: &Api, body: Value) -> Reply {
    api.post("admin", "/v2.0/log/logs", json!({ "log": body }))
        .await
}

async fn log(api: &Api, body: Value) -> Value {
    let r = create_log(api, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["log"].clone()
}

#[tokio::test]
async fn a_log_has_upstreams_attributes_and_defaults() {
    let api = Api::start();
    let created = log(
        &api,
        json!({"name": "l1", "description": "d", "resource_type": "security_group"}),
    )
    .await;
    let keys = harness::keys(&created);
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "enabled",
            "event",
            "id",
            "name",
            "project_id",
            "resource_id",
            "resource_type",
            "revision_number",
            "target_id",
            "tenant_id",
            "updated_at",
        ]
    );
    assert_eq!(created["event"], "ALL");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["resource_id"], Value::Null);
    assert_eq!(created["target_id"], Value::Null);
    assert_eq!(created["project_id"], api.project("admin"));
    assert_eq!(created["revision_number"], 1);

    // Show, list, update (name, description, enabled), delete: tempest's lifecycle.
    let path = format!("/v2.0/log/logs/{}", id(&created));
    let r = api.get("admin", &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["log"], created);
    let r = api.get("admin", "/v2.0/log/logs").await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&created)]);
    let r = api
        .put(
            "admin",
            &path,
            json!({"log": {"description": "d2", "enabled": false, "name": "l2"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["log"]["description"], "d2");
    assert_eq!(r.body["log"]["enabled"], false);
    assert_eq!(r.body["log"]["name"], "l2");
    assert_eq!(r.body["log"]["revision_number"], 2);
    for fixed in [
        json!({"event": "DROP"}),
        json!({"resource_type": "security_group"}),
        json!({"resource_id": null}),
        json!({"target_id": null}),
    ] {
        let r = api.put("admin", &path, json!({ "log": fixed })).await;
        expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    }
    let r = api.delete("admin", &path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api.get("admin", &path).await;
    expect(&r, StatusCode::NOT_FOUND, "LogResourceNotFound");
    assert_eq!(
        r.message(),
        format!("Log resource {} could not be found.", id(&created))
    );
}

#[tokio::test]
async fn loggable_resources_are_security_groups() {
    let api = Api::start();
    let r = api.get("admin", "/v2.0/log/loggable-resources").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"loggable_resources": [{"type": "security_group"}]})
    );
    let r = api.get("alice", "/v2.0/log/loggable-resources").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"loggable_resources": []}));
    let r = api.get("admin", "/v2.0/extensions/logging").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["extension"]["name"], "Logging API Extension");
}

#[tokio::test]
async fn requests_are_validated_as_upstream() {
    let api = Api::start();
    let missing = uuid::Uuid::new_v4().to_string();
    let sg = |extra: Value| {
        let mut body = json!({"resource_type": "security_group"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let not_found = StatusCode::NOT_FOUND;
    let bad = StatusCode::BAD_REQUEST;
    let cases = [
        // tempest's negative tests.
        (
            json!({"resource_type": "fake_resource"}),
            bad,
            "InvalidLogResourceType",
            "Invalid log resource_type: fake_resource.".to_string(),
        ),
        (
            sg(json!({"target_id": missing})),
            not_found,
            "TargetResourceNotFound",
            format!("Target resource {missing} could not be found."),
        ),
        (
            sg(json!({"resource_id": missing})),
            not_found,
            "ResourceNotFound",
            format!("Resource {missing} could not be found."),
        ),
        (
            json!({"name": "x"}),
            bad,
            "HTTPBadRequest",
            "Failed to parse request. Required attribute 'resource_type' not specified".into(),
        ),
        (
            sg(json!({"event": "SOME"})),
            bad,
            "HTTPBadRequest",
            "Invalid input for event. Reason: SOME is not in ['ACCEPT', 'DROP', 'ALL'].".into(),
        ),
        (
            sg(json!({"resource_id": "nope"})),
            bad,
            "HTTPBadRequest",
            "Invalid input for resource_id. Reason: 'nope' is not a valid UUID.".into(),
        ),
        (
            sg(json!({"enabled": "maybe"})),
            bad,
            "HTTPBadRequest",
            "Invalid input for enabled. Reason: 'maybe' cannot be converted to boolean.".into(),
        ),
        (
            sg(json!({"status": "x"})),
            bad,
            "HTTPBadRequest",
            "Unrecognized attribute(s) 'status'".into(),
        ),
    ];
    for (body, status, kind, message) in cases {
        let r = create_log(&api, body).await;
        expect(&r, status, kind);
        assert_eq!(r.message(), message);
    }

    // A port named with a group must be in it.
    let net = api.network("admin", json!({})).await;
    api.subnet("admin", &net, "10.0.0.0/24", json!({})).await;
    let sg = id(&api.security_group("admin", "logged").await);
    let port = api.port("admin", &net, json!({})).await;
    let r = create_log(
        &api,
        json!({"resource_type": "security_group", "resource_id": sg, "target_id": id(&port)}),
    )
    .await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidResourceConstraint");
    assert_eq!(
        r.message(),
        format!(
            "Invalid resource constraint between resource (security_group {sg}) and target resource (port {}).",
            id(&port)
        )
    );
    let in_group = api
        .port("admin", &net, json!({"security_groups": [sg]}))
        .await;
    let both = log(
        &api,
        json!({"resource_type": "security_group", "resource_id": sg, "target_id": id(&in_group), "event": "DROP"}),
    )
    .await;
    assert_eq!(both["event"], "DROP");
    assert_eq!(both["target_id"], id(&in_group));

    // A port bound with a binding type the OVN driver does not log.
    let direct = api
        .port("admin", &net, json!({"binding:vnic_type": "direct"}))
        .await;
    let r = create_log(
        &api,
        json!({"resource_type": "security_group", "target_id": id(&direct)}),
    )
    .await;
    expect(&r, StatusCode::CONFLICT, "LoggingTypeNotSupported");
    assert_eq!(
        r.message(),
        format!(
            "Logging type security_group is not supported on port {}.",
            id(&direct)
        )
    );
}

#[tokio::test]
async fn logs_are_the_admins() {
    let api = Api::start();
    let created = log(&api, json!({"resource_type": "security_group"})).await;
    let path = format!("/v2.0/log/logs/{}", id(&created));
    for user in ["alice", "rita"] {
        let r = api.get(user, "/v2.0/log/logs").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["logs"], json!([]));
        let r = api.get(user, &path).await;
        expect(&r, StatusCode::NOT_FOUND, "LogResourceNotFound");
        let r = api.put(user, &path, json!({"log": {"name": "x"}})).await;
        expect(&r, StatusCode::NOT_FOUND, "LogResourceNotFound");
        let r = api.delete(user, &path).await;
        expect(&r, StatusCode::NOT_FOUND, "LogResourceNotFound");
    }
    let r = api
        .post(
            "alice",
            "/v2.0/log/logs",
            json!({"log": {"resource_type": "security_group"}}),
        )
        .await;
    expect(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    assert_eq!(r.message(), "rule:create_log is disallowed by policy");
    // An admin may make a log for another project.
    let theirs = log(
        &api,
        json!({"resource_type": "security_group", "project_id": api.project("alice")}),
    )
    .await;
    assert_eq!(theirs["project_id"], api.project("alice"));
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let api = Api::start();
    let sg = id(&api.security_group("admin", "web").await);
    let a = log(
        &api,
        json!({"name": "b", "resource_type": "security_group", "event": "ACCEPT"}),
    )
    .await;
    let b = log(
        &api,
        json!({"name": "a", "resource_type": "security_group", "resource_id": sg, "enabled": false}),
    )
    .await;
    let r = api.get("admin", "/v2.0/log/logs?event=ACCEPT").await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&a)]);
    let r = api.get("admin", "/v2.0/log/logs?enabled=false").await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&b)]);
    let r = api
        .get("admin", &format!("/v2.0/log/logs?resource_id={sg}"))
        .await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&b)]);
    let r = api.get("admin", "/v2.0/log/logs?sort_key=name").await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&b), id(&a)]);
    let r = api
        .get("admin", "/v2.0/log/logs?sort_key=name&limit=1")
        .await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&b)]);
    let next = r.body["logs_links"][0]["href"].as_str().unwrap_or_default();
    assert!(
        next.starts_with("http://neutrino.test/v2.0/log/logs?"),
        "{next}"
    );
    assert!(next.contains(&format!("marker={}", id(&b))), "{next}");
    let r = api.get("admin", "/v2.0/log/logs?fields=name").await;
    assert_eq!(r.body["logs"][0].as_object().unwrap().len(), 1);
    let r = api.get("admin", "/v2.0/log/logs?bogus=1").await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
}

#[tokio::test]
async fn a_log_goes_with_its_security_group_or_port() {
    let api = Api::start();
    let net = api.network("admin", json!({})).await;
    api.subnet("admin", &net, "10.0.0.0/24", json!({})).await;
    let sg = id(&api.security_group("admin", "logged").await);
    let port = api.port("admin", &net, json!({})).await;
    let by_group = log(
        &api,
        json!({"resource_type": "security_group", "resource_id": sg}),
    )
    .await;
    let by_port = log(
        &api,
        json!({"resource_type": "security_group", "target_id": id(&port)}),
    )
    .await;
    let global = log(&api, json!({"resource_type": "security_group"})).await;

    let r = api
        .delete("admin", &format!("/v2.0/security-groups/{sg}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .get("admin", &format!("/v2.0/log/logs/{}", id(&by_group)))
        .await;
    expect(&r, StatusCode::NOT_FOUND, "LogResourceNotFound");

    let r = api
        .delete("admin", &format!("/v2.0/ports/{}", id(&port)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api.get("admin", "/v2.0/log/logs").await;
    assert_eq!(ids(&r.body["logs"]), vec![id(&global)]);
    let _ = by_port;
}
