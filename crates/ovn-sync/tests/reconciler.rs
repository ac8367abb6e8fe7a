//! The reconciler between a real store (the engine of the run: SQLite, or PostgreSQL with
//! NEUTRINO_TEST_ENGINE=postgres) written through the API's rules, and a real OVN Northbound
//! `ovsdb-server`, read back with `ovn-nbctl`.

use std::time::{Duration, Instant};

use neutrino_network::{Caller, Kind, NetworkConfig, Networking, collection};
use neutrino_ovn::testing::NbServer;
use neutrino_ovn_sync::{OvnBackend, OvnConfig, SyncStatus};
use neutrino_store::testing::ScratchDatabase;
use serde_json::{Map, Value, json};

fn admin() -> Caller {
    Caller {
        user_id: "admin".into(),
        project_id: "admin".into(),
        roles: vec!["admin".into(), "member".into(), "reader".into()],
    }
}

fn kind(path: &str) -> Kind {
    collection(path).expect("served")
}

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

async fn create(net: &Networking, path: &str, v: Value) -> Value {
    let mut created = net
        .create(&admin(), kind(path), vec![body(v)])
        .await
        .unwrap_or_else(|e| panic!("create in {path}: {e:?}"));
    created.remove(0)
}

fn config(nb: &NbServer) -> OvnConfig {
    OvnConfig {
        nb_connection: nb.remote(),
        // This test has no Southbound database.
        sb_connection: String::new(),
        probe_interval_ms: 1000,
        ..OvnConfig::default()
    }
}

/// `ovn-nbctl` arguments that list every Logical_Switch_Port's name.
const PORT_NAMES: [&str; 4] = ["--bare", "--columns=name", "list", "Logical_Switch_Port"];

/// `ovn-nbctl` arguments that print one port's `enabled`.
fn enabled_of(port: &str) -> [&str; 5] {
    [
        "--bare",
        "--columns=enabled",
        "list",
        "Logical_Switch_Port",
        port,
    ]
}

/// Polls `ovn-nbctl` until `condition` holds of its output, for up to `within`.
async fn until(nb: &NbServer, args: &[&str], within: Duration, condition: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + within;
    loop {
        let out = nb.nbctl(args);
        if condition(&out) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "ovn-nbctl {args:?} never satisfied the condition within {within:?}; last output:\n{out}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ready(backend: &OvnBackend) -> SyncStatus {
    tokio::time::timeout(
        Duration::from_secs(10),
        backend.wait_for(|s| s.ready && s.last_error.is_none()),
    )
    .await
    .unwrap_or_else(|_| panic!("the back end never got ready: {:?}", backend.status()))
}

fn lsps(nb: &NbServer) -> Vec<String> {
    let out = nb.nbctl(&["--bare", "--columns=name", "list", "Logical_Switch_Port"]);
    let mut names: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_reaches_the_northbound_database_and_stays_there() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).expect("store");
    let net = Networking::new(store.clone(), NetworkConfig::default()).expect("networking");
    let mut nb = NbServer::start();

    // Resources made before the back end starts are there after its first full compare.
    let network = create(&net, "networks", json!({"name": "n1"})).await;
    let network_id = network["id"].as_str().unwrap().to_owned();
    create(
        &net,
        "subnets",
        json!({"network_id": network_id, "cidr": "10.1.0.0/24", "ip_version": 4,
               "dns_nameservers": ["10.1.0.53"]}),
    )
    .await;
    let p1 = create(
        &net,
        "ports",
        json!({"network_id": network_id, "name": "p1"}),
    )
    .await;
    let p1_id = p1["id"].as_str().unwrap().to_owned();
    let backend = OvnBackend::start(store.clone(), config(&nb));
    ready(&backend).await;
    assert_eq!(lsps(&nb), vec![p1_id.clone()]);
    let ls = nb.nbctl(&["--bare", "--columns=name", "list", "Logical_Switch"]);
    assert_eq!(ls.trim(), format!("neutron-{network_id}"));
    let addresses = nb.nbctl(&["lsp-get-addresses", &p1_id]);
    let ip = p1["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert!(
        addresses.contains(ip) && addresses.contains(p1["mac_address"].as_str().unwrap()),
        "{addresses}"
    );
    let dhcp = nb.nbctl(&["--bare", "--columns=options", "list", "DHCP_Options"]);
    assert!(dhcp.contains("dns_server={10.1.0.53}"), "{dhcp}");

    // A port made through the API appears; one deleted goes.
    let p2 = create(
        &net,
        "ports",
        json!({"network_id": network_id, "name": "p2"}),
    )
    .await;
    let p2_id = p2["id"].as_str().unwrap().to_owned();
    until(&nb, &PORT_NAMES, Duration::from_secs(5), |o| {
        o.contains(&p2_id)
    })
    .await;
    net.delete(&admin(), kind("ports"), &p1_id, None)
        .await
        .expect("delete p1");
    until(&nb, &PORT_NAMES, Duration::from_secs(5), |o| {
        !o.contains(&p1_id)
    })
    .await;

    // An update reaches its row: the port's admin state becomes `enabled`.
    net.update(
        &admin(),
        kind("ports"),
        &p2_id,
        body(json!({"admin_state_up": false})),
        None,
    )
    .await
    .expect("update p2");
    until(&nb, &enabled_of(&p2_id), Duration::from_secs(5), |o| {
        o.trim() == "false"
    })
    .await;

    // Drift: a row deleted by hand comes back, a row changed by hand is changed back.
    nb.nbctl(&["lsp-del", &p2_id]);
    until(&nb, &PORT_NAMES, Duration::from_secs(5), |o| {
        o.contains(&p2_id)
    })
    .await;
    nb.nbctl(&["set", "Logical_Switch_Port", &p2_id, "enabled=true"]);
    until(&nb, &enabled_of(&p2_id), Duration::from_secs(5), |o| {
        o.trim() == "false"
    })
    .await;

    // The Northbound database away: the API still takes writes; they arrive once it is back.
    nb.stop();
    let p3 = create(
        &net,
        "ports",
        json!({"network_id": network_id, "name": "p3"}),
    )
    .await;
    let p3_id = p3["id"].as_str().unwrap().to_owned();
    nb.restart();
    until(&nb, &PORT_NAMES, Duration::from_secs(10), |o| {
        o.contains(&p3_id)
    })
    .await;

    // A second back end (a restart) finds nothing to change; its status is in the store.
    drop(backend);
    let again = OvnBackend::start(store.clone(), config(&nb));
    let status = ready(&again).await;
    assert_eq!(status.last_full_compare_changes, 0, "{status:?}");
    assert_eq!(status.ports, 2);
    let mut want = vec![p2_id, p3_id];
    want.sort();
    assert_eq!(lsps(&nb), want);
}

/// The members of a Port_Group, by port name, sorted.
/// A network with an IPv4 subnet of `cidr`, and a security group: the network's id, the
/// group's id and its Port_Group's name.
async fn network_and_group(net: &Networking, cidr: &str) -> (String, String, String) {
    let network = create(net, "networks", json!({"name": "n1"})).await;
    let network_id = network["id"].as_str().unwrap().to_owned();
    create(
        net,
        "subnets",
        json!({"network_id": network_id, "cidr": cidr, "ip_version": 4}),
    )
    .await;
    let group = create(net, "security-groups", json!({"name": "web"})).await;
    let group_id = group["id"].as_str().unwrap().to_owned();
    let pg = format!("pg_{}", group_id.replace('-', "_"));
    (network_id, group_id, pg)
}

fn members(nb: &NbServer, group: &str) -> Vec<String> {
    let uuids = nb.nbctl(&["--bare", "--columns=ports", "list", "Port_Group", group]);
    let mut names: Vec<String> = uuids
        .split_whitespace()
        .map(|uuid| {
            nb.nbctl(&[
                "--bare",
                "--columns=name",
                "list",
                "Logical_Switch_Port",
                uuid,
            ])
            .trim()
            .to_owned()
        })
        .collect();
    names.sort();
    names
}

/// Batches that change only instance ports are planned by themselves (their rows and their
/// groups' membership), and leave the database exactly as a plan of everything would: a new
/// back end's first full compare finds nothing to change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_port_batches_are_planned_alone_and_agree_with_a_full_compare() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).expect("store");
    let net = Networking::new(store.clone(), NetworkConfig::default()).expect("networking");
    let nb = NbServer::start();
    let (network_id, group_id, pg) = network_and_group(&net, "10.2.0.0/24").await;
    let backend = OvnBackend::start(store.clone(), config(&nb));
    let before = ready(&backend).await.port_cycles;

    let port = |name: &str, groups: Value| json!({"network_id": network_id, "name": name, "security_groups": groups});
    let a = create(&net, "ports", port("a", json!([group_id]))).await;
    let a_id = a["id"].as_str().unwrap().to_owned();
    let b = create(&net, "ports", port("b", json!([]))).await;
    let b_id = b["id"].as_str().unwrap().to_owned();
    until(&nb, &PORT_NAMES, Duration::from_secs(5), |o| {
        o.contains(&a_id) && o.contains(&b_id)
    })
    .await;
    assert_eq!(members(&nb, &pg), vec![a_id.clone()]);
    // b joins the group, a leaves it; then a goes.
    for (id, groups) in [(&b_id, json!([group_id])), (&a_id, json!([]))] {
        net.update(
            &admin(),
            kind("ports"),
            id,
            body(json!({"security_groups": groups})),
            None,
        )
        .await
        .expect("update");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while members(&nb, &pg) != vec![b_id.clone()] {
        assert!(Instant::now() < deadline, "{:?}", members(&nb, &pg));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    net.delete(&admin(), kind("ports"), &a_id, None)
        .await
        .expect("delete a");
    until(&nb, &PORT_NAMES, Duration::from_secs(5), |o| {
        !o.contains(&a_id)
    })
    .await;
    let drop_group = members(&nb, "neutron_pg_drop");
    assert_eq!(drop_group, vec![b_id.clone()]);
    // Port security off: b leaves its group and the drop group.
    net.update(
        &admin(),
        kind("ports"),
        &b_id,
        body(json!({"security_groups": [], "port_security_enabled": false})),
        None,
    )
    .await
    .expect("update b");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !members(&nb, "neutron_pg_drop").is_empty() || !members(&nb, &pg).is_empty() {
        assert!(Instant::now() < deadline, "b is still a member");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = backend.status();
    assert!(
        status.port_cycles > before,
        "no cycle planned the ports alone: {status:?}"
    );

    // A network and its subnet with no port on them are a batch too: their switch and DHCP
    // options, nothing else planned.
    let before = status.port_cycles;
    let network2 = create(&net, "networks", json!({"name": "n2"})).await;
    let network2 = network2["id"].as_str().unwrap().to_owned();
    create(
        &net,
        "subnets",
        json!({"network_id": network2, "cidr": "10.3.0.0/24", "ip_version": 4}),
    )
    .await;
    let switch = format!("neutron-{network2}");
    until(
        &nb,
        &["--bare", "--columns=cidr", "list", "DHCP_Options"],
        Duration::from_secs(5),
        |o| o.contains("10.3.0.0/24"),
    )
    .await;
    assert!(nb.nbctl(&["ls-list"]).contains(&switch));
    let status = backend.status();
    assert!(
        status.port_cycles > before,
        "the network was not planned alone: {status:?}"
    );

    drop(backend);
    let again = OvnBackend::start(store.clone(), config(&nb));
    let status = ready(&again).await;
    assert_eq!(status.last_full_compare_changes, 0, "{status:?}");
}

/// Two replicas on one store: one holds the lease and writes, the other stands by; when the
/// holder dies (its tasks aborted, the lease left to expire) the standby takes over, and the old
/// holder's token no longer opens a Northbound transaction. A replica that stops gracefully
/// releases the lease, and the next one takes it at its first claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_holds_the_lease_and_a_standby_takes_over() {
    use neutrino_ovn_sync::lease::{FENCE_KEY, fence_wait};
    use neutrino_ovsdb::{Atom, Mutation, Mutator, Operation};

    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).expect("store");
    let net = Networking::new(store.clone(), NetworkConfig::default()).expect("networking");
    let nb = NbServer::start();
    let cfg = OvnConfig {
        lease_secs: 3,
        ..config(&nb)
    };
    let network = create(&net, "networks", json!({"name": "n1"})).await;
    let network_id = network["id"].as_str().unwrap().to_owned();

    let a = OvnBackend::start(store.clone(), cfg.clone());
    ready(&a).await;
    let b = OvnBackend::start(store.clone(), cfg.clone());
    // Two claim intervals: b has tried and been refused.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(a.holding().token, Some(1));
    assert!(a.holding().answered);
    assert_eq!(b.holding().token, None, "a standby does no work");
    assert!(b.holding().answered, "b knows it is a standby");
    assert!(!b.status().ready);
    let fence = |nb: &NbServer| {
        nb.nbctl(&[
            "get",
            "NB_Global",
            ".",
            &format!("external_ids:\"{FENCE_KEY}\""),
        ])
    };
    assert_eq!(fence(&nb).trim(), "\"1\"");

    // The holder dies: nothing renews or releases its lease.
    let died = Instant::now();
    drop(a);
    let p2 = create(
        &net,
        "ports",
        json!({"network_id": network_id, "name": "p2"}),
    )
    .await;
    let p2 = p2["id"].as_str().unwrap().to_owned();
    tokio::time::timeout(
        Duration::from_secs(10),
        b.wait_for(|s| s.ready && s.last_error.is_none()),
    )
    .await
    .unwrap_or_else(|_| panic!("the standby never took over: {:?}", b.holding()));
    let took = died.elapsed();
    // Expiry (3 s after the last renewal, at most 3 s ago) plus one claim interval (1 s).
    assert!(took < Duration::from_secs(5), "took over after {took:?}");
    assert_eq!(b.holding().token, Some(2));
    until(&nb, &PORT_NAMES, Duration::from_secs(5), |out| {
        out.contains(&p2)
    })
    .await;
    assert_eq!(fence(&nb).trim(), "\"2\"");

    // A transaction of the old holder is refused; the new holder's goes through.
    let client =
        neutrino_ovsdb::Client::connect(neutrino_ovn_sync::reconciler::nb_client_config(&cfg))
            .await
            .expect("connect");
    let raise = Operation::mutate(
        "NB_Global",
        Vec::new(),
        vec![Mutation::new("nb_cfg", Mutator::Add, Atom::Integer(1))],
    );
    let stale = client.transact(&[fence_wait(1), raise.clone()]).await;
    assert!(stale.is_err(), "the old token still opens transactions");
    client
        .transact(&[fence_wait(2), raise])
        .await
        .expect("the holder's token opens transactions");

    // A graceful stop releases the lease: the next replica holds it at its first claim.
    b.stop(Duration::from_secs(5)).await;
    assert_eq!(b.holding().token, None);
    let started = Instant::now();
    let c = OvnBackend::start(store.clone(), cfg.clone());
    ready(&c).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(c.holding().token, Some(3));
}

/// `ovn-nbctl` arguments that list the port forwarding load balancers' names and VIPs.
const BALANCERS: [&str; 4] = ["--bare", "--columns=name,vips", "list", "Load_Balancer"];

/// A floating IP's port forwardings come through the change feed as revisions of the floating
/// IP: created, changed and deleted, its `Load_Balancer` follows on the router.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forwardings_become_load_balancers_on_the_router() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).expect("store");
    let net = Networking::new(store.clone(), NetworkConfig::default()).expect("networking");
    let nb = NbServer::start();
    let backend = OvnBackend::start(store.clone(), config(&nb));
    ready(&backend).await;

    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let ext = id(&create(&net, "networks", json!({"router:external": true})).await);
    create(
        &net,
        "subnets",
        json!({"network_id": ext, "cidr": "172.24.4.0/24", "ip_version": 4}),
    )
    .await;
    let inner = id(&create(&net, "networks", json!({})).await);
    let sub = id(&create(
        &net,
        "subnets",
        json!({"network_id": inner, "cidr": "10.5.0.0/24", "ip_version": 4}),
    )
    .await);
    let router = id(&create(
        &net,
        "routers",
        json!({"external_gateway_info": {"network_id": ext}}),
    )
    .await);
    net.action(
        &admin(),
        kind("routers"),
        &router,
        "add_router_interface",
        body(json!({"subnet_id": sub})),
    )
    .await
    .expect("interface");
    let port = create(&net, "ports", json!({"network_id": inner})).await;
    let address = port["fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap()
        .to_owned();
    let fip = create(&net, "floatingips", json!({"floating_network_id": ext})).await;
    let fip_address = fip["floating_ip_address"].as_str().unwrap().to_owned();

    let pf = net
        .create_port_forwarding(
            &admin(),
            &id(&fip),
            body(json!({"protocol": "tcp", "internal_port_id": id(&port),
                        "internal_ip_address": address, "internal_port": 22,
                        "external_port": 2222})),
        )
        .await
        .expect("port forwarding");
    let name = format!("pf-floatingip-{}-tcp", id(&fip));
    let vip = format!("{fip_address}:2222={address}:22");
    until(&nb, &BALANCERS, Duration::from_secs(5), |out| {
        out.contains(&name) && out.contains(&vip)
    })
    .await;
    let held = nb.nbctl(&[
        "--bare",
        "--columns=load_balancer",
        "list",
        "Logical_Router",
    ]);
    assert!(!held.trim().is_empty(), "the router holds it: {held}");

    net.update_port_forwarding(
        &admin(),
        &id(&fip),
        &id(&pf),
        body(json!({"external_port": 2200})),
    )
    .await
    .expect("update");
    let moved = format!("{fip_address}:2200={address}:22");
    until(&nb, &BALANCERS, Duration::from_secs(5), |out| {
        out.contains(&moved) && !out.contains(&vip)
    })
    .await;

    net.delete_port_forwarding(&admin(), &id(&fip), &id(&pf))
        .await
        .expect("delete");
    until(&nb, &BALANCERS, Duration::from_secs(5), |out| {
        !out.contains(&name)
    })
    .await;
}

/// `(log, name, severity, meter)` of every ACL of a Port_Group, as `ovn-nbctl` prints them.
fn acl_logging(nb: &NbServer, group: &str) -> Vec<String> {
    let acls = nb.nbctl(&["--bare", "--columns=acls", "list", "Port_Group", group]);
    let mut out: Vec<String> = acls
        .split_whitespace()
        .map(|acl| {
            nb.nbctl(&[
                "--bare",
                "--columns=log,name,severity,meter",
                "list",
                "ACL",
                acl,
            ])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    out.sort();
    out
}

/// Waits until every ACL of Port_Group `pg` shows `logging` (see [`acl_logging`]).
async fn acls_become(nb: &NbServer, pg: &str, logging: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while acl_logging(nb, pg).iter().any(|a| a != logging) {
        assert!(Instant::now() < deadline, "{:?}", acl_logging(nb, pg));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_logs_set_acl_logging_and_the_meter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).expect("store");
    let net = Networking::new(store.clone(), NetworkConfig::default()).expect("networking");
    let nb = NbServer::start();
    let (network_id, group_id, pg) = network_and_group(&net, "10.3.0.0/24").await;
    let port = create(
        &net,
        "ports",
        json!({"network_id": network_id, "name": "a", "security_groups": [group_id]}),
    )
    .await;
    let port_id = port["id"].as_str().unwrap().to_owned();
    let backend = OvnBackend::start(store.clone(), config(&nb));
    ready(&backend).await;
    let unlogged = acl_logging(&nb, &pg);
    assert!(!unlogged.is_empty());
    assert!(unlogged.iter().all(|a| a == "false"), "{unlogged:?}");
    let meters = ["--bare", "--columns=name", "list", "Meter"];
    assert_eq!(nb.nbctl(&meters).trim(), "");

    let log = create(
        &net,
        "log/logs",
        json!({"resource_type": "security_group", "resource_id": group_id}),
    )
    .await;
    let log_id = log["id"].as_str().unwrap().to_owned();
    let logged = format!("true neutron-{log_id} info acl_log_meter");
    until(&nb, &meters, Duration::from_secs(5), |o| {
        o.trim() == "acl_log_meter"
    })
    .await;
    acls_become(&nb, &pg, &logged).await;
    // Event ALL logs the drop group's ACLs too.
    assert!(
        acl_logging(&nb, "neutron_pg_drop")
            .iter()
            .all(|a| *a == logged),
        "{:?}",
        acl_logging(&nb, "neutron_pg_drop")
    );
    let meter = nb.nbctl(&["--bare", "--columns=unit,fair", "list", "Meter"]);
    assert_eq!(
        meter.split_whitespace().collect::<Vec<_>>(),
        ["pktps", "true"]
    );
    let band = nb.nbctl(&[
        "--bare",
        "--columns=action,rate,burst_size",
        "list",
        "Meter_Band",
    ]);
    assert_eq!(
        band.split_whitespace().collect::<Vec<_>>(),
        ["drop", "100", "25"]
    );

    // A change of the logged port alone (a batch of instance ports) keeps its groups' logging.
    let lsp_ids = [
        "--bare",
        "--columns=external_ids",
        "list",
        "Logical_Switch_Port",
        &port_id,
    ];
    let before = nb.nbctl(&lsp_ids);
    net.update(
        &admin(),
        kind("ports"),
        &port_id,
        body(json!({"name": "renamed"})),
        None,
    )
    .await
    .expect("rename");
    // (The name is not written to OVN: the row's new revision is.)
    until(&nb, &lsp_ids, Duration::from_secs(5), |o| {
        o.contains("neutron:revision_number=") && o != before
    })
    .await;
    assert!(acl_logging(&nb, &pg).iter().all(|a| *a == logged));

    // Logging switched off by hand is put back.
    let acl = nb.nbctl(&["--bare", "--columns=acls", "list", "Port_Group", &pg]);
    let acl = acl.split_whitespace().next().unwrap().to_owned();
    nb.nbctl(&["set", "ACL", &acl, "log=false"]);
    acls_become(&nb, &pg, &logged).await;

    // Disabled: no ACL is logged; the meter stays while the log exists.
    let path = &log_id;
    net.update(
        &admin(),
        kind("log/logs"),
        path,
        body(json!({"enabled": false})),
        None,
    )
    .await
    .expect("disable");
    acls_become(&nb, &pg, "false").await;
    assert_eq!(nb.nbctl(&meters).trim(), "acl_log_meter");

    // Nothing drifts: a new back end finds nothing to change.
    drop(backend);
    let again = OvnBackend::start(store.clone(), config(&nb));
    let status = ready(&again).await;
    assert_eq!(status.last_full_compare_changes, 0, "{status:?}");

    // Deleted with its group: the meter goes with the last log.
    net.delete(&admin(), kind("ports"), &port_id, None)
        .await
        .expect("delete the port");
    net.delete(&admin(), kind("security-groups"), &group_id, None)
        .await
        .expect("delete the group");
    until(&nb, &meters, Duration::from_secs(5), |o| {
        o.trim().is_empty()
    })
    .await;
    assert_eq!(
        nb.nbctl(&["--bare", "--columns=_uuid", "list", "Meter_Band"])
            .trim(),
        ""
    );
}
