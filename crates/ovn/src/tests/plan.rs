//! The plan against hand-made database contents.

use std::sync::Arc;

use super::*;

fn ops_named(plan: &crate::plan::Plan, name: &str) -> usize {
    plan.operations.iter().filter(|o| o.name() == name).count()
}

/// A switch, its DHCP options and one port without port security (so no port groups).
fn small_desired() -> Desired {
    let mut port = port_sg();
    port.port_security_enabled = false;
    desired_state(
        &MappingConfig::default(),
        &Resources {
            networks: &[probe_net()],
            subnets: &[subnet_v4()],
            ports: &[port],
            ..Default::default()
        },
    )
}

#[test]
fn an_empty_database_gets_every_row_inserted_with_ports_inside_their_switch() {
    let actual: BTreeMap<String, neutrino_ovsdb::Rows> = BTreeMap::new();
    let plan = plan(&small_desired(), &actual, &Scope::Full);
    assert_eq!(ops_named(&plan, "insert"), 3);
    // An absence check for the switch and the DHCP options; the port's name is an index of the
    // schema, which refuses a second row by itself.
    assert_eq!(ops_named(&plan, "wait"), 2);
    assert_eq!(ops_named(&plan, "mutate"), 0);
    let switch = plan
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { table, row, .. } if table == "Logical_Switch" => Some(row),
            _ => None,
        })
        .unwrap();
    assert!(matches!(switch["ports"].atoms(), [Atom::NamedUuid(_)]));
    let lsp = plan
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { table, row, .. } if table == "Logical_Switch_Port" => Some(row),
            _ => None,
        })
        .unwrap();
    assert!(matches!(
        lsp["dhcpv4_options"].atoms(),
        [Atom::NamedUuid(_)]
    ));
    assert_eq!(lsp["dhcpv6_options"], Value::empty());
}

/// The database as it would hold `desired` after applying it.
pub(super) fn applied(desired: &Desired) -> BTreeMap<String, neutrino_ovsdb::Rows> {
    let mut db: BTreeMap<String, neutrino_ovsdb::Rows> = BTreeMap::new();
    let uuids: BTreeMap<RowId, Uuid> = desired
        .rows()
        .map(|r| (r.id.clone(), Uuid::new_v4()))
        .collect();
    for row in desired.rows() {
        let mut values = row.columns.clone();
        for (column, targets) in &row.refs {
            values.insert(
                column.clone(),
                Value::Set(targets.iter().map(|t| Atom::Uuid(uuids[t])).collect()),
            );
        }
        db.entry(row.id.table.to_owned())
            .or_default()
            .insert(uuids[&row.id], Arc::new(values));
    }
    for row in desired.rows() {
        if let Some(parent) = &row.parent {
            let column = crate::row::table_spec(row.id.table)
                .unwrap()
                .parent
                .unwrap()
                .1;
            let parent_row = db
                .get_mut(parent.table)
                .unwrap()
                .get_mut(&uuids[parent])
                .unwrap();
            let ports = Arc::make_mut(parent_row)
                .entry(column.into())
                .or_insert_with(Value::empty);
            if let Value::Set(atoms) = ports {
                atoms.push(Atom::Uuid(uuids[&row.id]));
            }
        }
    }
    db
}

#[test]
fn an_applied_state_plans_nothing_and_an_older_desired_revision_is_stale() {
    let desired = small_desired();
    let mut db = applied(&desired);
    assert!(plan(&desired, &db, &Scope::Full).is_empty());

    // The database moved on to revision 5 of the port; desired revision 1 must not overwrite it.
    let lsp = db
        .get_mut("Logical_Switch_Port")
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    Arc::make_mut(lsp).insert(
        "external_ids".into(),
        Value::map([
            ("neutron:revision_number", "5"),
            ("neutron:port_name", "newer"),
        ]),
    );
    let stale = plan(&desired, &db, &Scope::Full);
    assert!(stale.is_empty(), "{:?}", stale.operations);
    assert!(matches!(
        stale.changes.as_slice(),
        [Change::Stale {
            actual: 5,
            desired: 1,
            ..
        }]
    ));
}

#[test]
fn a_changed_column_is_one_update_or_mutate_after_a_revision_wait() {
    let desired = small_desired();
    let db = applied(&desired);
    let mut changed = desired.clone();
    let mut lsp = changed
        .table(table::LOGICAL_SWITCH_PORT)
        .next()
        .unwrap()
        .clone();
    lsp.set_strings("addresses", ["fa:16:3e:c3:1d:db 10.10.0.11"]);
    lsp.set("type", "localport");
    changed.insert(lsp);
    let plan = plan(&changed, &db, &Scope::Full);
    let names: Vec<&str> = plan.operations.iter().map(Operation::name).collect();
    assert_eq!(names, vec!["wait", "update", "mutate"]);
    match &plan.operations[2] {
        Operation::Mutate { mutations, .. } => {
            assert_eq!(mutations.len(), 2);
            assert!(mutations.iter().all(|m| m.column == "addresses"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&plan.changes[..], [Change::Update(_, cols)] if cols == &["addresses", "type"])
    );
}

#[test]
fn leftovers_are_removed_from_their_switch_only_in_scope() {
    let desired = small_desired();
    let db = applied(&desired);
    let mut fewer = desired.clone();
    fewer = {
        let mut d = Desired::new();
        d.extend(
            fewer
                .rows()
                .filter(|r| r.id.table != table::LOGICAL_SWITCH_PORT)
                .cloned(),
        );
        d
    };
    let full = plan(&fewer, &db, &Scope::Full);
    let names: Vec<&str> = full.operations.iter().map(Operation::name).collect();
    assert_eq!(
        names,
        vec!["wait", "mutate"],
        "unlinked from Logical_Switch.ports"
    );
    let other = RowId::new(table::LOGICAL_SWITCH_PORT, "someone-else");
    let narrow = plan(&fewer, &db, &Scope::Rows([other].into()));
    assert!(narrow.is_empty());
}

#[test]
fn a_port_of_a_missing_network_is_an_orphan_nothing_refers_to() {
    let mut desired = Desired::new();
    let subnets = subnets();
    let ports = vec![port_sg()];
    desired.insert(port_row(&ports[0], &PortContext::new(&subnets, &ports)));
    let mut group = NbRow::new(table::PORT_GROUP, "pg_x");
    group.reference(
        "ports",
        vec![RowId::new(table::LOGICAL_SWITCH_PORT, ports[0].id.clone())],
    );
    desired.insert(group);
    let actual: BTreeMap<String, neutrino_ovsdb::Rows> = BTreeMap::new();
    let plan = plan(&desired, &actual, &Scope::Full);
    assert!(plan.changes.contains(&Change::Orphan(RowId::new(
        table::LOGICAL_SWITCH_PORT,
        ports[0].id.clone()
    ))));
    let group_insert = plan
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { row, .. } => Some(row),
            _ => None,
        })
        .unwrap();
    assert_eq!(group_insert["ports"], Value::empty());
    assert_eq!(
        plan.changes[0].to_string(),
        format!(
            "skip Logical_Switch_Port {}: its parent row is missing",
            ports[0].id
        )
    );
}

/// What a whole-state cycle costs with many ports (`cargo test --release -p neutrino-ovn --
/// --ignored --nocapture whole_state`): the mapping, and a plan against a database that holds it.
#[test]
#[ignore]
fn whole_state_cost_with_ten_thousand_ports() {
    let ports: Vec<PortSpec> = (0..10_000u32)
        .map(|i| {
            let mut p = port_sg();
            p.id = format!("{i:08x}-0000-4000-8000-000000000000");
            p.mac_address = format!(
                "fa:16:3e:{:02x}:{:02x}:{:02x}",
                i >> 16,
                (i >> 8) & 255,
                i & 255
            );
            p.fixed_ips.truncate(1);
            p.fixed_ips[0].ip_address = std::net::IpAddr::from([10, 10, (i >> 8) as u8, i as u8]);
            p
        })
        .collect();
    let resources = Resources {
        networks: &[probe_net()],
        subnets: &[subnet_v4()],
        ports: &ports,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let desired = desired_state(&MappingConfig::default(), &resources);
    let mapped = started.elapsed();
    let db = applied(&desired);
    let started = std::time::Instant::now();
    let plan = plan(&desired, &db, &Scope::Full);
    let planned = started.elapsed();
    assert!(plan.is_empty());
    println!("10,000 ports: desired_state {mapped:?}, plan against an equal database {planned:?}");
}
