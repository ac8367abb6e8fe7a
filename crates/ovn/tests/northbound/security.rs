//! Security groups: port groups, ACLs and the drop group.

use super::*;

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
        protocol: Some(6),
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
