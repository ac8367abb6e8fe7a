//! Monitors (`monitor_cond`, `monitor_cond_since`): what to watch, and the local cache
//! (table → UUID → row) kept up to date from the server's `update2`/`update3` notifications.
//!
//! The cache is the client's copy of the rows it watches; the reconciler reads it instead of asking
//! the server. After a reconnect it is either brought up to date from the last transaction id the
//! server reported (only the changes since then are sent) or rebuilt from a full initial reply, and
//! readers never see a half-built cache: a rebuild is swapped in whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde_json::{Map, Value as Json, json};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::atom::{AtomKey, DecodeError};
use crate::error::Error;
use crate::operation::Condition;
use crate::schema::{ColumnType, DatabaseSchema, SchemaError, TableNeed};
use crate::value::{Row, Value, row_from_json};

/// The tables (and in each, the columns and optionally the rows) a monitor watches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitorRequest {
    pub(crate) tables: BTreeMap<String, TableSelection>,
    /// The tables whose cached rows can be looked up by a key ([`Cache::lookup`]).
    indexes: BTreeMap<String, IndexKey>,
}

/// The string a table's cached rows are looked up by: a column's value (`name`), or the value
/// under one key of a map column (`external_ids:subnet_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    column: String,
    map_key: Option<String>,
}

impl IndexKey {
    /// `column`'s value, or with `map_key` the value under that key of map column `column`.
    pub fn new(column: &str, map_key: Option<&str>) -> IndexKey {
        IndexKey {
            column: column.to_owned(),
            map_key: map_key.map(str::to_owned),
        }
    }

    /// The key `row` holds, if it holds a string there.
    pub fn of<'r>(&self, row: &'r Row) -> Option<&'r str> {
        string_at(row, &self.column, self.map_key.as_deref())
    }
}

/// The string in `row`'s `column`, or with `map_key` the string under that key of map column
/// `column`.
pub fn string_at<'r>(row: &'r Row, column: &str, map_key: Option<&str>) -> Option<&'r str> {
    let value = row.get(column)?;
    match map_key {
        None => value.as_str(),
        Some(key) => value
            .as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))?
            .1
            .as_str(),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableSelection {
    /// Empty: every column.
    columns: Vec<String>,
    /// `None`: every row.
    conditions: Option<Vec<Condition>>,
}

impl MonitorRequest {
    pub fn new() -> Self {
        Self::default()
    }

    /// Watches `columns` of every row of `table` (all columns if `columns` is empty).
    pub fn table(mut self, table: impl Into<String>, columns: &[&str]) -> Self {
        let columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.tables.insert(
            table.into(),
            TableSelection {
                columns,
                conditions: None,
            },
        );
        self
    }

    /// Watches only the rows of `table` that match all `conditions`.
    pub fn table_where(
        mut self,
        table: impl Into<String>,
        columns: &[&str],
        conditions: Vec<Condition>,
    ) -> Self {
        let columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.tables.insert(
            table.into(),
            TableSelection {
                columns,
                conditions: Some(conditions),
            },
        );
        self
    }

    /// Keeps the cached rows of `table` (which must watch `key`'s column) findable by `key`.
    pub fn index(mut self, table: impl Into<String>, key: IndexKey) -> Self {
        self.indexes.insert(table.into(), key);
        self
    }

    /// The `<monitor-cond-requests>` object.
    pub(crate) fn to_json(&self) -> Json {
        let mut requests = Map::new();
        for (table, selection) in &self.tables {
            let mut request = Map::new();
            if !selection.columns.is_empty() {
                request.insert("columns".into(), json!(selection.columns));
            }
            if let Some(conditions) = &selection.conditions {
                request.insert(
                    "where".into(),
                    Json::Array(conditions.iter().map(Condition::to_json).collect()),
                );
            }
            requests.insert(table.clone(), Json::Array(vec![Json::Object(request)]));
        }
        Json::Object(requests)
    }

    /// The request's tables and columns must exist in the server's schema.
    pub(crate) fn check(&self, schema: &DatabaseSchema) -> Result<(), SchemaError> {
        let needs: Vec<TableNeed> = self
            .tables
            .iter()
            .map(|(table, selection)| {
                selection
                    .columns
                    .iter()
                    .fold(TableNeed::new(table), |need, c| {
                        need.column(c, crate::schema::Shape::Any)
                    })
            })
            .collect();
        schema.check(&needs)
    }
}

/// The cached rows of one table, by UUID.
pub type Rows = BTreeMap<Uuid, Arc<Row>>;

/// A copy of the watched rows: table → UUID → row (the monitored columns only).
///
/// Tables and rows are shared between snapshots until they change: a change while someone still
/// holds an older snapshot copies that table's map of row pointers and the changed rows, not
/// every row (at 10,000 ports, a snapshot held by a full compare would otherwise make the next
/// update copy the whole `Logical_Switch_Port` table).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cache {
    tables: BTreeMap<String, Arc<Rows>>,
    /// The indexed tables' rows by key ([`MonitorRequest::index`]), kept with every change.
    indexes: BTreeMap<String, Arc<Index>>,
    /// The monitored columns of each table (empty: all), so that rows can be completed.
    columns: Arc<BTreeMap<String, Vec<String>>>,
}

impl Cache {
    fn for_request(request: &MonitorRequest) -> Self {
        Cache {
            tables: request
                .tables
                .keys()
                .map(|t| (t.clone(), Arc::default()))
                .collect(),
            indexes: request
                .indexes
                .iter()
                .map(|(t, key)| {
                    let index = Index {
                        key: key.clone(),
                        rows: HashMap::new(),
                    };
                    (t.clone(), Arc::new(index))
                })
                .collect(),
            columns: Arc::new(
                request
                    .tables
                    .iter()
                    .map(|(t, s)| (t.clone(), s.columns.clone()))
                    .collect(),
            ),
        }
    }

    /// The rows of a watched table (`None` if the monitor does not watch it).
    pub fn table(&self, table: &str) -> Option<&Rows> {
        self.tables.get(table).map(|t| &**t)
    }

    pub fn get(&self, table: &str, uuid: &Uuid) -> Option<&Row> {
        self.tables.get(table)?.get(uuid).map(|r| &**r)
    }

    /// The rows of `table` under `key` ([`MonitorRequest::index`]), by UUID; `None` if the table
    /// has no index.
    pub fn lookup<'a>(
        &'a self,
        table: &str,
        key: &str,
    ) -> Option<impl Iterator<Item = (&'a Uuid, &'a Row)> + 'a> {
        let index = self.indexes.get(table)?;
        let rows = self.tables.get(table)?;
        let uuids = index.rows.get(key).map(Vec::as_slice).unwrap_or_default();
        Some(
            uuids
                .iter()
                .filter_map(move |u| rows.get_key_value(u).map(|(u, r)| (u, &**r))),
        )
    }

    /// The rows of `table` whose `column` holds exactly `value` (a linear scan).
    pub fn find<'a>(
        &'a self,
        table: &str,
        column: &'a str,
        value: &'a Value,
    ) -> impl Iterator<Item = (&'a Uuid, &'a Row)> + 'a {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|t| t.iter())
            .map(|(u, r)| (u, &**r))
            .filter(move |(_, row)| row.get(column) == Some(value))
    }

    pub fn tables(&self) -> impl Iterator<Item = (&str, &Rows)> {
        self.tables.iter().map(|(k, v)| (k.as_str(), &**v))
    }

    /// Applies a `<table-updates2>` object. Column diffs are interpreted with the schema's types.
    pub(crate) fn apply(
        &mut self,
        updates: &Json,
        schema: &DatabaseSchema,
    ) -> Result<(), DecodeError> {
        let Json::Object(tables) = updates else {
            return Err(DecodeError::new("table updates are not an object", updates));
        };
        for (table_name, rows) in tables {
            let table_schema = schema.tables.get(table_name);
            let Json::Object(rows) = rows else {
                return Err(DecodeError::new("row updates are not an object", rows));
            };
            let wanted = self.columns.get(table_name).filter(|c| !c.is_empty());
            let cached = Arc::make_mut(self.tables.entry(table_name.clone()).or_default());
            let mut index = self.indexes.get_mut(table_name).map(Arc::make_mut);
            for (uuid_text, change) in rows {
                let uuid = Uuid::parse_str(uuid_text)
                    .map_err(|_| DecodeError(format!("bad row uuid {uuid_text}")))?;
                let Json::Object(change) = change else {
                    return Err(DecodeError::new("row update is not an object", change));
                };
                if let Some(row) = change.get("initial").or_else(|| change.get("insert")) {
                    let mut row = row_from_json(row, table_schema)?;
                    if let Some(table_schema) = table_schema {
                        // The server leaves out columns that hold their default value.
                        for (name, column) in &table_schema.columns {
                            if wanted.is_none_or(|w| w.contains(name)) && !row.contains_key(name) {
                                row.insert(name.clone(), column.column_type.default_value());
                            }
                        }
                    }
                    if let Some(index) = &mut index {
                        if let Some(old) = cached.get(&uuid) {
                            index.remove(uuid, old);
                        }
                        index.add(uuid, &row);
                    }
                    cached.insert(uuid, Arc::new(row));
                } else if let Some(diff) = change.get("modify") {
                    let row = Arc::make_mut(cached.entry(uuid).or_default());
                    let Json::Object(diff) = diff else {
                        return Err(DecodeError::new("modify is not an object", diff));
                    };
                    // Re-indexed only when the diff changes the key's column.
                    let mut reindex = index
                        .as_deref_mut()
                        .filter(|i| diff.contains_key(&i.key.column));
                    if let Some(index) = reindex.as_deref_mut() {
                        index.remove(uuid, row);
                    }
                    for (column, delta) in diff {
                        let delta = Value::from_json(delta)?;
                        match table_schema.and_then(|t| t.columns.get(column)) {
                            Some(c) => {
                                let old = row.remove(column);
                                row.insert(column.clone(), apply_diff(old, delta, &c.column_type));
                            }
                            // A column the schema does not know cannot be diffed; keep what was sent.
                            None => {
                                row.insert(column.clone(), delta);
                            }
                        }
                    }
                    if let Some(index) = reindex {
                        index.add(uuid, row);
                    }
                } else if change.contains_key("delete") {
                    if let (Some(old), Some(index)) = (cached.remove(&uuid), &mut index) {
                        index.remove(uuid, &old);
                    }
                } else {
                    return Err(DecodeError(format!(
                        "row update for {uuid} has no initial/insert/modify/delete"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The rows of one table by key: key → their UUIDs, ascending (more than one only when several
/// rows hold the key).
#[derive(Debug, Clone, PartialEq)]
struct Index {
    key: IndexKey,
    rows: HashMap<String, Vec<Uuid>>,
}

impl Index {
    fn add(&mut self, uuid: Uuid, row: &Row) {
        if let Some(key) = self.key.of(row) {
            let uuids = self.rows.entry(key.to_owned()).or_default();
            if let Err(at) = uuids.binary_search(&uuid) {
                uuids.insert(at, uuid);
            }
        }
    }

    fn remove(&mut self, uuid: Uuid, row: &Row) {
        let Some(key) = self.key.of(row) else {
            return;
        };
        if let Some(uuids) = self.rows.get_mut(key) {
            uuids.retain(|u| *u != uuid);
            if uuids.is_empty() {
                self.rows.remove(key);
            }
        }
    }
}

/// `update2` "modify" semantics (RFC 7047 extension, ovsdb-server(7)): a column that holds at most
/// one value (a scalar, or an optional `min 0, max 1` column) gets the new value — ovsdb-server
/// diffs only columns with `max` above 1; a set column's diff holds the elements to toggle
/// (present → removed, absent → added); a map column's diff holds pairs to remove (same key and
/// value), change (same key, new value) or add.
fn apply_diff(old: Option<Value>, delta: Value, ty: &ColumnType) -> Value {
    if ty.max == crate::schema::Max::Limited(1) {
        return delta.normalize(ty);
    }
    let old = old.map_or_else(Value::empty, |v| v.normalize(ty));
    let delta = delta.normalize(ty);
    match (old, delta) {
        (Value::Map(mut pairs), Value::Map(changes)) => {
            for (key, value) in changes {
                match pairs.iter().position(|(k, _)| *k == key) {
                    Some(i) if pairs[i].1 == value => {
                        pairs.remove(i);
                    }
                    Some(i) => pairs[i].1 = value,
                    None => pairs.push((key, value)),
                }
            }
            Value::Map(pairs)
        }
        (old, delta) => {
            // One pass over the set, in place: it may hold thousands of elements (a switch's
            // ports), however many the diff toggles. An element of the diff the set holds
            // leaves it; any other joins it.
            let mut atoms = old.into_atoms();
            let delta = delta.into_atoms();
            let held = {
                let toggled: BTreeMap<AtomKey<'_>, usize> = delta
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.key(), i))
                    .collect();
                let mut held = vec![false; delta.len()];
                atoms.retain(|a| match toggled.get(&a.key()) {
                    Some(&i) => {
                        held[i] = true;
                        false
                    }
                    None => true,
                });
                held
            };
            atoms.extend(
                delta
                    .into_iter()
                    .zip(held)
                    .filter(|(_, h)| !h)
                    .map(|(a, _)| a),
            );
            Value::Set(atoms)
        }
    }
}

/// What the supervisor is asked to do with a monitor.
pub(crate) enum Command {
    Establish(String),
    Cancel(String),
}

/// A monitor's state, shared by its handle and the client's supervisor task.
pub(crate) struct MonitorState {
    pub(crate) id: String,
    pub(crate) request: MonitorRequest,
    cache: RwLock<Arc<Cache>>,
    /// The last transaction id the server reported, for `monitor_cond_since` after a reconnect.
    pub(crate) last_txn_id: Mutex<Option<String>>,
    /// The connection epoch this monitor was last set up on (0: never).
    pub(crate) epoch: Mutex<u64>,
    /// Bumped on every change of the cache.
    version: watch::Sender<u64>,
    /// Why setting the monitor up failed, if it did.
    pub(crate) failure: Mutex<Option<Error>>,
}

impl MonitorState {
    pub(crate) fn new(id: String, request: MonitorRequest) -> Self {
        let cache = Cache::for_request(&request);
        MonitorState {
            id,
            request,
            cache: RwLock::new(Arc::new(cache)),
            last_txn_id: Mutex::new(None),
            epoch: Mutex::new(0),
            version: watch::channel(0).0,
            failure: Mutex::new(None),
        }
    }

    pub(crate) fn snapshot(&self) -> Arc<Cache> {
        self.cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the whole cache with the rows of a full initial reply.
    pub(crate) fn rebuild(
        &self,
        updates: &Json,
        schema: &DatabaseSchema,
    ) -> Result<(), DecodeError> {
        let mut fresh = Cache::for_request(&self.request);
        fresh.apply(updates, schema)?;
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
        self.version.send_modify(|v| *v += 1);
        Ok(())
    }

    /// Applies changes on top of the current cache.
    pub(crate) fn update(
        &self,
        updates: &Json,
        schema: &DatabaseSchema,
    ) -> Result<(), DecodeError> {
        let applied = {
            let mut guard = self.cache.write().unwrap_or_else(PoisonError::into_inner);
            // Copy-on-write: readers holding a snapshot keep theirs unchanged.
            Arc::make_mut(&mut guard).apply(updates, schema)
        };
        if applied.is_err() {
            // The cache may now be half updated. The caller ends the session; forgetting the
            // transaction id makes the next session rebuild the cache in full instead of resuming.
            self.set_last_txn_id(None);
        }
        self.version.send_modify(|v| *v += 1);
        applied
    }

    pub(crate) fn set_last_txn_id(&self, id: Option<String>) {
        *self
            .last_txn_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = id;
    }

    pub(crate) fn last_txn_id(&self) -> Option<String> {
        self.last_txn_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn fail(&self, error: Error) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
        self.version.send_modify(|_| {});
    }
}

/// The caller's side of a monitor: a cache snapshot and change notification. Dropping the handle
/// cancels the monitor.
pub struct MonitorHandle {
    pub(crate) state: Arc<MonitorState>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
}

impl MonitorHandle {
    /// The monitor's id on the wire (the `update2` notifications name it).
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// The cache as of now. Cheap: it is shared until the next change.
    pub fn snapshot(&self) -> Arc<Cache> {
        self.state.snapshot()
    }

    /// A counter bumped on every change of the cache (initial load, update, resync); `changed()`
    /// on the receiver waits for the next one.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.state.version.subscribe()
    }

    pub fn version(&self) -> u64 {
        *self.state.version.borrow()
    }

    /// Why the server refused to set this monitor up again after a reconnect (for example a
    /// column that a schema upgrade removed), if it did. The cache then stops following changes.
    pub fn failure(&self) -> Option<Error> {
        self.state
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The last transaction id the server reported (clustered databases), used to resume.
    pub fn last_txn_id(&self) -> Option<String> {
        self.state.last_txn_id()
    }

    /// Waits until the cache satisfies `predicate`, re-checking on every change.
    pub async fn wait_for(&self, mut predicate: impl FnMut(&Cache) -> bool) -> Arc<Cache> {
        let mut rx = self.subscribe();
        loop {
            let snapshot = self.snapshot();
            if predicate(&snapshot) {
                return snapshot;
            }
            if rx.changed().await.is_err() {
                return self.snapshot();
            }
        }
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Cancel(self.state.id.clone()));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::schema::DatabaseSchema;

    fn schema() -> DatabaseSchema {
        DatabaseSchema::from_json(&json!({
            "name": "D", "version": "1.0.0",
            "tables": {"T": {"columns": {
                "name": {"type": "string"},
                "tags": {"type": {"key": "string", "min": 0, "max": "unlimited"}},
                "opt": {"type": {"key": "integer", "min": 0, "max": 1}},
                "ids": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}
            }}}
        }))
        .unwrap()
    }

    const U: &str = "01234567-89ab-cdef-0123-456789abcdef";

    #[test]
    fn applies_update2_diffs_by_column_type() {
        let s = schema();
        let mut cache = Cache::default();
        cache
            .apply(
                &json!({"T": {U: {"insert": {"name": "a", "tags": "x", "opt": ["set", []], "ids": ["map", [["k", "v"], ["k2", "v2"]]]}}}}),
                &s,
            )
            .unwrap();
        let uuid = Uuid::parse_str(U).unwrap();
        let row = cache.get("T", &uuid).unwrap();
        assert_eq!(
            row["tags"],
            Value::set(["x"]),
            "one-element shorthand normalized to a set"
        );
        cache
            .apply(
                &json!({"T": {U: {"modify": {"name": "b", "tags": ["set", ["x", "y"]], "opt": 5, "ids": ["map", [["k", "v"], ["k2", "w"], ["k3", "z"]]]}}}}),
                &s,
            )
            .unwrap();
        let row = cache.get("T", &uuid).unwrap();
        assert_eq!(row["name"], Value::from("b"));
        assert_eq!(row["tags"], Value::set(["y"]));
        assert_eq!(row["opt"], Value::set([5i64]));
        assert_eq!(row["ids"], Value::map([("k2", "w"), ("k3", "z")]));
        // An optional column is sent whole, not as a diff: 5 → 7, then 7 → empty.
        cache
            .apply(&json!({"T": {U: {"modify": {"opt": 7}}}}), &s)
            .unwrap();
        assert_eq!(cache.get("T", &uuid).unwrap()["opt"], Value::set([7i64]));
        cache
            .apply(&json!({"T": {U: {"modify": {"opt": ["set", []]}}}}), &s)
            .unwrap();
        assert_eq!(cache.get("T", &uuid).unwrap()["opt"], Value::empty());
        cache
            .apply(&json!({"T": {U: {"delete": null}}}), &s)
            .unwrap();
        assert!(cache.get("T", &uuid).is_none());
        assert!(cache.apply(&json!({"T": {U: {"upsert": {}}}}), &s).is_err());
    }

    proptest::proptest! {
        /// A set column's diff toggles its elements: the result holds exactly the symmetric
        /// difference of the old set and the diff, whatever their sizes and overlap.
        #[test]
        fn a_set_diff_is_the_symmetric_difference(
            old in proptest::collection::btree_set(0i64..64, 0..40),
            delta in proptest::collection::btree_set(0i64..64, 0..12),
        ) {
            let ty = &schema().tables["T"].columns["tags"].column_type;
            let strings = |s: &BTreeSet<i64>| Value::set(s.iter().map(|i| i.to_string()));
            let got = apply_diff(Some(strings(&old)), strings(&delta), ty);
            // Compared as sorted text (an atom's text is its quoted string).
            let mut got: Vec<String> = got.atoms().iter().map(|a| a.to_string()).collect();
            let mut want: Vec<String> =
                old.symmetric_difference(&delta).map(|i| format!("{:?}", i.to_string())).collect();
            got.sort();
            want.sort();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn an_index_follows_inserts_renames_and_deletes() {
        let s = schema();
        let request = MonitorRequest::new()
            .table("T", &[])
            .index("T", IndexKey::new("ids", Some("k")));
        let mut cache = Cache::for_request(&request);
        const V: &str = "11111111-89ab-cdef-0123-456789abcdef";
        cache
            .apply(
                &json!({"T": {
                    U: {"insert": {"name": "a", "ids": ["map", [["k", "x"]]]}},
                    V: {"insert": {"name": "b", "ids": ["map", [["k", "x"], ["j", "y"]]]}}
                }}),
                &s,
            )
            .unwrap();
        let found = |cache: &Cache, key| -> Vec<String> {
            let rows = cache.lookup("T", key).expect("indexed");
            rows.map(|(_, r)| r["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(found(&cache, "x"), ["a", "b"], "both rows, by UUID");
        assert!(found(&cache, "y").is_empty(), "only the indexed map key");
        assert!(cache.lookup("U", "x").is_none(), "no index");
        // A change of other columns leaves the index; a change of the key moves the row.
        cache
            .apply(&json!({"T": {U: {"modify": {"name": "c"}}}}), &s)
            .unwrap();
        assert_eq!(found(&cache, "x"), ["c", "b"]);
        cache
            .apply(
                &json!({"T": {U: {"modify": {"ids": ["map", [["k", "z"]]]}}}}),
                &s,
            )
            .unwrap();
        assert_eq!(found(&cache, "x"), ["b"]);
        assert_eq!(found(&cache, "z"), ["c"]);
        cache
            .apply(&json!({"T": {V: {"delete": null}}}), &s)
            .unwrap();
        assert!(found(&cache, "x").is_empty());
    }

    #[test]
    fn encodes_requests() {
        let request = MonitorRequest::new().table("T", &["name"]).table_where(
            "U",
            &[],
            vec![Condition::eq("name", "a")],
        );
        assert_eq!(
            request.to_json(),
            json!({"T": [{"columns": ["name"]}], "U": [{"where": [["name", "==", "a"]]}]})
        );
        assert!(request.check(&schema()).is_err(), "table U does not exist");
        assert!(
            MonitorRequest::new()
                .table("T", &["nope"])
                .check(&schema())
                .is_err()
        );
    }
}
