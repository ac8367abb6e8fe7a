//! `l3-agent-scheduler-ha-chassis-priority`: scheduling a router's gateway by hand onto a
//! gateway chassis with an `HA_Chassis` priority (`POST /v2.0/agents/{id}/l3-routers`),
//! changing it (`PUT .../l3-routers/{router_id}`) and taking it out (`DELETE`), with upstream's
//! ML2/OVN errors; the L3 agent scheduler's lists follow the schedule.

mod harness;

use axum::http::{Method, StatusCode};
use harness::{Api, ids};
use serde_json::{Value, json};

const GW_AGENT: &str = "OVN Controller Gateway agent";

/// Gateway chassis gw1 (az1), gw2 (az2), gw3 (no zone) and a compute chassis hv1, as the OVN
/// back end records their agents.
async fn agents(api: &Api) {
    let agent = |id: &str, agent_type: &str, zone: &str| Api::agent(id, agent_type, zone, 60_000);
    let rows = [
        agent("gw1", GW_AGENT, "az1"),
        agent("gw2", GW_AGENT, "az2"),
        agent("gw3", GW_AGENT, ""),
        agent("hv1", "OVN Controller agent", ""),
    ];
    api.put_agents(rows.into()).await;
}

/// A router of alice's with a gateway on a new external network.
async fn gateway_router(api: &Api, extra: Value) -> String {
    let ext = api.network("admin", json!({"router:external": true})).await;
    api.subnet("admin", &ext, "172.24.4.0/24", json!({})).await;
    let mut body = json!({"external_gateway_info": {"network_id": ext}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = api
        .post("alice", "/v2.0/routers", json!({"router": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["router"]["id"].as_str().unwrap().to_owned()
}

/// The router's L3 agents as `(agent id, ha_chassis_priority)`, highest priority first.
async fn hosting(api: &Api, router: &str) -> Vec<(String, i64)> {
    let r = api
        .get("admin", &format!("/v2.0/routers/{router}/l3-agents"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mut agents: Vec<(String, i64)> = r.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["ha_chassis_priority"].as_i64().unwrap(),
            )
        })
        .collect();
    agents.sort_by_key(|a| std::cmp::Reverse(a.1));
    agents
}

fn chassis(list: &[(String, i64)]) -> Vec<&str> {
    let mut names: Vec<&str> = list.iter().map(|(c, _)| c.as_str()).collect();
    names.sort_unstable();
    names
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(c, p)| (c.to_string(), *p)).collect()
}

async fn add(api: &Api, user: &str, agent: &str, body: Value) -> harness::Reply {
    api.post(user, &format!("/v2.0/agents/{agent}/l3-routers"), body)
        .await
}

async fn revision(api: &Api, router: &str) -> i64 {
    let r = api.get("admin", &format!("/v2.0/routers/{router}")).await;
    r.body["router"]["revision_number"].as_i64().unwrap()
}

#[tokio::test]
async fn a_router_is_scheduled_by_hand_with_priorities() {
    let api = Api::start();
    agents(&api).await;
    let router = gateway_router(&api, json!({})).await;
    let computed = hosting(&api, &router).await;
    assert_eq!(chassis(&computed), ["gw1", "gw2", "gw3"]);

    // Take gw3 out: the computed list becomes the router's schedule, less gw3.
    let before = revision(&api, &router).await;
    let out = api
        .delete("admin", &format!("/v2.0/agents/gw3/l3-routers/{router}"))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    assert!(revision(&api, &router).await > before, "a new revision");
    let kept: Vec<(String, i64)> = computed
        .iter()
        .filter(|(c, _)| c != "gw3")
        .cloned()
        .collect();
    assert_eq!(hosting(&api, &router).await, kept);
    let gw3 = api.get("admin", "/v2.0/agents/gw3/l3-routers").await;
    assert_eq!(gw3.body, json!({"routers": []}));

    // Back with a priority of its own: first.
    let back = add(
        &api,
        "admin",
        "gw3",
        json!({"router_id": router, "ha_chassis_priority": 100}),
    )
    .await;
    assert_eq!(back.status, StatusCode::CREATED, "{:?}", back.body);
    assert_eq!(back.body, Value::Null);
    let now = hosting(&api, &router).await;
    assert_eq!(now[0], ("gw3".to_owned(), 100));
    assert_eq!(now[1..], kept[..]);
    let gw3 = api.get("admin", "/v2.0/agents/gw3/l3-routers").await;
    assert_eq!(ids(&gw3.body["routers"]), [router.as_str()]);

    // A new priority for gw1; the same as another chassis' (or its own) is a conflict.
    let put = api
        .put(
            "admin",
            &format!("/v2.0/agents/gw1/l3-routers/{router}"),
            json!({"ha_chassis_priority": "7"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{:?}", put.body);
    let now = hosting(&api, &router).await;
    assert!(now.contains(&("gw1".to_owned(), 7)), "{now:?}");
    for taken in [100, 7] {
        let same = api
            .put(
                "admin",
                &format!("/v2.0/agents/gw1/l3-routers/{router}"),
                json!({"ha_chassis_priority": taken}),
            )
            .await;
        assert_eq!(same.status, StatusCode::CONFLICT);
        assert_eq!(same.kind(), "HAChassisPriorityAlreadyAssigned");
        assert_eq!(
            same.message(),
            format!("HA Chassis priority {taken} is already assigned")
        );
    }
    // Without a priority an update changes nothing.
    let noop = api
        .put(
            "admin",
            &format!("/v2.0/agents/gw1/l3-routers/{router}"),
            json!({}),
        )
        .await;
    assert_eq!(noop.status, StatusCode::NO_CONTENT);
    assert_eq!(hosting(&api, &router).await, now);

    // Every chassis out, then one in without a priority: 5, and the next one below it.
    for agent in ["gw1", "gw2", "gw3"] {
        let out = api
            .delete(
                "admin",
                &format!("/v2.0/agents/{agent}/l3-routers/{router}"),
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{agent}");
    }
    assert_eq!(
        hosting(&api, &router).await,
        [],
        "an empty schedule stays empty"
    );
    for agent in ["gw2", "gw1"] {
        let r = add(&api, "admin", agent, json!({"router_id": router})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!(
        hosting(&api, &router).await,
        pairs(&[("gw2", 5), ("gw1", 4)])
    );
    let low = add(
        &api,
        "admin",
        "gw3",
        json!({"router_id": router, "ha_chassis_priority": 0}),
    )
    .await;
    assert_eq!(low.status, StatusCode::CREATED);
    let none_left = add(&api, "admin", "gw3", json!({"router_id": router})).await;
    assert_eq!(
        none_left.status,
        StatusCode::CONFLICT,
        "gw3 hosts it already"
    );
    let out = api
        .delete("admin", &format!("/v2.0/agents/gw3/l3-routers/{router}"))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    // The schedule is kept while the gateway is away and shows again with it.
    let ext = api.network("admin", json!({"router:external": true})).await;
    api.subnet("admin", &ext, "172.24.8.0/24", json!({})).await;
    let clear = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {}}}),
        )
        .await;
    assert_eq!(clear.status, StatusCode::OK, "{:?}", clear.body);
    assert_eq!(hosting(&api, &router).await, []);
    let set = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}"),
            json!({"router": {"external_gateway_info": {"network_id": ext}}}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(
        hosting(&api, &router).await,
        pairs(&[("gw2", 5), ("gw1", 4)])
    );

    // A router's delete takes its schedule along.
    let del = api
        .delete("alice", &format!("/v2.0/routers/{router}"))
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{:?}", del.body);
    let gw2 = api.get("admin", "/v2.0/agents/gw2/l3-routers").await;
    assert_eq!(gw2.body, json!({"routers": []}));
}

#[tokio::test]
async fn scheduling_errors_are_upstreams() {
    let api = Api::start();
    agents(&api).await;
    let router = gateway_router(&api, json!({})).await;
    let member_path = |agent: &str| format!("/v2.0/agents/{agent}/l3-routers/{router}");

    let hosted = add(&api, "admin", "gw1", json!({"router_id": router})).await;
    assert_eq!(hosted.status, StatusCode::CONFLICT);
    assert_eq!(hosted.kind(), "RouterHostedByL3Agent");
    assert_eq!(
        hosted.message(),
        format!("The router {router} has been already hosted by the L3 Agent gw1.")
    );
    for agent in ["nope", "hv1"] {
        let r = add(&api, "admin", agent, json!({"router_id": router})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{agent}");
        assert_eq!(r.kind(), "InvalidL3Agent");
        assert_eq!(
            r.message(),
            format!("Agent {agent} is not a L3 Agent or has been disabled")
        );
    }
    let unknown_router = add(
        &api,
        "admin",
        "gw1",
        json!({"router_id": "9d3a6d43-3e1c-4b8f-9e3c-8d5b4f7d0a11"}),
    )
    .await;
    assert_eq!(unknown_router.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_router.kind(), "RouterNotFound");
    for (body, kind, message) in [
        (
            json!({"router_id": router, "ha_chassis_priority": "high"}),
            "InvalidInput",
            "Invalid input for operation: 'high' is not an integer.",
        ),
        (
            json!({"router_id": router, "ha_chassis_priority": 32768}),
            "InvalidHAChassisPriority",
            "HA Chassis priority must be between 0 and 32767",
        ),
        (
            json!({"router_id": router, "ha_chassis_priority": -1}),
            "InvalidHAChassisPriority",
            "HA Chassis priority must be between 0 and 32767",
        ),
        (
            json!({"router_id": router, "priority": 3}),
            "HTTPBadRequest",
            "Unrecognized attribute(s) 'priority'",
        ),
        (
            json!({"ha_chassis_priority": 3}),
            "HTTPBadRequest",
            "Failed to parse request. Required attribute 'router_id' not specified",
        ),
    ] {
        let r = add(&api, "admin", "gw1", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.kind(), kind, "{body}");
        assert_eq!(r.message(), message, "{body}");
    }

    // Upstream's policy: administrators only.
    for (method, rule) in [
        ("POST", "create_l3-router"),
        ("PUT", "update_l3-router"),
        ("DELETE", "delete_l3-router"),
    ] {
        let r = match method {
            "POST" => add(&api, "alice", "gw1", json!({"router_id": router})).await,
            "PUT" => {
                api.put(
                    "alice",
                    &member_path("gw1"),
                    json!({"ha_chassis_priority": 3}),
                )
                .await
            }
            _ => api.delete("alice", &member_path("gw1")).await,
        };
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(r.message(), format!("rule:{rule} is disallowed by policy"));
    }

    // Not hosted: the compute chassis, a router that does not exist; an unknown agent first.
    let not_hosted = api.delete("admin", &member_path("hv1")).await;
    assert_eq!(not_hosted.status, StatusCode::CONFLICT);
    assert_eq!(not_hosted.kind(), "RouterNotHostedByL3Agent");
    assert_eq!(
        not_hosted.message(),
        format!("The router {router} is not hosted by the L3 Agent hv1.")
    );
    let gone = "9d3a6d43-3e1c-4b8f-9e3c-8d5b4f7d0a11";
    let no_router = api
        .delete("admin", &format!("/v2.0/agents/gw1/l3-routers/{gone}"))
        .await;
    assert_eq!(no_router.status, StatusCode::CONFLICT);
    assert_eq!(no_router.kind(), "RouterNotHostedByL3Agent");
    let no_agent = api
        .delete("admin", &format!("/v2.0/agents/nope/l3-routers/{gone}"))
        .await;
    assert_eq!(no_agent.status, StatusCode::NOT_FOUND);
    assert_eq!(no_agent.kind(), "InvalidL3Agent");
    let update_not_hosted = api
        .put(
            "admin",
            &member_path("hv1"),
            json!({"ha_chassis_priority": 3}),
        )
        .await;
    assert_eq!(update_not_hosted.status, StatusCode::CONFLICT);
    assert_eq!(update_not_hosted.kind(), "RouterNotHostedByL3Agent");
    let bad_update = api
        .put(
            "admin",
            &member_path("gw1"),
            json!({"ha_chassis_priority": 40000}),
        )
        .await;
    assert_eq!(bad_update.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_update.kind(), "InvalidHAChassisPriority");
    // A taken priority on add.
    let out = api.delete("admin", &member_path("gw1")).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let taken = hosting(&api, &router).await[0].1;
    let dup = add(
        &api,
        "admin",
        "gw1",
        json!({"router_id": router, "ha_chassis_priority": taken}),
    )
    .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.kind(), "HAChassisPriorityAlreadyAssigned");
    // The DELETE's body openstacksdk sends is ignored, as upstream's controller does.
    let again = add(&api, "admin", "gw1", json!({"router_id": router})).await;
    assert_eq!(again.status, StatusCode::CREATED);
    let body = json!({"router_id": router}).to_string();
    let with_body = api
        .raw(
            Method::DELETE,
            &member_path("gw1"),
            Some("admin"),
            Some(&body),
            &[],
        )
        .await;
    assert_eq!(with_body.status, StatusCode::NO_CONTENT);
}

/// A router with availability zone hints is scheduled only on gateway chassis of those zones.
#[tokio::test]
async fn scheduling_keeps_to_the_routers_zones() {
    let api = Api::start();
    agents(&api).await;
    let router = gateway_router(&api, json!({"availability_zone_hints": ["az1"]})).await;
    assert_eq!(hosting(&api, &router).await, pairs(&[("gw1", 1)]));
    let outside = add(&api, "admin", "gw2", json!({"router_id": router})).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    assert_eq!(outside.kind(), "InvalidL3Agent");
    let no_zone = add(&api, "admin", "gw3", json!({"router_id": router})).await;
    assert_eq!(no_zone.status, StatusCode::NOT_FOUND);
}

/// An entry on a chassis that is no gateway chassis any more is not shown; the next change drops
/// it.
#[tokio::test]
async fn a_chassis_that_is_gone_is_not_shown() {
    let api = Api::start();
    agents(&api).await;
    let router = gateway_router(&api, json!({})).await;
    let r = api
        .put(
            "admin",
            &format!("/v2.0/agents/gw2/l3-routers/{router}"),
            json!({"ha_chassis_priority": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    api.store()
        .write(|tx| neutrino_store::agents::delete_agent(tx, "gw2"))
        .await
        .unwrap();
    let now = hosting(&api, &router).await;
    assert_eq!(chassis(&now), ["gw1", "gw3"]);
    let id = router.clone();
    let schedule = api
        .store()
        .read(move |tx| neutrino_store::schedules::schedule(tx, &id))
        .await
        .unwrap()
        .unwrap();
    assert!(
        schedule.contains(&("gw2".to_owned(), 50)),
        "kept: {schedule:?}"
    );
    let out = api
        .delete("admin", &format!("/v2.0/agents/gw3/l3-routers/{router}"))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let stored = api
        .store()
        .read(move |tx| neutrino_store::schedules::schedule(tx, &router))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chassis(&stored), ["gw1"], "the next change drops it");
}
