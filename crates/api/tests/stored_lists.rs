//! Lists answered with the stored documents as they are (an admin's page or list with nothing
//! to filter or project in memory) give exactly what the general path (parse, view, complete,
//! filter, project, serialise) gives: same items, attributes, order and links, for every
//! collection, with markers, sort keys, `page_reverse` and `fields`, for admins and members.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

/// A filter every resource passes that only the general path applies (in memory, after the
/// view): adding it to a query forces the general path without changing the answer.
const EVERYTHING: &str = "changed_since=1970-01-01T00:00:00Z";

/// The answer to `query`, and the answer of the general path to the same query.
async fn both(api: &Api, user: &str, path: &str, query: &str) -> (Value, Value) {
    let sep = if query.is_empty() { "" } else { "&" };
    let fast = api.get(user, &format!("/v2.0/{path}?{query}")).await;
    let slow = api
        .get(user, &format!("/v2.0/{path}?{query}{sep}{EVERYTHING}"))
        .await;
    assert_eq!(
        fast.status,
        StatusCode::OK,
        "{user} {path}?{query}: {:?}",
        fast.body
    );
    assert_eq!(
        slow.status,
        StatusCode::OK,
        "{user} {path}?{query}: {:?}",
        slow.body
    );
    // The general path's links repeat the extra filter: drop it.
    let slow = slow
        .body
        .to_string()
        .replace("changed_since=1970-01-01T00%3A00%3A00Z&", "")
        .replace("&changed_since=1970-01-01T00%3A00%3A00Z", "")
        .replace("?changed_since=1970-01-01T00%3A00%3A00Z", "?");
    let slow: Value = serde_json::from_str(&slow).unwrap_or_default();
    (fast.body, slow)
}

/// Every query of the matrix on `path` as `user` answers as the general path does.
async fn check(api: &Api, user: &str, path: &str, plural: &str) {
    let all = api.get(user, &format!("/v2.0/{path}")).await;
    assert_eq!(all.status, StatusCode::OK, "{path}: {:?}", all.body);
    let ids = harness::ids(&all.body[plural]);
    let mut sorted = ids.clone();
    sorted.sort();
    let mid = sorted.get(sorted.len() / 2).cloned().unwrap_or_default();
    let last = sorted.last().cloned().unwrap_or_default();
    let queries = [
        String::new(),
        "limit=3".into(),
        "limit=1000".into(),
        format!("limit=3&marker={mid}"),
        format!("limit=3&marker={last}"),
        format!("limit=3&marker={mid}&page_reverse=True"),
        "limit=3&page_reverse=True".into(),
        format!("marker={mid}"),
        "sort_key=name".into(),
        "sort_key=name&sort_dir=desc&limit=2".into(),
        format!("sort_key=name&sort_dir=desc&limit=2&marker={mid}"),
        format!("sort_key=name&limit=2&marker={mid}&page_reverse=True"),
        "sort_key=project_id&sort_dir=asc&sort_key=name&sort_dir=desc&limit=4".into(),
        "sort_key=id&sort_dir=desc&limit=2".into(),
        "fields=id&fields=name&limit=2".into(),
        "fields=id&fields=binding:host_id&sort_key=name".into(),
        format!("project_id={}&limit=2", api.project("alice")),
        "tags=blue&limit=2".into(),
        "name=p1&limit=5".into(),
    ];
    for query in queries {
        let skip = (query.contains("name") && !["ports", "subnets", "routers"].contains(&path))
            || (query.contains("marker") && ids.is_empty());
        if skip {
            continue;
        }
        let (fast, slow) = both(api, user, path, &query).await;
        assert_eq!(fast, slow, "{user} GET /v2.0/{path}?{query}");
    }
}

const COLLECTIONS: [(&str, &str); 10] = [
    ("ports", "ports"),
    ("networks", "networks"),
    ("subnets", "subnets"),
    ("routers", "routers"),
    ("floatingips", "floatingips"),
    ("security-groups", "security_groups"),
    ("security-group-rules", "security_group_rules"),
    ("rbac-policies", "rbac_policies"),
    ("subnetpools", "subnetpools"),
    ("address-scopes", "address_scopes"),
];

async fn check_all(api: &Api) {
    for user in ["admin", "alice", "rita", "bob"] {
        for (path, plural) in COLLECTIONS {
            check(api, user, path, plural).await;
        }
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// POSTs `{key: body}` to `/v2.0/{path}` as `user` and returns the new resource's id
/// (asserting 201).
async fn create(api: &Api, user: &str, path: &str, key: &str, body: Value) -> String {
    let r = api
        .post(user, &format!("/v2.0/{path}"), json!({ key: body }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    id(&r.body[key])
}

#[tokio::test]
async fn stored_pages_answer_as_the_views_do() {
    let api = Api::start();
    let ext = api
        .network("admin", json!({"name": "ext", "router:external": true}))
        .await;
    api.subnet("admin", &ext, "192.0.2.0/24", json!({})).await;
    let net = api.network("alice", json!({"name": "a"})).await;
    let subnet = api
        .subnet("alice", &net, "10.0.0.0/24", json!({"name": "s"}))
        .await;
    let mut ports = Vec::new();
    for (i, name) in ["p1", "P1", "b", "", "p1", "zed", "A", "m"]
        .iter()
        .enumerate()
    {
        let tags = if i % 3 == 0 {
            json!(["blue"])
        } else {
            json!([])
        };
        let p = api
            .port(
                "alice",
                &net,
                json!({"name": name, "device_id": format!("vm-{}", i % 2), "tags": tags}),
            )
            .await;
        ports.push(id(&p));
    }
    let bobs = api.network("bob", json!({"name": "b"})).await;
    api.subnet("bob", &bobs, "10.1.0.0/24", json!({})).await;
    for name in ["p1", "q"] {
        api.port("bob", &bobs, json!({"name": name})).await;
    }
    // Admin ports on alice's network: alice sees them as the network's owner.
    for name in ["adm", "p1"] {
        api.port(
            "admin",
            &net,
            json!({"name": name, "binding:host_id": "host-1", "project_id": "p3"}),
        )
        .await;
    }
    let router = json!({"name": "r", "external_gateway_info": {"network_id": ext}});
    let router = create(&api, "alice", "routers", "router", router).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}/add_router_interface"),
            json!({"subnet_id": id(&subnet)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let fip = json!({"floating_network_id": ext, "port_id": ports[1]});
    create(&api, "alice", "floatingips", "floatingip", fip).await;
    // Shared with the admin's own project by a policy: `shared` is shown relative to it.
    let admin_project = api.project("admin");
    let pool = json!({"name": "pool", "prefixes": ["10.9.0.0/16"], "project_id": "p3"});
    let pool = create(&api, "admin", "subnetpools", "subnetpool", pool).await;
    let scope = json!({"name": "scope", "ip_version": 4, "project_id": "p3"});
    let scope = create(&api, "admin", "address-scopes", "address_scope", scope).await;
    for (object_type, object_id) in [("subnetpool", &pool), ("address_scope", &scope)] {
        let policy = json!({"object_type": object_type, "object_id": object_id,
                    "action": "access_as_shared", "target_tenant": admin_project});
        create(&api, "admin", "rbac-policies", "rbac_policy", policy).await;
    }
    check_all(&api).await;

    // A trunk's parent port shows `trunk_details`, computed on read: the stored documents
    // step aside, and the answers stay those of the views.
    let trunk = json!({"port_id": ports[2]});
    create(&api, "alice", "trunks", "trunk", trunk).await;
    for user in ["admin", "alice"] {
        check(&api, user, "ports", "ports").await;
    }
    let listed = api.get("admin", "/v2.0/ports?limit=1000").await;
    assert!(
        listed.body["ports"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p.get("trunk_details").is_some())),
        "the trunk's parent shows its details in a page"
    );
}
