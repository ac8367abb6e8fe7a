//! Subnet pools (`/v2.0/subnetpools`): prefix lists and bounds checked as upstream's
//! `SubnetPoolReader` does, one default pool per IP version, address-scope association, the
//! `add_prefixes`/`remove_prefixes` actions, and the in-use rule on delete. Allocating subnets
//! from a pool is in [`crate::pool_subnets`].

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use neutrino_ipam::{self as ipam, prefixes};
use neutrino_store::tables::{SUBNETPOOL_SUBNETS, SUBNETPOOLS};
use neutrino_store::{self as store, ColumnValue, Selection, Table, Tx, Visible};

use crate::address_scope::{AddressScope, AddressScopes};
use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Resource, Standard};
use crate::network::tags_on_create;
use crate::read::{Scope, check_revision, load_for_change};
use crate::{Caller, Error, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    updatable_required("name"),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    updatable_required("prefixes"),
    attr("ip_version", false, false),
    attr("min_prefixlen", true, true),
    attr("max_prefixlen", true, true),
    attr("default_prefixlen", true, true),
    attr("default_quota", true, true),
    attr("is_default", true, true),
    attr("shared", true, false),
    attr("address_scope_id", true, true),
    attr("tags", true, false),
];

/// Required on create, and changeable afterwards.
const fn updatable_required(name: &'static str) -> Attr {
    Attr {
        name,
        post: true,
        put: true,
        required: true,
    }
}

/// Attributes only admins may set.
const ADMIN_ATTRS: &[&str] = &["is_default", "shared"];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubnetPool {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub ip_version: u8,
    pub prefixes: Vec<IpNet>,
    #[serde(with = "prefixlen_text")]
    pub min_prefixlen: u8,
    #[serde(with = "prefixlen_text")]
    pub max_prefixlen: u8,
    #[serde(with = "prefixlen_text")]
    pub default_prefixlen: u8,
    pub default_quota: Option<u64>,
    pub is_default: bool,
    pub shared: bool,
    pub address_scope_id: Option<String>,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(SubnetPool, SUBNETPOOLS);

/// Upstream shows a pool's prefix lengths as strings (`"24"`); documents written before this
/// hold numbers, so both are read.
mod prefixlen_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(len: &u8, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(len)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Number(u8),
            Text(String),
        }
        match Stored::deserialize(d)? {
            Stored::Number(n) => Ok(n),
            Stored::Text(t) => t.parse().map_err(D::Error::custom),
        }
    }
}

impl SubnetPool {
    fn columns(&self) -> [(&'static str, ColumnValue); 3] {
        let text = |s: &str| ColumnValue::Text(s.to_string());
        [
            ("project_id", text(&self.project_id)),
            (
                "address_scope_id",
                self.address_scope_id
                    .as_deref()
                    .map_or(ColumnValue::Null, text),
            ),
            (
                "default_version",
                if self.is_default {
                    ColumnValue::Int(i64::from(self.ip_version))
                } else {
                    ColumnValue::Null
                },
            ),
        ]
    }

    /// The CIDRs of the subnets allocated from this pool (of `project` only, if given).
    pub(crate) fn allocations(&self, tx: &Tx<'_>, project: Option<&str>) -> Result<Vec<IpNet>> {
        let mut sel = Selection::by("subnetpool_id", vec![self.id.clone()]);
        if let Some(p) = project {
            sel = sel.and("project_id", vec![p.to_string()]);
        }
        Ok(store::list_docs(tx, SUBNETPOOL_SUBNETS, &sel)?
            .iter()
            .filter_map(|d| serde_json::from_str::<crate::pool_subnets::PoolBlock>(d).ok())
            .map(|b| b.cidr)
            .collect())
    }
}

pub(crate) fn not_found(id: &str) -> Error {
    Error::not_found(
        "SubnetPoolNotFound",
        format!("Subnet pool {id} could not be found."),
    )
}

fn prefix_update_error(msg: &str) -> Error {
    Error::bad_request(format!("Illegal update to prefixes: {msg}."))
        .with_kind("IllegalSubnetPoolPrefixUpdate")
}

/// The `prefixes` of a request: CIDRs of one IP version, not empty, compacted.
fn read_prefixes(b: &Body, name: &str) -> Result<Option<(u8, Vec<IpNet>)>> {
    let Some(list) = b.string_list(name)? else {
        return Ok(None);
    };
    let nets = list
        .iter()
        .map(|p| ipam::validate_subnet(p).map_err(|r| Error::invalid_attr(name, r)))
        .collect::<Result<Vec<IpNet>>>()?;
    check_prefixes(&nets).map(Some)
}

pub(crate) fn check_prefixes(nets: &[IpNet]) -> Result<(u8, Vec<IpNet>)> {
    let Some(first) = nets.first() else {
        return Err(Error::bad_request("Empty subnet pool prefix list.")
            .with_kind("EmptySubnetPoolPrefixList"));
    };
    let version = version_of(first);
    if nets.iter().any(|n| version_of(n) != version) {
        return Err(
            Error::bad_request("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
                .with_kind("PrefixVersionMismatch"),
        );
    }
    Ok((version, prefixes::compact(nets)))
}

pub(crate) fn version_of(n: &IpNet) -> u8 {
    match n {
        IpNet::V4(_) => 4,
        IpNet::V6(_) => 6,
    }
}

fn bounds_error(kind: &str, len: u8, base_kind: &str, base: u8) -> Error {
    Error::bad_request(format!(
        "Illegal prefix bounds: {kind}={len}, {base_kind}={base}."
    ))
    .with_kind("IllegalSubnetPoolPrefixBounds")
}

/// A prefix length attribute (non-negative integer); above 128 it cannot be valid anyway.
fn prefixlen(b: &Body, name: &str) -> Result<Option<u8>> {
    Ok(b.uint(name)?.map(|n| n.min(255) as u8))
}

/// Upstream's bound checks, in its order.
fn check_bounds(pool: &SubnetPool) -> Result<()> {
    let (min, max, default) = (
        pool.min_prefixlen,
        pool.max_prefixlen,
        pool.default_prefixlen,
    );
    let version_max = if pool.ip_version == 4 { 32 } else { 128 };
    if min > max {
        return Err(bounds_error("min_prefixlen", min, "max_prefixlen", max));
    }
    if max > version_max {
        return Err(bounds_error(
            "max_prefixlen",
            max,
            "ip_version_max",
            version_max,
        ));
    }
    if default < min {
        return Err(bounds_error(
            "default_prefixlen",
            default,
            "min_prefixlen",
            min,
        ));
    }
    if default > max {
        return Err(bounds_error(
            "default_prefixlen",
            default,
            "max_prefixlen",
            max,
        ));
    }
    Ok(())
}

fn check_admin_attrs(body: &Map<String, Value>, caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() {
        return Ok(());
    }
    match ADMIN_ATTRS.iter().find(|a| body.contains_key(**a)) {
        Some(a) => Err(Error::policy(&format!(
            "(rule:{action}_subnetpool and rule:{action}_subnetpool:{a})"
        ))),
        None => Ok(()),
    }
}

/// The pool-wide rules a created or changed pool must keep: one default per IP version, and
/// its address scope (visible, same IP version, no prefix shared with the scope's other pools).
pub(crate) fn check_associations(tx: &Tx<'_>, caller: &Caller, pool: &SubnetPool) -> Result<()> {
    if pool.is_default {
        let other_default = store::list_docs(
            tx,
            SUBNETPOOLS,
            &Selection::by("default_version", vec![pool.ip_version.to_string()]),
        )?
        .iter()
        .filter_map(|d| serde_json::from_str::<SubnetPool>(d).ok())
        .any(|p| p.id != pool.id);
        if other_default {
            return Err(Error::invalid_input(
                "A default subnetpool for this IP family has already been set. Only one default may exist per IP family",
            ));
        }
    }
    let Some(scope_id) = &pool.address_scope_id else {
        return Ok(());
    };
    let scope: AddressScope = AddressScopes::load_visible(tx, caller, scope_id)?;
    if !caller.is_admin() && !scope.shared && scope.project_id != caller.project_id {
        return Err(Error::bad_request(format!(
            "Illegal subnetpool association: subnetpool {} cannot be associated with address scope {scope_id}.",
            pool.id
        ))
        .with_kind("IllegalSubnetPoolAssociationToAddressScope"));
    }
    if scope.ip_version != pool.ip_version {
        return Err(Error::bad_request(format!(
            "Illegal subnetpool association: subnetpool {} cannot associate with address scope {scope_id} because subnetpool ip_version is not {}.",
            pool.id, scope.ip_version
        ))
        .with_kind("IllegalSubnetPoolIpVersionAssociationToAddressScope"));
    }
    for doc in store::list_docs(
        tx,
        SUBNETPOOLS,
        &Selection::by("address_scope_id", vec![scope_id.clone()]),
    )? {
        let Ok(other) = serde_json::from_str::<SubnetPool>(&doc) else {
            continue;
        };
        if other.id != pool.id && prefixes::sets_overlap(&other.prefixes, &pool.prefixes) {
            return Err(Error::conflict(
                "AddressScopePrefixConflict",
                "Failed to associate address scope: subnetpools within an address scope must have unique prefixes.",
            ));
        }
    }
    Ok(())
}

pub(crate) fn save(tx: &Tx<'_>, pool: &SubnetPool) -> Result<()> {
    store::update_row(tx, SUBNETPOOLS, &pool.id, &pool.columns(), &pool.to_doc())?;
    Ok(())
}

fn view(pool: &SubnetPool) -> Result<Value> {
    serde_json::to_value(pool).map_err(|_| Error::internal())
}

fn build(tx: &Tx<'_>, caller: &Caller, body: &Map<String, Value>) -> Result<SubnetPool> {
    check_attributes(body, ATTRS, Op::Create)?;
    check_admin_attrs(body, caller, "create")?;
    if !caller.has_role("member") && !caller.is_admin() {
        return Err(Error::policy("rule:create_subnetpool"));
    }
    let b = Body(body);
    let name = b.name("name")?.unwrap_or_default();
    if name.is_empty() {
        return Err(Error::invalid_attr(
            "name",
            "'' Blank strings are not permitted",
        ));
    }
    let (ip_version, prefixes) = read_prefixes(&b, "prefixes")?.unwrap_or((4, Vec::new()));
    let project_id = attrs::owner(body, caller)?;
    let (default_min, default_max) = if ip_version == 4 { (8, 32) } else { (64, 128) };
    let min_prefixlen = prefixlen(&b, "min_prefixlen")?.unwrap_or(default_min);
    let pool = SubnetPool {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        tenant_id: project_id.clone(),
        project_id,
        ip_version,
        prefixes,
        min_prefixlen,
        max_prefixlen: prefixlen(&b, "max_prefixlen")?.unwrap_or(default_max),
        default_prefixlen: prefixlen(&b, "default_prefixlen")?.unwrap_or(min_prefixlen),
        default_quota: b.uint("default_quota")?,
        is_default: b.bool("is_default")?.unwrap_or(false),
        shared: b.bool("shared")?.unwrap_or(false),
        address_scope_id: scope_id(&b)?.flatten(),
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
    };
    check_bounds(&pool)?;
    check_associations(tx, caller, &pool)?;
    Ok(pool)
}

/// `address_scope_id` as given: absent, `null`, or a UUID.
fn scope_id(b: &Body) -> Result<Option<Option<String>>> {
    match b.get("address_scope_id") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Ok(Some(Some(s.clone()))),
        Some(v) => Err(Error::invalid_attr(
            "address_scope_id",
            format!("'{}' is not a valid UUID", attrs::show(v)),
        )),
    }
}

/// Applies an update body to a pool, with upstream's checks.
fn apply_update(tx: &Tx<'_>, caller: &Caller, pool: &mut SubnetPool, b: &Body) -> Result<()> {
    let old_scope = pool.address_scope_id.clone();
    if let Some(scope) = &old_scope
        && !caller.is_admin()
        && AddressScopes::owner(tx, scope)?.as_deref() != Some(caller.project_id.as_str())
    {
        return Err(Error::bad_request(format!(
            "Illegal subnetpool update : subnetpool {} cannot be updated when associated with shared address scope {scope}.",
            pool.id
        ))
        .with_kind("IllegalSubnetPoolUpdate"));
    }
    if let Some(name) = b.name("name")? {
        if name.is_empty() {
            return Err(Error::invalid_attr(
                "name",
                "'' Blank strings are not permitted",
            ));
        }
        pool.name = name;
    }
    if let Some(d) = b.string("description", 255)? {
        pool.std.description = d;
    }
    if let Some((version, new)) = read_prefixes(b, "prefixes")? {
        if version != pool.ip_version || !prefixes::covers(&new, &pool.prefixes) {
            return Err(prefix_update_error(
                "Existing prefixes must be a subset of the new prefixes",
            ));
        }
        pool.prefixes = new;
    }
    if let Some(n) = prefixlen(b, "min_prefixlen")? {
        pool.min_prefixlen = n;
    }
    if let Some(n) = prefixlen(b, "max_prefixlen")? {
        pool.max_prefixlen = n;
    }
    if let Some(n) = prefixlen(b, "default_prefixlen")? {
        pool.default_prefixlen = n;
    }
    if b.has("default_quota") {
        pool.default_quota = b.uint("default_quota")?;
    }
    if let Some(d) = b.bool("is_default")? {
        pool.is_default = d;
    }
    if let Some(s) = scope_id(b)? {
        pool.address_scope_id = s;
    }
    check_bounds(pool)?;
    check_associations(tx, caller, pool)?;
    if pool.address_scope_id != old_scope {
        crate::pool_subnets::rescope(tx, pool)?;
    }
    Ok(())
}

/// The `prefixes` of an action body (`add_prefixes`/`remove_prefixes`).
fn action_prefixes(body: &Map<String, Value>) -> Result<Vec<IpNet>> {
    let invalid = || Error::bad_request("Request body contains invalid data");
    match body.get("prefixes") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| ipam::validate_subnet(s).ok())
                    .ok_or_else(|| {
                        Error::invalid_attr(
                            "prefixes",
                            format!("'{}' is not a valid IP subnet", attrs::show(v)),
                        )
                    })
            })
            .collect(),
        _ => Err(invalid()),
    }
}

fn change_prefixes(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
    action: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    let mut pool: SubnetPool =
        load_for_change(tx, caller, &SubnetPools, id, &format!("rule:{action}"))?;
    let given = action_prefixes(body)?;
    if action == "add_prefixes" {
        let mut all = pool.prefixes.clone();
        all.extend(given);
        let (version, all) = check_prefixes(&all)?;
        if version != pool.ip_version {
            return Err(
                Error::bad_request("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
                    .with_kind("PrefixVersionMismatch"),
            );
        }
        pool.prefixes = all;
    } else {
        if !prefixes::sets_overlap(&pool.prefixes, &given) {
            return Ok(json!({"prefixes": pool.prefixes}));
        }
        if prefixes::sets_overlap(&pool.allocations(tx, None)?, &given) {
            return Err(prefix_update_error(
                "One or more the prefixes to be removed is in use by a subnet.",
            ));
        }
        pool.prefixes = prefixes::difference(&pool.prefixes, &given);
    }
    check_associations(tx, caller, &pool)?;
    pool.std.touch();
    save(tx, &pool)?;
    Ok(json!({"prefixes": pool.prefixes}))
}

/// `/v2.0/subnetpools`.
pub struct SubnetPools;

impl SubnetPools {
    /// A pool the caller may see, or its 404.
    pub(crate) fn load_visible(tx: &Tx<'_>, caller: &Caller, id: &str) -> Result<SubnetPool> {
        let doc = store::get_doc(tx, SUBNETPOOLS, id)?.ok_or_else(|| not_found(id))?;
        let map: Map<String, Value> = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
        if !SubnetPools.sees(&Scope::load(tx, caller)?, &map) {
            return Err(not_found(id));
        }
        serde_json::from_value(Value::Object(map)).map_err(|_| Error::internal())
    }
}

impl Collection for SubnetPools {
    fn path(&self) -> &'static str {
        "subnetpools"
    }
    fn singular(&self) -> &'static str {
        "subnetpool"
    }
    fn plural(&self) -> &'static str {
        "subnetpools"
    }
    fn table(&self) -> Table {
        SUBNETPOOLS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("subnetpool")
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "subnet_allocation",
                "Subnet Allocation",
                "Enables allocation of subnets from a subnet pool",
            ),
            ext(
                "subnet_onboard",
                "Subnet Onboard",
                "Provides support for onboarding subnets into subnet pools",
            ),
            ext(
                "default-subnetpools",
                "Default Subnetpools",
                "Provides ability to mark and use a subnetpool as the default.",
            ),
            ext(
                "subnetpool-prefix-ops",
                "Subnet Pool Prefix Operations",
                "Provides support for adjusting the prefix list of subnet pools",
            ),
            ext(
                "rbac-subnetpool",
                "Add subnetpool type to RBAC",
                "Add subnetpool type to RBAC",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "project_id",
            "tenant_id",
            "prefixes",
            "ip_version",
            "min_prefixlen",
            "max_prefixlen",
            "default_prefixlen",
            "default_quota",
            "is_default",
            "shared",
            "address_scope_id",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["prefixes", "tags"]
    }
    fn numeric_strings(&self) -> &'static [&'static str] {
        &["min_prefixlen", "max_prefixlen", "default_prefixlen"]
    }
    /// Visible to its project's readers, to everyone when shared, and through RBAC grants.
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.sees_shareable("subnetpool", doc)
    }
    /// Its project's pools, shared ones, and those a policy shares with it.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.shareable_rows("subnetpool", Some("shared"))
    }
    fn relative_view(&self, scope: &Scope, doc: &mut Map<String, Value>) {
        scope.mark_shared("subnetpool", doc);
    }
    /// `shared` is relative to the caller (even an admin).
    fn stored_is_view(&self) -> bool {
        false
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let pool = build(tx, cx.caller, body)?;
        store::insert_row(tx, SUBNETPOOLS, &pool.id, &pool.columns(), &pool.to_doc())?;
        view(&pool)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Update)?;
        let mut pool: SubnetPool =
            load_for_change(tx, cx.caller, self, id, "rule:update_subnetpool")?;
        check_admin_attrs(body, cx.caller, "update")?;
        check_revision(if_match, pool.std.revision_number)?;
        apply_update(tx, cx.caller, &mut pool, &Body(body))?;
        pool.std.touch();
        save(tx, &pool)?;
        view(&pool)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let pool: SubnetPool = load_for_change(tx, cx.caller, self, id, "rule:delete_subnetpool")?;
        check_revision(if_match, pool.std.revision_number)?;
        if store::exists(
            tx,
            SUBNETPOOL_SUBNETS,
            &Selection::by("subnetpool_id", vec![id.to_string()]),
        )? {
            return Err(Error::bad_request(
                "Unable to delete subnet pool: Subnet pool has existing allocations.",
            )
            .with_kind("SubnetPoolDeleteError"));
        }
        store::delete_policies_on(tx, id)?;
        store::delete_row(tx, SUBNETPOOLS, id)?;
        Ok(())
    }

    fn action(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        action: &str,
        body: &Map<String, Value>,
    ) -> Option<Result<Value>> {
        match action {
            "add_prefixes" | "remove_prefixes" => {
                Some(change_prefixes(tx, cx.caller, id, action, body))
            }
            "onboard_network_subnets" => {
                Some(crate::subnet_onboard::onboard(tx, cx.caller, id, body))
            }
            _ => None,
        }
    }
}
