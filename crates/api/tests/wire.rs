//! Wire basics: versions, auth, request bodies, the error envelope, request ids, extensions.

mod harness;

use axum::http::{Method, StatusCode};
use harness::{Api, ids};
use serde_json::json;

#[tokio::test]
async fn root_answers_without_a_token() {
    let api = Api::start();
    let r = api.raw(Method::GET, "/", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": "http://neutrino.test/v2.0/"}]}]})
    );
    assert!(
        r.headers
            .get("x-openstack-request-id")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("req-"))
    );
}

#[tokio::test]
async fn api_needs_a_valid_token() {
    let api = Api::start();
    for token in [None, Some("garbage")] {
        let headers: Vec<(&str, &str)> =
            token.map(|t| vec![("x-auth-token", t)]).unwrap_or_default();
        let r = api
            .raw(Method::GET, "/v2.0/networks", None, None, &headers)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers["www-authenticate"],
            "Keystone uri=\"http://neutrino.test/v3\""
        );
    }
    assert_eq!(
        api.get("alice", "/v2.0/networks").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn v2_root_lists_resources_and_json_suffix_works() {
    let api = Api::start();
    let r = api.get("alice", "/v2.0/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["resources"][0]["collection"], "networks");
    let id = api.network("alice", json!({"name": "n"})).await;
    let r = api.get("alice", "/v2.0/networks.json").await;
    assert_eq!(r.body["networks"][0]["id"], id.as_str());
}

#[tokio::test]
async fn extensions_are_listed_and_shown() {
    let api = Api::start();
    let list = api.get("alice", "/v2.0/extensions").await;
    let exts = list.body["extensions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(exts.iter().any(|e| e["alias"] == "standard-attr-tag"));
    assert!(exts.iter().any(|e| e["alias"] == "router"));
    assert!(
        !exts.iter().any(|e| e["alias"] == "dvr"),
        "distributed routers are not implemented"
    );
    let one = api.get("alice", "/v2.0/extensions/pagination").await;
    assert_eq!(one.status, StatusCode::OK);
    let listed = exts.iter().find(|e| e["alias"] == "pagination").cloned();
    assert_eq!(Some(one.body["extension"].clone()), listed);
    let missing = api.get("alice", "/v2.0/extensions/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.message(),
        "Extension with alias nope does not exist"
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_and_change_nothing() {
    let api = Api::start();
    let cases: &[(&str, &str)] = &[
        ("", "Resource body required"),
        ("{not json", "Body contains invalid data"),
        ("[1]", "Body contains invalid data"),
        ("{\"net\": {}}", "Unable to find 'network' in request body"),
        ("{\"network\": 5}", "Object 'network' contains invalid data"),
        ("{\"networks\": []}", "Resources required"),
        (
            "{\"network\": {\"foo\": 1, \"bar\": 2}}",
            "Unrecognized attribute(s) 'bar, foo'",
        ),
        (
            "{\"network\": {\"id\": \"x\"}}",
            "Attribute 'id' not allowed in POST",
        ),
        (
            "{\"network\": {\"admin_state_up\": \"maybe\"}}",
            "Invalid input for operation: 'maybe' cannot be converted to boolean.",
        ),
        (
            "{\"network\": {\"name\": 5}}",
            "Invalid input for name. Reason: '5' is not a valid string.",
        ),
    ];
    for (body, message) in cases {
        let r = api
            .raw(
                Method::POST,
                "/v2.0/networks",
                Some("alice"),
                Some(body),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.message(), *message, "{body}");
        assert_eq!(r.body["NeutronError"]["detail"], "");
    }
    assert_eq!(
        api.get("alice", "/v2.0/networks").await.body["networks"],
        json!([])
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let api = Api::start();
    let big = format!(
        "{{\"network\": {{\"name\": \"{}\"}}}}",
        "x".repeat(5 * 1024 * 1024)
    );
    let r = api
        .raw(
            Method::POST,
            "/v2.0/networks",
            Some("alice"),
            Some(&big),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.kind(), "HTTPRequestEntityTooLarge");
}

#[tokio::test]
async fn delete_with_a_body_and_unknown_paths() {
    let api = Api::start();
    let id = api.network("alice", json!({})).await;
    let r = api
        .raw(
            Method::DELETE,
            &format!("/v2.0/networks/{id}"),
            Some("alice"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.message(), "Request body is not supported in DELETE.");
    let r = api.get("alice", "/v2.0/widgets").await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "HTTPNotFound")
    );
    let r = api
        .raw(Method::PATCH, "/v2.0/networks", Some("alice"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn bulk_create_is_atomic() {
    let api = Api::start();
    let ok = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"networks": [{"name": "a"}, {"network": {"name": "b"}}]}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert_eq!(ok.body["networks"].as_array().map(Vec::len), Some(2));
    let bad = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"networks": [{"name": "c"}, {"name": "d", "mtu": "x"}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let names: Vec<String> =
        api.get("alice", "/v2.0/networks?sort_key=name").await.body["networks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|n| n["name"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
    assert_eq!(names, ["a", "b"]);
}

#[tokio::test]
async fn if_match_revision_number() {
    let api = Api::start();
    let id = api.network("alice", json!({"name": "r"})).await;
    let path = format!("/v2.0/networks/{id}");
    let rev = api.get("alice", &path).await.body["network"]["revision_number"]
        .as_u64()
        .unwrap_or(0);
    let body = json!({"network": {"name": "r2"}}).to_string();
    let wrong = format!("revision_number={}", rev + 5);
    let r = api
        .raw(
            Method::PUT,
            &path,
            Some("alice"),
            Some(&body),
            &[("if-match", &wrong)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.kind(), "RevisionNumberConstraintFailed");
    assert_eq!(
        r.message(),
        format!("Constrained to {}, but current revision is {rev}", rev + 5)
    );
    let right = format!("revision_number={rev}");
    let r = api
        .raw(
            Method::PUT,
            &path,
            Some("alice"),
            Some(&body),
            &[("if-match", &right)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["network"]["revision_number"].as_u64(), Some(rev + 1));
    let r = api
        .raw(
            Method::DELETE,
            &path,
            Some("alice"),
            None,
            &[("if-match", &right)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn project_id_and_tenant_id_rules() {
    let api = Api::start();
    let p1 = api.project("alice");
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"project_id": p1, "tenant_id": "other"}}),
        )
        .await;
    assert_eq!(r.message(), "'project_id' and 'tenant_id' do not match");
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"tenant_id": "other"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"tenant_id": p1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        (
            r.body["network"]["project_id"].as_str(),
            r.body["network"]["tenant_id"].as_str()
        ),
        (Some(p1.as_str()), Some(p1.as_str()))
    );
}

#[tokio::test]
async fn agents_list_is_empty_not_missing() {
    let api = Api::start();
    for user in ["alice", "admin"] {
        let r = api.get(user, "/v2.0/agents").await;
        assert_eq!(
            (r.status, r.body.clone()),
            (StatusCode::OK, json!({"agents": []}))
        );
    }
    let r = api.get("alice", "/v2.0/service-providers").await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!({"service_providers": []}))
    );
    let r = api.get("admin", "/v2.0/agents/abc").await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "AgentNotFound")
    );
}

/// Agents as the OVN back end's Southbound task records them (written here straight into the
/// store): listed to administrators with liveness and upstream's timestamps, filtered, projected;
/// hidden from everyone else; their zones listed and accepted as hints.
#[tokio::test]
async fn agents_recorded_by_the_back_end_are_listed_to_administrators() {
    let api = Api::start();
    let rows = [
        Api::agent("gw1", "OVN Controller Gateway agent", "az1", 60_000),
        Api::agent("hv1", "OVN Controller agent", "az2", -1),
    ];
    api.put_agents(rows.into()).await;

    let r = api.get("admin", "/v2.0/agents").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(&r.body["agents"]), ["gw1", "hv1"]);
    let gw = &r.body["agents"][0];
    assert_eq!(
        (gw["alive"].clone(), gw["host"].clone()),
        (json!(true), json!("gw1"))
    );
    assert_eq!(gw["heartbeat_timestamp"].as_str().map(str::len), Some(19));
    assert_eq!(r.body["agents"][1]["alive"], false);
    let r = api
        .get("admin", "/v2.0/agents?alive=false&fields=id&fields=alive")
        .await;
    assert_eq!(r.body, json!({"agents": [{"id": "hv1", "alive": false}]}));
    let r = api
        .get(
            "admin",
            "/v2.0/agents?agent_type=OVN%20Controller%20Gateway%20agent",
        )
        .await;
    assert_eq!(ids(&r.body["agents"]), ["gw1"]);
    let r = api.get("admin", "/v2.0/agents?colour=red").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.get("admin", "/v2.0/agents/hv1").await;
    assert_eq!(r.body["agent"]["configurations"]["chassis_name"], "hv1");
    // Not an administrator: nothing to see.
    assert_eq!(
        api.get("alice", "/v2.0/agents").await.body,
        json!({"agents": []})
    );
    let r = api.get("alice", "/v2.0/agents/gw1").await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "AgentNotFound")
    );

    // Their zones, available while an agent in them is alive, and valid hints.
    let r = api
        .get("alice", "/v2.0/availability_zones?resource=network")
        .await;
    assert_eq!(
        r.body,
        json!({"availability_zones": [
            {"name": "nova", "resource": "network", "state": "available"},
            {"name": "az1", "resource": "network", "state": "available"},
            {"name": "az2", "resource": "network", "state": "unavailable"}]})
    );
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"availability_zone_hints": ["az1"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["network"]["availability_zones"], json!(["az1"]));
}

#[tokio::test]
async fn head_is_not_allowed_and_extensions_are_read_only() {
    let api = Api::start();
    let r = api
        .raw(Method::HEAD, "/v2.0/networks", Some("alice"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    for (method, path) in [
        (Method::POST, "/v2.0/extensions"),
        (Method::DELETE, "/v2.0/extensions/pagination"),
    ] {
        let r = api.raw(method, path, Some("alice"), None, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// docs/api.md lists the advertised extensions; keep it true to the server.
#[test]
fn documented_extensions_are_the_advertised_ones() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"))
        .expect("docs/api.md");
    // The first paragraph of the section is the list of aliases, each in backquotes.
    let list = doc
        .split("## Advertised extensions\n\n")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap_or_default();
    let mut documented: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    documented.sort_unstable();
    documented.dedup();
    let mut advertised: Vec<&str> = neutrino_network::extensions::all()
        .iter()
        .map(|e| e.alias)
        .collect();
    advertised.sort_unstable();
    assert_eq!(documented, advertised);
}

#[tokio::test]
async fn identity_errors_keep_keystones_shape() {
    let api = Api::start();
    let r = api
        .raw(Method::POST, "/v3/domains", Some("admin"), Some("{}"), &[])
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body["error"]["code"], 405);
    assert!(r.body.get("NeutronError").is_none());
}
