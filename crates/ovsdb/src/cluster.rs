//! Leader-only connections to clustered (Raft) databases.
//!
//! Every ovsdb-server serves a `_Server` database whose `Database` table says, per database, its
//! `model` (standalone, clustered, relay), whether this server is `connected` to the cluster and
//! whether it is the `leader`. Writes through a follower are forwarded and reads from it can be
//! stale, so the client uses only a server that is connected and leader for our database, and
//! watches that row: when the server stops being leader, the client moves on to the next remote.

use serde_json::{Value as Json, json};

use crate::atom::Atom;
use crate::value::Value;

/// The monitor id the client uses for its `_Server` watch.
pub(crate) const SERVER_MONITOR_ID: &str = "_server";

/// What `_Server.Database` says about our database on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseStatus {
    /// `standalone`, `clustered` or `relay`.
    pub model: String,
    pub connected: bool,
    pub leader: bool,
}

impl DatabaseStatus {
    /// May the client read and write through this server? A standalone server always reports itself
    /// connected and leader.
    pub fn usable(&self) -> bool {
        self.connected && self.leader
    }
}

/// Params of the `monitor_cond` request that watches our database's `_Server.Database` row.
pub(crate) fn server_monitor_params(database: &str) -> Json {
    json!([
        "_Server",
        SERVER_MONITOR_ID,
        {"Database": [{
            "columns": ["name", "model", "connected", "leader"],
            "where": [["name", "==", database]]
        }]}
    ])
}

/// Folds a `_Server` `<table-updates2>` into `status`. A missing or deleted row means the server
/// no longer serves the database.
pub(crate) fn apply_server_update(status: &mut Option<DatabaseStatus>, updates: &Json) {
    let Some(rows) = updates.get("Database").and_then(Json::as_object) else {
        return;
    };
    for change in rows.values() {
        if let Some(row) = change.get("initial").or_else(|| change.get("insert")) {
            *status = Some(DatabaseStatus {
                model: text(row.get("model")).unwrap_or_default(),
                connected: boolean(row.get("connected")).unwrap_or(false),
                leader: boolean(row.get("leader")).unwrap_or(false),
            });
        } else if let Some(diff) = change.get("modify") {
            if let Some(s) = status.as_mut() {
                // These columns are scalars, so a diff carries the new value.
                if let Some(model) = text(diff.get("model")) {
                    s.model = model;
                }
                if let Some(connected) = boolean(diff.get("connected")) {
                    s.connected = connected;
                }
                if let Some(leader) = boolean(diff.get("leader")) {
                    s.leader = leader;
                }
            }
        } else if change.get("delete").is_some() {
            *status = None;
        }
    }
}

fn boolean(json: Option<&Json>) -> Option<bool> {
    Value::from_json(json?)
        .ok()?
        .as_atom()
        .and_then(Atom::as_bool)
}

fn text(json: Option<&Json>) -> Option<String> {
    Value::from_json(json?).ok()?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_leadership() {
        let mut status = None;
        apply_server_update(
            &mut status,
            &json!({"Database": {"u": {"initial": {"name": "N", "model": "clustered", "connected": true, "leader": true}}}}),
        );
        assert!(status.as_ref().is_some_and(DatabaseStatus::usable));
        apply_server_update(
            &mut status,
            &json!({"Database": {"u": {"modify": {"leader": false}}}}),
        );
        assert_eq!(status.as_ref().map(DatabaseStatus::usable), Some(false));
        apply_server_update(&mut status, &json!({"Database": {"u": {"delete": null}}}));
        assert!(status.is_none());
    }
}
