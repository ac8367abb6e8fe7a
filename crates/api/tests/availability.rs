//! Availability zones and network IP availability.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::json;

#[tokio::test]
async fn availability_zones() {
    let api = Api::start();
    let r = api.get("rita", "/v2.0/availability_zones").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"availability_zones": [
            {"name": "nova", "resource": "network", "state": "available"},
            {"name": "nova", "resource": "router", "state": "available"}]})
    );
    let r = api
        .get("alice", "/v2.0/availability_zones?resource=router")
        .await;
    assert_eq!(
        r.body["availability_zones"].as_array().map(Vec::len),
        Some(1)
    );
    let r = api.get("alice", "/v2.0/extensions/availability_zone").await;
    assert_eq!(r.body["extension"]["name"], "Availability Zone");
    // Hints must name a known zone; networks report the zone they live in.
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"availability_zone_hints": ["mars"]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "AvailabilityZoneNotFound")
    );
    assert_eq!(r.message(), "AvailabilityZone mars could not be found.");
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"availability_zone_hints": ["nova"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body["network"]["availability_zone_hints"],
        json!(["nova"])
    );
    assert_eq!(r.body["network"]["availability_zones"], json!(["nova"]));
    // Routers too (router_availability_zone); they report the zones of their hints.
    let r = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"availability_zone_hints": ["mars"]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "AvailabilityZoneNotFound")
    );
    let r = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"availability_zone_hints": ["nova"]}}),
        )
        .await;
    assert_eq!(
        (
            r.status,
            &r.body["router"]["availability_zone_hints"],
            &r.body["router"]["availability_zones"]
        ),
        (StatusCode::CREATED, &json!(["nova"]), &json!(["nova"]))
    );
    let r = api
        .get("alice", "/v2.0/extensions/router_availability_zone")
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn network_ip_availability() {
    let api = Api::start();
    let net = api.network("alice", json!({"name": "n1"})).await;
    let v4 = api
        .subnet("alice", &net, "10.0.0.0/24", json!({"name": "s4"}))
        .await;
    api.subnet("alice", &net, "2001:db8::/48", json!({})).await;
    api.port("alice", &net, json!({})).await;
    let other = api.network("bob", json!({})).await;

    let r = api.get("alice", "/v2.0/network-ip-availabilities").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .get("admin", &format!("/v2.0/network-ip-availabilities/{net}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let a = &r.body["network_ip_availability"];
    assert_eq!(a["network_name"], "n1");
    assert_eq!(a["project_id"], a["tenant_id"]);
    let subnets = a["subnet_ip_availability"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(subnets.len(), 2);
    assert_eq!(subnets[0]["subnet_id"], v4["id"]);
    assert_eq!(subnets[0]["subnet_name"], "s4");
    assert_eq!(
        (
            subnets[0]["total_ips"].as_u64(),
            subnets[0]["used_ips"].as_u64()
        ),
        (Some(253), Some(1))
    );
    assert_eq!(subnets[0]["ip_version"], 4);
    // A /48 holds more than u64 (the harness reads such integers as floats).
    assert_eq!(
        subnets[1]["total_ips"].as_f64(),
        Some(1208925819614629174706175f64)
    );
    assert_eq!(a["used_ips"], 2);

    let r = api
        .get(
            "admin",
            &format!("/v2.0/network-ip-availabilities?network_id={other}"),
        )
        .await;
    let list = r.body["network_ip_availabilities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["total_ips"], 0);
    let r = api
        .get("admin", "/v2.0/network-ip-availabilities?ip_version=6")
        .await;
    let list = r.body["network_ip_availabilities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0]["subnet_ip_availability"].as_array().map(Vec::len),
        Some(1)
    );
    let r = api
        .get("admin", "/v2.0/network-ip-availabilities/nope")
        .await;
    assert_eq!(r.kind(), "NetworkNotFound");
    let r = api
        .get("admin", "/v2.0/network-ip-availabilities?bogus=1")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
