//! The small attribute extensions of ML2/OVN: `uplink-status-propagation(-updatable)`
//! (`propagate_uplink_status`), `port-hardware-offload-type` (`hardware_offload_type`),
//! `port-trusted-vif` (`trusted`, admin only) and `network_ha` (networks' `ha` flag).

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn network_with_subnet(api: &Api, user: &str) -> String {
    let net = api.network(user, json!({})).await;
    api.subnet(user, &net, "10.0.0.0/24", json!({})).await;
    net
}

async fn show(api: &Api, user: &str, port: &str) -> Value {
    let r = api.get(user, &format!("/v2.0/ports/{port}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["port"].clone()
}

fn assert_bad_request(r: &harness::Reply, kind: &str, message: &str) {
    assert_eq!(
        (r.status, r.kind(), r.message()),
        (StatusCode::BAD_REQUEST, kind, message),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn every_new_alias_is_advertised() {
    let api = Api::start();
    for alias in [
        "uplink-status-propagation",
        "uplink-status-propagation-updatable",
        "port-hardware-offload-type",
        "port-trusted-vif",
        "network_ha",
    ] {
        let r = api.get("alice", &format!("/v2.0/extensions/{alias}")).await;
        assert_eq!(r.status, StatusCode::OK, "{alias}");
        assert_eq!(r.body["extension"]["alias"], alias);
    }
}

/// `propagate_uplink_status`: true by default, false on request, updatable (the `-updatable`
/// extension), a boolean as `convert_to_boolean` reads one.
#[tokio::test]
async fn uplink_status_propagation_defaults_to_true_and_is_updatable() {
    let api = Api::start();
    let net = network_with_subnet(&api, "alice").await;
    let p = api.port("alice", &net, json!({})).await;
    assert_eq!(p["propagate_uplink_status"], json!(true));
    let q = api
        .port("alice", &net, json!({"propagate_uplink_status": "False"}))
        .await;
    assert_eq!(q["propagate_uplink_status"], json!(false));
    assert_eq!(
        show(&api, "alice", &id(&q)).await["propagate_uplink_status"],
        json!(false)
    );
    let path = format!("/v2.0/ports/{}", id(&q));
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"propagate_uplink_status": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["port"]["propagate_uplink_status"], json!(true));
    for bad in [json!("maybe"), json!(null), json!(2)] {
        let shown = if bad.is_null() {
            "None".to_string()
        } else {
            bad.as_str().map_or(bad.to_string(), str::to_string)
        };
        let r = api
            .put(
                "alice",
                &path,
                json!({"port": {"propagate_uplink_status": bad}}),
            )
            .await;
        assert_bad_request(
            &r,
            "InvalidInput",
            &format!("Invalid input for operation: '{shown}' cannot be converted to boolean."),
        );
    }
    // Upstream does not mark it `is_filter`.
    let r = api
        .get("alice", "/v2.0/ports?propagate_uplink_status=false")
        .await;
    assert_bad_request(
        &r,
        "HTTPBadRequest",
        "['propagate_uplink_status'] is invalid attribute for filtering",
    );
}

/// `hardware_offload_type`: `switchdev` or nothing, set at create only by anyone who may create
/// the port; it puts `switchdev` into `binding:profile` `capabilities` (what OVS hardware offload
/// needs) without the caller needing the admin-only profile.
#[tokio::test]
async fn hardware_offload_type_adds_its_capability_to_the_profile() {
    let api = Api::start();
    let net = network_with_subnet(&api, "alice").await;
    let p = api.port("alice", &net, json!({})).await;
    assert_eq!(p["hardware_offload_type"], Value::Null);
    let q = api
        .port(
            "alice",
            &net,
            json!({"hardware_offload_type": "switchdev", "binding:vnic_type": "direct"}),
        )
        .await;
    assert_eq!(q["hardware_offload_type"], "switchdev");
    assert_eq!(
        show(&api, "admin", &id(&q)).await["binding:profile"],
        json!({"capabilities": ["switchdev"]})
    );
    // An admin's own capabilities are kept, the type added once.
    let r = api
        .port(
            "admin",
            &net,
            json!({"hardware_offload_type": "switchdev", "binding:profile": {"capabilities": ["x", "switchdev"], "pci_slot": "0000:03:00.1"}}),
        )
        .await;
    assert_eq!(
        r["binding:profile"],
        json!({"capabilities": ["x", "switchdev"], "pci_slot": "0000:03:00.1"})
    );
    let r = api
        .port(
            "admin",
            &net,
            json!({"hardware_offload_type": "switchdev", "binding:profile": {"capabilities": ["x"]}}),
        )
        .await;
    assert_eq!(
        r["binding:profile"],
        json!({"capabilities": ["x", "switchdev"]})
    );
    for (bad, shown) in [
        (json!("smartnic"), "smartnic"),
        (json!(null), "None"),
        (json!(1), "1"),
    ] {
        let r = api
            .post(
                "alice",
                "/v2.0/ports",
                json!({"port": {"network_id": net, "hardware_offload_type": bad}}),
            )
            .await;
        assert_bad_request(
            &r,
            "HTTPBadRequest",
            &format!(
                "Invalid input for hardware_offload_type. Reason: {shown} is not in valid_values."
            ),
        );
    }
    let r = api
        .put(
            "alice",
            &format!("/v2.0/ports/{}", id(&p)),
            json!({"port": {"hardware_offload_type": "switchdev"}}),
        )
        .await;
    assert_bad_request(
        &r,
        "HTTPBadRequest",
        "Cannot update read-only attribute hardware_offload_type",
    );
}

/// `trusted`: admin only to set and to see (`create_port:trusted`, `update_port:trusted`,
/// `get_port:trusted`); `null` until set; once set it is also `trusted` in `binding:profile`.
#[tokio::test]
async fn trusted_is_admin_only_and_shown_in_the_profile() {
    let api = Api::start();
    let net = network_with_subnet(&api, "alice").await;
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "trusted": true}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind(), r.message()),
        (
            StatusCode::FORBIDDEN,
            "PolicyNotAuthorized",
            "rule:create_port:trusted is disallowed by policy"
        )
    );
    let p = api.port("alice", &net, json!({})).await;
    assert!(p.get("trusted").is_none(), "hidden from members: {p}");
    assert_eq!(show(&api, "admin", &id(&p)).await["trusted"], Value::Null);
    let path = format!("/v2.0/ports/{}", id(&p));
    let r = api
        .put("alice", &path, json!({"port": {"trusted": true}}))
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::FORBIDDEN,
            "rule:update_port:trusted is disallowed by policy"
        )
    );

    let t = api
        .port(
            "admin",
            &net,
            json!({"trusted": "true", "binding:profile": {"pci_slot": "0000:03:00.1"}}),
        )
        .await;
    assert_eq!(t["trusted"], json!(true));
    assert_eq!(
        t["binding:profile"],
        json!({"pci_slot": "0000:03:00.1", "trusted": true})
    );
    let path = format!("/v2.0/ports/{}", id(&t));
    let r = api
        .put("admin", &path, json!({"port": {"trusted": false}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            &r.body["port"]["trusted"],
            &r.body["port"]["binding:profile"]
        ),
        (
            &json!(false),
            &json!({"pci_slot": "0000:03:00.1", "trusted": false})
        )
    );
    // A new profile still shows the port's `trusted`.
    let r = api
        .put(
            "admin",
            &path,
            json!({"port": {"binding:profile": {"pci_slot": "0000:03:00.2"}}}),
        )
        .await;
    assert_eq!(
        r.body["port"]["binding:profile"],
        json!({"pci_slot": "0000:03:00.2", "trusted": false})
    );
    let r = api
        .put("admin", &path, json!({"port": {"trusted": null}}))
        .await;
    assert_bad_request(
        &r,
        "InvalidInput",
        "Invalid input for operation: 'None' cannot be converted to boolean.",
    );
    // The owner sees the port but not the attribute.
    let mine = show(&api, "alice", &id(&p)).await;
    assert!(mine.get("trusted").is_none());
    let r = api.get("admin", "/v2.0/ports?trusted=true").await;
    assert_bad_request(
        &r,
        "HTTPBadRequest",
        "['trusted'] is invalid attribute for filtering",
    );
}

/// The three attributes in bulk creation and in `fields`.
#[tokio::test]
async fn bulk_create_and_fields() {
    let api = Api::start();
    let net = network_with_subnet(&api, "admin").await;
    let r = api
        .post(
            "admin",
            "/v2.0/ports",
            json!({"ports": [
                {"network_id": net, "propagate_uplink_status": false, "trusted": true},
                {"network_id": net, "hardware_offload_type": "switchdev"},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ports = &r.body["ports"];
    assert_eq!(
        (
            &ports[0]["propagate_uplink_status"],
            &ports[0]["trusted"],
            &ports[0]["hardware_offload_type"]
        ),
        (&json!(false), &json!(true), &Value::Null)
    );
    assert_eq!(
        (
            &ports[1]["propagate_uplink_status"],
            &ports[1]["trusted"],
            &ports[1]["hardware_offload_type"]
        ),
        (&json!(true), &Value::Null, &json!("switchdev"))
    );
    let r = api
        .get(
            "admin",
            &format!(
                "/v2.0/ports/{}?fields=propagate_uplink_status&fields=trusted",
                id(&ports[0])
            ),
        )
        .await;
    assert_eq!(
        r.body["port"],
        json!({"propagate_uplink_status": false, "trusted": true})
    );
}

/// `network_ha`: `ha` is accepted on create as a boolean and has no effect (OVN routers need
/// no HA network); it is never shown and cannot be updated.
#[tokio::test]
async fn network_ha_is_accepted_on_create_only_and_not_shown() {
    let api = Api::start();
    let r = api
        .post("alice", "/v2.0/networks", json!({"network": {"ha": true}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let net = r.body["network"].clone();
    assert!(net.get("ha").is_none(), "{net}");
    let r = api
        .post("alice", "/v2.0/networks", json!({"network": {"ha": "x"}}))
        .await;
    assert_bad_request(
        &r,
        "InvalidInput",
        "Invalid input for operation: 'x' cannot be converted to boolean.",
    );
    let path = format!("/v2.0/networks/{}", id(&net));
    let r = api
        .put("alice", &path, json!({"network": {"ha": false}}))
        .await;
    assert_bad_request(&r, "HTTPBadRequest", "Cannot update read-only attribute ha");
    let shown = api
        .get("alice", &format!("{path}?fields=ha&fields=id"))
        .await;
    assert_eq!(shown.body["network"], json!({"id": id(&net)}));
}
