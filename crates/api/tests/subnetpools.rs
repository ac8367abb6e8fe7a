//! Subnet pools and address scopes: attributes and their rules, defaults per IP version,
//! prefix updates and actions, subnets allocated from pools (first free block, specific CIDR,
//! bounds, quota, exhaustion, network affinity), address scopes and the scopes networks show.

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply};
use serde_json::{Value, json};

async fn pool(api: &Api, user: &str, body: Value) -> Reply {
    api.post(user, "/v2.0/subnetpools", json!({ "subnetpool": body }))
        .await
}

async fn pool_id(api: &Api, user: &str, body: Value) -> String {
    let r = pool(api, user, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["subnetpool"]["id"].as_str().unwrap().to_string()
}

async fn pool_subnet(api: &Api, user: &str, net: &str, extra: Value) -> Reply {
    let mut body = json!({"network_id": net, "ip_version": 4});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    api.post(user, "/v2.0/subnets", json!({ "subnet": body }))
        .await
}

async fn scope(api: &Api, user: &str, body: Value) -> String {
    let r = api
        .post(
            user,
            "/v2.0/address-scopes",
            json!({ "address_scope": body }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["address_scope"]["id"].as_str().unwrap().to_string()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn create_shows_defaults_and_compacts_prefixes() {
    let api = Api::start();
    let r = pool(
        &api,
        "alice",
        json!({"name": "p", "prefixes": ["10.0.1.0/24", "10.0.0.0/24", "10.0.0.0/25"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let p = &r.body["subnetpool"];
    assert_eq!(
        keys(p),
        [
            "address_scope_id",
            "created_at",
            "default_prefixlen",
            "default_quota",
            "description",
            "id",
            "ip_version",
            "is_default",
            "max_prefixlen",
            "min_prefixlen",
            "name",
            "prefixes",
            "project_id",
            "revision_number",
            "shared",
            "tags",
            "tenant_id",
            "updated_at"
        ]
    );
    assert_eq!(p["prefixes"], json!(["10.0.0.0/23"]));
    assert_eq!(p["ip_version"], 4);
    assert_eq!(
        (
            &p["min_prefixlen"],
            &p["max_prefixlen"],
            &p["default_prefixlen"]
        ),
        // Strings, as upstream shows them.
        (&json!("8"), &json!("32"), &json!("8"))
    );
    assert_eq!(p["default_quota"], Value::Null);
    assert_eq!(p["is_default"], false);
    assert_eq!(p["shared"], false);

    let r = pool(
        &api,
        "alice",
        json!({"name": "v6", "prefixes": ["2001:db8::/48"]}),
    )
    .await;
    let p = &r.body["subnetpool"];
    assert_eq!(
        (
            p["ip_version"].clone(),
            p["min_prefixlen"].clone(),
            p["max_prefixlen"].clone()
        ),
        (json!(6), json!("64"), json!("128"))
    );
    // They sort by value ("8" < "64"), as upstream's integer columns do, and filter as text.
    let sorted = api
        .get(
            "alice",
            "/v2.0/subnetpools?sort_key=min_prefixlen&sort_dir=asc",
        )
        .await;
    let lens: Vec<&Value> = sorted.body["subnetpools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["min_prefixlen"])
        .collect();
    assert_eq!(lens, [&json!("8"), &json!("64")]);
    let filtered = api.get("alice", "/v2.0/subnetpools?min_prefixlen=64").await;
    assert_eq!(filtered.body["subnetpools"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn create_rejects_bad_prefixes_names_and_bounds() {
    let api = Api::start();
    let cases = [
        (
            json!({"name": "p", "prefixes": []}),
            "EmptySubnetPoolPrefixList",
            "Empty subnet pool prefix list.",
        ),
        (
            json!({"name": "p", "prefixes": ["10.0.0.0/8", "2001:db8::/48"]}),
            "PrefixVersionMismatch",
            "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.",
        ),
        (
            json!({"name": "p", "prefixes": ["10.0.0.0/8"], "min_prefixlen": 24, "max_prefixlen": 20}),
            "IllegalSubnetPoolPrefixBounds",
            "Illegal prefix bounds: min_prefixlen=24, max_prefixlen=20.",
        ),
        (
            json!({"name": "p", "prefixes": ["10.0.0.0/8"], "max_prefixlen": 33}),
            "IllegalSubnetPoolPrefixBounds",
            "Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.",
        ),
        (
            json!({"name": "p", "prefixes": ["10.0.0.0/8"], "min_prefixlen": 16, "default_prefixlen": 12}),
            "IllegalSubnetPoolPrefixBounds",
            "Illegal prefix bounds: default_prefixlen=12, min_prefixlen=16.",
        ),
        (
            json!({"name": "p", "prefixes": ["10.0.0.0/8"], "max_prefixlen": 24, "default_prefixlen": 26}),
            "IllegalSubnetPoolPrefixBounds",
            "Illegal prefix bounds: default_prefixlen=26, max_prefixlen=24.",
        ),
    ];
    for (body, kind, message) in cases {
        let r = pool(&api, "alice", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        assert_eq!((r.kind(), r.message()), (kind, message), "{body}");
    }
    let r = pool(
        &api,
        "alice",
        json!({"name": "", "prefixes": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = pool(&api, "alice", json!({"prefixes": ["10.0.0.0/8"]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.message().contains("Required attribute 'name'"),
        "{}",
        r.message()
    );
    let r = pool(&api, "alice", json!({"name": "p", "prefixes": ["nope"]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = pool(&api, "alice", json!({"name": "p"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn admin_only_attributes_and_one_default_per_version() {
    let api = Api::start();
    for attr in ["shared", "is_default"] {
        let r = pool(
            &api,
            "alice",
            json!({"name": "p", "prefixes": ["10.0.0.0/8"], attr: true}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{attr}");
    }
    let r = pool(
        &api,
        "rita",
        json!({"name": "p", "prefixes": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    pool_id(
        &api,
        "admin",
        json!({"name": "d4", "prefixes": ["10.0.0.0/8"], "is_default": true}),
    )
    .await;
    pool_id(
        &api,
        "admin",
        json!({"name": "d6", "prefixes": ["2001:db8::/32"], "is_default": true}),
    )
    .await;
    let r = pool(
        &api,
        "admin",
        json!({"name": "d4b", "prefixes": ["11.0.0.0/8"], "is_default": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.kind(), "InvalidInput");
    assert_eq!(
        r.message(),
        "Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family."
    );
    let other = pool_id(
        &api,
        "admin",
        json!({"name": "x", "prefixes": ["11.0.0.0/8"]}),
    )
    .await;
    let r = api
        .put(
            "admin",
            &format!("/v2.0/subnetpools/{other}"),
            json!({"subnetpool": {"is_default": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            "admin",
            &format!("/v2.0/subnetpools/{other}"),
            json!({"subnetpool": {"shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.message(), "Cannot update read-only attribute shared");
}

#[tokio::test]
async fn visibility_own_shared_and_rbac() {
    let api = Api::start();
    let own = pool_id(
        &api,
        "alice",
        json!({"name": "a", "prefixes": ["10.0.0.0/8"]}),
    )
    .await;
    let shared = pool_id(
        &api,
        "admin",
        json!({"name": "s", "prefixes": ["11.0.0.0/8"], "shared": true}),
    )
    .await;
    assert_eq!(
        api.get("bob", &format!("/v2.0/subnetpools/{own}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("bob", &format!("/v2.0/subnetpools/{shared}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.get("rita", &format!("/v2.0/subnetpools/{own}"))
            .await
            .status,
        StatusCode::OK
    );
    let r = api
        .put(
            "bob",
            &format!("/v2.0/subnetpools/{shared}"),
            json!({"subnetpool": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let bob = api.project("bob");
    let r = api
        .post(
            "alice",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "subnetpool", "object_id": own, "action": "access_as_shared", "target_tenant": bob}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.get("bob", &format!("/v2.0/subnetpools/{own}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["subnetpool"]["shared"], true);
    let r = api.get("bob", "/v2.0/subnetpools").await;
    assert_eq!(r.body["subnetpools"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn update_only_grows_prefixes_and_actions_change_them() {
    let api = Api::start();
    let id = pool_id(
        &api,
        "alice",
        json!({"name": "p", "prefixes": ["10.0.0.0/24"], "min_prefixlen": 24}),
    )
    .await;
    let path = format!("/v2.0/subnetpools/{id}");
    let r = api
        .put(
            "alice",
            &path,
            json!({"subnetpool": {"prefixes": ["10.1.0.0/24"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.kind(), "IllegalSubnetPoolPrefixUpdate", "{}", r.message());
    assert_eq!(
        r.message(),
        "Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes."
    );
    let r = api
        .put("alice", &path, json!({"subnetpool": {"prefixes": ["10.0.0.0/23"], "name": "q", "default_quota": 1024}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["subnetpool"]["prefixes"], json!(["10.0.0.0/23"]));
    assert_eq!(r.body["subnetpool"]["revision_number"], 2);
    let r = api
        .put(
            "alice",
            &path,
            json!({"subnetpool": {"default_prefixlen": 20}}),
        )
        .await;
    assert_eq!(r.kind(), "IllegalSubnetPoolPrefixBounds");

    let r = api
        .put(
            "alice",
            &format!("{path}/add_prefixes"),
            json!({"prefixes": ["10.0.2.0/24", "192.168.0.0/24"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"prefixes": ["10.0.0.0/23", "10.0.2.0/24", "192.168.0.0/24"]})
    );
    let r = api
        .put(
            "alice",
            &format!("{path}/add_prefixes"),
            json!({"prefixes": ["2001:db8::/64"]}),
        )
        .await;
    assert_eq!(r.kind(), "PrefixVersionMismatch");
    let r = api
        .put(
            "alice",
            &format!("{path}/add_prefixes"),
            json!({"prefixes": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.message(), "Request body contains invalid data");

    let net = api.network("alice", json!({"name": "n"})).await;
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "cidr": "192.168.0.0/24"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api
        .put(
            "alice",
            &format!("{path}/remove_prefixes"),
            json!({"prefixes": ["192.168.0.0/24"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.kind(), "IllegalSubnetPoolPrefixUpdate");
    assert_eq!(
        r.message(),
        "Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet.."
    );
    let r = api
        .put(
            "alice",
            &format!("{path}/remove_prefixes"),
            json!({"prefixes": ["10.0.1.0/24"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"prefixes": ["10.0.0.0/24", "10.0.2.0/24", "192.168.0.0/24"]})
    );
    // Removing every prefix leaves an empty pool that allocates nothing (and does not fail).
    let empty = pool_id(
        &api,
        "alice",
        json!({"name": "e", "prefixes": ["172.16.0.0/24"], "default_quota": 10}),
    )
    .await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/subnetpools/{empty}/remove_prefixes"),
            json!({"prefixes": ["172.16.0.0/16"]}),
        )
        .await;
    assert_eq!(r.body, json!({"prefixes": []}));
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": empty, "prefixlen": 30}),
    )
    .await;
    assert_eq!(r.kind(), "NetworkSubnetPoolAffinityError");
    let net2 = api.network("alice", json!({})).await;
    let r = pool_subnet(
        &api,
        "alice",
        &net2,
        json!({"subnetpool_id": empty, "prefixlen": 30}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::INTERNAL_SERVER_ERROR, "SubnetAllocationError")
    );
    let r = api
        .put(
            "bob",
            &format!("{path}/add_prefixes"),
            json!({"prefixes": ["10.9.0.0/24"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "SubnetPoolNotFound");
}

#[tokio::test]
async fn subnets_from_a_pool() {
    let api = Api::start();
    let id = pool_id(
        &api,
        "alice",
        json!({"name": "p", "prefixes": ["10.10.0.0/24", "10.20.0.0/16"], "min_prefixlen": 24, "max_prefixlen": 28, "default_prefixlen": 26}),
    )
    .await;
    let net = api.network("alice", json!({"name": "n"})).await;
    // Default size, from the smallest free block.
    let r = pool_subnet(&api, "alice", &net, json!({"subnetpool_id": id})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let s = &r.body["subnet"];
    assert_eq!(s["cidr"], "10.10.0.0/26");
    assert_eq!(s["gateway_ip"], "10.10.0.1");
    assert_eq!(s["subnetpool_id"], json!(id));
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "prefixlen": 28}),
    )
    .await;
    assert_eq!(r.body["subnet"]["cidr"], "10.10.0.64/28", "{:?}", r.body);
    // A specific CIDR inside the pool, and one taken or outside it.
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "cidr": "10.20.5.0/24"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "cidr": "10.30.0.0/24"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.kind(), "SubnetAllocationError");
    assert_eq!(
        r.message(),
        "Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes."
    );
    // Bounds, mixing cidr and prefixlen, version mismatch, allocation pools on any-requests.
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "prefixlen": 29}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "MaxPrefixSubnetAllocationError")
    );
    assert_eq!(
        r.message(),
        "Unable to allocate subnet with prefix length 29, maximum allowed prefix is 28."
    );
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "prefixlen": 16}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "MinPrefixSubnetAllocationError")
    );
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "prefixlen": 26, "cidr": "10.20.0.0/26"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Bad subnets request: cidr and prefixlen must not be supplied together."
    );
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "ip_version": 6}),
    )
    .await;
    assert_eq!(
        r.message(),
        "Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool."
    );
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "allocation_pools": [{"start": "10.20.0.2", "end": "10.20.0.5"}]}),
    )
    .await;
    assert_eq!(
        r.message(),
        "Bad subnets request: allocation_pools allowed only for specific subnet requests."
    );
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": "6c1b1f43-6ad3-4d4f-a0a5-0e0cd9e8c9c1"}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "SubnetPoolNotFound")
    );
    let r = pool_subnet(
        &api,
        "bob",
        &api.network("bob", json!({})).await,
        json!({"subnetpool_id": id}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A pool with subnets cannot go; without them it can.
    let r = api
        .delete("alice", &format!("/v2.0/subnetpools/{id}"))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "SubnetPoolDeleteError")
    );
    assert_eq!(
        r.message(),
        "Unable to delete subnet pool: Subnet pool has existing allocations."
    );
    let r = api.delete("alice", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .delete("alice", &format!("/v2.0/subnetpools/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}

#[tokio::test]
async fn exhaustion_frees_blocks_on_delete() {
    let api = Api::start();
    let id = pool_id(
        &api,
        "alice",
        json!({"name": "p", "prefixes": ["10.0.0.0/25"], "default_prefixlen": 26}),
    )
    .await;
    let (n1, n2, n3) = (
        api.network("alice", json!({})).await,
        api.network("alice", json!({})).await,
        api.network("alice", json!({})).await,
    );
    let a = pool_subnet(&api, "alice", &n1, json!({"subnetpool_id": id})).await;
    let b = pool_subnet(&api, "alice", &n2, json!({"subnetpool_id": id})).await;
    assert_eq!(a.body["subnet"]["cidr"], "10.0.0.0/26");
    assert_eq!(b.body["subnet"]["cidr"], "10.0.0.64/26");
    let r = pool_subnet(&api, "alice", &n3, json!({"subnetpool_id": id})).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::INTERNAL_SERVER_ERROR, "SubnetAllocationError")
    );
    assert_eq!(
        r.message(),
        "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /26."
    );
    let sid = a.body["subnet"]["id"].as_str().unwrap();
    assert_eq!(
        api.delete("alice", &format!("/v2.0/subnets/{sid}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = pool_subnet(&api, "alice", &n3, json!({"subnetpool_id": id})).await;
    assert_eq!(r.body["subnet"]["cidr"], "10.0.0.0/26", "{:?}", r.body);
}

#[tokio::test]
async fn pool_quota_and_network_affinity() {
    let api = Api::start();
    let id = pool_id(&api, "admin", json!({"name": "p", "prefixes": ["10.0.0.0/16"], "default_prefixlen": 26, "default_quota": 100, "shared": true})).await;
    let other = pool_id(
        &api,
        "admin",
        json!({"name": "o", "prefixes": ["10.1.0.0/16"], "default_prefixlen": 26, "shared": true}),
    )
    .await;
    let net = api.network("alice", json!({})).await;
    let r = pool_subnet(&api, "alice", &net, json!({"subnetpool_id": id})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = pool_subnet(&api, "alice", &net, json!({"subnetpool_id": id})).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "SubnetPoolQuotaExceeded")
    );
    assert_eq!(
        r.message(),
        "Per-project subnet pool prefix quota exceeded."
    );
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"subnetpool_id": id, "cidr": "10.0.9.0/25"}),
    )
    .await;
    assert_eq!(r.kind(), "SubnetPoolQuotaExceeded");
    // Another project has its own quota.
    let bnet = api.network("bob", json!({})).await;
    assert_eq!(
        pool_subnet(&api, "bob", &bnet, json!({"subnetpool_id": id}))
            .await
            .status,
        StatusCode::CREATED
    );

    let r = pool_subnet(&api, "alice", &net, json!({"subnetpool_id": other})).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "NetworkSubnetPoolAffinityError")
    );
    assert_eq!(
        r.message(),
        "Subnets hosted on the same network must be allocated from the same subnet pool."
    );
    let r = pool_subnet(&api, "alice", &net, json!({"cidr": "192.168.0.0/24"})).await;
    assert_eq!(r.kind(), "NetworkSubnetPoolAffinityError");
    // IPv6 subnets are not bound by the IPv4 pool.
    api.subnet("alice", &net, "2001:db8::/64", json!({})).await;
}

#[tokio::test]
async fn default_subnetpool() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let r = pool_subnet(&api, "alice", &net, json!({"use_default_subnetpool": true})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Bad subnets request: No default subnetpool found for IPv4."
    );
    let id = pool_id(&api, "admin", json!({"name": "d", "prefixes": ["10.0.0.0/16"], "default_prefixlen": 24, "is_default": true, "shared": true})).await;
    let r = pool_subnet(
        &api,
        "alice",
        &net,
        json!({"use_default_subnetpool": true, "subnetpool_id": id}),
    )
    .await;
    assert_eq!(
        r.message(),
        "Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified."
    );
    let r = pool_subnet(&api, "alice", &net, json!({"use_default_subnetpool": true})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["subnet"]["cidr"], "10.0.0.0/24");
    assert_eq!(r.body["subnet"]["subnetpool_id"], json!(id));
    let r = pool_subnet(&api, "alice", &net, json!({})).await;
    assert_eq!(
        r.message(),
        "Bad subnets request: a subnetpool must be specified in the absence of a cidr."
    );
}

#[tokio::test]
async fn address_scopes() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/address-scopes",
            json!({"address_scope": {"name": "s", "ip_version": 4}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        keys(&r.body["address_scope"]),
        [
            "id",
            "ip_version",
            "name",
            "project_id",
            "shared",
            "tenant_id"
        ]
    );
    let s4 = r.body["address_scope"]["id"].as_str().unwrap().to_string();
    let r = api
        .post(
            "alice",
            "/v2.0/address-scopes",
            json!({"address_scope": {"name": "s", "ip_version": 5}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .post(
            "alice",
            "/v2.0/address-scopes",
            json!({"address_scope": {"name": "s", "ip_version": 4, "shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get("bob", &format!("/v2.0/address-scopes/{s4}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let s6 = scope(&api, "alice", json!({"name": "s6", "ip_version": 6})).await;

    // Pools join a scope of their version, without overlapping its other pools.
    let p1 = pool_id(&api, "alice", json!({"name": "a", "prefixes": ["10.0.0.0/16"], "address_scope_id": s4, "default_prefixlen": 24})).await;
    let r = pool(
        &api,
        "alice",
        json!({"name": "b", "prefixes": ["10.0.128.0/17"], "address_scope_id": s4}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "AddressScopePrefixConflict")
    );
    assert_eq!(
        r.message(),
        "Failed to associate address scope: subnetpools within an address scope must have unique prefixes."
    );
    let r = pool(
        &api,
        "alice",
        json!({"name": "b", "prefixes": ["10.1.0.0/16"], "address_scope_id": s6}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (
            StatusCode::BAD_REQUEST,
            "IllegalSubnetPoolIpVersionAssociationToAddressScope"
        )
    );
    let r = pool(
        &api,
        "bob",
        json!({"name": "b", "prefixes": ["10.1.0.0/16"], "address_scope_id": s4}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "AddressScopeNotFound")
    );
    let r = api
        .put(
            "alice",
            &format!("/v2.0/subnetpools/{p1}/add_prefixes"),
            json!({"prefixes": ["10.5.0.0/16"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let p2 = pool_id(&api, "alice", json!({"name": "c", "prefixes": ["10.6.0.0/16"], "address_scope_id": s4, "default_prefixlen": 24})).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/subnetpools/{p2}/add_prefixes"),
            json!({"prefixes": ["10.5.1.0/24"]}),
        )
        .await;
    assert_eq!(r.kind(), "AddressScopePrefixConflict");

    // Networks show the scope of their subnets' pools.
    let net = api.network("alice", json!({})).await;
    let r = pool_subnet(&api, "alice", &net, json!({"subnetpool_id": p1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let sub = r.body["subnet"]["id"].as_str().unwrap().to_string();
    let n = api.get("alice", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(n.body["network"]["ipv4_address_scope"], json!(s4));
    assert_eq!(n.body["network"]["ipv6_address_scope"], Value::Null);
    // Another pool of the same scope may serve the same network.
    let r = pool_subnet(&api, "alice", &net, json!({"subnetpool_id": p2})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let sub2 = r.body["subnet"]["id"].as_str().unwrap().to_string();

    // A scope in use cannot go; moving the pool out changes the network's scope.
    let r = api
        .delete("alice", &format!("/v2.0/address-scopes/{s4}"))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "AddressScopeInUse")
    );
    api.delete("alice", &format!("/v2.0/subnets/{sub2}")).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/subnetpools/{p1}"),
            json!({"subnetpool": {"address_scope_id": null}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let n = api.get("alice", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(n.body["network"]["ipv4_address_scope"], Value::Null);
    api.delete("alice", &format!("/v2.0/subnetpools/{p2}"))
        .await;
    assert_eq!(
        api.delete("alice", &format!("/v2.0/address-scopes/{s4}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    api.delete("alice", &format!("/v2.0/subnets/{sub}")).await;

    // Updates: name; shared only by admins and never back to false.
    let r = api
        .put(
            "alice",
            &format!("/v2.0/address-scopes/{s6}"),
            json!({"address_scope": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.body["address_scope"]["name"], "x");
    let r = api
        .put(
            "admin",
            &format!("/v2.0/address-scopes/{s6}"),
            json!({"address_scope": {"shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        api.get("bob", &format!("/v2.0/address-scopes/{s6}"))
            .await
            .status,
        StatusCode::OK
    );
    let r = api
        .put(
            "admin",
            &format!("/v2.0/address-scopes/{s6}"),
            json!({"address_scope": {"shared": false}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "AddressScopeUpdateError")
    );
    let r = api
        .put(
            "alice",
            &format!("/v2.0/address-scopes/{s6}"),
            json!({"address_scope": {"ip_version": 4}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn extensions_and_quota_are_advertised() {
    let api = Api::start();
    let r = api.get("alice", "/v2.0/extensions").await;
    let aliases: Vec<&str> = r.body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["alias"].as_str())
        .collect();
    for a in [
        "subnet_allocation",
        "default-subnetpools",
        "subnetpool-prefix-ops",
        "address-scope",
        "rbac-subnetpool",
        "rbac-address-scope",
    ] {
        assert!(aliases.contains(&a), "{a}");
    }
    let p1 = api.project("alice");
    let r = api
        .put(
            "admin",
            &format!("/v2.0/quotas/{p1}"),
            json!({"quota": {"subnetpool": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    pool_id(
        &api,
        "alice",
        json!({"name": "a", "prefixes": ["10.0.0.0/16"]}),
    )
    .await;
    let r = pool(
        &api,
        "alice",
        json!({"name": "b", "prefixes": ["10.1.0.0/16"]}),
    )
    .await;
    assert_eq!((r.status, r.kind()), (StatusCode::CONFLICT, "OverQuota"));
}
