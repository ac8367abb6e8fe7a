//! Service flavors (`flavors`): `/v2.0/flavors` and `/v2.0/service_profiles`, the profiles
//! bound to a flavor (`/v2.0/flavors/{id}/service_profiles[/{profile_id}]`), the provider a
//! flavor leads to (`next_providers`), and routers' `flavor_id` (`l3-flavors`). As upstream's
//! flavors plugin: writes are for admins, everyone reads flavors, only admins see profiles.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use neutrino_store::tables::{FLAVORS, ROUTERS, SERVICE_PROFILES};
use neutrino_store::{self as store, Selection, Table, Tx, Visible, flavors as bindings};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::read::{Scope, load_map_for_change};
use crate::{Caller, Error, Failure, Result};

/// upstream's `LONG_DESCRIPTION_FIELD_SIZE`.
const LONG_TEXT: usize = 1024;

/// The service plugin types a flavor may name (`type:service_plugin_type`: the plugins this
/// service runs).
const SERVICE_TYPES: &[&str] = &[
    "CORE",
    "L3_ROUTER_NAT",
    "FLAVORS",
    "QOS",
    "TRUNK",
    "AUTO_ALLOCATE",
    "NETWORK_IP_AVAILABILITY",
];

/// The service providers a profile's `driver` may name, with the provider's name: the OVN L3
/// provider, the one upstream's OVN L3 plugin loads by default.
const PROVIDERS: &[(&str, &str)] = &[(
    "neutron.services.ovn_l3.service_providers.ovn.OvnDriver",
    "ovn",
)];

const FLAVOR_ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    required("service_type"),
    attr("service_profiles", true, true),
    attr("enabled", true, true),
];

const PROFILE_ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("description", true, true),
    attr("driver", true, true),
    attr("metainfo", true, true),
    attr("enabled", true, true),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub service_type: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceProfile {
    pub id: String,
    pub description: Option<String>,
    pub driver: String,
    pub metainfo: Option<String>,
    pub enabled: bool,
}

fn flavor_not_found(id: &str) -> Error {
    Error::not_found("FlavorNotFound", format!("Flavor {id} could not be found."))
}

fn profile_not_found(id: &str) -> Error {
    Error::not_found(
        "ServiceProfileNotFound",
        format!("Service Profile {id} could not be found."),
    )
}

fn binding_not_found(profile_id: &str, flavor_id: &str) -> Error {
    Error::not_found(
        "FlavorServiceProfileBindingNotFound",
        format!("Service Profile {profile_id} is not associated with flavor {flavor_id}."),
    )
}

fn profile_in_use(id: &str) -> Error {
    Error::in_use(
        "ServiceProfileInUse",
        format!("Service Profile {id} is used by some service instance."),
    )
}

/// Shows under `key` of each item the ids bound to it: `bound` gives (item id, bound id) pairs
/// for the items' ids, oldest binding first.
fn add_bound(
    items: &mut [Map<String, Value>],
    key: &str,
    bound: impl FnOnce(&[String]) -> Result<Vec<(String, String)>>,
) -> Result<()> {
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut by_item: HashMap<String, Vec<Value>> = HashMap::new();
    for (item, other) in bound(&ids)? {
        by_item.entry(item).or_default().push(other.into());
    }
    for item in items {
        let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
        let others = by_item.remove(id).unwrap_or_default();
        item.insert(key.into(), Value::Array(others));
    }
    Ok(())
}

fn parse<T: for<'de> Deserialize<'de>>(doc: &str) -> Result<T> {
    serde_json::from_str(doc).map_err(|_| Error::internal())
}

fn to_value<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|_| Error::internal())
}

fn load_flavor(tx: &Tx<'_>, id: &str) -> Result<Flavor> {
    let doc = store::get_doc(tx, FLAVORS, id)?.ok_or_else(|| flavor_not_found(id))?;
    parse(&doc)
}

fn load_profile(tx: &Tx<'_>, id: &str) -> Result<ServiceProfile> {
    let doc = store::get_doc(tx, SERVICE_PROFILES, id)?.ok_or_else(|| profile_not_found(id))?;
    parse(&doc)
}

/// `type:string_or_none` of at most [`LONG_TEXT`] characters.
fn text_or_none(b: &Body, name: &str) -> Result<Option<Option<String>>> {
    match b.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(_) => Ok(Some(b.string(name, LONG_TEXT)?)),
    }
}

fn enabled(b: &Body) -> Result<Option<bool>> {
    match b.get("enabled") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => b.bool("enabled"),
    }
}

/// `service_profiles` on a flavor: a list of UUIDs, accepted and not applied (upstream's
/// create and update ignore it; the association API binds profiles).
fn check_profile_ids(b: &Body) -> Result<()> {
    match b.get("service_profiles") {
        None => Ok(()),
        Some(Value::Array(items)) => {
            for item in items {
                let ok = item
                    .as_str()
                    .is_some_and(|s| uuid::Uuid::parse_str(s).is_ok());
                if !ok {
                    return Err(Error::invalid_attr(
                        "service_profiles",
                        format!("'{}' is not a valid UUID", attrs::show(item)),
                    ));
                }
            }
            Ok(())
        }
        Some(v) => Err(Error::invalid_attr(
            "service_profiles",
            format!("'{}' is not a list", attrs::show(v)),
        )),
    }
}

/// `_validate_driver`: a non-empty driver must be a loaded provider's.
fn check_driver(driver: &str) -> Result<()> {
    if PROVIDERS.iter().any(|(d, _)| *d == driver) {
        Ok(())
    } else {
        Err(Error::not_found(
            "ServiceProfileDriverNotFound",
            format!("Service Profile driver {driver} could not be found."),
        ))
    }
}

/// `get_flavor_next_provider`: the first bound profile's driver and its provider.
fn next_provider(tx: &Tx<'_>, flavor_id: &str) -> Result<(String, String)> {
    let bound = bindings::of_flavors(tx, &[flavor_id.to_owned()])?;
    let Some((_, profile_id)) = bound.first() else {
        return Err(binding_not_found("", flavor_id));
    };
    let profile = load_profile(tx, profile_id)?;
    if !profile.enabled {
        return Err(Error::new(
            Failure::Unavailable,
            "ServiceProfileDisabled",
            "Service Profile is not enabled.",
        ));
    }
    check_driver(&profile.driver)?;
    let provider = PROVIDERS
        .iter()
        .find(|(d, _)| *d == profile.driver)
        .map(|(_, p)| (*p).to_owned())
        .unwrap_or_default();
    Ok((profile.driver, provider))
}

/// A router's `flavor_id` (`l3-flavors`): the flavor must exist and lead to a provider, as
/// upstream's driver controller looks it up. Returns the flavor's id.
pub(crate) fn router_flavor(tx: &Tx<'_>, v: &Value) -> Result<String> {
    let id = match v {
        Value::String(s) => s.clone(),
        other => return Err(flavor_not_found(&attrs::show(other))),
    };
    let flavor = load_flavor(tx, &id)?;
    next_provider(tx, &flavor.id)?;
    Ok(flavor.id)
}

/// Does a router use the flavor? (Upstream's foreign key from routers to flavors.)
fn used_by_routers(tx: &Tx<'_>, flavor_id: &str) -> Result<bool> {
    #[derive(Deserialize)]
    struct RouterFlavor {
        flavor_id: Option<String>,
    }
    for doc in store::list_docs(tx, ROUTERS, &Selection::all())? {
        let r: RouterFlavor = parse(&doc)?;
        if r.flavor_id.as_deref() == Some(flavor_id) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `/v2.0/flavors`.
pub struct Flavors;

impl Collection for Flavors {
    fn path(&self) -> &'static str {
        "flavors"
    }
    fn singular(&self) -> &'static str {
        "flavor"
    }
    fn plural(&self) -> &'static str {
        "flavors"
    }
    fn table(&self) -> Table {
        FLAVORS
    }
    fn not_found(&self, id: &str) -> Error {
        flavor_not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "flavors",
                "Neutron Service Flavors",
                "Flavor specification for Neutron advanced services.",
            ),
            ext(
                "l3-flavors",
                "Router Flavor Extension",
                "Flavor support for routers.",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "description",
            "service_type",
            "service_profiles",
            "enabled",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["service_profiles"]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    fn sees(&self, _scope: &Scope, _doc: &Map<String, Value>) -> bool {
        true
    }
    fn visible_rows(&self, _scope: &Scope) -> Vec<Visible> {
        vec![Visible::Any]
    }
    fn may_change(&self, _scope: &Scope, caller: &Caller, _doc: &Map<String, Value>) -> bool {
        caller.is_admin()
    }
    /// Each flavor's bound profiles, oldest binding first.
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        add_bound(items, "service_profiles", |ids| {
            let pairs = bindings::of_flavors(tx, ids)?;
            Ok(pairs.into_iter().collect())
        })
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, FLAVOR_ATTRS, Op::Create)?;
        cx.caller.require_admin("create_flavor")?;
        let b = Body(body);
        let service_type = match b.get("service_type") {
            Some(Value::String(s)) if SERVICE_TYPES.contains(&s.as_str()) => s.clone(),
            Some(v) => {
                let shown = v
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| attrs::show(v));
                return Err(Error::new(
                    Failure::Invalid,
                    "InvalidServiceType",
                    format!("Invalid service type {shown}."),
                ));
            }
            None => return Err(Error::internal()),
        };
        check_profile_ids(&b)?;
        let flavor = Flavor {
            id: uuid::Uuid::new_v4().to_string(),
            name: b.name("name")?.unwrap_or_default(),
            description: text_or_none(&b, "description")?.unwrap_or(Some(String::new())),
            service_type,
            enabled: enabled(&b)?.unwrap_or(true),
        };
        let doc = serde_json::to_string(&flavor).map_err(|_| Error::internal())?;
        store::insert_row(tx, FLAVORS, &flavor.id, &[], &doc)?;
        let mut v = to_value(&flavor)?;
        v["service_profiles"] = json!([]);
        Ok(v)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, FLAVOR_ATTRS, Op::Update)?;
        load_map_for_change(tx, cx.caller, self, id, "rule:update_flavor")?;
        let mut flavor = load_flavor(tx, id)?;
        let b = Body(body);
        check_profile_ids(&b)?;
        if let Some(name) = b.name("name")? {
            flavor.name = name;
        }
        if let Some(d) = text_or_none(&b, "description")? {
            flavor.description = d;
        }
        if let Some(e) = enabled(&b)? {
            flavor.enabled = e;
        }
        let doc = serde_json::to_string(&flavor).map_err(|_| Error::internal())?;
        store::update_doc(tx, FLAVORS, id, &doc)?;
        let mut items = [match to_value(&flavor)? {
            Value::Object(m) => m,
            _ => return Err(Error::internal()),
        }];
        self.complete(tx, &Scope::load(tx, cx.caller)?, &mut items)?;
        let [item] = items;
        Ok(Value::Object(item))
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        load_map_for_change(tx, cx.caller, self, id, "rule:delete_flavor")?;
        if used_by_routers(tx, id)? {
            return Err(Error::in_use(
                "FlavorInUse",
                format!("Flavor {id} is used by some service instance."),
            ));
        }
        store::delete_row(tx, FLAVORS, id)?;
        Ok(())
    }
}

/// `/v2.0/service_profiles`.
pub struct ServiceProfiles;

impl Collection for ServiceProfiles {
    fn path(&self) -> &'static str {
        "service_profiles"
    }
    fn singular(&self) -> &'static str {
        "service_profile"
    }
    fn plural(&self) -> &'static str {
        "service_profiles"
    }
    fn table(&self) -> Table {
        SERVICE_PROFILES
    }
    fn not_found(&self, id: &str) -> Error {
        profile_not_found(id)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "description",
            "driver",
            "metainfo",
            "enabled",
            "flavors",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["flavors"]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    fn sees(&self, scope: &Scope, _doc: &Map<String, Value>) -> bool {
        scope.admin()
    }
    /// None: only administrators see profiles.
    fn visible_rows(&self, _scope: &Scope) -> Vec<Visible> {
        Vec::new()
    }
    fn may_change(&self, _scope: &Scope, caller: &Caller, _doc: &Map<String, Value>) -> bool {
        caller.is_admin()
    }
    /// The flavors each profile serves.
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        add_bound(items, "flavors", |ids| {
            let pairs = bindings::of_profiles(tx, ids)?;
            Ok(pairs.into_iter().map(|(f, p)| (p, f)).collect())
        })
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, PROFILE_ATTRS, Op::Create)?;
        cx.caller.require_admin("create_service_profile")?;
        let b = Body(body);
        let driver = b.string("driver", LONG_TEXT)?.unwrap_or_default();
        let metainfo = metainfo(&b)?.unwrap_or(Some(String::new()));
        if !driver.is_empty() {
            check_driver(&driver)?;
        } else if metainfo.as_deref().unwrap_or_default().is_empty() {
            return Err(Error::new(
                Failure::Invalid,
                "ServiceProfileEmpty",
                "Service Profile needs either a driver or metainfo.",
            ));
        }
        let profile = ServiceProfile {
            id: uuid::Uuid::new_v4().to_string(),
            description: text_or_none(&b, "description")?.unwrap_or(Some(String::new())),
            driver,
            metainfo,
            enabled: enabled(&b)?.unwrap_or(true),
        };
        let doc = serde_json::to_string(&profile).map_err(|_| Error::internal())?;
        store::insert_row(tx, SERVICE_PROFILES, &profile.id, &[], &doc)?;
        let mut v = to_value(&profile)?;
        v["flavors"] = json!([]);
        Ok(v)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, PROFILE_ATTRS, Op::Update)?;
        load_map_for_change(tx, cx.caller, self, id, "rule:update_service_profile")?;
        let b = Body(body);
        let driver = b.string("driver", LONG_TEXT)?;
        if let Some(d) = driver.as_deref().filter(|d| !d.is_empty()) {
            check_driver(d)?;
        }
        if !bindings::of_profiles(tx, &[id.to_owned()])?.is_empty() {
            return Err(profile_in_use(id));
        }
        let mut profile = load_profile(tx, id)?;
        if let Some(d) = driver {
            profile.driver = d;
        }
        if let Some(m) = metainfo(&b)? {
            profile.metainfo = m;
        }
        if let Some(d) = text_or_none(&b, "description")? {
            profile.description = d;
        }
        if let Some(e) = enabled(&b)? {
            profile.enabled = e;
        }
        let doc = serde_json::to_string(&profile).map_err(|_| Error::internal())?;
        store::update_doc(tx, SERVICE_PROFILES, id, &doc)?;
        let mut v = to_value(&profile)?;
        v["flavors"] = json!([]);
        Ok(v)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        load_map_for_change(tx, cx.caller, self, id, "rule:delete_service_profile")?;
        if !bindings::of_profiles(tx, &[id.to_owned()])?.is_empty() {
            return Err(profile_in_use(id));
        }
        store::delete_row(tx, SERVICE_PROFILES, id)?;
        Ok(())
    }
}

/// `metainfo`: upstream takes any value into a string column; a string (or null) here.
fn metainfo(b: &Body) -> Result<Option<Option<String>>> {
    match b.get("metainfo") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(v) => Err(Error::invalid_attr(
            "metainfo",
            format!("'{}' is not a valid string", attrs::show(v)),
        )),
    }
}

/// `POST /v2.0/flavors/{id}/service_profiles` with `{"service_profile": {"id": ...}}`: binds a
/// profile. Upstream answers the flavor's id under `service_profile` (its view of the flavor
/// through the sub-resource's attribute map, which has `id` only).
pub(crate) fn associate(
    tx: &Tx<'_>,
    caller: &Caller,
    flavor_id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    caller.require_admin("create_flavor_service_profile")?;
    if let Some(k) = body.keys().find(|k| *k != "id") {
        return Err(Error::bad_request(format!(
            "Unrecognized attribute(s) '{k}'"
        )));
    }
    let profile_id = match body.get("id") {
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.clone(),
        Some(v) => {
            return Err(Error::invalid_attr(
                "id",
                format!("'{}' is not a valid UUID", attrs::show(v)),
            ));
        }
        None => {
            return Err(Error::bad_request(
                "Failed to parse request. Required attribute 'id' not specified",
            ));
        }
    };
    load_flavor(tx, flavor_id)?;
    load_profile(tx, &profile_id)?;
    if !bindings::bind(tx, flavor_id, &profile_id)? {
        return Err(Error::conflict(
            "FlavorServiceProfileBindingExists",
            format!("Service Profile {profile_id} is already associated with flavor {flavor_id}."),
        ));
    }
    Ok(json!({ "id": flavor_id }))
}

/// `DELETE /v2.0/flavors/{id}/service_profiles/{profile_id}`.
pub(crate) fn disassociate(
    tx: &Tx<'_>,
    caller: &Caller,
    flavor_id: &str,
    profile_id: &str,
) -> Result<()> {
    caller.require_admin("delete_flavor_service_profile")?;
    if !bindings::unbind(tx, flavor_id, profile_id)? {
        return Err(binding_not_found(profile_id, flavor_id));
    }
    Ok(())
}

/// `GET /v2.0/flavors/{id}/service_profiles/{profile_id}`: whether they are bound (upstream's
/// view of the binding keeps none of its keys, so the answer is an empty object).
pub(crate) fn show_binding(tx: &Tx<'_>, flavor_id: &str, profile_id: &str) -> Result<Value> {
    if !bindings::bound(tx, flavor_id, profile_id)? {
        return Err(binding_not_found(profile_id, flavor_id));
    }
    Ok(json!({}))
}

/// `GET /v2.0/flavors/{id}/next_providers`.
pub(crate) fn next_providers(tx: &Tx<'_>, flavor_id: &str) -> Result<Value> {
    load_flavor(tx, flavor_id)?;
    let (driver, provider) = next_provider(tx, flavor_id)?;
    Ok(json!([{ "driver": driver, "provider": provider }]))
}

impl crate::Networking {
    /// Binds a service profile to a flavor (`POST /v2.0/flavors/{id}/service_profiles`).
    pub async fn associate_flavor_profile(
        &self,
        caller: &Caller,
        flavor_id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, flavor_id) = (caller.clone(), flavor_id.to_owned());
        self.store
            .write(move |tx| associate(tx, &caller, &flavor_id, &body))
            .await
    }

    /// Unbinds one (`DELETE /v2.0/flavors/{id}/service_profiles/{profile_id}`).
    pub async fn disassociate_flavor_profile(
        &self,
        caller: &Caller,
        flavor_id: &str,
        profile_id: &str,
    ) -> Result<()> {
        let (caller, flavor_id, profile_id) =
            (caller.clone(), flavor_id.to_owned(), profile_id.to_owned());
        self.store
            .write(move |tx| disassociate(tx, &caller, &flavor_id, &profile_id))
            .await
    }

    /// `GET /v2.0/flavors/{id}/service_profiles/{profile_id}` (upstream: admins, or anyone
    /// under its legacy rule; readers here).
    pub async fn flavor_profile(&self, flavor_id: &str, profile_id: &str) -> Result<Value> {
        let (flavor_id, profile_id) = (flavor_id.to_owned(), profile_id.to_owned());
        self.store
            .read(move |tx| show_binding(tx, &flavor_id, &profile_id))
            .await
    }

    /// `GET /v2.0/flavors/{id}/next_providers`.
    pub async fn flavor_next_providers(&self, flavor_id: &str) -> Result<Value> {
        let flavor_id = flavor_id.to_owned();
        self.store
            .read(move |tx| next_providers(tx, &flavor_id))
            .await
    }
}
