//! Network logs (`/v2.0/log/logs`, extension `logging`): which packets of security groups the
//! back end logs. A log names a security group (`resource_id`), a port (`target_id`), both (the
//! port must be in the group) or neither (every group of the back end), and which packets:
//! `ACCEPT`, `DROP` or `ALL`. As upstream's logging plugin with its OVN driver: administrators
//! only, `security_group` the only loggable resource type, `name`, `description` and `enabled`
//! the only attributes that change; a log goes with the security group or port it names.
//! Logs have standard attributes but no tags, as upstream's model.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use neutrino_store::tables::LOGS;
use neutrino_store::{self as store, ColumnValue, Selection, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::Port;
use crate::read::{Scope, check_revision, load, load_map_for_change};
use crate::{Caller, Error, Failure, Result};

/// The resource types a log may name: those the OVN driver logs.
pub const LOGGABLE_RESOURCES: &[&str] = &["security_group"];

/// The events a log may select (`type:values`), in upstream's order.
const EVENTS: &[&str] = &["ACCEPT", "DROP", "ALL"];

/// Binding types of a port the OVN driver logs (`vif_types`), and the `vnic_type` it logs on a
/// port not bound yet.
const VIF_TYPES: &[&str] = &["ovs", "vhostuser"];
const UNBOUND_VIF_TYPES: &[&str] = &["unbound", "binding_failed"];

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("name", true, true),
    attr("description", true, true),
    required("resource_type"),
    attr("resource_id", true, false),
    attr("event", true, false),
    attr("target_id", true, false),
    attr("enabled", true, true),
];

/// A network log as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Log {
    pub id: String,
    pub project_id: String,
    pub tenant_id: String,
    pub name: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub target_id: Option<String>,
    pub event: String,
    pub enabled: bool,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub revision_number: u64,
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "LogResourceNotFound",
        format!("Log resource {id} could not be found."),
    )
}

fn load_log(tx: &Tx<'_>, caller: &Caller, id: &str, rule: &str) -> Result<Log> {
    let map = load_map_for_change(tx, caller, &Logs, id, rule)?;
    serde_json::from_value(Value::Object(map)).map_err(|_| Error::internal())
}

fn to_value(log: &Log) -> Result<Value> {
    serde_json::to_value(log).map_err(|_| Error::internal())
}

fn to_doc(log: &Log) -> Result<String> {
    serde_json::to_string(log).map_err(|_| Error::internal())
}

fn columns(log: &Log) -> [(&'static str, ColumnValue); 3] {
    let nullable = |v: &Option<String>| match v {
        Some(s) => ColumnValue::Text(s.clone()),
        None => ColumnValue::Null,
    };
    [
        ("project_id", ColumnValue::Text(log.project_id.clone())),
        ("resource_id", nullable(&log.resource_id)),
        ("target_id", nullable(&log.target_id)),
    ]
}

/// `type:uuid_or_none`.
fn uuid_or_none(b: &Body, name: &str) -> Result<Option<String>> {
    match b.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Ok(Some(s.clone())),
        Some(v) => Err(Error::invalid_attr(
            name,
            format!("'{}' is not a valid UUID", attrs::show(v)),
        )),
    }
}

/// `type:string` of at most `max` characters; `null` is refused like any other non-string.
fn text(b: &Body, name: &str, max: usize) -> Result<Option<String>> {
    match b.get(name) {
        Some(Value::Null) => Err(Error::invalid_attr(
            name,
            "'None' is not a valid string".to_string(),
        )),
        _ => b.string(name, max),
    }
}

fn enabled(b: &Body) -> Result<Option<bool>> {
    match b.get("enabled") {
        None => Ok(None),
        Some(v) => attrs::to_bool(v).map(Some).ok_or_else(|| {
            Error::invalid_attr(
                "enabled",
                format!("'{}' cannot be converted to boolean", attrs::show(v)),
            )
        }),
    }
}

/// upstream's `sg_validate.validate_security_group_request`: the group exists, the port exists
/// and the driver logs on it (its binding's `vif_type`, or its `vnic_type` while unbound), and a
/// port named with a group is in it.
fn check_security_group_request(
    tx: &Tx<'_>,
    resource_id: Option<&str>,
    target_id: Option<&str>,
) -> Result<()> {
    if let Some(sg) = resource_id
        && store::get_doc(tx, neutrino_store::tables::SECURITY_GROUPS, sg)?.is_none()
    {
        return Err(Error::not_found(
            "ResourceNotFound",
            format!("Resource {sg} could not be found."),
        ));
    }
    let Some(port_id) = target_id else {
        return Ok(());
    };
    let port: Port = load(tx, port_id)?.ok_or_else(|| {
        Error::not_found(
            "TargetResourceNotFound",
            format!("Target resource {port_id} could not be found."),
        )
    })?;
    let loggable = if UNBOUND_VIF_TYPES.contains(&port.vif_type.as_str()) {
        port.vnic_type == "normal"
    } else {
        VIF_TYPES.contains(&port.vif_type.as_str())
    };
    if !loggable {
        return Err(Error::conflict(
            "LoggingTypeNotSupported",
            format!("Logging type security_group is not supported on port {port_id}."),
        ));
    }
    if let Some(sg) = resource_id
        && !port.security_groups.iter().any(|g| g == sg)
    {
        return Err(Error::new(
            Failure::Invalid,
            "InvalidResourceConstraint",
            format!(
                "Invalid resource constraint between resource (security_group {sg}) and target resource (port {port_id})."
            ),
        ));
    }
    Ok(())
}

/// Deletes the logs naming a security group that is going away (upstream's logging plugin
/// cleans them up after the group's delete), through the write door.
pub(crate) fn delete_of_security_group(tx: &Tx<'_>, security_group_id: &str) -> Result<()> {
    delete_naming(tx, "resource_id", security_group_id)
}

/// Deletes the logs naming a port that is going away as their target.
pub(crate) fn delete_of_port(tx: &Tx<'_>, port_id: &str) -> Result<()> {
    delete_naming(tx, "target_id", port_id)
}

fn delete_naming(tx: &Tx<'_>, column: &'static str, id: &str) -> Result<()> {
    let sel = Selection::by(column, vec![id.to_owned()]);
    for log_id in store::column_values(tx, LOGS, "id", &sel)? {
        store::delete_row(tx, LOGS, &log_id)?;
    }
    Ok(())
}

/// `GET /v2.0/log/loggable-resources`: the types a log may name. Upstream's policy
/// (`get_loggable_resource`) lets only administrators see them; others get an empty list.
pub fn loggable_resources(caller: &Caller) -> Value {
    let types: Vec<Value> = if caller.is_admin() {
        LOGGABLE_RESOURCES
            .iter()
            .map(|t| json!({ "type": t }))
            .collect()
    } else {
        Vec::new()
    };
    json!({ "loggable_resources": types })
}

/// `/v2.0/log/logs`.
pub struct Logs;

impl Collection for Logs {
    fn path(&self) -> &'static str {
        "log/logs"
    }
    fn singular(&self) -> &'static str {
        "log"
    }
    fn plural(&self) -> &'static str {
        "logs"
    }
    fn table(&self) -> Table {
        LOGS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[ext(
            "logging",
            "Logging API Extension",
            "Provides a logging API for resources such as security group and firewall.",
        )];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "project_id",
            "tenant_id",
            "name",
            "description",
            "resource_type",
            "resource_id",
            "event",
            "target_id",
            "enabled",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    /// Logs are the administrators' (upstream's policy: `admin_only` for every action).
    fn sees(&self, scope: &Scope, _doc: &Map<String, Value>) -> bool {
        scope.admin()
    }
    fn visible_rows(&self, _scope: &Scope) -> Vec<Visible> {
        Vec::new()
    }
    fn may_change(&self, scope: &Scope, _caller: &Caller, _: &Map<String, Value>) -> bool {
        scope.admin()
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Create)?;
        let b = Body(body);
        let name = b.name("name")?.unwrap_or_default();
        let description = text(&b, "description", 255)?.unwrap_or_default();
        let resource_type = text(&b, "resource_type", 255)?.unwrap_or_default();
        let resource_id = uuid_or_none(&b, "resource_id")?;
        let target_id = uuid_or_none(&b, "target_id")?;
        let event = match b.get("event") {
            None => "ALL".to_owned(),
            Some(Value::String(s)) if EVENTS.contains(&s.as_str()) => s.clone(),
            Some(v) => {
                return Err(Error::invalid_attr(
                    "event",
                    format!("{} is not in {EVENTS:?}", attrs::show(v)).replace('"', "'"),
                ));
            }
        };
        let enabled = enabled(&b)?.unwrap_or(true);
        let project_id = attrs::owner(body, cx.caller)?;
        if !cx.caller.is_admin() {
            return Err(Error::policy("rule:create_log"));
        }
        if !LOGGABLE_RESOURCES.contains(&resource_type.as_str()) {
            return Err(Error::new(
                Failure::Invalid,
                "InvalidLogResourceType",
                format!("Invalid log resource_type: {resource_type}."),
            ));
        }
        check_security_group_request(tx, resource_id.as_deref(), target_id.as_deref())?;
        let now = crate::time::now();
        let log = Log {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: project_id.clone(),
            project_id,
            name,
            resource_type,
            resource_id,
            target_id,
            event,
            enabled,
            description,
            created_at: now.clone(),
            updated_at: now,
            revision_number: 1,
        };
        store::insert_row(tx, LOGS, &log.id, &columns(&log), &to_doc(&log)?)?;
        to_value(&log)
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
        let description = text(&b, "description", 255)?;
        let enabled = enabled(&b)?;
        let mut log = load_log(tx, cx.caller, id, "rule:update_log")?;
        check_revision(if_match, log.revision_number)?;
        if let Some(n) = name {
            log.name = n;
        }
        if let Some(d) = description {
            log.description = d;
        }
        if let Some(e) = enabled {
            log.enabled = e;
        }
        log.revision_number += 1;
        log.updated_at = crate::time::now();
        store::update_doc(tx, LOGS, &log.id, &to_doc(&log)?)?;
        to_value(&log)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let log = load_log(tx, cx.caller, id, "rule:delete_log")?;
        check_revision(if_match, log.revision_number)?;
        store::delete_row(tx, LOGS, id)?;
        Ok(())
    }
}
