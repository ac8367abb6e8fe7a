//! Address groups (`address-group`), rules naming one (`security-groups-remote-address-group`)
//! and the default security group rules template (`security-groups-default-rules`): upstream's
//! attributes, normalisation, actions, errors and policy.

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply, ids};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn expect(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!((r.status, r.kind()), (status, kind), "{:?}", r.body);
}

async fn group(api: &Api, user: &str, body: Value) -> Value {
    let r = api
        .post(user, "/v2.0/address-groups", json!({"address_group": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["address_group"].clone()
}

async fn action(api: &Api, user: &str, ag: &str, action: &str, addresses: Value) -> Reply {
    api.put(
        user,
        &format!("/v2.0/address-groups/{ag}/{action}"),
        json!({"addresses": addresses}),
    )
    .await
}

async fn rule(api: &Api, user: &str, body: Value) -> Reply {
    api.post(
        user,
        "/v2.0/security-group-rules",
        json!({"security_group_rule": body}),
    )
    .await
}

#[tokio::test]
async fn create_show_list_update_delete() {
    let api = Api::start();
    let ag = group(
        &api,
        "alice",
        json!({"name": "ag1", "addresses": ["10.0.0.5/24", "2001:db8::1/64", "192.0.2.1/32"]}),
    )
    .await;
    let keys = harness::keys(&ag);
    assert_eq!(
        keys,
        [
            "addresses",
            "created_at",
            "description",
            "id",
            "name",
            "project_id",
            "revision_number",
            "tenant_id",
            "updated_at"
        ]
    );
    assert_eq!(
        ag["addresses"],
        json!(["10.0.0.0/24", "192.0.2.1/32", "2001:db8::/64"])
    );
    assert_eq!(ag["project_id"], json!(api.project("alice")));
    let agid = id(&ag);
    let shown = api
        .get("alice", &format!("/v2.0/address-groups/{agid}"))
        .await;
    assert_eq!(shown.body["address_group"], ag);
    // Readers of the project see it; other projects do not.
    let listed = api.get("rita", "/v2.0/address-groups").await;
    assert_eq!(
        ids(&listed.body["address_groups"]),
        std::slice::from_ref(&agid)
    );
    let other = api.get("bob", "/v2.0/address-groups").await;
    assert!(ids(&other.body["address_groups"]).is_empty());
    let r = api
        .get("bob", &format!("/v2.0/address-groups/{agid}"))
        .await;
    expect(&r, StatusCode::NOT_FOUND, "AddressGroupNotFound");
    assert_eq!(
        r.message(),
        format!("Address group {agid} could not be found.")
    );
    let filtered = api
        .get(
            "admin",
            "/v2.0/address-groups?name=ag1&fields=id&fields=name",
        )
        .await;
    assert_eq!(
        filtered.body["address_groups"],
        json!([{"id": agid, "name": "ag1"}])
    );

    let r = api
        .put(
            "alice",
            &format!("/v2.0/address-groups/{agid}"),
            json!({"address_group": {"name": "renamed", "description": "d"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["address_group"]["name"], "renamed");
    assert_eq!(r.body["address_group"]["revision_number"], 2);
    let r = api
        .put(
            "alice",
            &format!("/v2.0/address-groups/{agid}"),
            json!({"address_group": {"addresses": []}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .put(
            "rita",
            &format!("/v2.0/address-groups/{agid}"),
            json!({"address_group": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = api
        .delete("bob", &format!("/v2.0/address-groups/{agid}"))
        .await;
    expect(&r, StatusCode::NOT_FOUND, "AddressGroupNotFound");
    let r = api
        .delete("alice", &format!("/v2.0/address-groups/{agid}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .get("alice", &format!("/v2.0/address-groups/{agid}"))
        .await;
    expect(&r, StatusCode::NOT_FOUND, "AddressGroupNotFound");
}

#[tokio::test]
async fn invalid_input() {
    let api = Api::start();
    for (body, reason) in [
        (
            json!({"addresses": "10.0.0.0/24"}),
            "Invalid input for addresses. Reason: '10.0.0.0/24' is not a list.",
        ),
        (
            json!({"addresses": ["10.0.0.1"]}),
            "Invalid input for addresses. Reason: '10.0.0.1' isn't a recognized IP subnet cidr, '10.0.0.1/32' is recommended.",
        ),
        (
            json!({"addresses": ["x"]}),
            "Invalid input for addresses. Reason: 'x' is not a valid IP subnet.",
        ),
        (
            json!({"addresses": ["10.0.0.0/24", "10.0.0.0/24"]}),
            "Invalid input for addresses. Reason: Duplicate items in the list: '10.0.0.0/24'.",
        ),
        (
            json!({"shared": true}),
            "Attribute 'shared' not allowed in POST",
        ),
    ] {
        let r = api
            .post(
                "alice",
                "/v2.0/address-groups",
                json!({"address_group": body}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        assert_eq!(r.message(), reason, "{body}");
    }
    let r = api
        .post(
            "rita",
            "/v2.0/address-groups",
            json!({"address_group": {"name": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // No addresses given: an empty group.
    let ag = group(&api, "alice", json!({})).await;
    assert_eq!(ag["addresses"], json!([]));
    assert_eq!(ag["name"], "");
}

#[tokio::test]
async fn add_and_remove_addresses() {
    let api = Api::start();
    let ag = id(&group(&api, "alice", json!({"addresses": ["10.0.0.0/24"]})).await);
    let r = action(&api, "alice", &ag, "add_addresses", json!(["192.0.2.7/24"])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["address_group"]["addresses"],
        json!(["10.0.0.0/24", "192.0.2.0/24"])
    );
    assert_eq!(r.body["address_group"]["revision_number"], 2);
    let r = action(&api, "alice", &ag, "add_addresses", json!(["10.0.0.1/24"])).await;
    expect(&r, StatusCode::BAD_REQUEST, "AddressesAlreadyExist");
    assert_eq!(
        r.message(),
        format!("Addresses ['10.0.0.0/24'] already exist in the address group {ag}.")
    );
    let r = action(
        &api,
        "alice",
        &ag,
        "remove_addresses",
        json!(["203.0.113.0/24"]),
    )
    .await;
    expect(&r, StatusCode::NOT_FOUND, "AddressesNotFound");
    assert_eq!(
        r.message(),
        format!("Addresses ['203.0.113.0/24'] not found in the address group {ag}.")
    );
    let r = action(
        &api,
        "alice",
        &ag,
        "remove_addresses",
        json!(["10.0.0.0/24"]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["address_group"]["addresses"],
        json!(["192.0.2.0/24"])
    );
    let r = action(&api, "alice", &ag, "add_addresses", json!("10.1.0.0/16")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .put(
            "alice",
            &format!("/v2.0/address-groups/{ag}/add_addresses"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = action(&api, "bob", &ag, "add_addresses", json!(["10.9.0.0/16"])).await;
    expect(&r, StatusCode::NOT_FOUND, "AddressGroupNotFound");
    let r = action(&api, "rita", &ag, "add_addresses", json!(["10.9.0.0/16"])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
}

#[tokio::test]
async fn rules_naming_an_address_group() {
    let api = Api::start();
    let ag = id(&group(&api, "alice", json!({"addresses": ["10.0.0.0/24"]})).await);
    let sg = id(&api.security_group("alice", "web").await);
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "ingress", "protocol": "udp",
               "port_range_min": 53, "port_range_max": 53, "remote_address_group_id": ag}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let created = r.body["security_group_rule"].clone();
    assert_eq!(created["remote_address_group_id"], json!(ag));
    assert_eq!(created["remote_group_id"], Value::Null);
    // The same rule again is the same rule.
    let again = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "ingress", "protocol": "17",
               "port_range_min": 53, "port_range_max": 53, "remote_address_group_id": ag}),
    )
    .await;
    expect(&again, StatusCode::CONFLICT, "SecurityGroupRuleExists");
    let filtered = api
        .get(
            "alice",
            &format!("/v2.0/security-group-rules?remote_address_group_id={ag}"),
        )
        .await;
    assert_eq!(ids(&filtered.body["security_group_rules"]), [id(&created)]);
    // Only one remote.
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "ingress",
               "remote_ip_prefix": "10.0.0.0/8", "remote_address_group_id": ag}),
    )
    .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "SecurityGroupMultipleRemoteEntites",
    );
    // Another project's group, or none at all, is not found.
    let bob_sg = id(&api.security_group("bob", "b").await);
    let r = rule(
        &api,
        "bob",
        json!({"security_group_id": bob_sg, "direction": "ingress", "remote_address_group_id": ag}),
    )
    .await;
    expect(&r, StatusCode::NOT_FOUND, "AddressGroupNotFound");
    let missing = "0b0b0b0b-0000-4000-8000-000000000000";
    let r = rule(
        &api,
        "alice",
        json!({"security_group_id": sg, "direction": "egress", "remote_address_group_id": missing}),
    )
    .await;
    expect(&r, StatusCode::NOT_FOUND, "AddressGroupNotFound");
    // In use while a rule names it.
    let r = api
        .delete("alice", &format!("/v2.0/address-groups/{ag}"))
        .await;
    expect(&r, StatusCode::CONFLICT, "AddressGroupInUse");
    assert_eq!(
        r.message(),
        format!("Address group {ag} is in use on one or more security group rules.")
    );
    let r = api
        .delete(
            "alice",
            &format!("/v2.0/security-group-rules/{}", id(&created)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .delete("alice", &format!("/v2.0/address-groups/{ag}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}

fn rule_keys(rules: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["direction"].as_str().unwrap_or_default().to_string(),
                r["ethertype"].as_str().unwrap_or_default().to_string(),
                r["remote_group_id"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn default_rules_template() {
    let api = Api::start();
    let listed = api.get("alice", "/v2.0/default-security-group-rules").await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let template = listed.body["default_security_group_rules"].clone();
    assert_eq!(
        rule_keys(&template),
        [
            ("egress".into(), "IPv4".into(), "-".into()),
            ("egress".into(), "IPv6".into(), "-".into()),
            ("ingress".into(), "IPv4".into(), "PARENT".into()),
            ("ingress".into(), "IPv6".into(), "PARENT".into()),
        ]
    );
    let one = template[0].clone();
    let keys = harness::keys(&one);
    assert_eq!(
        keys,
        [
            "description",
            "direction",
            "ethertype",
            "id",
            "port_range_max",
            "port_range_min",
            "protocol",
            "remote_address_group_id",
            "remote_group_id",
            "remote_ip_prefix",
            "used_in_default_sg",
            "used_in_non_default_sg"
        ]
    );
    let custom = api
        .get(
            "alice",
            "/v2.0/default-security-group-rules?used_in_non_default_sg=true",
        )
        .await;
    assert_eq!(
        custom.body["default_security_group_rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Only admins change the template.
    let ssh = json!({"direction": "ingress", "protocol": "tcp", "port_range_min": 22,
                     "port_range_max": 22, "used_in_default_sg": false,
                     "used_in_non_default_sg": true, "description": "ssh"});
    let r = api
        .post(
            "alice",
            "/v2.0/default-security-group-rules",
            json!({"default_security_group_rule": ssh}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = api
        .post(
            "admin",
            "/v2.0/default-security-group-rules",
            json!({"default_security_group_rule": {"direction": "ingress"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = api
        .post(
            "admin",
            "/v2.0/default-security-group-rules",
            json!({"default_security_group_rule": ssh}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ssh_rule = r.body["default_security_group_rule"].clone();
    assert_eq!(ssh_rule["protocol"], "tcp");
    assert_eq!(ssh_rule["used_in_non_default_sg"], true);
    let r = api
        .post(
            "admin",
            "/v2.0/default-security-group-rules",
            json!({"default_security_group_rule": ssh}),
        )
        .await;
    expect(&r, StatusCode::CONFLICT, "DefaultSecurityGroupRuleExists");
    assert_eq!(
        r.message(),
        format!(
            "Default Security group rule already exists. Rule id is {}.",
            id(&ssh_rule)
        )
    );

    // A new custom group gets the egress rules and ssh; bob's default group the four.
    let sg = api.security_group("bob", "web").await;
    let rules = sg["security_group_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert!(
        rules
            .iter()
            .any(|r| r["protocol"] == "tcp" && r["port_range_min"] == 22 && r["description"] == "")
    );
    let groups = api.get("bob", "/v2.0/security-groups?name=default").await;
    let default = groups.body["security_groups"][0].clone();
    let default_id = id(&default);
    let default_rules = &default["security_group_rules"];
    assert_eq!(default_rules.as_array().unwrap().len(), 4);
    assert!(
        default_rules
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["direction"] == "ingress")
            .all(|r| r["remote_group_id"] == json!(default_id))
    );

    let r = api
        .delete(
            "alice",
            &format!("/v2.0/default-security-group-rules/{}", id(&ssh_rule)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = api
        .delete(
            "admin",
            &format!("/v2.0/default-security-group-rules/{}", id(&ssh_rule)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .get(
            "admin",
            &format!("/v2.0/default-security-group-rules/{}", id(&ssh_rule)),
        )
        .await;
    expect(
        &r,
        StatusCode::NOT_FOUND,
        "DefaultSecurityGroupRuleNotFound",
    );
    let sg = api.security_group("bob", "db").await;
    assert_eq!(sg["security_group_rules"].as_array().unwrap().len(), 2);
}

async fn statefulness(api: &Api, user: &str, body: Value) -> Reply {
    api.post(
        user,
        "/v2.0/security-groups-default-statefulness",
        json!({"security_groups_default_statefulness": body}),
    )
    .await
}

/// `security-groups-default-statefulness`: the `stateful` of new groups that do not say.
#[tokio::test]
async fn default_statefulness() {
    let api = Api::start();
    let r = statefulness(&api, "alice", json!({"stateful": false})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let system = statefulness(
        &api,
        "admin",
        json!({"project_id": null, "stateful": false}),
    )
    .await;
    assert_eq!(system.status, StatusCode::CREATED, "{:?}", system.body);
    let system = system.body["security_groups_default_statefulness"].clone();
    assert_eq!(system["project_id"], Value::Null);
    let r = statefulness(&api, "admin", json!({"project_id": null})).await;
    expect(
        &r,
        StatusCode::CONFLICT,
        "SecurityGroupDefaultStatefulnessAlreadyExists",
    );
    assert_eq!(
        r.message(),
        "A security group default statefulness setting already exists for project 'system-wide'."
    );
    // The system-wide setting applies to every project without its own.
    assert_eq!(api.security_group("alice", "a").await["stateful"], false);
    let p2 = statefulness(
        &api,
        "admin",
        json!({"project_id": api.project("bob"), "stateful": true}),
    )
    .await;
    assert_eq!(p2.status, StatusCode::CREATED, "{:?}", p2.body);
    let p2 = id(&p2.body["security_groups_default_statefulness"]);
    assert_eq!(api.security_group("bob", "b").await["stateful"], true);
    // Saying it still wins.
    let r = api
        .post(
            "alice",
            "/v2.0/security-groups",
            json!({"security_group": {"name": "c", "stateful": true}}),
        )
        .await;
    assert_eq!(r.body["security_group"]["stateful"], true);

    // Readers see their project's setting only; admins all.
    let listed = api
        .get("bob", "/v2.0/security-groups-default-statefulness")
        .await;
    assert_eq!(
        ids(&listed.body["security_groups_default_statefulness"]),
        std::slice::from_ref(&p2)
    );
    let listed = api
        .get("admin", "/v2.0/security-groups-default-statefulness")
        .await;
    assert_eq!(
        listed.body["security_groups_default_statefulness"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = api
        .get(
            "alice",
            &format!("/v2.0/security-groups-default-statefulness/{}", id(&system)),
        )
        .await;
    expect(
        &r,
        StatusCode::NOT_FOUND,
        "SecurityGroupDefaultStatefulnessNotFound",
    );
    let r = api
        .put(
            "bob",
            &format!("/v2.0/security-groups-default-statefulness/{p2}"),
            json!({"security_groups_default_statefulness": {"stateful": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = api
        .put(
            "admin",
            &format!("/v2.0/security-groups-default-statefulness/{p2}"),
            json!({"security_groups_default_statefulness": {"stateful": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(api.security_group("bob", "d").await["stateful"], false);
    let r = api
        .delete(
            "admin",
            &format!("/v2.0/security-groups-default-statefulness/{}", id(&system)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(api.security_group("alice", "e").await["stateful"], true);
}
