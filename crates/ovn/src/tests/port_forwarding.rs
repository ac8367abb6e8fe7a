//! A floating IP's port forwardings → `Load_Balancer` rows on its router, as upstream's OVN
//! port forwarding driver writes them (`ovn-dumps/nb-Load_Balancer.txt`), and their removal.

use std::sync::Arc;

use super::*;

const FIP: &str = "1b2f458d-a50f-432f-b969-26d4a3b5c28d";

fn fip(pfs: Vec<PortForwardingSpec>) -> FloatingIpSpec {
    FloatingIpSpec {
        id: FIP.into(),
        revision_number: 3,
        floating_ip_address: "198.18.3.228".parse().unwrap(),
        floating_network_id: "45d0d069-0983-4fad-a44b-73359fc58289".into(),
        floating_port_mac: "fa:16:3e:19:49:c5".into(),
        router_id: Some(ROUTER.into()),
        port_id: None,
        fixed_ip_address: None,
        port_forwardings: pfs,
    }
}

fn pf(protocol: &str, ip: &str, external: (u16, u16), internal: (u16, u16)) -> PortForwardingSpec {
    PortForwardingSpec {
        protocol: protocol.into(),
        internal_ip: ip.parse().unwrap(),
        external,
        internal,
    }
}

#[test]
fn a_forwarding_is_a_load_balancer_as_upstream_writes_it() {
    let rows = crate::nat::port_forwarding_rows(&fip(vec![pf(
        "tcp",
        "10.10.0.185",
        (8080, 8080),
        (80, 80),
    )]));
    let [lb] = rows.as_slice() else {
        panic!("{rows:?}");
    };
    assert_eq!(
        lb.string("name"),
        Some(format!("pf-floatingip-{FIP}-tcp").as_str())
    );
    assert_eq!(lb.strings("protocol"), ["tcp"]);
    assert_eq!(
        map(lb, "vips"),
        expect_map(&[("198.18.3.228:8080", "10.10.0.185:80")])
    );
    assert_eq!(
        map(lb, "external_ids"),
        expect_map(&[
            ("neutron:device_owner", "port_forwarding_plugin"),
            ("neutron:fip_id", FIP),
            ("neutron:revision_number", "3"),
            ("neutron:router_name", &format!("neutron-{ROUTER}")),
        ])
    );
    assert_eq!(
        lb.parent,
        Some(RowId::new(
            table::LOGICAL_ROUTER,
            format!("neutron-{ROUTER}")
        ))
    );
    assert_eq!(lb.revision, Some(3));
}

#[test]
fn one_balancer_per_protocol_and_one_per_port_of_a_range() {
    let rows = crate::nat::port_forwarding_rows(&fip(vec![
        pf("tcp", "10.10.0.5", (22, 22), (22, 22)),
        pf("tcp", "10.10.0.6", (2222, 2222), (22, 22)),
        pf("udp", "10.10.0.5", (53, 53), (53, 53)),
        pf("udp", "10.10.0.7", (1000, 1001), (2000, 2001)),
        pf("tcp", "10.10.0.8", (3000, 3001), (80, 80)),
    ]));
    let named: BTreeMap<&str, BTreeMap<String, String>> = rows
        .iter()
        .map(|r| (r.string("name").unwrap(), map(r, "vips")))
        .collect();
    let name = |suffix: &str| format!("pf-floatingip-{FIP}-{suffix}");
    assert_eq!(named.len(), 6, "{named:?}");
    assert_eq!(
        named[name("tcp").as_str()],
        expect_map(&[
            ("198.18.3.228:22", "10.10.0.5:22"),
            ("198.18.3.228:2222", "10.10.0.6:22")
        ])
    );
    assert_eq!(
        named[name("udp-1001").as_str()],
        expect_map(&[("198.18.3.228:1001", "10.10.0.7:2001")])
    );
    assert_eq!(
        named[name("tcp-3001").as_str()],
        expect_map(&[("198.18.3.228:3001", "10.10.0.8:80")])
    );
}

#[test]
fn no_router_or_an_association_means_no_balancer() {
    let mut f = fip(vec![pf("tcp", "10.10.0.5", (22, 22), (22, 22))]);
    f.router_id = None;
    assert!(crate::nat::port_forwarding_rows(&f).is_empty());
    assert!(crate::nat::port_forwarding_rows(&fip(vec![])).is_empty());
}

/// A balancer that is no longer desired is taken off its router and deleted (the schema keeps
/// unreferenced balancers); one without upstream's port forwarding mark (Octavia's) is never
/// touched.
#[test]
fn a_gone_forwarding_is_unlinked_and_deleted_and_others_balancers_stay() {
    let router = RouterSpec {
        id: ROUTER.into(),
        name: "r".into(),
        revision_number: 1,
        admin_state_up: true,
        availability_zone_hints: vec![],
        enable_snat: true,
        routes: vec![],
        ..Default::default()
    };
    let with = desired_state(
        &MappingConfig::default(),
        &Resources {
            routers: std::slice::from_ref(&router),
            floating_ips: &[fip(vec![pf("tcp", "10.10.0.185", (8080, 8080), (80, 80))])],
            ..Default::default()
        },
    );
    // Inserted inside the router's `load_balancer`.
    let empty: BTreeMap<String, neutrino_ovsdb::Rows> = BTreeMap::new();
    let first = plan(&with, &empty, &Scope::Full);
    assert!(first.changes.contains(&Change::Insert(RowId::new(
        table::LOAD_BALANCER,
        format!("pf-floatingip-{FIP}-tcp")
    ))));
    let router_insert = first
        .operations
        .iter()
        .find_map(|o| match o {
            Operation::Insert { table, row, .. } if table == "Logical_Router" => Some(row),
            _ => None,
        })
        .unwrap();
    assert!(matches!(
        router_insert["load_balancer"].atoms(),
        [Atom::NamedUuid(_)]
    ));
    // The database after that, plus an Octavia balancer on the same router.
    let lb_uuid = Uuid::new_v4();
    let octavia = Uuid::new_v4();
    let router_uuid = Uuid::new_v4();
    let mut db: BTreeMap<String, neutrino_ovsdb::Rows> = BTreeMap::new();
    for row in with.rows() {
        let uuid = if row.id.table == table::LOAD_BALANCER {
            lb_uuid
        } else {
            router_uuid
        };
        db.entry(row.id.table.to_owned())
            .or_default()
            .insert(uuid, Arc::new(row.columns.clone()));
    }
    let mut other = Row::new();
    other.insert("name".into(), Value::from("lb-octavia"));
    other.insert(
        "external_ids".into(),
        Value::map([("neutron:vip", "10.0.0.9"), ("octavia:name", "x")]),
    );
    db.get_mut("Load_Balancer")
        .unwrap()
        .insert(octavia, Arc::new(other));
    let router_row = db
        .get_mut("Logical_Router")
        .unwrap()
        .get_mut(&router_uuid)
        .unwrap();
    Arc::make_mut(router_row).insert(
        "load_balancer".into(),
        Value::Set(vec![Atom::Uuid(lb_uuid), Atom::Uuid(octavia)]),
    );
    assert!(plan(&with, &db, &Scope::Full).operations.is_empty());
    let without = desired_state(
        &MappingConfig::default(),
        &Resources {
            routers: std::slice::from_ref(&router),
            floating_ips: &[fip(vec![])],
            ..Default::default()
        },
    );
    let gone = plan(&without, &db, &Scope::Full);
    assert_eq!(
        gone.changes,
        [Change::Delete(RowId::new(
            table::LOAD_BALANCER,
            format!("pf-floatingip-{FIP}-tcp")
        ))]
    );
    let deletes: Vec<&Operation> = gone
        .operations
        .iter()
        .filter(|o| o.name() == "delete" || o.name() == "mutate")
        .collect();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    let text = format!("{deletes:?}");
    assert!(text.contains(&lb_uuid.to_string()) && !text.contains(&octavia.to_string()));
}
