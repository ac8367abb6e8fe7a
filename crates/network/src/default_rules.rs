//! The default security group rules (`/v2.0/default-security-group-rules`, extension
//! `security-groups-default-rules`): the admin-managed template of the rules each new security
//! group gets. `used_in_default_sg` rules go into each project's `default` group,
//! `used_in_non_default_sg` ones into every other group; a `remote_group_id` of `PARENT` names
//! the new group itself. The shipped template (migration 0023) is upstream's: egress anywhere
//! for every group, ingress from its own members for default groups.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::{ADDRESS_GROUPS, DEFAULT_SECURITY_GROUP_RULES, SECURITY_GROUPS};
use neutrino_store::{self as store, ColumnValue, Selection, Table, Tx, Visible};

use crate::attrs::{Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::read::Scope;
use crate::rule_spec::RuleSpec;
use crate::{Caller, Error, Result};

/// The `remote_group_id` of a template rule that names the group it is copied into.
pub const PARENT: &str = "PARENT";

/// neutron-lib's `LONG_DESCRIPTION_FIELD_SIZE`.
const DESCRIPTION_SIZE: usize = 1024;

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("tenant_id", true, false),
    attr("project_id", true, false),
    attr("description", true, false),
    attr("remote_group_id", true, false),
    attr("remote_address_group_id", true, false),
    required("direction"),
    attr("protocol", true, false),
    attr("port_range_min", true, false),
    attr("port_range_max", true, false),
    attr("ethertype", true, false),
    attr("remote_ip_prefix", true, false),
    required("used_in_default_sg"),
    required("used_in_non_default_sg"),
];

/// A template rule as stored and shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DefaultRule {
    pub id: String,
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<u32>,
    pub port_range_max: Option<u32>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub remote_address_group_id: Option<String>,
    pub description: String,
    pub used_in_default_sg: bool,
    pub used_in_non_default_sg: bool,
}

impl DefaultRule {
    /// What the rule matches (the stored document reads as a rule body).
    fn spec(&self) -> Result<RuleSpec> {
        let Ok(Value::Object(map)) = serde_json::to_value(self) else {
            return Err(Error::internal());
        };
        RuleSpec::from_body(&Body(&map))
    }
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "DefaultSecurityGroupRuleNotFound",
        format!("Default Security Group rule {id} does not exist"),
    )
}

/// The template rules for a new group: the project's default group or any other.
fn for_groups(tx: &Tx<'_>, default_group: bool) -> Result<Vec<DefaultRule>> {
    let column = match default_group {
        true => "for_default_sg",
        false => "for_custom_sg",
    };
    store::list_docs(
        tx,
        DEFAULT_SECURITY_GROUP_RULES,
        &Selection::by(column, vec!["1".to_string()]),
    )?
    .iter()
    .map(|doc| serde_json::from_str(doc).map_err(|_| Error::internal()))
    .collect()
}

/// The rules a new group gets from the template, its own id in place of `PARENT`. A rule whose
/// remote group or address group is gone is left out: it would name nothing.
pub(crate) fn rules_for(tx: &Tx<'_>, group_id: &str, default_group: bool) -> Result<Vec<RuleSpec>> {
    let mut out = Vec::new();
    for rule in for_groups(tx, default_group)? {
        let mut spec = rule.spec()?;
        match spec.remote_group_id.as_deref() {
            Some(PARENT) => spec.remote_group_id = Some(group_id.to_string()),
            Some(other) if store::get_doc(tx, SECURITY_GROUPS, other)?.is_none() => continue,
            _ => {}
        }
        if let Some(ag) = &spec.remote_address_group_id
            && store::get_doc(tx, ADDRESS_GROUPS, ag)?.is_none()
        {
            continue;
        }
        out.push(spec);
    }
    Ok(out)
}

/// Upstream's `_check_for_duplicate_default_rules`: among the rules for default groups, and
/// among those for other groups, the new rule may repeat none.
fn check_duplicate(tx: &Tx<'_>, new: &DefaultRule, fingerprint: &str) -> Result<()> {
    for (wanted, default_group) in [
        (new.used_in_default_sg, true),
        (new.used_in_non_default_sg, false),
    ] {
        if !wanted {
            continue;
        }
        for existing in for_groups(tx, default_group)? {
            if existing.spec()?.fingerprint() == fingerprint {
                return Err(Error::conflict(
                    "DefaultSecurityGroupRuleExists",
                    format!(
                        "Default Security group rule already exists. Rule id is {}.",
                        existing.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn flag(b: &Body, name: &str) -> Result<bool> {
    Ok(b.bool(name)?.unwrap_or_default())
}

fn create_rule(tx: &Tx<'_>, caller: &Caller, body: &Map<String, Value>) -> Result<DefaultRule> {
    check_attributes(body, ATTRS, Op::Create)?;
    if !caller.is_admin() {
        return Err(Error::policy("rule:create_default_security_group_rule"));
    }
    let b = Body(body);
    let spec = RuleSpec::from_body(&b)?;
    let rule = DefaultRule {
        id: uuid::Uuid::new_v4().to_string(),
        direction: spec.direction.clone(),
        ethertype: spec.ethertype.clone(),
        protocol: spec.protocol.clone(),
        port_range_min: spec.port_range_min,
        port_range_max: spec.port_range_max,
        remote_ip_prefix: spec.remote_ip_prefix.map(|p| p.to_string()),
        remote_group_id: spec.remote_group_id.clone(),
        remote_address_group_id: spec.remote_address_group_id.clone(),
        description: b
            .string("description", DESCRIPTION_SIZE)?
            .unwrap_or_default(),
        used_in_default_sg: flag(&b, "used_in_default_sg")?,
        used_in_non_default_sg: flag(&b, "used_in_non_default_sg")?,
    };
    check_duplicate(tx, &rule, &spec.fingerprint())?;
    let doc = serde_json::to_string(&rule).map_err(|_| Error::internal())?;
    let bit = |b: bool| ColumnValue::Text(if b { "1" } else { "0" }.to_string());
    store::insert_row(
        tx,
        DEFAULT_SECURITY_GROUP_RULES,
        &rule.id,
        &[
            ("for_default_sg", bit(rule.used_in_default_sg)),
            ("for_custom_sg", bit(rule.used_in_non_default_sg)),
        ],
        &doc,
    )?;
    Ok(rule)
}

fn to_value(rule: &DefaultRule) -> Result<Value> {
    serde_json::to_value(rule).map_err(|_| Error::internal())
}

/// `/v2.0/default-security-group-rules`.
pub struct DefaultSecurityGroupRules;

impl Collection for DefaultSecurityGroupRules {
    fn path(&self) -> &'static str {
        "default-security-group-rules"
    }
    fn singular(&self) -> &'static str {
        "default_security_group_rule"
    }
    fn plural(&self) -> &'static str {
        "default_security_group_rules"
    }
    fn table(&self) -> Table {
        DEFAULT_SECURITY_GROUP_RULES
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[ext(
            "security-groups-default-rules",
            "Default rules for security groups",
            "Configure set of security group rules used as default rules for every new security group",
        )];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "description",
            "remote_group_id",
            "remote_address_group_id",
            "direction",
            "protocol",
            "port_range_min",
            "port_range_max",
            "ethertype",
            "remote_ip_prefix",
            "used_in_default_sg",
            "used_in_non_default_sg",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    /// `get_default_security_group_rule` is `role:reader`: the template belongs to no project.
    fn sees(&self, scope: &Scope, _doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads()
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        match scope.reads() {
            true => vec![Visible::Every],
            false => Vec::new(),
        }
    }
    fn may_change(&self, _scope: &Scope, caller: &Caller, _doc: &Map<String, Value>) -> bool {
        caller.is_admin()
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        to_value(&create_rule(tx, cx.caller, body)?)
    }

    /// Upstream's bulk create checks the whole request for duplicates first.
    fn create_all(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        bodies: &[Map<String, Value>],
    ) -> Result<Vec<Value>> {
        let mut seen = HashSet::new();
        for body in bodies {
            let b = Body(body);
            let fingerprint = RuleSpec::from_body(&b)?.fingerprint();
            for (wanted, set) in [("used_in_default_sg", 0), ("used_in_non_default_sg", 1)] {
                if b.bool(wanted)?.unwrap_or(set == 1) && !seen.insert((set, fingerprint.clone())) {
                    return Err(Error::conflict(
                        "DuplicateDefaultSgRuleInPost",
                        "Duplicate Default Security Group Rule in POST.",
                    ));
                }
            }
        }
        bodies
            .iter()
            .map(|body| self.create(tx, cx, body))
            .collect()
    }

    /// Every attribute is read-only.
    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Update)?;
        let map = crate::read::load_map_for_change(
            tx,
            cx.caller,
            self,
            id,
            "rule:update_default_security_group_rule",
        )?;
        Ok(Value::Object(map))
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        crate::read::load_map_for_change(
            tx,
            cx.caller,
            self,
            id,
            "rule:delete_default_security_group_rule",
        )?;
        store::delete_row(tx, DEFAULT_SECURITY_GROUP_RULES, id)?;
        Ok(())
    }
}
