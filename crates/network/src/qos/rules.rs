//! The rules of a QoS policy (`/v2.0/qos/policies/{id}/{type}_rules`, and by id alone through
//! `/v2.0/qos/alias-{type}-rules/{id}`): one table for every type, each type described by a
//! [`RuleKind`]. Values are checked as upstream's attribute maps check them; a policy holds one
//! rule of a type per direction (`QoSRulesConflict`), a minimum bandwidth may not exceed the
//! limit of the same direction (`QoSRuleParameterConflict`), and every change of a rule is a new
//! revision of its policy.

use std::collections::HashMap;

use serde_json::{Map, Value};

use neutrino_store::tables::QOS_RULES;
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::read::{Scope, field};
use crate::{Caller, Error, Networking, Result, rbac};

use super::policy::{check_admin, load_visible, touch};
use super::{OBJECT_TYPE, rule_not_found};

/// Upstream's `DB_INTEGER_MAX_VALUE`: the bound of every rate.
const INT_MAX: i64 = 2_147_483_647;
const DIRECTIONS: &[&str] = &["ingress", "egress"];
const DIRECTIONS_AND_ANY: &[&str] = &["any", "ingress", "egress"];
/// neutron_lib's `VALID_DSCP_MARKS`.
pub const DSCP_MARKS: &[i64] = &[
    0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 44, 46, 48, 56,
];

/// An integer parameter of a rule: required on create unless it has a default.
struct Param {
    name: &'static str,
    default: Option<i64>,
    /// The values allowed; `None`: 0 to [`INT_MAX`].
    values: Option<&'static [i64]>,
}

const fn rate(name: &'static str) -> Param {
    Param {
        name,
        default: None,
        values: None,
    }
}

const fn burst(name: &'static str) -> Param {
    Param {
        name,
        default: Some(0),
        values: None,
    }
}

/// One type of rule, its collections and its parameters.
pub struct RuleKind {
    /// `bandwidth_limit`: the `type` of the rule in a policy's `rules`.
    pub rule_type: &'static str,
    /// Under a policy: `bandwidth_limit_rules`.
    pub collection: &'static str,
    /// `bandwidth_limit_rule`.
    pub singular: &'static str,
    /// `alias-bandwidth-limit-rules` under `/v2.0/qos/`, if the type has one.
    pub alias: Option<&'static str>,
    params: &'static [Param],
    /// The directions the rule may take (egress is the default); empty: it has none.
    directions: &'static [&'static str],
    attrs: &'static [Attr],
    attributes: &'static [&'static str],
}

const fn put(name: &'static str) -> Attr {
    Attr {
        name,
        post: true,
        put: true,
        required: false,
    }
}

const fn required_put(name: &'static str) -> Attr {
    Attr {
        name,
        post: true,
        put: true,
        required: true,
    }
}

const ID: Attr = crate::attrs::attr("id", false, false);

pub static BANDWIDTH_LIMIT: RuleKind = RuleKind {
    rule_type: "bandwidth_limit",
    collection: "bandwidth_limit_rules",
    singular: "bandwidth_limit_rule",
    alias: Some("alias-bandwidth-limit-rules"),
    params: &[rate("max_kbps"), burst("max_burst_kbps")],
    directions: DIRECTIONS,
    attrs: &[
        ID,
        required_put("max_kbps"),
        put("max_burst_kbps"),
        put("direction"),
    ],
    attributes: &["id", "max_kbps", "max_burst_kbps", "direction"],
};
pub static DSCP_MARKING: RuleKind = RuleKind {
    rule_type: "dscp_marking",
    collection: "dscp_marking_rules",
    singular: "dscp_marking_rule",
    alias: Some("alias-dscp-marking-rules"),
    params: &[Param {
        name: "dscp_mark",
        default: None,
        values: Some(DSCP_MARKS),
    }],
    directions: &[],
    attrs: &[ID, required_put("dscp_mark")],
    attributes: &["id", "dscp_mark"],
};
pub static MINIMUM_BANDWIDTH: RuleKind = RuleKind {
    rule_type: "minimum_bandwidth",
    collection: "minimum_bandwidth_rules",
    singular: "minimum_bandwidth_rule",
    alias: Some("alias-minimum-bandwidth-rules"),
    params: &[rate("min_kbps")],
    directions: DIRECTIONS,
    attrs: &[ID, required_put("min_kbps"), put("direction")],
    attributes: &["id", "min_kbps", "direction"],
};
pub static PACKET_RATE_LIMIT: RuleKind = RuleKind {
    rule_type: "packet_rate_limit",
    collection: "packet_rate_limit_rules",
    singular: "packet_rate_limit_rule",
    alias: None,
    params: &[rate("max_kpps"), burst("max_burst_kpps")],
    directions: DIRECTIONS,
    attrs: &[
        ID,
        required_put("max_kpps"),
        put("max_burst_kpps"),
        put("direction"),
    ],
    attributes: &["id", "max_kpps", "max_burst_kpps", "direction"],
};
pub static MINIMUM_PACKET_RATE: RuleKind = RuleKind {
    rule_type: "minimum_packet_rate",
    collection: "minimum_packet_rate_rules",
    singular: "minimum_packet_rate_rule",
    alias: Some("alias-minimum-packet-rate-rules"),
    params: &[rate("min_kpps")],
    directions: DIRECTIONS_AND_ANY,
    attrs: &[ID, required_put("min_kpps"), put("direction")],
    attributes: &["id", "min_kpps", "direction"],
};

/// Every rule type, in upstream's order.
pub static RULE_KINDS: [&RuleKind; 5] = [
    &BANDWIDTH_LIMIT,
    &DSCP_MARKING,
    &MINIMUM_BANDWIDTH,
    &PACKET_RATE_LIMIT,
    &MINIMUM_PACKET_RATE,
];

/// The rule type whose collection under a policy is `collection`.
pub fn rule_kind(collection: &str) -> Option<&'static RuleKind> {
    RULE_KINDS
        .iter()
        .copied()
        .find(|k| k.collection == collection)
}

/// A rule's value of an integer parameter, converted and checked as upstream does.
fn read_param(b: &Body, p: &Param) -> Result<Option<i64>> {
    let Some(v) = b.get(p.name) else {
        return Ok(None);
    };
    let n = attrs::to_int(v)
        .ok_or_else(|| Error::invalid_input(format!("'{}' is not an integer", attrs::show(v))))?;
    match p.values {
        Some(values) if !values.contains(&n) => Err(Error::invalid_attr(
            p.name,
            format!("{n} is not in valid_values"),
        )),
        Some(_) => Ok(Some(n)),
        None if n < 0 => Err(Error::invalid_attr(
            p.name,
            format!("'{n}' is too small - must be at least '0'"),
        )),
        None if n > INT_MAX => Err(Error::invalid_attr(
            p.name,
            format!("'{n}' is too large - must be no larger than '{INT_MAX}'"),
        )),
        None => Ok(Some(n)),
    }
}

impl RuleKind {
    /// The rule's values from a request: `rule` holds the current ones (an update) or none.
    fn merge(&self, body: &Map<String, Value>, rule: &mut Map<String, Value>) -> Result<()> {
        let b = Body(body);
        for p in self.params {
            match (read_param(&b, p)?, p.default) {
                (Some(n), _) => {
                    rule.insert(p.name.into(), n.into());
                }
                (None, Some(d)) if !rule.contains_key(p.name) => {
                    rule.insert(p.name.into(), d.into());
                }
                _ => {}
            }
        }
        if self.directions.is_empty() {
            return Ok(());
        }
        match b.get("direction") {
            Some(Value::String(d)) if self.directions.contains(&d.as_str()) => {
                rule.insert("direction".into(), d.clone().into());
            }
            Some(v) => {
                return Err(Error::invalid_attr(
                    "direction",
                    format!("{} is not in valid_values", attrs::show(v)),
                ));
            }
            None if !rule.contains_key("direction") => {
                rule.insert("direction".into(), "egress".into());
            }
            None => {}
        }
        Ok(())
    }

    /// A rule's place in its policy: one rule of a type per direction.
    fn slot(&self, rule: &Map<String, Value>) -> String {
        match rule.get("direction").and_then(Value::as_str) {
            Some(d) => format!("{}:{d}", self.rule_type),
            None => self.rule_type.to_string(),
        }
    }

    fn columns(&self, rule: &Map<String, Value>) -> [(&'static str, ColumnValue); 4] {
        let text = |s: &str| ColumnValue::Text(s.to_string());
        [
            ("policy_id", text(field(rule, "qos_policy_id"))),
            ("rule_type", text(self.rule_type)),
            ("project_id", text(field(rule, "project_id"))),
            ("slot", text(&self.slot(rule))),
        ]
    }

    fn policy_rule(&self, action: &str) -> String {
        format!("{action}_policy_{}_rule", self.rule_type)
    }

    /// Checks a new or changed rule against the other rules of its policy, as upstream's
    /// `qos_policy_validator` does, in its order.
    fn check_conflicts(
        &self,
        tx: &Tx<'_>,
        rule: &Map<String, Value>,
        given: &Map<String, Value>,
    ) -> Result<()> {
        let policy_id = field(rule, "qos_policy_id");
        let others = rules_of(tx, vec![policy_id.to_string()])?;
        let direction = rule.get("direction").and_then(Value::as_str);
        let param_conflict = |value: &Value, other: &Map<String, Value>, existing: &Value| {
            Error::conflict(
                "QoSRuleParameterConflict",
                format!(
                    "Unable to add the rule with value {} to the policy {policy_id} as the existing rule of type {} restricts the bandwidth to {}.",
                    attrs::show(value),
                    field(other, "type"),
                    attrs::show(existing)
                ),
            )
        };
        for other in &others {
            let other_type = field(other, "type");
            if other_type == "dscp_marking"
                || direction
                    .is_some_and(|d| Some(d) != other.get("direction").and_then(Value::as_str))
            {
                continue;
            }
            let num = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_i64);
            if other_type == "minimum_bandwidth"
                && let (Some(max), Some(min)) = (num(given, "max_kbps"), num(other, "min_kbps"))
                && min > max
            {
                return Err(param_conflict(
                    &given["max_kbps"],
                    other,
                    &other["min_kbps"],
                ));
            }
            if other_type == "bandwidth_limit"
                && let (Some(min), Some(max)) = (num(given, "min_kbps"), num(other, "max_kbps"))
                && max < min
            {
                return Err(param_conflict(
                    &given["min_kbps"],
                    other,
                    &other["max_kbps"],
                ));
            }
        }
        let id = field(rule, "id");
        for other in others.iter().filter(|o| field(o, "id") != id) {
            if field(other, "type") != self.rule_type {
                continue;
            }
            // Directionless and directed minimum packet rates do not mix.
            let other_direction = other.get("direction").and_then(Value::as_str);
            if self.rule_type == "minimum_packet_rate"
                && let (Some(d), Some(od)) = (direction, other_direction)
                && (d == "any") != (od == "any")
            {
                return Err(Error::conflict(
                    "QoSRuleParameterConflict",
                    format!(
                        "Unable to add the rule with value {d} to the policy {policy_id} as the existing rule of type {} restricts the bandwidth to {od}.",
                        self.rule_type
                    ),
                ));
            }
            if direction == other_direction {
                return Err(duplicate(self, field(other, "id"), policy_id));
            }
        }
        Ok(())
    }

    /// Creates a rule in a policy the caller may see.
    fn create_in(
        &self,
        tx: &Tx<'_>,
        caller: &Caller,
        policy_id: &str,
        body: &Map<String, Value>,
    ) -> Result<Value> {
        check_attributes(body, self.attrs, Op::Create)?;
        check_admin(caller, &self.policy_rule("create"))?;
        // The values are checked before the policy is looked up, as upstream validates the
        // body before its plugin runs.
        let mut rule = Map::new();
        rule.insert("id".into(), uuid::Uuid::new_v4().to_string().into());
        rule.insert("qos_policy_id".into(), policy_id.into());
        rule.insert("type".into(), self.rule_type.into());
        self.merge(body, &mut rule)?;
        let policy = load_visible(tx, caller, policy_id)?;
        rule.insert("project_id".into(), policy.project_id.into());
        self.check_conflicts(tx, &rule, &rule.clone())?;
        let doc = Value::Object(rule.clone()).to_string();
        match store::insert_row(
            tx,
            QOS_RULES,
            field(&rule, "id"),
            &self.columns(&rule),
            &doc,
        ) {
            // A concurrent request took the slot between the check and the insert.
            Err(StoreError::Conflict(_)) => return Err(duplicate(self, "", policy_id)),
            other => other?,
        }
        touch(tx, policy_id)?;
        Ok(self.view(rule))
    }

    /// A rule of this type the caller may see, in `policy` if one is named (`None`: through
    /// the alias collection).
    fn load_rule(
        &self,
        tx: &Tx<'_>,
        caller: &Caller,
        policy: Option<&str>,
        id: &str,
    ) -> Result<Map<String, Value>> {
        if let Some(p) = policy {
            load_visible(tx, caller, p)?;
        }
        let missing = || rule_not_found(id, policy.unwrap_or_default());
        let doc = store::get_doc(tx, QOS_RULES, id)?.ok_or_else(missing)?;
        let rule: Map<String, Value> = serde_json::from_str(&doc).map_err(|_| Error::internal())?;
        let in_place = field(&rule, "type") == self.rule_type
            && policy.is_none_or(|p| field(&rule, "qos_policy_id") == p);
        if !in_place || !self.sees(&Scope::load(tx, caller)?, &rule) {
            return Err(missing());
        }
        Ok(rule)
    }

    fn update_in(
        &self,
        tx: &Tx<'_>,
        caller: &Caller,
        policy: Option<&str>,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Value> {
        check_attributes(body, self.attrs, Op::Update)?;
        let mut rule = self.load_rule(tx, caller, policy, id)?;
        check_admin(caller, &self.policy_rule("update"))?;
        self.merge(body, &mut rule)?;
        let mut given = Map::new();
        for p in self.params {
            if body.contains_key(p.name) {
                given.insert(p.name.into(), rule[p.name].clone());
            }
        }
        self.check_conflicts(tx, &rule, &given)?;
        let doc = Value::Object(rule.clone()).to_string();
        let policy_id = field(&rule, "qos_policy_id").to_string();
        match store::update_row(tx, QOS_RULES, id, &self.columns(&rule), &doc) {
            Err(StoreError::Conflict(_)) => return Err(duplicate(self, "", &policy_id)),
            other => other?,
        };
        touch(tx, &policy_id)?;
        Ok(self.view(rule))
    }

    fn delete_in(
        &self,
        tx: &Tx<'_>,
        caller: &Caller,
        policy: Option<&str>,
        id: &str,
    ) -> Result<()> {
        let rule = self.load_rule(tx, caller, policy, id)?;
        check_admin(caller, &self.policy_rule("delete"))?;
        store::delete_row(tx, QOS_RULES, id)?;
        touch(tx, field(&rule, "qos_policy_id"))
    }

    /// A rule as its own collection shows it: its id and values.
    fn view(&self, mut rule: Map<String, Value>) -> Value {
        rule.retain(|k, _| self.attributes.contains(&k.as_str()));
        Value::Object(rule)
    }
}

fn duplicate(kind: &RuleKind, existing: &str, policy_id: &str) -> Error {
    Error::conflict(
        "QoSRulesConflict",
        format!(
            "Rule {} conflicts with rule {existing} which already exists in QoS Policy {policy_id}.",
            kind.rule_type
        ),
    )
}

/// The stored rules of the policies, in the order they were created.
pub(crate) fn rules_of(tx: &Tx<'_>, policies: Vec<String>) -> Result<Vec<Map<String, Value>>> {
    store::list_docs(tx, QOS_RULES, &Selection::by("policy_id", policies))?
        .iter()
        .map(|d| serde_json::from_str(d).map_err(|_| Error::internal()))
        .collect()
}

/// The rules of each policy as a policy's `rules` shows them (with `type` and
/// `qos_policy_id`).
pub(crate) fn embedded(tx: &Tx<'_>, policies: Vec<String>) -> Result<HashMap<String, Vec<Value>>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for mut rule in rules_of(tx, policies)? {
        rule.remove("project_id");
        let policy = field(&rule, "qos_policy_id").to_string();
        out.entry(policy).or_default().push(Value::Object(rule));
    }
    Ok(out)
}

/// Reads go through the generic list and show paths; writes need the parent policy and go
/// through [`Networking::create_qos_rule`] and its siblings.
impl Collection for RuleKind {
    fn path(&self) -> &'static str {
        self.collection
    }
    fn singular(&self) -> &'static str {
        self.singular
    }
    fn plural(&self) -> &'static str {
        self.collection
    }
    fn table(&self) -> Table {
        QOS_RULES
    }
    fn not_found(&self, id: &str) -> Error {
        rule_not_found(id, "")
    }
    fn attributes(&self) -> &'static [&'static str] {
        self.attributes
    }
    fn taggable(&self) -> bool {
        false
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    /// Whoever sees the policy sees its rules.
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin()
            || scope.reads_project(field(doc, "project_id"))
            || scope.shared_with(OBJECT_TYPE, field(doc, "qos_policy_id"), rbac::SHARED)
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        let mut rows = scope.own_rows();
        rows.push(Visible::Granted {
            column: "policy_id",
            object_type: OBJECT_TYPE,
            actions: &[rbac::SHARED],
            project: scope.project().to_string(),
        });
        rows
    }
    fn relative_view(&self, _scope: &Scope, doc: &mut Map<String, Value>) {
        doc.retain(|k, _| self.attributes.contains(&k.as_str()));
    }
    fn create(&self, _tx: &Tx<'_>, _cx: &Ctx<'_>, _body: &Map<String, Value>) -> Result<Value> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        self.update_in(tx, cx.caller, None, id, body)
    }
    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, _if_match: Option<u64>) -> Result<()> {
        self.delete_in(tx, cx.caller, None, id)
    }
}

impl Networking {
    /// Creates a rule of `kind` in a policy.
    pub async fn create_qos_rule(
        &self,
        caller: &Caller,
        kind: &'static RuleKind,
        policy_id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, policy_id) = (caller.clone(), policy_id.to_string());
        self.store
            .write(move |tx| kind.create_in(tx, &caller, &policy_id, &body))
            .await
    }

    /// The rules of `kind` in a policy the caller may see, among those `sel` selects.
    pub async fn qos_rules(
        &self,
        caller: &Caller,
        kind: &'static RuleKind,
        policy_id: &str,
        sel: Selection,
    ) -> Result<Vec<Map<String, Value>>> {
        let (c, p) = (caller.clone(), policy_id.to_string());
        self.store
            .read(move |tx| load_visible(tx, &c, &p).map(|_| ()))
            .await?;
        let sel = sel
            .and("policy_id", vec![policy_id.to_string()])
            .and("rule_type", vec![kind.rule_type.to_string()]);
        self.list(caller, kind, sel).await
    }

    /// One rule of `kind`, in `policy` if one is named (else through its alias collection).
    pub async fn qos_rule(
        &self,
        caller: &Caller,
        kind: &'static RuleKind,
        policy: Option<&str>,
        id: &str,
    ) -> Result<Value> {
        let (caller, policy, id) = (caller.clone(), policy.map(String::from), id.to_string());
        self.store
            .read(move |tx| {
                let rule = kind.load_rule(tx, &caller, policy.as_deref(), &id)?;
                Ok(kind.view(rule))
            })
            .await
    }

    pub async fn update_qos_rule(
        &self,
        caller: &Caller,
        kind: &'static RuleKind,
        policy: Option<&str>,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, policy, id) = (caller.clone(), policy.map(String::from), id.to_string());
        self.store
            .write(move |tx| kind.update_in(tx, &caller, policy.as_deref(), &id, &body))
            .await
    }

    pub async fn delete_qos_rule(
        &self,
        caller: &Caller,
        kind: &'static RuleKind,
        policy: Option<&str>,
        id: &str,
    ) -> Result<()> {
        let (caller, policy, id) = (caller.clone(), policy.map(String::from), id.to_string());
        self.store
            .write(move |tx| kind.delete_in(tx, &caller, policy.as_deref(), &id))
            .await
    }
}
