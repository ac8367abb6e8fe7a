//! QoS rows against the one upstream wrote for probe-port-sg (`nb-QoS.txt`: a 10000 kbit/s
//! egress limit with a 1000 kbit burst), and which policy a port takes.

use super::*;
use crate::qos::{port_qos_rows, qos_rows};

const POLICY: &str = "e2be4257-9af4-4f2e-bb58-13063ebea371";

fn limit(direction: Direction, max_kbps: i64, max_burst_kbps: i64) -> QosRuleSpec {
    QosRuleSpec::BandwidthLimit {
        direction,
        max_kbps,
        max_burst_kbps,
    }
}

fn policy(rules: Vec<QosRuleSpec>) -> QosPolicySpec {
    QosPolicySpec {
        id: POLICY.into(),
        rules,
    }
}

fn int_map(row: &NbRow, column: &str) -> Vec<(String, i64)> {
    row.columns[column]
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| {
            let Atom::Integer(i) = v else { panic!("{v:?}") };
            (k.as_str().unwrap().to_owned(), *i)
        })
        .collect()
}

#[test]
fn an_egress_limit_is_upstreams_row() {
    let port = port_sg();
    let rows = port_qos_rows(
        &port,
        Some(&policy(vec![limit(Direction::Egress, 10000, 1000)])),
    );
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.id.table, "QoS");
    assert_eq!(
        row.string("match"),
        Some("inport == \"d3d6fd22-39aa-43fe-9c80-5e00db573640\"")
    );
    assert_eq!(row.string("direction"), Some("from-lport"));
    assert_eq!(row.columns["priority"], Value::Atom(Atom::Integer(2002)));
    let mut bandwidth = int_map(row, "bandwidth");
    bandwidth.sort();
    assert_eq!(
        bandwidth,
        [("burst".to_owned(), 1000), ("rate".to_owned(), 10000)]
    );
    assert!(int_map(row, "action").is_empty());
    assert_eq!(
        map(row, "external_ids"),
        expect_map(&[("neutron:port_id", "d3d6fd22-39aa-43fe-9c80-5e00db573640")])
    );
    assert_eq!(
        row.parent,
        Some(RowId::new(table::LOGICAL_SWITCH, switch_name(NET)))
    );
}

#[test]
fn ingress_limits_match_the_outport_and_dscp_marks_egress() {
    let port = port_sg();
    let rows = port_qos_rows(
        &port,
        Some(&policy(vec![
            limit(Direction::Ingress, 2000, 0),
            QosRuleSpec::DscpMarking { dscp_mark: 26 },
        ])),
    );
    assert_eq!(rows.len(), 2);
    let egress = rows
        .iter()
        .find(|r| r.string("direction") == Some("from-lport"))
        .unwrap();
    assert!(int_map(egress, "bandwidth").is_empty());
    assert_eq!(int_map(egress, "action"), [("dscp".to_owned(), 26)]);
    let ingress = rows
        .iter()
        .find(|r| r.string("direction") == Some("to-lport"))
        .unwrap();
    assert_eq!(
        ingress.string("match"),
        Some("outport == \"d3d6fd22-39aa-43fe-9c80-5e00db573640\"")
    );
    // No burst without one in the rule.
    assert_eq!(int_map(ingress, "bandwidth"), [("rate".to_owned(), 2000)]);
    // A policy with nothing OVN realises writes nothing.
    assert!(port_qos_rows(&port, Some(&policy(vec![]))).is_empty());
}

#[test]
fn ports_take_their_own_policy_else_their_networks_but_network_devices_none() {
    let mut net = probe_net();
    net.qos_policy_id = Some(POLICY.into());
    let mut own = port_aap();
    own.qos_policy_id = Some("other".into());
    let inherits = port_sg();
    let mut router_port = port(
        "a1",
        "rp",
        "fa:16:3e:00:00:09",
        "10.10.0.1",
        "2001:db8:10::1",
    );
    router_port.device_owner = "network:router_interface".into();
    let policies = [
        policy(vec![limit(Direction::Egress, 1000, 0)]),
        QosPolicySpec {
            id: "other".into(),
            rules: vec![limit(Direction::Egress, 500, 0)],
        },
    ];
    let ports = [own.clone(), inherits.clone(), router_port];
    let resources = Resources {
        networks: std::slice::from_ref(&net),
        subnets: &subnets(),
        ports: &ports,
        qos_policies: &policies,
        ..Default::default()
    };
    let rows = qos_rows(&resources);
    let rates: BTreeMap<String, i64> = rows
        .iter()
        .map(|r| {
            (
                map(r, "external_ids")["neutron:port_id"].clone(),
                int_map(r, "bandwidth")[0].1,
            )
        })
        .collect();
    assert_eq!(
        rates,
        BTreeMap::from([(own.id.clone(), 500), (inherits.id.clone(), 1000)])
    );

    // In the whole desired state, applied, a second plan has nothing to do; without the policy
    // the rows go.
    let desired = desired_state(&MappingConfig::default(), &resources);
    assert_eq!(desired.table(table::QOS).count(), 2);
    let db = super::plan::applied(&desired);
    assert!(plan(&desired, &db, &Scope::Full).is_empty());
    let without = desired_state(
        &MappingConfig::default(),
        &Resources {
            qos_policies: &[],
            ..resources
        },
    );
    let change = plan(&without, &db, &Scope::Full);
    let deletes = change
        .operations
        .iter()
        .filter(|o| matches!(o, Operation::Mutate { table, .. } if table == "Logical_Switch"))
        .count();
    assert_eq!(deletes, 1, "{:?}", change.operations);
}
