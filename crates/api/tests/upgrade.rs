//! A data directory written by the previous release opens with this one: the schema is upgraded
//! at start (revision, name and address-key columns filled from the stored rows) and the API
//! shows exactly what the old release showed, then keeps working on the upgraded data.
//! The fixture was made by `tests/fixtures/make_release_fixture.py` with the release of stop 5
//! (commit 0d84e4d): `stop5.sqlite` and what its API showed, `stop5.json`.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

const COLLECTIONS: [&str; 10] = [
    "networks",
    "subnets",
    "ports",
    "routers",
    "floatingips",
    "security-groups",
    "security-group-rules",
    "rbac-policies",
    "subnetpools",
    "address-scopes",
];

/// Attributes extensions added after the fixture's release, with the value every resource of
/// the fixture takes: the old release did not show them (`port_forwardings` is computed on read).
const ADDED_SINCE: [(&str, &str, Value); 6] = [
    ("floatingips", "port_forwardings", Value::Array(Vec::new())),
    ("routers", "enable_default_route_bfd", Value::Bool(false)),
    ("routers", "enable_default_route_ecmp", Value::Bool(false)),
    ("networks", "vlan_transparent", Value::Bool(false)),
    ("networks", "qinq", Value::Bool(false)),
    ("subnets", "segment_id", Value::Null),
];
/// What ports show since `qos-port-network-policy` and `port-resource-request` (`null` without
/// QoS), `uplink-status-propagation` (true), `port-hardware-offload-type` and `port-trusted-vif`
/// (`null` until set).
const ADDED_PORT_ATTRIBUTES: [(&str, Value); 5] = [
    ("qos_network_policy_id", Value::Null),
    ("resource_request", Value::Null),
    ("propagate_uplink_status", Value::Bool(true)),
    ("hardware_offload_type", Value::Null),
    ("trusted", Value::Null),
];

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn by_id(list: &Value) -> Vec<(String, Value)> {
    let mut items: Vec<(String, Value)> = list
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| (i["id"].as_str().unwrap_or_default().to_string(), i.clone()))
                .collect()
        })
        .unwrap_or_default();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items
}

#[tokio::test]
async fn the_previous_release_data_opens_unchanged() {
    if neutrino_store::testing::engine() != "sqlite" {
        // The fixture is a SQLite file; the SQLite pass of the same run checks it.
        return;
    }
    let old: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("stop5.json")).expect("stop5.json"))
            .expect("json");
    let api = Api::on_sqlite_copy(&fixture("stop5.sqlite"));
    for coll in COLLECTIONS {
        let key = coll.replace('-', "_");
        let r = api.get("admin", &format!("/v2.0/{coll}")).await;
        assert_eq!(r.status, StatusCode::OK, "{coll}: {:?}", r.body);
        let (before, after) = (by_id(&old[coll][&key]), by_id(&r.body[&key]));
        assert_eq!(
            before.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            after.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "{coll}: the same resources"
        );
        for ((id, was), (_, is)) in before.iter().zip(&after) {
            let mut is = is.clone();
            for (_, attr, value) in ADDED_SINCE.iter().filter(|(c, _, _)| *c == coll) {
                let added = is.as_object_mut().and_then(|m| m.remove(*attr));
                assert_eq!(added.as_ref(), Some(value), "{coll} {id}: {attr}");
            }
            // Attributes of later extensions, which every port shows (their stored documents
            // get them when upgraded).
            if coll == "ports" {
                for (added, expected) in &ADDED_PORT_ATTRIBUTES {
                    let value = is.as_object_mut().and_then(|m| m.remove(*added));
                    assert_eq!(value.as_ref(), Some(expected), "ports {id}: {added}");
                }
            }
            let mut was = was.clone();
            if coll == "routers" {
                // Since 0025 every router is HA (`l3-ha`) and shows its SNAT flag
                // (`router-enable-snat`): its gateway's, else true.
                let snat = was["external_gateway_info"]["enable_snat"]
                    .as_bool()
                    .unwrap_or(true);
                was["ha"] = json!(true);
                was["enable_snat"] = json!(snat);
                // Since 0028 every router shows its gateways (`external-gateway-multihoming`):
                // the one it had, if any.
                let gateways = match was["external_gateway_info"].get("network_id") {
                    Some(net) => json!([{
                        "network_id": net,
                        "external_fixed_ips": was["external_gateway_info"]["external_fixed_ips"],
                    }]),
                    None => json!([]),
                };
                was["external_gateways"] = gateways;
            }
            assert_eq!(was, is, "{coll} {id} as the old release showed it");
        }
    }
    // Derived fields are computed on read: the copies the old release stored are gone.
    let stored = api
        .store()
        .read(|tx| {
            use neutrino_store::tables::{FLOATINGIPS, NETWORKS, SUBNETS};
            let mut docs = Vec::new();
            for (table, copies) in [
                (NETWORKS, &["subnets"][..]),
                (SUBNETS, &["shared", "router:external"][..]),
                (FLOATINGIPS, &["port_details"][..]),
            ] {
                for (id, _, doc) in neutrino_store::revisions(tx, table)? {
                    docs.push((table.name(), id, doc, copies));
                }
            }
            Ok::<_, neutrino_store::StoreError>(docs)
        })
        .await
        .expect("stored documents");
    assert!(
        stored.iter().any(|(t, ..)| *t == "floatingips"),
        "the fixture has floating IPs"
    );
    for (table, id, doc, copies) in stored {
        let doc: Value = serde_json::from_str(&doc).expect("json");
        for copy in copies {
            assert!(doc.get(copy).is_none(), "{table} {id} still stores {copy}");
        }
    }
    // The upgraded rows work: filters on the new columns, the next free address skips every
    // address the old release allocated, and changes are recorded from here on.
    let ports = api.get("admin", "/v2.0/ports?name=vm-0-renamed").await;
    assert_eq!(ports.body["ports"].as_array().map(Vec::len), Some(1));
    // Tags the old release stored in documents only are in the tags table (0012's backfill).
    let blue: Vec<(String, Value)> = by_id(&old["ports"]["ports"])
        .into_iter()
        .filter(|(_, p)| {
            p["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("blue")))
        })
        .collect();
    assert!(!blue.is_empty(), "the fixture has a tagged port");
    for query in ["tags=blue", "tags=blue&limit=10", "tags=blue&sort_key=name"] {
        let r = api.get("admin", &format!("/v2.0/ports?{query}")).await;
        let found: Vec<(String, Value)> = by_id(&r.body["ports"]);
        assert_eq!(
            found.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            blue.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "{query}"
        );
    }
    let private = by_id(&old["networks"]["networks"])
        .into_iter()
        .find(|(_, n)| n["name"] == "private")
        .map(|(id, _)| id)
        .expect("private network");
    let taken: Vec<String> = old["ports"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["fixed_ips"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f["ip_address"].as_str().map(String::from))
        .collect();
    for i in 0..20 {
        let p = api
            .port("admin", &private, json!({"name": format!("new-{i}")}))
            .await;
        for f in p["fixed_ips"].as_array().into_iter().flatten() {
            let ip = f["ip_address"].as_str().unwrap_or_default();
            assert!(!taken.iter().any(|t| t == ip), "{ip} was the old release's");
        }
    }
    let vm0 = ports.body["ports"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let revision = ports.body["ports"][0]["revision_number"]
        .as_i64()
        .unwrap_or_default();
    let r = api
        .put(
            "admin",
            &format!("/v2.0/ports/{vm0}"),
            json!({"port": {"name": "again"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["port"]["revision_number"].as_i64(),
        Some(revision + 1)
    );
}
