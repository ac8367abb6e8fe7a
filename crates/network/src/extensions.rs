//! API extensions: each is advertised by the collection that implements it, so the list at
//! `/v2.0/extensions` is exactly what is served and clients and tempest skip the rest.

/// One advertised extension.
#[derive(Clone, Copy, Debug)]
pub struct Extension {
    pub alias: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

pub const fn ext(alias: &'static str, name: &'static str, description: &'static str) -> Extension {
    Extension {
        alias,
        name,
        description,
    }
}

/// Behaviour of the API as a whole rather than of one collection.
pub const GENERAL: &[Extension] = &[
    ext(
        "project-id",
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
    ),
    ext(
        "pagination",
        "Pagination support",
        "Extension that indicates that pagination is enabled.",
    ),
    ext(
        "sorting",
        "Sorting support",
        "Extension that indicates that sorting is enabled.",
    ),
    ext(
        "filter-validation",
        "Filter parameters validation",
        "Provides validation on filter parameters.",
    ),
    ext(
        "empty-string-filtering",
        "Empty String Filtering Extension",
        "Allow filtering by attributes with empty string value",
    ),
    ext(
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
    ),
    ext(
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
    ),
    ext(
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
    ),
    ext(
        "revision-if-match",
        "If-Match constraints based on revision_number",
        "Extension indicating that If-Match based on revision_number is supported.",
    ),
    ext(
        "standard-attr-tag",
        "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
        "Enables to set tag on resources with standard attribute.",
    ),
    // `POST /v2.0/{resources}/{id}/tags` adds several tags at once.
    ext(
        "tag-creation",
        "Tag creation extension",
        "Allow to create multiple tags for a resource",
    ),
    ext("agent", "agent", "The agent management extension."),
    // The schedulers' sub-resources of agents, routers and networks (`agent_scheduler`).
    ext(
        "dhcp_agent_scheduler",
        "DHCP Agent Scheduler",
        "Schedule networks among dhcp agents",
    ),
    ext(
        "l3_agent_scheduler",
        "L3 Agent Scheduler",
        "Schedule routers among l3 agents",
    ),
    ext(
        "l3-agent-scheduler-ha-chassis-priority",
        "L3 Agent Scheduler HA Chassis Priority",
        "Exposes the HA_Chassis priority in the L3 Agent Scheduler API responses and allows setting priority when scheduling a router to a chassis.",
    ),
    ext(
        "service-type",
        "Neutron Service Type Management",
        "API for retrieving service providers for Neutron advanced services",
    ),
];

/// Every advertised extension: the general ones and those of each collection, each once.
pub fn all() -> Vec<Extension> {
    let mut out: Vec<Extension> = GENERAL.to_vec();
    out.extend_from_slice(crate::quotas::EXTENSIONS);
    out.extend_from_slice(crate::availability::EXTENSIONS);
    out.extend_from_slice(crate::auto_allocate::EXTENSIONS);
    for c in crate::collections() {
        for e in c.extensions() {
            if !out.iter().any(|x| x.alias == e.alias) {
                out.push(*e);
            }
        }
    }
    out
}
