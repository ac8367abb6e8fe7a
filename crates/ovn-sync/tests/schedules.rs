//! A router scheduled by hand (`l3-agent-scheduler-ha-chassis-priority`) reaches the back end
//! through the change feed: the changes a schedule's write appends name the router, and the
//! mirror refreshed from them (or loaded afresh) gives its `HA_Chassis_Group` the schedule's
//! chassis and priorities. On the engine of the run (SQLite, or PostgreSQL with
//! NEUTRINO_TEST_ENGINE=postgres).

use neutrino_network::{Caller, NetworkConfig, Networking, collection};
use neutrino_ovn::{GatewayChassis, MappingConfig, desired_state, table};
use neutrino_ovn_sync::Mirror;
use neutrino_ovsdb::{Atom, Value as OvsValue};
use neutrino_store::agents::{AgentRow, put_agent};
use neutrino_store::testing::ScratchDatabase;
use neutrino_store::{Store, StoreError};
use serde_json::{Map, Value, json};

fn admin() -> Caller {
    Caller {
        user_id: "admin".into(),
        project_id: "admin".into(),
        roles: vec!["admin".into(), "member".into(), "reader".into()],
    }
}

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

async fn create(net: &Networking, path: &str, v: Value) -> String {
    let kind = collection(path).expect("served");
    let created = net
        .create(&admin(), kind, vec![body(v)])
        .await
        .unwrap_or_else(|e| panic!("create in {path}: {e:?}"));
    created[0]["id"].as_str().expect("an id").to_owned()
}

/// `(chassis, priority)` of the router's `HA_Chassis` rows, highest priority first.
fn ha_chassis(mirror: &Mirror, chassis: &[GatewayChassis]) -> Vec<(String, i64)> {
    let specs = mirror.specs(chassis);
    let desired = desired_state(&MappingConfig::default(), &specs.resources());
    let mut rows: Vec<(String, i64)> = desired
        .rows()
        .filter(|r| r.id.table == table::HA_CHASSIS)
        .map(|r| {
            let OvsValue::Atom(Atom::Integer(p)) = r.columns["priority"] else {
                panic!("no priority: {r:?}");
            };
            (r.string("chassis_name").expect("a chassis").to_owned(), p)
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    rows
}

async fn load(store: &Store) -> Mirror {
    store.read(Mirror::load).await.expect("load")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_by_hand_reaches_the_ha_chassis_group() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).expect("store");
    let net = Networking::new(store.clone(), NetworkConfig::default()).expect("networking");
    let names = ["gw1", "gw2", "gw3"];
    store
        .write(move |tx| {
            for name in names {
                let doc = json!({"agent_type": "OVN Controller Gateway agent",
                                 "availability_zone": "", "configurations": {}});
                put_agent(
                    tx,
                    &AgentRow {
                        id: name.into(),
                        doc: doc.to_string(),
                        created_at_ms: 0,
                        heartbeat_at_ms: 0,
                        alive_until_ms: i64::MAX,
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .expect("agents");
    let chassis = names.map(GatewayChassis::named);

    let ext = create(&net, "networks", json!({"router:external": true})).await;
    create(
        &net,
        "subnets",
        json!({"network_id": ext, "cidr": "172.24.4.0/24", "ip_version": 4}),
    )
    .await;
    let router = create(
        &net,
        "routers",
        json!({"external_gateway_info": {"network_id": ext}}),
    )
    .await;
    let mut mirror = load(&store).await;
    mirror.take_touched();
    let computed = ha_chassis(&mirror, &chassis);
    assert_eq!(computed.len(), 3, "computed: {computed:?}");
    let position = store.changes(0, 10_000).await.expect("changes");
    let after = position.last().map_or(0, |c| c.seq);

    net.remove_router_from_agent(&admin(), "gw2", &router)
        .await
        .expect("remove");
    net.add_router_to_agent(
        &admin(),
        "gw2",
        &body(json!({"router_id": router, "ha_chassis_priority": 100})),
    )
    .await
    .expect("add");
    net.update_router_on_agent(
        &admin(),
        "gw1",
        &router,
        &body(json!({"ha_chassis_priority": 0})),
    )
    .await
    .expect("update");
    let changes = store.changes(after, 10_000).await.expect("changes");
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c.kind == "router" && c.id == router),
        "each change of the schedule is a revision of the router: {changes:?}"
    );
    let expected: Vec<(String, i64)> = {
        let gw3 = computed.iter().find(|(c, _)| c == "gw3").expect("gw3").1;
        let mut e = vec![
            ("gw2".to_owned(), 100),
            ("gw3".to_owned(), gw3),
            ("gw1".to_owned(), 0),
        ];
        e.sort_by_key(|r| std::cmp::Reverse(r.1));
        e
    };

    // Refreshed from the feed, as the reconciler does.
    let refreshed = store
        .read(move |tx| {
            for c in &changes {
                mirror.refresh(tx, &c.kind, &c.id)?;
            }
            Ok::<_, StoreError>(mirror)
        })
        .await
        .expect("refresh");
    assert_eq!(ha_chassis(&refreshed, &chassis), expected);
    // Loaded afresh (a restart, a full compare).
    assert_eq!(ha_chassis(&load(&store).await, &chassis), expected);
    // A chassis that is gone is not realised.
    assert_eq!(
        ha_chassis(&refreshed, &chassis[..2]),
        expected
            .iter()
            .filter(|(c, _)| c != "gw3")
            .cloned()
            .collect::<Vec<_>>()
    );
}
