//! Port and pool extensions: `qos-port-network-policy` (ports' `qos_network_policy_id`),
//! `port-resource-request` / `port-resource-request-groups` (ports' `resource_request` from the
//! minimum bandwidth and packet rate rules of their policy), `network-ip-availability-details`,
//! `dns-integration-domain-keywords`, `subnet_onboard` and `binding-extended` (a port's bindings
//! on several hosts, as a live migration uses them).

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

async fn policy(api: &Api, name: &str) -> String {
    let r = api
        .post(
            "admin",
            "/v2.0/qos/policies",
            json!({"policy": {"name": name, "shared": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["policy"]["id"].as_str().unwrap().to_string()
}

async fn rule(api: &Api, policy: &str, coll: &str, body: Value) -> String {
    let key = coll.trim_end_matches('s');
    let r = api
        .post(
            "admin",
            &format!("/v2.0/qos/policies/{policy}/{coll}"),
            json!({ key: body }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body[key]["id"].as_str().unwrap().to_string()
}

async fn show_port(api: &Api, user: &str, id: &str) -> Value {
    let r = api.get(user, &format!("/v2.0/ports/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["port"].clone()
}

#[tokio::test]
async fn extensions_are_advertised() {
    let api = Api::start();
    let r = api.get("alice", "/v2.0/extensions").await;
    let aliases: Vec<&str> = r.body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["alias"].as_str().unwrap())
        .collect();
    for alias in [
        "qos-port-network-policy",
        "port-resource-request",
        "port-resource-request-groups",
        "network-ip-availability-details",
        "dns-integration-domain-keywords",
        "subnet_onboard",
        "binding-extended",
    ] {
        assert!(aliases.contains(&alias), "{alias} not in {aliases:?}");
    }
}

#[tokio::test]
async fn ports_show_their_networks_policy() {
    let api = Api::start();
    let net = api.network("alice", json!({"name": "n"})).await;
    let port = api.port("alice", &net, json!({})).await;
    assert_eq!(port["qos_network_policy_id"], Value::Null);
    assert_eq!(port["qos_policy_id"], Value::Null);
    // Not for members: resource_request is admin-only.
    assert!(port.get("resource_request").is_none(), "{port}");
    let id = port["id"].as_str().unwrap();
    let admin_view = show_port(&api, "admin", id).await;
    assert_eq!(admin_view["resource_request"], Value::Null);

    let gold = policy(&api, "gold").await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"qos_policy_id": gold}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let shown = show_port(&api, "alice", id).await;
    assert_eq!(shown["qos_network_policy_id"], json!(gold));
    assert_eq!(shown["qos_policy_id"], Value::Null);

    // A port's own policy leaves qos_network_policy_id the network's.
    let silver = policy(&api, "silver").await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/ports/{id}"),
            json!({"port": {"qos_policy_id": silver}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["port"]["qos_policy_id"], json!(silver));
    assert_eq!(r.body["port"]["qos_network_policy_id"], json!(gold));

    // Lists and new ports show it too, and filters reach it.
    let other = api.port("alice", &net, json!({})).await;
    assert_eq!(other["qos_network_policy_id"], json!(gold));
    let r = api
        .get("alice", &format!("/v2.0/ports?network_id={net}"))
        .await;
    let ports = r.body["ports"].as_array().unwrap();
    assert_eq!(ports.len(), 2);
    assert!(
        ports
            .iter()
            .all(|p| p["qos_network_policy_id"] == json!(gold))
    );
    let r = api
        .get(
            "admin",
            &format!("/v2.0/ports?network_id={net}&fields=id&fields=qos_network_policy_id"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for p in r.body["ports"].as_array().unwrap() {
        assert_eq!(p.as_object().unwrap().len(), 2, "{p}");
    }

    // Read-only.
    let r = api
        .put(
            "alice",
            &format!("/v2.0/ports/{id}"),
            json!({"port": {"qos_network_policy_id": gold}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .post(
            "admin",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "resource_request": {}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
}

#[tokio::test]
async fn resource_request_from_minimum_rules() {
    let api = Api::start();
    let net = api.network("alice", json!({"name": "n"})).await;
    let port = api
        .port("alice", &net, json!({"binding:vnic_type": "direct"}))
        .await;
    let id = port["id"].as_str().unwrap().to_string();

    // A policy with a bandwidth limit only asks Placement for nothing.
    let p = policy(&api, "limits").await;
    rule(&api, &p, "bandwidth_limit_rules", json!({"max_kbps": 1000})).await;
    let r = api
        .put(
            "admin",
            &format!("/v2.0/ports/{id}"),
            json!({"port": {"qos_policy_id": p}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["port"]["resource_request"], Value::Null);

    rule(
        &api,
        &p,
        "minimum_bandwidth_rules",
        json!({"min_kbps": 100, "direction": "egress"}),
    )
    .await;
    rule(
        &api,
        &p,
        "minimum_bandwidth_rules",
        json!({"min_kbps": 200, "direction": "ingress"}),
    )
    .await;
    rule(
        &api,
        &p,
        "minimum_packet_rate_rules",
        json!({"min_kpps": 1000, "direction": "any"}),
    )
    .await;
    let shown = show_port(&api, "admin", &id).await;
    let request = &shown["resource_request"];
    let groups = request["request_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{request}");
    assert_eq!(
        groups[0]["required"],
        json!(["CUSTOM_NETWORK_TUNNEL_PROVIDER", "CUSTOM_VNIC_TYPE_DIRECT"])
    );
    assert_eq!(
        groups[0]["resources"],
        json!({"NET_BW_EGR_KILOBIT_PER_SEC": 100, "NET_BW_IGR_KILOBIT_PER_SEC": 200})
    );
    assert_eq!(groups[1]["required"], json!(["CUSTOM_VNIC_TYPE_DIRECT"]));
    assert_eq!(
        groups[1]["resources"],
        json!({"NET_PACKET_RATE_KILOPACKET_PER_SEC": 1000})
    );
    assert_eq!(
        request["same_subtree"],
        json!([groups[0]["id"], groups[1]["id"]])
    );
    // Group ids are version 5 UUIDs in the port's namespace.
    for g in groups {
        let gid = g["id"].as_str().unwrap();
        assert_eq!(gid.len(), 36);
        assert_eq!(&gid[14..15], "5", "{gid}");
    }
    assert_ne!(groups[0]["id"], groups[1]["id"]);

    // Members do not see it, lists show it to admins.
    let member = show_port(&api, "alice", &id).await;
    assert!(member.get("resource_request").is_none());
    let r = api.get("admin", &format!("/v2.0/ports?id={id}")).await;
    assert_eq!(r.body["ports"][0]["resource_request"], *request);

    // Through the network's policy when the port has none; a physical network's trait.
    let phys = api
        .network(
            "admin",
            json!({"name": "phys", "provider:network_type": "flat",
                   "provider:physical_network": "phys-net1", "qos_policy_id": p}),
        )
        .await;
    let pport = api.port("admin", &phys, json!({})).await;
    let groups = &pport["resource_request"]["request_groups"];
    assert_eq!(
        groups[0]["required"],
        json!(["CUSTOM_PHYSNET_PHYS_NET1", "CUSTOM_VNIC_TYPE_NORMAL"])
    );
    assert_eq!(pport["qos_network_policy_id"], json!(p));
}

#[tokio::test]
async fn ip_availability_details() {
    let api = Api::start();
    let net = api.network("admin", json!({"name": "n"})).await;
    let s4 = api
        .subnet(
            "admin",
            &net,
            "10.9.0.0/24",
            json!({"allocation_pools": [{"start": "10.9.0.10", "end": "10.9.0.19"}]}),
        )
        .await;
    api.port(
        "admin",
        &net,
        json!({"fixed_ips": [{"subnet_id": s4["id"], "ip_address": "10.9.0.12"}]}),
    )
    .await;
    api.port(
        "admin",
        &net,
        json!({"fixed_ips": [{"subnet_id": s4["id"], "ip_address": "10.9.0.200"}]}),
    )
    .await;
    let r = api
        .get("admin", &format!("/v2.0/network-ip-availabilities/{net}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let a = &r.body["network_ip_availability"];
    let expected = json!({
        "total_ips_in_subnet": 254,
        "total_ips_in_allocation_pool": 10,
        "used_ips_in_subnet": 2,
        "used_ips_in_allocation_pool": 1,
    });
    assert_eq!(a["ip_availability_details"], expected);
    assert_eq!(
        a["subnet_ip_availability"][0]["ip_availability_details"],
        expected
    );
    assert_eq!(a["total_ips"], json!(10));
    assert_eq!(a["used_ips"], json!(2));

    // IPv6 counts the whole prefix, and a network sums its subnets.
    api.subnet("admin", &net, "2001:db8:9::/120", json!({}))
        .await;
    let r = api.get("admin", "/v2.0/network-ip-availabilities").await;
    let a = r.body["network_ip_availabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["network_id"] == json!(net))
        .unwrap()
        .clone();
    assert_eq!(
        a["ip_availability_details"]["total_ips_in_subnet"],
        json!(254 + 256)
    );
}

#[tokio::test]
async fn dns_domains_take_keywords() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"name": "k", "dns_domain": "<project_name>.<project_id>.example.org."}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        r.body["network"]["dns_domain"],
        json!("<project_name>.<project_id>.example.org.")
    );
    let net = r.body["network"]["id"].as_str().unwrap().to_string();
    let port = api
        .port(
            "alice",
            &net,
            json!({"dns_domain": "<user_id>.<user_name>.example.org."}),
        )
        .await;
    assert_eq!(
        port["dns_domain"],
        json!("<user_id>.<user_name>.example.org.")
    );
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"dns_domain": "<tenant>.example.org."}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
}

#[tokio::test]
async fn subnets_onboarded_into_a_pool() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/subnetpools",
            json!({"subnetpool": {"name": "pool", "prefixes": ["10.60.0.0/16"], "default_prefixlen": 24}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let pool = r.body["subnetpool"]["id"].as_str().unwrap().to_string();
    let revision = r.body["subnetpool"]["revision_number"].as_u64().unwrap();
    let net = api.network("alice", json!({"name": "legacy"})).await;
    let s4 = api.subnet("alice", &net, "10.50.0.0/24", json!({})).await;
    let s6 = api
        .subnet("alice", &net, "2001:db8:50::/64", json!({}))
        .await;
    let path = format!("/v2.0/subnetpools/{pool}/onboard_network_subnets");

    let r = api.put("alice", &path, json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.kind(), "InvalidInput");
    // Upstream's words, its doubled full stop included.
    assert_eq!(
        r.message(),
        "Invalid input for operation: network_id must be specified.."
    );
    let r = api
        .put(
            "alice",
            &path,
            json!({"network_id": "3dabed10-e009-4b68-b9ec-99947db0a03c"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.kind(), "NetworkNotFound");
    // Another project may not change the pool.
    let r = api.put("bob", &path, json!({"network_id": net})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);

    let r = api.put("alice", &path, json!({"network_id": net})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, json!([{"id": s4["id"], "cidr": "10.50.0.0/24"}]));
    let r = api.get("alice", &format!("/v2.0/subnetpools/{pool}")).await;
    assert_eq!(
        r.body["subnetpool"]["prefixes"],
        json!(["10.50.0.0/24", "10.60.0.0/16"])
    );
    assert!(r.body["subnetpool"]["revision_number"].as_u64().unwrap() > revision);
    let r = api
        .get(
            "alice",
            &format!("/v2.0/subnets/{}", s4["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.body["subnet"]["subnetpool_id"], json!(pool));
    let r = api
        .get(
            "alice",
            &format!("/v2.0/subnets/{}", s6["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.body["subnet"]["subnetpool_id"], Value::Null);

    // Its CIDR is the pool's now: onboarding again conflicts, and the pool will not give it out.
    let r = api.put("alice", &path, json!({"network_id": net})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.kind(), "IllegalSubnetPoolUpdate");
    let other = api.network("alice", json!({"name": "other"})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": other, "ip_version": 4, "subnetpool_id": pool,
                              "cidr": "10.50.0.0/24"}}),
        )
        .await;
    assert_ne!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // A subnet onboarded is freed with its deletion like any other of the pool.
    let r = api
        .delete(
            "alice",
            &format!("/v2.0/subnets/{}", s4["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .delete("alice", &format!("/v2.0/subnetpools/{pool}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}

/// Chassis (alive) on `hosts`, as the OVN back end records them.
async fn chassis(api: &Api, hosts: &[&str]) {
    use neutrino_store::agents::AgentRow;
    let now = neutrino_store::unix_time_ms();
    let rows: Vec<AgentRow> = hosts
        .iter()
        .map(|h| AgentRow {
            id: format!("agent-{h}"),
            doc: json!({"agent_type": "OVN Controller agent", "binary": "ovn-controller",
                        "host": h, "availability_zone": "", "configurations": {}})
            .to_string(),
            created_at_ms: now,
            heartbeat_at_ms: now,
            alive_until_ms: now + 600_000,
        })
        .collect();
    api.put_agents(rows).await;
}

fn hosts(list: &Value) -> Vec<(String, String)> {
    list["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["host"].as_str().unwrap().to_owned(),
                b["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_live_migration_through_port_bindings() {
    let api = Api::start();
    chassis(&api, &["src", "dst"]).await;
    let net = api.network("alice", json!({"name": "n"})).await;
    let port = api
        .port(
            "admin",
            &net,
            json!({"device_owner": "compute:nova", "binding:host_id": "src",
                   "project_id": api.project("alice")}),
        )
        .await;
    let id = port["id"].as_str().unwrap().to_string();
    let bindings = format!("/v2.0/ports/{id}/bindings");

    // The active binding is the port's own.
    let r = api.get("nova", &bindings).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(hosts(&r.body), [("src".to_owned(), "ACTIVE".to_owned())]);
    assert_eq!(
        {
            let mut k: Vec<&String> = r.body["bindings"][0].as_object().unwrap().keys().collect();
            k.sort();
            k
        },
        [
            "host",
            "profile",
            "status",
            "vif_details",
            "vif_type",
            "vnic_type"
        ]
    );
    // Members see none and may not create one; admins read but only the service writes.
    let r = api.get("alice", &bindings).await;
    assert_eq!(r.body, json!({"bindings": []}));
    let body = json!({"binding": {"host": "dst"}});
    let r = api.post("alice", &bindings, body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = api.post("admin", &bindings, body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(
        r.message(),
        "rule:create_port_binding is disallowed by policy"
    );

    let revision = show_port(&api, "admin", &id).await["revision_number"]
        .as_u64()
        .unwrap();
    let r = api
        .post(
            "nova",
            &bindings,
            json!({"binding": {"host": "dst", "vnic_type": "normal", "profile": {"migrating_to": "dst"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let b = &r.body["binding"];
    assert_eq!(b["host"], json!("dst"));
    assert_eq!(b["status"], json!("INACTIVE"));
    assert_eq!(b["vif_type"], json!("ovs"));
    assert_eq!(b["profile"], json!({"migrating_to": "dst"}));
    assert_eq!(b["vif_details"]["bridge_name"], json!("br-int"));
    let after = show_port(&api, "admin", &id).await;
    assert!(after["revision_number"].as_u64().unwrap() > revision);
    assert_eq!(after["binding:host_id"], json!("src"));

    // One binding per host; a host without a chassis cannot be bound.
    let r = api.post("nova", &bindings, body.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.kind(), "PortBindingAlreadyExists");
    assert_eq!(
        r.message(),
        format!("Binding for port {id} on host dst already exists.")
    );
    let r = api
        .post("nova", &bindings, json!({"binding": {"host": "nowhere"}}))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{:?}", r.body);
    assert_eq!(r.kind(), "PortBindingError");
    let r = api.post("nova", &bindings, json!({"binding": {}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .post(
            "nova",
            &bindings,
            json!({"binding": {"host": "dst", "vnic_type": "fancy"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);

    let r = api.get("admin", &bindings).await;
    assert_eq!(
        hosts(&r.body),
        [
            ("src".to_owned(), "ACTIVE".to_owned()),
            ("dst".to_owned(), "INACTIVE".to_owned())
        ]
    );
    let r = api
        .get("admin", &format!("{bindings}?status=INACTIVE"))
        .await;
    assert_eq!(hosts(&r.body), [("dst".to_owned(), "INACTIVE".to_owned())]);
    let r = api
        .get("nova", &format!("{bindings}/dst?fields=host"))
        .await;
    assert_eq!(r.body, json!({"binding": {"host": "dst"}}));
    let r = api.get("nova", &format!("{bindings}/elsewhere")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "PortBindingNotFound");
    assert_eq!(
        r.message(),
        format!("Binding for port {id} for host elsewhere could not be found.")
    );

    // Activation: dst becomes the port's binding, src stays, inactive.
    let r = api
        .put("nova", &format!("{bindings}/src/activate"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.kind(), "PortBindingAlreadyActive");
    let r = api
        .put("nova", &format!("{bindings}/elsewhere/activate"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = api
        .put("nova", &format!("{bindings}/dst/activate"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["binding"]["host"], json!("dst"));
    assert_eq!(r.body["binding"]["status"], json!("ACTIVE"));
    let moved = show_port(&api, "admin", &id).await;
    assert_eq!(moved["binding:host_id"], json!("dst"));
    assert_eq!(moved["binding:profile"], json!({"migrating_to": "dst"}));
    assert_eq!(moved["binding:vif_type"], json!("ovs"));
    let r = api.get("admin", &bindings).await;
    assert_eq!(
        hosts(&r.body),
        [
            ("dst".to_owned(), "ACTIVE".to_owned()),
            ("src".to_owned(), "INACTIVE".to_owned())
        ]
    );

    // The source's binding deleted; a binding that is not there is 404.
    let r = api.delete("nova", &format!("{bindings}/src")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api.delete("nova", &format!("{bindings}/src")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = api.get("admin", &bindings).await;
    assert_eq!(hosts(&r.body), [("dst".to_owned(), "ACTIVE".to_owned())]);

    // Only compute ports have bindings here; an unknown port is 404.
    let plain = api.port("alice", &net, json!({})).await;
    let r = api
        .get(
            "admin",
            &format!("/v2.0/ports/{}/bindings", plain["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .get(
            "admin",
            "/v2.0/ports/3dabed10-e009-4b68-b9ec-99947db0a03c/bindings",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.kind(), "PortNotFound");

    // A port's bindings go with it.
    let r = api
        .post("nova", &bindings, json!({"binding": {"host": "src"}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.delete("admin", &format!("/v2.0/ports/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}
