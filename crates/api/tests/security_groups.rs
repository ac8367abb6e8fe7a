//! Security groups and rules: the lazy default group, rule checks and duplicates, policy, and
//! the `security_groups` of ports.

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn groups(api: &Api, user: &str, query: &str) -> Vec<Value> {
    let r = api
        .get(user, &format!("/v2.0/security-groups{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["security_groups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn group(api: &Api, user: &str, body: Value) -> Value {
    let r = api
        .post(
            user,
            "/v2.0/security-groups",
            json!({"security_group": body}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["security_group"].clone()
}

async fn rule(api: &Api, user: &str, body: Value) -> Reply {
    api.post(
        user,
        "/v2.0/security-group-rules",
        json!({"security_group_rule": body}),
    )
    .await
}

async fn default_group(api: &Api, user: &str) -> Value {
    groups(api, user, "?name=default").await.remove(0)
}

#[tokio::test]
async fn first_list_creates_the_default_group_once() {
    let api = Api::start();
    let (a, b) = tokio::join!(groups(&api, "alice", ""), groups(&api, "alice", ""));
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!(a[0]["id"], b[0]["id"], "one default group per project");
    let g = &a[0];
    assert_eq!(
        (g["name"].as_str(), g["description"].as_str()),
        (Some("default"), Some("Default security group"))
    );
    assert_eq!(
        (g["stateful"].as_bool(), g["shared"].as_bool()),
        (Some(true), Some(false))
    );
    let mut keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "id",
            "name",
            "project_id",
            "revision_number",
            "security_group_rules",
            "shared",
            "stateful",
            "tags",
            "tenant_id",
            "updated_at"
        ]
    );
    let rules = g["security_group_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    let mut shape: Vec<(String, String, Value)> = rules
        .iter()
        .map(|r| {
            assert_eq!(r["belongs_to_default_sg"], true);
            assert!(r.get("sg_project_id").is_none());
            (
                r["direction"].as_str().unwrap().to_string(),
                r["ethertype"].as_str().unwrap().to_string(),
                r["remote_group_id"].clone(),
            )
        })
        .collect();
    shape.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
    assert_eq!(
        shape,
        [
            ("egress".into(), "IPv4".into(), Value::Null),
            ("egress".into(), "IPv6".into(), Value::Null),
            ("ingress".into(), "IPv4".into(), g["id"].clone()),
            ("ingress".into(), "IPv6".into(), g["id"].clone()),
        ]
    );
    // Bob's list shows only his own default group; an admin filter creates one for a project.
    let bob = groups(&api, "bob", "").await;
    assert_eq!(bob.len(), 1);
    assert_ne!(bob[0]["id"], g["id"]);
    let fresh = groups(&api, "admin", "?project_id=p9").await;
    assert_eq!(
        (fresh.len(), fresh[0]["project_id"].as_str()),
        (1, Some("p9"))
    );
    // A member listing another project's groups creates nothing there.
    assert!(groups(&api, "alice", "?project_id=p8").await.is_empty());
    assert!(
        groups(&api, "admin", "?project_id=p8&name=x")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn default_group_rules_of_names_and_deletes() {
    let api = Api::start();
    let d = default_group(&api, "alice").await;
    let path = format!("/v2.0/security-groups/{}", id(&d));
    let r = api
        .put("alice", &path, json!({"security_group": {"name": "x"}}))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "SecurityGroupCannotUpdateDefault")
    );
    let r = api
        .put(
            "alice",
            &path,
            json!({"security_group": {"description": "mine"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.delete("alice", &path).await;
    assert_eq!(
        (r.status, r.kind(), r.message()),
        (
            StatusCode::CONFLICT,
            "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group."
        )
    );
    for name in ["default", "DEFAULT"] {
        let r = api
            .post(
                "alice",
                "/v2.0/security-groups",
                json!({"security_group": {"name": name}}),
            )
            .await;
        assert_eq!(
            (r.status, r.kind()),
            (StatusCode::CONFLICT, "SecurityGroupDefaultAlreadyExists")
        );
    }
    let web = group(&api, "alice", json!({"name": "web"})).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/security-groups/{}", id(&web)),
            json!({"security_group": {"name": "Default"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A custom group gets the two egress rules only.
    let rules = web["security_group_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert!(
        rules
            .iter()
            .all(|r| r["direction"] == "egress" && r["belongs_to_default_sg"] == false)
    );
    // An admin may delete the default group; the next list brings a new one.
    assert_eq!(
        api.delete("admin", &path).await.status,
        StatusCode::NO_CONTENT
    );
    let again = default_group(&api, "alice").await;
    assert_ne!(again["id"], d["id"]);
}

#[tokio::test]
async fn group_policy_and_visibility() {
    let api = Api::start();
    let g = group(&api, "alice", json!({"name": "g", "stateful": false})).await;
    assert_eq!(g["stateful"], false);
    let path = format!("/v2.0/security-groups/{}", id(&g));
    assert_eq!(api.get("bob", &path).await.kind(), "SecurityGroupNotFound");
    assert_eq!(api.get("rita", &path).await.status, StatusCode::OK);
    let r = api
        .put("rita", &path, json!({"security_group": {"name": "n"}}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post(
            "rita",
            "/v2.0/security-groups",
            json!({"security_group": {"name": "n"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(api.delete("bob", &path).await.status, StatusCode::NOT_FOUND);
    let r = api
        .put(
            "alice",
            &path,
            json!({"security_group": {"name": "g2", "stateful": true}}),
        )
        .await;
    assert_eq!(
        (
            r.body["security_group"]["name"].as_str(),
            r.body["security_group"]["stateful"].as_bool()
        ),
        (Some("g2"), Some(true))
    );
    assert_eq!(r.body["security_group"]["revision_number"], 2);
    let r = api
        .post(
            "alice",
            "/v2.0/security-groups",
            json!({"security_group": {"name": "x", "security_group_rules": []}}),
        )
        .await;
    assert_eq!(
        r.message(),
        "Attribute 'security_group_rules' not allowed in POST"
    );
    // Tags work on groups.
    let r = api
        .put("alice", &format!("{path}/tags/blue"), json!(null))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(api.get("alice", &path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rule_attributes_and_conversions() {
    let api = Api::start();
    let g = group(&api, "alice", json!({"name": "g"})).await;
    let sg = id(&g);
    let r = rule(&api, "alice", json!({"security_group_id": sg, "direction": "ingress", "protocol": "TCP", "port_range_min": 22, "port_range_max": "22", "remote_ip_prefix": "10.0.0.5/24", "ethertype": "ipv4", "description": "ssh"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v = &r.body["security_group_rule"];
    assert_eq!(
        (
            v["protocol"].as_str(),
            v["port_range_min"].as_u64(),
            v["ethertype"].as_str()
        ),
        (Some("tcp"), Some(22), Some("IPv4"))
    );
    assert_eq!(
        (
            v["remote_ip_prefix"].as_str(),
            v["normalized_cidr"].as_str()
        ),
        (Some("10.0.0.5/24"), Some("10.0.0.0/24"))
    );
    assert_eq!(
        (
            v["belongs_to_default_sg"].as_bool(),
            v["remote_address_group_id"].clone()
        ),
        (Some(false), Value::Null)
    );
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "belongs_to_default_sg",
            "created_at",
            "description",
            "direction",
            "ethertype",
            "id",
            "normalized_cidr",
            "port_range_max",
            "port_range_min",
            "project_id",
            "protocol",
            "remote_address_group_id",
            "remote_group_id",
            "remote_ip_prefix",
            "revision_number",
            "security_group_id",
            "tenant_id",
            "updated_at"
        ]
    );
    // The same rule by protocol number is a duplicate naming the existing rule.
    let dup = rule(&api, "alice", json!({"security_group_id": sg, "direction": "ingress", "protocol": "6", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.5/24"})).await;
    assert_eq!(
        (dup.status, dup.kind()),
        (StatusCode::CONFLICT, "SecurityGroupRuleExists")
    );
    assert_eq!(
        dup.message(),
        format!("Security group rule already exists. Rule id is {}.", id(v))
    );
    // 0.0.0.0/0 is the same as no prefix: the template egress rule exists already.
    let dup = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "egress", "remote_ip_prefix": "0.0.0.0/0"}),
    )
    .await;
    assert_eq!(dup.kind(), "SecurityGroupRuleExists");
    // A host address gets its mask; IPv6 ICMP names are made canonical.
    let r = rule(&api, "alice", json!({"security_group_id": sg, "direction": "ingress", "ethertype": "IPv6", "protocol": "icmp", "remote_ip_prefix": "2001:DB8::1"})).await;
    let v = &r.body["security_group_rule"];
    assert_eq!(
        (v["protocol"].as_str(), v["remote_ip_prefix"].as_str()),
        (Some("ipv6-icmp"), Some("2001:db8::1/128"))
    );
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "ingress", "protocol": "any"}),
    )
    .await;
    assert_eq!(r.body["security_group_rule"]["protocol"], Value::Null);
    let r = rule(&api, "alice", json!({"security_group_id": sg, "direction": "ingress", "protocol": 132, "port_range_min": 1, "port_range_max": 65535})).await;
    let v = &r.body["security_group_rule"];
    assert_eq!(
        (v["protocol"].as_str(), v["port_range_min"].clone()),
        (Some("132"), Value::Null)
    );
    let r = rule(&api, "alice", json!({"security_group_id": sg, "direction": "ingress", "protocol": "icmp", "port_range_min": 8, "port_range_max": 0})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The group's view embeds its rules, and each rule bumped its revision.
    let r = api
        .get("alice", &format!("/v2.0/security-groups/{sg}"))
        .await;
    let shown = &r.body["security_group"];
    assert_eq!(
        shown["security_group_rules"].as_array().unwrap().len(),
        2 + 5
    );
    assert_eq!(shown["revision_number"], 1 + 5);
    let filtered = api
        .get(
            "alice",
            &format!(
                "/v2.0/security-group-rules?security_group_id={sg}&direction=ingress&protocol=tcp"
            ),
        )
        .await;
    assert_eq!(
        filtered.body["security_group_rules"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let sorted = api
        .get("alice", &format!("/v2.0/security-group-rules?security_group_id={sg}&sort_key=protocol&fields=protocol&fields=id"))
        .await;
    assert_eq!(
        sorted.body["security_group_rules"][0]
            .as_object()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn rule_errors() {
    let api = Api::start();
    let g = group(&api, "alice", json!({"name": "g"})).await;
    let sg = id(&g);
    let cases = [
        (
            json!({"direction": "ingress", "protocol": "tcp", "port_range_min": -16}),
            "SecurityGroupInvalidPortValue",
            "Invalid value for port -16",
        ),
        (
            json!({"direction": "ingress", "protocol": "tcp", "port_range_min": 70000}),
            "SecurityGroupInvalidPortValue",
            "Invalid value for port 70000",
        ),
        (
            json!({"direction": "ingress", "protocol": "tcp", "port_range_min": 0, "port_range_max": 5}),
            "SecurityGroupInvalidPortValue",
            "Invalid value for port 0",
        ),
        (
            json!({"direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 79}),
            "SecurityGroupInvalidPortRange",
            "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        ),
        (
            json!({"direction": "ingress", "protocol": "udp", "port_range_min": 80}),
            "SecurityGroupInvalidPortRange",
            "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        ),
        (
            json!({"direction": "ingress", "protocol": "icmp", "port_range_min": 8, "port_range_max": 300}),
            "SecurityGroupInvalidIcmpValue",
            "Invalid value for ICMP code (port_range_max) 300. It must be 0 to 255.",
        ),
        (
            json!({"direction": "ingress", "protocol": "icmp", "port_range_min": 256}),
            "SecurityGroupInvalidIcmpValue",
            "Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.",
        ),
        (
            json!({"direction": "ingress", "protocol": "icmp", "port_range_max": 3}),
            "SecurityGroupMissingIcmpType",
            "ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing.",
        ),
        (
            json!({"direction": "ingress", "port_range_min": 80, "port_range_max": 80}),
            "SecurityGroupProtocolRequiredWithPorts",
            "Must also specify protocol if port range is given.",
        ),
        (
            json!({"direction": "ingress", "protocol": "gre", "port_range_min": 80, "port_range_max": 80}),
            "SecurityGroupInvalidProtocolForPort",
            "Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.",
        ),
        (
            json!({"direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/24"}),
            "SecurityGroupRuleParameterConflict",
            "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/24",
        ),
        (
            json!({"direction": "ingress", "remote_ip_prefix": "2001:db8::/64"}),
            "SecurityGroupRuleParameterConflict",
            "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64",
        ),
        (
            json!({"direction": "ingress", "remote_ip_prefix": "bad"}),
            "InvalidCIDR",
            "Invalid CIDR bad given as IP prefix.",
        ),
        (
            json!({"direction": "ingress", "protocol": "ipv6-icmp"}),
            "SecurityGroupEthertypeConflictWithProtocol",
            "Invalid ethertype IPv4 for protocol ipv6-icmp.",
        ),
        (
            json!({"direction": "ingress", "ethertype": "IPv5"}),
            "SecurityGroupRuleInvalidEtherType",
            "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].",
        ),
        (
            json!({"direction": "sideways"}),
            "HTTPBadRequest",
            "Invalid input for direction. Reason: sideways is not in valid_values.",
        ),
        (
            json!({"direction": "ingress", "protocol": "bogus"}),
            "SecurityGroupRuleInvalidProtocol",
            "",
        ),
        (
            json!({"direction": "ingress", "protocol": 256}),
            "SecurityGroupRuleInvalidProtocol",
            "",
        ),
        (
            json!({"direction": "ingress", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": sg}),
            "SecurityGroupMultipleRemoteEntites",
            "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.",
        ),
        (
            json!({"direction": "ingress", "port_range_max": 5, "protocol": "tcp", "foo": 1}),
            "HTTPBadRequest",
            "Unrecognized attribute(s) 'foo'",
        ),
        (
            json!({"direction": "ingress", "normalized_cidr": "10.0.0.0/8"}),
            "HTTPBadRequest",
            "Attribute 'normalized_cidr' not allowed in POST",
        ),
    ];
    for (mut body, kind, message) in cases {
        body["security_group_id"] = json!(sg);
        let r = rule(&api, "alice", body.clone()).await;
        assert_eq!(
            (r.status, r.kind()),
            (StatusCode::BAD_REQUEST, kind),
            "{body}: {:?}",
            r.body
        );
        if !message.is_empty() {
            assert_eq!(r.message(), message, "{body}");
        }
    }
    let r = rule(&api, "alice", json!({"security_group_id": sg})).await;
    assert_eq!(
        r.message(),
        "Failed to parse request. Required attribute 'direction' not specified"
    );
    let missing = "8f7a6b5c-0000-4000-8000-000000000000";
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "ingress", "remote_group_id": missing}),
    )
    .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::NOT_FOUND,
            format!("Security group {missing} does not exist").as_str()
        )
    );
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": missing, "direction": "ingress"}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "SecurityGroupNotFound")
    );
    // Another project's group: not found, as a remote group too; a reader may not add rules.
    let r = rule(
        &api,
        "bob",
        json!({"security_group_id": sg, "direction": "ingress"}),
    )
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "SecurityGroupNotFound")
    );
    let bobs = group(&api, "bob", json!({"name": "b"})).await;
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "ingress", "remote_group_id": id(&bobs)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = rule(
        &api,
        "rita",
        json!({"security_group_id": sg, "direction": "ingress"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing of the failures was written.
    let g = api
        .get("alice", &format!("/v2.0/security-groups/{sg}"))
        .await;
    assert_eq!(g.body["security_group"]["revision_number"], 1);
}

#[tokio::test]
async fn bulk_rules_are_atomic_and_rule_changes() {
    let api = Api::start();
    let g = group(&api, "alice", json!({"name": "g"})).await;
    let sg = id(&g);
    let post = |rules: Value| {
        let api = &api;
        async move {
            api.post(
                "alice",
                "/v2.0/security-group-rules",
                json!({"security_group_rules": rules}),
            )
            .await
        }
    };
    let ok = post(json!([
        {"security_group_id": sg, "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80},
        {"security_group_id": sg, "direction": "ingress", "protocol": "tcp", "port_range_min": 443, "port_range_max": 443},
    ]))
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!(ok.body["security_group_rules"].as_array().unwrap().len(), 2);
    let r = post(json!([
        {"security_group_id": sg, "direction": "ingress", "protocol": "udp", "port_range_min": 53, "port_range_max": 53},
        {"security_group_id": sg, "direction": "ingress", "protocol": "17", "port_range_min": 53, "port_range_max": 53},
    ]))
    .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "DuplicateSecurityGroupRuleInPost")
    );
    let r = post(json!([
        {"security_group_id": sg, "direction": "ingress", "protocol": "udp", "port_range_min": 54, "port_range_max": 54},
        {"security_group_id": sg, "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80},
    ]))
    .await;
    assert_eq!(r.kind(), "SecurityGroupRuleExists");
    let other = group(&api, "alice", json!({"name": "h"})).await;
    let r = post(json!([
        {"security_group_id": sg, "direction": "ingress", "protocol": "udp", "port_range_min": 55, "port_range_max": 55},
        {"security_group_id": id(&other), "direction": "ingress"},
    ]))
    .await;
    assert_eq!(r.kind(), "SecurityGroupNotSingleGroupRules");
    let rules = api
        .get(
            "alice",
            &format!("/v2.0/security-group-rules?security_group_id={sg}"),
        )
        .await;
    assert_eq!(
        rules.body["security_group_rules"].as_array().unwrap().len(),
        4,
        "failed bulks wrote nothing"
    );
    // Rules: description updates, other attributes are read-only; deletes bump the group.
    let rid = id(&ok.body["security_group_rules"][0]);
    let path = format!("/v2.0/security-group-rules/{rid}");
    let r = api
        .put(
            "alice",
            &path,
            json!({"security_group_rule": {"protocol": "udp"}}),
        )
        .await;
    assert_eq!(r.message(), "Cannot update read-only attribute protocol");
    let r = api
        .put(
            "alice",
            &path,
            json!({"security_group_rule": {"description": "web"}}),
        )
        .await;
    assert_eq!(r.body["security_group_rule"]["description"], "web");
    let before = api
        .get("alice", &format!("/v2.0/security-groups/{sg}"))
        .await
        .body["security_group"]["revision_number"]
        .as_u64()
        .unwrap();
    assert_eq!(
        api.get("bob", &path).await.kind(),
        "SecurityGroupRuleNotFound"
    );
    assert_eq!(api.delete("bob", &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        api.delete("rita", &path).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("alice", &path).await.kind(),
        "SecurityGroupRuleNotFound"
    );
    let after = api
        .get("alice", &format!("/v2.0/security-groups/{sg}"))
        .await
        .body["security_group"]["revision_number"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before + 1);
    // An admin's rule in alice's group is alice's to see; deleting the group takes its rules.
    let r = rule(&api, "admin", json!({"security_group_id": sg, "direction": "egress", "protocol": "tcp", "port_range_min": 25, "port_range_max": 25})).await;
    let admin_rule = format!(
        "/v2.0/security-group-rules/{}",
        id(&r.body["security_group_rule"])
    );
    assert_eq!(api.get("alice", &admin_rule).await.status, StatusCode::OK);
    // A rule naming another group as remote goes with that group.
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": id(&other), "direction": "ingress", "remote_group_id": sg}),
    )
    .await;
    let remote_rule = format!(
        "/v2.0/security-group-rules/{}",
        id(&r.body["security_group_rule"])
    );
    assert_eq!(
        api.delete("alice", &format!("/v2.0/security-groups/{sg}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("admin", &admin_rule).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("alice", &remote_rule).await.status,
        StatusCode::NOT_FOUND
    );
    // Listing rules also brings the default group.
    let bob_rules = api.get("bob", "/v2.0/security-group-rules").await;
    assert_eq!(
        bob_rules.body["security_group_rules"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn ports_and_groups() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let d = default_group(&api, "alice").await;
    let p = api.port("alice", &net, json!({})).await;
    assert_eq!(p["security_groups"], json!([id(&d)]));
    let dhcp = api
        .port("alice", &net, json!({"device_owner": "network:dhcp"}))
        .await;
    assert_eq!(dhcp["security_groups"], json!([]));
    let none = api
        .port("alice", &net, json!({"security_groups": []}))
        .await;
    assert_eq!(none["security_groups"], json!([]));
    let web = group(&api, "alice", json!({"name": "web"})).await;
    let stateless = group(&api, "alice", json!({"name": "sl", "stateful": false})).await;
    let both = api
        .port(
            "alice",
            &net,
            json!({"security_groups": [id(&web), id(&d)]}),
        )
        .await;
    assert_eq!(both["security_groups"].as_array().unwrap().len(), 2);
    // Filter on groups.
    let r = api
        .get(
            "alice",
            &format!("/v2.0/ports?security_groups={}", id(&web)),
        )
        .await;
    let listed: Vec<String> = r.body["ports"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(listed, [id(&both)]);
    // Errors.
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "security_groups": [id(&web), id(&stateless)]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::CONFLICT, "SecurityGroupConflict")
    );
    let bobs = group(&api, "bob", json!({"name": "b"})).await;
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "security_groups": [id(&bobs)]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "SecurityGroupNotFound")
    );
    let r = api
        .post(
            "alice",
            "/v2.0/ports",
            json!({"port": {"network_id": net, "security_groups": ["nope"]}}),
        )
        .await;
    assert_eq!(
        r.message(),
        "Invalid input for security_groups. Reason: 'nope' is not a valid UUID."
    );
    let r = api
        .post("alice", "/v2.0/ports", json!({"port": {"network_id": net, "port_security_enabled": false, "security_groups": [id(&web)]}}))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (
            StatusCode::BAD_REQUEST,
            "PortSecurityAndIPRequiredForSecurityGroups"
        )
    );
    let insecure = api
        .port("alice", &net, json!({"port_security_enabled": false}))
        .await;
    assert_eq!(insecure["security_groups"], json!([]));
    // Updates: disabling port security needs the groups gone first (or in the same request).
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
        (StatusCode::CONFLICT, "PortSecurityPortHasSecurityGroup")
    );
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"port_security_enabled": false, "security_groups": [id(&web)]}}),
        )
        .await;
    assert_eq!(r.kind(), "PortSecurityAndIPRequiredForSecurityGroups");
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"security_groups": [id(&web)]}}),
        )
        .await;
    assert_eq!(r.body["port"]["security_groups"], json!([id(&web)]));
    // Groups in use cannot be deleted or change statefulness.
    let web_path = format!("/v2.0/security-groups/{}", id(&web));
    let r = api.delete("alice", &web_path).await;
    assert_eq!(
        (r.status, r.kind(), r.message()),
        (
            StatusCode::CONFLICT,
            "SecurityGroupInUse",
            format!("Security Group {} in use.", id(&web)).as_str()
        )
    );
    let r = api
        .put(
            "alice",
            &web_path,
            json!({"security_group": {"stateful": false}}),
        )
        .await;
    assert_eq!(r.kind(), "SecurityGroupInUse");
    let r = api
        .put(
            "alice",
            &path,
            json!({"port": {"port_security_enabled": false, "security_groups": []}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["port"]["security_groups"], json!([]));
    assert_eq!(
        api.delete("alice", &format!("/v2.0/ports/{}", id(&both)))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.delete("alice", &web_path).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn extensions_are_advertised() {
    let api = Api::start();
    let r = api.get("alice", "/v2.0/extensions").await;
    let aliases: Vec<&str> = r.body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["alias"].as_str())
        .collect();
    for a in [
        "security-group",
        "stateful-security-group",
        "security-groups-normalized-cidr",
        "security-groups-rules-belongs-to-default-sg",
    ] {
        assert!(aliases.contains(&a), "{a}");
    }
    let r = api.get("alice", "/v2.0/extensions/security-group").await;
    assert_eq!(r.body["extension"]["name"], "security-group");
}

/// `security-groups-shared-filtering`: `shared` filters groups as the caller sees it (true for
/// a group an RBAC policy shares with the caller's project).
#[tokio::test]
async fn groups_filter_on_shared() {
    let api = Api::start();
    let r = api
        .post(
            "alice",
            "/v2.0/security-groups",
            json!({"security_group": {"name": "shared-one"}}),
        )
        .await;
    let sg = r.body["security_group"]["id"].as_str().unwrap().to_string();
    let r = api
        .post(
            "alice",
            "/v2.0/rbac-policies",
            json!({"rbac_policy": {"object_type": "security_group", "object_id": sg,
                   "action": "access_as_shared", "target_tenant": api.project("bob")}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let shared = api.get("bob", "/v2.0/security-groups?shared=true").await;
    let names: Vec<&str> = shared.body["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shared-one"]);
    let own = api.get("bob", "/v2.0/security-groups?shared=false").await;
    let names: Vec<&str> = own.body["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default"]);
}
