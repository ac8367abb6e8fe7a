//! Queries on resource rows. A row is its indexed columns plus `doc`, the resource's JSON.

use crate::outbox::{self, Op};
use crate::tx::{Read, Tx};
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
    /// Columns that hold a top-level boolean attribute of the document of the same name as 0/1
    /// (a subnet pool's `shared`), set like [`Table::doc_columns`]. Visibility predicates use
    /// them; list filters do not (the API's boolean spellings are not 0/1).
    pub doc_flags: &'static [&'static str],
    /// Text columns that order rows as their attribute of the same name orders resources (not
    /// NULL, equal to the attribute): what a list may sort by in SQL (see [`crate::Page`]).
    pub sortable: &'static [&'static str],
    /// Whether its resources have tags: the `tags` table then holds each document's `tags`,
    /// written with the row (see [`crate::tags`]).
    pub tagged: bool,
}

impl Table {
    pub const fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            unique: None,
            kind: None,
            doc_columns: &[],
            doc_flags: &[],
            sortable: &[],
            tagged: false,
        }
    }

    /// The same table with 0/1 columns copied from its documents (see [`Table::doc_flags`]).
    pub const fn flags_from_doc(mut self, columns: &'static [&'static str]) -> Table {
        self.doc_flags = columns;
        self
    }

    /// The same table, listed in the order of these columns in SQL (see [`Table::sortable`]).
    pub const fn sortable(mut self, columns: &'static [&'static str]) -> Table {
        self.sortable = columns;
        self
    }

    /// The same table with tags (see [`Table::tagged`]).
    pub const fn tagged(mut self) -> Table {
        self.tagged = true;
        self
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
        column == "id"
            || self.columns.contains(&column)
            || self.doc_columns.contains(&column)
            || self.doc_flags.contains(&column)
    }

    /// The column a list sorted by `attribute` is ordered by in SQL, if it can be (`id` always;
    /// `tenant_id` is `project_id`).
    pub fn sort_column(self, attribute: &str) -> Option<&'static str> {
        let attribute = if attribute == "tenant_id" {
            "project_id"
        } else {
            attribute
        };
        std::iter::once("id")
            .chain(self.sortable.iter().copied())
            .find(|c| *c == attribute)
    }

    /// Every column a list filter may constrain in SQL.
    pub fn filter_columns(self) -> impl Iterator<Item = &'static str> {
        std::iter::once("id")
            .chain(self.columns.iter().copied())
            .chain(self.doc_columns.iter().copied())
    }

    pub(crate) fn check_column(self, column: &str) -> Result<(), StoreError> {
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

/// The stored document of one row.
pub fn get_doc(tx: &Tx, table: Table, id: &str) -> Result<Option<String>, StoreError> {
    let read = doc_read(table, id);
    tx.query_opt(&read.sql, &read.args)?
        .map(|r| r.into_text(0))
        .transpose()
}

/// What [`get_doc`] reads, to read it ahead ([`Tx::prefetch`]).
pub fn doc_read(table: Table, id: &str) -> Read {
    Read {
        sql: format!("SELECT doc FROM {} WHERE id = ?1", table.name()),
        args: vec![id.into()],
    }
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
    let (columns, tags) = from_doc(table, columns, doc)?;
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
    if let Some(tags) = tags {
        crate::tags::write(tx, table, id, &tags, true)?;
    }
    Ok(())
}

/// Runs `UPDATE table SET {sets} WHERE id = ?{id_arg}`; returns whether the row exists. A
/// resource row's first update in a transaction is its next revision, recorded in the outbox;
/// later ones in the same transaction are part of that revision.
fn run_update(
    tx: &Tx,
    table: Table,
    id: &str,
    sets: &str,
    id_arg: usize,
    args: &[Value],
) -> Result<bool, StoreError> {
    let Some(kind) = table.kind.filter(|k| tx.first_revision(k, id)) else {
        let plain = format!("UPDATE {} SET {sets} WHERE id = ?{id_arg}", table.name);
        return Ok(tx.execute(&plain, args)? > 0);
    };
    let sql = format!(
        "UPDATE {} SET {sets}, revision_number = revision_number + 1 WHERE id = ?{id_arg} \
         RETURNING revision_number",
        table.name
    );
    // No row: nothing changed, nothing to record.
    let Some(row) = tx.query_opt(&sql, args)? else {
        return Ok(false);
    };
    outbox::append(tx, kind, id, row.int(0)?, Op::Update)?;
    Ok(true)
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
    let (columns, tags) = from_doc(table, columns, doc)?;
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
    let exists = match run_update(tx, table, id, &sets, n + 2, &args) {
        // The only unique constraint an update can hit is the table's own (ids never change).
        Err(StoreError::Conflict(_)) => return Err(table.conflict()),
        other => other?,
    };
    if let Some(tags) = tags.filter(|_| exists) {
        crate::tags::write(tx, table, id, &tags, false)?;
    }
    Ok(())
}

/// Replaces the document of a row.
pub fn update_doc(tx: &Tx, table: Table, id: &str, doc: &str) -> Result<(), StoreError> {
    update_row(tx, table, id, &[], doc)
}

/// The attributes a document may give its row's columns (see [`Table::doc_columns`] and
/// [`Table::doc_flags`]) and the `tags` table (see [`Table::tagged`]); the rest of the document
/// is skipped unparsed.
#[derive(serde::Deserialize)]
pub(crate) struct DocColumns {
    name: Option<String>,
    device_owner: Option<String>,
    status: Option<String>,
    shared: Option<bool>,
    pub(crate) tags: Option<Vec<String>>,
}

impl DocColumns {
    pub(crate) fn parse(table: Table, doc: &str) -> Result<DocColumns, StoreError> {
        serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
            table: table.name,
            id: String::new(),
            reason: e.to_string(),
        })
    }
}

/// The columns of a row to write, and for a tagged table its tags.
type RowWrite<'c> = (Vec<(&'c str, Value)>, Option<Vec<String>>);

/// `columns` plus the table's columns taken from `doc`, and the tags to write for a tagged
/// table.
fn from_doc<'c>(
    table: Table,
    columns: &[(&'c str, Value)],
    doc: &str,
) -> Result<RowWrite<'c>, StoreError>
where
    'static: 'c,
{
    let mut all = columns.to_vec();
    if table.doc_columns.is_empty() && table.doc_flags.is_empty() && !table.tagged {
        return Ok((all, None));
    }
    let found = DocColumns::parse(table, doc)?;
    for &column in table.doc_columns {
        let value = match column {
            "name" => found.name.clone(),
            "device_owner" => found.device_owner.clone(),
            "status" => found.status.clone(),
            _ => None,
        };
        all.push((column, Value::Text(value.unwrap_or_default())));
    }
    for &column in table.doc_flags {
        let value = match column {
            "shared" => found.shared,
            _ => None,
        };
        all.push((column, Value::bool(value.unwrap_or(false))));
    }
    let tags = table.tagged.then(|| found.tags.unwrap_or_default());
    Ok((all, tags))
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
        if table.tagged {
            crate::tags::write(tx, table, id, &[], false)?;
        }
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
    set_operational(tx, table, id, &[("status", status.into())])
}

/// Sets attributes the data plane reports — `status`, and a port's `binding:host_id`,
/// `binding:vif_type` and `binding:vif_details` — like [`set_status`]: no new revision, no
/// outbox entry. Returns whether anything changed.
pub fn set_operational(
    tx: &Tx,
    table: Table,
    id: &str,
    fields: &[(&str, serde_json::Value)],
) -> Result<bool, StoreError> {
    for (name, _) in fields {
        let allowed = match *name {
            "status" => table.doc_columns.contains(&"status"),
            n => table.kind == Some("port") && n.starts_with("binding:"),
        };
        if !allowed {
            return Err(StoreError::Database(format!(
                "{}.{name} is not an operational attribute",
                table.name
            )));
        }
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
    let mut changed = false;
    for (name, value) in fields {
        if map.get(*name) != Some(value) {
            map.insert((*name).to_owned(), value.clone());
            changed = true;
        }
    }
    if !changed {
        return Ok(false);
    }
    let status = map
        .get("status")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let doc = serde_json::to_string(&map).map_err(corrupt)?;
    if table.doc_columns.contains(&"status") {
        let sql = format!(
            "UPDATE {} SET status = ?2, doc = ?3 WHERE id = ?1",
            table.name()
        );
        tx.execute(&sql, &[id.into(), Value::opt_text(status), doc.into()])?;
    } else {
        let sql = format!("UPDATE {} SET doc = ?2 WHERE id = ?1", table.name());
        tx.execute(&sql, &[id.into(), doc.into()])?;
    }
    Ok(true)
}

/// The revision of a resource row, if it exists.
pub fn revision_of(tx: &Tx, table: Table, id: &str) -> Result<Option<i64>, StoreError> {
    let sql = format!("SELECT revision_number FROM {} WHERE id = ?1", table.name());
    tx.query_opt(&sql, &[id.into()])?
        .map(|r| r.int(0))
        .transpose()
}

/// A network segment's type, physical network ('' for none) and segmentation id (0 for none):
/// the unique index on the three in `segments` makes its allocation race-free.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRow {
    pub network_type: String,
    pub physical_network: String,
    pub segmentation_id: i64,
}

impl SegmentRow {
    /// The indexed columns of a segment of `network_id` at `segment_index`.
    pub fn columns(&self, network_id: &str, segment_index: i64) -> [(&'static str, Value); 5] {
        [
            ("network_id", network_id.into()),
            ("seg_type", (&self.network_type).into()),
            ("seg_physnet", (&self.physical_network).into()),
            ("seg_id", self.segmentation_id.into()),
            ("segment_index", segment_index.into()),
        ]
    }
}

/// Segmentation ids in use for a network type on a physical network ('' for tunnels).
pub fn used_segmentation_ids(
    tx: &Tx,
    network_type: &str,
    physnet: &str,
) -> Result<Vec<i64>, StoreError> {
    tx.query(
        "SELECT seg_id FROM segments WHERE seg_type = ?1 AND seg_physnet = ?2",
        &[network_type.into(), physnet.into()],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// The index the next segment of a network takes: one past its last (0 for its first).
pub fn next_segment_index(tx: &Tx, network_id: &str) -> Result<i64, StoreError> {
    let row = tx.query_opt(
        "SELECT COALESCE(MAX(segment_index) + 1, 0) FROM segments WHERE network_id = ?1",
        &[network_id.into()],
    )?;
    row.map_or(Ok(0), |r| r.int(0))
}

/// `(network id, segment document)` of every segment of these networks, each network's in
/// `segment_index` order (one query per [`crate::lists`] chunk of networks).
pub fn segments_of(tx: &Tx, network_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in network_ids.chunks(1000) {
        let marks: Vec<String> = (1..=chunk.len()).map(|k| format!("?{k}")).collect();
        let sql = format!(
            "SELECT network_id, doc FROM segments WHERE network_id IN ({}) \
             ORDER BY network_id, segment_index",
            marks.join(", ")
        );
        let args: Vec<Value> = chunk.iter().map(|id| id.as_str().into()).collect();
        for row in tx.query(&sql, &args)? {
            out.push((row.text(0)?, row.text(1)?));
        }
    }
    Ok(out)
}

/// `(subnet id, segment id)` of every subnet of a network, oldest first.
pub fn subnet_segments(
    tx: &Tx,
    network_id: &str,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let sql = format!(
        "SELECT id, segment_id FROM subnets WHERE network_id = ?1 ORDER BY {}",
        tx.insertion_order()
    );
    tx.query(&sql, &[network_id.into()])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.opt_text(1)?)))
        .collect()
}

/// A network segment range as allocation reads it: `project_id` '' when shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeRow {
    pub id: String,
    pub project_id: String,
    pub physical_network: String,
    pub minimum: i64,
    pub maximum: i64,
    pub default: bool,
}

/// The segment ranges of a network type (every one when `network_type` is `None`).
pub fn segment_ranges(
    tx: &Tx,
    network_type: Option<&str>,
) -> Result<Vec<(String, RangeRow)>, StoreError> {
    let select = "SELECT id, project_id, range_physnet, range_min, range_max, is_default, \
                  range_type FROM network_segment_ranges";
    let rows = match network_type {
        Some(t) => tx.query(&format!("{select} WHERE range_type = ?1"), &[t.into()])?,
        None => tx.query(select, &[])?,
    };
    rows.iter()
        .map(|r| {
            Ok((
                r.text(6)?,
                RangeRow {
                    id: r.text(0)?,
                    project_id: r.text(1)?,
                    physical_network: r.text(2)?,
                    minimum: r.int(3)?,
                    maximum: r.int(4)?,
                    default: r.int(5)? != 0,
                },
            ))
        })
        .collect()
}

/// `(segmentation id, project of its network)` of the segments of a type on a physical network
/// ('' for tunnels) with ids from `minimum` to `maximum`, by id.
pub fn segments_in_range(
    tx: &Tx,
    network_type: &str,
    physnet: &str,
    minimum: i64,
    maximum: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    tx.query(
        "SELECT s.seg_id, n.project_id FROM segments s JOIN networks n ON n.id = s.network_id \
         WHERE s.seg_type = ?1 AND s.seg_physnet = ?2 AND s.seg_id >= ?3 AND s.seg_id <= ?4 \
         ORDER BY s.seg_id",
        &[
            network_type.into(),
            physnet.into(),
            minimum.into(),
            maximum.into(),
        ],
    )?
    .iter()
    .map(|r| Ok((r.int(0)?, r.text(1)?)))
    .collect()
}
