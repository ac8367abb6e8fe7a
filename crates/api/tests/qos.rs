//! QoS: policies (admin-only writes, visibility, sharing through RBAC, one default per
//! project), their rules of every type (values, defaults, conflicts, errors), the alias
//! collections, the rule types, and `qos_policy_id` on networks and ports.

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply, ids};
use serde_json::{Value, json};

async fn policy(api: &Api, body: Value) -> Value {
    let r = api
        .post("admin", "/v2.0/qos/policies", json!({ "policy": body }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["policy"].clone()
}

/// A policy of alice's project, as an admin creates it for her.
async fn p1_policy(api: &Api, name: &str) -> String {
    let p = policy(
        api,
        json!({"name": name, "project_id": api.project("alice")}),
    )
    .await;
    p["id"].as_str().unwrap().to_string()
}

async fn rule(api: &Api, policy: &str, coll: &str, body: Value) -> Reply {
    let key = coll.trim_end_matches('s');
    api.post(
        "admin",
        &format!("/v2.0/qos/policies/{policy}/{coll}"),
        json!({ key: body }),
    )
    .await
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn qos_policy_crud_and_admin_only_writes() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/qos/policies",
            json!({"policy": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.message(), "rule:create_policy is disallowed by policy");

    let p = policy(
        &api,
        json!({"name": "gold", "description": "d", "project_id": api.project("alice")}),
    )
    .await;
    assert_eq!(
        keys(&p),
        [
            "created_at",
            "description",
            "id",
            "is_default",
            "name",
            "project_id",
            "revision_number",
            "rules",
            "shared",
            "tags",
            "tenant_id",
            "updated_at"
        ]
    );
    assert_eq!(p["rules"], json!([]));
    assert_eq!(p["shared"], json!(false));
    let id = p["id"].as_str().unwrap();

    // Its project reads it; another project does not see it.
    let r = api.get("rita", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get("bob", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "QosPolicyNotFound");
    assert_eq!(r.message(), format!("QoS policy {id} could not be found."));
    assert!(ids(&api.get("bob", "/v2.0/qos/policies").await.body["policies"]).is_empty());

    // A member of the owning project may not change it; one who cannot see it gets a 404.
    let r = api
        .put(
            "alice",
            &format!("/v2.0/qos/policies/{id}"),
            json!({"policy": {"name": "n"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.message(), "rule:update_policy is disallowed by policy");
    let r = api.delete("bob", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = api
        .put(
            "admin",
            &format!("/v2.0/qos/policies/{id}"),
            json!({"policy": {"name": "silver"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["policy"]["name"], "silver");
    assert_eq!(r.body["policy"]["revision_number"], 2);
    let r = api
        .put(
            "admin",
            &format!("/v2.0/qos/policies/{id}"),
            json!({"policy": {"rules": []}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.message(), "Cannot update read-only attribute rules");

    // Filters, sorting and fields work as on every collection.
    policy(&api, json!({"name": "bronze"})).await;
    let r = api
        .get(
            "admin",
            "/v2.0/qos/policies?sort_key=name&sort_dir=asc&fields=name",
        )
        .await;
    assert_eq!(
        r.body["policies"],
        json!([{"name": "bronze"}, {"name": "silver"}])
    );
    let r = api.get("admin", "/v2.0/qos/policies?name=silver").await;
    assert_eq!(ids(&r.body["policies"]), [id]);
    let r = api.get("admin", "/v2.0/qos/policies?limit=1").await;
    assert!(
        r.body["policies_links"][0]["href"]
            .as_str()
            .unwrap()
            .contains("/v2.0/qos/policies?")
    );

    let r = api
        .delete("alice", &format!("/v2.0/qos/policies/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.get("admin", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.kind(), "QosPolicyNotFound");
}

#[tokio::test]
async fn qos_policy_tags_and_tag_filters() {
    let api = Api::start();
    let p = policy(&api, json!({"name": "t", "tags": ["red", "blue"]})).await;
    assert_eq!(p["tags"], json!(["red", "blue"]));
    policy(&api, json!({"name": "u"})).await;
    let r = api.get("admin", "/v2.0/qos/policies?tags=red").await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(ids(&r.body["policies"]), [id]);

    // The tags sub-resource: admins change them (a new revision); members of other projects
    // do not even see the policy.
    let tags = format!("/v2.0/policies/{id}/tags");
    let r = api.put("admin", &tags, json!({"tags": ["green"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, json!({"tags": ["green"]}));
    let r = api.put("admin", &format!("{tags}/blue"), json!(null)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = api.get("admin", &format!("{tags}/blue")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.get("admin", &format!("{tags}/red")).await;
    assert_eq!(r.kind(), "TagNotFound");
    let r = api.get("admin", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.body["policy"]["tags"], json!(["blue", "green"]));
    assert_eq!(r.body["policy"]["revision_number"], 3);
    let r = api.put("bob", &tags, json!({"tags": []})).await;
    assert_eq!(r.kind(), "QosPolicyNotFound");
    let r = api.delete("admin", &tags).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get("admin", &tags).await.body, json!({"tags": []}));
}

#[tokio::test]
async fn qos_one_default_policy_per_project_applied_to_new_networks() {
    let api = Api::start();
    let p1 = api.project("alice");
    let d = policy(
        &api,
        json!({"name": "d", "is_default": true, "project_id": p1}),
    )
    .await;
    assert_eq!(d["is_default"], json!(true));
    let r = api
        .post(
            "admin",
            "/v2.0/qos/policies",
            json!({"policy": {"name": "d2", "is_default": true, "project_id": p1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "QoSPolicyDefaultAlreadyExists");
    assert_eq!(
        r.message(),
        format!("A default QoS policy exists for project {p1}.")
    );
    // Another project may have its own default.
    policy(&api, json!({"name": "d3", "is_default": true})).await;
    let other = p1_policy(&api, "other").await;
    let r = api
        .put(
            "admin",
            &format!("/v2.0/qos/policies/{other}"),
            json!({"policy": {"is_default": true}}),
        )
        .await;
    assert_eq!(r.kind(), "QoSPolicyDefaultAlreadyExists");

    // New networks of the project get it (unless they name another); ports do not.
    let net = api.network("alice", json!({"name": "n"})).await;
    let r = api.get("alice", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.body["network"]["qos_policy_id"], d["id"]);
    let net2 = api.network("alice", json!({"qos_policy_id": other})).await;
    let r = api.get("alice", &format!("/v2.0/networks/{net2}")).await;
    assert_eq!(r.body["network"]["qos_policy_id"], json!(other));
    let port = api.port("alice", &net, json!({})).await;
    assert_eq!(port["qos_policy_id"], Value::Null);
    let bobnet = api.network("bob", json!({})).await;
    let r = api.get("bob", &format!("/v2.0/networks/{bobnet}")).await;
    assert_eq!(r.body["network"]["qos_policy_id"], Value::Null);
}

#[tokio::test]
async fn qos_bandwidth_limit_rules_values_defaults_and_conflicts() {
    let api = Api::start();
    let p = p1_policy(&api, "p").await;
    let r = rule(&api, &p, "bandwidth_limit_rules", json!({"max_kbps": 1000})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let egress = r.body["bandwidth_limit_rule"].clone();
    assert_eq!(
        keys(&egress),
        ["direction", "id", "max_burst_kbps", "max_kbps"]
    );
    assert_eq!(egress["direction"], "egress");
    assert_eq!(egress["max_burst_kbps"], 0);
    let rid = egress["id"].as_str().unwrap();

    let r = rule(&api, &p, "bandwidth_limit_rules", json!({"max_kbps": 5})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "QoSRulesConflict");
    assert_eq!(
        r.message(),
        format!(
            "Rule bandwidth_limit conflicts with rule {rid} which already exists in QoS Policy {p}."
        )
    );
    let r = rule(
        &api,
        &p,
        "bandwidth_limit_rules",
        json!({"max_kbps": "2000", "max_burst_kbps": 100, "direction": "ingress"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["bandwidth_limit_rule"]["max_kbps"], 2000);
    let ingress = r.body["bandwidth_limit_rule"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for (body, message) in [
        (
            json!({}),
            "Failed to parse request. Required attribute 'max_kbps' not specified",
        ),
        (
            json!({"max_kbps": -1}),
            "Invalid input for max_kbps. Reason: '-1' is too small - must be at least '0'.",
        ),
        (
            json!({"max_kbps": 2147483648_i64}),
            "Invalid input for max_kbps. Reason: '2147483648' is too large - must be no larger than '2147483647'.",
        ),
        (
            json!({"max_kbps": "fast"}),
            "Invalid input for operation: 'fast' is not an integer.",
        ),
        (
            json!({"max_kbps": 1, "direction": "up"}),
            "Invalid input for direction. Reason: up is not in valid_values.",
        ),
        (
            json!({"max_kbps": 1, "policy_id": p}),
            "Unrecognized attribute(s) 'policy_id'",
        ),
    ] {
        let r = rule(&api, &p, "bandwidth_limit_rules", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert_eq!(r.message(), message);
    }

    // The policy shows its rules, and each rule change is a new revision of the policy.
    let r = api.get("alice", &format!("/v2.0/qos/policies/{p}")).await;
    let pol = &r.body["policy"];
    assert_eq!(pol["revision_number"], 3);
    assert_eq!(pol["rules"][0]["type"], "bandwidth_limit");
    assert_eq!(pol["rules"][0]["qos_policy_id"], json!(p));
    assert_eq!(pol["rules"][0]["id"], json!(rid));
    assert_eq!(pol["rules"].as_array().unwrap().len(), 2);

    // List (with filters), show, update, delete under the policy.
    let base = format!("/v2.0/qos/policies/{p}/bandwidth_limit_rules");
    let r = api.get("rita", &base).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(&r.body["bandwidth_limit_rules"]).len(), 2);
    let r = api.get("alice", &format!("{base}?direction=ingress")).await;
    assert_eq!(ids(&r.body["bandwidth_limit_rules"]), [ingress.as_str()]);
    let r = api.get("alice", &format!("{base}?project_id=x")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.get("bob", &base).await;
    assert_eq!(r.kind(), "QosPolicyNotFound");
    let r = api.get("alice", &format!("{base}/{ingress}")).await;
    assert_eq!(r.body["bandwidth_limit_rule"]["direction"], "ingress");
    let r = api
        .put(
            "alice",
            &format!("{base}/{ingress}"),
            json!({"bandwidth_limit_rule": {"max_kbps": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.message(),
        "rule:update_policy_bandwidth_limit_rule is disallowed by policy"
    );
    let r = api
        .put(
            "admin",
            &format!("{base}/{ingress}"),
            json!({"bandwidth_limit_rule": {"direction": "egress"}}),
        )
        .await;
    assert_eq!(r.kind(), "QoSRulesConflict");
    let r = api
        .put(
            "admin",
            &format!("{base}/{ingress}"),
            json!({"bandwidth_limit_rule": {"max_kbps": 7}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["bandwidth_limit_rule"]["max_kbps"], 7);
    assert_eq!(r.body["bandwidth_limit_rule"]["max_burst_kbps"], 100);
    let missing = "00000000-0000-0000-0000-000000000000";
    let r = api.get("admin", &format!("{base}/{missing}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "QosRuleNotFound");
    assert_eq!(
        r.message(),
        format!("QoS rule {missing} for policy {p} could not be found.")
    );
    let r = api.delete("alice", &format!("{base}/{ingress}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.delete("admin", &format!("{base}/{ingress}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.get("admin", &format!("{base}/{ingress}")).await;
    assert_eq!(r.kind(), "QosRuleNotFound");
    // A rule of one type is not reachable as another type.
    let r = api
        .get(
            "admin",
            &format!("/v2.0/qos/policies/{p}/dscp_marking_rules/{rid}"),
        )
        .await;
    assert_eq!(r.kind(), "QosRuleNotFound");
    let r = api
        .get("admin", &format!("/v2.0/qos/policies/{p}/nonsense_rules"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn qos_dscp_minimum_and_packet_rate_rules() {
    let api = Api::start();
    let p = p1_policy(&api, "p").await;
    let r = rule(&api, &p, "dscp_marking_rules", json!({"dscp_mark": 11})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Invalid input for dscp_mark. Reason: 11 is not in valid_values."
    );
    let r = rule(&api, &p, "dscp_marking_rules", json!({"dscp_mark": 46})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(keys(&r.body["dscp_marking_rule"]), ["dscp_mark", "id"]);
    let r = rule(&api, &p, "dscp_marking_rules", json!({"dscp_mark": 0})).await;
    assert_eq!(r.kind(), "QoSRulesConflict");

    // A minimum may not exceed the limit of its direction, nor the limit fall under it.
    let r = rule(&api, &p, "bandwidth_limit_rules", json!({"max_kbps": 1000})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = rule(
        &api,
        &p,
        "minimum_bandwidth_rules",
        json!({"min_kbps": 2000}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "QoSRuleParameterConflict");
    assert_eq!(
        r.message(),
        format!(
            "Unable to add the rule with value 2000 to the policy {p} as the existing rule of type bandwidth_limit restricts the bandwidth to 1000."
        )
    );
    let r = rule(
        &api,
        &p,
        "minimum_bandwidth_rules",
        json!({"min_kbps": 2000, "direction": "ingress"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = rule(
        &api,
        &p,
        "minimum_bandwidth_rules",
        json!({"min_kbps": 500}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["minimum_bandwidth_rule"]["direction"], "egress");

    let r = rule(&api, &p, "packet_rate_limit_rules", json!({"max_kpps": 10})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        keys(&r.body["packet_rate_limit_rule"]),
        ["direction", "id", "max_burst_kpps", "max_kpps"]
    );

    let r = rule(
        &api,
        &p,
        "minimum_packet_rate_rules",
        json!({"min_kpps": 10, "direction": "any"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = rule(
        &api,
        &p,
        "minimum_packet_rate_rules",
        json!({"min_kpps": 10}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "QoSRuleParameterConflict");
    assert_eq!(
        r.message(),
        format!(
            "Unable to add the rule with value egress to the policy {p} as the existing rule of type minimum_packet_rate restricts the bandwidth to any."
        )
    );
    let r = rule(
        &api,
        &p,
        "minimum_packet_rate_rules",
        json!({"min_kpps": 1, "direction": "any"}),
    )
    .await;
    assert_eq!(r.kind(), "QoSRulesConflict");

    let r = api
        .post(
            "alice",
            &format!("/v2.0/qos/policies/{p}/dscp_marking_rules"),
            json!({"dscp_marking_rule": {"dscp_mark": 8}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.message(),
        "rule:create_policy_dscp_marking_rule is disallowed by policy"
    );
    let missing = "00000000-0000-0000-0000-000000000000";
    let r = rule(&api, missing, "dscp_marking_rules", json!({"dscp_mark": 8})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "QosPolicyNotFound");
}

#[tokio::test]
async fn qos_rules_through_alias_collections() {
    let api = Api::start();
    let p = p1_policy(&api, "p").await;
    let r = rule(&api, &p, "bandwidth_limit_rules", json!({"max_kbps": 1000})).await;
    let id = r.body["bandwidth_limit_rule"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v2.0/qos/alias-bandwidth-limit-rules/{id}");
    let r = api.get("alice", &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["alias_bandwidth_limit_rule"]["max_kbps"], 1000);
    let r = api.get("bob", &path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "QosRuleNotFound");
    let r = api
        .put(
            "admin",
            &path,
            json!({"alias_bandwidth_limit_rule": {"max_kbps": 3, "direction": "ingress"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["alias_bandwidth_limit_rule"]["direction"], "ingress");
    let r = api
        .get("admin", &format!("/v2.0/qos/alias-dscp-marking-rules/{id}"))
        .await;
    assert_eq!(r.kind(), "QosRuleNotFound");
    let r = api.delete("alice", &path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.delete("admin", &path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.get("admin", &format!("/v2.0/qos/policies/{p}")).await;
    assert_eq!(r.body["policy"]["rules"], json!([]));
    let r = api.get("admin", "/v2.0/qos/alias-nothing-rules/x").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn qos_rule_types_and_extensions() {
    let api = Api::start();
    let r = api.get("admin", "/v2.0/qos/rule-types").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["rule_types"],
        json!([{"type": "bandwidth_limit"}, {"type": "dscp_marking"}, {"type": "minimum_bandwidth"}])
    );
    let r = api
        .get("admin", "/v2.0/qos/rule-types?all_supported=true")
        .await;
    assert_eq!(r.body["rule_types"].as_array().unwrap().len(), 3);
    let r = api
        .get("admin", "/v2.0/qos/rule-types?all_rules=true")
        .await;
    assert_eq!(r.body["rule_types"].as_array().unwrap().len(), 5);
    let r = api
        .get("admin", "/v2.0/qos/rule-types?all_rules=maybe")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.get("alice", "/v2.0/qos/rule-types").await;
    assert_eq!(r.body["rule_types"], json!([]));

    let r = api
        .get("admin", "/v2.0/qos/rule-types/bandwidth_limit")
        .await;
    let t = &r.body["rule_type"];
    assert_eq!(t["type"], "bandwidth_limit");
    assert_eq!(t["drivers"][0]["name"], "ovn");
    assert_eq!(
        t["drivers"][0]["supported_parameters"][0],
        json!({"parameter_name": "max_kbps", "parameter_type": "range", "parameter_values": {"start": 0, "end": 2147483647}})
    );
    assert_eq!(
        t["drivers"][0]["supported_parameters"][2]["parameter_values"],
        json!(["ingress", "egress"])
    );
    let r = api
        .get("admin", "/v2.0/qos/rule-types/minimum_packet_rate")
        .await;
    assert_eq!(r.body["rule_type"]["drivers"], json!([]));
    let r = api.get("admin", "/v2.0/qos/rule-types/warp_speed").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .get("alice", "/v2.0/qos/rule-types/bandwidth_limit")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = api.get("alice", "/v2.0/extensions").await;
    let aliases: Vec<&str> = r.body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["alias"].as_str())
        .collect();
    for alias in [
        "qos",
        "qos-bw-limit-direction",
        "qos-bw-minimum-ingress",
        "qos-default",
        "qos-rule-type-details",
        "qos-rule-type-filter",
        "qos-rules-alias",
        "qos-pps",
        "qos-pps-minimum",
        "qos-pps-minimum-rule-alias",
    ] {
        assert!(aliases.contains(&alias), "{alias} advertised");
    }
}

#[tokio::test]
async fn qos_policy_on_ports_and_networks_and_in_use() {
    let api = Api::start();
    let p = p1_policy(&api, "p").await;
    let net = api.network("alice", json!({})).await;
    let port = api.port("alice", &net, json!({"qos_policy_id": p})).await;
    assert_eq!(port["qos_policy_id"], json!(p));
    let port_id = port["id"].as_str().unwrap();
    let r = api
        .get("alice", &format!("/v2.0/ports?qos_policy_id={p}"))
        .await;
    assert_eq!(ids(&r.body["ports"]), [port_id]);

    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{p}"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "QosPolicyInUse");
    assert_eq!(
        r.message(),
        format!("QoS Policy {p} is used by port {port_id}.")
    );

    // Policies the caller cannot see, and values that are not UUIDs.
    let hidden = policy(&api, json!({"name": "admins"})).await;
    let hidden = hidden["id"].as_str().unwrap();
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "qos_policy_id": hidden}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.kind(), "QosPolicyNotFound");
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"qos_policy_id": "nope"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Invalid input for qos_policy_id. Reason: 'nope' is not a valid UUID."
    );

    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{net}"),
            json!({"network": {"qos_policy_id": p}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["network"]["qos_policy_id"], json!(p));
    let r = api
        .put(
            "alice",
            &format!("/v2.0/ports/{port_id}"),
            json!({"port": {"qos_policy_id": null}}),
        )
        .await;
    assert_eq!(r.body["port"]["qos_policy_id"], Value::Null);
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{p}"))
        .await;
    assert_eq!(
        r.message(),
        format!("QoS Policy {p} is used by network {net}.")
    );

    // Once nothing uses it, it goes (with its rules).
    let r = api.delete("alice", &format!("/v2.0/ports/{port_id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.delete("alice", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    rule(&api, &p, "dscp_marking_rules", json!({"dscp_mark": 8})).await;
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{p}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}

#[tokio::test]
async fn qos_policy_sharing_through_rbac() {
    let api = Api::start();
    let p = policy(&api, json!({"name": "shared", "shared": true})).await;
    assert_eq!(p["shared"], json!(true));
    let id = p["id"].as_str().unwrap().to_string();
    let r = api.get("bob", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api
        .get("admin", &format!("/v2.0/rbac-policies?object_id={id}"))
        .await;
    let rbac = &r.body["rbac_policies"][0];
    assert_eq!(rbac["object_type"], "qos_policy");
    assert_eq!(rbac["target_tenant"], "*");

    // Bob uses it; unsharing would take it from him.
    let net = api.network("bob", json!({"qos_policy_id": id})).await;
    let r = api
        .put(
            "admin",
            &format!("/v2.0/qos/policies/{id}"),
            json!({"policy": {"shared": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.kind(), "RbacPolicyInUse");
    let r = api.delete("bob", &format!("/v2.0/networks/{net}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api
        .put(
            "admin",
            &format!("/v2.0/qos/policies/{id}"),
            json!({"policy": {"shared": false}}),
        )
        .await;
    assert_eq!(r.body["policy"]["shared"], json!(false));
    let r = api.get("bob", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A wildcard RBAC policy is `shared`; one for bob's project shows it shared to bob only.
    let r = api
        .post(
            "admin",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "qos_policy", "object_id": id, "action": "access_as_shared", "target_tenant": "*"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let wildcard = r.body["rbac_policy"]["id"].as_str().unwrap().to_string();
    let r = api.get("admin", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.body["policy"]["shared"], json!(true));
    api.delete("admin", &format!("/v2.0/rbac-policies/{wildcard}"))
        .await;
    let r = api.get("admin", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.body["policy"]["shared"], json!(false));
    let r = api
        .post(
            "admin",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "qos_policy", "object_id": id, "action": "access_as_shared", "target_tenant": api.project("bob")}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.get("bob", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.body["policy"]["shared"], json!(true));
    let r = api
        .get(
            "bob",
            &format!("/v2.0/qos/policies/{id}/bandwidth_limit_rules"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get("alice", &format!("/v2.0/qos/policies/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn qos_policy_on_floating_ips_and_router_gateways() {
    let api = Api::start();
    let p = p1_policy(&api, "p").await;
    let q = p1_policy(&api, "q").await;
    let ext = api
        .network("admin", json!({"router:external": true, "shared": false}))
        .await;
    api.subnet("admin", &ext, "192.0.2.0/24", json!({})).await;

    // A floating IP takes a policy on create and update, and keeps the policy in use.
    let r = api
        .post(
            "alice",
            "/v2.0/floatingips",
            json!({"floatingip": {"floating_network_id": ext, "qos_policy_id": p}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["floatingip"]["qos_policy_id"], json!(p));
    let fip = r.body["floatingip"]["id"].as_str().unwrap().to_string();
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{p}"))
        .await;
    assert_eq!(
        r.message(),
        format!("QoS Policy {p} is used by floatingip {fip}.")
    );
    let r = api
        .put(
            "alice",
            &format!("/v2.0/floatingips/{fip}"),
            json!({"floatingip": {"qos_policy_id": q}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["floatingip"]["qos_policy_id"], json!(q));
    let r = api
        .get("alice", &format!("/v2.0/floatingips?qos_policy_id={q}"))
        .await;
    assert_eq!(ids(&r.body["floatingips"]), [fip.as_str()]);

    // A router gateway takes one in external_gateway_info; a request without it keeps it.
    let r = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"external_gateway_info": {"network_id": ext, "qos_policy_id": p}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        r.body["router"]["external_gateway_info"]["qos_policy_id"],
        json!(p)
    );
    let router = r.body["router"]["id"].as_str().unwrap().to_string();
    let r = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {"network_id": ext}}}),
        )
        .await;
    assert_eq!(
        r.body["router"]["external_gateway_info"]["qos_policy_id"],
        json!(p)
    );
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{p}"))
        .await;
    assert_eq!(
        r.message(),
        format!("QoS Policy {p} is used by router {router}.")
    );
    let r = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {"network_id": ext, "qos_policy_id": "x"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {"network_id": ext, "qos_policy_id": null}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["router"]["external_gateway_info"]["qos_policy_id"],
        Value::Null
    );
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{p}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    // Removing the gateway, or the floating IP, releases their policies.
    let r = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {"network_id": ext, "qos_policy_id": q}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    api.put(
        "alice",
        &format!("/v2.0/routers/{router}"),
        json!({"router": {"external_gateway_info": {}}}),
    )
    .await;
    api.delete("alice", &format!("/v2.0/floatingips/{fip}"))
        .await;
    let r = api
        .delete("admin", &format!("/v2.0/qos/policies/{q}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}
