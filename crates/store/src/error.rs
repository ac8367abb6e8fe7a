//! Errors of the store, the same for every engine. An engine turns its own errors into these
//! from error codes and constraint names, never from message texts.

/// A named unique constraint of the schema. The name is the constraint's (index's) name in
/// both engines' schemas, so an engine that reports a violation by name maps back here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// A row with the same primary key exists.
    PrimaryKey(&'static str),
    /// (subnet, address): an address is held by one port.
    IpAllocation,
    /// (network, MAC): a MAC is unique on its network.
    PortMac,
    /// (type, physical network, segmentation id): a segment belongs to one network.
    Segment,
    /// One `default` security group per project.
    SecurityGroupDefault,
    /// (group, fingerprint): no two rules of a group match the same traffic.
    SecurityGroupRule,
    /// (type, object, action, target): no duplicate RBAC policies.
    RbacPolicy,
    /// (external network, port, fixed IP): one floating IP per fixed IP per external network.
    FloatingIpFixedIp,
    /// One default subnet pool per IP version.
    DefaultSubnetPool,
    /// One default QoS policy per project.
    QosDefaultPolicy,
    /// One QoS rule of a type (and direction) per policy.
    QosRule,
    /// A trunk's ports: one trunk per port (the primary key), and (trunk, segmentation type,
    /// segmentation id) unique. An insert that conflicts names this one either way; the rules
    /// tell which by reading the rows it met.
    TrunkPort,
}

impl Constraint {
    /// The constraint's name in the schema (both engines).
    pub fn name(self) -> &'static str {
        match self {
            Constraint::PrimaryKey(table) => table,
            Constraint::IpAllocation => "ip_allocations_pkey",
            Constraint::PortMac => "ports_network_mac",
            Constraint::Segment => "network_segments_unique",
            Constraint::SecurityGroupDefault => "security_groups_default",
            Constraint::SecurityGroupRule => "security_group_rules_unique",
            Constraint::RbacPolicy => "rbac_policies_unique",
            Constraint::FloatingIpFixedIp => "floatingips_fixed_ip",
            Constraint::DefaultSubnetPool => "subnetpools_default",
            Constraint::QosDefaultPolicy => "qos_policies_default",
            Constraint::QosRule => "qos_rules_slot",
            Constraint::TrunkPort => "trunk_ports_segmentation",
        }
    }

    /// The constraint called `name` in the schema, if it is one of ours.
    pub fn named(name: &str) -> Option<Constraint> {
        const ALL: [Constraint; 11] = [
            Constraint::IpAllocation,
            Constraint::PortMac,
            Constraint::Segment,
            Constraint::SecurityGroupDefault,
            Constraint::SecurityGroupRule,
            Constraint::RbacPolicy,
            Constraint::FloatingIpFixedIp,
            Constraint::DefaultSubnetPool,
            Constraint::QosDefaultPolicy,
            Constraint::QosRule,
            Constraint::TrunkPort,
        ];
        ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {target}: {reason}")]
    Open { target: String, reason: String },
    #[error("database migration {name} failed: {reason}")]
    Migration { name: String, reason: String },
    #[error(
        "the database schema is at migration {found}, newer than this binary knows ({known}); \
         run the release that created it"
    )]
    SchemaTooNew { found: String, known: String },
    #[error("unique constraint {} refused the row", .0.name())]
    Conflict(Constraint),
    #[error("a foreign key refused the change: {0}")]
    ForeignKey(String),
    #[error("stored document of {table} {id} is corrupt: {reason}")]
    Corrupt {
        table: &'static str,
        id: String,
        reason: String,
    },
    /// A serialization failure or deadlock: running the transaction again may succeed. Engines
    /// retry these themselves; the error reaches the rules only when retries ran out.
    #[error("the transaction conflicted with a concurrent one: {0}")]
    Retry(String),
    /// The database cannot be reached (down, restarting, out of connections).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("the commit failed: {0}")]
    CommitFailed(String),
}

impl StoreError {
    /// A copy for every request of a batch whose commit failed.
    pub(crate) fn for_batch(&self) -> StoreError {
        match self {
            StoreError::Conflict(c) => StoreError::Conflict(*c),
            StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
            StoreError::Retry(m) => StoreError::Retry(m.clone()),
            other => StoreError::CommitFailed(other.to_string()),
        }
    }
}
