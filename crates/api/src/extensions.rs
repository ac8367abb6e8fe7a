//! The extension list and the version documents.

use neutrino_network::extensions::{self, Extension};
use serde_json::{Value, json};

fn entry(e: &Extension) -> Value {
    json!({"alias": e.alias, "name": e.name, "description": e.description, "updated": "2026-11-22T00:00:00-00:00", "links": []})
}

pub fn list() -> Value {
    json!({"extensions": extensions::all().iter().map(entry).collect::<Vec<_>>()})
}

pub fn show(alias: &str) -> Option<Value> {
    extensions::all()
        .iter()
        .find(|e| e.alias == alias)
        .map(|e| json!({"extension": entry(e)}))
}

/// `GET /`: the API versions.
pub fn versions(root: &str) -> Value {
    json!({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": format!("{root}v2.0/")}]}]})
}

/// `GET /v2.0/`: the core resources.
pub fn resources(root: &str) -> Value {
    let r = |name: &str, coll: &str| json!({"name": name, "collection": coll, "links": [{"rel": "self", "href": format!("{root}v2.0/{coll}")}]});
    json!({"resources": [r("network", "networks"), r("subnet", "subnets"), r("port", "ports")]})
}
