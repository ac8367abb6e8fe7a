//! A network, its subnet and ports: the rows they become and how changes reach them.

use super::*;

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
    assert!(!external_ids.contains("neutron:cidrs"), "{external_ids}");
    assert!(
        external_ids.contains("\"neutron:revision_number\"=\"2\""),
        "{external_ids}"
    );
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
