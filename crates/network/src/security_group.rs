//! Security groups (`/v2.0/security-groups`) and each project's `default` group, created the
//! first time the project needs it, with upstream's template rules.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::Tx;
use neutrino_store::tables::{SECURITY_GROUP_RULES, SECURITY_GROUPS};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Resource, Standard};
use crate::network::tags_on_create;
use crate::read::{Scope, check_revision, field, load, load_for_change};
use crate::security_group_rule::{self, SecurityGroupRule, SecurityGroupRules};
use crate::{Caller, Error, Networking, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("stateful", true, true),
    attr("shared", false, false),
    attr("security_group_rules", false, false),
    attr("tags", true, false),
];

const DEFAULT_NAME: &str = "default";
const DEFAULT_DESCRIPTION: &str = "Default security group";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub stateful: bool,
    /// Shared with the caller through RBAC; false until RBAC for groups exists.
    pub shared: bool,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(SecurityGroup, SECURITY_GROUPS);

impl SecurityGroup {
    /// The project's `default` group (its name cannot be given to or taken from any other).
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_NAME
    }
}

pub(crate) fn not_found(id: &str) -> Error {
    Error::not_found(
        "SecurityGroupNotFound",
        format!("Security group {id} does not exist"),
    )
}

/// upstream's `name_not_default` validator: a string, and never `default`.
fn name(b: &Body) -> Result<Option<String>> {
    let name = b.string("name", 255)?;
    if name
        .as_ref()
        .is_some_and(|n| n.eq_ignore_ascii_case(DEFAULT_NAME))
    {
        return Err(Error::conflict(
            "SecurityGroupDefaultAlreadyExists",
            "Default security group already exists.",
        ));
    }
    Ok(name)
}

/// Writes a new group and its template rules.
fn insert_group(tx: &Tx<'_>, group: &SecurityGroup) -> Result<(), StoreError> {
    let columns = [
        ("project_id", ColumnValue::Text(group.project_id.clone())),
        (
            "is_default",
            ColumnValue::Int(i64::from(group.is_default())),
        ),
    ];
    store::insert_row(tx, SECURITY_GROUPS, &group.id, &columns, &group.to_doc())
}

fn create_group(
    tx: &Tx<'_>,
    project_id: &str,
    name: String,
    description: String,
    stateful: bool,
    tags: Vec<String>,
) -> Result<SecurityGroup> {
    let group = SecurityGroup {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        project_id: project_id.to_string(),
        tenant_id: project_id.to_string(),
        stateful,
        shared: false,
        std: Standard::new(description, tags),
    };
    insert_group(tx, &group).map_err(|e| match e {
        StoreError::Conflict(_) => Error::conflict(
            "SecurityGroupDefaultAlreadyExists",
            "Default security group already exists.",
        ),
        e => e.into(),
    })?;
    // The rules of the admin-managed template (`security-groups-default-rules`).
    let is_default = group.is_default();
    for spec in crate::default_rules::rules_for(tx, &group.id, is_default)? {
        SecurityGroupRule::new(project_id, &group, is_default, &spec, String::new())
            .insert(tx, &spec.fingerprint())?;
    }
    Ok(group)
}

/// The id of the project's default group, created if missing. A non-admin never creates one
/// for another project (upstream bug 1987410): then `None`.
pub(crate) fn ensure_default(
    tx: &Tx<'_>,
    caller: &Caller,
    project_id: &str,
) -> Result<Option<String>> {
    if project_id.is_empty() || (project_id != caller.project_id && !caller.is_admin()) {
        return Ok(None);
    }
    if let Some(id) = store::default_security_group(tx, project_id)? {
        return Ok(Some(id));
    }
    match create_group(
        tx,
        project_id,
        DEFAULT_NAME.into(),
        DEFAULT_DESCRIPTION.into(),
        true,
        Vec::new(),
    ) {
        Ok(g) => Ok(Some(g.id)),
        // Another API replica created it first: the unique index refused ours.
        Err(e) if e.kind == "SecurityGroupDefaultAlreadyExists" => {
            store::default_security_group(tx, project_id)?
                .map(Some)
                .ok_or(e)
        }
        Err(e) => Err(e),
    }
}

/// The project whose default group a list of groups or rules needs: the one filtered on, else
/// the caller's.
pub(crate) fn listed_project(caller: &Caller, sel: &Selection) -> Option<String> {
    let filtered = sel
        .columns
        .iter()
        .find(|(c, _)| *c == "project_id")
        .and_then(|(_, v)| v.first().cloned());
    Some(filtered.unwrap_or_else(|| caller.project_id.clone()))
}

impl Networking {
    /// Makes sure the project has its default security group before a list shows groups or
    /// rules; only writes when it is missing.
    pub async fn ensure_project_defaults(&self, caller: &Caller, project_id: &str) -> Result<()> {
        let project = project_id.to_string();
        let exists = self
            .store
            .read(move |tx| Ok::<_, Error>(store::default_security_group(tx, &project)?.is_some()))
            .await?;
        if exists {
            return Ok(());
        }
        let (caller, project) = (caller.clone(), project_id.to_string());
        self.store
            .write(move |tx| ensure_default(tx, &caller, &project).map(|_| ()))
            .await
    }
}

/// A group the caller may see, with whether it is its project's default; 404 otherwise.
pub(crate) fn load_visible(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
) -> Result<(SecurityGroup, bool)> {
    let doc = store::get_doc(tx, SECURITY_GROUPS, id)?.ok_or_else(|| not_found(id))?;
    let group = SecurityGroup::from_doc(id, &doc)?;
    let map = to_map(&group)?;
    if !SecurityGroups.sees(&Scope::load(tx, caller)?, &map) {
        return Err(not_found(id));
    }
    let is_default = group.is_default();
    Ok((group, is_default))
}

/// May `project` use the group (in a rule or on a port)? Its own groups, those an RBAC policy
/// shares with it, or any for an admin.
pub(crate) fn check_usable(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
    project_id: &str,
) -> Result<SecurityGroup> {
    match load::<SecurityGroup>(tx, id)? {
        Some(g)
            if caller.is_admin()
                || g.project_id == project_id
                || store::is_granted(
                    tx,
                    "security_group",
                    id,
                    crate::rbac::SHARED,
                    project_id,
                )? =>
        {
            Ok(g)
        }
        _ => Err(not_found(id)),
    }
}

/// Records a change of the group's rules: a new revision.
pub(crate) fn bump(tx: &Tx<'_>, mut group: SecurityGroup) -> Result<()> {
    group.std.touch();
    store::update_doc(tx, SECURITY_GROUPS, &group.id, &group.to_doc())?;
    Ok(())
}

pub(crate) fn bump_by_id(tx: &Tx<'_>, id: &str) -> Result<()> {
    match load::<SecurityGroup>(tx, id)? {
        Some(g) => bump(tx, g),
        None => Ok(()),
    }
}

fn to_map<T: Serialize>(v: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::internal()),
    }
}

/// Adds its rules to each group view (`security_group_rules`).
fn embed_rules(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = items.iter().map(|i| field(i, "id").to_string()).collect();
    // Few groups: read their rules by index; many: one pass over every rule.
    let sel = if ids.len() <= 500 {
        Selection::by("security_group_id", ids)
    } else {
        Selection::all()
    };
    let mut by_group: HashMap<String, Vec<Value>> = HashMap::new();
    for doc in store::list_docs(tx, SECURITY_GROUP_RULES, &sel)? {
        let Ok(Value::Object(rule)) = serde_json::from_str::<Value>(&doc) else {
            return Err(Error::internal());
        };
        let group = field(&rule, "security_group_id").to_string();
        by_group
            .entry(group)
            .or_default()
            .push(Value::Object(security_group_rule::view(rule)));
    }
    for item in items {
        let rules = by_group.remove(field(item, "id")).unwrap_or_default();
        item.insert("security_group_rules".into(), Value::Array(rules));
    }
    Ok(())
}

/// The API view of one group: the group with its rules.
fn group_view(tx: &Tx<'_>, group: &SecurityGroup) -> Result<Value> {
    let mut items = [to_map(group)?];
    embed_rules(tx, &mut items)?;
    let [item] = items;
    Ok(Value::Object(item))
}

fn ports_use(tx: &Tx<'_>, id: &str) -> Result<bool> {
    Ok(store::ports_using_security_group(tx, id)? > 0)
}

fn in_use(id: &str) -> Error {
    Error::in_use("SecurityGroupInUse", format!("Security Group {id} in use."))
}

/// `/v2.0/security-groups`.
pub struct SecurityGroups;

impl Collection for SecurityGroups {
    fn path(&self) -> &'static str {
        "security-groups"
    }
    fn singular(&self) -> &'static str {
        "security_group"
    }
    fn plural(&self) -> &'static str {
        "security_groups"
    }
    fn table(&self) -> Table {
        SECURITY_GROUPS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "security-group",
                "security-group",
                "The security groups extension.",
            ),
            ext(
                "stateful-security-group",
                "Stateful security group",
                "Indicates if the security group is stateful or not",
            ),
            // `shared` is filtered on the view, where it is relative to the caller.
            ext(
                "security-groups-shared-filtering",
                "Security group filtering on the shared field",
                "Support filtering security groups on the shared field",
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
            "stateful",
            "shared",
            "security_group_rules",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["security_group_rules", "tags"]
    }
    /// The one place that decides who sees a group; RBAC sharing extends it.
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.sees_shareable("security_group", doc)
    }
    /// Its project's groups and those a policy shares with it.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.shareable_rows("security_group", None)
    }
    /// `shared`: an RBAC policy shares the group with the caller's project or everyone.
    fn relative_view(&self, scope: &Scope, doc: &mut Map<String, Value>) {
        scope.mark_shared("security_group", doc);
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("security_group")
    }
    fn list_project_defaults(&self, caller: &Caller, sel: &Selection) -> Option<String> {
        listed_project(caller, sel)
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
        embed_rules(tx, items)
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let (tx, caller) = (tx, cx.caller);
        check_attributes(body, ATTRS, Op::Create)?;
        let b = Body(body);
        let name = name(&b)?.unwrap_or_default();
        let stateful = b.bool("stateful")?;
        let description = b.string("description", 255)?.unwrap_or_default();
        let project_id = attrs::owner(body, caller)?;
        if !caller.may_write(&project_id) {
            return Err(Error::policy("rule:create_security_group"));
        }
        // Not given: the project's default (`security-groups-default-statefulness`).
        let stateful = match stateful {
            Some(s) => s,
            None => crate::default_statefulness::for_project(tx, &project_id)?,
        };
        let tags = tags_on_create(&b)?;
        ensure_default(tx, caller, &project_id)?;
        let group = create_group(tx, &project_id, name, description, stateful, tags)?;
        // Its template rules count against the project's rule quota.
        crate::quotas::check(tx, cx.cfg, &[(&SecurityGroupRules, project_id.clone())])?;
        group_view(tx, &group)
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
        let new_name = name(&b)?;
        let stateful = b.bool("stateful")?;
        let description = b.string("description", 255)?;
        let mut group: SecurityGroup =
            load_for_change(tx, cx.caller, self, id, "rule:update_security_group")?;
        check_revision(if_match, group.std.revision_number)?;
        if let Some(s) = stateful
            && s != group.stateful
        {
            if ports_use(tx, id)? {
                return Err(in_use(id));
            }
            group.stateful = s;
        }
        if let Some(n) = new_name {
            if group.is_default() {
                return Err(Error::conflict(
                    "SecurityGroupCannotUpdateDefault",
                    "Updating default security group not allowed.",
                ));
            }
            group.name = n;
        }
        if let Some(d) = description {
            group.std.description = d;
        }
        group.std.touch();
        store::update_doc(tx, SECURITY_GROUPS, id, &group.to_doc())?;
        group_view(tx, &group)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let group: SecurityGroup =
            load_for_change(tx, cx.caller, self, id, "rule:delete_security_group")?;
        check_revision(if_match, group.std.revision_number)?;
        if ports_use(tx, id)? {
            return Err(in_use(id));
        }
        if group.is_default() && !cx.caller.is_admin() {
            return Err(Error::conflict(
                "SecurityGroupCannotRemoveDefault",
                "Insufficient rights for removing default security group.",
            ));
        }
        // Its rules, and rules of other groups naming it as remote, go with it; deleted here
        // rather than by the foreign keys' cascade, so that each is in the outbox.
        for rule in store::rules_of_or_naming(tx, id)? {
            store::delete_row(tx, SECURITY_GROUP_RULES, &rule)?;
        }
        crate::log::delete_of_security_group(tx, id)?;
        store::delete_row(tx, SECURITY_GROUPS, id)?;
        Ok(())
    }
}
