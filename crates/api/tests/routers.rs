//! Routers: gateway, interfaces by subnet and by port, routes, in-use rules, policy.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// An admin-made external network with one subnet: (network id, subnet).
async fn external(api: &Api, cidr: &str) -> (String, Value) {
    let net = api.network("admin", json!({"router:external": true})).await;
    let s = api.subnet("admin", &net, cidr, json!({})).await;
    (net, s)
}

async fn router(api: &Api, user: &str, body: Value) -> Value {
    let r = api
        .post(user, "/v2.0/routers", json!({"router": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["router"].clone()
}

async fn add_subnet(api: &Api, user: &str, router: &str, subnet: &str) -> harness::Reply {
    api.put(
        user,
        &format!("/v2.0/routers/{router}/add_router_interface"),
        json!({"subnet_id": subnet}),
    )
    .await
}

#[tokio::test]
async fn create_defaults_and_key_set() {
    let api = Api::start();
    let r = router(
        &api,
        "alice",
        json!({"name": "r1", "external_gateway_info": {}}),
    )
    .await;
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "admin_state_up",
            "availability_zone_hints",
            "availability_zones",
            "created_at",
            "description",
            "enable_default_route_bfd",
            "enable_default_route_ecmp",
            "enable_snat",
            "external_gateway_info",
            "external_gateways",
            "flavor_id",
            "id",
            "name",
            "project_id",
            "revision_number",
            "routes",
            "status",
            "tags",
            "tenant_id",
            "updated_at"
        ]
    );
    assert_eq!(r["status"], "ACTIVE");
    assert_eq!(r["external_gateway_info"], Value::Null);
    let admin = api.get("admin", &format!("/v2.0/routers/{}", id(&r))).await;
    assert_eq!(
        (
            admin.body["router"]["distributed"].clone(),
            admin.body["router"]["ha"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(r["enable_snat"], json!(true));
    // Other projects do not see it; readers of its project do.
    assert_eq!(
        api.get("bob", &format!("/v2.0/routers/{}", id(&r)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("rita", &format!("/v2.0/routers/{}", id(&r)))
            .await
            .status,
        StatusCode::OK
    );
    let denied = api
        .post("rita", "/v2.0/routers", json!({"router": {}}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    for attr in [json!({"distributed": true}), json!({"ha": true})] {
        let r = api
            .post("alice", "/v2.0/routers", json!({"router": attr}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    let r = router(&api, "admin", json!({"distributed": true, "ha": true})).await;
    assert_eq!(
        (r["distributed"].clone(), r["ha"].clone()),
        (json!(true), json!(true))
    );
    let routes = api
        .post("alice", "/v2.0/routers", json!({"router": {"routes": []}}))
        .await;
    assert_eq!(routes.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn gateway_set_update_and_clear() {
    let api = Api::start();
    let (ext, ext_sub) = external(&api, "172.24.4.0/24").await;
    let r = router(
        &api,
        "alice",
        json!({"external_gateway_info": {"network_id": ext}}),
    )
    .await;
    let gw = &r["external_gateway_info"];
    assert_eq!(gw["network_id"], json!(ext));
    assert_eq!(gw["enable_snat"], json!(true));
    assert_eq!(gw["external_fixed_ips"][0]["subnet_id"], ext_sub["id"]);
    let ports = api
        .get("admin", &format!("/v2.0/ports?device_id={}", id(&r)))
        .await;
    let port = &ports.body["ports"][0];
    assert_eq!(port["device_owner"], "network:router_gateway");
    assert_eq!(port["project_id"], "");
    assert_eq!(port["status"], "ACTIVE");
    // Members cannot pick SNAT or addresses.
    let denied = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}", id(&r)),
            json!({"router": {"external_gateway_info": {"network_id": ext, "enable_snat": false}}}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let upd = api
        .put("admin", &format!("/v2.0/routers/{}", id(&r)), json!({"router": {"external_gateway_info": {"network_id": ext, "enable_snat": false, "external_fixed_ips": [{"ip_address": "172.24.4.99"}]}}}))
        .await;
    assert_eq!(upd.status, StatusCode::OK, "{:?}", upd.body);
    let gw = &upd.body["router"]["external_gateway_info"];
    assert_eq!(gw["enable_snat"], json!(false));
    assert_eq!(gw["external_fixed_ips"][0]["ip_address"], "172.24.4.99");
    // The gateway's own address and non-external networks are refused.
    let same = api
        .put("admin", &format!("/v2.0/routers/{}", id(&r)), json!({"router": {"external_gateway_info": {"network_id": ext, "external_fixed_ips": [{"ip_address": "172.24.4.1"}]}}}))
        .await;
    assert_eq!(
        (same.status, same.kind()),
        (StatusCode::BAD_REQUEST, "BadRequest")
    );
    let private = api.network("alice", json!({})).await;
    let bad = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}", id(&r)),
            json!({"router": {"external_gateway_info": {"network_id": private}}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.message(),
        format!("Bad router request: Network {private} is not an external network.")
    );
    // The gateway port belongs to the router: not deletable through the port API.
    let gw_port = api
        .get("admin", &format!("/v2.0/ports?device_id={}", id(&r)))
        .await
        .body["ports"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let del = api.delete("admin", &format!("/v2.0/ports/{gw_port}")).await;
    assert_eq!(
        (del.status, del.kind()),
        (StatusCode::CONFLICT, "ServicePortInUse")
    );
    // External flag cannot be dropped while the gateway is there.
    let unset = api
        .put(
            "admin",
            &format!("/v2.0/networks/{ext}"),
            json!({"network": {"router:external": false}}),
        )
        .await;
    assert_eq!(
        (unset.status, unset.kind()),
        (StatusCode::CONFLICT, "ExternalNetworkInUse")
    );
    // `{}` clears the gateway and frees its port.
    let clear = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}", id(&r)),
            json!({"router": {"external_gateway_info": {}}}),
        )
        .await;
    assert_eq!(clear.body["router"]["external_gateway_info"], Value::Null);
    assert_eq!(
        api.get("admin", &format!("/v2.0/ports/{gw_port}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn interfaces_by_subnet() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api
        .subnet(
            "alice",
            &net,
            "10.0.0.0/24",
            json!({"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.200"}]}),
        )
        .await;
    let r = router(&api, "alice", json!({})).await;
    let add = add_subnet(&api, "alice", &id(&r), &id(&s)).await;
    assert_eq!(add.status, StatusCode::OK, "{:?}", add.body);
    let mut keys: Vec<&str> = add
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "id",
            "network_id",
            "port_id",
            "project_id",
            "subnet_id",
            "subnet_ids",
            "tenant_id"
        ]
    );
    assert_eq!(add.body["subnet_ids"], json!([id(&s)]));
    let port = api
        .get(
            "alice",
            &format!("/v2.0/ports/{}", add.body["port_id"].as_str().unwrap()),
        )
        .await
        .body["port"]
        .clone();
    assert_eq!(port["device_owner"], "network:router_interface");
    assert_eq!(port["device_id"], json!(id(&r)));
    assert_eq!(port["fixed_ips"][0]["ip_address"], "10.0.0.1");
    assert_eq!(port["status"], "ACTIVE");
    // Twice on the same router; on a second router (gateway address taken).
    let again = add_subnet(&api, "alice", &id(&r), &id(&s)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again
            .message()
            .contains("Router already has a port on subnet"),
        "{}",
        again.message()
    );
    let r2 = router(&api, "alice", json!({})).await;
    let other = add_subnet(&api, "alice", &id(&r2), &id(&s)).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{:?}", other.body);
    // Overlapping CIDR from another network.
    let net2 = api.network("alice", json!({})).await;
    let s2 = api.subnet("alice", &net2, "10.0.0.0/16", json!({})).await;
    let overlap = add_subnet(&api, "alice", &id(&r), &id(&s2)).await;
    assert_eq!(
        (overlap.status, overlap.kind()),
        (StatusCode::BAD_REQUEST, "BadRequest")
    );
    assert!(
        overlap.message().contains("overlaps with"),
        "{}",
        overlap.message()
    );
    // Subnet without gateway; neither/both keys; bad UUID.
    let s3 = api
        .subnet("alice", &net2, "10.9.0.0/24", json!({"gateway_ip": null}))
        .await;
    assert!(
        add_subnet(&api, "alice", &id(&r), &id(&s3))
            .await
            .message()
            .contains("must have a gateway IP")
    );
    let none = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/add_router_interface", id(&r)),
            json!({}),
        )
        .await;
    assert_eq!(
        none.message(),
        "Bad router request: Either subnet_id or port_id must be specified."
    );
    let both = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/add_router_interface", id(&r)),
            json!({"subnet_id": id(&s), "port_id": id(&s)}),
        )
        .await;
    assert_eq!(
        both.message(),
        "Bad router request: Cannot specify both subnet-id and port-id."
    );
    let bad = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/add_router_interface", id(&r)),
            json!({"subnet_id": "nope"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Foreign routers are not found.
    let foreign = add_subnet(&api, "bob", &id(&r), &id(&s)).await;
    assert_eq!(
        (foreign.status, foreign.kind()),
        (StatusCode::NOT_FOUND, "RouterNotFound")
    );
    // In-use rules: router delete, port delete, subnet gateway change, subnet delete.
    let del = api
        .delete("alice", &format!("/v2.0/routers/{}", id(&r)))
        .await;
    assert_eq!(
        (del.status, del.kind()),
        (StatusCode::CONFLICT, "RouterInUse")
    );
    let pdel = api
        .delete(
            "alice",
            &format!("/v2.0/ports/{}", port["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (pdel.status, pdel.kind()),
        (StatusCode::CONFLICT, "ServicePortInUse")
    );
    let gw = api
        .put(
            "alice",
            &format!("/v2.0/subnets/{}", id(&s)),
            json!({"subnet": {"gateway_ip": "10.0.0.254"}}),
        )
        .await;
    assert_eq!(
        (gw.status, gw.kind()),
        (StatusCode::CONFLICT, "GatewayIpInUse")
    );
    let sdel = api
        .delete("alice", &format!("/v2.0/subnets/{}", id(&s)))
        .await;
    assert_eq!(sdel.status, StatusCode::CONFLICT);
    // Removal, then the errors of removing what is not there.
    let rm = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", id(&r)),
            json!({"subnet_id": id(&s)}),
        )
        .await;
    assert_eq!(rm.status, StatusCode::OK, "{:?}", rm.body);
    assert_eq!(rm.body["port_id"], port["id"]);
    let rm2 = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", id(&r)),
            json!({"subnet_id": id(&s)}),
        )
        .await;
    assert_eq!(
        (rm2.status, rm2.kind()),
        (StatusCode::NOT_FOUND, "RouterInterfaceNotFoundForSubnet")
    );
    let rm3 = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", id(&r)),
            json!({"port_id": port["id"]}),
        )
        .await;
    assert_eq!(
        (rm3.status, rm3.kind()),
        (StatusCode::NOT_FOUND, "RouterInterfaceNotFound")
    );
    assert_eq!(
        api.delete("alice", &format!("/v2.0/routers/{}", id(&r)))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn interfaces_by_port() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api.subnet("alice", &net, "10.1.0.0/24", json!({})).await;
    let r = router(&api, "alice", json!({})).await;
    let p = api.port("alice", &net, json!({})).await;
    let add = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/add_router_interface", id(&r)),
            json!({"port_id": id(&p)}),
        )
        .await;
    assert_eq!(add.status, StatusCode::OK, "{:?}", add.body);
    assert_eq!(
        (add.body["port_id"].clone(), add.body["subnet_id"].clone()),
        (json!(id(&p)), s["id"].clone())
    );
    let shown = api
        .get("alice", &format!("/v2.0/ports/{}", id(&p)))
        .await
        .body["port"]
        .clone();
    assert_eq!(
        (shown["device_owner"].as_str(), shown["status"].as_str()),
        (Some("network:router_interface"), Some("ACTIVE"))
    );
    // A port in use by a device; a port without addresses.
    let used = api.port("alice", &net, json!({"device_id": "vm-1"})).await;
    let r2 = router(&api, "alice", json!({})).await;
    let busy = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/add_router_interface", id(&r2)),
            json!({"port_id": id(&used)}),
        )
        .await;
    assert_eq!(
        (busy.status, busy.kind()),
        (StatusCode::CONFLICT, "PortInUse")
    );
    let bare = api.port("alice", &net, json!({"fixed_ips": []})).await;
    let noip = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/add_router_interface", id(&r2)),
            json!({"port_id": id(&bare)}),
        )
        .await;
    assert!(
        noip.message().contains("at least one fixed IP"),
        "{}",
        noip.message()
    );
    // Remove by port with a mismatching subnet, then properly.
    let other = api.subnet("alice", &net, "10.2.0.0/24", json!({})).await;
    let mismatch = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", id(&r)),
            json!({"port_id": id(&p), "subnet_id": id(&other)}),
        )
        .await;
    assert_eq!(
        (mismatch.status, mismatch.kind()),
        (StatusCode::BAD_REQUEST, "SubnetMismatchForPort")
    );
    let rm = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", id(&r)),
            json!({"port_id": id(&p)}),
        )
        .await;
    assert_eq!(rm.status, StatusCode::OK, "{:?}", rm.body);
    assert_eq!(
        api.get("alice", &format!("/v2.0/ports/{}", id(&p)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn routes_and_extraroute_actions() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api.subnet("alice", &net, "10.3.0.0/24", json!({})).await;
    let r = router(&api, "alice", json!({})).await;
    let path = format!("/v2.0/routers/{}", id(&r));
    let unconnected = api
        .put(
            "alice",
            &path,
            json!({"router": {"routes": [{"destination": "10.8.0.0/16", "nexthop": "10.3.0.5"}]}}),
        )
        .await;
    assert_eq!(
        (unconnected.status, unconnected.kind()),
        (StatusCode::BAD_REQUEST, "InvalidRoutes")
    );
    assert!(
        unconnected
            .message()
            .contains("the nexthop is not connected with router")
    );
    add_subnet(&api, "alice", &id(&r), &id(&s)).await;
    let own = api
        .put(
            "alice",
            &path,
            json!({"router": {"routes": [{"destination": "10.8.0.0/16", "nexthop": "10.3.0.1"}]}}),
        )
        .await;
    assert!(
        own.message().contains("the nexthop is used by router"),
        "{}",
        own.message()
    );
    let ok = api
        .put(
            "alice",
            &path,
            json!({"router": {"routes": [{"destination": "10.8.0.0/16", "nexthop": "10.3.0.5"}]}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let rev = ok.body["router"]["revision_number"].as_u64().unwrap();
    let add = api.put("alice", &format!("{path}/add_extraroutes"), json!({"router": {"routes": [{"destination": "10.9.0.0/16", "nexthop": "10.3.0.6"}, {"destination": "10.8.0.0/16", "nexthop": "10.3.0.5"}]}})).await;
    assert_eq!(add.status, StatusCode::OK, "{:?}", add.body);
    assert_eq!(add.body["router"]["routes"].as_array().unwrap().len(), 2);
    assert!(add.body["router"]["revision_number"].as_u64().unwrap() > rev);
    // The interface is needed by the routes.
    let rm = api
        .put(
            "alice",
            &format!("{path}/remove_router_interface"),
            json!({"subnet_id": id(&s)}),
        )
        .await;
    assert_eq!(
        (rm.status, rm.kind()),
        (StatusCode::CONFLICT, "RouterInterfaceInUseByRoute")
    );
    let del = api.put("alice", &format!("{path}/remove_extraroutes"), json!({"router": {"routes": [{"destination": "10.9.0.0/16", "nexthop": "10.3.0.6"}, {"destination": "10.7.0.0/16", "nexthop": "10.3.0.7"}]}})).await;
    assert_eq!(
        del.body["router"]["routes"],
        json!([{"destination": "10.8.0.0/16", "nexthop": "10.3.0.5"}])
    );
    let clear = api
        .put("alice", &path, json!({"router": {"routes": null}}))
        .await;
    assert_eq!(clear.body["router"]["routes"], json!([]));
}

#[tokio::test]
async fn ipv6_subnets_share_one_interface_port() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let a = api
        .subnet(
            "alice",
            &net,
            "2001:db8:1::/64",
            json!({"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}),
        )
        .await;
    let b = api
        .subnet(
            "alice",
            &net,
            "2001:db8:2::/64",
            json!({"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}),
        )
        .await;
    let r = router(&api, "alice", json!({})).await;
    let one = add_subnet(&api, "alice", &id(&r), &id(&a)).await;
    let two = add_subnet(&api, "alice", &id(&r), &id(&b)).await;
    assert_eq!(two.status, StatusCode::OK, "{:?}", two.body);
    assert_eq!(one.body["port_id"], two.body["port_id"]);
    let port = api
        .get(
            "alice",
            &format!("/v2.0/ports/{}", one.body["port_id"].as_str().unwrap()),
        )
        .await
        .body["port"]
        .clone();
    assert_eq!(port["fixed_ips"].as_array().unwrap().len(), 2);
    // Removing one prefix keeps the port.
    let rm = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", id(&r)),
            json!({"subnet_id": id(&a)}),
        )
        .await;
    assert_eq!(rm.status, StatusCode::OK);
    let port = api
        .get(
            "alice",
            &format!("/v2.0/ports/{}", one.body["port_id"].as_str().unwrap()),
        )
        .await
        .body["port"]
        .clone();
    assert_eq!(port["fixed_ips"][0]["subnet_id"], b["id"]);
    let ra = api
        .subnet(
            "alice",
            &net,
            "2001:db8:3::/64",
            json!({"ipv6_address_mode": "slaac"}),
        )
        .await;
    let refused = add_subnet(&api, "alice", &id(&r), &id(&ra)).await;
    assert!(
        refused
            .message()
            .contains("configured to receive RAs from an external router"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn interfaces_on_subnets_shared_with_the_project_by_rbac() {
    let api = Api::start();
    let net = api.network("bob", json!({})).await;
    let sub = api.subnet("bob", &net, "10.7.0.0/24", json!({})).await;
    let r = router(&api, "alice", json!({})).await;
    let rid = id(&r);
    // Not shared with alice's project: refused.
    let refused = add_subnet(&api, "alice", &rid, &id(&sub)).await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "the subnet is not even visible: {:?}",
        refused.body
    );
    // Shared with everyone: visible, still refused, as upstream (LP 1757482).
    assert_eq!(
        api.put(
            "admin",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"shared": true}})
        )
        .await
        .status,
        StatusCode::OK
    );
    let refused = add_subnet(&api, "alice", &rid, &id(&sub)).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert!(
        refused
            .message()
            .contains("is not owned by project making the request"),
        "{}",
        refused.message()
    );
    // Shared with alice's project by name: allowed (LP 1975603).
    let policy = json!({"rbac_policy": {"object_type": "network", "object_id": net, "action": "access_as_shared", "target_tenant": api.project("alice")}});
    assert_eq!(
        api.post("bob", "/v2.0/rbac-policies", policy).await.status,
        StatusCode::CREATED
    );
    let added = add_subnet(&api, "alice", &rid, &id(&sub)).await;
    assert_eq!(added.status, StatusCode::OK, "{:?}", added.body);
}
