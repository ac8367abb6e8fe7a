//! A collection of the API (`/v2.0/networks`, ...): what the HTTP layer needs to know about a
//! resource type, and the operations on it. Every resource module implements [`Collection`]
//! once and is listed in [`collections`].

use serde_json::{Map, Value};

use neutrino_store::{Selection, Table, Tx, Visible};

use crate::extensions::Extension;
use crate::read::Scope;
use crate::{Caller, Error, NetworkConfig, Result};

/// A collection, as the HTTP layer and the generic read/write paths see it.
pub type Kind = &'static dyn Collection;

/// What an operation runs with.
pub struct Ctx<'a> {
    pub cfg: &'a NetworkConfig,
    pub caller: &'a Caller,
}

pub trait Collection: Send + Sync {
    /// The path segment under `/v2.0/` ("security-groups").
    fn path(&self) -> &'static str;
    /// The JSON key of one resource ("security_group").
    fn singular(&self) -> &'static str;
    /// The JSON key of a list ("security_groups").
    fn plural(&self) -> &'static str;
    fn table(&self) -> Table;
    /// The typed 404 of this resource ("Network X could not be found.").
    fn not_found(&self, id: &str) -> Error;
    /// Every attribute as the API shows it: what filters and sorts may name.
    fn attributes(&self) -> &'static [&'static str];
    /// Attributes holding lists or maps: they cannot be sort keys.
    fn unsortable(&self) -> &'static [&'static str] {
        &[]
    }
    /// Attributes upstream neither filters nor sorts by (no `is_filter`, no column of their
    /// own): naming one in a query is the 400 of an unknown attribute.
    fn unqueryable(&self) -> &'static [&'static str] {
        &[]
    }
    /// May a list query filter by `attr`?
    fn is_filter(&self, attr: &str) -> bool {
        self.attributes().contains(&attr) && !self.unqueryable().contains(&attr)
    }
    /// Integer attributes upstream shows as strings (a subnet pool's prefix lengths): they sort
    /// by value, as upstream's integer columns do.
    fn numeric_strings(&self) -> &'static [&'static str] {
        &[]
    }
    /// The quota resource each created member counts against ("network"), if any; its table
    /// must have a `project_id` column. Checked by the generic create, bulk included.
    fn quota_resource(&self) -> Option<&'static str> {
        None
    }
    /// The API extensions this collection implements.
    fn extensions(&self) -> &'static [Extension] {
        &[]
    }
    /// A member action (`PUT /v2.0/{path}/{id}/{action}`, e.g. `add_router_interface`); `None`
    /// if the collection has no such action.
    fn action(
        &self,
        _tx: &Tx<'_>,
        _cx: &Ctx<'_>,
        _id: &str,
        _action: &str,
        _body: &Map<String, Value>,
    ) -> Option<Result<Value>> {
        None
    }
    /// A member read (`GET /v2.0/{path}/{id}/{action}`, a trunk's `get_subports`), answered
    /// from the resource as the caller sees it; `None` if the collection has no such read.
    fn read_action(&self, _action: &str, _shown: &Map<String, Value>) -> Option<Value> {
        None
    }
    /// Attributes that may be filtered on but are never shown.
    fn hidden(&self) -> &'static [&'static str] {
        &[]
    }
    /// Attributes only admins see.
    fn admin_only(&self) -> &'static [&'static str] {
        &[]
    }
    /// Adjusts attributes shown relative to the caller (a network's `shared`).
    fn relative_view(&self, _scope: &Scope, _doc: &mut Map<String, Value>) {}
    /// May the caller see this resource (its stored JSON)?
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool;
    /// For a caller who is not an admin: the rows it may see, as SQL alternatives, so that a
    /// list reads only those. They must admit every row [`Collection::sees`] admits (which
    /// stays the rule, checked on each row read); each collection states them exactly where
    /// SQL can.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible>;
    /// May the caller, who sees it, change or delete it? Default: a member of its project.
    fn may_change(&self, _scope: &Scope, caller: &Caller, doc: &Map<String, Value>) -> bool {
        caller.may_write(
            doc.get("project_id")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
    }

    /// A project whose default resources (its default security group) must exist before the
    /// caller lists this collection with the rows `sel` selects.
    fn list_project_defaults(&self, _caller: &Caller, _sel: &Selection) -> Option<String> {
        None
    }
    /// Whether reads need the `default` network segment ranges stored first (see
    /// [`crate::Networking::ensure_segment_range_defaults`]).
    fn needs_segment_range_defaults(&self) -> bool {
        false
    }
    /// Is a stored document exactly the resource's view for an admin (nothing hidden, nothing
    /// to complete from other tables, nothing shown relative to the caller by
    /// [`Collection::relative_view`], no defaults to create before a list)?
    fn stored_is_view(&self) -> bool {
        self.hidden().is_empty()
    }
    /// Whether [`Collection::complete`] would, with the rows as they are now, add anything to
    /// stored documents that are otherwise views (a port's `trunk_details` once some port is
    /// a trunk's parent): the plain-list shortcut then steps aside.
    fn completes_now(&self, _tx: &Tx<'_>) -> Result<bool> {
        Ok(false)
    }
    /// Completes the views of visible resources with what lives in other tables (the rules of
    /// a security group, a network's subnets): attributes computed when read, never copied
    /// into the resource's own row. One call for a whole list, so one query for all of it.
    fn complete(
        &self,
        _tx: &Tx<'_>,
        _scope: &Scope,
        _items: &mut [Map<String, Value>],
    ) -> Result<()> {
        Ok(())
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value>;
    /// Creates the resources of one POST (bulk or not) in one transaction; collections whose
    /// checks span the whole request (security group rules) replace it.
    fn create_all(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        bodies: &[Map<String, Value>],
    ) -> Result<Vec<Value>> {
        bodies
            .iter()
            .map(|body| self.create(tx, cx, body))
            .collect()
    }
    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value>;
    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()>;
    /// Whether the resource has tags (`/{path}/{id}/tags`); every resource with standard
    /// attributes does, through [`crate::tags::change`].
    fn taggable(&self) -> bool {
        true
    }

    fn is_sort_key(&self, attr: &str) -> bool {
        self.is_filter(attr) && !self.unsortable().contains(&attr)
    }
}

/// Every collection Neutrino serves.
pub fn collections() -> &'static [Kind] {
    &[
        &crate::network::Networks,
        &crate::subnet::Subnets,
        &crate::port::Ports,
        &crate::router::Routers,
        &crate::floatingip::FloatingIps,
        &crate::security_group::SecurityGroups,
        &crate::security_group_rule::SecurityGroupRules,
        &crate::rbac::RbacPolicies,
        &crate::subnetpool::SubnetPools,
        &crate::address_scope::AddressScopes,
        &crate::qos::QosPolicies,
        &crate::trunk::Trunks,
        &crate::flavor::Flavors,
        &crate::flavor::ServiceProfiles,
        &crate::address_group::AddressGroups,
        &crate::default_rules::DefaultSecurityGroupRules,
        &crate::default_statefulness::DefaultStatefulnessSettings,
        &crate::segment::Segments,
        &crate::segment_ranges::SegmentRanges,
        &crate::log::Logs,
    ]
}

/// The collection at `/v2.0/{path}`.
pub fn collection(path: &str) -> Option<Kind> {
    collections().iter().copied().find(|c| c.path() == path)
}
