//! Security group rules (`/v2.0/security-group-rules`): create (single or bulk, atomic),
//! description update, delete. A rule is a change of its group: it bumps the group's revision.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::SECURITY_GROUP_RULES;
use neutrino_store::{self as store, ColumnValue, StoreError, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::error::Failure;
use crate::extensions::{Extension, ext};
use crate::read::{Scope, check_revision, field};
use crate::rule_spec::RuleSpec;
use crate::security_group::{self, SecurityGroup};
use crate::{Caller, Error, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    required("security_group_id"),
    attr("remote_group_id", true, false),
    required("direction"),
    attr("protocol", true, false),
    attr("port_range_min", true, false),
    attr("port_range_max", true, false),
    attr("ethertype", true, false),
    attr("remote_ip_prefix", true, false),
    attr("remote_address_group_id", true, false),
    attr("normalized_cidr", false, false),
    attr("belongs_to_default_sg", false, false),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("description", true, true),
];

/// Stored beside the rule, never shown: the project owning the rule's group.
const GROUP_PROJECT: &str = "sg_project_id";

/// A rule as stored and shown (security group rules have no tags).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecurityGroupRule {
    pub id: String,
    pub project_id: String,
    pub tenant_id: String,
    pub security_group_id: String,
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<u32>,
    pub port_range_max: Option<u32>,
    pub remote_ip_prefix: Option<String>,
    pub normalized_cidr: Option<String>,
    pub remote_group_id: Option<String>,
    pub remote_address_group_id: Option<String>,
    pub belongs_to_default_sg: bool,
    pub sg_project_id: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub revision_number: u64,
}

impl SecurityGroupRule {
    pub(crate) fn new(
        project_id: &str,
        group: &SecurityGroup,
        is_default: bool,
        spec: &RuleSpec,
        description: String,
    ) -> SecurityGroupRule {
        let now = crate::time::now();
        SecurityGroupRule {
            id: uuid::Uuid::new_v4().to_string(),
            project_id: project_id.to_string(),
            tenant_id: project_id.to_string(),
            security_group_id: group.id.clone(),
            direction: spec.direction.clone(),
            ethertype: spec.ethertype.clone(),
            protocol: spec.protocol.clone(),
            port_range_min: spec.port_range_min,
            port_range_max: spec.port_range_max,
            remote_ip_prefix: spec.remote_ip_prefix.map(|p| p.to_string()),
            normalized_cidr: spec.remote_ip_prefix.map(|p| p.trunc().to_string()),
            remote_group_id: spec.remote_group_id.clone(),
            remote_address_group_id: spec.remote_address_group_id.clone(),
            belongs_to_default_sg: is_default,
            sg_project_id: group.project_id.clone(),
            description,
            created_at: now.clone(),
            updated_at: now,
            revision_number: 1,
        }
    }

    /// Inserts the rule; a rule of the group that matches the same traffic is a 409.
    pub(crate) fn insert(&self, tx: &Tx<'_>, fingerprint: &str) -> Result<()> {
        let doc = serde_json::to_string(self).map_err(|_| Error::internal())?;
        let columns = [
            ("project_id", ColumnValue::Text(self.project_id.clone())),
            (
                "security_group_id",
                ColumnValue::Text(self.security_group_id.clone()),
            ),
            (
                "sg_project_id",
                ColumnValue::Text(self.sg_project_id.clone()),
            ),
            (
                "remote_group_id",
                self.remote_group_id
                    .clone()
                    .map_or(ColumnValue::Null, ColumnValue::Text),
            ),
            ("fingerprint", ColumnValue::Text(fingerprint.to_string())),
            (
                "remote_address_group_id",
                self.remote_address_group_id
                    .clone()
                    .map_or(ColumnValue::Null, ColumnValue::Text),
            ),
        ];
        match store::insert_row(tx, SECURITY_GROUP_RULES, &self.id, &columns, &doc) {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(_)) => {
                let existing =
                    store::rule_with_fingerprint(tx, &self.security_group_id, fingerprint)?
                        .unwrap_or_default();
                Err(Error::conflict(
                    "SecurityGroupRuleExists",
                    format!("Security group rule already exists. Rule id is {existing}."),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The view of a stored rule document: everything but what is stored only for visibility.
pub(crate) fn view(mut doc: Map<String, Value>) -> Map<String, Value> {
    doc.remove(GROUP_PROJECT);
    doc
}

fn rule_not_found(id: &str) -> Error {
    Error::not_found(
        "SecurityGroupRuleNotFound",
        format!("Security group rule {id} does not exist"),
    )
}

fn load_rule(tx: &Tx<'_>, id: &str) -> Result<SecurityGroupRule> {
    let doc = store::get_doc(tx, SECURITY_GROUP_RULES, id)?.ok_or_else(|| rule_not_found(id))?;
    serde_json::from_str(&doc).map_err(|e| {
        tracing::error!(rule = id, error = %e, "corrupt stored security group rule");
        Error::internal()
    })
}

/// Loads a rule the caller may change: 404 if it may not see it, 403 if it may see it but is
/// neither admin nor a member of the group's project (SG_OWNER_MEMBER).
fn load_for_change(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<SecurityGroupRule> {
    let rule = load_rule(tx, id)?;
    let map = match serde_json::to_value(&rule) {
        Ok(Value::Object(m)) => m,
        _ => return Err(Error::internal()),
    };
    let scope = Scope::load(tx, caller)?;
    if !SecurityGroupRules.sees(&scope, &map) {
        return Err(rule_not_found(id));
    }
    if !caller.may_write(&rule.sg_project_id) {
        return Err(Error::policy(&format!("rule:{action}_security_group_rule")));
    }
    Ok(rule)
}

/// A rule request, converted and checked, not yet written.
struct Request {
    project_id: String,
    security_group_id: String,
    spec: RuleSpec,
    description: String,
}

fn parse(caller: &Caller, body: &Map<String, Value>) -> Result<Request> {
    check_attributes(body, ATTRS, Op::Create)?;
    let b = Body(body);
    let security_group_id = match b.get("security_group_id") {
        Some(Value::String(s)) if s.len() <= 36 => s.clone(),
        Some(Value::String(s)) => {
            return Err(Error::invalid_attr(
                "security_group_id",
                format!("'{s}' exceeds maximum length of 36"),
            ));
        }
        Some(v) => {
            return Err(Error::invalid_attr(
                "security_group_id",
                format!("'{}' is not a valid string", attrs::show(v)),
            ));
        }
        None => String::new(),
    };
    let spec = RuleSpec::from_body(&b)?;
    let project_id = attrs::owner(body, caller)?;
    let description = b.string("description", 255)?.unwrap_or_default();
    Ok(Request {
        project_id,
        security_group_id,
        spec,
        description,
    })
}

/// Checks that the rule may be added: the group exists and the caller may change it, the
/// remote group exists, both visible to the rule's project.
fn check_groups(tx: &Tx<'_>, caller: &Caller, req: &Request) -> Result<(SecurityGroup, bool)> {
    let (group, is_default) = security_group::load_visible(tx, caller, &req.security_group_id)?;
    if !caller.may_write(&group.project_id) {
        return Err(Error::policy("rule:create_security_group_rule"));
    }
    if let Some(remote) = &req.spec.remote_group_id {
        security_group::check_usable(tx, caller, remote, &req.project_id)?;
    }
    if let Some(ag) = &req.spec.remote_address_group_id {
        crate::address_group::check_usable(tx, caller, ag, &req.project_id)?;
    }
    security_group::check_usable(tx, caller, &req.security_group_id, &req.project_id)?;
    Ok((group, is_default))
}

/// Creates the rules of one POST: they must name one group and one project, and none may
/// repeat another of the request or of the group.
fn create_rules(tx: &Tx<'_>, caller: &Caller, bodies: &[Map<String, Value>]) -> Result<Vec<Value>> {
    let requests = bodies
        .iter()
        .map(|b| parse(caller, b))
        .collect::<Result<Vec<_>>>()?;
    if let Some(first) = requests.first() {
        if requests
            .iter()
            .any(|r| r.security_group_id != first.security_group_id)
        {
            return Err(Error::new(
                Failure::Invalid,
                "SecurityGroupNotSingleGroupRules",
                "Only allowed to update rules for one security profile at a time",
            ));
        }
        if requests.iter().any(|r| r.project_id != first.project_id) {
            return Err(Error::new(
                Failure::Invalid,
                "SecurityGroupRulesNotSingleProject",
                "Multiple project_ids in bulk security group rule create not allowed",
            ));
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(requests.len());
    let mut group = None;
    for req in &requests {
        let (g, is_default) = check_groups(tx, caller, req)?;
        let fingerprint = req.spec.fingerprint();
        if !seen.insert(fingerprint.clone()) {
            return Err(Error::conflict(
                "DuplicateSecurityGroupRuleInPost",
                "Duplicate Security Group Rule in POST.",
            ));
        }
        let rule = SecurityGroupRule::new(
            &req.project_id,
            &g,
            is_default,
            &req.spec,
            req.description.clone(),
        );
        rule.insert(tx, &fingerprint)?;
        out.push(serde_json::to_value(&rule).map_err(|_| Error::internal())?);
        group = Some(g);
    }
    if let Some(g) = group {
        security_group::bump(tx, g)?;
    }
    Ok(out)
}

/// `/v2.0/security-group-rules`.
pub struct SecurityGroupRules;

impl Collection for SecurityGroupRules {
    fn path(&self) -> &'static str {
        "security-group-rules"
    }
    fn singular(&self) -> &'static str {
        "security_group_rule"
    }
    fn plural(&self) -> &'static str {
        "security_group_rules"
    }
    fn table(&self) -> Table {
        SECURITY_GROUP_RULES
    }
    fn not_found(&self, id: &str) -> Error {
        rule_not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "security-groups-normalized-cidr",
                "Normalized CIDR field for security group rules",
                "Add new field with normalized remote_ip_prefix cidr in SG rule",
            ),
            ext(
                "security-groups-remote-address-group",
                "Remote address group id field for security group rules",
                "Add new field of remote address group id in SG rules",
            ),
            ext(
                "security-groups-rules-belongs-to-default-sg",
                "Security group rule belongs to the project's default security group",
                "Flag to determine if the security group rule belongs to the project's default security group",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "project_id",
            "tenant_id",
            "security_group_id",
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "normalized_cidr",
            "remote_group_id",
            "remote_address_group_id",
            "belongs_to_default_sg",
            "description",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn hidden(&self) -> &'static [&'static str] {
        &[GROUP_PROJECT]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("security_group_rule")
    }
    /// Visible to readers of the rule's project and of its group's project (SG_OWNER_READER).
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin()
            || scope.reads_project(field(doc, "project_id"))
            || scope.reads_project(field(doc, GROUP_PROJECT))
    }
    /// Its project's rules and the rules of its groups.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        let mut rows = scope.own_rows();
        rows.extend(scope.own_rows_by(GROUP_PROJECT));
        rows
    }
    fn list_project_defaults(
        &self,
        caller: &Caller,
        sel: &neutrino_store::Selection,
    ) -> Option<String> {
        security_group::listed_project(caller, sel)
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let mut out = create_rules(tx, cx.caller, std::slice::from_ref(body))?;
        out.pop().ok_or_else(Error::internal)
    }

    fn create_all(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        bodies: &[Map<String, Value>],
    ) -> Result<Vec<Value>> {
        create_rules(tx, cx.caller, bodies)
    }

    /// Only the description of a rule changes; it is a change of the group too.
    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Update)?;
        let mut rule = load_for_change(tx, cx.caller, id, "update")?;
        check_revision(if_match, rule.revision_number)?;
        if let Some(d) = Body(body).string("description", 255)? {
            rule.description = d;
        }
        rule.revision_number += 1;
        rule.updated_at = crate::time::now();
        let doc = serde_json::to_string(&rule).map_err(|_| Error::internal())?;
        store::update_doc(tx, SECURITY_GROUP_RULES, id, &doc)?;
        security_group::bump_by_id(tx, &rule.security_group_id)?;
        serde_json::to_value(&rule).map_err(|_| Error::internal())
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let rule = load_for_change(tx, cx.caller, id, "delete")?;
        check_revision(if_match, rule.revision_number)?;
        store::delete_row(tx, SECURITY_GROUP_RULES, id)?;
        security_group::bump_by_id(tx, &rule.security_group_id)?;
        Ok(())
    }
}
