//! The resource tables of the core API, with the indexed columns each keeps beside its document.
//! Their SQL is in `migrations/sqlite/0001_core.sql`.

use crate::{Constraint, Table};

/// `open`: 1 when every project may see the network (shared or external).
pub const NETWORKS: Table = Table::new("networks", &["project_id", "open"])
    .resource("network")
    .from_doc(&["name", "status"])
    .sortable(&["project_id", "name", "status"])
    .tagged();
/// `segment_id` (0024): the segment a subnet belongs to on a routed network, else NULL.
pub const SUBNETS: Table = Table::new("subnets", &["project_id", "network_id", "segment_id"])
    .resource("subnet")
    .from_doc(&["name"])
    .sortable(&["project_id", "network_id", "name"])
    .tagged();
pub const PORTS: Table = Table::new(
    "ports",
    &["project_id", "network_id", "device_id", "mac_address"],
)
.unique(Constraint::PortMac)
.resource("port")
.from_doc(&["name", "device_owner", "status"])
.sortable(&[
    "project_id",
    "network_id",
    "device_id",
    "mac_address",
    "name",
    "device_owner",
    "status",
])
.tagged();

/// Routers; their ports are listed in `router_ports` (see [`crate::l3`]). SQL in `0003_l3.sql`.
pub const ROUTERS: Table = Table::new("routers", &["project_id"])
    .resource("router")
    .from_doc(&["name", "status"])
    .sortable(&["project_id", "name", "status"])
    .tagged();
/// Floating IPs: the association columns are NULL while not associated.
pub const FLOATINGIPS: Table = Table::new(
    "floatingips",
    &[
        "project_id",
        "floating_network_id",
        "port_id",
        "fixed_ip_address",
        "router_id",
    ],
)
.unique(Constraint::FloatingIpFixedIp)
.resource("floatingip")
.from_doc(&["name", "status"])
.sortable(&["project_id", "floating_network_id", "name", "status"])
.tagged();
/// Security groups (`migrations/0002_security_groups.sql`). `is_default`: 1 for the project's
/// `default` group, unique per project.
pub const SECURITY_GROUPS: Table = Table::new("security_groups", &["project_id", "is_default"])
    .unique(Constraint::SecurityGroupDefault)
    .resource("security_group")
    .from_doc(&["name"])
    .sortable(&["project_id", "name"])
    .tagged();
/// `sg_project_id`: the project owning the rule's group; `fingerprint`: unique per group.
pub const SECURITY_GROUP_RULES: Table = Table::new(
    "security_group_rules",
    &[
        "project_id",
        "security_group_id",
        "sg_project_id",
        "remote_group_id",
        "fingerprint",
        "remote_address_group_id",
    ],
)
.unique(Constraint::SecurityGroupRule)
.resource("security_group_rule")
.sortable(&["project_id", "security_group_id"]);

/// RBAC policies (`migrations/0004_quotas_rbac.sql`); unique on (type, object, action, target).
pub const RBAC_POLICIES: Table = Table::new(
    "rbac_policies",
    &[
        "project_id",
        "object_type",
        "object_id",
        "action",
        "target_project",
    ],
)
.unique(Constraint::RbacPolicy)
.resource("rbac_policy")
.sortable(&[
    "project_id",
    "object_type",
    "object_id",
    "action",
    "target_project",
]);

/// Subnet pools (`migrations/0005_subnetpools.sql`); `default_version` is unique (one default
/// pool per IP version); `shared` (0012) is the document's.
pub const SUBNETPOOLS: Table = Table::new(
    "subnetpools",
    &["project_id", "address_scope_id", "default_version"],
)
.unique(Constraint::DefaultSubnetPool)
.resource("subnetpool")
.from_doc(&["name"])
.flags_from_doc(&["shared"])
.sortable(&["project_id", "name"])
.tagged();
/// Address scopes; `shared` (0012) is the document's.
pub const ADDRESS_SCOPES: Table = Table::new("address_scopes", &["project_id"])
    .resource("address_scope")
    .from_doc(&["name"])
    .flags_from_doc(&["shared"])
    .sortable(&["project_id", "name"]);
/// The block each subnet took from a pool: id = subnet id, doc = its CIDR.
pub const SUBNETPOOL_SUBNETS: Table =
    Table::new("subnetpool_subnets", &["subnetpool_id", "project_id"]);

/// The auto-allocated topology of each project (id = the project's): its network and router
/// (`migrations/0021_auto_allocated_topologies.sql`).
pub const AUTO_ALLOCATED_TOPOLOGIES: Table =
    Table::new("auto_allocated_topologies", &["network_id", "router_id"]);

/// Every table of API resources: what the outbox records and a full compare walks.
pub const RESOURCES: [Table; 16] = [
    NETWORKS,
    SUBNETS,
    PORTS,
    ROUTERS,
    FLOATINGIPS,
    SECURITY_GROUPS,
    SECURITY_GROUP_RULES,
    RBAC_POLICIES,
    SUBNETPOOLS,
    ADDRESS_SCOPES,
    QOS_POLICIES,
    TRUNKS,
    ADDRESS_GROUPS,
    SEGMENTS,
    NETWORK_SEGMENT_RANGES,
    LOGS,
];

// QoS (`migrations/*/0019_qos.sql`).

/// QoS policies; `default_project` is unique (one default policy per project), `shared` the
/// document's. A change of a rule is a new revision of its policy.
pub const QOS_POLICIES: Table = Table::new("qos_policies", &["project_id", "default_project"])
    .unique(Constraint::QosDefaultPolicy)
    .resource("qos_policy")
    .from_doc(&["name"])
    .flags_from_doc(&["shared"])
    .sortable(&["project_id", "name"])
    .tagged();
/// The rules of QoS policies; `slot` (type and direction) is unique per policy.
pub const QOS_RULES: Table = Table::new(
    "qos_rules",
    &["policy_id", "rule_type", "project_id", "slot"],
)
.unique(Constraint::QosRule);
/// Which object (id = the port's, network's, floating IP's or router's; `project_id` its
/// project) uses which policy.
pub const QOS_BINDINGS: Table =
    Table::new("qos_bindings", &["object_type", "policy_id", "project_id"]);

// Port bindings (`binding-extended`, `migrations/*/0026_port_extensions.sql`).

/// The inactive bindings of ports (id = port id + `/` + host); the active one is the port's.
/// Not a resource of its own: a change here is a change of the port, whose revision the rules
/// bump.
pub const PORT_BINDINGS: Table = Table::new("port_bindings", &["port_id", "host"]);

// Trunks (`trunk` extension, `migrations/*/0018_trunks.sql`).

/// Trunks; `port_id` is the parent port.
pub const TRUNKS: Table = Table::new("trunks", &["project_id", "port_id"])
    .resource("trunk")
    .from_doc(&["name", "status"])
    .sortable(&["project_id", "port_id", "name", "status"])
    .tagged();
/// The ports of each trunk, keyed by port: the parent (`role` 'parent') and the sub-ports
/// (`role` 'subport', with their segmentation). Not a resource of its own: a change here is a
/// change of the trunk, whose revision the rules bump.
pub const TRUNK_PORTS: Table = Table::new(
    "trunk_ports",
    &["trunk_id", "role", "segmentation_type", "segmentation_id"],
)
.unique(Constraint::TrunkPort);

// Port forwardings (`floating-ip-port-forwarding`, `migrations/*/0022_port_forwardings.sql`).

/// The port forwardings of floating IPs; `project_id` is the floating IP's. Not a resource of its
/// own: a change here is a change of the floating IP, whose revision the rules bump. A single
/// port is a range of one; the unique indexes keep external ranges apart per floating IP and
/// protocol, internal ones per port, address and protocol.
pub const PORT_FORWARDINGS: Table = Table::new(
    "port_forwardings",
    &[
        "floatingip_id",
        "project_id",
        "internal_port_id",
        "protocol",
        "internal_ip_address",
        "external_port_start",
        "external_port_end",
        "internal_port_start",
        "internal_port_end",
    ],
);

// Service flavors (`flavors` extension, `migrations/*/0025_routers.sql`). Not resources of the
// back end: no revisions, nothing in the outbox.

/// Flavors; who serves them is in `flavor_service_profiles` (see [`crate::flavors`]).
pub const FLAVORS: Table = Table::new("flavors", &[])
    .from_doc(&["name"])
    .sortable(&["name"]);
/// Service profiles.
pub const SERVICE_PROFILES: Table = Table::new("service_profiles", &[]);

// Address groups and the default rules template (`migrations/*/0023_secgroups.sql`).

/// Address groups; their addresses are in the document.
pub const ADDRESS_GROUPS: Table = Table::new("address_groups", &["project_id"])
    .resource("address_group")
    .from_doc(&["name"])
    .sortable(&["project_id", "name"]);
/// The template of the rules new security groups get; the flags ('0'/'1') say which groups.
pub const DEFAULT_SECURITY_GROUP_RULES: Table = Table::new(
    "default_security_group_rules",
    &["for_default_sg", "for_custom_sg"],
);
/// The default `stateful` of new security groups, per project or system-wide (`scope` '',
/// `project_id` NULL); `scope` is unique.
pub const SECURITY_GROUPS_DEFAULT_STATEFULNESS: Table = Table::new(
    "security_groups_default_statefulness",
    &["project_id", "scope"],
);

// Segments (`segment` extension, `migrations/*/0024_segments.sql`).

/// Network segments: `seg_type`, `seg_physnet` and `seg_id` are unique together (see
/// [`crate::SegmentRow`]); `segment_index` orders a network's segments.
pub const SEGMENTS: Table = Table::new(
    "segments",
    &[
        "network_id",
        "seg_type",
        "seg_physnet",
        "seg_id",
        "segment_index",
    ],
)
.unique(Constraint::Segment)
.resource("segment");

/// Network segment ranges (`network-segment-range`); `project_id` is '' for a shared range,
/// `is_default` 1 for a range of the config.
pub const NETWORK_SEGMENT_RANGES: Table = Table::new(
    "network_segment_ranges",
    &[
        "project_id",
        "range_type",
        "range_physnet",
        "range_min",
        "range_max",
        "is_default",
    ],
)
.resource("network_segment_range")
.tagged();

// Network logs (`logging` extension, `migrations/*/0027_logs.sql`).

/// Network logs; `resource_id` (a security group) and `target_id` (a port) are NULL when the
/// log names none.
pub const LOGS: Table = Table::new("logs", &["project_id", "resource_id", "target_id"])
    .resource("log")
    .from_doc(&["name"])
    .sortable(&["project_id", "name"]);
