//! The API extensions Neutrino implements — exactly these, so that clients and tempest skip
//! what is not there — and the version documents.

use serde_json::{Value, json};

/// (alias, name, description)
const EXTENSIONS: &[(&str, &str, &str)] = &[
    (
        "project-id",
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
    ),
    (
        "pagination",
        "Pagination support",
        "Extension that indicates that pagination is enabled.",
    ),
    (
        "sorting",
        "Sorting support",
        "Extension that indicates that sorting is enabled.",
    ),
    (
        "filter-validation",
        "Filter parameters validation",
        "Provides validation on filter parameters.",
    ),
    (
        "empty-string-filtering",
        "Empty String Filtering Extension",
        "Allow filtering by attributes with empty string value",
    ),
    (
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
    ),
    (
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
    ),
    (
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
    ),
    (
        "revision-if-match",
        "If-Match constraints based on revision_number",
        "Extension indicating that If-Match based on revision_number is supported.",
    ),
    (
        "standard-attr-tag",
        "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
        "Enables to set tag on resources with standard attribute.",
    ),
    (
        "tag-ports-during-bulk-creation",
        "Tag Ports During Bulk Creation",
        "Allow to tag ports during bulk creation",
    ),
    (
        "external-net",
        "Neutron external network",
        "Adds external network attribute to network resource.",
    ),
    (
        "subnet-external-network",
        "Subnet External Network",
        "Informs if the subnet is associated to an external network.",
    ),
    (
        "provider",
        "Provider Network",
        "Expose mapping of virtual networks to physical networks",
    ),
    (
        "net-mtu",
        "Network MTU",
        "Provides MTU attribute for a network resource.",
    ),
    (
        "net-mtu-writable",
        "Network MTU (writable)",
        "Provides a writable MTU attribute for a network resource.",
    ),
    ("port-security", "Port Security", "Provides port security"),
    (
        "allowed-address-pairs",
        "Allowed Address Pairs",
        "Provides allowed address pairs",
    ),
    (
        "extra_dhcp_opt",
        "Neutron Extra DHCP options",
        "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)",
    ),
    (
        "binding",
        "Port Binding",
        "Expose port bindings of a virtual port to external application",
    ),
    (
        "ip-substring-filtering",
        "IP address substring filtering",
        "Provides IP address substring filtering when listing ports",
    ),
    ("ip_allocation", "IP Allocation", "IP allocation extension."),
    (
        "dns-integration",
        "DNS Integration",
        "Provides integration with DNS.",
    ),
    (
        "dns-domain-ports",
        "dns_domain for ports",
        "Allows the DNS domain to be specified for a network port.",
    ),
];

fn entry(alias: &str, name: &str, description: &str) -> Value {
    json!({"alias": alias, "name": name, "description": description, "updated": "2026-11-22T00:00:00-00:00", "links": []})
}

pub fn list() -> Value {
    json!({"extensions": EXTENSIONS.iter().map(|(a, n, d)| entry(a, n, d)).collect::<Vec<_>>()})
}

pub fn show(alias: &str) -> Option<Value> {
    EXTENSIONS
        .iter()
        .find(|(a, _, _)| *a == alias)
        .map(|(a, n, d)| json!({"extension": entry(a, n, d)}))
}

/// `GET /`: the API versions.
pub fn versions(root: &str) -> Value {
    json!({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": format!("{root}v2.0/")}]}]})
}

/// `GET /v2.0/`: the core resources.
pub fn resources(root: &str) -> Value {
    let r = |name: &str, coll: &str| json!({"name": name, "collection": coll, "links": [{"rel": "self", "href": format!("{root}v2.0/{coll}")}]});
    json!({"resources": [r("network", "networks"), r("subnet", "subnets"), r("port", "ports")]})
}
