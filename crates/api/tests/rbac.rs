//! RBAC policies: sharing networks with one project or everyone, the `shared` and
//! `router:external` shortcuts, visibility, policy and the in-use rules.

mod harness;

use axum::http::StatusCode;
use harness::{Api, ids};
use serde_json::{Value, json};

async fn share(api: &Api, user: &str, net: &str, action: &str, target: &str) -> harness::Reply {
    api.post(
        user,
        "/v2.0/rbac-policies",
        json!({"rbac_policy": {"object_type": "network", "object_id": net, "action": action, "target_tenant": target}}),
    )
    .await
}

#[tokio::test]
async fn share_with_one_project() {
    let api = Api::start();
    let (p1, p2) = (api.project("alice"), api.project("bob"));
    let net = api.network("alice", json!({"name": "n"})).await;
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let r = share(&api, "alice", &net, "access_as_shared", &p2).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let p = &r.body["rbac_policy"];
    let mut keys: Vec<&str> = p
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "action",
            "id",
            "object_id",
            "object_type",
            "project_id",
            "target_project",
            "target_tenant",
            "tenant_id"
        ]
    );
    assert_eq!(
        (p["target_tenant"].as_str(), p["project_id"].as_str()),
        (Some(p2.as_str()), Some(p1.as_str()))
    );
    let policy = p["id"].as_str().unwrap_or_default().to_string();

    // bob sees it, shown as shared to him; alice (owner) sees it unshared; the admin too.
    let r = api.get("bob", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["network"]["shared"], true);
    assert_eq!(
        api.get("alice", &format!("/v2.0/networks/{net}"))
            .await
            .body["network"]["shared"],
        false
    );
    let r = api.get("bob", "/v2.0/networks?shared=true").await;
    assert_eq!(ids(&r.body["networks"]), vec![net.clone()]);
    // bob can put a port and see subnets on it.
    let sub = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let sub_id = sub["id"].as_str().unwrap_or_default();
    assert_eq!(
        api.get("bob", &format!("/v2.0/subnets/{sub_id}"))
            .await
            .status,
        StatusCode::OK
    );
    let port = api.port("bob", &net, json!({})).await;

    // bob does not see the policy; alice does.
    assert_eq!(
        api.get("bob", &format!("/v2.0/rbac-policies/{policy}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = api.get("alice", "/v2.0/rbac-policies").await;
    assert_eq!(ids(&r.body["rbac_policies"]), vec![policy.clone()]);
    // While bob's port is there the policy stays.
    let r = api
        .delete("alice", &format!("/v2.0/rbac-policies/{policy}"))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "RbacPolicyInUse")
    );
    let r = api
        .put(
            "alice",
            &format!("/v2.0/rbac-policies/{policy}"),
            json!({"rbac_policy": {"target_tenant": "other"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A wildcard policy keeps bob in, so then the specific one may go.
    let pid = port["id"].as_str().unwrap_or_default();
    assert_eq!(
        api.delete("bob", &format!("/v2.0/ports/{pid}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = api
        .delete("alice", &format!("/v2.0/rbac-policies/{policy}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = api
        .get("alice", &format!("/v2.0/rbac-policies/{policy}"))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "RbacPolicyNotFound")
    );
}

#[tokio::test]
async fn wildcard_and_shared_flag_are_the_same_thing() {
    let api = Api::start();
    let p2 = api.project("bob");
    let net = api.network("admin", json!({"name": "pub"})).await;
    // Only an admin may share with everyone.
    let mine = api.network("alice", json!({})).await;
    let r = share(&api, "alice", &mine, "access_as_shared", "*").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = share(&api, "admin", &net, "access_as_shared", "*").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let policy = r.body["rbac_policy"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = api.get("admin", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.body["network"]["shared"], true);
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{net}")).await.body["network"]["shared"],
        true
    );
    // Same policy again: duplicate.
    let r = share(&api, "admin", &net, "access_as_shared", "*").await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "DuplicateRbacPolicy")
    );
    assert_eq!(
        r.message(),
        "An RBAC policy already exists with those values."
    );
    // Unsharing through the flag removes the policy.
    let r = api
        .put(
            "admin",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"shared": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        api.get("admin", &format!("/v2.0/rbac-policies/{policy}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Sharing through the flag creates one.
    let shared = api.network("admin", json!({"shared": true})).await;
    let r = api
        .get("admin", &format!("/v2.0/rbac-policies?object_id={shared}"))
        .await;
    let list = r.body["rbac_policies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0]["action"].as_str(),
            list[0]["target_tenant"].as_str()
        ),
        (Some("access_as_shared"), Some("*"))
    );
    // Deleting the wildcard policy unshares the network while nobody else uses it.
    let pid = list[0]["id"].as_str().unwrap_or_default();
    let r = api
        .delete("admin", &format!("/v2.0/rbac-policies/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("admin", &format!("/v2.0/networks/{shared}"))
            .await
            .body["network"]["shared"],
        false
    );
    // ... but not while another project has a port there.
    let again = api.network("admin", json!({"shared": true})).await;
    api.port("bob", &again, json!({})).await;
    let r = api
        .get("admin", &format!("/v2.0/rbac-policies?object_id={again}"))
        .await;
    let pid = r.body["rbac_policies"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = api
        .delete("admin", &format!("/v2.0/rbac-policies/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A policy for bob by name keeps him in: then the wildcard can go.
    assert_eq!(
        share(&api, "admin", &again, "access_as_shared", &p2)
            .await
            .status,
        StatusCode::CREATED
    );
    let r = api
        .delete("admin", &format!("/v2.0/rbac-policies/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{again}"))
            .await
            .body["network"]["shared"],
        true
    );
    assert_eq!(
        api.get("admin", &format!("/v2.0/networks/{again}"))
            .await
            .body["network"]["shared"],
        false
    );
}

#[tokio::test]
async fn external_access() {
    let api = Api::start();
    let p2 = api.project("bob");
    let net = api.network("admin", json!({})).await;
    let r = share(&api, "admin", &net, "access_as_external", &p2).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = api.get("bob", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["network"]["router:external"], true);
    assert_eq!(r.body["network"]["shared"], false);
    assert_eq!(
        api.get("alice", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // router:external=false drops every external policy.
    let r = api
        .put(
            "admin",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"router:external": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // router:external=true is a wildcard external policy.
    let ext = api.network("admin", json!({"router:external": true})).await;
    let r = api
        .get(
            "admin",
            &format!("/v2.0/rbac-policies?object_id={ext}&action=access_as_external"),
        )
        .await;
    assert_eq!(r.body["rbac_policies"][0]["target_tenant"], "*");
    assert_eq!(
        api.get("alice", &format!("/v2.0/networks/{ext}"))
            .await
            .status,
        StatusCode::OK
    );
    // Deleting the network takes its policies along.
    assert_eq!(
        api.delete("admin", &format!("/v2.0/networks/{ext}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = api
        .get("admin", &format!("/v2.0/rbac-policies?object_id={ext}"))
        .await;
    assert_eq!(r.body["rbac_policies"], json!([]));
}

#[tokio::test]
async fn validation_and_policy() {
    let api = Api::start();
    let p2 = api.project("bob");
    let net = api.network("alice", json!({})).await;
    let bobs = api.network("bob", json!({})).await;
    let base = json!({"object_type": "network", "object_id": net, "action": "access_as_shared", "target_tenant": p2});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        json!({"rbac_policy": b})
    };
    for (body, status, kind) in [
        (
            with("object_type", json!("address_group")),
            400,
            "HTTPBadRequest",
        ),
        // A QoS policy may be shared, but the object named is a network.
        (
            with("object_type", json!("qos_policy")),
            404,
            "QosPolicyNotFound",
        ),
        (
            with("action", json!("access_as_owner")),
            400,
            "InvalidActionForType",
        ),
        (with("object_id", json!(bobs)), 404, "NetworkNotFound"),
        (with("object_id", json!("nope")), 404, "NetworkNotFound"),
        (with("bogus", json!(1)), 400, "HTTPBadRequest"),
    ] {
        let r = api.post("alice", "/v2.0/rbac-policies", body.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.kind()),
            (status, kind),
            "{body} {:?}",
            r.body
        );
    }
    let r = api
        .post("alice", "/v2.0/rbac-policies", json!({"rbac_policy": {"object_type": "network", "object_id": net, "action": "access_as_shared"}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .post(
            "alice",
            "/v2.0/rbac-policies",
            with("object_type", json!("address_group")),
        )
        .await;
    assert_eq!(
        r.message(),
        "Invalid input for object_type. Reason: 'address_group' is not a valid RBAC object type."
    );
    // A network shared with alice is visible but not hers to share.
    let admin_net = api.network("admin", json!({"shared": true})).await;
    let r = share(&api, "alice", &admin_net, "access_as_shared", &p2).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "InvalidInput")
    );
    assert_eq!(
        r.message(),
        "Invalid input for operation: Only admins can manipulate policies on networks they do not own."
    );
    // Readers cannot create; members cannot change others' policies.
    assert_eq!(
        api.post(
            "rita",
            "/v2.0/rbac-policies",
            with("target_tenant", json!("x"))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = share(&api, "alice", &net, "access_as_shared", &p2).await;
    let pid = r.body["rbac_policy"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        api.get("rita", &format!("/v2.0/rbac-policies/{pid}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.delete("rita", &format!("/v2.0/rbac-policies/{pid}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.delete("bob", &format!("/v2.0/rbac-policies/{pid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Only the target may change; to '*' only for admins.
    let path = format!("/v2.0/rbac-policies/{pid}");
    let r = api
        .put(
            "alice",
            &path,
            json!({"rbac_policy": {"action": "access_as_external"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            "alice",
            &path,
            json!({"rbac_policy": {"target_tenant": "*"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .put(
            "alice",
            &path,
            json!({"rbac_policy": {"target_tenant": "p9"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["rbac_policy"]["target_tenant"].as_str(),
            r.body["rbac_policy"]["target_project"].as_str()
        ),
        (Some("p9"), Some("p9"))
    );
    assert_eq!(
        api.get("bob", &format!("/v2.0/networks/{net}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn rbac_quota() {
    let api = Api::start();

    let p1 = api.project("alice");
    api.put(
        "admin",
        &format!("/v2.0/quotas/{p1}"),
        json!({"quota": {"rbac_policy": 1}}),
    )
    .await;
    let net = api.network("alice", json!({})).await;
    assert_eq!(
        share(&api, "alice", &net, "access_as_shared", "a")
            .await
            .status,
        StatusCode::CREATED
    );
    let r = share(&api, "alice", &net, "access_as_shared", "b").await;
    assert_eq!(
        r.message(),
        "Quota exceeded for resources: ['rbac_policy']."
    );
    assert_eq!(
        api.get("alice", "/v2.0/extensions/rbac-policies")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn share_security_group() {
    let api = Api::start();
    let p2 = api.project("bob");
    let r = api
        .post(
            "alice",
            "/v2.0/security-groups",
            json!({"security_group": {"name": "web"}}),
        )
        .await;
    let sg = r.body["security_group"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        api.get("bob", &format!("/v2.0/security-groups/{sg}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = api
        .post(
            "alice",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "security_group", "object_id": sg, "action": "access_as_shared", "target_tenant": p2}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.get("bob", &format!("/v2.0/security-groups/{sg}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["security_group"]["shared"], true);
    let net = api.network("bob", json!({})).await;
    api.port("bob", &net, json!({"security_groups": [sg]}))
        .await;
    let r = api
        .post(
            "alice",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "security_group", "object_id": sg, "action": "access_as_external", "target_tenant": p2}}),
        )
        .await;
    assert_eq!(r.kind(), "InvalidActionForType");
    assert_eq!(
        api.get("alice", "/v2.0/extensions/rbac-security-groups")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn admins_see_shared_relative_to_their_project_in_lists_too() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let admin_project = api.project("admin");
    let r = api
        .post(
            "admin",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "network", "object_id": net, "action": "access_as_shared", "target_tenant": admin_project}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let one = api
        .get("admin", &format!("/v2.0/networks/{net}"))
        .await
        .body["network"]["shared"]
        .clone();
    let listed = api.get("admin", "/v2.0/networks").await.body["networks"][0]["shared"].clone();
    assert_eq!((one, listed), (json!(true), json!(true)));
}

/// Taking a share away from a project that uses the object is refused, for every shareable type.
#[tokio::test]
async fn policies_in_use_by_other_projects_cannot_be_removed() {
    let api = Api::start();
    let p2 = api.project("bob");
    let policy = |object_type: &str, id: &str| json!({"rbac_policy": {"object_type": object_type, "object_id": id, "action": "access_as_shared", "target_tenant": p2}});
    // A security group of alice's on one of bob's ports.
    let sg = api
        .post(
            "alice",
            "/v2.0/security-groups",
            json!({"security_group": {"name": "web"}}),
        )
        .await
        .body["security_group"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sg_policy = api
        .post(
            "alice",
            "/v2.0/rbac-policies",
            policy("security_group", &sg),
        )
        .await;
    assert_eq!(
        sg_policy.status,
        StatusCode::CREATED,
        "{:?}",
        sg_policy.body
    );
    let net = api.network("bob", json!({})).await;
    api.port("bob", &net, json!({"security_groups": [sg]}))
        .await;
    // A subnet pool of alice's that one of bob's subnets comes from.
    let pool = api
        .post("alice", "/v2.0/subnetpools", json!({"subnetpool": {"name": "p", "prefixes": ["10.80.0.0/16"], "default_prefixlen": 24}}))
        .await
        .body["subnetpool"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pool_policy = api
        .post("alice", "/v2.0/rbac-policies", policy("subnetpool", &pool))
        .await;
    assert_eq!(
        pool_policy.status,
        StatusCode::CREATED,
        "{:?}",
        pool_policy.body
    );
    let s = api
        .post(
            "bob",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": net, "ip_version": 4, "subnetpool_id": pool}}),
        )
        .await;
    assert_eq!(s.status, StatusCode::CREATED, "{:?}", s.body);
    for r in [&sg_policy, &pool_policy] {
        let id = r.body["rbac_policy"]["id"].as_str().unwrap_or_default();
        let del = api
            .delete("alice", &format!("/v2.0/rbac-policies/{id}"))
            .await;
        assert_eq!(
            (del.status, del.kind()),
            (StatusCode::CONFLICT, "RbacPolicyInUse"),
            "{:?}",
            del.body
        );
    }
}

/// An external grant cannot go while a router of a project that would lose access has its
/// gateway on the network; the default external network's wildcard grant cannot go at all.
#[tokio::test]
async fn external_grants_in_use_by_router_gateways_cannot_be_removed() {
    let api = Api::start();
    let bob = api.project("bob");
    let net = api.network("admin", json!({})).await;
    api.subnet("admin", &net, "172.31.0.0/24", json!({})).await;
    let grant = share(&api, "admin", &net, "access_as_external", &bob).await;
    let grant = grant.body["rbac_policy"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .post(
            "bob",
            "/v2.0/routers",
            json!({"router": {"external_gateway_info": {"network_id": net}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let router = r.body["router"]["id"].as_str().unwrap().to_string();
    let path = format!("/v2.0/rbac-policies/{grant}");
    let r = api.delete("admin", &path).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "RbacPolicyInUse")
    );
    assert_eq!(
        r.message(),
        format!(
            "RBAC policy on object {net} cannot be removed because other objects depend on it.\nDetails: There are routers attached to this network that depend on this policy for access."
        )
    );
    // Moving the grant to another project strands the router too.
    let r = api
        .put(
            "admin",
            &path,
            json!({"rbac_policy": {"target_tenant": api.project("alice")}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A wildcard grant beside it keeps bob's access: then the grant may go.
    let everyone = share(&api, "admin", &net, "access_as_external", "*").await;
    let everyone = everyone.body["rbac_policy"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.delete("admin", &path).await.status,
        StatusCode::NO_CONTENT
    );
    // Now only the wildcard serves bob's router: it cannot go; without the router it can.
    let wild = format!("/v2.0/rbac-policies/{everyone}");
    assert_eq!(
        api.delete("admin", &wild).await.status,
        StatusCode::CONFLICT
    );
    let r = api
        .put(
            "bob",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        api.delete("admin", &wild).await.status,
        StatusCode::NO_CONTENT
    );

    // The default external network must stay shared with everyone.
    let ext = api
        .network(
            "admin",
            json!({"router:external": true, "is_default": true}),
        )
        .await;
    let r = api
        .get(
            "admin",
            &format!("/v2.0/rbac-policies?object_id={ext}&action=access_as_external"),
        )
        .await;
    let id = r.body["rbac_policies"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .delete("admin", &format!("/v2.0/rbac-policies/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.message()
            .ends_with("Details: Default external networks must be shared to everyone."),
        "{}",
        r.message()
    );
}
