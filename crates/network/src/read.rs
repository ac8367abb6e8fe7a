//! Reading resources: visibility (who may see which rows) and the per-caller view.

use std::collections::HashSet;

use serde_json::{Map, Value};

use neutrino_store::{self as store, Connection, Selection, StoreError, Table};

use crate::model::Resource;
use crate::{Caller, Error, Networking, Result};

/// The collections this crate serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Network,
    Subnet,
    Port,
}

impl Kind {
    pub fn table(self) -> Table {
        match self {
            Kind::Network => Table::Networks,
            Kind::Subnet => Table::Subnets,
            Kind::Port => Table::Ports,
        }
    }

    /// The JSON key of one resource.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Network => "network",
            Kind::Subnet => "subnet",
            Kind::Port => "port",
        }
    }

    /// The JSON key (and path) of the collection.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Network => "networks",
            Kind::Subnet => "subnets",
            Kind::Port => "ports",
        }
    }

    pub fn not_found(self, id: &str) -> Error {
        match self {
            Kind::Network => Error::network_not_found(id),
            Kind::Subnet => Error::subnet_not_found(id),
            Kind::Port => Error::port_not_found(id),
        }
    }

    /// Every attribute of the resource as the API shows it (what filters and sorts may name).
    pub fn attributes(self) -> &'static [&'static str] {
        match self {
            Kind::Network => &[
                "id",
                "name",
                "project_id",
                "tenant_id",
                "admin_state_up",
                "status",
                "subnets",
                "shared",
                "router:external",
                "mtu",
                "port_security_enabled",
                "dns_domain",
                "availability_zone_hints",
                "availability_zones",
                "ipv4_address_scope",
                "ipv6_address_scope",
                "is_default",
                "l2_adjacency",
                "provider:network_type",
                "provider:physical_network",
                "provider:segmentation_id",
                "description",
                "tags",
                "created_at",
                "updated_at",
                "revision_number",
            ],
            Kind::Subnet => &[
                "id",
                "name",
                "project_id",
                "tenant_id",
                "network_id",
                "ip_version",
                "cidr",
                "gateway_ip",
                "allocation_pools",
                "dns_nameservers",
                "host_routes",
                "enable_dhcp",
                "ipv6_ra_mode",
                "ipv6_address_mode",
                "subnetpool_id",
                "service_types",
                "dns_publish_fixed_ip",
                "router:external",
                "description",
                "tags",
                "created_at",
                "updated_at",
                "revision_number",
            ],
            Kind::Port => &[
                "id",
                "name",
                "project_id",
                "tenant_id",
                "network_id",
                "admin_state_up",
                "mac_address",
                "fixed_ips",
                "device_id",
                "device_owner",
                "status",
                "port_security_enabled",
                "allowed_address_pairs",
                "extra_dhcp_opts",
                "dns_name",
                "dns_domain",
                "dns_assignment",
                "ip_allocation",
                "binding:host_id",
                "binding:vnic_type",
                "binding:profile",
                "binding:vif_type",
                "binding:vif_details",
                "description",
                "tags",
                "created_at",
                "updated_at",
                "revision_number",
            ],
        }
    }

    /// Attributes a list may be sorted by: the scalar ones.
    pub fn is_sort_key(self, attr: &str) -> bool {
        const LISTS_AND_MAPS: &[&str] = &[
            "subnets",
            "availability_zone_hints",
            "availability_zones",
            "tags",
            "allocation_pools",
            "dns_nameservers",
            "host_routes",
            "service_types",
            "fixed_ips",
            "allowed_address_pairs",
            "extra_dhcp_opts",
            "dns_assignment",
            "binding:profile",
            "binding:vif_details",
        ];
        self.attributes().contains(&attr) && !LISTS_AND_MAPS.contains(&attr)
    }

    /// Attributes only admins see.
    pub fn admin_only(self) -> &'static [&'static str] {
        match self {
            Kind::Network => &[
                "provider:network_type",
                "provider:physical_network",
                "provider:segmentation_id",
            ],
            Kind::Subnet => &[],
            Kind::Port => &[
                "binding:host_id",
                "binding:profile",
                "binding:vif_type",
                "binding:vif_details",
            ],
        }
    }
}

/// What a caller may see beyond its own project: networks it owns (their ports are visible
/// to it) and networks shared with it or external (their subnets are visible to it).
pub(crate) struct Scope {
    admin: bool,
    project: String,
    reader: bool,
    owned_networks: HashSet<String>,
    open_networks: HashSet<String>,
}

impl Scope {
    pub(crate) fn load(conn: &Connection, caller: &Caller) -> Result<Scope, StoreError> {
        let mut scope = Scope {
            admin: caller.is_admin(),
            project: caller.project_id.clone(),
            reader: caller.has_role("reader"),
            owned_networks: HashSet::new(),
            open_networks: HashSet::new(),
        };
        if scope.admin {
            return Ok(scope);
        }
        for (id, owned) in store::networks_visible_to(conn, &scope.project)? {
            if owned {
                scope.owned_networks.insert(id);
            } else {
                scope.open_networks.insert(id);
            }
        }
        Ok(scope)
    }

    fn own(&self, project: &str) -> bool {
        self.reader && project == self.project
    }

    /// May the caller see this resource (given as its stored JSON)?
    pub(crate) fn sees(&self, kind: Kind, doc: &Map<String, Value>) -> bool {
        if self.admin {
            return true;
        }
        let field = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default();
        let own = self.own(field("project_id"));
        match kind {
            Kind::Network => {
                own || doc.get("shared") == Some(&Value::Bool(true))
                    || doc.get("router:external") == Some(&Value::Bool(true))
            }
            Kind::Subnet => {
                own || self.open_networks.contains(field("network_id"))
                    || (self.reader && self.owned_networks.contains(field("network_id")))
            }
            Kind::Port => own || (self.reader && self.owned_networks.contains(field("network_id"))),
        }
    }

    /// Strips what policy hides from this caller.
    pub(crate) fn view(&self, kind: Kind, mut doc: Map<String, Value>) -> Map<String, Value> {
        if !self.admin {
            for key in kind.admin_only() {
                doc.remove(*key);
            }
        }
        doc
    }
}

fn parse_map(kind: Kind, doc: &str) -> Result<Map<String, Value>> {
    serde_json::from_str(doc).map_err(|e| {
        tracing::error!(table = kind.table().name(), error = %e, "corrupt stored document");
        Error::internal()
    })
}

impl Networking {
    /// Every resource of `kind` that the caller may see among the rows `sel` selects.
    pub async fn list(
        &self,
        caller: &Caller,
        kind: Kind,
        sel: Selection,
    ) -> Result<Vec<Map<String, Value>>> {
        let caller = caller.clone();
        self.store
            .read(move |conn| {
                let scope = Scope::load(conn, &caller)?;
                let mut out = Vec::new();
                for doc in store::list_docs(conn, kind.table(), &sel)? {
                    let map = parse_map(kind, &doc)?;
                    if scope.sees(kind, &map) {
                        out.push(scope.view(kind, map));
                    }
                }
                Ok(out)
            })
            .await
    }

    /// One resource, or its not-found error if it does not exist or the caller may not see it.
    pub async fn get(&self, caller: &Caller, kind: Kind, id: &str) -> Result<Map<String, Value>> {
        let (caller, id) = (caller.clone(), id.to_string());
        self.store
            .read(move |conn| {
                let doc =
                    store::get_doc(conn, kind.table(), &id)?.ok_or_else(|| kind.not_found(&id))?;
                let map = parse_map(kind, &doc)?;
                let scope = Scope::load(conn, &caller)?;
                if !scope.sees(kind, &map) {
                    return Err(kind.not_found(&id));
                }
                Ok(scope.view(kind, map))
            })
            .await
    }
}

/// Reads a typed resource inside a transaction.
pub(crate) fn load<T: Resource>(conn: &Connection, id: &str) -> Result<Option<T>, StoreError> {
    store::get_doc(conn, T::TABLE, id)?
        .map(|doc| T::from_doc(id, &doc))
        .transpose()
}

/// Reads a resource for a change by `caller`: 404 if it may not see it, 403 (naming `rule`) if
/// it may see it but not change it, as upstream's policy hook decides.
pub(crate) fn load_for_change<T: Resource>(
    conn: &Connection,
    caller: &Caller,
    kind: Kind,
    id: &str,
    rule: &str,
) -> Result<T> {
    let doc = store::get_doc(conn, kind.table(), id)?.ok_or_else(|| kind.not_found(id))?;
    let map = parse_map(kind, &doc)?;
    let scope = Scope::load(conn, caller)?;
    if !scope.sees(kind, &map) {
        return Err(kind.not_found(id));
    }
    let owner = map
        .get("project_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let network_owner_may = kind == Kind::Port
        && caller.has_role("member")
        && map
            .get("network_id")
            .and_then(Value::as_str)
            .is_some_and(|n| scope.owned_networks.contains(n));
    if !caller.may_write(owner) && !network_owner_may {
        return Err(Error::policy(rule));
    }
    Ok(T::from_doc(id, &doc)?)
}

/// Checks `If-Match: revision_number=N`.
pub(crate) fn check_revision(expected: Option<u64>, current: u64) -> Result<()> {
    match expected {
        Some(n) if n != current => Err(Error::new(
            412,
            "RevisionNumberConstraintFailed",
            format!("Constrained to {n}, but current revision is {current}"),
        )),
        _ => Ok(()),
    }
}
