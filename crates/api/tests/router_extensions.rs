//! Router and flavor extensions of upstream's ML2/OVN: `l3-ha` (always HA), `router-enable-snat`
//! (with a configurable default), `flavors` (flavors, service profiles, their bindings),
//! `l3-flavors` (a router's `flavor_id`), `l3_agent_scheduler` (gateway chassis with their
//! priorities) and `dhcp_agent_scheduler` (no DHCP agents with OVN).

mod harness;

use axum::http::StatusCode;
use harness::{Api, ids};
use neutrino_network::NetworkConfig;
use serde_json::{Value, json};

const OVN_DRIVER: &str = "neutron.services.ovn_l3.service_providers.ovn.OvnDriver";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn router(api: &Api, user: &str, body: Value) -> Value {
    let r = api
        .post(user, "/v2.0/routers", json!({"router": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["router"].clone()
}

async fn external(api: &Api, cidr: &str) -> String {
    let net = api.network("admin", json!({"router:external": true})).await;
    api.subnet("admin", &net, cidr, json!({})).await;
    net
}

async fn flavor(api: &Api, body: Value) -> Value {
    let r = api
        .post("admin", "/v2.0/flavors", json!({"flavor": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["flavor"].clone()
}

async fn profile(api: &Api, body: Value) -> Value {
    let r = api
        .post(
            "admin",
            "/v2.0/service_profiles",
            json!({"service_profile": body}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["service_profile"].clone()
}

async fn bind(api: &Api, flavor: &str, profile: &str) -> harness::Reply {
    api.post(
        "admin",
        &format!("/v2.0/flavors/{flavor}/service_profiles"),
        json!({"service_profile": {"id": profile}}),
    )
    .await
}

#[tokio::test]
async fn routers_are_ha_and_ha_false_is_refused() {
    let api = Api::start();
    let r = router(&api, "admin", json!({"ha": true})).await;
    assert_eq!(r["ha"], true);
    let plain = router(&api, "alice", json!({})).await;
    assert!(plain.get("ha").is_none(), "ha is shown to admins only");
    let shown = api
        .get("admin", &format!("/v2.0/routers/{}", id(&plain)))
        .await;
    assert_eq!(shown.body["router"]["ha"], true);
    let refused = api
        .post("admin", "/v2.0/routers", json!({"router": {"ha": false}}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.kind(), "InvalidInput");
    assert_eq!(
        refused.message(),
        "Invalid input for operation: Provider ovn does not support ha=False."
    );
    let path = format!("/v2.0/routers/{}", id(&plain));
    let update = api
        .put("admin", &path, json!({"router": {"ha": false}}))
        .await;
    assert_eq!(update.status, StatusCode::BAD_REQUEST);
    let same = api
        .put("admin", &path, json!({"router": {"ha": true}}))
        .await;
    assert_eq!(same.status, StatusCode::OK);
    let member = api
        .put("alice", &path, json!({"router": {"ha": true}}))
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    let listed = api.get("admin", "/v2.0/routers?ha=true").await;
    assert_eq!(listed.body["routers"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn enable_snat_follows_the_gateway_and_the_configured_default() {
    let api = Api::with_config(NetworkConfig {
        enable_snat_by_default: false,
        ..NetworkConfig::default()
    });
    let ext = external(&api, "172.24.4.0/24").await;
    let r = router(&api, "admin", json!({})).await;
    assert_eq!(r["enable_snat"], true, "a new router's column default");
    let path = format!("/v2.0/routers/{}", id(&r));
    let set = api
        .put(
            "admin",
            &path,
            json!({"router": {"external_gateway_info": {"network_id": ext}}}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["router"]["enable_snat"], false);
    assert_eq!(
        set.body["router"]["external_gateway_info"]["enable_snat"],
        false
    );
    let on = api
        .put(
            "admin",
            &path,
            json!({"router": {"external_gateway_info": {"network_id": ext, "enable_snat": true}}}),
        )
        .await;
    assert_eq!(on.body["router"]["enable_snat"], true);
    let filtered = api.get("admin", "/v2.0/routers?enable_snat=true").await;
    assert_eq!(ids(&filtered.body["routers"]), [id(&r)]);
    // Read-only at the top level.
    let refused = api
        .put("admin", &path, json!({"router": {"enable_snat": false}}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let cleared = api
        .put(
            "admin",
            &path,
            json!({"router": {"external_gateway_info": {}}}),
        )
        .await;
    assert_eq!(cleared.body["router"]["enable_snat"], false);
}

#[tokio::test]
async fn flavors_are_admin_written_and_read_by_all() {
    let api = Api::start();
    let f = flavor(
        &api,
        json!({"name": "gold", "service_type": "L3_ROUTER_NAT", "description": "d"}),
    )
    .await;
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "description",
            "enabled",
            "id",
            "name",
            "service_profiles",
            "service_type"
        ]
    );
    assert_eq!(f["enabled"], true);
    assert_eq!(f["service_profiles"], json!([]));
    let denied = api
        .post(
            "alice",
            "/v2.0/flavors",
            json!({"flavor": {"service_type": "L3_ROUTER_NAT"}}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(
        denied.message(),
        "rule:create_flavor is disallowed by policy"
    );
    let missing = api
        .post("admin", "/v2.0/flavors", json!({"flavor": {"name": "x"}}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let bad_type = api
        .post(
            "admin",
            "/v2.0/flavors",
            json!({"flavor": {"service_type": "NOPE"}}),
        )
        .await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_type.kind(), "InvalidServiceType");
    assert_eq!(bad_type.message(), "Invalid service type NOPE.");
    flavor(
        &api,
        json!({"name": "silver", "service_type": "L3_ROUTER_NAT", "enabled": false}),
    )
    .await;

    let path = format!("/v2.0/flavors/{}", id(&f));
    let seen = api.get("alice", &path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["flavor"]["name"], "gold");
    let list = api
        .get("bob", "/v2.0/flavors?sort_key=name&sort_dir=desc")
        .await;
    let names: Vec<&str> = list.body["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["silver", "gold"]);
    let disabled = api.get("alice", "/v2.0/flavors?enabled=false").await;
    assert_eq!(disabled.body["flavors"].as_array().map(Vec::len), Some(1));
    let paged = api.get("alice", "/v2.0/flavors?limit=1").await;
    assert_eq!(paged.body["flavors"].as_array().map(Vec::len), Some(1));
    assert!(paged.body["flavors_links"].is_array());

    let changed = api
        .put(
            "admin",
            &path,
            json!({"flavor": {"name": "platinum", "enabled": false}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["flavor"]["name"], "platinum");
    let forbidden = api
        .put("alice", &path, json!({"flavor": {"name": "x"}}))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let fixed = api
        .put("admin", &path, json!({"flavor": {"service_type": "QOS"}}))
        .await;
    assert_eq!(fixed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        api.delete("alice", &path).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.delete("admin", &path).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = api.get("admin", &path).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.kind(), "FlavorNotFound");
}

#[tokio::test]
async fn service_profiles_are_admin_only_and_bind_to_flavors() {
    let api = Api::start();
    let empty = api
        .post(
            "admin",
            "/v2.0/service_profiles",
            json!({"service_profile": {"description": "x"}}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.kind(), "ServiceProfileEmpty");
    let unknown = api
        .post(
            "admin",
            "/v2.0/service_profiles",
            json!({"service_profile": {"driver": "no.such.Driver"}}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.kind(), "ServiceProfileDriverNotFound");
    let p = profile(&api, json!({"driver": OVN_DRIVER})).await;
    assert_eq!(p["flavors"], json!([]));
    assert_eq!(p["enabled"], true);
    let meta = profile(&api, json!({"metainfo": "{'a': 1}"})).await;
    assert_eq!(meta["driver"], "");

    // Only admins see or change profiles.
    let ppath = format!("/v2.0/service_profiles/{}", id(&p));
    assert_eq!(api.get("alice", &ppath).await.status, StatusCode::NOT_FOUND);
    let listed = api.get("alice", "/v2.0/service_profiles").await;
    assert_eq!(listed.body, json!({"service_profiles": []}));
    let denied = api
        .post(
            "alice",
            "/v2.0/service_profiles",
            json!({"service_profile": {"metainfo": "m"}}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let f = flavor(&api, json!({"service_type": "L3_ROUTER_NAT"})).await;
    let fpath = format!("/v2.0/flavors/{}", id(&f));
    let bound = bind(&api, &id(&f), &id(&p)).await;
    assert_eq!(bound.status, StatusCode::CREATED, "{:?}", bound.body);
    assert_eq!(bound.body, json!({"service_profile": {"id": id(&f)}}));
    let again = bind(&api, &id(&f), &id(&p)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.kind(), "FlavorServiceProfileBindingExists");
    let by_member = api
        .post(
            "alice",
            &format!("{fpath}/service_profiles"),
            json!({"service_profile": {"id": id(&meta)}}),
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let no_profile = bind(&api, &id(&f), "9d3a6d43-3e1c-4b8f-9e3c-8d5b4f7d0a11").await;
    assert_eq!(no_profile.status, StatusCode::NOT_FOUND);
    assert_eq!(no_profile.kind(), "ServiceProfileNotFound");

    let shown = api.get("alice", &fpath).await;
    assert_eq!(shown.body["flavor"]["service_profiles"], json!([id(&p)]));
    let sp = api.get("admin", &ppath).await;
    assert_eq!(sp.body["service_profile"]["flavors"], json!([id(&f)]));
    let next = api.get("admin", &format!("{fpath}/next_providers")).await;
    assert_eq!(
        next.body,
        json!({"next_providers": [{"driver": OVN_DRIVER, "provider": "ovn"}]})
    );

    // A bound profile is in use.
    let busy = api
        .put(
            "admin",
            &ppath,
            json!({"service_profile": {"enabled": false}}),
        )
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert_eq!(busy.kind(), "ServiceProfileInUse");
    assert_eq!(
        api.delete("admin", &ppath).await.status,
        StatusCode::CONFLICT
    );

    let unbind_path = format!("{fpath}/service_profiles/{}", id(&p));
    assert_eq!(api.get("admin", &unbind_path).await.status, StatusCode::OK);
    assert_eq!(
        api.delete("alice", &unbind_path).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.delete("admin", &unbind_path).await.status,
        StatusCode::NO_CONTENT
    );
    let not_bound = api.delete("admin", &unbind_path).await;
    assert_eq!(not_bound.status, StatusCode::NOT_FOUND);
    assert_eq!(not_bound.kind(), "FlavorServiceProfileBindingNotFound");
    let changed = api
        .put(
            "admin",
            &ppath,
            json!({"service_profile": {"enabled": false, "description": "off"}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["service_profile"]["enabled"], false);
    assert_eq!(
        api.delete("admin", &ppath).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn routers_take_a_flavor_that_leads_to_the_ovn_provider() {
    let api = Api::start();
    let missing = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"flavor_id": "9d3a6d43-3e1c-4b8f-9e3c-8d5b4f7d0a11"}}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.kind(), "FlavorNotFound");
    let f = flavor(&api, json!({"service_type": "L3_ROUTER_NAT"})).await;
    let unbound = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"flavor_id": id(&f)}}),
        )
        .await;
    assert_eq!(unbound.status, StatusCode::NOT_FOUND);
    assert_eq!(unbound.kind(), "FlavorServiceProfileBindingNotFound");
    let p = profile(&api, json!({"driver": OVN_DRIVER, "enabled": false})).await;
    assert_eq!(
        bind(&api, &id(&f), &id(&p)).await.status,
        StatusCode::CREATED
    );
    let disabled = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"flavor_id": id(&f)}}),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(disabled.kind(), "ServiceProfileDisabled");

    let f2 = flavor(&api, json!({"service_type": "L3_ROUTER_NAT"})).await;
    let p2 = profile(&api, json!({"driver": OVN_DRIVER})).await;
    assert_eq!(
        bind(&api, &id(&f2), &id(&p2)).await.status,
        StatusCode::CREATED
    );
    let r = router(&api, "alice", json!({"flavor_id": id(&f2)})).await;
    assert_eq!(r["flavor_id"], id(&f2));
    let fixed = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}", id(&r)),
            json!({"router": {"flavor_id": id(&f)}}),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::BAD_REQUEST);
    let in_use = api
        .delete("admin", &format!("/v2.0/flavors/{}", id(&f2)))
        .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    assert_eq!(in_use.kind(), "FlavorInUse");
    api.delete("alice", &format!("/v2.0/routers/{}", id(&r)))
        .await;
    assert_eq!(
        api.delete("admin", &format!("/v2.0/flavors/{}", id(&f2)))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

/// Gateway chassis as the OVN back end records their agents.
async fn agents(api: &Api) {
    let agent = |id: &str, agent_type: &str| Api::agent(id, agent_type, "", 60_000);
    let rows = [
        agent("gw1", "OVN Controller Gateway agent"),
        agent("gw2", "OVN Controller Gateway agent"),
        agent("hv1", "OVN Controller agent"),
    ];
    api.put_agents(rows.into()).await;
}

#[tokio::test]
async fn l3_agents_are_the_gateway_chassis_of_a_router() {
    let api = Api::start();
    agents(&api).await;
    let ext = external(&api, "172.24.4.0/24").await;
    let r = router(&api, "alice", json!({})).await;
    let path = format!("/v2.0/routers/{}/l3-agents", id(&r));
    let none = api.get("admin", &path).await;
    assert_eq!(none.body, json!({"agents": []}), "no gateway, no chassis");
    api.put(
        "alice",
        &format!("/v2.0/routers/{}", id(&r)),
        json!({"router": {"external_gateway_info": {"network_id": ext}}}),
    )
    .await;
    let hosting = api.get("admin", &path).await;
    assert_eq!(hosting.status, StatusCode::OK);
    let agents = hosting.body["agents"].as_array().unwrap();
    let mut chassis: Vec<(String, i64)> = agents
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["ha_chassis_priority"].as_i64().unwrap(),
            )
        })
        .collect();
    chassis.sort();
    assert_eq!(chassis.len(), 2);
    assert_eq!(
        chassis.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["gw1", "gw2"]
    );
    let mut priorities: Vec<i64> = chassis.iter().map(|(_, p)| *p).collect();
    priorities.sort_unstable();
    assert_eq!(priorities, [1, 2]);
    assert!(
        agents
            .iter()
            .all(|a| a["agent_type"] == "OVN Controller Gateway agent")
    );

    let routers = api.get("admin", "/v2.0/agents/gw1/l3-routers").await;
    assert_eq!(ids(&routers.body["routers"]), [id(&r)]);
    assert_eq!(routers.body["routers"][0]["ha"], true);
    let compute = api.get("admin", "/v2.0/agents/hv1/l3-routers").await;
    assert_eq!(compute.body, json!({"routers": []}));
    let unknown = api.get("admin", "/v2.0/agents/nope/l3-routers").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.kind(), "InvalidL3Agent");
    let member = api.get("alice", &path).await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    assert_eq!(
        member.message(),
        "rule:get_l3-agents is disallowed by policy"
    );
    let unknown_router = api
        .get(
            "admin",
            "/v2.0/routers/9d3a6d43-3e1c-4b8f-9e3c-8d5b4f7d0a11/l3-agents",
        )
        .await;
    assert_eq!(unknown_router.body, json!({"agents": []}));
}

#[tokio::test]
async fn no_dhcp_agents_with_ovn() {
    let api = Api::start();
    agents(&api).await;
    let net = api.network("alice", json!({})).await;
    let hosting = api
        .get("admin", &format!("/v2.0/networks/{net}/dhcp-agents"))
        .await;
    assert_eq!(hosting.status, StatusCode::OK);
    assert_eq!(hosting.body, json!({"agents": []}));
    let member = api
        .get("alice", &format!("/v2.0/networks/{net}/dhcp-agents"))
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    let networks = api.get("admin", "/v2.0/agents/hv1/dhcp-networks").await;
    assert_eq!(networks.status, StatusCode::NOT_FOUND);
    assert_eq!(networks.kind(), "AgentNotFound");
    let add = api
        .post(
            "admin",
            "/v2.0/agents/hv1/dhcp-networks",
            json!({"network_id": net}),
        )
        .await;
    assert_eq!(add.status, StatusCode::NOT_FOUND);
    assert_eq!(add.kind(), "AgentNotFound");
    let add_unknown = api
        .post(
            "admin",
            "/v2.0/agents/hv1/dhcp-networks",
            json!({"network_id": "9d3a6d43-3e1c-4b8f-9e3c-8d5b4f7d0a11"}),
        )
        .await;
    assert_eq!(add_unknown.kind(), "NetworkNotFound");
    let remove = api
        .delete("admin", &format!("/v2.0/agents/hv1/dhcp-networks/{net}"))
        .await;
    assert_eq!(remove.status, StatusCode::NOT_FOUND);
    // openstacksdk's remove_agent_from_network sends a body; upstream ignores it.
    let body = json!({"network_id": net}).to_string();
    let with_body = api
        .raw(
            axum::http::Method::DELETE,
            &format!("/v2.0/agents/hv1/dhcp-networks/{net}"),
            Some("admin"),
            Some(&body),
            &[],
        )
        .await;
    assert_eq!(with_body.kind(), "AgentNotFound");
}
