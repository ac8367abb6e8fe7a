//! Subnets: defaults, validation, overlap, network revision, in-use delete.

mod harness;

use axum::http::StatusCode;
use harness::{Api, ids};
use serde_json::{Value, json};

#[tokio::test]
async fn ipv4_and_ipv6_defaults() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let v4 = api.subnet("alice", &net, "10.0.0.5/24", json!({})).await;
    assert_eq!(v4["cidr"], "10.0.0.0/24");
    assert_eq!(v4["gateway_ip"], "10.0.0.1");
    assert_eq!(
        v4["allocation_pools"],
        json!([{"start": "10.0.0.2", "end": "10.0.0.254"}])
    );
    assert_eq!(
        (v4["enable_dhcp"].as_bool(), v4["ip_version"].as_u64()),
        (Some(true), Some(4))
    );
    let v6 = api
        .subnet(
            "alice",
            &net,
            "2001:db8::/64",
            json!({"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}),
        )
        .await;
    assert_eq!(v6["gateway_ip"], "2001:db8::");
    assert_eq!(
        v6["allocation_pools"],
        json!([{"start": "2001:db8::1", "end": "2001:db8::ffff:ffff:ffff:ffff"}])
    );
    let n = api
        .get("alice", &format!("/v2.0/networks/{net}"))
        .await
        .body["network"]
        .clone();
    assert_eq!(n["subnets"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        n["revision_number"], 3,
        "each subnet bumps its network's revision"
    );
}

#[tokio::test]
async fn gateway_pools_dns_and_routes() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api
        .subnet(
            "alice",
            &net,
            "192.168.1.0/24",
            json!({"gateway_ip": null, "allocation_pools": [{"start": "192.168.1.10", "end": "192.168.1.20"}],
                   "dns_nameservers": ["8.8.8.8", "1.1.1.1"], "host_routes": [{"destination": "10.9.0.0/16", "nexthop": "192.168.1.254"}]}),
        )
        .await;
    assert_eq!(s["gateway_ip"], json!(null));
    assert_eq!(s["dns_nameservers"], json!(["8.8.8.8", "1.1.1.1"]));
    assert_eq!(
        s["host_routes"],
        json!([{"destination": "10.9.0.0/16", "nexthop": "192.168.1.254"}])
    );
    let net2 = api.network("alice", json!({})).await;
    let cases = [
        (
            json!({"gateway_ip": "10.0.0.5", "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.9"}]}),
            StatusCode::CONFLICT,
            "GatewayConflictWithAllocationPools",
        ),
        (
            json!({"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.1.9"}]}),
            StatusCode::BAD_REQUEST,
            "OutOfBoundsAllocationPool",
        ),
        (
            json!({"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.9"}, {"start": "10.0.0.5", "end": "10.0.0.20"}]}),
            StatusCode::CONFLICT,
            "OverlappingAllocationPools",
        ),
        (
            json!({"gateway_ip": "10.0.0.0"}),
            StatusCode::BAD_REQUEST,
            "InvalidInput",
        ),
        (
            json!({"dns_nameservers": ["1.1.1.1", "1.1.1.1"]}),
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
        ),
        (
            json!({"dns_nameservers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"]}),
            StatusCode::BAD_REQUEST,
            "DNSNameServersExhausted",
        ),
        (
            json!({"ip_version": 6}),
            StatusCode::BAD_REQUEST,
            "InvalidInput",
        ),
        (
            json!({"ipv6_ra_mode": "slaac"}),
            StatusCode::BAD_REQUEST,
            "InvalidInput",
        ),
        (
            json!({"ip_version": 5}),
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
        ),
        (
            json!({"cidr": "10.0.0.0"}),
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
        ),
        (
            json!({"cidr": "0.0.0.0/0", "enable_dhcp": false}),
            StatusCode::BAD_REQUEST,
            "InvalidInput",
        ),
    ];
    for (extra, status, kind) in cases {
        let mut body = json!({"network_id": net2, "ip_version": 4, "cidr": "10.0.0.0/24"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = api
            .post("alice", "/v2.0/subnets", json!({"subnet": body}))
            .await;
        assert_eq!(
            (r.status, r.kind()),
            (status, kind),
            "{extra}: {}",
            r.message()
        );
    }
    let n = api
        .get("alice", &format!("/v2.0/networks/{net2}"))
        .await
        .body["network"]
        .clone();
    assert_eq!(
        n["subnets"],
        json!([]),
        "failed creates leave nothing behind"
    );
}

#[tokio::test]
async fn overlap_within_a_network_only() {
    let api = Api::start();
    let a = api.network("alice", json!({})).await;
    let b = api.network("alice", json!({})).await;
    api.subnet("alice", &a, "10.0.0.0/24", json!({})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": a, "ip_version": 4, "cidr": "10.0.0.128/25"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.message().contains("overlaps with another subnet"),
        "{}",
        r.message()
    );
    api.subnet("alice", &b, "10.0.0.0/24", json!({})).await;
}

#[tokio::test]
async fn required_attributes_and_missing_network() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"ip_version": 4, "cidr": "10.0.0.0/24"}}),
        )
        .await;
    assert_eq!(
        r.message(),
        "Failed to parse request. Required attribute 'network_id' not specified"
    );
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": "nope", "ip_version": 4, "cidr": "10.0.0.0/24"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "NetworkNotFound")
    );
    let bobs = api.network("bob", json!({})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": bobs, "ip_version": 4, "cidr": "10.0.0.0/24"}}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another project's network is invisible"
    );
}

#[tokio::test]
async fn update_rules() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let path = format!("/v2.0/subnets/{}", s["id"].as_str().unwrap_or_default());
    let r = api
        .put("alice", &path, json!({"subnet": {"cidr": "10.1.0.0/24"}}))
        .await;
    assert_eq!(r.message(), "Cannot update read-only attribute cidr");
    let r = api.put("alice", &path, json!({"subnet": {"name": "s", "dns_nameservers": ["9.9.9.9"], "gateway_ip": "10.0.0.254", "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.100"}]}})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["subnet"]["gateway_ip"], "10.0.0.254");
    assert_eq!(r.body["subnet"]["revision_number"], 2);
    let r = api
        .put(
            "alice",
            &path,
            json!({"subnet": {"gateway_ip": "10.0.0.50"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "GatewayConflictWithAllocationPools")
    );
    // New pools apply to the next allocation.
    let p = api.port("alice", &net, json!({})).await;
    let ip: std::net::Ipv4Addr = p["fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    assert!((10..=100).contains(&ip.octets()[3]), "{ip}");
}

#[tokio::test]
async fn delete_in_use_and_auto_address_subnets() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let v4 = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let v6 = api
        .subnet(
            "alice",
            &net,
            "2001:db8::/64",
            json!({"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}),
        )
        .await;
    let port = api.port("alice", &net, json!({})).await;
    assert_eq!(port["fixed_ips"].as_array().map(Vec::len), Some(2));
    let r = api
        .delete(
            "alice",
            &format!("/v2.0/subnets/{}", v4["id"].as_str().unwrap_or_default()),
        )
        .await;
    assert_eq!((r.status, r.kind()), (StatusCode::CONFLICT, "SubnetInUse"));
    assert!(
        r.message()
            .ends_with("One or more ports have an IP allocation from this subnet.")
    );
    // A SLAAC subnet goes, and its addresses leave the ports.
    let r = api
        .delete(
            "alice",
            &format!("/v2.0/subnets/{}", v6["id"].as_str().unwrap_or_default()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let p = api
        .get(
            "alice",
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap_or_default()),
        )
        .await;
    assert_eq!(
        p.body["port"]["fixed_ips"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn shared_is_a_hidden_filter() {
    let api = Api::start();
    let shared = api.network("admin", json!({"shared": true})).await;
    let private = api.network("admin", json!({})).await;
    let s1 = api.subnet("admin", &shared, "10.0.0.0/24", json!({})).await;
    api.subnet("admin", &private, "10.1.0.0/24", json!({}))
        .await;
    assert!(s1.get("shared").is_none());
    let r = api.get("admin", "/v2.0/subnets?shared=true").await;
    let ids: Vec<&str> = r.body["subnets"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, [s1["id"].as_str().unwrap_or_default()]);
    assert!(r.body["subnets"][0].get("shared").is_none());
    // Unsharing the network moves its subnet to the other side of the filter.
    api.put(
        "admin",
        &format!("/v2.0/networks/{shared}"),
        json!({"network": {"shared": false}}),
    )
    .await;
    assert_eq!(
        api.get("admin", "/v2.0/subnets?shared=false").await.body["subnets"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

/// A subnet's `router:external` and `shared` are its network's, read with the subnet: they
/// follow every change of the network, which is not a change of the subnet (its revision stays,
/// as upstream's, where a network's update does not touch its subnets' rows).
#[tokio::test]
async fn network_flags_follow_the_network_without_revising_subnets() {
    let api = Api::start();
    let net = api.network("admin", json!({})).await;
    let s = api.subnet("admin", &net, "10.0.0.0/24", json!({})).await;
    let sid = s["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/v2.0/subnets/{sid}");
    assert_eq!(s["router:external"], false);
    let rev = s["revision_number"].clone();
    let net_path = format!("/v2.0/networks/{net}");
    let r = api
        .put(
            "admin",
            &net_path,
            json!({"network": {"shared": true, "router:external": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let shown = api.get("bob", &path).await.body["subnet"].clone();
    assert_eq!(shown["router:external"], true);
    assert_eq!(shown["revision_number"], rev, "the subnet did not change");
    assert!(shown.get("shared").is_none());
    for query in [
        "shared=true",
        "shared=true&limit=5",
        "router:external=true",
        "router:external=true&limit=5",
    ] {
        let r = api.get("bob", &format!("/v2.0/subnets?{query}")).await;
        assert_eq!(ids(&r.body["subnets"]), vec![sid.as_str()], "{query}");
    }
    // Unshared through its wildcard policy, no longer external: the subnet follows again.
    let policies = api
        .get(
            "admin",
            &format!("/v2.0/rbac-policies?object_id={net}&action=access_as_shared"),
        )
        .await;
    for p in ids(&policies.body["rbac_policies"]) {
        let d = api
            .delete("admin", &format!("/v2.0/rbac-policies/{p}"))
            .await;
        assert_eq!(d.status, StatusCode::NO_CONTENT, "{:?}", d.body);
    }
    let r = api
        .put(
            "admin",
            &net_path,
            json!({"network": {"router:external": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let shown = api.get("admin", &path).await.body["subnet"].clone();
    assert_eq!(shown["router:external"], false);
    assert_eq!(shown["revision_number"], rev, "the subnet did not change");
    for query in ["shared=false", "shared=false&limit=5"] {
        let r = api.get("admin", &format!("/v2.0/subnets?{query}")).await;
        assert_eq!(ids(&r.body["subnets"]), vec![sid.as_str()], "{query}");
    }
}

/// Subnets created together on one network are one new revision of it (the request's), and
/// its document shows that revision (the harness checks every stored document).
#[tokio::test]
async fn bulk_subnets_are_one_network_revision() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnets": [
                {"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/24"},
                {"network_id": net, "ip_version": 4, "cidr": "10.0.1.0/24"},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let n = api.get("alice", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(n.body["network"]["revision_number"], 2);
    assert_eq!(n.body["network"]["subnets"], json!(ids(&r.body["subnets"])));
}

/// subnet-service-types: ports take addresses from the subnets serving their device owner
/// (first) or serving everyone; the types are validated as upstream's.
#[tokio::test]
async fn service_types_steer_port_addresses() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let routers_only = api
        .subnet(
            "alice",
            &net,
            "10.20.0.0/24",
            json!({"service_types": ["network:router_interface"]}),
        )
        .await;
    assert_eq!(
        routers_only["service_types"],
        json!(["network:router_interface"])
    );
    // Only a subnet for another owner: no address for a plain port.
    let r = api
        .post("alice", "/v2.0/ports", json!({"port": {"network_id": net}}))
        .await;
    assert_eq!(
        (r.status, r.kind(), r.message().to_string()),
        (
            StatusCode::BAD_REQUEST,
            "IpAddressGenerationFailureNoMatchingSubnet",
            format!(
                "No valid service subnet for the given device owner, network {net}, service type ."
            )
        )
    );
    let everyone = api.subnet("alice", &net, "10.21.0.0/24", json!({})).await;
    let compute = api
        .subnet(
            "alice",
            &net,
            "10.22.0.0/24",
            json!({"service_types": ["compute:nova"]}),
        )
        .await;
    let subnet_of = |p: &Value| p["fixed_ips"][0]["subnet_id"].clone();
    let plain = api.port("alice", &net, json!({})).await;
    assert_eq!(subnet_of(&plain), everyone["id"]);
    let vm = api
        .port("alice", &net, json!({"device_owner": "compute:nova"}))
        .await;
    assert_eq!(subnet_of(&vm), compute["id"]);
    // A requested subnet outside the owner's is refused.
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "fixed_ips": [{"subnet_id": routers_only["id"]}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);

    // Validation; and the types can be changed.
    let bad = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": net, "ip_version": 4, "cidr": "10.23.0.0/24", "service_types": ["foo:bar"]}}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.kind(), bad.message()),
        (
            StatusCode::BAD_REQUEST,
            "InvalidSubnetServiceType",
            "Invalid input for operation: Subnet service type foo:bar does not correspond to a valid device owner."
        )
    );
    let bad = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": net, "ip_version": 4, "cidr": "10.23.0.0/24", "service_types": "network:dhcp"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let id = compute["id"].as_str().unwrap();
    let r = api
        .put(
            "alice",
            &format!("/v2.0/subnets/{id}"),
            json!({"subnet": {"service_types": [], "dns_publish_fixed_ip": true}}),
        )
        .await;
    assert_eq!(
        (
            &r.body["subnet"]["service_types"],
            &r.body["subnet"]["dns_publish_fixed_ip"]
        ),
        (&json!([]), &json!(true))
    );
}
