//! Queries on resource rows. A row is its indexed columns plus `doc`, the resource's JSON.

use crate::outbox::{self, Op};
use crate::tx::Tx;
use crate::value::Value;
use crate::{Constraint, StoreError};

/// A table of rows with an `id` and a `doc`: its name, the indexed columns beside them that
/// queries may constrain and writes must fill, its unique constraint beyond the primary key, if
/// any, and — for the tables of API resources — the resource kind its changes are recorded as
/// in the outbox (such tables have a `revision_number` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub unique: Option<Constraint>,
    pub kind: Option<&'static str>,
    /// Columns that hold a top-level string attribute of the document of the same name
    /// (`name`, a port's `device_owner`), set from the document on every write so they can
    /// never disagree with it.
    pub doc_columns: &'static [&'static str],
}

impl Table {
    pub const fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            unique: None,
            kind: None,
            doc_columns: &[],
        }
    }

    /// The same table with columns copied from its documents (see [`Table::doc_columns`]).
    pub const fn from_doc(mut self, columns: &'static [&'static str]) -> Table {
        self.doc_columns = columns;
        self
    }

    /// The same table as the rows of API resources of `kind`: every change is in the outbox.
    pub const fn resource(mut self, kind: &'static str) -> Table {
        self.kind = Some(kind);
        self
    }

    /// The same table with a unique constraint that inserts and updates may hit.
    pub const fn unique(mut self, constraint: Constraint) -> Table {
        self.unique = Some(constraint);
        self
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    /// What a refused insert or update of this table conflicted with.
    fn conflict(self) -> StoreError {
        StoreError::Conflict(self.unique.unwrap_or(Constraint::PrimaryKey(self.name)))
    }

    fn has_column(self, column: &str) -> bool {
        column == "id" || self.columns.contains(&column) || self.doc_columns.contains(&column)
    }

    /// Every column a list filter may constrain in SQL.
    pub fn filter_columns(self) -> impl Iterator<Item = &'static str> {
        std::iter::once("id")
            .chain(self.columns.iter().copied())
            .chain(self.doc_columns.iter().copied())
    }

    fn check_column(self, column: &str) -> Result<(), StoreError> {
        if self.has_column(column) {
            Ok(())
        } else {
            Err(StoreError::Database(format!(
                "table {} has no column {column}",
                self.name
            )))
        }
    }
}

/// Which rows to read, in SQL: for each named column, the values it may take (an SQL `IN`);
/// optionally the ports holding given addresses, the rows a caller may see, and a page of rows
/// in id order. Columns not named are unconstrained. A selection may select more than a list
/// shows (the rules filter exactly afterwards); it never selects less.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub columns: Vec<(&'static str, Vec<String>)>,
    /// Ports with a fixed IP at one of these addresses (any, if empty) on one of these subnets
    /// (any, if empty).
    pub allocations: Option<(Vec<String>, Vec<String>)>,
    /// Rows matching any of these (column, values): what a caller who is not an admin may see.
    pub visible: Option<Vec<(&'static str, Vec<String>)>>,
    /// Rows by id, ascending (or descending), after (or before) an id, at most so many.
    pub page: Option<IdPage>,
}

/// A keyset page in id order.
#[derive(Clone, Debug, Default)]
pub struct IdPage {
    /// Ids strictly after this one (strictly before it when `descending`).
    pub from: Option<String>,
    pub descending: bool,
    pub limit: i64,
}

impl Selection {
    pub fn all() -> Selection {
        Selection::default()
    }

    pub fn by(column: &'static str, values: Vec<String>) -> Selection {
        Selection::all().and(column, values)
    }

    pub fn and(mut self, column: &'static str, values: Vec<String>) -> Selection {
        self.columns.push((column, values));
        self
    }
}

/// The stored document of one row.
pub fn get_doc(tx: &Tx, table: Table, id: &str) -> Result<Option<String>, StoreError> {
    let sql = format!("SELECT doc FROM {} WHERE id = ?1", table.name());
    tx.query_opt(&sql, &[id.into()])?
        .map(|r| r.into_text(0))
        .transpose()
}

/// `WHERE …` for a selection, and its arguments.
fn where_clause(table: Table, sel: &Selection) -> Result<(String, Vec<Value>), StoreError> {
    let mut terms: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let one_of = |column: &str, values: &[String], args: &mut Vec<Value>| {
        if values.is_empty() {
            return "0 = 1".to_string();
        }
        let marks: Vec<String> = (0..values.len())
            .map(|k| format!("?{}", args.len() + k + 1))
            .collect();
        args.extend(values.iter().map(Value::from));
        format!("{column} IN ({})", marks.join(","))
    };
    for (column, values) in &sel.columns {
        table.check_column(column)?;
        terms.push(one_of(column, values, &mut args));
    }
    if let Some((addresses, subnets)) = &sel.allocations {
        let mut inner = Vec::new();
        if !addresses.is_empty() {
            inner.push(one_of("ip_address", addresses, &mut args));
        }
        if !subnets.is_empty() {
            inner.push(one_of("subnet_id", subnets, &mut args));
        }
        let cond = match inner.is_empty() {
            true => String::new(),
            false => format!(" WHERE {}", inner.join(" AND ")),
        };
        terms.push(format!("id IN (SELECT port_id FROM ip_allocations{cond})"));
    }
    if let Some(any) = &sel.visible {
        let mut alternatives = Vec::new();
        for (column, values) in any {
            table.check_column(column)?;
            if !values.is_empty() {
                alternatives.push(one_of(column, values, &mut args));
            }
        }
        terms.push(match alternatives.is_empty() {
            true => "0 = 1".to_string(),
            false => format!("({})", alternatives.join(" OR ")),
        });
    }
    if let Some(IdPage {
        from: Some(from),
        descending,
        ..
    }) = &sel.page
    {
        args.push(from.into());
        let op = if *descending { "<" } else { ">" };
        terms.push(format!("id {op} ?{}", args.len()));
    }
    let sql = match terms.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", terms.join(" AND ")),
    };
    Ok((sql, args))
}

/// The documents of every row matching `sel`: oldest first, or the selection's page in id
/// order.
pub fn list_docs(tx: &Tx, table: Table, sel: &Selection) -> Result<Vec<String>, StoreError> {
    let (filter, mut args) = where_clause(table, sel)?;
    let order = match &sel.page {
        None => format!(" ORDER BY {}", tx.insertion_order()),
        Some(page) => {
            args.push(page.limit.into());
            let dir = if page.descending { "DESC" } else { "ASC" };
            format!(" ORDER BY id {dir} LIMIT ?{}", args.len())
        }
    };
    let sql = format!("SELECT doc FROM {}{filter}{order}", table.name);
    tx.texts(&sql, &args)
}

/// Whether any row matches `sel`.
pub fn exists(tx: &Tx, table: Table, sel: &Selection) -> Result<bool, StoreError> {
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {}{filter})", table.name);
    tx.flag(&sql, &args)
}

/// The most values one query binds. Both engines accept more (SQLite 32,766, PostgreSQL
/// 65,535); a longer list of keys is read in several queries of this many.
const MAX_BOUND: usize = 10_000;

/// `(parent, id)` of every row whose `parent_column` is one of `parents`, each parent's rows
/// oldest first (a network's subnets in creation order): the children of a whole list of
/// parents in one query (one per [`MAX_BOUND`] parents).
pub fn child_ids(
    tx: &Tx,
    table: Table,
    parent_column: &'static str,
    parents: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in parents.chunks(MAX_BOUND) {
        let (filter, args) = where_clause(table, &Selection::by(parent_column, chunk.to_vec()))?;
        let sql = format!(
            "SELECT {parent_column}, id FROM {}{filter} ORDER BY {}",
            table.name,
            tx.insertion_order()
        );
        for row in tx.query(&sql, &args)? {
            out.push((row.text(0)?, row.text(1)?));
        }
    }
    Ok(out)
}

/// The documents of the rows with these ids (those that exist, in no particular order): what
/// a list reads of the resources its members name, in one query (one per [`MAX_BOUND`] ids).
pub fn docs_by_id(tx: &Tx, table: Table, ids: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(MAX_BOUND) {
        out.extend(list_docs(tx, table, &Selection::by("id", chunk.to_vec()))?);
    }
    Ok(out)
}

/// The distinct values of an indexed column among the rows `sel` selects.
pub fn column_values(
    tx: &Tx,
    table: Table,
    column: &str,
    sel: &Selection,
) -> Result<Vec<String>, StoreError> {
    table.check_column(column)?;
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!("SELECT DISTINCT {column} FROM {}{filter}", table.name);
    tx.texts(&sql, &args)
}

/// The ids of the rows a project owns.
pub fn ids_owned(tx: &Tx, table: Table, project_id: &str) -> Result<Vec<String>, StoreError> {
    let sql = format!("SELECT id FROM {} WHERE project_id = ?1", table.name);
    tx.texts(&sql, &[project_id.into()])
}

/// A value of an indexed column.
pub type ColumnValue = Value;

/// Inserts a row: its id, its indexed columns (every one the table declares) and its document.
/// A row the table's unique constraint refuses is a [`StoreError::Conflict`] naming it, and the
/// transaction stays usable.
pub fn insert_row(
    tx: &Tx,
    table: Table,
    id: &str,
    columns: &[(&str, Value)],
    doc: &str,
) -> Result<(), StoreError> {
    for (c, _) in columns {
        table.check_column(c)?;
    }
    let columns = with_doc_columns(table, columns, doc)?;
    let names: String = columns.iter().map(|(c, _)| format!("{c}, ")).collect();
    let marks: Vec<String> = (1..=columns.len() + 2).map(|k| format!("?{k}")).collect();
    let sql = format!(
        "INSERT INTO {} (id, {names}doc) VALUES ({}) ON CONFLICT DO NOTHING",
        table.name,
        marks.join(", ")
    );
    let mut args: Vec<Value> = vec![id.into()];
    args.extend(columns.iter().map(|(_, v)| v.clone()));
    args.push(doc.into());
    if tx.execute(&sql, &args)? == 0 {
        return Err(table.conflict());
    }
    if let Some(kind) = table.kind {
        tx.first_revision(kind, id);
        outbox::append(tx, kind, id, 1, Op::Create)?;
    }
    Ok(())
}

/// Runs `UPDATE table SET {sets} WHERE id = ?{id_arg}`. A resource row's first update in a
/// transaction is its next revision, recorded in the outbox; later ones in the same transaction
/// are part of that revision.
fn run_update(
    tx: &Tx,
    table: Table,
    id: &str,
    sets: &str,
    id_arg: usize,
    args: &[Value],
) -> Result<(), StoreError> {
    let Some(kind) = table.kind.filter(|k| tx.first_revision(k, id)) else {
        let plain = format!("UPDATE {} SET {sets} WHERE id = ?{id_arg}", table.name);
        tx.execute(&plain, args)?;
        return Ok(());
    };
    let sql = format!(
        "UPDATE {} SET {sets}, revision_number = revision_number + 1 WHERE id = ?{id_arg} \
         RETURNING revision_number",
        table.name
    );
    // No row: nothing changed, nothing to record.
    if let Some(row) = tx.query_opt(&sql, args)? {
        outbox::append(tx, kind, id, row.int(0)?, Op::Update)?;
    }
    Ok(())
}

/// Rewrites a row's document and the given indexed columns.
pub fn update_row(
    tx: &Tx,
    table: Table,
    id: &str,
    columns: &[(&str, Value)],
    doc: &str,
) -> Result<(), StoreError> {
    for (c, _) in columns {
        table.check_column(c)?;
    }
    let columns = with_doc_columns(table, columns, doc)?;
    let sets: String = columns
        .iter()
        .enumerate()
        .map(|(k, (c, _))| format!("{c} = ?{}, ", k + 1))
        .collect();
    let n = columns.len();
    let sets = format!("{sets}doc = ?{}", n + 1);
    let mut args: Vec<Value> = columns.iter().map(|(_, v)| v.clone()).collect();
    args.push(doc.into());
    args.push(id.into());
    match run_update(tx, table, id, &sets, n + 2, &args) {
        // The only unique constraint an update can hit is the table's own (ids never change).
        Err(StoreError::Conflict(_)) => Err(table.conflict()),
        other => other,
    }
}

/// Replaces the document of a row.
pub fn update_doc(tx: &Tx, table: Table, id: &str, doc: &str) -> Result<(), StoreError> {
    update_row(tx, table, id, &[], doc)
}

/// The attributes a document may give its row's columns (see [`Table::doc_columns`]); the
/// rest of the document is skipped unparsed.
#[derive(serde::Deserialize)]
struct DocColumns {
    name: Option<String>,
    device_owner: Option<String>,
    status: Option<String>,
}

/// `columns` plus the table's columns taken from `doc`.
fn with_doc_columns<'c>(
    table: Table,
    columns: &[(&'c str, Value)],
    doc: &str,
) -> Result<Vec<(&'c str, Value)>, StoreError>
where
    'static: 'c,
{
    let mut all = columns.to_vec();
    if table.doc_columns.is_empty() {
        return Ok(all);
    }
    let found: DocColumns = serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        table: table.name,
        id: String::new(),
        reason: e.to_string(),
    })?;
    for &column in table.doc_columns {
        let value = match column {
            "name" => found.name.clone(),
            "device_owner" => found.device_owner.clone(),
            "status" => found.status.clone(),
            _ => None,
        };
        all.push((column, Value::Text(value.unwrap_or_default())));
    }
    Ok(all)
}

/// Deletes a row; a resource's delete is recorded in the outbox.
pub fn delete_row(tx: &Tx, table: Table, id: &str) -> Result<(), StoreError> {
    let Some(kind) = table.kind else {
        let sql = format!("DELETE FROM {} WHERE id = ?1", table.name());
        tx.execute(&sql, &[id.into()])?;
        return Ok(());
    };
    let sql = format!(
        "DELETE FROM {} WHERE id = ?1 RETURNING revision_number",
        table.name()
    );
    if let Some(row) = tx.query_opt(&sql, &[id.into()])? {
        outbox::append(tx, kind, id, row.int(0)? + 1, Op::Delete)?;
    }
    Ok(())
}

/// `(id, revision, doc)` of every row of a resource table, by id: what a full compare and the
/// outbox tests read.
pub fn revisions(tx: &Tx, table: Table) -> Result<Vec<(String, i64, String)>, StoreError> {
    let sql = format!(
        "SELECT id, revision_number, doc FROM {} ORDER BY id",
        table.name()
    );
    tx.query(&sql, &[])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?, r.text(2)?)))
        .collect()
}

/// Sets a resource's operational status, as the data plane reports it: the `status` column
/// and the document's `status`, without a new revision and without an outbox entry (the
/// change came from the back end; it is not one to push to it). Returns whether it changed.
pub fn set_status(tx: &Tx, table: Table, id: &str, status: &str) -> Result<bool, StoreError> {
    if !table.doc_columns.contains(&"status") {
        return Err(StoreError::Database(format!(
            "{} has no status",
            table.name
        )));
    }
    let Some(doc) = get_doc(tx, table, id)? else {
        return Ok(false);
    };
    let corrupt = |e: serde_json::Error| StoreError::Corrupt {
        table: table.name,
        id: id.to_string(),
        reason: e.to_string(),
    };
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&doc).map_err(corrupt)?;
    if map.get("status").and_then(serde_json::Value::as_str) == Some(status) {
        return Ok(false);
    }
    map.insert("status".into(), status.into());
    let doc = serde_json::to_string(&map).map_err(corrupt)?;
    let sql = format!(
        "UPDATE {} SET status = ?2, doc = ?3 WHERE id = ?1",
        table.name()
    );
    tx.execute(&sql, &[id.into(), status.into(), doc.into()])?;
    Ok(true)
}

/// The revision of a resource row, if it exists.
pub fn revision_of(tx: &Tx, table: Table, id: &str) -> Result<Option<i64>, StoreError> {
    let sql = format!("SELECT revision_number FROM {} WHERE id = ?1", table.name());
    tx.query_opt(&sql, &[id.into()])?
        .map(|r| r.int(0))
        .transpose()
}

/// A network segment: the unique index on (type, physnet, id) makes its allocation race-free.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRow {
    pub network_type: String,
    pub physical_network: String,
    pub segmentation_id: i64,
}

/// Records a network's segment; one another network holds is a `Conflict(Segment)`.
pub fn insert_segment(tx: &Tx, network_id: &str, seg: &SegmentRow) -> Result<(), StoreError> {
    let n = tx.execute(
        "INSERT INTO network_segments (network_id, network_type, physical_network, segmentation_id) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        &[
            network_id.into(),
            (&seg.network_type).into(),
            (&seg.physical_network).into(),
            seg.segmentation_id.into(),
        ],
    )?;
    match n {
        0 => Err(StoreError::Conflict(Constraint::Segment)),
        _ => Ok(()),
    }
}

/// Segmentation ids in use for a network type on a physical network ('' for tunnels).
pub fn used_segmentation_ids(
    tx: &Tx,
    network_type: &str,
    physnet: &str,
) -> Result<Vec<i64>, StoreError> {
    tx.query(
        "SELECT segmentation_id FROM network_segments WHERE network_type = ?1 AND physical_network = ?2",
        &[network_type.into(), physnet.into()],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

pub fn delete_segments(tx: &Tx, network_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM network_segments WHERE network_id = ?1",
        &[network_id.into()],
    )?;
    Ok(())
}
