//! QoS policies (`/v2.0/qos/policies`): a name, sharing, the project's default flag
//! (`qos-default`) and the rules, computed on read from the rules' own rows.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::{QOS_BINDINGS, QOS_POLICIES, QOS_RULES};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::Extension;
use crate::model::{Resource, Standard};
use crate::network::tags_on_create;
use crate::read::{Scope, check_revision, completed, field, load, load_for_change};
use crate::{Caller, Error, Result, rbac};

use super::{OBJECT_TYPE, policy_not_found, rules};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("shared", true, true),
    attr("is_default", true, true),
    attr("rules", false, false),
    attr("tags", true, false),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct QosPolicy {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    /// Kept equal to "a wildcard `access_as_shared` RBAC policy exists" (see
    /// [`sync_shared_flag`]); shown `true` also to projects a policy shares it with.
    pub shared: bool,
    pub is_default: bool,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(QosPolicy, QOS_POLICIES);

impl QosPolicy {
    fn columns(&self) -> [(&'static str, ColumnValue); 2] {
        [
            ("project_id", ColumnValue::Text(self.project_id.clone())),
            (
                "default_project",
                if self.is_default {
                    ColumnValue::Text(self.project_id.clone())
                } else {
                    ColumnValue::Null
                },
            ),
        ]
    }
}

fn default_exists(project_id: &str) -> Error {
    Error::conflict(
        "QoSPolicyDefaultAlreadyExists",
        format!("A default QoS policy exists for project {project_id}."),
    )
}

/// Writes a policy; the unique index on `default_project` refuses a second default policy of a
/// project, also when two requests race.
fn save(tx: &Tx<'_>, p: &QosPolicy, new: bool) -> Result<()> {
    let written = if new {
        store::insert_row(tx, QOS_POLICIES, &p.id, &p.columns(), &p.to_doc())
    } else {
        store::update_row(tx, QOS_POLICIES, &p.id, &p.columns(), &p.to_doc()).map(|_| ())
    };
    match written {
        Err(StoreError::Conflict(_)) => Err(default_exists(&p.project_id)),
        other => Ok(other?),
    }
}

/// A change of a policy's rules is a new revision of the policy.
pub(crate) fn touch(tx: &Tx<'_>, id: &str) -> Result<()> {
    let Some(mut p) = load::<QosPolicy>(tx, id)? else {
        return Err(policy_not_found(id));
    };
    p.std.touch();
    save(tx, &p, false)
}

/// Writing policies and their rules is for admins (upstream's `PROJECT_ADMIN`; Neutrino's
/// admins are not scoped to a project).
pub(crate) fn check_admin(caller: &Caller, rule: &str) -> Result<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(Error::policy(&format!("rule:{rule}")))
    }
}

/// A policy the caller may see, or `QosPolicyNotFound`.
pub(crate) fn load_visible(tx: &Tx<'_>, caller: &Caller, id: &str) -> Result<QosPolicy> {
    let doc = store::get_doc(tx, QOS_POLICIES, id)?.ok_or_else(|| policy_not_found(id))?;
    let map: Map<String, Value> = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
    if !QosPolicies.sees(&Scope::load(tx, caller)?, &map) {
        return Err(policy_not_found(id));
    }
    serde_json::from_value(Value::Object(map)).map_err(|_| Error::internal())
}

/// After the RBAC policies on a QoS policy changed: `shared` says whether one shares it with
/// every project.
pub(crate) fn sync_shared_flag(tx: &Tx<'_>, id: &str) -> Result<()> {
    let Some(mut p) = load::<QosPolicy>(tx, id)? else {
        return Ok(());
    };
    let shared = store::policies_on(tx, id)?
        .iter()
        .any(|(_, a, t)| a == rbac::SHARED && t == rbac::EVERYONE);
    if shared != p.shared {
        p.shared = shared;
        p.std.touch();
        save(tx, &p, false)?;
    }
    Ok(())
}

/// `rules`, from the rules' rows: one query for the whole list.
fn with_rules(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    let ids: Vec<String> = items.iter().map(|i| field(i, "id").to_string()).collect();
    let mut by_policy = rules::embedded(tx, ids)?;
    for item in items {
        let rules = by_policy.remove(field(item, "id")).unwrap_or_default();
        item.insert("rules".into(), Value::Array(rules));
    }
    Ok(())
}

/// `/v2.0/qos/policies`.
pub struct QosPolicies;

impl Collection for QosPolicies {
    fn path(&self) -> &'static str {
        "qos/policies"
    }
    fn singular(&self) -> &'static str {
        "policy"
    }
    fn plural(&self) -> &'static str {
        "policies"
    }
    fn table(&self) -> Table {
        QOS_POLICIES
    }
    fn not_found(&self, id: &str) -> Error {
        policy_not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        super::rule_types::EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "description",
            "project_id",
            "tenant_id",
            "shared",
            "is_default",
            "rules",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["rules", "tags"]
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.sees_shareable(OBJECT_TYPE, doc)
    }
    /// Its project's policies, shared ones, and those a policy shares with it.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.shareable_rows(OBJECT_TYPE, Some("shared"))
    }
    fn relative_view(&self, scope: &Scope, doc: &mut Map<String, Value>) {
        scope.mark_shared(OBJECT_TYPE, doc);
    }
    fn may_change(&self, _scope: &Scope, caller: &Caller, _doc: &Map<String, Value>) -> bool {
        caller.is_admin()
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        with_rules(tx, items)
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Create)?;
        check_admin(cx.caller, "create_policy")?;
        let b = Body(body);
        let project_id = attrs::owner(body, cx.caller)?;
        let p = QosPolicy {
            id: uuid::Uuid::new_v4().to_string(),
            name: b.name("name")?.unwrap_or_default(),
            tenant_id: project_id.clone(),
            project_id,
            shared: b.bool("shared")?.unwrap_or(false),
            is_default: b.bool("is_default")?.unwrap_or(false),
            std: Standard::new(
                b.string("description", 255)?.unwrap_or_default(),
                tags_on_create(&b)?,
            ),
        };
        save(tx, &p, true)?;
        if p.shared {
            rbac::share_with_everyone(tx, OBJECT_TYPE, &p.project_id, &p.id, true)?;
        }
        completed(tx, &p, with_rules)
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
        let mut p: QosPolicy = load_for_change(tx, cx.caller, self, id, "rule:update_policy")?;
        check_revision(if_match, p.std.revision_number)?;
        let b = Body(body);
        if let Some(name) = b.name("name")? {
            p.name = name;
        }
        if let Some(d) = b.string("description", 255)? {
            p.std.description = d;
        }
        if let Some(d) = b.bool("is_default")? {
            p.is_default = d;
        }
        if let Some(shared) = b.bool("shared")?
            && shared != p.shared
        {
            rbac::share_with_everyone(tx, OBJECT_TYPE, &p.project_id, id, shared)?;
            p.shared = shared;
        }
        p.std.touch();
        save(tx, &p, false)?;
        completed(tx, &p, with_rules)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let p: QosPolicy = load_for_change(tx, cx.caller, self, id, "rule:delete_policy")?;
        check_revision(if_match, p.std.revision_number)?;
        if let Some(doc) = store::list_docs(
            tx,
            QOS_BINDINGS,
            &Selection::by("policy_id", vec![id.to_string()]),
        )?
        .first()
        {
            let binding: Value = serde_json::from_str(doc).unwrap_or_default();
            return Err(Error::in_use(
                "QosPolicyInUse",
                format!(
                    "QoS Policy {id} is used by {} {}.",
                    binding["object_type"].as_str().unwrap_or_default(),
                    binding["object_id"].as_str().unwrap_or_default()
                ),
            ));
        }
        for rule in store::column_values(
            tx,
            QOS_RULES,
            "id",
            &Selection::by("policy_id", vec![id.to_string()]),
        )? {
            store::delete_row(tx, QOS_RULES, &rule)?;
        }
        store::delete_policies_on(tx, id)?;
        store::delete_row(tx, QOS_POLICIES, id)?;
        Ok(())
    }
}
