//! The default statefulness of security groups (`/v2.0/security-groups-default-statefulness`,
//! extension `security-groups-default-statefulness`): the `stateful` a new group gets when its
//! request says nothing, set per project or system-wide (`project_id` null). A project's own
//! setting wins over the system-wide one; without either a group is stateful.
//!
//! As upstream's API layer does, a request without `project_id` is for the caller's project;
//! the system-wide setting is asked for with `"project_id": null`. Policy: admins or the
//! project's managers write (ADMIN_OR_PROJECT_MANAGER), readers of the project read
//! (ADMIN_OR_PROJECT_READER); the system-wide setting, of no project, is the admins'.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::SECURITY_GROUPS_DEFAULT_STATEFULNESS as TABLE;
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::read::{Scope, field, load_map_for_change};
use crate::{Caller, Error, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("project_id", true, false),
    attr("stateful", true, true),
];

/// One setting as stored and shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DefaultStatefulness {
    pub id: String,
    /// `None`: the system-wide setting.
    pub project_id: Option<String>,
    pub stateful: bool,
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "SecurityGroupDefaultStatefulnessNotFound",
        format!("Security group default statefulness {id} could not be found."),
    )
}

/// The `scope` column: the project, or '' for the system-wide setting.
fn scope_key(project_id: Option<&str>) -> String {
    project_id.unwrap_or_default().to_string()
}

fn setting(tx: &Tx<'_>, project_id: Option<&str>) -> Result<Option<bool>> {
    let sel = Selection::by("scope", vec![scope_key(project_id)]);
    let Some(doc) = store::list_docs(tx, TABLE, &sel)?.into_iter().next() else {
        return Ok(None);
    };
    let s: DefaultStatefulness = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
    Ok(Some(s.stateful))
}

/// The `stateful` of a new group of `project_id` that does not say (upstream's
/// `get_default_stateful_for_project`).
pub(crate) fn for_project(tx: &Tx<'_>, project_id: &str) -> Result<bool> {
    if let Some(stateful) = setting(tx, Some(project_id))? {
        return Ok(stateful);
    }
    Ok(setting(tx, None)?.unwrap_or(true))
}

/// ADMIN_OR_PROJECT_MANAGER on a setting of `project_id`.
fn may_write(caller: &Caller, project_id: Option<&str>) -> bool {
    caller.is_admin()
        || (caller.has_role("manager") && project_id == Some(caller.project_id.as_str()))
}

/// The project a create names: absent is the caller's, null the system-wide setting.
fn requested_project(body: &Map<String, Value>, caller: &Caller) -> Result<Option<String>> {
    match body.get("project_id") {
        Some(Value::Null) => Ok(None),
        _ => attrs::owner(body, caller).map(Some),
    }
}

fn stateful(b: &Body) -> Result<Option<bool>> {
    b.bool("stateful")
}

fn to_value(s: &DefaultStatefulness) -> Result<Value> {
    serde_json::to_value(s).map_err(|_| Error::internal())
}

/// `/v2.0/security-groups-default-statefulness`.
pub struct DefaultStatefulnessSettings;

impl Collection for DefaultStatefulnessSettings {
    fn path(&self) -> &'static str {
        "security-groups-default-statefulness"
    }
    fn singular(&self) -> &'static str {
        "security_groups_default_statefulness"
    }
    fn plural(&self) -> &'static str {
        "security_groups_default_statefulness"
    }
    fn table(&self) -> Table {
        TABLE
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[ext(
            "security-groups-default-statefulness",
            "Security Groups Default Statefulness",
            "Allows configuring the default value of the 'stateful' attribute for new security groups, on a per-project or system-wide basis",
        )];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["id", "project_id", "stateful"]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }
    fn may_change(&self, _scope: &Scope, caller: &Caller, doc: &Map<String, Value>) -> bool {
        may_write(caller, doc.get("project_id").and_then(Value::as_str))
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Create)?;
        let b = Body(body);
        let stateful = stateful(&b)?.unwrap_or(true);
        let project_id = requested_project(body, cx.caller)?;
        if !may_write(cx.caller, project_id.as_deref()) {
            return Err(Error::policy(
                "rule:create_security_groups_default_statefulness",
            ));
        }
        let s = DefaultStatefulness {
            id: uuid::Uuid::new_v4().to_string(),
            project_id,
            stateful,
        };
        let doc = serde_json::to_string(&s).map_err(|_| Error::internal())?;
        let columns = [
            (
                "project_id",
                s.project_id
                    .clone()
                    .map_or(ColumnValue::Null, ColumnValue::Text),
            ),
            (
                "scope",
                ColumnValue::Text(scope_key(s.project_id.as_deref())),
            ),
        ];
        match store::insert_row(tx, TABLE, &s.id, &columns, &doc) {
            Ok(()) => to_value(&s),
            Err(StoreError::Conflict(_)) => Err(Error::conflict(
                "SecurityGroupDefaultStatefulnessAlreadyExists",
                format!(
                    "A security group default statefulness setting already exists for project '{}'.",
                    s.project_id.as_deref().unwrap_or("system-wide")
                ),
            )),
            Err(e) => Err(e.into()),
        }
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
        let wanted = stateful(&Body(body))?;
        let map = load_map_for_change(
            tx,
            cx.caller,
            self,
            id,
            "rule:update_security_groups_default_statefulness",
        )?;
        let mut s: DefaultStatefulness =
            serde_json::from_value(Value::Object(map)).map_err(|_| Error::internal())?;
        if let Some(v) = wanted {
            s.stateful = v;
        }
        let doc = serde_json::to_string(&s).map_err(|_| Error::internal())?;
        store::update_doc(tx, TABLE, id, &doc)?;
        to_value(&s)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        load_map_for_change(
            tx,
            cx.caller,
            self,
            id,
            "rule:delete_security_groups_default_statefulness",
        )?;
        store::delete_row(tx, TABLE, id)?;
        Ok(())
    }
}
