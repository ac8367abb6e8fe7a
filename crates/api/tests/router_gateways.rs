//! A router's several gateways (`external-gateway-multihoming`) and its default-route flags
//! (`enable-default-route-bfd`, `enable-default-route-ecmp`), as upstream's
//! `ExtraGatewaysDbOnlyMixin`: `external_gateways` (the `external_gateway_info` one first), the
//! `add_external_gateways` / `update_external_gateways` / `remove_external_gateways` actions, and
//! what `external_gateway_info` does beside them.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn router(api: &Api, user: &str, body: Value) -> Value {
    let r = api
        .post(user, "/v2.0/routers", json!({"router": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["router"].clone()
}

/// An external network with one subnet: (network id, subnet id).
async fn external(api: &Api, cidr: &str) -> (String, String) {
    let net = api.network("admin", json!({"router:external": true})).await;
    let subnet = api.subnet("admin", &net, cidr, json!({})).await;
    (net, id(&subnet))
}

async fn act(api: &Api, user: &str, router: &str, action: &str, gateways: Value) -> harness::Reply {
    api.put(
        user,
        &format!("/v2.0/routers/{router}/{action}"),
        json!({"router": {"external_gateways": gateways}}),
    )
    .await
}

/// An action that succeeds: the router it answers.
async fn ok(api: &Api, user: &str, router: &str, action: &str, gateways: Value) -> Value {
    let r = act(api, user, router, action, gateways).await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {:?}", r.body);
    r.body["router"].clone()
}

/// The networks of a router's `external_gateways`, in order.
fn networks(router: &Value) -> Vec<String> {
    router["external_gateways"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|g| g["network_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The router's gateway ports (as an admin sees them), by network.
async fn gateway_ports(api: &Api, router: &str) -> Vec<Value> {
    let r = api
        .get(
            "admin",
            &format!("/v2.0/ports?device_id={router}&device_owner=network:router_gateway"),
        )
        .await;
    r.body["ports"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_extensions_are_advertised_and_routers_show_the_attributes() {
    let api = Api::start();
    let list = api.get("alice", "/v2.0/extensions").await;
    for alias in [
        "external-gateway-multihoming",
        "enable-default-route-bfd",
        "enable-default-route-ecmp",
    ] {
        assert!(
            list.body["extensions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["alias"] == alias),
            "{alias}"
        );
    }
    let r = router(&api, "alice", json!({})).await;
    assert_eq!(r["external_gateways"], json!([]));
    assert_eq!(r["enable_default_route_bfd"], false);
    assert_eq!(r["enable_default_route_ecmp"], false);
}

#[tokio::test]
async fn bfd_and_ecmp_are_admin_only_to_set_and_updatable() {
    let api = Api::start();
    let refused = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"enable_default_route_ecmp": true}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    let r = router(
        &api,
        "admin",
        json!({"enable_default_route_bfd": true, "enable_default_route_ecmp": null}),
    )
    .await;
    assert_eq!(r["enable_default_route_bfd"], true);
    assert_eq!(r["enable_default_route_ecmp"], false);
    let path = format!("/v2.0/routers/{}", id(&r));
    let refused = api
        .put(
            "alice",
            &path,
            json!({"router": {"enable_default_route_bfd": false}}),
        )
        .await;
    assert!(
        refused.status == StatusCode::FORBIDDEN || refused.status == StatusCode::NOT_FOUND,
        "{:?}",
        refused.body
    );
    let changed = api
        .put(
            "admin",
            &path,
            json!({"router": {"enable_default_route_ecmp": "true", "enable_default_route_bfd": false}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["router"]["enable_default_route_ecmp"], true);
    assert_eq!(changed.body["router"]["enable_default_route_bfd"], false);
    let bad = api
        .put(
            "admin",
            &path,
            json!({"router": {"enable_default_route_ecmp": "maybe"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let read_only = api
        .put("admin", &path, json!({"router": {"external_gateways": []}}))
        .await;
    assert_eq!(
        read_only.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        read_only.body
    );
}

#[tokio::test]
async fn gateways_are_added_shown_first_compat_and_removed() {
    let api = Api::start();
    let (ext1, sub1) = external(&api, "198.51.100.0/24").await;
    let (ext2, _) = external(&api, "203.0.113.0/24").await;
    let r = router(&api, "alice", json!({"name": "multi"})).await;
    let rid = id(&r);

    // The first gateway of a router without one is its compatibility gateway.
    let added = ok(
        &api,
        "alice",
        &rid,
        "add_external_gateways",
        json!([{"network_id": ext1}, {"network_id": ext2}]),
    )
    .await;
    let shown = &added;
    assert_eq!(networks(shown), vec![ext1.clone(), ext2.clone()]);
    assert_eq!(shown["external_gateway_info"]["network_id"], ext1.as_str());
    assert_eq!(
        shown["external_gateway_info"]["external_fixed_ips"],
        shown["external_gateways"][0]["external_fixed_ips"]
    );
    assert_eq!(
        shown["external_gateways"][0]["external_fixed_ips"][0]["subnet_id"],
        sub1.as_str()
    );
    assert!(shown["external_gateways"][0].get("enable_snat").is_none());
    assert_eq!(gateway_ports(&api, &rid).await.len(), 2);
    // Reading it again shows the same.
    let read = api.get("alice", &format!("/v2.0/routers/{rid}")).await;
    assert_eq!(
        read.body["router"]["external_gateways"],
        shown["external_gateways"]
    );

    // A third on a network it already has a gateway on.
    let again = ok(
        &api,
        "admin",
        &rid,
        "add_external_gateways",
        json!([{"network_id": ext2}]),
    )
    .await;
    assert_eq!(
        networks(&again),
        vec![ext1.clone(), ext2.clone(), ext2.clone()]
    );

    // Removing by network alone is ambiguous with two gateways there.
    let ambiguous = act(
        &api,
        "alice",
        &rid,
        "remove_external_gateways",
        json!([{"network_id": ext2}]),
    )
    .await;
    assert_eq!(
        ambiguous.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{:?}",
        ambiguous.body
    );
    assert_eq!(ambiguous.kind(), "UnableToMatchGateways");
    let third_ip = again["external_gateways"][2]["external_fixed_ips"][0]["ip_address"].clone();
    let removed = ok(
        &api,
        "admin",
        &rid,
        "remove_external_gateways",
        json!([{"network_id": ext2, "external_fixed_ips": [{"ip_address": third_ip}]}]),
    )
    .await;
    assert_eq!(networks(&removed), vec![ext1.clone(), ext2.clone()]);

    // Removing the compatibility gateway makes the next one the compatibility gateway.
    let removed = ok(
        &api,
        "alice",
        &rid,
        "remove_external_gateways",
        json!([{"network_id": ext1}]),
    )
    .await;
    assert_eq!(networks(&removed), vec![ext2.clone()]);
    assert_eq!(
        removed["external_gateway_info"]["network_id"],
        ext2.as_str()
    );

    // A gateway on a network the router has none on cannot be matched.
    let unmatched = act(
        &api,
        "alice",
        &rid,
        "remove_external_gateways",
        json!([{"network_id": ext1}]),
    )
    .await;
    assert_eq!(unmatched.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(unmatched.kind(), "UnableToMatchGateways");

    // No gateways given: nothing changes (what `openstack router unset` sends first).
    let none = act(&api, "alice", &rid, "remove_external_gateways", json!({})).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(networks(&none.body["router"]), vec![ext2.clone()]);

    // Deleting the router takes every gateway port with it.
    act(
        &api,
        "alice",
        &rid,
        "add_external_gateways",
        json!([{"network_id": ext1}]),
    )
    .await;
    assert_eq!(gateway_ports(&api, &rid).await.len(), 2);
    let deleted = api.delete("alice", &format!("/v2.0/routers/{rid}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(gateway_ports(&api, &rid).await.is_empty());
}

#[tokio::test]
async fn update_external_gateways_makes_the_list_what_is_asked() {
    let api = Api::start();
    let (ext1, _) = external(&api, "198.51.100.0/24").await;
    let (ext2, _) = external(&api, "203.0.113.0/24").await;
    let (ext3, _) = external(&api, "192.0.2.0/24").await;
    let rid = id(&router(&api, "alice", json!({})).await);

    // As `openstack router set --external-gateway` sends it.
    let set = ok(
        &api,
        "alice",
        &rid,
        "update_external_gateways",
        json!([{"network_id": ext1}]),
    )
    .await;
    assert_eq!(networks(&set), vec![ext1.clone()]);
    assert_eq!(set["external_gateway_info"]["enable_snat"], true);
    let first_port = gateway_ports(&api, &rid).await[0]["id"].clone();

    // The same again keeps the port.
    let same = act(
        &api,
        "alice",
        &rid,
        "update_external_gateways",
        json!([{"network_id": ext1}]),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(gateway_ports(&api, &rid).await[0]["id"], first_port);

    // Two more; then a list naming the second first makes it the compatibility gateway and drops
    // the one not named.
    let three = ok(&api,
        "admin",
        &rid,
        "update_external_gateways",
        json!([{"network_id": ext1, "enable_snat": false}, {"network_id": ext2}, {"network_id": ext3}]),).await;
    assert_eq!(
        networks(&three),
        vec![ext1.clone(), ext2.clone(), ext3.clone()]
    );
    assert_eq!(three["external_gateway_info"]["enable_snat"], false);
    assert_eq!(three["enable_snat"], false);
    let reordered = ok(
        &api,
        "alice",
        &rid,
        "update_external_gateways",
        json!([{"network_id": ext2}, {"network_id": ext1}]),
    )
    .await;
    assert_eq!(networks(&reordered), vec![ext2.clone(), ext1.clone()]);
    let ports = gateway_ports(&api, &rid).await;
    assert_eq!(ports.len(), 2);
    assert!(
        ports.iter().any(|p| p["id"] == first_port),
        "ext1's port is kept"
    );

    // Non-admins may not choose addresses or SNAT.
    let refused = act(
        &api,
        "alice",
        &rid,
        "update_external_gateways",
        json!([{"network_id": ext2, "enable_snat": true}]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);

    // Not an external network.
    let internal = api.network("alice", json!({})).await;
    let bad = act(
        &api,
        "alice",
        &rid,
        "add_external_gateways",
        json!([{"network_id": internal}]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
    assert_eq!(bad.kind(), "BadRequest");
    let bad = act(
        &api,
        "alice",
        &rid,
        "add_external_gateways",
        json!([{"enable_snat": true}]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
    let bad = act(&api, "alice", &rid, "add_external_gateways", json!("nope")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);

    // An empty list removes them all.
    let cleared = ok(&api, "alice", &rid, "update_external_gateways", json!([])).await;
    assert_eq!(cleared["external_gateways"], json!([]));
    assert_eq!(cleared["external_gateway_info"], Value::Null);
    assert!(gateway_ports(&api, &rid).await.is_empty());
}

#[tokio::test]
async fn external_gateway_info_acts_on_the_compatibility_gateway() {
    let api = Api::start();
    let (ext1, _) = external(&api, "198.51.100.0/24").await;
    let (ext2, _) = external(&api, "203.0.113.0/24").await;
    let (ext3, _) = external(&api, "192.0.2.0/24").await;
    let r = router(
        &api,
        "alice",
        json!({"external_gateway_info": {"network_id": ext1}}),
    )
    .await;
    let rid = id(&r);
    assert_eq!(networks(&r), vec![ext1.clone()]);
    act(
        &api,
        "alice",
        &rid,
        "add_external_gateways",
        json!([{"network_id": ext2}]),
    )
    .await;
    let path = format!("/v2.0/routers/{rid}");
    // A new network for `external_gateway_info` replaces the compatibility gateway only.
    let moved = api
        .put(
            "alice",
            &path,
            json!({"router": {"external_gateway_info": {"network_id": ext3}}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        networks(&moved.body["router"]),
        vec![ext3.clone(), ext2.clone()]
    );
    // Clearing it removes that one; the other takes its place.
    let cleared = api
        .put(
            "alice",
            &path,
            json!({"router": {"external_gateway_info": {}}}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(networks(&cleared.body["router"]), vec![ext2.clone()]);
    assert_eq!(
        cleared.body["router"]["external_gateway_info"]["network_id"],
        ext2.as_str()
    );
}

#[tokio::test]
async fn an_extra_gateway_serving_floating_ips_stays() {
    let api = Api::start();
    let (ext1, _) = external(&api, "198.51.100.0/24").await;
    let (ext2, _) = external(&api, "203.0.113.0/24").await;
    let rid = id(&router(
        &api,
        "alice",
        json!({"external_gateway_info": {"network_id": ext1}}),
    )
    .await);
    act(
        &api,
        "alice",
        &rid,
        "add_external_gateways",
        json!([{"network_id": ext2}]),
    )
    .await;
    let net = api.network("alice", json!({})).await;
    let subnet = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/routers/{rid}/add_router_interface"),
            json!({"subnet_id": id(&subnet)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let port = api.port("alice", &net, json!({})).await;
    let fip = api
        .post(
            "alice",
            "/v2.0/floatingips",
            json!({"floatingip": {"floating_network_id": ext2, "port_id": id(&port)}}),
        )
        .await;
    assert_eq!(fip.status, StatusCode::CREATED, "{:?}", fip.body);
    assert_eq!(fip.body["floatingip"]["router_id"], rid.as_str());
    let refused = act(
        &api,
        "alice",
        &rid,
        "remove_external_gateways",
        json!([{"network_id": ext2}]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.kind(), "RouterExternalGatewayInUseByFloatingIp");
}
