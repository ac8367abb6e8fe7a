//! Address groups (`/v2.0/address-groups`, extension `address-group`): named sets of CIDRs that a
//! security group rule may name as its remote (`remote_address_group_id`). The addresses are
//! normalised to their network (`10.0.0.5/24` is `10.0.0.0/24`) and change through the
//! `add_addresses` / `remove_addresses` actions, each a new revision of the group. Address
//! groups have standard attributes but no tags, as upstream's model.

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::{ADDRESS_GROUPS, SECURITY_GROUP_RULES};
use neutrino_store::{self as store, ColumnValue, Selection, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::read::{Scope, check_revision, load_map_for_change};
use crate::{Caller, Error, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("addresses", true, false),
    attr("shared", false, false),
];

/// The RBAC object type (and policy name stem) of address groups.
const OBJECT_TYPE: &str = "address_group";

/// neutron-lib's `LONG_DESCRIPTION_FIELD_SIZE`.
const DESCRIPTION_SIZE: usize = 1024;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddressGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub project_id: String,
    pub tenant_id: String,
    /// Network addresses in CIDR form, each once, in order.
    pub addresses: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub revision_number: u64,
}

impl AddressGroup {
    fn touch(&mut self) {
        self.revision_number += 1;
        self.updated_at = crate::time::now();
    }
}

pub(crate) fn not_found(id: &str) -> Error {
    Error::not_found(
        "AddressGroupNotFound",
        format!("Address group {id} could not be found."),
    )
}

/// Upstream shows a list of addresses as Python prints it: `['10.0.0.0/24']`.
fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|a| format!("'{a}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// neutron-lib's `validate_subnet_list`: a list, no item twice, each a CIDR; `null` is empty.
/// Returns each address normalised to its network, each once.
fn addresses(v: Option<&Value>) -> std::result::Result<BTreeSet<IpNet>, String> {
    let items = match v {
        None | Some(Value::Null) => return Ok(BTreeSet::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("'{}' is not a list", attrs::show(other))),
    };
    let mut seen = BTreeSet::new();
    let mut duplicates = Vec::new();
    for item in items {
        let text = attrs::show(item);
        if !seen.insert(text.clone()) && !duplicates.contains(&text) {
            duplicates.push(text);
        }
    }
    if !duplicates.is_empty() {
        return Err(format!(
            "Duplicate items in the list: '{}'",
            duplicates.join(", ")
        ));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => neutrino_ipam::validate::validate_subnet(s).map(|n| n.trunc()),
            other => Err(format!("'{}' is not a valid IP subnet", attrs::show(other))),
        })
        .collect()
}

fn to_value(group: &AddressGroup) -> Result<Value> {
    serde_json::to_value(group).map_err(|_| Error::internal())
}

fn parse(map: Map<String, Value>) -> Result<AddressGroup> {
    serde_json::from_value(Value::Object(map)).map_err(|_| Error::internal())
}

fn save(tx: &Tx<'_>, group: &AddressGroup) -> Result<()> {
    let doc = serde_json::to_string(group).map_err(|_| Error::internal())?;
    store::update_doc(tx, ADDRESS_GROUPS, &group.id, &doc)?;
    Ok(())
}

/// The addresses of an action's body (`{"addresses": [...]}`), checked as on create.
fn action_addresses(body: &Map<String, Value>) -> Result<BTreeSet<IpNet>> {
    let Some(given) = body.get("addresses") else {
        return Err(Error::bad_request(
            "Failed to parse request. Required attribute 'addresses' not specified",
        ));
    };
    addresses(Some(given)).map_err(|r| Error::invalid_attr("addresses", r))
}

/// Upstream's `add_addresses`: none of them may be in the group already (400).
fn add(group: &mut AddressGroup, requested: &BTreeSet<IpNet>) -> Result<()> {
    let present: Vec<String> = requested
        .iter()
        .map(IpNet::to_string)
        .filter(|a| group.addresses.contains(a))
        .collect();
    if !present.is_empty() {
        return Err(Error::bad_request(format!(
            "Addresses {} already exist in the address group {}.",
            python_list(&present),
            group.id
        ))
        .with_kind("AddressesAlreadyExist"));
    }
    let mut all: BTreeSet<IpNet> = group
        .addresses
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    all.extend(requested.iter().copied());
    group.addresses = all.iter().map(IpNet::to_string).collect();
    Ok(())
}

/// Upstream's `remove_addresses`: every one of them must be in the group (404).
fn remove(group: &mut AddressGroup, requested: &BTreeSet<IpNet>) -> Result<()> {
    let requested: Vec<String> = requested.iter().map(IpNet::to_string).collect();
    let missing: Vec<String> = requested
        .iter()
        .filter(|a| !group.addresses.contains(a))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Error::not_found(
            "AddressesNotFound",
            format!(
                "Addresses {} not found in the address group {}.",
                python_list(&missing),
                group.id
            ),
        ));
    }
    group.addresses.retain(|a| !requested.contains(a));
    Ok(())
}

fn change_addresses(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
    action: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    let map = load_map_for_change(tx, caller, &AddressGroups, id, &format!("rule:{action}"))?;
    let requested = action_addresses(body)?;
    let mut group = parse(map)?;
    if action == "add_addresses" {
        add(&mut group, &requested)?;
    } else {
        remove(&mut group, &requested)?;
    }
    group.touch();
    save(tx, &group)?;
    Ok(serde_json::json!({ "address_group": to_value(&group)? }))
}

/// May a rule of `project_id` name the address group? Its project's groups, those shared with
/// it, or any for an admin (upstream's `check_address_group`); 404 otherwise.
pub(crate) fn check_usable(tx: &Tx<'_>, caller: &Caller, id: &str, project_id: &str) -> Result<()> {
    let owner = store::get_doc(tx, ADDRESS_GROUPS, id)?
        .and_then(|d| serde_json::from_str::<AddressGroup>(&d).ok())
        .map(|g| g.project_id);
    match owner {
        Some(owner)
            if caller.is_admin()
                || owner == project_id
                || store::is_granted(tx, OBJECT_TYPE, id, crate::rbac::SHARED, project_id)? =>
        {
            Ok(())
        }
        _ => Err(not_found(id)),
    }
}

/// `/v2.0/address-groups`.
pub struct AddressGroups;

impl Collection for AddressGroups {
    fn path(&self) -> &'static str {
        "address-groups"
    }
    fn singular(&self) -> &'static str {
        "address_group"
    }
    fn plural(&self) -> &'static str {
        "address_groups"
    }
    fn table(&self) -> Table {
        ADDRESS_GROUPS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[ext(
            "address-group",
            "Address group",
            "Support address group",
        )];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "description",
            "project_id",
            "tenant_id",
            "addresses",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["addresses"]
    }
    fn taggable(&self) -> bool {
        false
    }
    /// ADMIN_OR_PROJECT_READER, or shared with the caller (`shared_address_groups`).
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.sees_shareable(OBJECT_TYPE, doc)
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.shareable_rows(OBJECT_TYPE, None)
    }
    fn action(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        action: &str,
        body: &Map<String, Value>,
    ) -> Option<Result<Value>> {
        matches!(action, "add_addresses" | "remove_addresses")
            .then(|| change_addresses(tx, cx.caller, id, action, body))
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Create)?;
        let b = Body(body);
        let name = b.name("name")?.unwrap_or_default();
        let description = b
            .string("description", DESCRIPTION_SIZE)?
            .unwrap_or_default();
        let project_id = attrs::owner(body, cx.caller)?;
        let addresses =
            addresses(b.get("addresses")).map_err(|r| Error::invalid_attr("addresses", r))?;
        if !cx.caller.may_write(&project_id) {
            return Err(Error::policy("rule:create_address_group"));
        }
        let now = crate::time::now();
        let group = AddressGroup {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            description,
            tenant_id: project_id.clone(),
            project_id,
            addresses: addresses.iter().map(IpNet::to_string).collect(),
            created_at: now.clone(),
            updated_at: now,
            revision_number: 1,
        };
        let doc = serde_json::to_string(&group).map_err(|_| Error::internal())?;
        store::insert_row(
            tx,
            ADDRESS_GROUPS,
            &group.id,
            &[("project_id", ColumnValue::Text(group.project_id.clone()))],
            &doc,
        )?;
        to_value(&group)
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
        let b = Body(body);
        let name = b.name("name")?;
        let description = b.string("description", DESCRIPTION_SIZE)?;
        let map = load_map_for_change(tx, cx.caller, self, id, "rule:update_address_group")?;
        let mut group = parse(map)?;
        check_revision(if_match, group.revision_number)?;
        if let Some(n) = name {
            group.name = n;
        }
        if let Some(d) = description {
            group.description = d;
        }
        group.touch();
        save(tx, &group)?;
        to_value(&group)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let map = load_map_for_change(tx, cx.caller, self, id, "rule:delete_address_group")?;
        check_revision(if_match, parse(map)?.revision_number)?;
        let used = Selection::by("remote_address_group_id", vec![id.to_string()]);
        if store::exists(tx, SECURITY_GROUP_RULES, &used)? {
            return Err(Error::in_use(
                "AddressGroupInUse",
                format!("Address group {id} is in use on one or more security group rules."),
            ));
        }
        store::delete_row(tx, ADDRESS_GROUPS, id)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_are_checked_and_normalised() {
        let ok = addresses(Some(&json!([
            "10.0.0.5/24",
            "10.0.0.0/24",
            "2001:db8::1/64"
        ])))
        .unwrap();
        let shown: Vec<String> = ok.iter().map(IpNet::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/24", "2001:db8::/64"]);
        assert_eq!(
            addresses(Some(&json!("10.0.0.0/24"))).unwrap_err(),
            "'10.0.0.0/24' is not a list"
        );
        assert_eq!(
            addresses(Some(&json!(["10.0.0.1"]))).unwrap_err(),
            "'10.0.0.1' isn't a recognized IP subnet cidr, '10.0.0.1/32' is recommended"
        );
        assert_eq!(
            addresses(Some(&json!(["1.1.1.0/24", "1.1.1.0/24"]))).unwrap_err(),
            "Duplicate items in the list: '1.1.1.0/24'"
        );
        assert!(addresses(Some(&Value::Null)).unwrap().is_empty());
    }

    #[test]
    fn add_and_remove() {
        let mut g = AddressGroup {
            id: "g".into(),
            name: String::new(),
            description: String::new(),
            project_id: "p".into(),
            tenant_id: "p".into(),
            addresses: vec!["10.0.0.0/24".into()],
            created_at: String::new(),
            updated_at: String::new(),
            revision_number: 1,
        };
        let set = |v: Value| addresses(Some(&v)).unwrap();
        let e = add(&mut g, &set(json!(["10.0.0.7/24"]))).unwrap_err();
        assert_eq!(
            e.message,
            "Addresses ['10.0.0.0/24'] already exist in the address group g."
        );
        add(&mut g, &set(json!(["192.0.2.1/32"]))).unwrap();
        assert_eq!(g.addresses, ["10.0.0.0/24", "192.0.2.1/32"]);
        let e = remove(&mut g, &set(json!(["198.51.100.0/24"]))).unwrap_err();
        assert_eq!(e.kind, "AddressesNotFound");
        remove(&mut g, &set(json!(["10.0.0.0/24"]))).unwrap();
        assert_eq!(g.addresses, ["192.0.2.1/32"]);
    }
}
