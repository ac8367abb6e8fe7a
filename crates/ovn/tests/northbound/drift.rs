//! Changes behind our back: drift repaired, revisions guarded, concurrent creators refused.

use super::*;

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
    // Insert (no absence wait: the name index refuses a twin), link into the switch, and back
    // into the drop group (its weak reference was dropped with the row).
    assert_eq!(names(&repair), vec!["insert", "mutate", "mutate"]);
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
        "enabled=false",
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
    let enabled = lab.nbctl(&["get", "Logical_Switch_Port", PORT_A, "enabled"]);
    assert_eq!(enabled.trim(), "false", "revision 3's write stays");

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
    let enabled = lab.nbctl(&["get", "Logical_Switch_Port", PORT_A, "enabled"]);
    assert_eq!(enabled.trim(), "true", "revision 4 applies");
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

    // Planned again: the switch is a conflict left to a human, and its ports are orphans; the
    // rest (the DHCP options, the drop group) still goes through.
    lab.settle("the twin", |c| {
        c.table("Logical_Switch").is_some_and(|t| t.len() == 1)
    })
    .await;
    let replan = lab.plan(&desired, &Scope::Full);
    let switch = RowId::new(table::LOGICAL_SWITCH, format!("neutron-{NET}"));
    assert!(
        replan.changes.contains(&Change::Conflict(switch.clone())),
        "{:?}",
        replan.changes
    );
    assert!(
        replan.changes.contains(&Change::Orphan(RowId::new(
            table::LOGICAL_SWITCH_PORT,
            PORT_A
        ))),
        "{:?}",
        replan.changes
    );
    lab.client
        .transact(&replan.operations)
        .await
        .expect("everything but the conflict applies");
    assert_eq!(lab.column("DHCP_Options", "_uuid").len(), 1);
    assert_eq!(
        lab.column("Logical_Switch", "_uuid").len(),
        1,
        "no twin created"
    );
    assert_eq!(
        Change::Conflict(switch).to_string(),
        format!("skip Logical_Switch neutron-{NET}: a row that is not ours has its key")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_created_by_someone_else_meanwhile_is_refused_by_the_name_index() {
    let lab = Lab::start().await;
    let desired = desired_with(&ports());
    lab.apply(&desired_with(&[]), &Scope::Full).await;
    let plan = lab.plan(&desired, &Scope::Full);
    lab.nbctl(&["lsp-add", &format!("neutron-{NET}"), PORT_A]);
    let err = lab
        .client
        .transact(&plan.operations)
        .await
        .expect_err("the index must refuse a second port of that name");
    assert!(matches!(&err, Error::Transaction { .. }), "{err}");
    assert_eq!(lab.lsp_count(), 1, "nothing of the transaction applied");
}
