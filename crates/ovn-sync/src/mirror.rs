//! The store's resources as the mapping reads them: the stored documents turned into
//! `neutrino_ovn` specs, kept by id, loaded whole at start and refreshed one resource at a time
//! as the change feed names them.
//!
//! Only the attributes that reach OVN are read, with their own small serde structs: the back end
//! depends on the stored document format (the API's), not on the rules crate.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use neutrino_ovn::security::{AclLogs, drop_group_rows, group_rows, is_filtered};
use neutrino_ovn::{
    AddressGroupSpec, AddressPair, Desired, Direction, FixedIp, FloatingIpSpec, GatewayChassis,
    HostRoute, Ipv6AddressMode, Kind, LogEvent, LogSpec, MappingConfig, Members, NbRow,
    NetworkSpec, PortContext, PortForwardingSpec, PortSpec, QosPolicySpec, QosRuleSpec, Resources,
    RouterSpec, RowId, SecurityGroupRuleSpec, SecurityGroupSpec, SubnetSpec, TrunkParent,
    network_rows, port_row, qos, rows_of, subnet_row,
};
use neutrino_store::{
    Selection, StoreError, Table, Tx, get_doc, list_docs, revisions, schedules, tables,
};
use serde::Deserialize;

/// The kinds of resource the back end maps.
const KINDS: [Kind; 8] = [
    Kind::Network,
    Kind::Subnet,
    Kind::Port,
    Kind::Router,
    Kind::FloatingIp,
    Kind::SecurityGroup,
    Kind::SecurityGroupRule,
    Kind::AddressGroup,
];

/// The table a kind's resources are stored in.
fn table(kind: Kind) -> Table {
    match kind {
        Kind::Network => tables::NETWORKS,
        Kind::Subnet => tables::SUBNETS,
        Kind::Port => tables::PORTS,
        Kind::Router => tables::ROUTERS,
        Kind::FloatingIp => tables::FLOATINGIPS,
        Kind::SecurityGroup => tables::SECURITY_GROUPS,
        Kind::SecurityGroupRule => tables::SECURITY_GROUP_RULES,
        Kind::AddressGroup => tables::ADDRESS_GROUPS,
    }
}

/// The kind of an outbox entry, if the back end maps it.
fn kind_of_change(kind: &str) -> Option<Kind> {
    KINDS.into_iter().find(|k| table(*k).kind == Some(kind))
}

/// Every mapped resource, by id.
#[derive(Clone, Debug, Default)]
pub struct Mirror {
    networks: BTreeMap<String, NetworkSpec>,
    subnets: BTreeMap<String, SubnetSpec>,
    ports: BTreeMap<String, PortSpec>,
    routers: BTreeMap<String, RouterSpec>,
    floating_ips: BTreeMap<String, FloatingIpDoc>,
    groups: BTreeMap<String, GroupDoc>,
    rules: BTreeMap<String, RuleDoc>,
    address_groups: BTreeMap<String, AddressGroupSpec>,
    qos_policies: BTreeMap<String, QosPolicySpec>,
    logs: BTreeMap<String, LogDoc>,
    touched: Touched,
}

/// What the refreshes since the last [`Mirror::take_touched`] changed, so that the reconciler can
/// plan only the rows a batch of changes to instance ports can touch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Instance ports created, changed or deleted that no other row depends on: no allowed
    /// address pairs (other ports' `virtual` rows), no floating IP (NAT rows), not a router or
    /// service port — before and after the change.
    pub ports: BTreeSet<String>,
    /// The security groups those ports are or were members of.
    pub groups: BTreeSet<String>,
    /// Networks and subnets created, changed or deleted that no port is on (a new network and
    /// its first subnet): their own rows are all they change.
    pub networks: BTreeSet<String>,
    pub subnets: BTreeSet<String>,
    /// Anything else changed: only a plan of everything is sure to cover it.
    pub everything: bool,
}

impl Touched {
    /// Adds what `other` touched.
    pub fn merge(&mut self, other: Touched) {
        self.ports.extend(other.ports);
        self.groups.extend(other.groups);
        self.networks.extend(other.networks);
        self.subnets.extend(other.subnets);
        self.everything |= other.everything;
    }
}

/// The specs of a [`Mirror`] in the slices [`Resources`] lends.
#[derive(Clone, Debug, Default)]
pub struct Specs {
    pub networks: Vec<NetworkSpec>,
    pub subnets: Vec<SubnetSpec>,
    pub ports: Vec<PortSpec>,
    pub routers: Vec<RouterSpec>,
    pub security_groups: Vec<SecurityGroupSpec>,
    pub address_groups: Vec<AddressGroupSpec>,
    pub floating_ips: Vec<FloatingIpSpec>,
    pub gateway_chassis: Vec<GatewayChassis>,
    pub qos_policies: Vec<QosPolicySpec>,
    /// Oldest first.
    pub logs: Vec<LogSpec>,
}

impl Specs {
    pub fn resources(&self) -> Resources<'_> {
        Resources {
            networks: &self.networks,
            subnets: &self.subnets,
            ports: &self.ports,
            routers: &self.routers,
            security_groups: &self.security_groups,
            address_groups: &self.address_groups,
            floating_ips: &self.floating_ips,
            gateway_chassis: &self.gateway_chassis,
            qos_policies: &self.qos_policies,
            logs: &self.logs,
        }
    }
}

impl Mirror {
    /// Reads every mapped resource.
    pub fn load(tx: &Tx) -> Result<Mirror, StoreError> {
        let mut mirror = Mirror::default();
        for kind in KINDS {
            for (id, _, doc) in revisions(tx, table(kind))? {
                mirror.put(kind, &id, Some(&doc));
            }
        }
        mirror.read_port_forwardings(tx, Selection::all())?;
        for (id, schedule) in schedules::schedules(tx)? {
            if let Some(router) = mirror.routers.get_mut(&id) {
                router.gateway_schedule = Some(schedule);
            }
        }
        for (id, _, _) in revisions(tx, tables::QOS_POLICIES)? {
            mirror
                .qos_policies
                .insert(id.clone(), qos_policy(&id, Vec::new()));
        }
        for doc in list_docs(tx, tables::QOS_RULES, &Selection::all())? {
            if let Ok(rule) = parse::<QosRuleDoc>(&doc)
                && let Some(policy) = mirror.qos_policies.get_mut(&rule.qos_policy_id)
                && let Some(spec) = rule.spec()
            {
                policy.rules.push(spec);
            }
        }
        for (id, _, doc) in revisions(tx, tables::LOGS)? {
            mirror.put_log(&id, Some(&doc));
        }
        mirror.touched.everything = true;
        Ok(mirror)
    }

    /// Stores a network log (or forgets it): only security group logs reach OVN.
    fn put_log(&mut self, id: &str, doc: Option<&str>) {
        match doc.map(parse::<LogDoc>) {
            Some(Ok(log)) if log.resource_type == "security_group" => {
                self.logs.insert(id.to_owned(), log);
            }
            Some(Err(e)) => {
                tracing::error!(table = tables::LOGS.name, %id, error = %e,
                    "cannot read a stored document; its OVN rows are removed until it is fixed");
                self.logs.remove(id);
            }
            _ => drop(self.logs.remove(id)),
        }
    }

    /// The network logs, oldest first (the older of two logs covering a group names its ACLs).
    fn log_specs(&self) -> Vec<LogSpec> {
        let mut logs: Vec<(&String, &LogDoc)> = self.logs.iter().collect();
        logs.sort_by(|a, b| (&a.1.created_at, a.0).cmp(&(&b.1.created_at, b.0)));
        logs.into_iter().map(|(id, log)| log.spec(id)).collect()
    }

    /// Reads a QoS policy and its rules again (every change of a rule is a new revision of its
    /// policy). Any port may use it, directly or through its network: everything is touched.
    fn refresh_qos_policy(&mut self, tx: &Tx, id: &str) -> Result<(), StoreError> {
        self.touched.everything = true;
        if get_doc(tx, tables::QOS_POLICIES, id)?.is_none() {
            self.qos_policies.remove(id);
            return Ok(());
        }
        let rules = list_docs(
            tx,
            tables::QOS_RULES,
            &Selection::by("policy_id", vec![id.to_owned()]),
        )?
        .iter()
        .filter_map(|doc| parse::<QosRuleDoc>(doc).ok()?.spec())
        .collect();
        self.qos_policies
            .insert(id.to_owned(), qos_policy(id, rules));
        Ok(())
    }

    /// Reads the resource an outbox entry names again (or forgets it, if it is gone). Returns
    /// false for a kind the back end does not map.
    pub fn refresh(&mut self, tx: &Tx, kind: &str, id: &str) -> Result<bool, StoreError> {
        if Some(kind) == tables::QOS_POLICIES.kind {
            self.refresh_qos_policy(tx, id)?;
            return Ok(true);
        }
        if Some(kind) == tables::LOGS.kind {
            // A log names ACLs of any group: everything is touched.
            let doc = get_doc(tx, tables::LOGS, id)?;
            self.put_log(id, doc.as_deref());
            self.touched.everything = true;
            return Ok(true);
        }
        let Some(kind) = kind_of_change(kind) else {
            return Ok(false);
        };
        let doc = get_doc(tx, table(kind), id)?;
        let before = self.port_touch(kind, id);
        self.put(kind, id, doc.as_deref());
        if kind == Kind::FloatingIp {
            // Its forwardings change with it: every change of theirs is a revision of it.
            self.read_port_forwardings(tx, Selection::by("floatingip_id", vec![id.to_owned()]))?;
        }
        if kind == Kind::Router {
            self.read_schedule(tx, id)?;
        }
        // A log of the port logs the port's groups, whichever they are now.
        let logged_port = kind == Kind::Port
            && self
                .logs
                .values()
                .any(|l| l.target_id.as_deref() == Some(id));
        match (before, self.port_touch(kind, id)) {
            (Some(before), Some(after)) if !logged_port => {
                self.touched.ports.insert(id.to_owned());
                self.touched.groups.extend(before.into_iter().chain(after));
            }
            _ if kind == Kind::Network && self.portless_network(id) => {
                self.touched.networks.insert(id.to_owned());
            }
            _ if kind == Kind::Subnet && self.portless_subnet(id) => {
                self.touched.subnets.insert(id.to_owned());
            }
            _ => self.touched.everything = true,
        }
        Ok(true)
    }

    /// Whether no port is on network `id`: then nothing but its own rows and its subnets' DHCP
    /// options follow it (no router, floating IP or QoS row reaches a network without ports).
    fn portless_network(&self, id: &str) -> bool {
        !self.ports.values().any(|p| p.network_id == id)
    }

    /// Whether no port has an address in subnet `id`: then its DHCP options are all it changes
    /// (a port refers to them, a router reaches a subnet through a port).
    fn portless_subnet(&self, id: &str) -> bool {
        !self
            .ports
            .values()
            .any(|p| p.fixed_ips.iter().any(|f| f.subnet_id == id))
    }

    /// For a port that no other row depends on (or no port at all under `id`), the security
    /// groups it is in; `None` for anything else, which only a plan of everything covers.
    fn port_touch(&self, kind: Kind, id: &str) -> Option<Vec<String>> {
        if kind != Kind::Port {
            return None;
        }
        let Some(port) = self.ports.get(id) else {
            return Some(Vec::new());
        };
        let standalone = !port.device_owner.starts_with("network:")
            && port.allowed_address_pairs.is_empty()
            && !self
                .floating_ips
                .values()
                .any(|f| f.port_id.as_deref() == Some(id));
        standalone.then(|| port.security_groups.clone())
    }

    /// Reads the port forwardings `sel` selects into their floating IPs (a document that cannot
    /// be read is logged and left out).
    fn read_port_forwardings(&mut self, tx: &Tx, sel: Selection) -> Result<(), StoreError> {
        for doc in list_docs(tx, tables::PORT_FORWARDINGS, &sel)? {
            match parse::<PortForwardingDoc>(&doc) {
                Ok(pf) => {
                    if let Some(fip) = self.floating_ips.get_mut(&pf.floatingip_id) {
                        fip.port_forwardings.push(pf.spec());
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read a stored port forwarding"),
            }
        }
        Ok(())
    }

    /// Reads the gateway chassis of a router scheduled by hand into it: every change of its
    /// schedule is a revision of it.
    fn read_schedule(&mut self, tx: &Tx, id: &str) -> Result<(), StoreError> {
        if let Some(router) = self.routers.get_mut(id) {
            router.gateway_schedule = schedules::schedule(tx, id)?;
        }
        Ok(())
    }

    /// What changed since the last call (see [`Touched`]); a full load touches everything.
    pub fn take_touched(&mut self) -> Touched {
        std::mem::take(&mut self.touched)
    }

    /// The desired rows of the ports, groups, networks and subnets `touched` names, and the rows
    /// the plan may delete: each port's `Logical_Switch_Port` (the subnets' DHCP options and
    /// other ports' allowed address pairs read as a whole-state plan reads them), each touched
    /// security group and the drop group with their rules, and of their membership just the
    /// touched ports; each portless network's switch and its subnets' DHCP options.
    pub fn port_rows(
        &self,
        config: &MappingConfig,
        touched: &Touched,
    ) -> (Desired, BTreeSet<RowId>) {
        let subnets: Vec<SubnetSpec> = self.subnets.values().cloned().collect();
        let paired: Vec<PortSpec> = self
            .ports
            .values()
            .filter(|p| !p.allowed_address_pairs.is_empty())
            .cloned()
            .collect();
        let context = PortContext::new(&subnets, &paired);
        let mut desired = Desired::new();
        let mut scope = BTreeSet::new();
        let logs = self.log_specs();
        let acl_logs = AclLogs::new(&logs, self.groups.keys().map(String::as_str), |port| {
            self.ports
                .get(port)
                .map(|p| p.security_groups.clone())
                .unwrap_or_default()
        });
        // Networks and subnets without ports: their own rows (a network's subnets' DHCP options
        // carry its MTU and domain).
        for id in &touched.networks {
            scope.extend(rows_of(Kind::Network, id));
            if let Some(network) = self.networks.get(id) {
                desired.extend(network_rows(network));
                for subnet in self.subnets.values().filter(|s| s.network_id == *id) {
                    scope.extend(rows_of(Kind::Subnet, &subnet.id));
                    desired.extend(subnet_row(config, subnet, network));
                }
            }
        }
        for id in &touched.subnets {
            scope.extend(rows_of(Kind::Subnet, id));
            if let Some(subnet) = self.subnets.get(id)
                && let Some(network) = self.networks.get(&subnet.network_id)
            {
                desired.extend(subnet_row(config, subnet, network));
            }
        }
        for id in &touched.ports {
            scope.extend(rows_of(Kind::Port, id));
            if let Some(port) = self.ports.get(id)
                && let Some(network) = self.networks.get(&port.network_id)
            {
                desired.insert(port_row(port, &context));
                let policy = qos::effective_policy(port, Some(network))
                    .and_then(|p| self.qos_policies.get(p));
                desired.extend(qos::port_qos_rows(port, policy));
            }
        }
        // Group membership of the touched ports alone: a group's other members stay as they are,
        // so a batch costs its own ports, not the size of its groups.
        let filtered = |id: &String| self.ports.get(id).filter(|p| is_filtered(p));
        let members = |in_group: &dyn Fn(&PortSpec) -> bool| {
            let (present, absent) = touched
                .ports
                .iter()
                .partition::<Vec<_>, _>(|id| filtered(id).is_some_and(in_group));
            let row_ids = |ids: Vec<&String>| {
                ids.into_iter()
                    .map(|id| RowId::new(neutrino_ovn::table::LOGICAL_SWITCH_PORT, id.clone()))
                    .collect()
            };
            Members {
                present: row_ids(present),
                absent: row_ids(absent),
            }
        };
        let partial = |rows: Vec<NbRow>, members: Members| {
            rows.into_iter().map(move |mut row| {
                if row.id.table == neutrino_ovn::table::PORT_GROUP {
                    row.only_members("ports", members.clone());
                }
                row
            })
        };
        scope.extend(
            drop_group_rows(std::iter::empty(), true, &acl_logs)
                .into_iter()
                .map(|r| r.id),
        );
        // The drop group exists while any port is filtered or any group exists (as in a plan of
        // everything); made here, it holds the touched ports, which are then all its members.
        if !self.groups.is_empty() || self.ports.values().any(is_filtered) {
            desired.extend(partial(
                drop_group_rows(std::iter::empty(), true, &acl_logs),
                members(&|_| true),
            ));
        }
        for id in &touched.groups {
            scope.extend(rows_of(Kind::SecurityGroup, id));
            if let Some(group) = self.groups.get(id) {
                let rules = self
                    .rules
                    .iter()
                    .filter(|(_, r)| r.security_group_id == *id)
                    .filter_map(|(rule_id, r)| r.spec(rule_id))
                    .collect();
                let in_group = |p: &PortSpec| p.security_groups.contains(id);
                desired.extend(partial(
                    group_rows(&group.spec(id, rules), std::iter::empty(), &acl_logs),
                    members(&in_group),
                ));
            }
        }
        (desired, scope)
    }

    /// How many ports the mirror holds (for status and logs).
    pub fn port_count(&self) -> usize {
        self.ports.len()
    }

    /// Stores the resource `doc` describes, or removes it when there is no document or it cannot
    /// be read (a document the back end cannot read is logged and left out of OVN, not allowed
    /// to stop every other resource from being reconciled).
    fn put(&mut self, kind: Kind, id: &str, doc: Option<&str>) {
        let parsed = doc.map(|doc| -> Result<(), serde_json::Error> {
            let id = id.to_owned();
            match kind {
                Kind::Network => {
                    let spec = parse::<NetworkDoc>(doc)?.into_spec(&id);
                    self.networks.insert(id, spec);
                }
                Kind::Subnet => {
                    let spec = parse::<SubnetDoc>(doc)?.into_spec(&id);
                    self.subnets.insert(id, spec);
                }
                Kind::Port => {
                    let spec = parse::<PortDoc>(doc)?.into_spec(&id);
                    self.ports.insert(id, spec);
                }
                Kind::Router => {
                    let spec = parse::<RouterDoc>(doc)?.into_spec(&id);
                    self.routers.insert(id, spec);
                }
                Kind::FloatingIp => drop(self.floating_ips.insert(id, parse(doc)?)),
                Kind::SecurityGroup => drop(self.groups.insert(id, parse(doc)?)),
                Kind::SecurityGroupRule => drop(self.rules.insert(id, parse(doc)?)),
                Kind::AddressGroup => {
                    let spec = parse::<AddressGroupDoc>(doc)?.into_spec(&id);
                    self.address_groups.insert(id, spec);
                }
            }
            Ok(())
        });
        match parsed {
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                tracing::error!(table = table(kind).name, %id, error = %e,
                    "cannot read a stored document; its OVN rows are removed until it is fixed");
                self.remove(kind, id);
            }
            None => self.remove(kind, id),
        }
    }

    fn remove(&mut self, kind: Kind, id: &str) {
        match kind {
            Kind::Network => drop(self.networks.remove(id)),
            Kind::Subnet => drop(self.subnets.remove(id)),
            Kind::Port => drop(self.ports.remove(id)),
            Kind::Router => drop(self.routers.remove(id)),
            Kind::FloatingIp => drop(self.floating_ips.remove(id)),
            Kind::SecurityGroup => drop(self.groups.remove(id)),
            Kind::SecurityGroupRule => drop(self.rules.remove(id)),
            Kind::AddressGroup => drop(self.address_groups.remove(id)),
        }
    }

    /// The specs the mapping reads: a floating IP learns the MAC of its own port, a security
    /// group gathers its rules; gateways go to `gateway_chassis`.
    pub fn specs(&self, gateway_chassis: &[GatewayChassis]) -> Specs {
        let floating_port_macs: BTreeMap<&str, &str> = self
            .ports
            .values()
            .filter(|p| p.device_owner == "network:floatingip")
            .map(|p| (p.device_id.as_str(), p.mac_address.as_str()))
            .collect();
        let mut rules: BTreeMap<&str, Vec<SecurityGroupRuleSpec>> = BTreeMap::new();
        for (id, rule) in &self.rules {
            if let Some(spec) = rule.spec(id) {
                rules
                    .entry(rule.security_group_id.as_str())
                    .or_default()
                    .push(spec);
            }
        }
        Specs {
            networks: self.networks.values().cloned().collect(),
            subnets: self.subnets.values().cloned().collect(),
            ports: self.ports.values().cloned().collect(),
            routers: self.routers.values().cloned().collect(),
            security_groups: self
                .groups
                .iter()
                .map(|(id, g)| g.spec(id, rules.remove(id.as_str()).unwrap_or_default()))
                .collect(),
            address_groups: self.address_groups.values().cloned().collect(),
            floating_ips: self
                .floating_ips
                .iter()
                .map(|(id, f)| {
                    f.spec(
                        id,
                        floating_port_macs.get(id.as_str()).copied().unwrap_or(""),
                    )
                })
                .collect(),
            gateway_chassis: gateway_chassis.to_vec(),
            qos_policies: self.qos_policies.values().cloned().collect(),
            logs: self.log_specs(),
        }
    }
}

/// A stored network log: what decides the ACLs it names.
#[derive(Clone, Debug, Deserialize)]
struct LogDoc {
    resource_type: String,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    target_id: Option<String>,
    event: String,
    enabled: bool,
    #[serde(default)]
    created_at: String,
}

impl LogDoc {
    fn spec(&self, id: &str) -> LogSpec {
        LogSpec {
            id: id.to_owned(),
            event: match self.event.as_str() {
                "ACCEPT" => LogEvent::Accept,
                "DROP" => LogEvent::Drop,
                _ => LogEvent::All,
            },
            enabled: self.enabled,
            resource_id: self.resource_id.clone(),
            target_id: self.target_id.clone(),
        }
    }
}

fn qos_policy(id: &str, rules: Vec<QosRuleSpec>) -> QosPolicySpec {
    QosPolicySpec {
        id: id.to_owned(),
        rules,
    }
}

/// A stored QoS rule: its policy, type and the values of the types OVN realises.
#[derive(Deserialize)]
struct QosRuleDoc {
    qos_policy_id: String,
    #[serde(rename = "type")]
    rule_type: String,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    max_kbps: i64,
    #[serde(default)]
    max_burst_kbps: i64,
    #[serde(default)]
    dscp_mark: i64,
}

impl QosRuleDoc {
    fn spec(self) -> Option<QosRuleSpec> {
        match self.rule_type.as_str() {
            "bandwidth_limit" => Some(QosRuleSpec::BandwidthLimit {
                direction: if self.direction.as_deref() == Some("ingress") {
                    Direction::Ingress
                } else {
                    Direction::Egress
                },
                max_kbps: self.max_kbps,
                max_burst_kbps: self.max_burst_kbps,
            }),
            "dscp_marking" => Some(QosRuleSpec::DscpMarking {
                dscp_mark: self.dscp_mark,
            }),
            _ => None,
        }
    }
}

fn parse<'a, T: Deserialize<'a>>(doc: &'a str) -> Result<T, serde_json::Error> {
    serde_json::from_str(doc)
}

#[derive(Deserialize)]
struct NetworkDoc {
    #[serde(default)]
    name: String,
    revision_number: u64,
    mtu: u32,
    #[serde(rename = "provider:network_type")]
    network_type: Option<String>,
    #[serde(rename = "provider:physical_network")]
    physical_network: Option<String>,
    #[serde(rename = "provider:segmentation_id")]
    segmentation_id: Option<i64>,
    #[serde(default)]
    availability_zone_hints: Vec<String>,
    #[serde(default)]
    dns_domain: String,
    #[serde(default)]
    qos_policy_id: Option<String>,
    vlan_transparent: bool,
    #[serde(default)]
    qinq: bool,
}

impl NetworkDoc {
    fn into_spec(self, id: &str) -> NetworkSpec {
        NetworkSpec {
            id: id.into(),
            name: self.name,
            revision_number: self.revision_number,
            mtu: self.mtu,
            network_type: self.network_type.unwrap_or_else(|| "geneve".into()),
            physical_network: self.physical_network,
            segmentation_id: self.segmentation_id,
            // Networks have one segment, which has no id of its own: the network's stands in.
            segment_id: id.into(),
            availability_zone_hints: self.availability_zone_hints,
            dns_domain: self.dns_domain,
            qos_policy_id: self.qos_policy_id,
            vlan_transparent: self.vlan_transparent,
            qinq: self.qinq,
        }
    }
}

#[derive(Deserialize)]
struct RouteDoc {
    destination: IpNet,
    nexthop: IpAddr,
}

fn routes(docs: Vec<RouteDoc>) -> Vec<HostRoute> {
    docs.into_iter()
        .map(|r| HostRoute {
            destination: r.destination,
            nexthop: r.nexthop,
        })
        .collect()
}

fn ipv6_mode(mode: Option<&str>) -> Option<Ipv6AddressMode> {
    match mode? {
        "slaac" => Some(Ipv6AddressMode::Slaac),
        "dhcpv6-stateful" => Some(Ipv6AddressMode::Dhcpv6Stateful),
        "dhcpv6-stateless" => Some(Ipv6AddressMode::Dhcpv6Stateless),
        _ => None,
    }
}

#[derive(Deserialize)]
struct SubnetDoc {
    network_id: String,
    revision_number: u64,
    cidr: IpNet,
    gateway_ip: Option<IpAddr>,
    enable_dhcp: bool,
    #[serde(default)]
    dns_nameservers: Vec<IpAddr>,
    #[serde(default)]
    host_routes: Vec<RouteDoc>,
    ipv6_address_mode: Option<String>,
    ipv6_ra_mode: Option<String>,
}

impl SubnetDoc {
    fn into_spec(self, id: &str) -> SubnetSpec {
        SubnetSpec {
            id: id.into(),
            network_id: self.network_id,
            revision_number: self.revision_number,
            cidr: self.cidr,
            gateway_ip: self.gateway_ip,
            enable_dhcp: self.enable_dhcp,
            dns_nameservers: self.dns_nameservers,
            host_routes: routes(self.host_routes),
            ipv6_address_mode: ipv6_mode(self.ipv6_address_mode.as_deref()),
            ipv6_ra_mode: ipv6_mode(self.ipv6_ra_mode.as_deref()),
        }
    }
}

#[derive(Deserialize)]
struct FixedIpDoc {
    subnet_id: String,
    ip_address: IpAddr,
}

#[derive(Deserialize)]
struct AddressPairDoc {
    /// An address or a CIDR.
    ip_address: String,
    #[serde(default)]
    mac_address: Option<String>,
}

impl AddressPairDoc {
    fn spec(self) -> Option<AddressPair> {
        let ip_address = match self.ip_address.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) => IpNet::from(self.ip_address.parse::<IpAddr>().ok()?),
        };
        Some(AddressPair {
            ip_address,
            mac_address: self.mac_address.filter(|m| !m.is_empty()),
        })
    }
}

#[derive(Deserialize)]
struct PortDoc {
    #[serde(default)]
    name: String,
    network_id: String,
    project_id: String,
    revision_number: u64,
    admin_state_up: bool,
    mac_address: String,
    #[serde(default)]
    fixed_ips: Vec<FixedIpDoc>,
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    device_owner: String,
    #[serde(default = "yes")]
    port_security_enabled: bool,
    #[serde(default)]
    security_groups: Vec<String>,
    #[serde(default)]
    allowed_address_pairs: Vec<AddressPairDoc>,
    #[serde(rename = "binding:host_id", default)]
    host_id: String,
    #[serde(rename = "binding:vnic_type", default)]
    vnic_type: String,
    #[serde(rename = "binding:profile", default)]
    profile: ProfileDoc,
    #[serde(default)]
    qos_policy_id: Option<String>,
}

/// The parts of `binding:profile` the mapping reads: a trunk sub-port's parent and tag. Read
/// loosely: an admin may put anything in a profile, and a value of another type must not make
/// the whole port unreadable (it is just not a sub-port then).
#[derive(Default, Deserialize)]
struct ProfileDoc {
    #[serde(default)]
    parent_name: serde_json::Value,
    #[serde(default)]
    tag: serde_json::Value,
    #[serde(default)]
    capabilities: serde_json::Value,
}

impl ProfileDoc {
    /// The profile's `capabilities`: its strings, read loosely as the rest of the profile.
    fn capabilities(&self) -> Vec<String> {
        self.capabilities
            .as_array()
            .map(|caps| {
                caps.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn trunk_parent(self) -> Option<TrunkParent> {
        let parent = self.parent_name.as_str().filter(|p| !p.is_empty())?;
        Some(TrunkParent {
            parent: parent.to_owned(),
            tag: self.tag.as_i64()?,
        })
    }
}

fn yes() -> bool {
    true
}

impl PortDoc {
    fn into_spec(self, id: &str) -> PortSpec {
        PortSpec {
            id: id.into(),
            name: self.name,
            network_id: self.network_id,
            project_id: self.project_id,
            revision_number: self.revision_number,
            admin_state_up: self.admin_state_up,
            mac_address: self.mac_address,
            fixed_ips: self
                .fixed_ips
                .into_iter()
                .map(|f| FixedIp {
                    subnet_id: f.subnet_id,
                    ip_address: f.ip_address,
                })
                .collect(),
            device_id: self.device_id,
            device_owner: self.device_owner,
            port_security_enabled: self.port_security_enabled,
            security_groups: self.security_groups,
            allowed_address_pairs: self
                .allowed_address_pairs
                .into_iter()
                .filter_map(AddressPairDoc::spec)
                .collect(),
            host_id: self.host_id,
            vnic_type: self.vnic_type,
            capabilities: self.profile.capabilities(),
            trunk_parent: self.profile.trunk_parent(),
            qos_policy_id: self.qos_policy_id,
        }
    }
}

#[derive(Deserialize)]
struct GatewayDoc {
    #[serde(default = "yes")]
    enable_snat: bool,
    #[serde(default)]
    external_fixed_ips: Vec<GatewayIpDoc>,
}

#[derive(Deserialize)]
struct GatewayIpDoc {
    ip_address: IpAddr,
}

#[derive(Deserialize)]
struct RouterDoc {
    #[serde(default)]
    name: String,
    revision_number: u64,
    admin_state_up: bool,
    external_gateway_info: Option<GatewayDoc>,
    #[serde(default)]
    routes: Vec<RouteDoc>,
    #[serde(default)]
    availability_zone_hints: Vec<String>,
    #[serde(default)]
    enable_default_route_ecmp: bool,
    #[serde(default)]
    enable_default_route_bfd: bool,
}

impl RouterDoc {
    fn into_spec(self, id: &str) -> RouterSpec {
        RouterSpec {
            id: id.into(),
            name: self.name,
            revision_number: self.revision_number,
            admin_state_up: self.admin_state_up,
            availability_zone_hints: self.availability_zone_hints,
            enable_snat: self
                .external_gateway_info
                .as_ref()
                .is_some_and(|g| g.enable_snat),
            gateway_ips: self
                .external_gateway_info
                .iter()
                .flat_map(|g| g.external_fixed_ips.iter().map(|f| f.ip_address))
                .collect(),
            routes: routes(self.routes),
            enable_default_route_ecmp: self.enable_default_route_ecmp,
            enable_default_route_bfd: self.enable_default_route_bfd,
            // Read from its own table (see [`Mirror::read_schedule`]).
            gateway_schedule: None,
        }
    }
}

/// Kept as read: its spec needs the MAC of its port, known only once every port is loaded.
#[derive(Clone, Debug, Deserialize)]
struct FloatingIpDoc {
    revision_number: u64,
    floating_ip_address: IpAddr,
    floating_network_id: String,
    router_id: Option<String>,
    port_id: Option<String>,
    fixed_ip_address: Option<IpAddr>,
    /// Read from their own table (see [`Mirror::read_port_forwardings`]).
    #[serde(skip)]
    port_forwardings: Vec<PortForwardingSpec>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct PortRangeDoc {
    start: u16,
    end: u16,
}

/// A stored port forwarding (`port_forwardings` table).
#[derive(Clone, Debug, Deserialize)]
struct PortForwardingDoc {
    floatingip_id: String,
    protocol: String,
    internal_ip_address: IpAddr,
    external: PortRangeDoc,
    internal: PortRangeDoc,
}

impl PortForwardingDoc {
    fn spec(self) -> PortForwardingSpec {
        PortForwardingSpec {
            protocol: self.protocol,
            internal_ip: self.internal_ip_address,
            external: (self.external.start, self.external.end),
            internal: (self.internal.start, self.internal.end),
        }
    }
}

impl FloatingIpDoc {
    fn spec(&self, id: &str, floating_port_mac: &str) -> FloatingIpSpec {
        FloatingIpSpec {
            id: id.into(),
            revision_number: self.revision_number,
            floating_ip_address: self.floating_ip_address,
            floating_network_id: self.floating_network_id.clone(),
            floating_port_mac: floating_port_mac.into(),
            router_id: self.router_id.clone(),
            port_id: self.port_id.clone(),
            fixed_ip_address: self.fixed_ip_address,
            port_forwardings: self.port_forwardings.clone(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct GroupDoc {
    revision_number: u64,
    #[serde(default = "yes")]
    stateful: bool,
}

impl GroupDoc {
    fn spec(&self, id: &str, rules: Vec<SecurityGroupRuleSpec>) -> SecurityGroupSpec {
        SecurityGroupSpec {
            id: id.into(),
            revision_number: self.revision_number,
            stateful: self.stateful,
            rules,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct AddressGroupDoc {
    revision_number: u64,
    #[serde(default)]
    addresses: Vec<IpNet>,
}

impl AddressGroupDoc {
    fn into_spec(self, id: &str) -> AddressGroupSpec {
        AddressGroupSpec {
            id: id.into(),
            revision_number: self.revision_number,
            addresses: self.addresses,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct RuleDoc {
    security_group_id: String,
    direction: String,
    ethertype: String,
    protocol: Option<String>,
    port_range_min: Option<u32>,
    port_range_max: Option<u32>,
    remote_ip_prefix: Option<IpNet>,
    remote_group_id: Option<String>,
    #[serde(default)]
    remote_address_group_id: Option<String>,
}

impl RuleDoc {
    fn spec(&self, id: &str) -> Option<SecurityGroupRuleSpec> {
        let direction = match self.direction.as_str() {
            "ingress" => Direction::Ingress,
            "egress" => Direction::Egress,
            _ => return None,
        };
        // A protocol by name or number; "any" (or none) is any. One that cannot be read leaves the
        // rule out rather than widen it to every protocol.
        let protocol = match self.protocol.as_deref().map(str::to_lowercase) {
            None => None,
            Some(p) if p == "any" || p.is_empty() => None,
            Some(p) => Some(neutrino_network::protocol_number(&p)?),
        };
        Some(SecurityGroupRuleSpec {
            id: id.into(),
            direction,
            ipv6: self.ethertype == "IPv6",
            protocol,
            port_range_min: self.port_range_min,
            port_range_max: self.port_range_max,
            remote_ip_prefix: self.remote_ip_prefix,
            remote_group_id: self.remote_group_id.clone(),
            remote_address_group_id: self.remote_address_group_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port_doc(profile: serde_json::Value) -> PortSpec {
        let doc = serde_json::json!({
            "network_id": "n", "project_id": "p", "revision_number": 3,
            "admin_state_up": true, "mac_address": "fa:16:3e:00:00:01",
            "binding:profile": profile,
        });
        parse::<PortDoc>(&doc.to_string())
            .expect("a port document")
            .into_spec("port")
    }

    #[test]
    fn a_subports_profile_names_its_parent_and_tag() {
        let spec = port_doc(serde_json::json!({"parent_name": "parent", "tag": 100}));
        assert_eq!(
            spec.trunk_parent,
            Some(TrunkParent {
                parent: "parent".into(),
                tag: 100
            })
        );
        assert_eq!(port_doc(serde_json::json!({})).trunk_parent, None);
    }

    /// An admin may write anything into `binding:profile`: a value of another type leaves the
    /// port an ordinary port instead of making it unreadable (and removed from OVN).
    #[test]
    fn an_odd_profile_is_not_a_subport_and_not_an_error() {
        for odd in [
            serde_json::json!({"parent_name": 7, "tag": 100}),
            serde_json::json!({"parent_name": "parent", "tag": "100"}),
            serde_json::json!({"parent_name": "", "tag": 100}),
            serde_json::json!({"tag": 100}),
        ] {
            assert_eq!(port_doc(odd.clone()).trunk_parent, None, "{odd}");
        }
    }

    /// `capabilities` (which `hardware_offload_type` fills) reach the mapping; anything but a
    /// list of strings reads as none.
    #[test]
    fn profile_capabilities_are_read_loosely() {
        let spec = port_doc(serde_json::json!({"capabilities": ["switchdev", 3]}));
        assert_eq!(spec.capabilities, vec!["switchdev".to_string()]);
        for odd in [
            serde_json::json!({}),
            serde_json::json!({"capabilities": "switchdev"}),
        ] {
            assert!(port_doc(odd.clone()).capabilities.is_empty(), "{odd}");
        }
    }
}
