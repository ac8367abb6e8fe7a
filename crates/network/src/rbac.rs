//! RBAC policies (`/v2.0/rbac-policies`): a project shares an object it owns with another
//! project, or (admins) with every project ('*'). Networks take `access_as_shared` (use it)
//! and `access_as_external` (use it as a router gateway); other objects `access_as_shared`.
//! A network's `shared` is the wildcard `access_as_shared` policy and its `router:external`
//! the presence of any `access_as_external` policy: the two are kept in step here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::Tx;
use neutrino_store::tables::{
    PORTS, QOS_BINDINGS, RBAC_POLICIES, SECURITY_GROUP_RULES, SUBNETPOOL_SUBNETS, SUBNETPOOLS,
    SUBNETS,
};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::Network;
use crate::read::{Scope, field, load};
use crate::{Caller, Error, Kind, Result, collections};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    required("object_type"),
    required("object_id"),
    required("action"),
    attr("target_tenant", true, true),
    attr("target_project", true, true),
];

pub(crate) const SHARED: &str = "access_as_shared";
pub(crate) const EXTERNAL: &str = "access_as_external";
pub(crate) const EVERYONE: &str = "*";

/// Object types that may be shared, when their collection is served.
const OBJECT_TYPES: &[&str] = &[
    "address_scope",
    "network",
    "qos_policy",
    "security_group",
    "subnetpool",
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RbacPolicy {
    pub id: String,
    pub project_id: String,
    pub tenant_id: String,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub target_tenant: String,
    pub target_project: String,
}

impl RbacPolicy {
    fn columns(&self) -> [(&'static str, ColumnValue); 5] {
        let text = |s: &str| ColumnValue::Text(s.to_string());
        [
            ("project_id", text(&self.project_id)),
            ("object_type", text(&self.object_type)),
            ("object_id", text(&self.object_id)),
            ("action", text(&self.action)),
            ("target_project", text(&self.target_project)),
        ]
    }

    fn doc(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "RbacPolicyNotFound",
        format!("RBAC policy with ID {id} not found"),
    )
}

fn duplicate() -> Error {
    Error::conflict(
        "DuplicateRbacPolicy",
        "An RBAC policy already exists with those values.",
    )
}

fn in_use(object_id: &str) -> Error {
    Error::in_use(
        "RbacPolicyInUse",
        format!(
            "RBAC policy on object {object_id} cannot be removed because other objects depend on it."
        ),
    )
}

fn in_use_because(object_id: &str, details: &str) -> Error {
    Error::in_use(
        "RbacPolicyInUse",
        format!(
            "RBAC policy on object {object_id} cannot be removed because other objects depend on it.\nDetails: {details}"
        ),
    )
}

/// The collection of an object type that may be shared.
fn object_kind(object_type: &str) -> Option<Kind> {
    OBJECT_TYPES.contains(&object_type).then_some(())?;
    // The only object type that is not its collection's singular ("policy").
    if object_type == crate::qos::OBJECT_TYPE {
        return Some(&crate::qos::QosPolicies);
    }
    collections()
        .iter()
        .copied()
        .find(|c| c.singular() == object_type)
}

fn valid_actions(object_type: &str) -> &'static [&'static str] {
    if object_type == "network" {
        &[EXTERNAL, SHARED]
    } else {
        &[SHARED]
    }
}

/// Records a policy; an identical one is `DuplicateRbacPolicy`.
pub(crate) fn insert(tx: &Tx<'_>, p: &RbacPolicy) -> Result<()> {
    match store::insert_row(tx, RBAC_POLICIES, &p.id, &p.columns(), &p.doc()) {
        Err(StoreError::Conflict(_)) => Err(duplicate()),
        other => Ok(other?),
    }
}

pub(crate) fn new_policy(
    owner: &str,
    object_type: &str,
    object_id: &str,
    action: &str,
    target: &str,
) -> RbacPolicy {
    RbacPolicy {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: owner.to_string(),
        tenant_id: owner.to_string(),
        object_type: object_type.to_string(),
        object_id: object_id.to_string(),
        action: action.to_string(),
        target_tenant: target.to_string(),
        target_project: target.to_string(),
    }
}

/// Makes the network's wildcard policies match its `shared` and `router:external` flags (set
/// through the network API).
pub(crate) fn sync_network_policies(tx: &Tx<'_>, net: &Network) -> Result<()> {
    let policies = store::policies_on(tx, &net.id)?;
    let has = |action: &str, wildcard_only: bool| {
        policies
            .iter()
            .any(|(_, a, t)| a == action && (!wildcard_only || t == EVERYONE))
    };
    let remove = |action: &str, wildcard_only: bool| -> Result<()> {
        for (id, a, t) in &policies {
            if a == action && (!wildcard_only || t == EVERYONE) {
                store::delete_row(tx, RBAC_POLICIES, id)?;
            }
        }
        Ok(())
    };
    match (net.shared, has(SHARED, true)) {
        (true, false) => insert(
            tx,
            &new_policy(&net.project_id, "network", &net.id, SHARED, EVERYONE),
        )?,
        (false, true) => remove(SHARED, true)?,
        _ => {}
    }
    match (net.router_external, has(EXTERNAL, false)) {
        (true, false) => insert(
            tx,
            &new_policy(&net.project_id, "network", &net.id, EXTERNAL, EVERYONE),
        )?,
        (false, true) => remove(EXTERNAL, false)?,
        _ => {}
    }
    Ok(())
}

/// After a policy on a network changed: its flags follow its policies.
fn sync_network_flags(tx: &Tx<'_>, network_id: &str) -> Result<()> {
    let Some(mut net) = load::<Network>(tx, network_id)? else {
        return Ok(());
    };
    let policies = store::policies_on(tx, network_id)?;
    let shared = policies
        .iter()
        .any(|(_, a, t)| a == SHARED && t == EVERYONE);
    let external = policies.iter().any(|(_, a, _)| a == EXTERNAL);
    if (shared, external) != (net.shared, net.router_external) {
        net.shared = shared;
        net.router_external = external;
        net.std.touch();
        crate::network::save(tx, &net)?;
    }
    Ok(())
}

/// The projects that use a shared object: subnets and (non-service) ports on a network,
/// subnets allocated from a subnet pool, subnet pools in an address scope, ports and rules
/// (as remote group) of a security group.
fn users(tx: &Tx<'_>, p: &RbacPolicy) -> Result<Vec<String>> {
    let by = |column: &'static str| Selection::by(column, vec![p.object_id.clone()]);
    Ok(match p.object_type.as_str() {
        "network" => {
            let mut projects = store::column_values(tx, SUBNETS, "project_id", &by("network_id"))?;
            for doc in store::list_docs(tx, PORTS, &by("network_id"))? {
                let port: Value = serde_json::from_str(&doc).unwrap_or_default();
                if !port["device_owner"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("network:")
                {
                    projects.push(port["project_id"].as_str().unwrap_or_default().to_string());
                }
            }
            projects
        }
        "subnetpool" => {
            store::column_values(tx, SUBNETPOOL_SUBNETS, "project_id", &by("subnetpool_id"))?
        }
        "address_scope" => {
            store::column_values(tx, SUBNETPOOLS, "project_id", &by("address_scope_id"))?
        }
        "security_group" => {
            let mut projects = store::projects_using_security_group(tx, &p.object_id)?;
            projects.extend(store::column_values(
                tx,
                SECURITY_GROUP_RULES,
                "sg_project_id",
                &by("remote_group_id"),
            )?);
            projects
        }
        "qos_policy" => store::column_values(tx, QOS_BINDINGS, "project_id", &by("policy_id"))?,
        _ => Vec::new(),
    })
}

/// Refuses to take a share away from `target` while a project that would lose it (and has no
/// other grant) still uses the object. `new_target`: where an update moves the grant.
fn check_removal(tx: &Tx<'_>, p: &RbacPolicy, new_target: Option<&str>) -> Result<()> {
    if p.action == EXTERNAL {
        return check_external_removal(tx, p, new_target);
    }
    if p.action != SHARED {
        return Ok(());
    }
    let others: Vec<String> = store::policies_on(tx, &p.object_id)?
        .into_iter()
        .filter(|(id, a, _)| *id != p.id && a == SHARED)
        .map(|(_, _, t)| t)
        .collect();
    if others.iter().any(|t| t == EVERYONE) {
        return Ok(());
    }
    let loses = |project: &str| {
        project != p.project_id
            && !others.iter().any(|t| t == project)
            && (p.target_project == EVERYONE || p.target_project == project)
    };
    if users(tx, p)?.iter().any(|project| loses(project)) {
        return Err(in_use(&p.object_id));
    }
    Ok(())
}

/// An external network's grant cannot go while a router of a project that would lose it has
/// its gateway there, nor the wildcard grant of the default external network (as upstream).
fn check_external_removal(tx: &Tx<'_>, p: &RbacPolicy, new_target: Option<&str>) -> Result<()> {
    let others: Vec<String> = store::policies_on(tx, &p.object_id)?
        .into_iter()
        .filter(|(id, a, _)| *id != p.id && a == EXTERNAL)
        .map(|(_, _, t)| t)
        .collect();
    let routers = store::l3::gateway_router_projects(tx, &p.object_id)?;
    let stranded = if p.target_project == EVERYONE {
        let default = load::<Network>(tx, &p.object_id)?.is_some_and(|n| n.is_default);
        if default {
            return Err(in_use_because(
                &p.object_id,
                "Default external networks must be shared to everyone.",
            ));
        }
        let kept =
            |project: &str| others.iter().any(|t| t == project) || new_target == Some(project);
        routers.iter().any(|project| !kept(project))
    } else {
        !others.iter().any(|t| t == EVERYONE) && routers.contains(&p.target_project)
    };
    if stranded {
        return Err(in_use_because(
            &p.object_id,
            "There are routers attached to this network that depend on this policy for access.",
        ));
    }
    Ok(())
}

fn policy_changed(tx: &Tx<'_>, p: &RbacPolicy) -> Result<()> {
    match p.object_type.as_str() {
        "network" => sync_network_flags(tx, &p.object_id),
        "qos_policy" => crate::qos::sync_shared_flag(tx, &p.object_id),
        _ => Ok(()),
    }
}

/// Shares an object with every project (`shared` set through its own API), or takes that
/// share away unless a project that would lose it still uses the object.
pub(crate) fn share_with_everyone(
    tx: &Tx<'_>,
    object_type: &str,
    owner: &str,
    object_id: &str,
    shared: bool,
) -> Result<()> {
    let wildcard: Vec<String> = store::policies_on(tx, object_id)?
        .into_iter()
        .filter(|(_, a, t)| a == SHARED && t == EVERYONE)
        .map(|(id, _, _)| id)
        .collect();
    if shared && wildcard.is_empty() {
        return insert(
            tx,
            &new_policy(owner, object_type, object_id, SHARED, EVERYONE),
        );
    }
    if !shared {
        for id in wildcard {
            let p = load_policy(tx, &id)?;
            check_removal(tx, &p, None)?;
            store::delete_row(tx, RBAC_POLICIES, &id)?;
        }
    }
    Ok(())
}

/// The target of a create or update: `target_tenant`/`target_project` (they must agree).
fn target(b: &Body) -> Result<Option<String>> {
    let t = b.string("target_tenant", 255)?;
    let p = b.string("target_project", 255)?;
    match (t, p) {
        (Some(t), Some(p)) if t != p => Err(Error::bad_request(
            "'target_tenant' and 'target_project' do not match",
        )),
        (Some(t), _) | (None, Some(t)) if t.is_empty() => Err(Error::invalid_attr(
            "target_tenant",
            "'' is not a valid target project ID; expected a UUID or '*'",
        )),
        (Some(t), _) | (None, Some(t)) => Ok(Some(t)),
        (None, None) => Ok(None),
    }
}

fn check_wildcard(caller: &Caller, target: &str, action: &str) -> Result<()> {
    if target == EVERYONE && !caller.is_admin() {
        return Err(Error::policy(&format!(
            "(rule:{action}_rbac_policy and rule:{action}_rbac_policy:target_tenant)"
        )));
    }
    Ok(())
}

fn load_policy(tx: &Tx<'_>, id: &str) -> Result<RbacPolicy> {
    let doc = store::get_doc(tx, RBAC_POLICIES, id)?.ok_or_else(|| not_found(id))?;
    serde_json::from_str(&doc).map_err(|_| Error::internal())
}

/// Loads a policy for a change: 404 unless the caller reads its project, 403 unless it may
/// write there.
fn load_for_change(tx: &Tx<'_>, caller: &Caller, id: &str, action: &str) -> Result<RbacPolicy> {
    let p = load_policy(tx, id)?;
    if !caller.may_read(&p.project_id) {
        return Err(not_found(id));
    }
    if !caller.may_write(&p.project_id) {
        return Err(Error::policy(&format!("rule:{action}_rbac_policy")));
    }
    Ok(p)
}

fn build(tx: &Tx<'_>, caller: &Caller, body: &Map<String, Value>) -> Result<RbacPolicy> {
    check_attributes(body, ATTRS, Op::Create)?;
    if !caller.has_role("member") && !caller.is_admin() {
        return Err(Error::policy("rule:create_rbac_policy"));
    }
    let b = Body(body);
    let object_type = b.string("object_type", 255)?.unwrap_or_default();
    let Some(kind) = object_kind(&object_type) else {
        return Err(Error::invalid_attr(
            "object_type",
            format!("'{object_type}' is not a valid RBAC object type"),
        ));
    };
    let action = b.string("action", 255)?.unwrap_or_default();
    let actions = valid_actions(&object_type);
    if !actions.contains(&action.as_str()) {
        return Err(Error::bad_request(format!(
            "Invalid action '{action}' for object type '{object_type}'. Valid actions: [{}]",
            actions
                .iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_kind("InvalidActionForType"));
    }
    let Some(target) = target(&b)? else {
        return Err(Error::bad_request(
            "Failed to parse request. Required attribute 'target_tenant' not specified",
        ));
    };
    check_wildcard(caller, &target, "create")?;
    let project_id = attrs::owner(body, caller)?;
    let object_id = b.string("object_id", 36)?.unwrap_or_default();
    // The object must exist and be visible; only its owner (or an admin) may share it.
    let doc = store::get_doc(tx, kind.table(), &object_id)?;
    let map: Option<Map<String, Value>> = doc.and_then(|d| serde_json::from_str(&d).ok());
    let scope = Scope::load(tx, caller)?;
    let Some(map) = map.filter(|m| kind.sees(&scope, m)) else {
        return Err(kind.not_found(&object_id));
    };
    if !caller.is_admin() && field(&map, "project_id") != caller.project_id {
        let what = if object_type == "network" {
            "networks"
        } else {
            "objects"
        };
        return Err(Error::invalid_input(format!(
            "Only admins can manipulate policies on {what} they do not own"
        )));
    }
    Ok(new_policy(
        &project_id,
        &object_type,
        &object_id,
        &action,
        &target,
    ))
}

/// `/v2.0/rbac-policies`.
pub struct RbacPolicies;

impl Collection for RbacPolicies {
    fn path(&self) -> &'static str {
        "rbac-policies"
    }
    fn singular(&self) -> &'static str {
        "rbac_policy"
    }
    fn plural(&self) -> &'static str {
        "rbac_policies"
    }
    fn table(&self) -> Table {
        RBAC_POLICIES
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("rbac_policy")
    }
    fn extensions(&self) -> &'static [Extension] {
        const RBAC: Extension = ext(
            "rbac-policies",
            "RBAC Policies",
            "Allows creation and modification of policies that control tenant access to resources.",
        );
        const SG: Extension = ext(
            "rbac-security-groups",
            "Add security_group type to network RBAC",
            "Add security_group type to network RBAC",
        );
        if object_kind("security_group").is_some() {
            &[RBAC, SG]
        } else {
            &[RBAC]
        }
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "project_id",
            "tenant_id",
            "object_type",
            "object_id",
            "action",
            "target_tenant",
            "target_project",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    /// Its project's policies.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let p = build(tx, cx.caller, body)?;
        insert(tx, &p)?;
        policy_changed(tx, &p)?;
        serde_json::to_value(&p).map_err(|_| Error::internal())
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
        let mut p = load_for_change(tx, cx.caller, id, "update")?;
        let Some(target) = target(&Body(body))? else {
            return serde_json::to_value(&p).map_err(|_| Error::internal());
        };
        check_wildcard(cx.caller, &target, "update")?;
        if target != p.target_project {
            check_removal(tx, &p, Some(&target))?;
            p.target_tenant = target.clone();
            p.target_project = target;
            match store::update_row(tx, RBAC_POLICIES, id, &p.columns(), &p.doc()) {
                Err(StoreError::Conflict(_)) => return Err(duplicate()),
                other => other?,
            }
            policy_changed(tx, &p)?;
        }
        serde_json::to_value(&p).map_err(|_| Error::internal())
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        let p = load_for_change(tx, cx.caller, id, "delete")?;
        check_removal(tx, &p, None)?;
        store::delete_row(tx, RBAC_POLICIES, id)?;
        policy_changed(tx, &p)?;
        Ok(())
    }
}
