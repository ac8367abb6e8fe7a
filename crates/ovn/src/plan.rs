//! The diff: desired rows against a cached copy of the Northbound database, as one transaction.
//!
//! * A desired row with no row under its key is **inserted** (with a `uuid-name`, so rows created
//!   together can refer to each other), guarded by a `wait` that no such row appeared meanwhile —
//!   unless the schema indexes the key, which refuses a second row by itself. A
//!   row of a non-root table is linked into its parent's child column in the same transaction
//!   (inside the parent's insert, or by a `mutate` of the existing parent).
//! * An existing row is **updated column by column**: a scalar or optional column that differs is
//!   written by `update`; a set or map column is changed by `mutate` (delete what is gone, insert
//!   what is new), never rewritten whole, so concurrent changes to other elements survive.
//! * A row of ours (one with `neutron:` in `external_ids`) that nothing desires is **deleted** —
//!   or, for a non-root table, removed from its parent's child column (the database then drops it).
//!   Duplicates under one key are deleted too, keeping the row with the lowest UUID.
//! * **Revisions**: a row whose recorded `neutron:revision_number` is newer than the desired one is
//!   left alone ([`Change::Stale`]). Every update or delete of a row with a revision is preceded by
//!   a `wait` that the row still has the revision the plan was made from, so a transaction planned
//!   from an older view fails rather than overwrite a newer change.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use neutrino_ovsdb::{
    Atom, AtomKey, Cache, Condition, IndexKey, Mutation, Operation, Row, Rows, Value, WaitUntil,
    monitor::MonitorRequest,
};
use uuid::Uuid;

use crate::row::{
    Desired, NbRow, REVISION_KEY, RowId, TABLES, TableSpec, actual_key, key_of, key_ref,
    monitored_columns, table_spec,
};

/// Read access to a copy of the Northbound database: table → UUID → row.
pub trait NbView {
    fn rows(&self, table: &str) -> Option<&Rows>;

    /// The rows of `spec`'s table under one of `keys` (of any owner), by UUID within a key. This
    /// scans the table; a [`Cache`] of [`monitor_request`] looks the keys up in its index, so a
    /// plan of a few rows costs those rows, not the size of the database.
    fn rows_under<'a>(
        &'a self,
        spec: &TableSpec,
        keys: &BTreeSet<&str>,
    ) -> Vec<(&'a Uuid, &'a Row)> {
        scan_for_keys(self.rows(spec.name), spec, keys)
    }
}

impl NbView for Cache {
    fn rows(&self, table: &str) -> Option<&Rows> {
        self.table(table)
    }

    fn rows_under<'a>(
        &'a self,
        spec: &TableSpec,
        keys: &BTreeSet<&str>,
    ) -> Vec<(&'a Uuid, &'a Row)> {
        let mut found = Vec::new();
        for key in keys {
            match self.lookup(spec.name, key) {
                Some(rows) => found.extend(rows),
                // A cache of another request, without the index.
                None => return scan_for_keys(self.table(spec.name), spec, keys),
            }
        }
        found
    }
}

/// The rows of `table` whose key under `spec` is one of `keys`, in one pass over the table.
fn scan_for_keys<'a>(
    table: Option<&'a Rows>,
    spec: &TableSpec,
    keys: &BTreeSet<&str>,
) -> Vec<(&'a Uuid, &'a Row)> {
    (table.into_iter().flatten())
        .map(|(uuid, row)| (uuid, &**row))
        .filter(|(_, row)| key_ref(spec, row).is_some_and(|k| keys.contains(k)))
        .collect()
}

impl NbView for BTreeMap<String, Rows> {
    fn rows(&self, table: &str) -> Option<&Rows> {
        self.get(table)
    }
}

/// A monitor of every managed table with the columns [`plan`] compares, each table's rows
/// indexed by their key (what [`NbView::rows_under`] looks up).
pub fn monitor_request() -> MonitorRequest {
    TABLES.iter().fold(MonitorRequest::new(), |request, spec| {
        let (column, map_key) = spec.key.place();
        request
            .table(spec.name, monitored_columns(spec.name))
            .index(spec.name, IndexKey::new(column, map_key))
    })
}

/// Which existing rows a plan may delete when nothing desires them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A full compare: every row of ours in the managed tables.
    Full,
    /// Only these rows (the keys a batch of changes touched).
    Rows(BTreeSet<RowId>),
}

impl Scope {
    fn covers(&self, id: &RowId) -> bool {
        match self {
            Scope::Full => true,
            Scope::Rows(ids) => ids.contains(id),
        }
    }
}

/// What the plan does to one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Insert(RowId),
    /// The columns that change.
    Update(RowId, Vec<String>),
    Delete(RowId),
    /// The database holds a newer revision than desired: left alone.
    Stale {
        id: RowId,
        actual: u64,
        desired: u64,
    },
    /// A row of a non-root table whose parent is neither present nor to be created: not created.
    Orphan(RowId),
    /// A row that is not ours (no `neutron:` external id) holds the key: not created, so the rest
    /// of the transaction still applies; someone has to remove or adopt that row.
    Conflict(RowId),
}

impl std::fmt::Display for Change {
    /// One line of `neutrino ovn sync --dry-run`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Insert(id) => write!(f, "create {id}"),
            Change::Update(id, columns) => write!(f, "update {id}: {}", columns.join(", ")),
            Change::Delete(id) => write!(f, "delete {id}"),
            Change::Stale {
                id,
                actual,
                desired,
            } => write!(
                f,
                "keep {id}: it holds revision {actual}, newer than {desired}"
            ),
            Change::Orphan(id) => write!(f, "skip {id}: its parent row is missing"),
            Change::Conflict(id) => write!(f, "skip {id}: a row that is not ours has its key"),
        }
    }
}

/// The operations of one transaction, and a description of each row's change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub operations: Vec<Operation>,
    pub changes: Vec<Change>,
}

impl Plan {
    /// True when the transaction would change nothing.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }
}

/// An existing row matched to a key.
struct Existing<'a> {
    uuid: Uuid,
    row: &'a Row,
}

/// Compares `desired` with `actual` and returns the transaction that makes them equal.
pub fn plan(desired: &Desired, actual: &dyn NbView, scope: &Scope) -> Plan {
    // Index our existing rows by key; extra rows under one key are duplicates. A plan of some
    // rows indexes only the keys it can touch, so its cost follows the rows, not the database.
    let needed = match scope {
        Scope::Full => None,
        Scope::Rows(ids) => Some(keys_involved(desired, ids)),
    };
    let mut existing: BTreeMap<RowId, Existing<'_>> = BTreeMap::new();
    let mut duplicates: Vec<(RowId, Existing<'_>)> = Vec::new();
    // Keys held by rows that are not ours: we never create a twin beside them.
    let mut foreign: BTreeSet<RowId> = BTreeSet::new();
    for spec in TABLES {
        let rows: Vec<(&Uuid, &Row)> = match &needed {
            None => (actual.rows(spec.name).into_iter().flatten())
                .map(|(uuid, row)| (uuid, &**row))
                .collect(),
            Some(needed) => match needed.get(spec.name) {
                Some(keys) => actual.rows_under(spec, keys),
                None => continue,
            },
        };
        for (uuid, row) in rows {
            let Some(key) = actual_key(spec, row) else {
                if let Some(key) = key_of(spec, row) {
                    foreign.insert(RowId::new(spec.name, key));
                }
                continue;
            };
            let id = RowId::new(spec.name, key);
            let found = Existing { uuid: *uuid, row };
            match existing.entry(id) {
                std::collections::btree_map::Entry::Occupied(e) => {
                    duplicates.push((e.key().clone(), found));
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(found);
                }
            }
        }
    }

    // Name every row to be inserted, so references resolve before the operations are built.
    let mut named: BTreeMap<RowId, String> = BTreeMap::new();
    // A row of a non-root table whose parent is neither there nor to be created cannot be
    // created; it gets no name, so nothing refers to it. Nor does a row whose key a foreign row
    // holds.
    let blocked = |id: &RowId| !existing.contains_key(id) && foreign.contains(id);
    // (Parents are rows of root tables, so one level is enough.)
    let orphan = |row: &NbRow| {
        row.parent
            .as_ref()
            .is_some_and(|p| !existing.contains_key(p) && (desired.get(p).is_none() || blocked(p)))
    };
    for row in desired.rows() {
        if !existing.contains_key(&row.id) && !orphan(row) && !blocked(&row.id) {
            let name = format!("row{}", named.len());
            named.insert(row.id.clone(), name);
        }
    }
    let resolve = |id: &RowId| -> Option<Atom> {
        existing
            .get(id)
            .map(|e| Atom::Uuid(e.uuid))
            .or_else(|| named.get(id).map(|n| Atom::NamedUuid(n.clone())))
    };

    let mut waits = Vec::new();
    let mut inserts = Vec::new();
    let mut changes_ops = Vec::new();
    let mut update_ops = Vec::new();
    let mut changes = Vec::new();

    // Children to insert, by parent: they go into the parent's insert or into one mutate.
    let mut new_children: BTreeMap<(RowId, &'static str), Vec<Atom>> = BTreeMap::new();

    for spec in TABLES {
        for row in desired.table(spec.name) {
            match existing.get(&row.id) {
                None => {
                    if orphan(row) {
                        changes.push(Change::Orphan(row.id.clone()));
                        continue;
                    }
                    if blocked(&row.id) {
                        changes.push(Change::Conflict(row.id.clone()));
                        continue;
                    }
                    if let (Some(parent), Some((_, column)), Some(name)) =
                        (&row.parent, spec.parent, named.get(&row.id))
                    {
                        new_children
                            .entry((parent.clone(), column))
                            .or_default()
                            .push(Atom::NamedUuid(name.clone()));
                    }
                    if !spec.unique_key {
                        waits.push(absent(spec, &row.id));
                    }
                    inserts.push((spec, row));
                    changes.push(Change::Insert(row.id.clone()));
                }
                Some(found) => {
                    let actual_revision = crate::row::revision_of(found.row);
                    if let (Some(actual), Some(wanted)) = (actual_revision, row.revision)
                        && actual > wanted
                    {
                        changes.push(Change::Stale {
                            id: row.id.clone(),
                            actual,
                            desired: wanted,
                        });
                        continue;
                    }
                    let (ops, columns) = update(spec, row, found, &resolve);
                    if !ops.is_empty() {
                        waits.extend(revision_wait(spec, found));
                        update_ops.extend(ops);
                        changes.push(Change::Update(row.id.clone(), columns));
                    }
                }
            }
        }
    }

    // Inserts, with the children of new parents inside the parent's row.
    for (spec, row) in inserts {
        let mut values = row.columns.clone();
        for (column, targets) in &row.refs {
            values.insert(
                column.clone(),
                Value::Set(targets.iter().filter_map(&resolve).collect()),
            );
        }
        for (column, members) in &row.members {
            values.insert(
                column.clone(),
                Value::Set(members.present.iter().filter_map(&resolve).collect()),
            );
        }
        for (_, column) in TABLES
            .iter()
            .filter_map(|t| t.parent)
            .filter(|p| p.0 == spec.name)
        {
            if let Some(children) = new_children.remove(&(row.id.clone(), column)) {
                values.insert(column.to_owned(), Value::Set(children));
            }
        }
        let name = named.get(&row.id).cloned().unwrap_or_default();
        changes_ops.push(Operation::insert_named(spec.name, values, name));
    }
    // Updates after the inserts, so that references to new rows follow their definition.
    changes_ops.extend(update_ops);
    // New children of existing parents.
    for ((parent, column), children) in new_children {
        if let Some(found) = existing.get(&parent) {
            changes_ops.push(Operation::mutate(
                parent.table,
                vec![Condition::uuid(found.uuid)],
                vec![Mutation::insert(column, Value::Set(children))],
            ));
        }
    }

    // Rows of ours that nothing desires (within the scope), and duplicates.
    let mut doomed: Vec<(RowId, &Existing<'_>)> = existing
        .iter()
        .filter(|(id, _)| desired.get(id).is_none() && scope.covers(id))
        .map(|(id, e)| (id.clone(), e))
        .collect();
    doomed.extend(duplicates.iter().map(|(id, e)| (id.clone(), e)));
    let doomed_uuids: BTreeSet<Uuid> = doomed.iter().map(|(_, e)| e.uuid).collect();
    // Which rows hold each doomed child (built once: a full compare may remove many children).
    let holders = child_holders(actual, &doomed_uuids);
    // Removals from one parent are one mutate.
    let mut unlinks: BTreeMap<(&'static str, &'static str, Uuid), Vec<Atom>> = BTreeMap::new();
    for (id, found) in doomed {
        let Some(spec) = table_spec(id.table) else {
            continue;
        };
        waits.extend(revision_wait(spec, found));
        changes.push(Change::Delete(id));
        match spec.parent {
            Some(_) => {
                for &(parent_table, column, parent_uuid) in
                    holders.get(&found.uuid).into_iter().flatten()
                {
                    // A parent that goes away takes its children with it.
                    if !doomed_uuids.contains(&parent_uuid) {
                        unlinks
                            .entry((parent_table, column, parent_uuid))
                            .or_default()
                            .push(Atom::Uuid(found.uuid));
                    }
                }
                if spec.schema_root {
                    changes_ops.push(Operation::delete(
                        spec.name,
                        vec![Condition::uuid(found.uuid)],
                    ));
                }
            }
            None => changes_ops.push(Operation::delete(
                spec.name,
                vec![Condition::uuid(found.uuid)],
            )),
        }
    }
    for ((parent_table, column, parent_uuid), children) in unlinks {
        changes_ops.push(Operation::mutate(
            parent_table,
            vec![Condition::uuid(parent_uuid)],
            vec![Mutation::delete(column, Value::Set(children))],
        ));
    }

    if changes_ops.is_empty() {
        return Plan {
            operations: Vec::new(),
            changes,
        };
    }
    waits.extend(changes_ops);
    Plan {
        operations: waits,
        changes,
    }
}

/// The keys, by table, that a plan of the rows `scope` names must see in the database: those
/// rows, the desired rows, the rows they refer to and their parents.
fn keys_involved<'a>(
    desired: &'a Desired,
    scope: &'a BTreeSet<RowId>,
) -> BTreeMap<&'static str, BTreeSet<&'a str>> {
    let mut keys: BTreeMap<&'static str, BTreeSet<&'a str>> = BTreeMap::new();
    let mut add = |id: &'a RowId| {
        keys.entry(id.table).or_default().insert(id.key.as_str());
    };
    scope.iter().for_each(&mut add);
    for row in desired.rows() {
        add(&row.id);
        row.refs.values().flatten().for_each(&mut add);
        for members in row.members.values() {
            members
                .present
                .iter()
                .chain(&members.absent)
                .for_each(&mut add);
        }
        if let Some(parent) = &row.parent {
            add(parent);
        }
    }
    keys
}

/// Child UUID → the rows (table, child column, UUID) whose child column lists it.
type Holders = BTreeMap<Uuid, Vec<(&'static str, &'static str, Uuid)>>;

fn child_holders(actual: &dyn NbView, children_of_interest: &BTreeSet<Uuid>) -> Holders {
    let mut holders = Holders::new();
    if children_of_interest.is_empty() {
        return holders;
    }
    for (parent_table, column) in TABLES.iter().filter_map(|t| t.parent) {
        for (parent_uuid, row) in actual.rows(parent_table).into_iter().flatten() {
            let children = row.get(column).map(Value::atoms).unwrap_or_default();
            for child in children
                .iter()
                .filter_map(Atom::as_uuid)
                .filter(|c| children_of_interest.contains(c))
            {
                holders
                    .entry(child)
                    .or_default()
                    .push((parent_table, column, *parent_uuid));
            }
        }
    }
    holders
}

/// The condition that selects rows under `id`'s key.
fn key_condition(spec: &TableSpec, id: &RowId) -> Condition {
    match spec.key.place() {
        (column, None) => Condition::eq(column, id.key.as_str()),
        (column, Some(map_key)) => {
            Condition::includes(column, Value::map([(map_key, id.key.as_str())]))
        }
    }
}

/// Fails the transaction if a row under `id`'s key exists (someone created it since the cache
/// was read).
fn absent(spec: &TableSpec, id: &RowId) -> Operation {
    Operation::wait(
        spec.name,
        vec![key_condition(spec, id)],
        &["_uuid"],
        WaitUntil::Equal,
        Vec::new(),
        Some(0),
    )
}

/// Fails the transaction unless the row still holds the revision it had in the cache.
fn revision_wait(spec: &TableSpec, found: &Existing<'_>) -> Option<Operation> {
    let revision = found
        .row
        .get("external_ids")?
        .get(&Atom::String(REVISION_KEY.to_owned()))?
        .as_str()?
        .to_owned();
    Some(Operation::wait(
        spec.name,
        vec![
            Condition::uuid(found.uuid),
            Condition::includes("external_ids", Value::map([(REVISION_KEY, revision)])),
        ],
        &["_uuid"],
        WaitUntil::Equal,
        vec![neutrino_ovsdb::operation::row([(
            "_uuid",
            Value::Atom(Atom::Uuid(found.uuid)),
        )])],
        Some(0),
    ))
}

/// Takes `gone` out of a set column and puts `new` in, noting the column as changed if either
/// is not empty.
fn set_mutations(
    column: &str,
    gone: Vec<Atom>,
    new: Vec<Atom>,
    mutations: &mut Vec<Mutation>,
    changed: &mut Vec<String>,
) {
    if !gone.is_empty() {
        mutations.push(Mutation::delete(column, Value::Set(gone)));
    }
    if !new.is_empty() {
        mutations.push(Mutation::insert(column, Value::Set(new)));
    }
    if mutations.last().is_some_and(|m| m.column == column) {
        changed.push(column.to_owned());
    }
}

/// The operations that bring one existing row to the desired columns, and the changed columns.
fn update(
    spec: &TableSpec,
    row: &NbRow,
    found: &Existing<'_>,
    resolve: &dyn Fn(&RowId) -> Option<Atom>,
) -> (Vec<Operation>, Vec<String>) {
    let mut wanted: Vec<(&String, Cow<'_, Value>)> = row
        .columns
        .iter()
        .map(|(c, v)| (c, Cow::Borrowed(v)))
        .collect();
    for (column, targets) in &row.refs {
        wanted.push((
            column,
            Cow::Owned(Value::Set(targets.iter().filter_map(resolve).collect())),
        ));
    }
    let mut whole = Row::new();
    let mut mutations = Vec::new();
    let mut changed = Vec::new();
    let empty = Value::empty();
    for (column, want) in wanted {
        let have = found.row.get(column).unwrap_or(&empty);
        if *have == *want {
            continue; // the common case, when both list their elements in the same order
        }
        let optional = spec.optional_columns.contains(&column.as_str());
        match want.as_ref() {
            Value::Map(pairs) => {
                let have: BTreeMap<AtomKey<'_>, &Atom> = have
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, v)| (k.key(), v))
                    .collect();
                let want_map: BTreeMap<AtomKey<'_>, &Atom> =
                    pairs.iter().map(|(k, v)| (k.key(), v)).collect();
                let mut gone = Vec::new();
                let mut new = Vec::new();
                for (k, v) in pairs {
                    match have.get(&k.key()) {
                        Some(old) if *old == v => {}
                        Some(_) => {
                            gone.push(k.clone());
                            new.push((k.clone(), v.clone()));
                        }
                        None => new.push((k.clone(), v.clone())),
                    }
                }
                for (k, _) in found
                    .row
                    .get(column)
                    .and_then(Value::as_map)
                    .unwrap_or_default()
                {
                    if !want_map.contains_key(&k.key()) {
                        gone.push(k.clone());
                    }
                }
                if !gone.is_empty() {
                    mutations.push(Mutation::delete(column.clone(), Value::Set(gone)));
                }
                if !new.is_empty() {
                    mutations.push(Mutation::insert(column.clone(), Value::Map(new)));
                }
                if mutations.last().is_some_and(|m| m.column == *column) {
                    changed.push(column.clone());
                }
            }
            Value::Set(atoms) if !optional => {
                let have_keys: BTreeSet<AtomKey<'_>> = have.atoms().iter().map(Atom::key).collect();
                let want_keys: BTreeSet<AtomKey<'_>> = atoms.iter().map(Atom::key).collect();
                let new: Vec<Atom> = atoms
                    .iter()
                    .filter(|a| !have_keys.contains(&a.key()))
                    .cloned()
                    .collect();
                let gone: Vec<Atom> = have
                    .atoms()
                    .iter()
                    .filter(|a| !want_keys.contains(&a.key()))
                    .cloned()
                    .collect();
                set_mutations(column, gone, new, &mut mutations, &mut changed);
            }
            _ => {
                let same = {
                    let mut a: Vec<AtomKey<'_>> = have.atoms().iter().map(Atom::key).collect();
                    let mut b: Vec<AtomKey<'_>> = want.atoms().iter().map(Atom::key).collect();
                    a.sort();
                    b.sort();
                    a == b
                };
                if !same {
                    whole.insert(column.clone(), want.into_owned());
                    changed.push(column.clone());
                }
            }
        }
    }
    for (column, members) in &row.members {
        // A few members of a set that may hold thousands: one pass over the set finds which
        // of them it holds.
        let present: Vec<Atom> = members.present.iter().filter_map(resolve).collect();
        let absent: Vec<Atom> = members.absent.iter().filter_map(resolve).collect();
        let asked: BTreeSet<AtomKey<'_>> = present.iter().chain(&absent).map(Atom::key).collect();
        let held: BTreeSet<AtomKey<'_>> = found
            .row
            .get(column)
            .map(Value::atoms)
            .unwrap_or_default()
            .iter()
            .map(Atom::key)
            .filter(|a| asked.contains(a))
            .collect();
        let new: Vec<Atom> = (present.iter())
            .filter(|a| !held.contains(&a.key()))
            .cloned()
            .collect();
        let gone: Vec<Atom> = (absent.iter())
            .filter(|a| held.contains(&a.key()))
            .cloned()
            .collect();
        set_mutations(column, gone, new, &mut mutations, &mut changed);
    }
    let mut ops = Vec::new();
    let target = || vec![Condition::uuid(found.uuid)];
    if !whole.is_empty() {
        ops.push(Operation::update(spec.name, target(), whole));
    }
    if !mutations.is_empty() {
        ops.push(Operation::mutate(spec.name, target(), mutations));
    }
    (ops, changed)
}
