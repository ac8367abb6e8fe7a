//! Quotas: per-project limits (the configured defaults, overridden per project through the
//! quotas API), usage counted from the stored rows, and the check every create makes.
//!
//! The check runs inside the write transaction after the new rows are inserted: writes are
//! serialised by the store's writer, so the count is exact and concurrent creates can never
//! exceed a limit together.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use neutrino_store::Tx;
use neutrino_store::{self as store};

use crate::attrs::{self, show};
use crate::error::Failure;
use crate::extensions::{Extension, ext};
use crate::{Caller, Error, Kind, NetworkConfig, Networking, Result, collections};

pub const EXTENSIONS: &[Extension] = &[
    ext(
        "quotas",
        "Quota management support",
        "Expose functions for quotas management per project",
    ),
    ext(
        "quota_details",
        "Quota details management support",
        "Expose functions for quotas usage statistics per project",
    ),
    // A limit below the usage is refused unless `force` (see `set_quota`); `check_limit` is
    // accepted and, as upstream's since 2025.1, changes nothing.
    ext(
        "quota-check-limit",
        "Quota engine limit check",
        "Support for checking the resource usage before applying a new quota limit",
    ),
    ext(
        "quota-check-limit-default",
        "Quota engine limit check by default",
        "By default, the Neutron quota engine checks the resource usage before applying a new quota limit",
    ),
];

/// The largest limit upstream's database column holds.
const MAX_LIMIT: i64 = 2_147_483_647;

/// The limits of a project: the defaults, overridden by its explicit limits.
fn limits(tx: &Tx<'_>, cfg: &NetworkConfig, project: &str) -> Result<BTreeMap<&'static str, i64>> {
    let mut out: BTreeMap<&'static str, i64> = cfg.quotas.defaults().into_iter().collect();
    for (resource, limit) in store::quota_limits(tx, project)? {
        if let Some(v) = out.get_mut(resource.as_str()) {
            *v = limit;
        }
    }
    Ok(out)
}

/// The collection whose rows a quota resource counts, if it is served.
fn counted_by(resource: &str) -> Option<Kind> {
    collections()
        .iter()
        .copied()
        .find(|c| c.quota_resource() == Some(resource))
}

fn used(tx: &Tx<'_>, resource: &str, project: &str) -> Result<i64> {
    match counted_by(resource) {
        Some(kind) => Ok(store::count_owned(tx, kind.table(), project)?),
        None => Ok(0),
    }
}

/// Checks, after a create inserted its rows, that no project is over a limit: `created` names
/// the collection and owner of every new resource.
pub(crate) fn check(tx: &Tx<'_>, cfg: &NetworkConfig, created: &[(Kind, String)]) -> Result<()> {
    let mut over: Vec<&str> = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (kind, project) in created {
        let Some(resource) = kind.quota_resource() else {
            continue;
        };
        if seen.contains(&(resource, project.as_str())) {
            continue;
        }
        seen.push((resource, project));
        let limit = limits(tx, cfg, project)?
            .get(resource)
            .copied()
            .unwrap_or(-1);
        if limit >= 0
            && store::owns_more_than(tx, kind.table(), project, limit)?
            && !over.contains(&resource)
        {
            over.push(resource);
        }
    }
    if over.is_empty() {
        return Ok(());
    }
    over.sort_unstable();
    let listed: Vec<String> = over.iter().map(|r| format!("'{r}'")).collect();
    Err(Error::new(
        Failure::OverQuota,
        "OverQuota",
        format!("Quota exceeded for resources: [{}].", listed.join(", ")),
    ))
}

/// A project's own quota is always readable; others' need admin.
fn check_read(caller: &Caller, project: &str) -> Result<()> {
    if caller.is_admin() || caller.project_id == project {
        Ok(())
    } else {
        Err(Error::policy("rule:get_quota"))
    }
}

fn admin_required(caller: &Caller) -> Result<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(Error::new(
            Failure::Policy,
            "AdminRequired",
            "User does not have admin privileges: Only admin can view or configure quota.",
        ))
    }
}

fn as_map(limits: &BTreeMap<&'static str, i64>) -> Map<String, Value> {
    limits
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

/// A new limit: an integer (or integer string) in [-1, 2^31-1].
fn parse_limit(resource: &str, v: &Value) -> Result<i64> {
    let n = attrs::to_int(v)
        .filter(|_| !v.is_boolean())
        .ok_or_else(|| Error::invalid_attr(resource, format!("'{}' is not an integer", show(v))))?;
    if n < -1 {
        return Err(Error::invalid_attr(
            resource,
            format!("'{n}' is too small - must be at least '-1'"),
        ));
    }
    if n > MAX_LIMIT {
        return Err(Error::invalid_attr(
            resource,
            format!("'{n}' is too large - must be no larger than '{MAX_LIMIT}'"),
        ));
    }
    Ok(n)
}

impl Networking {
    /// `GET /v2.0/quotas/{project}`: the effective limits.
    pub async fn quota(&self, caller: &Caller, project: &str) -> Result<Map<String, Value>> {
        check_read(caller, project)?;
        let (cfg, project) = (self.cfg.clone(), project.to_string());
        self.store
            .read(move |tx| Ok(as_map(&limits(tx, &cfg, &project)?)))
            .await
    }

    /// `GET /v2.0/quotas/{project}/default`: the configured defaults.
    pub fn quota_defaults(&self, caller: &Caller, project: &str) -> Result<Map<String, Value>> {
        check_read(caller, project)?;
        Ok(as_map(&self.cfg.quotas.defaults().into_iter().collect()))
    }

    /// `GET /v2.0/quotas/{project}/details`: limit, use and reservations (always 0) per resource.
    pub async fn quota_details(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Map<String, Value>> {
        check_read(caller, project)?;
        let (cfg, project) = (self.cfg.clone(), project.to_string());
        self.store
            .read(move |tx| {
                let mut out = Map::new();
                for (resource, limit) in limits(tx, &cfg, &project)? {
                    let used = used(tx, resource, &project)?;
                    out.insert(
                        resource.to_string(),
                        json!({"limit": limit, "used": used, "reserved": 0}),
                    );
                }
                Ok(out)
            })
            .await
    }

    /// `GET /v2.0/quotas` (admin): the projects with explicit limits, each with all its limits.
    pub async fn quotas(&self, caller: &Caller) -> Result<Vec<Value>> {
        admin_required(caller)?;
        let cfg = self.cfg.clone();
        self.store
            .read(move |tx| {
                let mut projects: Vec<String> = store::all_quota_limits(tx)?
                    .into_iter()
                    .map(|(p, _, _)| p)
                    .collect();
                projects.dedup();
                projects
                    .iter()
                    .map(|p| {
                        let mut m = as_map(&limits(tx, &cfg, p)?);
                        m.insert("project_id".into(), json!(p));
                        m.insert("tenant_id".into(), json!(p));
                        Ok(Value::Object(m))
                    })
                    .collect()
            })
            .await
    }

    /// `PUT /v2.0/quotas/{project}`: sets the given limits; returns all of them.
    pub async fn set_quota(
        &self,
        caller: &Caller,
        project: &str,
        body: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        if !caller.is_admin() {
            return Err(Error::policy("rule:update_quota"));
        }
        let known: Vec<&'static str> = self.cfg.quotas.defaults().iter().map(|(k, _)| *k).collect();
        let mut unknown: Vec<&str> = body
            .keys()
            .map(String::as_str)
            .filter(|k| !known.contains(k) && !["force", "check_limit"].contains(k))
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(Error::bad_request(format!(
                "Unrecognized attribute(s) '{}'",
                unknown.join(", ")
            )));
        }
        let flag = |k: &str| -> Result<bool> {
            match body.get(k) {
                None => Ok(false),
                Some(v) => attrs::to_bool(v).ok_or_else(|| {
                    Error::invalid_attr(k, format!("'{}' cannot be converted to boolean", show(v)))
                }),
            }
        };
        let force = flag("force")?;
        flag("check_limit")?;
        let mut new: Vec<(&'static str, i64)> = Vec::new();
        for resource in &known {
            if let Some(v) = body.get(*resource) {
                new.push((resource, parse_limit(resource, v)?));
            }
        }
        let (cfg, project) = (self.cfg.clone(), project.to_string());
        self.store
            .write(move |tx| {
                for &(resource, limit) in &new {
                    if !force && limit >= 0 {
                        let used = used(tx, resource, &project)?;
                        if limit < used {
                            return Err(Error::bad_request(format!(
                                "Quota limit {limit} for {resource} must be greater than or equal to already used {used}"
                            ))
                            .with_kind("InvalidQuotaValue"));
                        }
                    }
                    store::set_quota_limit(tx, &project, resource, limit)?;
                }
                Ok(as_map(&limits(tx, &cfg, &project)?))
            })
            .await
    }

    /// `DELETE /v2.0/quotas/{project}`: back to the defaults.
    pub async fn reset_quota(&self, caller: &Caller, project: &str) -> Result<()> {
        if !caller.is_admin() {
            return Err(Error::policy("rule:delete_quota"));
        }
        let project = project.to_string();
        self.store
            .write(move |tx| Ok(store::delete_quota_limits(tx, &project)?))
            .await
    }
}
