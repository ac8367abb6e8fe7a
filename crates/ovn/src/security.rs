//! Security groups → `Port_Group` `pg_<id>` with one stateful `ACL` per rule, and the drop group
//! `neutron_pg_drop` that every port with port security joins (its two ACLs drop what no group
//! allows). Ports with port security off join no group.
//!
//! Network logs set `log`, `name`, `severity` and `meter` on the ACLs of the groups they cover,
//! as upstream's OVN log driver does ([`AclLogs`]); the meter is `acl_log_meter`
//! ([`meter_rows`]).
//!
//! Two differences from upstream, both so a full compare recognises these rows as ours: every
//! Port_Group carries `neutron:revision_number` (and `neutron_pg_drop` the marker
//! `neutron:drop_group`), and the drop ACLs are keyed `neutron:security_group_rule_id` =
//! `neutron_pg_drop:<direction>`.

use std::collections::BTreeMap;

use ipnet::IpNet;
use neutrino_ovsdb::Atom;

use crate::input::{
    AddressGroupSpec, Direction, LogEvent, LogSpec, MappingConfig, PortSpec, Resources,
    SecurityGroupRuleSpec, SecurityGroupSpec,
};
use crate::row::{NbRow, REVISION_KEY, RowId, table};

pub const DROP_GROUP: &str = "neutron_pg_drop";
/// The external_ids key that identifies an ACL.
pub const RULE_KEY: &str = "neutron:security_group_rule_id";
/// Priorities upstream uses: allow rules above the drop group's.
pub const ALLOW_PRIORITY: i64 = 1002;
pub const DROP_PRIORITY: i64 = 1000;
/// The meter of ACL logs (upstream's default name, `[network_log] local_output_log_base` unset).
pub const LOG_METER: &str = "acl_log_meter";
/// The `external_ids` key that identifies the log meter's band (the name of its meter).
pub const METER_BAND_KEY: &str = "neutron:meter_name";
/// The `neutron:device_owner` of the log meter (neutron-lib's `LOGGING_PLUGIN`).
pub const LOGGING_PLUGIN: &str = "logging-plugin";

/// The ACL `name` of a network log's ACLs (upstream's `ovn_name`: `neutron-<id>`).
pub fn log_acl_name(log_id: &str) -> String {
    format!("neutron-{log_id}")
}

/// Which network log names the ACLs of each Port_Group, as upstream's OVN log driver chooses
/// them (`_pgs_from_log_obj`): a log of no group and no port covers every group (`ALL`), the
/// drop group (`DROP`) or every group but the drop group (`ACCEPT`); otherwise the drop group
/// when it logs drops, and, unless it logs only drops, its group or else its port's groups.
/// Disabled logs cover nothing; of several logs covering a group the oldest wins (upstream
/// skips ACLs another log already names).
#[derive(Clone, Debug, Default)]
pub struct AclLogs<'a> {
    by_group: BTreeMap<String, &'a LogSpec>,
}

impl<'a> AclLogs<'a> {
    /// `groups`: the ids of every security group; `port_groups`: the groups of a port.
    pub fn new<'g>(
        logs: &'a [LogSpec],
        groups: impl Iterator<Item = &'g str> + Clone,
        port_groups: impl Fn(&str) -> Vec<String>,
    ) -> AclLogs<'a> {
        let mut by_group = BTreeMap::new();
        for log in logs.iter().filter(|l| l.enabled) {
            let mut covered: Vec<String> = Vec::new();
            let every_group = || groups.clone().map(port_group_name);
            match (&log.resource_id, &log.target_id, log.event) {
                (None, None, LogEvent::All) => {
                    covered.push(DROP_GROUP.to_owned());
                    covered.extend(every_group());
                }
                (None, None, LogEvent::Drop) => covered.push(DROP_GROUP.to_owned()),
                (None, None, LogEvent::Accept) => covered.extend(every_group()),
                (resource, target, event) => {
                    if event != LogEvent::Accept {
                        covered.push(DROP_GROUP.to_owned());
                    }
                    if event != LogEvent::Drop {
                        match (resource, target) {
                            (Some(group), _) => covered.push(port_group_name(group)),
                            (None, Some(port)) => {
                                covered.extend(port_groups(port).iter().map(|g| port_group_name(g)))
                            }
                            (None, None) => {}
                        }
                    }
                }
            }
            for pg in covered {
                by_group.entry(pg).or_insert(log);
            }
        }
        AclLogs { by_group }
    }

    /// The log naming the ACLs of Port_Group `pg`, if any.
    pub fn of(&self, pg: &str) -> Option<&'a LogSpec> {
        self.by_group.get(pg).copied()
    }
}

/// The network logs of `resources` as [`AclLogs`].
fn acl_logs<'a>(resources: &Resources<'a>) -> AclLogs<'a> {
    AclLogs::new(
        resources.logs,
        resources.security_groups.iter().map(|g| g.id.as_str()),
        |port| {
            resources
                .ports
                .iter()
                .find(|p| p.id == port)
                .map(|p| p.security_groups.clone())
                .unwrap_or_default()
        },
    )
}

/// Sets an ACL's logging columns: logged by `log` (its name, the meter, severity `info`, and
/// `log` true when the log's event covers the ACL's action) or by none.
fn set_acl_log(row: &mut NbRow, action: &str, log: Option<&LogSpec>) {
    let Some(log) = log else {
        row.set("log", false)
            .set_optional("name", None)
            .set_optional("severity", None)
            .set_optional("meter", None);
        return;
    };
    let drops = action == "drop" || action == "reject";
    let logged = match log.event {
        LogEvent::All => true,
        LogEvent::Drop => drops,
        LogEvent::Accept => !drops,
    };
    row.set("log", logged)
        .set_optional("name", Some(Atom::String(log_acl_name(&log.id))))
        .set_optional("severity", Some(Atom::String("info".into())))
        .set_optional("meter", Some(Atom::String(LOG_METER.into())));
}

/// The meter ACL logs are limited by, while any network log exists (upstream creates it with
/// the first log and deletes it with the last): `pktps`, fair, one drop band of the configured
/// rate and burst.
pub fn meter_rows(config: &MappingConfig, logs: &[LogSpec]) -> Vec<NbRow> {
    if logs.is_empty() {
        return Vec::new();
    }
    let mut meter = NbRow::new(table::METER, LOG_METER);
    meter
        .set("unit", "pktps")
        .set_optional("fair", Some(Atom::Boolean(true)))
        .set_map(
            "external_ids",
            &strings([("neutron:device_owner", LOGGING_PLUGIN.to_owned())]),
        );
    let mut band = NbRow::new(table::METER_BAND, LOG_METER);
    band.set("action", "drop")
        .set("rate", config.log_rate_limit)
        .set("burst_size", config.log_burst_limit)
        .set_map(
            "external_ids",
            &strings([(METER_BAND_KEY, LOG_METER.to_owned())]),
        );
    band.parent = Some(RowId::new(table::METER, LOG_METER));
    vec![meter, band]
}

/// `pg_<id with - as _>`: a security group's Port_Group.
pub fn port_group_name(security_group_id: &str) -> String {
    format!("pg_{}", security_group_id.replace('-', "_"))
}

/// `ag_<id with - as _>_ip4` / `_ip6`: the Address_Set of an address group's addresses of one
/// IP version (`ip`: "ip4" or "ip6"), as upstream names it.
pub fn address_set_name(address_group_id: &str, ip: &str) -> String {
    format!("ag_{}_{ip}", address_group_id.replace('-', "_"))
}

/// An address group's two Address_Sets, one per IP version (both always there, as upstream's),
/// each with the group's addresses of that version.
pub fn address_set_rows(group: &AddressGroupSpec) -> Vec<NbRow> {
    ["ip4", "ip6"]
        .into_iter()
        .map(|ip| {
            let addresses = group
                .addresses
                .iter()
                .filter(|a| a.addr().is_ipv4() == (ip == "ip4"))
                .map(ToString::to_string);
            let mut row = NbRow::new(table::ADDRESS_SET, address_set_name(&group.id, ip));
            row.set_strings("addresses", addresses).set_map(
                "external_ids",
                &strings([
                    ("neutron:address_group_id", group.id.clone()),
                    (REVISION_KEY, group.revision_number.to_string()),
                ]),
            );
            row.revision = Some(group.revision_number);
            row
        })
        .collect()
}

/// Whether a port is filtered: a VIF (not a router or service port) with port security on.
pub fn is_filtered(port: &PortSpec) -> bool {
    port.port_security_enabled && !port.device_owner.starts_with("network:")
}

fn strings<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

struct AclSpec<'a> {
    key: String,
    parent: &'a str,
    direction: &'a str,
    priority: i64,
    action: &'a str,
    matches: String,
}

fn acl(spec: AclSpec<'_>, log: Option<&LogSpec>) -> NbRow {
    let mut row = NbRow::new(table::ACL, spec.key.clone());
    row.set("direction", spec.direction)
        .set("priority", spec.priority)
        .set("action", spec.action)
        .set("match", spec.matches)
        .set("label", 0_i64)
        .set_map("external_ids", &strings([(RULE_KEY, spec.key)]));
    set_acl_log(&mut row, spec.action, log);
    row.parent = Some(RowId::new(table::PORT_GROUP, spec.parent));
    row
}

/// The `match` of one rule's ACL.
pub fn rule_match(group: &str, rule: &SecurityGroupRuleSpec) -> String {
    let ip = if rule.ipv6 { "ip6" } else { "ip4" };
    let (port_side, remote_side) = match rule.direction {
        Direction::Ingress => (format!("outport == @{group}"), "src"),
        Direction::Egress => (format!("inport == @{group}"), "dst"),
    };
    let mut parts = vec![port_side, ip.to_owned()];
    if let Some(prefix) = rule.remote_ip_prefix {
        let prefix: IpNet = prefix.trunc();
        parts.push(format!("{ip}.{remote_side} == {prefix}"));
    } else if let Some(remote) = &rule.remote_group_id {
        parts.push(format!(
            "{ip}.{remote_side} == ${}_{ip}",
            port_group_name(remote)
        ));
    } else if let Some(remote) = &rule.remote_address_group_id {
        parts.push(format!(
            "{ip}.{remote_side} == ${}",
            address_set_name(remote, ip)
        ));
    }
    if let Some(protocol) = rule.protocol {
        // By number, as upstream does: `ip.proto` takes only a number ("vrrp" is 112).
        match protocol {
            transport @ (6 | 17 | 132) => {
                let name = match transport {
                    6 => "tcp",
                    17 => "udp",
                    _ => "sctp",
                };
                parts.push(name.to_owned());
                match (rule.port_range_min, rule.port_range_max) {
                    (Some(min), Some(max)) if min == max => {
                        parts.push(format!("{name}.dst == {min}"))
                    }
                    (Some(min), Some(max)) => {
                        parts.push(format!("{name}.dst >= {min} && {name}.dst <= {max}"));
                    }
                    (Some(min), None) => parts.push(format!("{name}.dst >= {min}")),
                    _ => {}
                }
            }
            1 | 58 => {
                let icmp = if rule.ipv6 { "icmp6" } else { "icmp4" };
                parts.push(icmp.to_owned());
                if let Some(kind) = rule.port_range_min {
                    parts.push(format!("{icmp}.type == {kind}"));
                    if let Some(code) = rule.port_range_max {
                        parts.push(format!("{icmp}.code == {code}"));
                    }
                }
            }
            number => parts.push(format!("ip.proto == {number}")),
        }
    }
    parts.join(" && ")
}

/// The Port_Groups and ACLs of the given security groups, the drop group when any port is
/// filtered, and the Address_Sets of the address groups. Members are the filtered ports listing
/// the group.
pub fn security_rows(resources: &Resources<'_>) -> Vec<NbRow> {
    let filtered: Vec<&PortSpec> = resources.ports.iter().filter(|p| is_filtered(p)).collect();
    let logs = acl_logs(resources);
    let mut rows = drop_group_rows(
        filtered.iter().map(|p| p.id.as_str()),
        !resources.security_groups.is_empty(),
        &logs,
    );
    for group in resources.security_groups {
        let members = filtered
            .iter()
            .filter(|p| p.security_groups.contains(&group.id))
            .map(|p| p.id.as_str());
        rows.extend(group_rows(group, members, &logs));
    }
    for group in resources.address_groups {
        rows.extend(address_set_rows(group));
    }
    rows
}

/// The drop group and its two ACLs, with the filtered ports as members; none when there are no
/// filtered ports and no security groups.
pub fn drop_group_rows<'a>(
    filtered: impl Iterator<Item = &'a str>,
    any_group: bool,
    logs: &AclLogs<'_>,
) -> Vec<NbRow> {
    let members = member_ids(filtered);
    if members.is_empty() && !any_group {
        return Vec::new();
    }
    let mut drop = NbRow::new(table::PORT_GROUP, DROP_GROUP);
    drop.set_map(
        "external_ids",
        &strings([("neutron:drop_group", "true".into())]),
    )
    .reference("ports", members);
    let mut rows = vec![drop];
    for (direction, port) in [("from-lport", "inport"), ("to-lport", "outport")] {
        rows.push(acl(
            AclSpec {
                key: format!("{DROP_GROUP}:{direction}"),
                parent: DROP_GROUP,
                direction,
                priority: DROP_PRIORITY,
                action: "drop",
                matches: format!("{port} == @{DROP_GROUP} && ip"),
            },
            logs.of(DROP_GROUP),
        ));
    }
    rows
}

fn member_ids<'a>(ports: impl Iterator<Item = &'a str>) -> Vec<RowId> {
    ports
        .map(|id| RowId::new(table::LOGICAL_SWITCH_PORT, id))
        .collect()
}

/// A security group's Port_Group, with the given ports (filtered ones, listing the group) as
/// members, and one ACL per rule.
pub fn group_rows<'a>(
    group: &SecurityGroupSpec,
    members: impl Iterator<Item = &'a str>,
    logs: &AclLogs<'_>,
) -> Vec<NbRow> {
    let name = port_group_name(&group.id);
    let mut pg = NbRow::new(table::PORT_GROUP, name.clone());
    pg.set_map(
        "external_ids",
        &strings([
            ("neutron:security_group_id", group.id.clone()),
            (REVISION_KEY, group.revision_number.to_string()),
        ]),
    )
    .reference("ports", member_ids(members));
    pg.revision = Some(group.revision_number);
    let action = if group.stateful {
        "allow-related"
    } else {
        "allow-stateless"
    };
    let mut rows = vec![pg];
    for rule in &group.rules {
        let direction = match rule.direction {
            Direction::Ingress => "to-lport",
            Direction::Egress => "from-lport",
        };
        rows.push(acl(
            AclSpec {
                key: rule.id.clone(),
                parent: &name,
                direction,
                priority: ALLOW_PRIORITY,
                action,
                matches: rule_match(&name, rule),
            },
            logs.of(&name),
        ));
    }
    rows
}
