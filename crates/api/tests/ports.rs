//! Ports: MACs, fixed IPs, exhaustion, pairs, DHCP options, DNS, binding, updates, deletes.

mod harness;

use std::collections::HashSet;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn defaults_mac_and_addresses() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let p = api.port("alice", &net, json!({"name": "p"})).await;
    assert!(
        p["mac_address"]
            .as_str()
            .unwrap_or_default()
            .starts_with("fa:16:3e:")
    );
    assert_eq!(
        (p["status"].as_str(), p["ip_allocation"].as_str()),
        (Some("DOWN"), Some("immediate"))
    );
    assert_eq!(p["fixed_ips"][0]["subnet_id"], s["id"]);
    let ip = p["fixed_ips"][0]["ip_address"].as_str().unwrap_or_default();
    assert_eq!(
        p["dns_assignment"],
        json!([{"ip_address": ip, "hostname": format!("host-{}", ip.replace('.', "-")), "fqdn": format!("host-{}.openstacklocal.", ip.replace('.', "-"))}])
    );
    assert!(
        p.get("binding:host_id").is_none(),
        "binding details are admin-only"
    );
    assert_eq!(p["binding:vnic_type"], "normal");
    let none = api.port("alice", &net, json!({"fixed_ips": []})).await;
    assert_eq!(
        (none["fixed_ips"].clone(), none["ip_allocation"].as_str()),
        (json!([]), Some("none"))
    );
}

#[tokio::test]
async fn fixed_ips_by_subnet_and_address() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let a = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let b = api.subnet("alice", &net, "10.0.1.0/24", json!({})).await;
    let p = api
        .port(
            "alice",
            &net,
            json!({"fixed_ips": [{"subnet_id": id(&b)}, {"ip_address": "10.0.0.77"}]}),
        )
        .await;
    assert_eq!(
        p["fixed_ips"][0]["subnet_id"].as_str(),
        Some(id(&b).as_str())
    );
    assert_eq!(
        p["fixed_ips"][1],
        json!({"subnet_id": id(&a), "ip_address": "10.0.0.77"})
    );
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "fixed_ips": [{"ip_address": "10.0.0.77"}]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "IpAddressAlreadyAllocated")
    );
    let cases = [
        (
            json!([{"ip_address": "10.9.9.9"}]),
            StatusCode::BAD_REQUEST,
            "InvalidIpForNetwork",
        ),
        (
            json!([{"subnet_id": id(&a), "ip_address": "10.0.1.5"}]),
            StatusCode::BAD_REQUEST,
            "InvalidIpForSubnet",
        ),
        (
            json!([{"subnet_id": id(&a), "ip_address": "10.0.0.255"}]),
            StatusCode::BAD_REQUEST,
            "InvalidIpForSubnet",
        ),
        (
            json!([{"subnet_id": "nope"}]),
            StatusCode::NOT_FOUND,
            "SubnetNotFound",
        ),
        (
            json!([{"ip_address": "10.0.0.5"}, {"ip_address": "10.0.0.5"}]),
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
        ),
        (
            json!([{"ip_address": "not-an-ip"}]),
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
        ),
        (
            json!([{"foo": 1}]),
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
        ),
    ];
    for (fixed, status, kind) in cases {
        let r = api
            .post(
                "alice",
                "/v2.0/ports",
                json!({"port": {"network_id": net, "fixed_ips": fixed}}),
            )
            .await;
        assert_eq!(
            (r.status, r.kind()),
            (status, kind),
            "{fixed}: {}",
            r.message()
        );
    }
    let other = api.network("alice", json!({})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": other, "fixed_ips": [{"subnet_id": id(&a)}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.message()
            .contains("because fixed_ips included invalid subnet"),
        "{}",
        r.message()
    );
}

#[tokio::test]
async fn exhaustion_and_no_duplicates_under_concurrency() {
    let api = std::sync::Arc::new(Api::start());
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/28", json!({})).await; // 13 usable addresses
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (api, net) = (api.clone(), net.clone());
        tasks.push(tokio::spawn(async move {
            api.post("alice", "/v2.0/ports", json!({"port": {"network_id": net}}))
                .await
        }));
    }
    let mut ips = HashSet::new();
    let mut exhausted = 0;
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            StatusCode::CREATED => assert!(
                ips.insert(
                    r.body["port"]["fixed_ips"][0]["ip_address"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                )
            ),
            StatusCode::CONFLICT => {
                assert_eq!(r.kind(), "IpAddressGenerationFailure");
                assert_eq!(
                    r.message(),
                    format!("No more IP addresses available on network {net}.")
                );
                exhausted += 1;
            }
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!((ips.len(), exhausted), (13, 7));
    assert!(!ips.contains("10.0.0.1") && !ips.contains("10.0.0.0") && !ips.contains("10.0.0.15"));
}

#[tokio::test]
async fn mac_addresses() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let p = api
        .port("alice", &net, json!({"mac_address": "FA:16:3E:00:00:01"}))
        .await;
    assert_eq!(p["mac_address"], "fa:16:3e:00:00:01");
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "mac_address": "fa:16:3e:00:00:01"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "MacAddressInUse")
    );
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "mac_address": "00:00:00:00:00:00"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let other = api.network("alice", json!({})).await;
    api.port("alice", &other, json!({"mac_address": "fa:16:3e:00:00:01"}))
        .await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/ports/{}", id(&p)),
            json!({"port": {"mac_address": "fa:16:3e:00:00:02"}}),
        )
        .await;
    assert_eq!(r.body["port"]["mac_address"], "fa:16:3e:00:00:02");
}

#[tokio::test]
async fn address_pairs_security_and_dhcp_options() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let p = api
        .port("alice", &net, json!({"allowed_address_pairs": [{"ip_address": "10.0.0.200"}, {"ip_address": "10.1.0.0/24", "mac_address": "fa:16:3e:aa:bb:cc"}],
                                    "extra_dhcp_opts": [{"opt_name": "bootfile-name", "opt_value": "pxelinux.0"}]}))
        .await;
    assert_eq!(
        p["allowed_address_pairs"][0]["mac_address"],
        p["mac_address"]
    );
    assert_eq!(
        p["extra_dhcp_opts"],
        json!([{"opt_name": "bootfile-name", "opt_value": "pxelinux.0", "ip_version": 4}])
    );
    let path = format!("/v2.0/ports/{}", id(&p));
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"port_security_enabled": false}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "AddressPairAndPortSecurityRequired")
    );
    let r = api.put("alice", &path, json!({"port": {"allowed_address_pairs": [], "port_security_enabled": false, "security_groups": [],
        "extra_dhcp_opts": [{"opt_name": "bootfile-name", "opt_value": null}, {"opt_name": "tftp-server", "opt_value": "10.0.0.9"}]}})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["port"]["extra_dhcp_opts"],
        json!([{"opt_name": "tftp-server", "opt_value": "10.0.0.9", "ip_version": 4}])
    );
    let too_many: Vec<Value> = (0..11)
        .map(|i| json!({"ip_address": format!("10.0.0.{}", 100 + i)}))
        .collect();
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "allowed_address_pairs": too_many}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let nosec = api
        .network("alice", json!({"port_security_enabled": false}))
        .await;
    let q = api.port("alice", &nosec, json!({})).await;
    assert_eq!(
        q["port_security_enabled"], false,
        "ports inherit the network's port security"
    );
}

#[tokio::test]
async fn fixed_ip_update_keeps_named_and_releases_others() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let p = api
        .port(
            "alice",
            &net,
            json!({"fixed_ips": [{"ip_address": "10.0.0.10"}, {"ip_address": "10.0.0.11"}]}),
        )
        .await;
    let path = format!("/v2.0/ports/{}", id(&p));
    let r = api.put("alice", &path, json!({"port": {"fixed_ips": [{"ip_address": "10.0.0.11"}, {"subnet_id": id(&s), "ip_address": "10.0.0.12"}]}})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ips: Vec<&str> = r.body["port"]["fixed_ips"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["ip_address"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ips, ["10.0.0.11", "10.0.0.12"]);
    // 10.0.0.10 was released: another port may take it.
    api.port(
        "alice",
        &net,
        json!({"fixed_ips": [{"ip_address": "10.0.0.10"}]}),
    )
    .await;
    // Deleting the port frees its addresses.
    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::NO_CONTENT
    );
    api.port(
        "alice",
        &net,
        json!({"fixed_ips": [{"ip_address": "10.0.0.11"}]}),
    )
    .await;
}

#[tokio::test]
async fn binding_is_admin_only() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "binding:host_id": "compute-1"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let p = api.port("admin", &net, json!({"binding:host_id": "compute-1", "binding:profile": {"k": "v"}, "binding:vnic_type": "direct"})).await;
    assert_eq!(
        (
            p["binding:host_id"].as_str(),
            p["binding:vnic_type"].as_str()
        ),
        (Some("compute-1"), Some("direct"))
    );
    let r = api
        .post(
            "admin",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "binding:vnic_type": "weird"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let seen = api.get("alice", &format!("/v2.0/ports/{}", id(&p))).await;
    assert!(seen.body["port"].get("binding:host_id").is_none());
}

#[tokio::test]
async fn dns_name() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let p = api.port("alice", &net, json!({"dns_name": "web-1"})).await;
    assert_eq!(p["dns_assignment"][0]["hostname"], "web-1");
    assert_eq!(p["dns_assignment"][0]["fqdn"], "web-1.openstacklocal.");
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "dns_name": "bad_name!"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn extra_dhcp_opts_need_name_and_value() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    for opts in [
        json!([{"opt_name": "bootfile-name"}]),
        json!([{"opt_value": "x"}]),
        json!([{"opt_name": "a", "opt_value": "x", "ip_version": 5}]),
        json!([{"opt_name": "tftp-server", "opt_value": ""}]),
    ] {
        let r = api
            .post(
                "alice",
                "/v2.0/ports",
                json!({"port": {"network_id": net, "extra_dhcp_opts": opts}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{opts}");
    }
    let p = api
        .port(
            "alice",
            &net,
            json!({"extra_dhcp_opts": [{"opt_name": "router", "opt_value": ""}]}),
        )
        .await;
    assert_eq!(p["extra_dhcp_opts"][0]["opt_value"], "");
}

/// port-numa-affinity-policy(-socket), port-device-profile and port-mac-address-regenerate.
#[tokio::test]
async fn numa_policy_device_profile_and_mac_regeneration() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let p = api.port("alice", &net, json!({})).await;
    assert_eq!(
        (&p["numa_affinity_policy"], &p["device_profile"]),
        (&Value::Null, &Value::Null)
    );
    let q = api
        .port(
            "alice",
            &net,
            json!({"numa_affinity_policy": "socket", "device_profile": "gpu-small", "mac_address": null}),
        )
        .await;
    assert_eq!(
        (&q["numa_affinity_policy"], &q["device_profile"]),
        (&json!("socket"), &json!("gpu-small"))
    );
    assert!(q["mac_address"].as_str().unwrap().starts_with("fa:16:3e:"));
    let path = format!("/v2.0/ports/{}", id(&q));
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"numa_affinity_policy": "sometimes"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "Invalid input for numa_affinity_policy. Reason: sometimes is not in valid_values."
        )
    );
    // The device profile is set at create only.
    let r = api
        .put("alice", &path, json!({"port": {"device_profile": "x"}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"numa_affinity_policy": null, "mac_address": null}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let updated = &r.body["port"];
    assert_eq!(updated["numa_affinity_policy"], Value::Null);
    assert_ne!(updated["mac_address"], q["mac_address"]);
    assert!(
        updated["mac_address"]
            .as_str()
            .unwrap()
            .starts_with("fa:16:3e:")
    );
}
