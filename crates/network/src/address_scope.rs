//! Address scopes (`/v2.0/address-scopes`): a name, an IP version and sharing; no standard
//! attributes. Subnet pools join a scope; networks show the scopes of their subnets' pools.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::{ADDRESS_SCOPES, SUBNETPOOLS};
use neutrino_store::{self as store, ColumnValue, Selection, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::read::{Scope, load_map_for_change};
use crate::{Caller, Error, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("shared", true, true),
    required("ip_version"),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddressScope {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub ip_version: u8,
    pub shared: bool,
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "AddressScopeNotFound",
        format!("Address scope {id} could not be found."),
    )
}

fn check_admin_attrs(body: &Map<String, Value>, caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() || !body.contains_key("shared") {
        return Ok(());
    }
    Err(Error::policy(&format!(
        "(rule:{action}_address_scope and rule:{action}_address_scope:shared)"
    )))
}

fn parse(doc: Map<String, Value>) -> Result<AddressScope> {
    serde_json::from_value(Value::Object(doc)).map_err(|_| Error::internal())
}

fn to_value(scope: &AddressScope) -> Result<Value> {
    serde_json::to_value(scope).map_err(|_| Error::internal())
}

/// `/v2.0/address-scopes`.
pub struct AddressScopes;

impl AddressScopes {
    /// A scope the caller may see, or its 404.
    pub(crate) fn load_visible(tx: &Tx<'_>, caller: &Caller, id: &str) -> Result<AddressScope> {
        let doc = store::get_doc(tx, ADDRESS_SCOPES, id)?.ok_or_else(|| not_found(id))?;
        let map: Map<String, Value> = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
        if !AddressScopes.sees(&Scope::load(tx, caller)?, &map) {
            return Err(not_found(id));
        }
        parse(map)
    }

    /// The project owning a scope, if it exists.
    pub(crate) fn owner(tx: &Tx<'_>, id: &str) -> Result<Option<String>> {
        Ok(store::get_doc(tx, ADDRESS_SCOPES, id)?
            .and_then(|d| serde_json::from_str::<AddressScope>(&d).ok())
            .map(|s| s.project_id))
    }
}

impl Collection for AddressScopes {
    fn path(&self) -> &'static str {
        "address-scopes"
    }
    fn singular(&self) -> &'static str {
        "address_scope"
    }
    fn plural(&self) -> &'static str {
        "address_scopes"
    }
    fn table(&self) -> Table {
        ADDRESS_SCOPES
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "address-scope",
                "Address scope",
                "Address scopes extension.",
            ),
            ext(
                "rbac-address-scope",
                "Add address_scope type to RBAC",
                "Add address_scope type to RBAC",
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
            "shared",
            "ip_version",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.sees_shareable("address_scope", doc)
    }
    /// Its project's scopes, shared ones, and those a policy shares with it.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.shareable_rows("address_scope", Some("shared"))
    }
    fn relative_view(&self, scope: &Scope, doc: &mut Map<String, Value>) {
        scope.mark_shared("address_scope", doc);
    }
    /// `shared` is relative to the caller (even an admin).
    fn stored_is_view(&self) -> bool {
        false
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let caller = cx.caller;
        check_attributes(body, ATTRS, Op::Create)?;
        check_admin_attrs(body, caller, "create")?;
        if !caller.has_role("member") && !caller.is_admin() {
            return Err(Error::policy("rule:create_address_scope"));
        }
        let b = Body(body);
        let ip_version = match b.get("ip_version").and_then(attrs::to_int) {
            Some(v @ (4 | 6)) => v as u8,
            _ => {
                let shown = b.get("ip_version").map(attrs::show).unwrap_or_default();
                return Err(Error::invalid_attr(
                    "ip_version",
                    format!("{shown} is not in [4, 6]"),
                ));
            }
        };
        let project_id = attrs::owner(body, caller)?;
        let scope = AddressScope {
            id: uuid::Uuid::new_v4().to_string(),
            name: b.name("name")?.unwrap_or_default(),
            tenant_id: project_id.clone(),
            project_id,
            ip_version,
            shared: b.bool("shared")?.unwrap_or(false),
        };
        let doc = serde_json::to_string(&scope).map_err(|_| Error::internal())?;
        store::insert_row(
            tx,
            ADDRESS_SCOPES,
            &scope.id,
            &[("project_id", ColumnValue::Text(scope.project_id.clone()))],
            &doc,
        )?;
        to_value(&scope)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Update)?;
        let map = load_map_for_change(tx, cx.caller, self, id, "rule:update_address_scope")?;
        check_admin_attrs(body, cx.caller, "update")?;
        let mut scope = parse(map)?;
        let b = Body(body);
        if let Some(name) = b.name("name")? {
            scope.name = name;
        }
        if let Some(shared) = b.bool("shared")? {
            if scope.shared && !shared {
                return Err(Error::bad_request(format!(
                    "Unable to update address scope {id} : Shared address scope can't be unshared."
                ))
                .with_kind("AddressScopeUpdateError"));
            }
            scope.shared = shared;
        }
        let doc = serde_json::to_string(&scope).map_err(|_| Error::internal())?;
        store::update_doc(tx, ADDRESS_SCOPES, id, &doc)?;
        to_value(&scope)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        load_map_for_change(tx, cx.caller, self, id, "rule:delete_address_scope")?;
        if store::exists(
            tx,
            SUBNETPOOLS,
            &Selection::by("address_scope_id", vec![id.to_string()]),
        )? {
            return Err(Error::in_use(
                "AddressScopeInUse",
                format!(
                    "Unable to complete operation on address scope {id}. There are one or more subnet pools in use on the address scope."
                ),
            ));
        }
        store::delete_policies_on(tx, id)?;
        store::delete_row(tx, ADDRESS_SCOPES, id)?;
        Ok(())
    }
}
