//! Floating IPs: allocation, association rules, moves, port deletion, pools, network deletion.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// The topology for `alice`: an external network (admin), a project network with a
/// subnet, a router with the subnet and a gateway. Returns (ext net, ext subnet, net, subnet, router).
async fn topology(api: &Api) -> (String, Value, String, Value, String) {
    let ext = api.network("admin", json!({"router:external": true})).await;
    let ext_sub = api.subnet("admin", &ext, "172.24.4.0/24", json!({})).await;
    let net = api.network("alice", json!({})).await;
    let sub = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"external_gateway_info": {"network_id": ext}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let router = id(&r.body["router"]);
    let add = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}/add_router_interface"),
            json!({"subnet_id": id(&sub)}),
        )
        .await;
    assert_eq!(add.status, StatusCode::OK, "{:?}", add.body);
    (ext, ext_sub, net, sub, router)
}

async fn fip(api: &Api, user: &str, body: Value) -> harness::Reply {
    api.post(user, "/v2.0/floatingips", json!({"floatingip": body}))
        .await
}

#[tokio::test]
async fn allocate_associate_move_disassociate() {
    let api = Api::start();
    let (ext, ext_sub, net, _sub, router) = topology(&api).await;
    let f = fip(&api, "alice", json!({"floating_network_id": ext})).await;
    assert_eq!(f.status, StatusCode::CREATED, "{:?}", f.body);
    let f = f.body["floatingip"].clone();
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "dns_domain",
            "dns_name",
            "fixed_ip_address",
            "floating_ip_address",
            "floating_network_id",
            "id",
            "port_details",
            "port_forwardings",
            "port_id",
            "project_id",
            "qos_policy_id",
            "revision_number",
            "router_id",
            "status",
            "tags",
            "tenant_id",
            "updated_at"
        ]
    );
    assert_eq!(
        (f["status"].as_str(), f["port_id"].clone()),
        (Some("DOWN"), Value::Null)
    );
    let addr = f["floating_ip_address"].as_str().unwrap().to_string();
    // The address is held by a hidden port: nobody else gets it.
    let taken = api
        .post("admin", "/v2.0/ports", json!({"port": {"network_id": ext, "fixed_ips": [{"subnet_id": id(&ext_sub), "ip_address": addr}]}}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{:?}", taken.body);
    let holder = api
        .get("admin", &format!("/v2.0/ports?device_id={}", id(&f)))
        .await
        .body["ports"][0]
        .clone();
    assert_eq!(
        (
            holder["device_owner"].as_str(),
            holder["project_id"].as_str()
        ),
        (Some("network:floatingip"), Some(""))
    );
    let hdel = api
        .delete("admin", &format!("/v2.0/ports/{}", id(&holder)))
        .await;
    assert_eq!(
        (hdel.status, hdel.kind()),
        (StatusCode::CONFLICT, "ServicePortInUse")
    );

    let p1 = api.port("alice", &net, json!({"name": "vm1"})).await;
    let p2 = api.port("alice", &net, json!({"name": "vm2"})).await;
    let path = format!("/v2.0/floatingips/{}", id(&f));
    let a = api
        .put("alice", &path, json!({"floatingip": {"port_id": id(&p1)}}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let a = &a.body["floatingip"];
    assert_eq!(a["router_id"], json!(router));
    assert_eq!(a["fixed_ip_address"], p1["fixed_ips"][0]["ip_address"]);
    assert_eq!(a["status"], "ACTIVE");
    assert_eq!(a["port_details"]["name"], "vm1");
    assert_eq!(a["port_details"]["network_id"], json!(net));
    // A second FIP on the same fixed IP is refused.
    let f2 = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "port_id": id(&p1)}),
    )
    .await;
    assert_eq!(
        (f2.status, f2.kind()),
        (StatusCode::CONFLICT, "FloatingIPPortAlreadyAssociated")
    );
    // Description-only updates keep the association; port renames show in port_details.
    let d = api
        .put(
            "alice",
            &path,
            json!({"floatingip": {"description": "web"}}),
        )
        .await;
    assert_eq!(d.body["floatingip"]["port_id"], json!(id(&p1)));
    api.put(
        "alice",
        &format!("/v2.0/ports/{}", id(&p1)),
        json!({"port": {"name": "renamed"}}),
    )
    .await;
    let shown = api.get("alice", &path).await.body["floatingip"].clone();
    assert_eq!(shown["port_details"]["name"], "renamed");
    // The port changed, not the floating IP: its revision stays (as upstream's).
    assert_eq!(
        shown["revision_number"],
        d.body["floatingip"]["revision_number"]
    );
    // A status the data plane sets shows too (it is no write through the rules at all).
    let p1_id = id(&p1);
    api.store()
        .write(move |tx| {
            neutrino_store::set_status(tx, neutrino_store::tables::PORTS, &p1_id, "ACTIVE")
        })
        .await
        .expect("set the port's status");
    let fip_id = id(&f);
    for list in ["/v2.0/floatingips", "/v2.0/floatingips?limit=5"] {
        let r = api.get("admin", list).await;
        let listed = r.body["floatingips"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["id"] == json!(fip_id))
            .cloned()
            .unwrap_or_default();
        assert_eq!(listed["port_details"]["status"], "ACTIVE", "{list}");
        assert_eq!(listed["port_details"]["name"], "renamed", "{list}");
    }
    // Move to another port, then disassociate.
    let m = api
        .put("alice", &path, json!({"floatingip": {"port_id": id(&p2)}}))
        .await;
    assert_eq!(
        m.body["floatingip"]["fixed_ip_address"],
        p2["fixed_ips"][0]["ip_address"]
    );
    let filtered = api
        .get("alice", &format!("/v2.0/floatingips?port_id={}", id(&p2)))
        .await;
    assert_eq!(filtered.body["floatingips"].as_array().unwrap().len(), 1);
    let un = api
        .put("alice", &path, json!({"floatingip": {"port_id": null}}))
        .await;
    let un = &un.body["floatingip"];
    assert_eq!(
        (
            un["port_id"].clone(),
            un["fixed_ip_address"].clone(),
            un["router_id"].clone(),
            un["status"].as_str()
        ),
        (Value::Null, Value::Null, Value::Null, Some("DOWN"))
    );
    // An empty update disassociates too, as upstream's does.
    api.put("alice", &path, json!({"floatingip": {"port_id": id(&p1)}}))
        .await;
    let blank = api.put("alice", &path, json!({"floatingip": {}})).await;
    assert_eq!(
        (blank.status, &blank.body["floatingip"]["port_id"]),
        (StatusCode::OK, &Value::Null)
    );
    // Deleting an associated port disassociates.
    api.put("alice", &path, json!({"floatingip": {"port_id": id(&p2)}}))
        .await;
    assert_eq!(
        api.delete("alice", &format!("/v2.0/ports/{}", id(&p2)))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("alice", &path).await.body["floatingip"]["port_id"],
        Value::Null
    );
    // The gateway cannot go while FIPs use the router; delete frees the address.
    api.put("alice", &path, json!({"floatingip": {"port_id": id(&p1)}}))
        .await;
    let gw = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {}}}),
        )
        .await;
    assert_eq!(
        (gw.status, gw.kind()),
        (
            StatusCode::CONFLICT,
            "RouterExternalGatewayInUseByFloatingIp"
        )
    );
    let rm = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}/remove_router_interface"),
            json!({"subnet_id": id(&_sub)}),
        )
        .await;
    assert_eq!(
        (rm.status, rm.kind()),
        (StatusCode::CONFLICT, "RouterInterfaceInUseByFloatingIP")
    );
    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("admin", &format!("/v2.0/ports/{}", id(&holder)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("alice", &path).await.kind(), "FloatingIPNotFound");
}

#[tokio::test]
async fn association_rules() {
    let api = Api::start();
    let (ext, _, net, _, _) = topology(&api).await;
    // A subnet no router connects to the external network.
    let lonely_net = api.network("alice", json!({})).await;
    api.subnet("alice", &lonely_net, "10.5.0.0/24", json!({}))
        .await;
    let lonely = api.port("alice", &lonely_net, json!({})).await;
    let r = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "port_id": id(&lonely)}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (
            StatusCode::NOT_FOUND,
            "ExternalGatewayForFloatingIPNotFound"
        )
    );
    assert!(r.message().contains("is not reachable from subnet"));
    // fixed_ip_address needs a port; must be on the port; must be IPv4.
    let p = api.port("alice", &net, json!({})).await;
    let r = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "fixed_ip_address": "10.0.0.50"}),
    )
    .await;
    assert_eq!(
        r.message(),
        "Bad floatingip request: fixed_ip_address cannot be specified without a port_id."
    );
    let r = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "port_id": id(&p), "fixed_ip_address": "10.0.0.250"}),
    )
    .await;
    assert!(
        r.message().contains("does not have fixed ip"),
        "{}",
        r.message()
    );
    // Another project's port; a DHCP port; a port without IPv4.
    let bobs = fip(
        &api,
        "bob",
        json!({"floating_network_id": ext, "port_id": id(&p)}),
    )
    .await;
    assert_eq!(bobs.status, StatusCode::NOT_FOUND);
    let admin_fip = fip(
        &api,
        "admin",
        json!({"floating_network_id": ext, "project_id": "p2", "port_id": id(&p)}),
    )
    .await;
    assert_eq!(
        admin_fip.status,
        StatusCode::CREATED,
        "{:?}",
        admin_fip.body
    );
    let fa = api
        .delete("alice", &format!("/v2.0/ports/{}", id(&p)))
        .await;
    assert_eq!(
        (fa.status, fa.kind()),
        (StatusCode::CONFLICT, "FipAssociated")
    );
    let bare = api.port("alice", &net, json!({"fixed_ips": []})).await;
    let r = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "port_id": id(&bare)}),
    )
    .await;
    assert!(
        r.message().contains("has no fixed IPv4 addresses"),
        "{}",
        r.message()
    );
    // Not external; no IPv4 subnet; a given address (admin only) and subnet.
    let r = fip(&api, "alice", json!({"floating_network_id": net})).await;
    assert_eq!(
        r.message(),
        format!("Bad floatingip request: Network {net} is not a valid external network.")
    );
    let v6 = api.network("admin", json!({"router:external": true})).await;
    api.subnet("admin", &v6, "2001:db8::/64", json!({})).await;
    let r = fip(&api, "alice", json!({"floating_network_id": v6})).await;
    assert!(r.message().contains("does not contain any IPv4 subnet"));
    // An address nothing took yet (allocation is random over the whole pool).
    let taken = api
        .get("admin", &format!("/v2.0/ports?network_id={ext}"))
        .await
        .body
        .to_string();
    let wanted = (77..250)
        .map(|n| format!("172.24.4.{n}"))
        .find(|a| !taken.contains(&format!("\"{a}\"")))
        .unwrap();
    let r = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "floating_ip_address": wanted}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = fip(
        &api,
        "admin",
        json!({"floating_network_id": ext, "floating_ip_address": wanted}),
    )
    .await;
    assert_eq!(r.body["floatingip"]["floating_ip_address"], wanted);
    let r = fip(
        &api,
        "admin",
        json!({"floating_network_id": ext, "floating_ip_address": wanted}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Others do not see alice's floating IPs.
    let mine = fip(&api, "alice", json!({"floating_network_id": ext})).await;
    assert_eq!(
        api.get(
            "bob",
            &format!("/v2.0/floatingips/{}", id(&mine.body["floatingip"]))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let rita = fip(&api, "rita", json!({"floating_network_id": ext})).await;
    assert_eq!(rita.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exhaustion_pools_and_network_delete() {
    let api = Api::start();
    let ext = api.network("admin", json!({"router:external": true})).await;
    let s = api
        .subnet("admin", &ext, "172.30.0.0/29", json!({"name": "pub", "allocation_pools": [{"start": "172.30.0.2", "end": "172.30.0.3"}]}))
        .await;
    api.subnet("admin", &ext, "2001:db8:9::/64", json!({}))
        .await;
    let pools = api.get("alice", "/v2.0/floatingip_pools").await;
    assert_eq!(
        pools.body["floatingip_pools"],
        json!([{"subnet_id": id(&s), "subnet_name": "pub", "network_id": ext, "cidr": "172.30.0.0/29", "project_id": s["project_id"], "tenant_id": s["project_id"]}])
    );
    let a = fip(&api, "alice", json!({"floating_network_id": ext})).await;
    let b = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "subnet_id": id(&s)}),
    )
    .await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{:?}",
        b.body
    );
    let c = fip(&api, "alice", json!({"floating_network_id": ext})).await;
    assert_eq!(
        (c.status, c.kind()),
        (StatusCode::BAD_REQUEST, "ExternalIpAddressExhausted")
    );
    // Deleting the network deletes its disassociated floating IPs.
    assert_eq!(
        api.delete("admin", &format!("/v2.0/networks/{ext}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get(
            "alice",
            &format!("/v2.0/floatingips/{}", id(&a.body["floatingip"]))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn associated_fixed_ip_cannot_change() {
    let api = Api::start();
    let (ext, _ext_sub, net, sub, _router) = topology(&api).await;
    let port = api
        .port(
            "alice",
            &net,
            json!({"fixed_ips": [{"ip_address": "10.0.0.20"}]}),
        )
        .await;
    let f = fip(
        &api,
        "alice",
        json!({"floating_network_id": ext, "port_id": id(&port)}),
    )
    .await;
    assert_eq!(f.status, StatusCode::CREATED, "{:?}", f.body);
    let path = format!("/v2.0/ports/{}", id(&port));
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"fixed_ips": [{"subnet_id": id(&sub), "ip_address": "10.0.0.21"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        format!(
            "Cannot update the fixed_ips of the port {}, because its original fixed_ip has been associated to a floating ip",
            id(&port)
        )
    );
    // Adding an address while keeping the associated one is fine.
    let r = api.put("alice", &path, json!({"port": {"fixed_ips": [{"ip_address": "10.0.0.20"}, {"ip_address": "10.0.0.22"}]}})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}
