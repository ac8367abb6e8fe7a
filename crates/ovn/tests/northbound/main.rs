//! The mapping and the plan against a real OVN Northbound database: each test starts its own
//! standalone `ovsdb-server`, brings it to a desired state through our OVSDB client, reads it back
//! with `ovn-nbctl` and the client's monitor cache, and changes it behind our back.

mod server;

use std::sync::Arc;
use std::time::Duration;

use neutrino_ovn::row::revision_of;
use neutrino_ovn::{
    Change, Desired, FixedIp, MappingConfig, NetworkSpec, Plan, PortSpec, Resources, RouterSpec,
    RowId, Scope, SubnetSpec, desired_state, monitor_request, plan, table,
};
use neutrino_ovsdb::{Cache, Client, ClientConfig, Error, MonitorHandle, Operation};
use server::NbServer;

const NET: &str = "fdbf1838-1e0c-45a8-997f-f709fca48fd9";
const SUBNET: &str = "5a4039fa-278d-49e4-a3b3-13c8030cee82";
const PORT_A: &str = "d3d6fd22-39aa-43fe-9c80-5e00db573640";
const PORT_B: &str = "724ad2ea-6f82-40d3-8660-2abad64ba54c";

fn network() -> NetworkSpec {
    NetworkSpec {
        id: NET.into(),
        name: "net1".into(),
        revision_number: 1,
        mtu: 1442,
        network_type: "geneve".into(),
        physical_network: None,
        segmentation_id: Some(7),
        segment_id: NET.into(),
        availability_zone_hints: vec![],
        dns_domain: String::new(),
    }
}

fn subnet() -> SubnetSpec {
    SubnetSpec {
        id: SUBNET.into(),
        network_id: NET.into(),
        revision_number: 1,
        cidr: "10.10.0.0/24".parse().unwrap(),
        gateway_ip: Some("10.10.0.1".parse().unwrap()),
        enable_dhcp: true,
        dns_nameservers: vec!["192.0.2.53".parse().unwrap()],
        host_routes: vec![],
        ipv6_address_mode: None,
        ipv6_ra_mode: None,
    }
}

fn port(id: &str, mac: &str, ip: &str) -> PortSpec {
    PortSpec {
        id: id.into(),
        name: format!("port-{ip}"),
        network_id: NET.into(),
        project_id: "p1".into(),
        revision_number: 1,
        admin_state_up: true,
        mac_address: mac.into(),
        fixed_ips: vec![FixedIp {
            subnet_id: SUBNET.into(),
            ip_address: ip.parse().unwrap(),
        }],
        device_id: String::new(),
        device_owner: String::new(),
        port_security_enabled: true,
        security_groups: vec![],
        allowed_address_pairs: vec![],
        host_id: String::new(),
        vnic_type: "normal".into(),
    }
}

fn ports() -> Vec<PortSpec> {
    vec![
        port(PORT_A, "fa:16:3e:00:00:0a", "10.10.0.10"),
        port(PORT_B, "fa:16:3e:00:00:0b", "10.10.0.11"),
    ]
}

fn desired_with(ports: &[PortSpec]) -> Desired {
    desired_state(
        &MappingConfig::default(),
        &Resources {
            networks: &[network()],
            subnets: &[subnet()],
            ports,
            ..Default::default()
        },
    )
}

/// A Northbound database, our client and a monitor of the managed tables.
struct Lab {
    nb: NbServer,
    client: Client,
    monitor: MonitorHandle,
}

impl Lab {
    async fn start() -> Lab {
        let nb = NbServer::start();
        let mut config = ClientConfig::new([nb.remote()], "OVN_Northbound");
        config.request_timeout = Duration::from_secs(5);
        config.connect_timeout = Duration::from_secs(5);
        let client = Client::connect(config)
            .await
            .expect("connect to the NB server");
        let monitor = client.monitor(monitor_request()).await.expect("monitor");
        Lab {
            nb,
            client,
            monitor,
        }
    }

    fn cache(&self) -> Arc<Cache> {
        self.monitor.snapshot()
    }

    fn plan(&self, desired: &Desired, scope: &Scope) -> Plan {
        plan(desired, &*self.cache(), scope)
    }

    /// Waits up to 5 s for the cache to satisfy `condition`.
    async fn settle(&self, what: &str, condition: impl Fn(&Cache) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !condition(&self.cache()) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "cache never showed {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Plans, transacts, and waits until the cache shows the desired state reached.
    async fn apply(&self, desired: &Desired, scope: &Scope) -> Plan {
        let plan = self.plan(desired, scope);
        if !plan.is_empty() {
            self.client
                .transact(&plan.operations)
                .await
                .unwrap_or_else(|e| panic!("transaction failed: {e}\n{:#?}", plan.operations));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let rest = neutrino_ovn::plan(desired, &*self.cache(), scope);
            if rest.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the cache never showed the desired state; still planned: {:#?}",
                rest.operations
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        plan
    }

    fn nbctl(&self, args: &[&str]) -> String {
        self.nb.nbctl(args)
    }

    /// One column of every row of `table`, sorted (`ovn-nbctl --bare`).
    fn column(&self, table: &str, column: &str) -> Vec<String> {
        let out = self.nbctl(&["--bare", &format!("--columns={column}"), "list", table]);
        let mut values: Vec<String> = out
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        values.sort();
        values
    }

    fn lsp_count(&self) -> usize {
        self.column("Logical_Switch_Port", "_uuid").len()
    }
}

fn names(plan: &Plan) -> Vec<&'static str> {
    plan.operations.iter().map(Operation::name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_with_a_subnet_and_two_ports_becomes_exactly_these_rows() {
    let lab = Lab::start().await;
    let desired = desired_with(&ports());
    let first = lab.apply(&desired, &Scope::Full).await;
    // LS, DHCP_Options, 2 LSP, and the drop group with its 2 ACLs (both ports have port security).
    assert_eq!(first.changes.len(), 7, "{:?}", first.changes);
    assert!(first.changes.iter().all(|c| matches!(c, Change::Insert(_))));

    // Read back with ovn-nbctl.
    assert_eq!(
        lab.column("Logical_Switch", "name"),
        vec![format!("neutron-{NET}")]
    );
    let lsps = lab.nbctl(&["lsp-list", &format!("neutron-{NET}")]);
    let mut listed: Vec<&str> = lsps
        .lines()
        .filter_map(|l| l.split_once(" (")?.1.strip_suffix(')'))
        .collect();
    listed.sort();
    assert_eq!(listed, vec![PORT_B, PORT_A]);
    assert_eq!(lab.lsp_count(), 2, "no other ports");
    assert_eq!(
        lab.nbctl(&["lsp-get-addresses", PORT_A]).trim(),
        "fa:16:3e:00:00:0a 10.10.0.10"
    );
    assert_eq!(
        lab.nbctl(&["lsp-get-port-security", PORT_A]).trim(),
        "fa:16:3e:00:00:0a 10.10.0.10"
    );
    assert_eq!(lab.nbctl(&["lsp-get-enabled", PORT_B]).trim(), "enabled");
    let dhcp = lab.column("DHCP_Options", "_uuid");
    assert_eq!(dhcp.len(), 1);
    assert_eq!(lab.column("DHCP_Options", "cidr"), vec!["10.10.0.0/24"]);
    let dhcp_of_a = lab.nbctl(&["lsp-get-dhcpv4-options", PORT_A]);
    assert!(dhcp_of_a.starts_with(&dhcp[0]), "{dhcp_of_a}");
    let options = lab.nbctl(&["dhcp-options-get-options", &dhcp[0]]);
    for expected in [
        "router=10.10.0.1",
        "mtu=1442",
        "lease_time=43200",
        "dns_server={192.0.2.53}",
    ] {
        assert!(
            options.lines().any(|l| l == expected),
            "{expected} in {options}"
        );
    }
    assert_eq!(
        lab.nbctl(&[
            "get",
            "Logical_Switch_Port",
            PORT_A,
            "external_ids:\"neutron:revision_number\""
        ])
        .trim(),
        "\"1\""
    );

    // The same desired state again: nothing to do.
    let again = lab.plan(&desired, &Scope::Full);
    assert!(again.is_empty(), "{:#?}", again.operations);
    assert!(again.changes.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_address_is_one_mutate_of_that_column() {
    let lab = Lab::start().await;
    lab.apply(&desired_with(&ports()), &Scope::Full).await;

    let mut changed = ports();
    changed[0].fixed_ips[0].ip_address = "10.10.0.20".parse().unwrap();
    changed[0].revision_number = 2;
    let desired = desired_with(&changed);
    let plan = lab.plan(&desired, &Scope::Full);
    assert_eq!(
        plan.changes,
        vec![Change::Update(
            RowId::new(table::LOGICAL_SWITCH_PORT, PORT_A),
            vec![
                "addresses".into(),
                "external_ids".into(),
                "port_security".into()
            ]
        )]
    );
    assert_eq!(
        names(&plan),
        vec!["wait", "mutate"],
        "{:#?}",
        plan.operations
    );
    match &plan.operations[1] {
        Operation::Mutate {
            table, mutations, ..
        } => {
            assert_eq!(table, "Logical_Switch_Port");
            let columns: Vec<&str> = mutations.iter().map(|m| m.column.as_str()).collect();
            assert_eq!(
                columns,
                vec![
                    "addresses",
                    "addresses",
                    "external_ids",
                    "external_ids",
                    "port_security",
                    "port_security"
                ]
            );
        }
        other => panic!("expected a mutate, got {other:?}"),
    }
    lab.apply(&desired, &Scope::Full).await;
    assert_eq!(
        lab.nbctl(&["lsp-get-addresses", PORT_A]).trim(),
        "fa:16:3e:00:00:0a 10.10.0.20"
    );
    assert_eq!(
        lab.nbctl(&["lsp-get-addresses", PORT_B]).trim(),
        "fa:16:3e:00:00:0b 10.10.0.11"
    );
    let external_ids = lab.nbctl(&["get", "Logical_Switch_Port", PORT_A, "external_ids"]);
    assert!(
        external_ids.contains("\"neutron:cidrs\"=\"10.10.0.20/24\""),
        "{external_ids}"
    );
    assert!(
        external_ids.contains("\"neutron:revision_number\"=\"2\""),
        "{external_ids}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_repaired_a_deleted_port_comes_back_and_a_leftover_goes() {
    let lab = Lab::start().await;
    let desired = desired_with(&ports());
    lab.apply(&desired, &Scope::Full).await;
    let switch = format!("neutron-{NET}");

    // Deleted by hand: re-created and linked into its switch again.
    lab.nbctl(&["lsp-del", PORT_B]);
    lab.settle("the deleted port", |c| {
        c.table("Logical_Switch_Port").is_some_and(|t| t.len() == 1)
    })
    .await;
    let repair = lab.plan(&desired, &Scope::Full);
    assert_eq!(
        repair.changes,
        vec![
            Change::Insert(RowId::new(table::LOGICAL_SWITCH_PORT, PORT_B)),
            Change::Update(
                RowId::new(table::PORT_GROUP, "neutron_pg_drop"),
                vec!["ports".into()]
            ),
        ]
    );
    // Insert, link into the switch, and back into the drop group (its weak reference was dropped
    // with the row).
    assert_eq!(names(&repair), vec!["wait", "insert", "mutate", "mutate"]);
    lab.apply(&desired, &Scope::Full).await;
    assert!(lab.nbctl(&["lsp-list", &switch]).contains(PORT_B));
    assert_eq!(
        lab.nbctl(&["lsp-get-addresses", PORT_B]).trim(),
        "fa:16:3e:00:00:0b 10.10.0.11"
    );

    // A leftover of ours (neutron external_ids, nothing desires it) goes; a port that is not ours stays.
    lab.nbctl(&[
        "lsp-add",
        &switch,
        "leftover",
        "--",
        "set",
        "Logical_Switch_Port",
        "leftover",
        "external_ids:\"neutron:revision_number\"=3",
    ]);
    lab.nbctl(&["lsp-add", &switch, "not-ours"]);
    lab.settle("the extra ports", |c| {
        c.table("Logical_Switch_Port").is_some_and(|t| t.len() == 4)
    })
    .await;
    let cleanup = lab.plan(&desired, &Scope::Full);
    assert_eq!(
        cleanup.changes,
        vec![Change::Delete(RowId::new(
            table::LOGICAL_SWITCH_PORT,
            "leftover"
        ))]
    );
    assert_eq!(
        names(&cleanup),
        vec!["wait", "mutate"],
        "unlinked from its switch"
    );
    lab.apply(&desired, &Scope::Full).await;
    let mut left: Vec<String> = lab.column("Logical_Switch_Port", "name");
    left.sort();
    let mut expected = vec![PORT_A.to_owned(), PORT_B.to_owned(), "not-ours".to_owned()];
    expected.sort();
    assert_eq!(left, expected);

    // A stray DHCP_Options row of ours and a changed switch column are repaired in one go.
    lab.nbctl(&[
        "create",
        "DHCP_Options",
        "cidr=10.99.0.0/24",
        "external_ids:subnet_id=gone",
        "external_ids:\"neutron:revision_number\"=1",
        // One transaction, so the cache shows both changes at once.
        "--",
        "set",
        "Logical_Switch",
        &switch,
        "other_config:mcast_snoop=true",
    ]);
    lab.settle("the drift", |c| {
        c.table("DHCP_Options").is_some_and(|t| t.len() == 2)
    })
    .await;
    let plan = lab.apply(&desired, &Scope::Full).await;
    assert_eq!(plan.changes.len(), 2, "{:?}", plan.changes);
    assert_eq!(lab.column("DHCP_Options", "cidr"), vec!["10.10.0.0/24"]);
    assert_eq!(
        lab.nbctl(&["get", "Logical_Switch", &switch, "other_config:mcast_snoop"])
            .trim(),
        "\"false\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_revision_never_overwrites_a_newer_one() {
    let lab = Lab::start().await;
    lab.apply(&desired_with(&ports()), &Scope::Full).await;

    // Revision 2 of port A is planned against the cache, but before it is applied another writer
    // stores revision 3: the revision wait makes the whole transaction fail.
    let mut rev2 = ports();
    rev2[0].name = "renamed-in-rev-2".into();
    rev2[0].revision_number = 2;
    let desired2 = desired_with(&rev2);
    let plan2 = lab.plan(&desired2, &Scope::Full);
    assert_eq!(names(&plan2), vec!["wait", "mutate"]);
    lab.nbctl(&[
        "set",
        "Logical_Switch_Port",
        PORT_A,
        "external_ids:\"neutron:revision_number\"=3",
        "external_ids:\"neutron:port_name\"=written-by-rev-3",
    ]);
    let err = lab
        .client
        .transact(&plan2.operations)
        .await
        .expect_err("the wait must refuse");
    match &err {
        Error::Transaction {
            index, operation, ..
        } => {
            assert_eq!(*index, 0, "{err}");
            assert_eq!(operation, "wait on Logical_Switch_Port", "{err}");
        }
        other => panic!("expected a failed wait, got {other}"),
    }
    let name = lab.nbctl(&[
        "get",
        "Logical_Switch_Port",
        PORT_A,
        "external_ids:\"neutron:port_name\"",
    ]);
    assert_eq!(name.trim(), "written-by-rev-3");

    // Planned again from the current cache, revision 2 is stale: nothing to do.
    lab.settle("revision 3", |c| {
        c.table("Logical_Switch_Port")
            .is_some_and(|t| t.values().any(|r| revision_of(r) == Some(3)))
    })
    .await;
    let replan = lab.plan(&desired2, &Scope::Full);
    assert!(replan.is_empty(), "{:#?}", replan.operations);
    assert_eq!(
        replan.changes,
        vec![Change::Stale {
            id: RowId::new(table::LOGICAL_SWITCH_PORT, PORT_A),
            actual: 3,
            desired: 2
        }]
    );

    // A port deleted in Neutron, reconciled by its own scope: only its row goes.
    let scope = Scope::Rows(
        neutrino_ovn::rows_of(neutrino_ovn::Kind::Port, PORT_B)
            .into_iter()
            .collect(),
    );
    let only_a = desired_with(&rev2[..1]);
    let narrow = lab.plan(&only_a, &scope);
    assert_eq!(
        narrow.changes,
        vec![
            Change::Stale {
                id: RowId::new(table::LOGICAL_SWITCH_PORT, PORT_A),
                actual: 3,
                desired: 2
            },
            // The port also leaves the drop group (a weak reference, by mutate).
            Change::Update(
                RowId::new(table::PORT_GROUP, "neutron_pg_drop"),
                vec!["ports".into()]
            ),
            Change::Delete(RowId::new(table::LOGICAL_SWITCH_PORT, PORT_B)),
        ]
    );
    assert_eq!(
        narrow.changes[0].to_string().split(':').next(),
        Some(&*format!("keep Logical_Switch_Port {PORT_A}"))
    );
    lab.apply(&only_a, &scope).await;
    assert_eq!(lab.lsp_count(), 1);

    // Revision 4 applies.
    let mut rev4 = ports();
    rev4[0].name = "rev-4".into();
    rev4[0].revision_number = 4;
    lab.apply(&desired_with(&rev4[..1]), &Scope::Full).await;
    let name = lab.nbctl(&[
        "get",
        "Logical_Switch_Port",
        PORT_A,
        "external_ids:\"neutron:port_name\"",
    ]);
    assert_eq!(name.trim(), "rev-4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_network_takes_its_ports_and_dhcp_options_along() {
    let lab = Lab::start().await;
    lab.apply(&desired_with(&ports()), &Scope::Full).await;
    let plan = lab.apply(&Desired::new(), &Scope::Full).await;
    assert_eq!(plan.changes.len(), 7, "{:?}", plan.changes);
    assert!(lab.column("Port_Group", "_uuid").is_empty());
    assert!(lab.column("ACL", "_uuid").is_empty());
    assert_eq!(lab.lsp_count(), 0);
    assert!(lab.column("Logical_Switch", "_uuid").is_empty());
    assert!(lab.column("DHCP_Options", "_uuid").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dhcp_turned_on_later_links_existing_ports_to_the_new_options_row() {
    let lab = Lab::start().await;
    let mut no_dhcp = subnet();
    no_dhcp.enable_dhcp = false;
    let config = MappingConfig::default();
    let before = desired_state(
        &config,
        &Resources {
            networks: &[network()],
            subnets: &[no_dhcp],
            ports: &ports(),
            ..Default::default()
        },
    );
    lab.apply(&before, &Scope::Full).await;
    assert!(lab.column("DHCP_Options", "_uuid").is_empty());
    assert!(
        lab.nbctl(&["lsp-get-dhcpv4-options", PORT_A])
            .trim()
            .is_empty()
    );

    // The new row and the ports' references to it (by its uuid-name) in one transaction.
    let after = desired_with(&ports());
    let plan = lab.apply(&after, &Scope::Full).await;
    assert_eq!(
        names(&plan),
        vec!["wait", "wait", "wait", "insert", "update", "update"]
    );
    let dhcp = lab.column("DHCP_Options", "_uuid");
    assert_eq!(dhcp.len(), 1);
    for port in [PORT_A, PORT_B] {
        assert!(
            lab.nbctl(&["lsp-get-dhcpv4-options", port])
                .starts_with(&dhcp[0])
        );
    }

    // Off again: the row goes, and the ports' optional reference is cleared (an optional column
    // going from one value to none, which the cache must follow).
    let plan = lab.apply(&before, &Scope::Full).await;
    assert_eq!(plan.changes.len(), 3, "{:?}", plan.changes);
    assert!(lab.column("DHCP_Options", "_uuid").is_empty());
    assert!(
        lab.nbctl(&["lsp-get-dhcpv4-options", PORT_A])
            .trim()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_interface_is_a_router_port_joined_to_its_switch_port() {
    let lab = Lab::start().await;
    let router = RouterSpec {
        id: "3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d".into(),
        name: "r1".into(),
        revision_number: 1,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![],
    };
    let mut interface = port(
        "6c86556a-1f1d-4a4a-851a-7cdeca170bdc",
        "fa:16:3e:00:00:01",
        "10.10.0.1",
    );
    interface.device_owner = "network:router_interface".into();
    interface.device_id = router.id.clone();
    let mut all = ports();
    all.push(interface);
    let (networks, subnets) = ([network()], [subnet()]);
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &all,
        routers: std::slice::from_ref(&router),
        ..Default::default()
    };
    let desired = desired_state(&MappingConfig::default(), &resources);
    let first = lab.apply(&desired, &Scope::Full).await;
    // LS, DHCP, 3 LSP, LR, LRP, the drop group and its 2 ACLs
    assert_eq!(first.changes.len(), 10, "{:?}", first.changes);
    assert!(lab.plan(&desired, &Scope::Full).is_empty());

    let lrp = "lrp-6c86556a-1f1d-4a4a-851a-7cdeca170bdc";
    let lr = format!("neutron-{}", router.id);
    assert!(lab.nbctl(&["lrp-list", &lr]).contains(lrp));
    assert_eq!(
        lab.nbctl(&["get", "Logical_Router_Port", lrp, "networks"])
            .trim(),
        "[\"10.10.0.1/24\"]"
    );
    assert_eq!(
        lab.nbctl(&["lsp-get-type", "6c86556a-1f1d-4a4a-851a-7cdeca170bdc"])
            .trim(),
        "router"
    );
    assert_eq!(
        lab.nbctl(&["lsp-get-options", "6c86556a-1f1d-4a4a-851a-7cdeca170bdc"])
            .trim(),
        format!("router-port={lrp}")
    );

    // The interface removed: its router port leaves the router, its switch port the switch.
    let without = desired_state(
        &MappingConfig::default(),
        &Resources {
            ports: &all[..2],
            ..resources
        },
    );
    let removal = lab.apply(&without, &Scope::Full).await;
    assert_eq!(removal.changes.len(), 2, "{:?}", removal.changes);
    assert!(lab.column("Logical_Router_Port", "_uuid").is_empty());
    assert_eq!(lab.column("Logical_Router", "name"), vec![lr]);
    assert_eq!(lab.lsp_count(), 2);

    // The router deleted.
    let no_router = desired_state(
        &MappingConfig::default(),
        &Resources {
            ports: &all[..2],
            routers: &[],
            ..resources
        },
    );
    lab.apply(&no_router, &Scope::Full).await;
    assert!(lab.column("Logical_Router", "_uuid").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_created_by_someone_else_meanwhile_fails_the_insert() {
    let lab = Lab::start().await;
    let desired = desired_with(&ports());
    let plan = lab.plan(&desired, &Scope::Full);
    // Logical_Switch has no unique index on name: only our absence wait catches a twin.
    lab.nbctl(&["ls-add", &format!("neutron-{NET}")]);
    let err = lab
        .client
        .transact(&plan.operations)
        .await
        .expect_err("the wait must refuse");
    assert!(
        matches!(&err, Error::Transaction { operation, .. } if operation == "wait on Logical_Switch"),
        "{err}"
    );
    assert_eq!(lab.column("Logical_Switch", "_uuid").len(), 1);
    assert_eq!(lab.lsp_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_group_is_a_port_group_whose_acls_follow_its_rules() {
    use neutrino_ovn::{Direction, SecurityGroupRuleSpec, SecurityGroupSpec};
    let lab = Lab::start().await;
    let sg = "34a2c6be-78c5-4899-a526-7d03c0f4a2f7";
    let pg = "pg_34a2c6be_78c5_4899_a526_7d03c0f4a2f7";
    let rule = |id: &str, port: u32| SecurityGroupRuleSpec {
        id: id.into(),
        direction: Direction::Ingress,
        ipv6: false,
        protocol: Some("tcp".into()),
        port_range_min: Some(port),
        port_range_max: Some(port),
        remote_ip_prefix: Some("0.0.0.0/0".parse().unwrap()),
        remote_group_id: None,
        remote_address_group_id: None,
    };
    let mut members = ports();
    members[0].security_groups = vec![sg.into()];
    let (networks, subnets) = ([network()], [subnet()]);
    let group = |rules| SecurityGroupSpec {
        id: sg.into(),
        revision_number: 1,
        stateful: true,
        rules,
    };
    let two_rules = [group(vec![rule("rule-8080", 8080), rule("rule-22", 22)])];
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &members,
        security_groups: &two_rules,
        ..Default::default()
    };
    lab.apply(
        &desired_state(&MappingConfig::default(), &resources),
        &Scope::Full,
    )
    .await;
    let acls = lab.nbctl(&["acl-list", pg]);
    assert!(
        acls.contains(&format!(
            "to-lport  1002 (outport == @{pg} && ip4 && ip4.src == 0.0.0.0/0 && tcp && tcp.dst == 8080) allow-related"
        )),
        "{acls}"
    );
    assert_eq!(acls.lines().count(), 2, "{acls}");
    assert_eq!(
        lab.nbctl(&["acl-list", "neutron_pg_drop"]).lines().count(),
        2
    );
    let member_uuid = lab.nbctl(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "Logical_Switch_Port",
        &format!("name={PORT_A}"),
    ]);
    assert_eq!(
        lab.nbctl(&[
            "--bare",
            "--columns=ports",
            "find",
            "Port_Group",
            &format!("name={pg}")
        ])
        .trim(),
        member_uuid.trim()
    );

    // A rule deleted: its ACL leaves the group (and the database); the other stays.
    let one_rule = [group(vec![rule("rule-22", 22)])];
    let plan = lab
        .apply(
            &desired_state(
                &MappingConfig::default(),
                &Resources {
                    security_groups: &one_rule,
                    ..resources
                },
            ),
            &Scope::Full,
        )
        .await;
    assert_eq!(
        plan.changes,
        vec![Change::Delete(RowId::new(table::ACL, "rule-8080"))]
    );
    let acls = lab.nbctl(&["acl-list", pg]);
    assert!(
        acls.contains("tcp.dst == 22") && !acls.contains("8080"),
        "{acls}"
    );
    assert_eq!(lab.column("ACL", "_uuid").len(), 3);

    // An ACL changed by hand is put back.
    let uuid = lab.nbctl(&[
        "--bare",
        "--columns=_uuid",
        "find",
        "ACL",
        "external_ids:\"neutron:security_group_rule_id\"=rule-22",
    ]);
    lab.nbctl(&["set", "ACL", uuid.trim(), "match=\"ip\"", "action=drop"]);
    lab.settle("the changed ACL", |c| {
        c.table("ACL").is_some_and(|t| {
            t.values().any(|r| {
                r.get("action").and_then(|v| v.as_str()) == Some("drop")
                    && r.get("match").and_then(|v| v.as_str()) == Some("ip")
            })
        })
    })
    .await;
    let desired = desired_state(
        &MappingConfig::default(),
        &Resources {
            security_groups: &one_rule,
            ..resources
        },
    );
    let repair = lab.apply(&desired, &Scope::Full).await;
    assert_eq!(
        repair.changes,
        vec![Change::Update(
            RowId::new(table::ACL, "rule-22"),
            vec!["action".into(), "match".into()]
        )]
    );
    assert!(
        lab.nbctl(&["acl-list", pg])
            .contains("tcp.dst == 22) allow-related")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_and_a_floating_ip_become_snat_a_default_route_and_dnat() {
    use neutrino_ovn::FloatingIpSpec;
    let lab = Lab::start().await;
    let mut public = network();
    public.id = "45d0d069-0983-4fad-a44b-73359fc58289".into();
    public.network_type = "flat".into();
    public.physical_network = Some("physnet1".into());
    public.segment_id = public.id.clone();
    let mut ext_subnet = subnet();
    ext_subnet.id = "b8f09e17-a4b5-4f5d-8d57-49ec8fbd85f2".into();
    ext_subnet.network_id = public.id.clone();
    ext_subnet.cidr = "172.24.4.0/24".parse().unwrap();
    ext_subnet.gateway_ip = Some("172.24.4.1".parse().unwrap());
    ext_subnet.enable_dhcp = false;
    let router = RouterSpec {
        id: "3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d".into(),
        name: "r1".into(),
        revision_number: 1,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![],
    };
    let mut gateway = port(
        "6c115f58-f8de-4a92-a96d-dd3c88863f4a",
        "fa:16:3e:00:00:99",
        "172.24.4.10",
    );
    gateway.network_id = public.id.clone();
    gateway.fixed_ips[0].subnet_id = ext_subnet.id.clone();
    gateway.device_owner = "network:router_gateway".into();
    gateway.device_id = router.id.clone();
    let mut all = ports();
    all.push(gateway);
    let fip = |port: &str, ip: &str, revision| FloatingIpSpec {
        id: "f2b9d839-7136-4a58-b25c-0ca0980d2941".into(),
        revision_number: revision,
        floating_ip_address: "172.24.4.20".parse().unwrap(),
        floating_network_id: "45d0d069-0983-4fad-a44b-73359fc58289".into(),
        floating_port_mac: "fa:16:3e:19:49:c5".into(),
        router_id: Some("3cb77081-1ec7-4cfd-bbcb-15d8e3be5d2d".into()),
        port_id: Some(port.into()),
        fixed_ip_address: Some(ip.parse().unwrap()),
    };
    let networks = [network(), public];
    let subnets = [subnet(), ext_subnet];
    let fips = [fip(PORT_A, "10.10.0.10", 1)];
    let resources = Resources {
        networks: &networks,
        subnets: &subnets,
        ports: &all,
        routers: std::slice::from_ref(&router),
        floating_ips: &fips,
        ..Default::default()
    };
    lab.apply(
        &desired_state(&MappingConfig::default(), &resources),
        &Scope::Full,
    )
    .await;
    let lr = format!("neutron-{}", router.id);
    let nats = lab.nbctl(&["lr-nat-list", &lr]);
    assert!(
        nats.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["snat", "172.24.4.10", "0.0.0.0/0"]),
        "{nats}"
    );
    assert!(
        nats.lines()
            .any(|l| l.split_whitespace().take(3).collect::<Vec<_>>()
                == ["dnat_and_snat", "172.24.4.20", "10.10.0.10"]),
        "{nats}"
    );
    let routes = lab.nbctl(&["lr-route-list", &lr]);
    assert!(
        routes.contains("0.0.0.0/0") && routes.contains("172.24.4.1"),
        "{routes}"
    );
    assert_eq!(
        lab.nbctl(&[
            "lsp-get-type",
            "provnet-45d0d069-0983-4fad-a44b-73359fc58289"
        ])
        .trim(),
        "localnet"
    );

    // The floating IP moved to port B: one update of its NAT row, no new row.
    let moved = [fip(PORT_B, "10.10.0.11", 2)];
    let plan = lab
        .apply(
            &desired_state(
                &MappingConfig::default(),
                &Resources {
                    floating_ips: &moved,
                    ..resources
                },
            ),
            &Scope::Full,
        )
        .await;
    assert_eq!(
        plan.changes,
        vec![Change::Update(
            RowId::new(table::NAT, "f2b9d839-7136-4a58-b25c-0ca0980d2941"),
            vec![
                "external_ids".into(),
                "logical_ip".into(),
                "logical_port".into()
            ]
        )]
    );
    assert!(lab.nbctl(&["lr-nat-list", &lr]).contains("10.10.0.11"));

    // Disassociated, and SNAT turned off: both NAT rows leave the router.
    let no_snat = [RouterSpec {
        enable_snat: false,
        revision_number: 2,
        ..router.clone()
    }];
    lab.apply(
        &desired_state(
            &MappingConfig::default(),
            &Resources {
                floating_ips: &[],
                routers: &no_snat,
                ..resources
            },
        ),
        &Scope::Full,
    )
    .await;
    assert!(lab.nbctl(&["lr-nat-list", &lr]).trim().is_empty());
    assert!(lab.column("NAT", "_uuid").is_empty());
    assert!(lab.nbctl(&["lr-route-list", &lr]).contains("0.0.0.0/0"));
}
