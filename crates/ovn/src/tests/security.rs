//! Security groups against the rows upstream wrote.

use super::*;

const SG: &str = "c282720b-2cfc-401d-9cd6-95d06f658e4e";
const PG: &str = "pg_c282720b_2cfc_401d_9cd6_95d06f658e4e";

fn rule(direction: Direction, ipv6: bool) -> SecurityGroupRuleSpec {
    SecurityGroupRuleSpec {
        id: "06c2f473-41e5-4bbe-a469-ea859c235ebb".into(),
        direction,
        ipv6,
        protocol: None,
        port_range_min: None,
        port_range_max: None,
        remote_ip_prefix: None,
        remote_group_id: None,
        remote_address_group_id: None,
    }
}

#[test]
fn rule_matches_as_upstream_writes_them() {
    use crate::security::rule_match;
    assert_eq!(
        rule_match(PG, &rule(Direction::Egress, false)),
        format!("inport == @{PG} && ip4")
    );
    assert_eq!(
        rule_match(PG, &rule(Direction::Egress, true)),
        format!("inport == @{PG} && ip6")
    );
    let mut ssh = rule(Direction::Ingress, false);
    ssh.protocol = Some(6);
    ssh.port_range_min = Some(22);
    ssh.port_range_max = Some(22);
    ssh.remote_ip_prefix = Some("0.0.0.0/0".parse().unwrap());
    assert_eq!(
        rule_match(PG, &ssh),
        format!("outport == @{PG} && ip4 && ip4.src == 0.0.0.0/0 && tcp && tcp.dst == 22")
    );
    let mut range = ssh.clone();
    range.remote_ip_prefix = None;
    range.remote_group_id = Some(SG.into());
    range.port_range_min = Some(8000);
    range.port_range_max = Some(8080);
    assert_eq!(
        rule_match(PG, &range),
        format!(
            "outport == @{PG} && ip4 && ip4.src == ${PG}_ip4 && tcp && tcp.dst >= 8000 && tcp.dst <= 8080"
        )
    );
    let mut icmp = rule(Direction::Ingress, false);
    icmp.protocol = Some(1);
    icmp.remote_ip_prefix = Some("0.0.0.0/0".parse().unwrap());
    assert_eq!(
        rule_match(PG, &icmp),
        format!("outport == @{PG} && ip4 && ip4.src == 0.0.0.0/0 && icmp4")
    );
    let mut dns = rule(Direction::Ingress, false);
    dns.protocol = Some(17);
    dns.port_range_min = Some(53);
    dns.port_range_max = Some(53);
    dns.remote_address_group_id = Some("51bc0ef2-7140-4357-82dd-e12d86fa89a1".into());
    assert_eq!(
        rule_match(PG, &dns),
        format!(
            "outport == @{PG} && ip4 && ip4.src == $ag_51bc0ef2_7140_4357_82dd_e12d86fa89a1_ip4 && udp && udp.dst == 53"
        )
    );
    let mut icmp6 = rule(Direction::Egress, true);
    icmp6.protocol = Some(58);
    icmp6.remote_ip_prefix = Some("2001:db8::1/64".parse().unwrap());
    assert_eq!(
        rule_match(PG, &icmp6),
        format!("inport == @{PG} && ip6 && ip6.dst == 2001:db8::/64 && icmp6")
    );
}

#[test]
fn security_groups_are_port_groups_with_acls_and_the_drop_group() {
    let mut nosec = port_aap();
    nosec.id = "724ad2ea-6f82-40d3-8660-2abad64ba54c".into();
    nosec.port_security_enabled = false;
    nosec.security_groups = vec![];
    let ports = vec![port_sg(), port_aap(), nosec];
    let mut stateless = rule(Direction::Ingress, false);
    stateless.id = "rule-2".into();
    let groups = vec![SecurityGroupSpec {
        id: SG.into(),
        revision_number: 3,
        stateful: true,
        rules: vec![rule(Direction::Egress, false)],
    }];
    let resources = Resources {
        ports: &ports,
        security_groups: &groups,
        ..Default::default()
    };
    let rows = crate::security::security_rows(&resources);
    let [drop, drop_out, drop_in, pg, acl] = rows.as_slice() else {
        panic!("{rows:?}");
    };
    assert_eq!(drop.string("name"), Some("neutron_pg_drop"));
    let lsp = |id: &str| RowId::new(table::LOGICAL_SWITCH_PORT, id);
    assert_eq!(
        drop.refs["ports"],
        vec![
            lsp("d3d6fd22-39aa-43fe-9c80-5e00db573640"),
            lsp("6bb31cd8-5a78-4478-be3a-647ad63efced")
        ],
        "port security off: in no group"
    );
    assert_eq!(
        drop_out.string("match"),
        Some("inport == @neutron_pg_drop && ip")
    );
    assert_eq!(drop_out.string("action"), Some("drop"));
    assert_eq!(
        drop_out.columns["priority"],
        Value::Atom(Atom::Integer(1000))
    );
    assert_eq!(drop_in.string("direction"), Some("to-lport"));
    assert_eq!(
        drop_in.string("match"),
        Some("outport == @neutron_pg_drop && ip")
    );
    assert_eq!(pg.string("name"), Some(PG));
    assert_eq!(
        map(pg, "external_ids"),
        expect_map(&[
            ("neutron:revision_number", "3"),
            ("neutron:security_group_id", SG)
        ])
    );
    assert_eq!(
        pg.refs["ports"],
        vec![lsp("d3d6fd22-39aa-43fe-9c80-5e00db573640")]
    );
    assert_eq!(
        acl.id,
        RowId::new(table::ACL, "06c2f473-41e5-4bbe-a469-ea859c235ebb")
    );
    assert_eq!(acl.parent, Some(pg.id.clone()));
    assert_eq!(acl.string("direction"), Some("from-lport"));
    assert_eq!(acl.string("action"), Some("allow-related"));
    assert_eq!(acl.columns["priority"], Value::Atom(Atom::Integer(1002)));
    assert_eq!(acl.columns["log"], Value::Atom(Atom::Boolean(false)));
    assert_eq!(acl.columns["label"], Value::Atom(Atom::Integer(0)));
    assert_eq!(
        map(acl, "external_ids"),
        expect_map(&[(
            "neutron:security_group_rule_id",
            "06c2f473-41e5-4bbe-a469-ea859c235ebb"
        )])
    );
}

#[test]
fn other_protocols_match_by_number_as_upstream_writes_them() {
    use crate::security::rule_match;
    // OVN's `ip.proto` takes a number only: VRRP (as keepalived's users allow it) is 112.
    let mut vrrp = rule(Direction::Ingress, false);
    vrrp.protocol = Some(112);
    vrrp.remote_group_id = Some(SG.into());
    assert_eq!(
        rule_match(PG, &vrrp),
        format!("outport == @{PG} && ip4 && ip4.src == ${PG}_ip4 && ip.proto == 112")
    );
    for number in [47, 51, 136] {
        let mut r = rule(Direction::Egress, false);
        r.protocol = Some(number);
        assert_eq!(
            rule_match(PG, &r),
            format!("inport == @{PG} && ip4 && ip.proto == {number}")
        );
    }
    // TCP, UDP, SCTP and ICMP keep their fields.
    for (number, name) in [(6, "tcp"), (17, "udp"), (132, "sctp")] {
        let mut r = rule(Direction::Ingress, false);
        r.protocol = Some(number);
        r.port_range_min = Some(5000);
        r.port_range_max = Some(5000);
        assert_eq!(
            rule_match(PG, &r),
            format!("outport == @{PG} && ip4 && {name} && {name}.dst == 5000")
        );
    }
    for (ipv6, icmp) in [(false, "icmp4"), (true, "icmp6")] {
        let mut r = rule(Direction::Ingress, ipv6);
        r.protocol = Some(if ipv6 { 58 } else { 1 });
        let ip = if ipv6 { "ip6" } else { "ip4" };
        assert_eq!(
            rule_match(PG, &r),
            format!("outport == @{PG} && {ip} && {icmp}")
        );
    }
}

#[test]
fn address_groups_are_two_address_sets_as_upstream_writes_them() {
    use crate::input::AddressGroupSpec;
    let ag = AddressGroupSpec {
        id: "51bc0ef2-7140-4357-82dd-e12d86fa89a1".into(),
        revision_number: 2,
        addresses: vec![
            "192.0.2.10/32".parse().unwrap(),
            "192.0.2.128/25".parse().unwrap(),
            "2001:db8::/64".parse().unwrap(),
        ],
    };
    let resources = Resources {
        address_groups: std::slice::from_ref(&ag),
        ..Default::default()
    };
    let desired = desired_state(&MappingConfig::default(), &resources);
    let sets: Vec<&NbRow> = desired.table(table::ADDRESS_SET).collect();
    let names: Vec<&str> = sets.iter().map(|r| r.id.key.as_str()).collect();
    assert_eq!(
        names,
        [
            "ag_51bc0ef2_7140_4357_82dd_e12d86fa89a1_ip4",
            "ag_51bc0ef2_7140_4357_82dd_e12d86fa89a1_ip6"
        ]
    );
    assert_eq!(
        sets[0].strings("addresses"),
        ["192.0.2.10/32", "192.0.2.128/25"]
    );
    assert_eq!(sets[1].strings("addresses"), ["2001:db8::/64"]);
    for set in &sets {
        assert_eq!(
            set.map_entry("external_ids", "neutron:address_group_id"),
            Some(ag.id.as_str())
        );
        assert_eq!(
            set.map_entry("external_ids", "neutron:revision_number"),
            Some("2")
        );
    }
    let ids: Vec<RowId> = sets.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        crate::row::rows_of(crate::row::Kind::AddressGroup, &ag.id),
        ids
    );
}

fn log(id: &str, event: LogEvent, resource: Option<&str>, target: Option<&str>) -> LogSpec {
    LogSpec {
        id: id.into(),
        event,
        enabled: true,
        resource_id: resource.map(Into::into),
        target_id: target.map(Into::into),
    }
}

/// (name, log) of each ACL of the security rows, by its key.
fn acl_logging(
    groups: &[SecurityGroupSpec],
    ports: &[PortSpec],
    logs: &[LogSpec],
) -> Vec<(String, Option<String>, bool)> {
    let resources = Resources {
        ports,
        security_groups: groups,
        logs,
        ..Default::default()
    };
    crate::security::security_rows(&resources)
        .into_iter()
        .filter(|r| r.id.table == table::ACL)
        .map(|r| {
            let name = r.strings("name").first().map(|s| (*s).to_owned());
            let logged = r.columns["log"] == Value::Atom(Atom::Boolean(true));
            if name.is_some() {
                assert_eq!(r.strings("severity"), ["info"]);
                assert_eq!(r.strings("meter"), ["acl_log_meter"]);
            } else {
                assert!(r.strings("severity").is_empty() && r.strings("meter").is_empty());
            }
            (r.id.key, name, logged)
        })
        .collect()
}

#[test]
fn network_logs_name_the_acls_of_the_groups_they_cover_as_upstreams_driver() {
    let ports = vec![port_sg()];
    let other = "5f0e2c3a-0000-4000-8000-000000000001";
    let mut other_rule = rule(Direction::Ingress, false);
    other_rule.id = "rule-other".into();
    let groups = vec![
        SecurityGroupSpec {
            id: SG.into(),
            revision_number: 1,
            stateful: true,
            rules: vec![rule(Direction::Egress, false)],
        },
        SecurityGroupSpec {
            id: other.into(),
            revision_number: 1,
            stateful: false,
            rules: vec![other_rule],
        },
    ];
    let rule_id = "06c2f473-41e5-4bbe-a469-ea859c235ebb";
    let drops = ["neutron_pg_drop:from-lport", "neutron_pg_drop:to-lport"];
    let of = |logging: &[(String, Option<String>, bool)], key: &str| {
        logging
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, n, l)| (n.clone(), *l))
            .unwrap()
    };
    let named = |id: &str, logged: bool| (Some(format!("neutron-{id}")), logged);
    let none = (None, false);

    // No log: nothing is logged.
    let logging = acl_logging(&groups, &ports, &[]);
    assert!(
        logging.iter().all(|(_, n, l)| n.is_none() && !l),
        "{logging:?}"
    );

    // ALL of one group: its ACLs and the drop ACLs, every one logged.
    let all = [log("l-all", LogEvent::All, Some(SG), None)];
    let logging = acl_logging(&groups, &ports, &all);
    assert_eq!(of(&logging, rule_id), named("l-all", true));
    assert_eq!(of(&logging, drops[0]), named("l-all", true));
    assert_eq!(of(&logging, drops[1]), named("l-all", true));
    assert_eq!(of(&logging, "rule-other"), none);

    // ACCEPT of every group: the allow ACLs (stateless too), not the drop group.
    let accept = [log("l-acc", LogEvent::Accept, None, None)];
    let logging = acl_logging(&groups, &ports, &accept);
    assert_eq!(of(&logging, rule_id), named("l-acc", true));
    assert_eq!(of(&logging, "rule-other"), named("l-acc", true));
    assert_eq!(of(&logging, drops[0]), none);

    // DROP of a group: only the drop group.
    let drop = [log("l-drop", LogEvent::Drop, Some(SG), None)];
    let logging = acl_logging(&groups, &ports, &drop);
    assert_eq!(of(&logging, drops[1]), named("l-drop", true));
    assert_eq!(of(&logging, rule_id), none);

    // ACCEPT of a port: the groups of the port.
    let by_port = [log("l-port", LogEvent::Accept, None, Some(&port_sg().id))];
    let logging = acl_logging(&groups, &ports, &by_port);
    assert_eq!(port_sg().security_groups, vec![SG.to_string()]);
    assert_eq!(of(&logging, rule_id), named("l-port", true));
    assert_eq!(of(&logging, "rule-other"), none);
    assert_eq!(of(&logging, drops[0]), none);

    // The older of two logs names a group's ACLs; the drop group, which only the newer
    // covers, is the newer's.
    let both = [
        log("l-old", LogEvent::Accept, None, None),
        log("l-new", LogEvent::All, None, None),
    ];
    let logging = acl_logging(&groups, &ports, &both);
    assert_eq!(of(&logging, rule_id), named("l-old", true));
    assert_eq!(of(&logging, drops[0]), named("l-new", true));

    // A disabled log covers nothing.
    let mut disabled = log("l-off", LogEvent::All, None, None);
    disabled.enabled = false;
    let logging = acl_logging(&groups, &ports, &[disabled]);
    assert!(
        logging.iter().all(|(_, n, l)| n.is_none() && !l),
        "{logging:?}"
    );
}

#[test]
fn the_log_meter_exists_while_any_log_does() {
    let config = MappingConfig {
        log_rate_limit: 150,
        log_burst_limit: 30,
        ..MappingConfig::default()
    };
    assert!(crate::security::meter_rows(&config, &[]).is_empty());
    let logs = [log("l", LogEvent::All, None, None)];
    let rows = crate::security::meter_rows(&config, &logs);
    let [meter, band] = rows.as_slice() else {
        panic!("{rows:?}");
    };
    assert_eq!(meter.id, RowId::new(table::METER, "acl_log_meter"));
    assert_eq!(meter.string("unit"), Some("pktps"));
    assert_eq!(meter.columns["fair"], Value::Set(vec![Atom::Boolean(true)]));
    assert_eq!(
        meter.map_entry("external_ids", "neutron:device_owner"),
        Some("logging-plugin")
    );
    assert_eq!(band.parent, Some(meter.id.clone()));
    assert_eq!(band.string("action"), Some("drop"));
    assert_eq!(band.columns["rate"], Value::Atom(Atom::Integer(150)));
    assert_eq!(band.columns["burst_size"], Value::Atom(Atom::Integer(30)));
}
