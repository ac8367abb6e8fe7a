//! Networks: defaults, provider segments, MTU, sharing, external, delete rules.

mod harness;

use axum::http::StatusCode;
use harness::{Api, ids};
use serde_json::{Value, json};

#[tokio::test]
async fn defaults_and_every_attribute() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"name": "n1"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let n = &r.body["network"];
    let keys: Vec<&str> = n
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "admin_state_up",
            "availability_zone_hints",
            "availability_zones",
            "created_at",
            "description",
            "dns_domain",
            "id",
            "ipv4_address_scope",
            "ipv6_address_scope",
            "is_default",
            "l2_adjacency",
            "mtu",
            "name",
            "port_security_enabled",
            "project_id",
            "qinq",
            "qos_policy_id",
            "revision_number",
            "router:external",
            "shared",
            "status",
            "subnets",
            "tags",
            "tenant_id",
            "updated_at",
            "vlan_transparent"
        ],
        "a member does not see provider attributes"
    );
    assert_eq!(
        (
            n["status"].as_str(),
            n["mtu"].as_u64(),
            n["shared"].as_bool()
        ),
        (Some("ACTIVE"), Some(1450), Some(false))
    );
    assert_eq!(n["admin_state_up"], true);
    assert_eq!(n["port_security_enabled"], true);
    let created = n["created_at"].as_str().unwrap_or_default();
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
}

#[tokio::test]
async fn tenant_networks_get_distinct_geneve_vnis() {
    let api = Api::start();
    let a = api.network("alice", json!({})).await;
    let b = api.network("bob", json!({})).await;
    let va = api.get("admin", &format!("/v2.0/networks/{a}")).await.body["network"]["provider:segmentation_id"].clone();
    let vb = api.get("admin", &format!("/v2.0/networks/{b}")).await.body["network"]["provider:segmentation_id"].clone();
    assert_eq!(
        api.get("admin", &format!("/v2.0/networks/{a}")).await.body["network"]["provider:network_type"],
        "geneve"
    );
    assert!(va.is_u64() && vb.is_u64() && va != vb);
}

#[tokio::test]
async fn provider_networks_are_admin_only_and_unique() {
    let api = Api::start();
    let body = json!({"network": {"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 101}});
    let r = api.post("alice", "/v2.0/networks", body.clone()).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::FORBIDDEN, "PolicyNotAuthorized")
    );
    let r = api.post("admin", "/v2.0/networks", body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["network"]["provider:segmentation_id"], 101);
    assert_eq!(r.body["network"]["mtu"], 1500);
    let r = api.post("admin", "/v2.0/networks", body).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "SegmentationIdInUse")
    );
    let flat = json!({"network": {"provider:network_type": "flat", "provider:physical_network": "public"}});
    assert_eq!(
        api.post("admin", "/v2.0/networks", flat.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    let r = api.post("admin", "/v2.0/networks", flat).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "FlatNetworkInUse")
    );
    let r = api.post("admin", "/v2.0/networks", json!({"network": {"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 5000}})).await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::BAD_REQUEST, "InvalidInput")
    );
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"provider:network_type": "bogus"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"provider:segmentation_id": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn mtu_is_bounded_and_writable() {
    let api = Api::start();
    let r = api
        .post("alice", "/v2.0/networks", json!({"network": {"mtu": 9000}}))
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "Invalid input for operation: Requested MTU is too big, maximum is 1450."
        )
    );
    let id = api.network("alice", json!({"mtu": 1400})).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{id}"),
            json!({"network": {"mtu": 1300}}),
        )
        .await;
    assert_eq!(r.body["network"]["mtu"], 1300);
    api.subnet("alice", &id, "2001:db8::/64", json!({})).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{id}"),
            json!({"network": {"mtu": 1200}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "NetworkMTUSubnetConflict")
    );
}

#[tokio::test]
async fn updates_merge_and_read_only_attributes_are_refused() {
    let api = Api::start();
    let id = api
        .network("alice", json!({"name": "a", "description": "d"}))
        .await;
    let path = format!("/v2.0/networks/{id}");
    let before = api.get("alice", &path).await.body["network"].clone();
    let r = api
        .put(
            "alice",
            &path,
            json!({"network": {"admin_state_up": false}}),
        )
        .await;
    let after = &r.body["network"];
    assert_eq!(
        (
            after["name"].as_str(),
            after["description"].as_str(),
            after["admin_state_up"].as_bool()
        ),
        (Some("a"), Some("d"), Some(false))
    );
    assert_eq!(
        after["revision_number"].as_u64(),
        before["revision_number"].as_u64().map(|r| r + 1)
    );
    let r = api
        .put("alice", &path, json!({"network": {"status": "DOWN"}}))
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "Cannot update read-only attribute status"
        )
    );
    let r = api.put("alice", &path, json!({"networks": [{}]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            "alice",
            &path,
            json!({"network": {"dns_domain": "bad domain"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            "alice",
            &path,
            json!({"network": {"dns_domain": "example.org."}}),
        )
        .await;
    assert_eq!(r.body["network"]["dns_domain"], "example.org.");
}

#[tokio::test]
async fn shared_and_external_networks() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let shared = api
        .network("admin", json!({"name": "shared", "shared": true}))
        .await;
    let external = api
        .network("admin", json!({"name": "public", "router:external": true}))
        .await;
    let private = api.network("admin", json!({"name": "private"})).await;
    let seen: Vec<Value> = api.get("bob", "/v2.0/networks").await.body["networks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = seen.iter().filter_map(|n| n["id"].as_str()).collect();
    assert!(
        ids.contains(&shared.as_str())
            && ids.contains(&external.as_str())
            && !ids.contains(&private.as_str())
    );
    let r = api.get("bob", "/v2.0/networks?router:external=True").await;
    assert_eq!(r.body["networks"].as_array().map(Vec::len), Some(1));
    // Bob may use the shared network but not change it.
    api.port("bob", &shared, json!({})).await;
    let r = api
        .put(
            "bob",
            &format!("/v2.0/networks/{shared}"),
            json!({"network": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Unsharing while bob has a port on it is refused.
    let r = api
        .put(
            "admin",
            &format!("/v2.0/networks/{shared}"),
            json!({"network": {"shared": false}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "InvalidSharedSetting")
    );
}

#[tokio::test]
async fn delete_in_use_and_cascade() {
    let api = Api::start();
    let id = api.network("alice", json!({})).await;
    let subnet = api.subnet("alice", &id, "10.1.0.0/24", json!({})).await;
    let port = api.port("alice", &id, json!({})).await;
    let dhcp = api
        .port("alice", &id, json!({"device_owner": "network:dhcp"}))
        .await;
    let r = api.delete("alice", &format!("/v2.0/networks/{id}")).await;
    assert_eq!((r.status, r.kind()), (StatusCode::CONFLICT, "NetworkInUse"));
    assert!(
        r.message()
            .contains("There are one or more ports still in use on the network")
    );
    assert!(r.message().contains(port["id"].as_str().unwrap_or("?")));
    assert_eq!(
        api.delete(
            "alice",
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap_or_default())
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.delete("alice", &format!("/v2.0/networks/{id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    for path in [
        format!("/v2.0/networks/{id}"),
        format!(
            "/v2.0/subnets/{}",
            subnet["id"].as_str().unwrap_or_default()
        ),
        format!("/v2.0/ports/{}", dhcp["id"].as_str().unwrap_or_default()),
    ] {
        assert_eq!(
            api.get("alice", &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = api.delete("alice", &format!("/v2.0/networks/{id}")).await;
    assert_eq!(
        (r.status, r.kind(), r.message().to_string()),
        (
            StatusCode::NOT_FOUND,
            "NetworkNotFound",
            format!("Network {id} could not be found.")
        )
    );
}

/// A network's `subnets` are read from the subnets table when the network is, in creation
/// order: for one network, a list, and a page of a list; a subnet deleted is gone from it.
#[tokio::test]
async fn subnets_are_read_in_creation_order() {
    let api = Api::start();
    let a = api.network("alice", json!({})).await;
    let b = api.network("alice", json!({})).await;
    let mut on_a = Vec::new();
    for k in [5, 1, 4, 2, 3, 0] {
        let s = api
            .subnet("alice", &a, &format!("10.0.{k}.0/24"), json!({}))
            .await;
        on_a.push(s["id"].as_str().unwrap_or_default().to_string());
    }
    let s = api.subnet("alice", &b, "10.1.0.0/24", json!({})).await;
    let on_b = vec![s["id"].as_str().unwrap_or_default().to_string()];
    let gone = on_a.remove(2);
    let d = api.delete("alice", &format!("/v2.0/subnets/{gone}")).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{:?}", d.body);

    let shown = api.get("alice", &format!("/v2.0/networks/{a}")).await;
    assert_eq!(shown.body["network"]["subnets"], json!(on_a));
    for query in [
        "",
        "?limit=1",
        "?limit=1&page_reverse=true",
        "?fields=id&fields=subnets",
    ] {
        let r = api.get("alice", &format!("/v2.0/networks{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {:?}", r.body);
        for n in r.body["networks"].as_array().into_iter().flatten() {
            let want = if n["id"] == json!(a) { &on_a } else { &on_b };
            assert_eq!(n["subnets"], json!(want), "{query}");
        }
    }
    let r = api
        .get("admin", &format!("/v2.0/networks?id={a}&id={b}"))
        .await;
    assert_eq!(ids(&r.body["networks"]).len(), 2);
    for n in r.body["networks"].as_array().into_iter().flatten() {
        let want = if n["id"] == json!(a) { &on_a } else { &on_b };
        assert_eq!(n["subnets"], json!(want));
    }
    // The network's update answers with its subnets too.
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{a}"),
            json!({"network": {"name": "renamed"}}),
        )
        .await;
    assert_eq!(r.body["network"]["subnets"], json!(on_a));
}

/// `tenant_network_types` in order: a tenant network takes VLAN while the range has a free id,
/// then Geneve; flat and VLAN networks take their physnet's `physical_network_mtus` entry.
#[tokio::test]
async fn tenant_types_in_order_and_physnet_mtus() {
    let api = Api::with_config(neutrino_network::NetworkConfig {
        tenant_network_types: vec!["vlan".into(), "geneve".into()],
        network_vlan_ranges: vec!["physnet1:100:101".into()],
        physical_network_mtus: vec!["physnet1:9000".into()],
        ..Default::default()
    });
    let mut seen = Vec::new();
    for i in 0..3 {
        let r = api
            .post(
                "admin",
                "/v2.0/networks",
                json!({"network": {"name": format!("t{i}")}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let n = &r.body["network"];
        seen.push((
            n["provider:network_type"].as_str().unwrap().to_owned(),
            n["mtu"].as_u64().unwrap(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("vlan".to_owned(), 9000),
            ("vlan".to_owned(), 9000),
            ("geneve".to_owned(), 1450)
        ]
    );
    let too_big = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"provider:network_type": "flat",
                               "provider:physical_network": "physnet1", "mtu": 9001}}),
        )
        .await;
    assert_eq!(
        too_big.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        too_big.body
    );
}

/// `is_default` (the external network auto-allocation uses): admins set it, only external
/// networks keep it, and only one network has it.
#[tokio::test]
async fn one_default_external_network() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"is_default": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let first = api
        .network(
            "admin",
            json!({"router:external": true, "is_default": true}),
        )
        .await;
    let shown = api.get("admin", &format!("/v2.0/networks/{first}")).await;
    assert_eq!(shown.body["network"]["is_default"], true);
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"router:external": true, "is_default": true}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind(), r.message()),
        (
            StatusCode::CONFLICT,
            "DefaultExternalNetworkExists",
            format!("A default external network already exists: {first}.").as_str()
        )
    );
    // A network that is not external does not keep the flag.
    let internal = api.network("admin", json!({"is_default": true})).await;
    let shown = api
        .get("admin", &format!("/v2.0/networks/{internal}"))
        .await;
    assert_eq!(shown.body["network"]["is_default"], false);
    // Once the first gives it up, another may take it.
    let r = api
        .put(
            "admin",
            &format!("/v2.0/networks/{first}"),
            json!({"network": {"is_default": false}}),
        )
        .await;
    assert_eq!(r.body["network"]["is_default"], false);
    let second = api.network("admin", json!({"router:external": true})).await;
    let r = api
        .put(
            "admin",
            &format!("/v2.0/networks/{second}"),
            json!({"network": {"is_default": true}}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["network"]["is_default"]),
        (StatusCode::OK, &json!(true))
    );
}
