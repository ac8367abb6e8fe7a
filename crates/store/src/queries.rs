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
}

impl Table {
    pub const fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            unique: None,
            kind: None,
        }
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
        column == "id" || self.columns.contains(&column)
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

/// Which rows to read: for each named column, the values it may take (an SQL `IN`).
/// Columns not named are unconstrained. Used to push the cheap part of a list filter into SQL.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub columns: Vec<(&'static str, Vec<String>)>,
}

impl Selection {
    pub fn all() -> Selection {
        Selection::default()
    }

    pub fn by(column: &'static str, values: Vec<String>) -> Selection {
        Selection {
            columns: vec![(column, values)],
        }
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
        .map(|r| r.text(0))
        .transpose()
}

/// `WHERE …` for a selection, and its arguments.
fn where_clause(table: Table, sel: &Selection) -> Result<(String, Vec<Value>), StoreError> {
    let mut sql = String::new();
    let mut args: Vec<Value> = Vec::new();
    for (i, (column, values)) in sel.columns.iter().enumerate() {
        table.check_column(column)?;
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        if values.is_empty() {
            sql.push_str("0 = 1");
            continue;
        }
        let marks: Vec<String> = (0..values.len())
            .map(|k| format!("?{}", args.len() + k + 1))
            .collect();
        sql.push_str(&format!("{column} IN ({})", marks.join(",")));
        args.extend(values.iter().map(Value::from));
    }
    Ok((sql, args))
}

/// The documents of every row matching `sel`, oldest first.
pub fn list_docs(tx: &Tx, table: Table, sel: &Selection) -> Result<Vec<String>, StoreError> {
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!(
        "SELECT doc FROM {}{filter} ORDER BY {}",
        table.name,
        tx.insertion_order()
    );
    tx.texts(&sql, &args)
}

/// Whether any row matches `sel`.
pub fn exists(tx: &Tx, table: Table, sel: &Selection) -> Result<bool, StoreError> {
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {}{filter})", table.name);
    tx.flag(&sql, &args)
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
    run_update(tx, table, id, "doc = ?2", 1, &[id.into(), doc.into()])
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
