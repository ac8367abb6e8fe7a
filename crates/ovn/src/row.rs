//! The desired state: the Northbound rows Neutron's resources should produce, each with how it is
//! found again (its key), the columns we manage, the rows it refers to and the row that holds it.
//!
//! A row is never identified by its OVSDB `_uuid` (the database picks it): it is found by a key
//! taken from its contents — its `name`, or one `external_ids` entry — so that a desired row can be
//! matched to a row in a cached copy of the database (see [`crate::plan()`]).

use std::collections::BTreeMap;

use neutrino_ovsdb::{Atom, Row, Value, monitor::string_at};

/// The Northbound tables the back end manages, in the order rows are created (rows that others
/// refer to first). Address sets join this list in a later step.
pub mod table {
    pub const DHCP_OPTIONS: &str = "DHCP_Options";
    pub const HA_CHASSIS_GROUP: &str = "HA_Chassis_Group";
    pub const HA_CHASSIS: &str = "HA_Chassis";
    pub const LOGICAL_SWITCH: &str = "Logical_Switch";
    pub const LOGICAL_SWITCH_PORT: &str = "Logical_Switch_Port";
    pub const LOGICAL_ROUTER: &str = "Logical_Router";
    pub const LOGICAL_ROUTER_PORT: &str = "Logical_Router_Port";
    pub const PORT_GROUP: &str = "Port_Group";
    pub const ADDRESS_SET: &str = "Address_Set";
    pub const ACL: &str = "ACL";
    pub const NAT: &str = "NAT";
    pub const BFD: &str = "BFD";
    pub const LOGICAL_ROUTER_STATIC_ROUTE: &str = "Logical_Router_Static_Route";
    pub const LOAD_BALANCER: &str = "Load_Balancer";
    pub const QOS: &str = "QoS";
    pub const METER: &str = "Meter";
    pub const METER_BAND: &str = "Meter_Band";
}

/// The `external_ids` key holding the Neutron revision a row was written from.
pub const REVISION_KEY: &str = "neutron:revision_number";

/// How a row of one table is found, and where it hangs when the table is not a root table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableSpec {
    pub name: &'static str,
    pub key: KeyRule,
    /// A non-root table's rows live only while a row of `parent.0` refers to them in column
    /// `parent.1`; they are added and removed by mutating that column.
    pub parent: Option<(&'static str, &'static str)>,
    /// Columns holding at most one value (`min 0, max 1`): written whole by `update`, not mutated.
    pub optional_columns: &'static [&'static str],
    /// The schema indexes the key column: the database itself refuses a second row under a key,
    /// so an insert needs no `wait` for its absence (which ovsdb-server would answer by scanning
    /// the table: thousands of them in one transaction cost seconds).
    pub unique_key: bool,
    /// The schema keeps this table's rows when nothing refers to them (`isRoot`), though we
    /// hang ours under a parent: removing one takes a `delete` besides the unlink.
    pub schema_root: bool,
    /// An `external_ids` entry every row of ours in this table carries. Rows without it belong
    /// to someone else even with other `neutron:` keys (Octavia's load balancers).
    pub marker: Option<(&'static str, &'static str)>,
}

/// Which column holds a row's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRule {
    /// The `name` column.
    Name,
    /// One entry of `external_ids`.
    ExternalId(&'static str),
    /// Another string column (a `QoS` row's `match`: a port's two rows share their
    /// `external_ids`).
    Column(&'static str),
}

impl KeyRule {
    /// The column holding the key, and the map key within it for an `external_ids` entry.
    pub fn place(self) -> (&'static str, Option<&'static str>) {
        match self {
            KeyRule::Name => ("name", None),
            KeyRule::Column(column) => (column, None),
            KeyRule::ExternalId(key) => ("external_ids", Some(key)),
        }
    }
}

/// The managed tables, in creation order.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: table::DHCP_OPTIONS,
        key: KeyRule::ExternalId("subnet_id"),
        parent: None,
        optional_columns: &[],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::HA_CHASSIS_GROUP,
        key: KeyRule::Name,
        parent: None,
        optional_columns: &[],
        unique_key: true,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::HA_CHASSIS,
        key: KeyRule::ExternalId(crate::router::HA_CHASSIS_KEY),
        parent: Some((table::HA_CHASSIS_GROUP, "ha_chassis")),
        optional_columns: &[],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::LOGICAL_SWITCH,
        key: KeyRule::Name,
        parent: None,
        optional_columns: &[],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::LOGICAL_SWITCH_PORT,
        key: KeyRule::Name,
        parent: Some((table::LOGICAL_SWITCH, "ports")),
        optional_columns: &[
            "enabled",
            "tag",
            "parent_name",
            "dhcpv4_options",
            "dhcpv6_options",
        ],
        unique_key: true,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::LOGICAL_ROUTER,
        key: KeyRule::Name,
        parent: None,
        optional_columns: &["enabled"],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::LOGICAL_ROUTER_PORT,
        key: KeyRule::Name,
        parent: Some((table::LOGICAL_ROUTER, "ports")),
        optional_columns: &["ha_chassis_group"],
        unique_key: true,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::NAT,
        key: KeyRule::ExternalId(crate::nat::NAT_KEY),
        parent: Some((table::LOGICAL_ROUTER, "nat")),
        optional_columns: &["logical_port", "external_mac", "gateway_port"],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    // The BFD sessions of default routes (`enable_default_route_bfd`), referred to weakly by
    // their routes.
    TableSpec {
        name: table::BFD,
        key: KeyRule::ExternalId(crate::nat::BFD_KEY),
        parent: None,
        optional_columns: &[],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::LOGICAL_ROUTER_STATIC_ROUTE,
        key: KeyRule::ExternalId(crate::nat::ROUTE_KEY),
        parent: Some((table::LOGICAL_ROUTER, "static_routes")),
        optional_columns: &["output_port", "bfd"],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::ADDRESS_SET,
        key: KeyRule::Name,
        parent: None,
        optional_columns: &[],
        unique_key: true,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::QOS,
        key: KeyRule::Column("match"),
        parent: Some((table::LOGICAL_SWITCH, "qos_rules")),
        optional_columns: &[],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::PORT_GROUP,
        key: KeyRule::Name,
        parent: None,
        optional_columns: &[],
        unique_key: true,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::ACL,
        key: KeyRule::ExternalId(crate::security::RULE_KEY),
        parent: Some((table::PORT_GROUP, "acls")),
        optional_columns: &["name", "severity", "meter"],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    // The meter of ACL logs (network logs) and its band.
    TableSpec {
        name: table::METER,
        key: KeyRule::Name,
        parent: None,
        optional_columns: &["fair"],
        unique_key: true,
        schema_root: false,
        marker: None,
    },
    TableSpec {
        name: table::METER_BAND,
        key: KeyRule::ExternalId(crate::security::METER_BAND_KEY),
        parent: Some((table::METER, "bands")),
        optional_columns: &[],
        unique_key: false,
        schema_root: false,
        marker: None,
    },
    // Port forwardings: held by their router, though a root table in the schema.
    TableSpec {
        name: table::LOAD_BALANCER,
        key: KeyRule::Name,
        parent: Some((table::LOGICAL_ROUTER, "load_balancer")),
        optional_columns: &["protocol"],
        unique_key: false,
        schema_root: true,
        marker: Some((
            crate::nat::DEVICE_OWNER_KEY,
            crate::nat::PORT_FORWARDING_OWNER,
        )),
    },
];

/// The spec of a managed table.
pub fn table_spec(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// The columns a cache of the Northbound database must hold for [`crate::plan()`]: every column the
/// mapping writes, plus the parents' child columns.
pub fn monitored_columns(table: &str) -> &'static [&'static str] {
    match table {
        table::DHCP_OPTIONS => &["cidr", "options", "external_ids"],
        table::HA_CHASSIS_GROUP => &["name", "ha_chassis", "external_ids"],
        table::HA_CHASSIS => &["chassis_name", "priority", "external_ids"],
        table::LOGICAL_SWITCH => &["name", "ports", "qos_rules", "external_ids", "other_config"],
        table::QOS => &[
            "priority",
            "direction",
            "match",
            "bandwidth",
            "action",
            "external_ids",
        ],
        table::LOGICAL_SWITCH_PORT => &[
            "name",
            "type",
            "addresses",
            "port_security",
            "enabled",
            "tag",
            "parent_name",
            "options",
            "dhcpv4_options",
            "dhcpv6_options",
            "external_ids",
        ],
        table::LOGICAL_ROUTER => &[
            "name",
            "ports",
            "nat",
            "static_routes",
            "load_balancer",
            "enabled",
            "options",
            "external_ids",
        ],
        table::NAT => &[
            "type",
            "external_ip",
            "logical_ip",
            "logical_port",
            "external_mac",
            "gateway_port",
            "options",
            "external_ids",
        ],
        table::LOGICAL_ROUTER_STATIC_ROUTE => {
            &["ip_prefix", "nexthop", "output_port", "bfd", "external_ids"]
        }
        table::BFD => &["logical_port", "dst_ip", "external_ids"],
        table::LOAD_BALANCER => &["name", "protocol", "vips", "external_ids"],
        table::LOGICAL_ROUTER_PORT => &[
            "name",
            "mac",
            "networks",
            "options",
            "ipv6_ra_configs",
            "ha_chassis_group",
            "external_ids",
        ],
        table::PORT_GROUP => &["name", "ports", "acls", "external_ids"],
        table::ADDRESS_SET => &["name", "addresses", "external_ids"],
        table::ACL => &[
            "direction",
            "priority",
            "action",
            "match",
            "log",
            "name",
            "severity",
            "meter",
            "label",
            "external_ids",
        ],
        table::METER => &["name", "unit", "bands", "fair", "external_ids"],
        table::METER_BAND => &["action", "rate", "burst_size", "external_ids"],
        _ => &[],
    }
}

/// A row's identity: its table and key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowId {
    pub table: &'static str,
    /// The value of the table's key column ([`KeyRule`]).
    pub key: String,
}

impl RowId {
    pub fn new(table: &'static str, key: impl Into<String>) -> RowId {
        RowId {
            table,
            key: key.into(),
        }
    }
}

impl std::fmt::Display for RowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.table, self.key)
    }
}

/// Some members of a reference set column: rows that must be in it and rows that must not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Members {
    pub present: Vec<RowId>,
    pub absent: Vec<RowId>,
}

/// One desired Northbound row.
#[derive(Clone, Debug, PartialEq)]
pub struct NbRow {
    pub id: RowId,
    /// Every column we manage, with its whole value (the key column included). Columns left out
    /// are not ours: they keep whatever the database holds.
    pub columns: BTreeMap<String, Value>,
    /// Reference columns: the rows they point to, resolved to UUIDs when planning. A column with
    /// no target is written empty.
    pub refs: BTreeMap<String, Vec<RowId>>,
    /// Reference set columns of which only some members are known (a batch of port changes
    /// names its own ports, not every member of a group): those are put in or taken out, the
    /// others are left as they are.
    pub members: BTreeMap<String, Members>,
    /// The row holding this one (non-root tables), whose child column lists it.
    pub parent: Option<RowId>,
    /// The Neutron revision the row was made from (also in `external_ids`).
    pub revision: Option<u64>,
}

impl NbRow {
    /// A row of `table` with its key column set.
    pub fn new(table: &'static str, key: impl Into<String>) -> NbRow {
        let id = RowId::new(table, key);
        let mut row = NbRow {
            columns: BTreeMap::new(),
            refs: BTreeMap::new(),
            members: BTreeMap::new(),
            parent: None,
            revision: None,
            id,
        };
        // A key in a column of its own is that column's value (an `external_ids` entry is set
        // by the mapping, beside the others).
        if let Some((column, None)) = table_spec(table).map(|t| t.key.place()) {
            let key = row.id.key.clone();
            row.set(column, key);
        }
        row
    }

    pub fn set(&mut self, column: &str, value: impl Into<Value>) -> &mut Self {
        self.columns.insert(column.to_owned(), value.into());
        self
    }

    /// A set column of strings.
    pub fn set_strings<I, S>(&mut self, column: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let atoms = values.into_iter().map(|s| Atom::String(s.into()));
        self.set(column, Value::Set(atoms.collect()))
    }

    /// A string → string map column.
    pub fn set_map(&mut self, column: &str, map: &BTreeMap<String, String>) -> &mut Self {
        self.set(
            column,
            Value::map(map.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        )
    }

    /// An optional column (`min 0, max 1`): empty or one value.
    pub fn set_optional(&mut self, column: &str, value: Option<Atom>) -> &mut Self {
        self.set(column, Value::Set(value.into_iter().collect()))
    }

    pub fn reference(&mut self, column: &str, targets: Vec<RowId>) -> &mut Self {
        self.refs.insert(column.to_owned(), targets);
        self
    }

    /// Makes a reference set column partial: only `members` of it are planned (see [`Members`]).
    pub fn only_members(&mut self, column: &str, members: Members) -> &mut Self {
        self.refs.remove(column);
        self.members.insert(column.to_owned(), members);
        self
    }

    /// A string column's value, or one `external_ids`/`options` entry (for tests and callers).
    pub fn string(&self, column: &str) -> Option<&str> {
        self.columns.get(column)?.as_str()
    }

    pub fn map_entry(&self, column: &str, key: &str) -> Option<&str> {
        self.columns
            .get(column)?
            .get(&Atom::String(key.to_owned()))?
            .as_str()
    }

    /// The string elements of a set column.
    pub fn strings(&self, column: &str) -> Vec<&str> {
        self.columns
            .get(column)
            .map(|v| v.atoms().iter().filter_map(Atom::as_str).collect())
            .unwrap_or_default()
    }
}

/// The desired rows, by identity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Desired {
    rows: BTreeMap<RowId, NbRow>,
}

impl Desired {
    pub fn new() -> Desired {
        Desired::default()
    }

    pub fn insert(&mut self, row: NbRow) {
        self.rows.insert(row.id.clone(), row);
    }

    pub fn extend(&mut self, rows: impl IntoIterator<Item = NbRow>) {
        for row in rows {
            self.insert(row);
        }
    }

    pub fn get(&self, id: &RowId) -> Option<&NbRow> {
        self.rows.get(id)
    }

    pub fn rows(&self) -> impl Iterator<Item = &NbRow> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The desired rows of one table (a range: rows are ordered by table first).
    pub fn table(&self, table: &'static str) -> impl Iterator<Item = &NbRow> + '_ {
        self.rows
            .range(RowId::new(table, "")..)
            .take_while(move |(id, _)| id.table == table)
            .map(|(_, row)| row)
    }
}

/// A kind of Neutron resource, for [`rows_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Network,
    Subnet,
    Port,
    Router,
    SecurityGroup,
    SecurityGroupRule,
    FloatingIp,
    AddressGroup,
}

/// The rows a Neutron resource maps to, whatever its contents: the scope of a reconcile of that
/// resource, deletion included ([`crate::plan::Scope::Rows`]). Rows of non-root tables under these
/// (a network's localnet port) go with their parent.
pub fn rows_of(kind: Kind, id: &str) -> Vec<RowId> {
    match kind {
        Kind::Network => vec![RowId::new(
            table::LOGICAL_SWITCH,
            crate::mapping::switch_name(id),
        )],
        Kind::Subnet => vec![RowId::new(table::DHCP_OPTIONS, id)],
        Kind::Port => {
            let mut rows = vec![
                RowId::new(table::LOGICAL_SWITCH_PORT, id),
                RowId::new(
                    table::LOGICAL_ROUTER_PORT,
                    crate::mapping::router_port_name(id),
                ),
            ];
            rows.extend(crate::qos::port_row_ids(id));
            rows
        }
        Kind::Router => vec![RowId::new(
            table::LOGICAL_ROUTER,
            crate::router::router_name(id),
        )],
        Kind::SecurityGroup => vec![RowId::new(
            table::PORT_GROUP,
            crate::security::port_group_name(id),
        )],
        Kind::SecurityGroupRule => vec![RowId::new(table::ACL, id)],
        Kind::FloatingIp => {
            let mut rows = vec![RowId::new(table::NAT, id)];
            rows.extend(
                crate::nat::PORT_FORWARDING_PROTOCOLS
                    .iter()
                    .map(|p| RowId::new(table::LOAD_BALANCER, crate::nat::lb_name(id, p, None))),
            );
            rows
        }
        Kind::AddressGroup => ["ip4", "ip6"]
            .into_iter()
            .map(|ip| {
                RowId::new(
                    table::ADDRESS_SET,
                    crate::security::address_set_name(id, ip),
                )
            })
            .collect(),
    }
}

/// The key of an existing row under its table's rule, if it is one of ours: rows without any
/// `neutron:` entry in `external_ids` belong to someone else and are never touched.
pub fn actual_key(spec: &TableSpec, row: &Row) -> Option<String> {
    let marked = spec.marker.is_none_or(|(k, v)| {
        row.get("external_ids")
            .and_then(|ids| ids.get(&Atom::String(k.to_owned())))
            .and_then(Atom::as_str)
            == Some(v)
    });
    if marked && is_ours(row) {
        key_of(spec, row)
    } else {
        None
    }
}

/// Whether a row carries a `neutron:` entry in `external_ids`.
pub fn is_ours(row: &Row) -> bool {
    row.get("external_ids")
        .and_then(Value::as_map)
        .unwrap_or_default()
        .iter()
        .any(|(k, _)| k.as_str().is_some_and(|k| k.starts_with("neutron:")))
}

/// The value of a row's key column under its table's rule, whoever owns the row.
pub fn key_of(spec: &TableSpec, row: &Row) -> Option<String> {
    key_ref(spec, row).map(str::to_owned)
}

/// [`key_of`], borrowed from the row.
pub fn key_ref<'r>(spec: &TableSpec, row: &'r Row) -> Option<&'r str> {
    let (column, map_key) = spec.key.place();
    string_at(row, column, map_key)
}

/// The Neutron revision recorded in a row's `external_ids`.
pub fn revision_of(row: &Row) -> Option<u64> {
    row.get("external_ids")?
        .get(&Atom::String(REVISION_KEY.to_owned()))?
        .as_str()?
        .parse()
        .ok()
}
