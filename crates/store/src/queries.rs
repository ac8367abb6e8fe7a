//! Queries on resource rows. A row is its indexed columns plus `doc`, the resource's JSON.

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::StoreError;

/// A resource table: its name and the indexed columns beside `id` and `doc` that queries may
/// constrain and writes must fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

impl Table {
    pub const fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table { name, columns }
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    fn has_column(self, column: &str) -> bool {
        column == "id" || self.columns.contains(&column)
    }

    fn check_column(self, column: &str) -> Result<(), StoreError> {
        if self.has_column(column) {
            Ok(())
        } else {
            Err(StoreError::Sql(rusqlite::Error::InvalidColumnName(
                format!("{}.{column}", self.name),
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
pub fn get_doc(conn: &Connection, table: Table, id: &str) -> Result<Option<String>, StoreError> {
    let sql = format!("SELECT doc FROM {} WHERE id = ?1", table.name());
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// `WHERE …` for a selection, and its arguments.
fn where_clause(table: Table, sel: &Selection) -> Result<(String, Vec<&str>), StoreError> {
    let mut sql = String::new();
    let mut args: Vec<&str> = Vec::new();
    for (i, (column, values)) in sel.columns.iter().enumerate() {
        table.check_column(column)?;
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        if values.is_empty() {
            sql.push_str("0 = 1");
            continue;
        }
        let marks = vec!["?"; values.len()].join(",");
        sql.push_str(&format!("{column} IN ({marks})"));
        args.extend(values.iter().map(String::as_str));
    }
    Ok((sql, args))
}

/// The documents of every row matching `sel`, in insertion order.
pub fn list_docs(
    conn: &Connection,
    table: Table,
    sel: &Selection,
) -> Result<Vec<String>, StoreError> {
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!("SELECT doc FROM {}{filter} ORDER BY rowid", table.name);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether any row matches `sel`.
pub fn exists(conn: &Connection, table: Table, sel: &Selection) -> Result<bool, StoreError> {
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {}{filter})", table.name);
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?)
}

/// The distinct values of an indexed column among the rows `sel` selects.
pub fn column_values(
    conn: &Connection,
    table: Table,
    column: &str,
    sel: &Selection,
) -> Result<Vec<String>, StoreError> {
    table.check_column(column)?;
    let (filter, args) = where_clause(table, sel)?;
    let sql = format!("SELECT DISTINCT {column} FROM {}{filter}", table.name);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The ids of the rows a project owns.
pub fn ids_owned(
    conn: &Connection,
    table: Table,
    project_id: &str,
) -> Result<Vec<String>, StoreError> {
    let sql = format!("SELECT id FROM {} WHERE project_id = ?1", table.name);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([project_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A value of an indexed column.
pub type ColumnValue = rusqlite::types::Value;

/// Inserts a row: its id, its indexed columns (every one the table declares) and its document.
pub fn insert_row(
    conn: &Connection,
    table: Table,
    id: &str,
    columns: &[(&str, ColumnValue)],
    doc: &str,
) -> Result<(), StoreError> {
    for (c, _) in columns {
        table.check_column(c)?;
    }
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let marks = vec!["?"; columns.len() + 2].join(", ");
    let sql = format!(
        "INSERT INTO {} (id, {}doc) VALUES ({marks})",
        table.name,
        names.iter().map(|n| format!("{n}, ")).collect::<String>()
    );
    let mut args: Vec<ColumnValue> = vec![ColumnValue::Text(id.to_string())];
    args.extend(columns.iter().map(|(_, v)| v.clone()));
    args.push(ColumnValue::Text(doc.to_string()));
    conn.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    Ok(())
}

/// Rewrites a row's document and the given indexed columns.
pub fn update_row(
    conn: &Connection,
    table: Table,
    id: &str,
    columns: &[(&str, ColumnValue)],
    doc: &str,
) -> Result<(), StoreError> {
    for (c, _) in columns {
        table.check_column(c)?;
    }
    let sets: String = columns.iter().map(|(c, _)| format!("{c} = ?, ")).collect();
    let sql = format!("UPDATE {} SET {sets}doc = ? WHERE id = ?", table.name);
    let mut args: Vec<ColumnValue> = columns.iter().map(|(_, v)| v.clone()).collect();
    args.push(ColumnValue::Text(doc.to_string()));
    args.push(ColumnValue::Text(id.to_string()));
    conn.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    Ok(())
}

/// Replaces the document of a row (networks and subnets; ports go through [`update_port`]).
pub fn update_doc(conn: &Connection, table: Table, id: &str, doc: &str) -> Result<(), StoreError> {
    let sql = format!("UPDATE {} SET doc = ?2 WHERE id = ?1", table.name());
    conn.prepare_cached(&sql)?.execute(params![id, doc])?;
    Ok(())
}

pub fn delete_row(conn: &Connection, table: Table, id: &str) -> Result<(), StoreError> {
    let sql = format!("DELETE FROM {} WHERE id = ?1", table.name());
    conn.prepare_cached(&sql)?.execute([id])?;
    Ok(())
}

/// A network segment: the unique index on (type, physnet, id) makes its allocation race-free.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRow {
    pub network_type: String,
    pub physical_network: String,
    pub segmentation_id: i64,
}

pub fn insert_segment(
    conn: &Connection,
    network_id: &str,
    seg: &SegmentRow,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO network_segments (network_id, network_type, physical_network, segmentation_id) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![network_id, seg.network_type, seg.physical_network, seg.segmentation_id])?;
    Ok(())
}

/// Segmentation ids in use for a network type on a physical network ('' for tunnels).
pub fn used_segmentation_ids(
    conn: &Connection,
    network_type: &str,
    physnet: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT segmentation_id FROM network_segments WHERE network_type = ?1 AND physical_network = ?2",
    )?;
    let rows = stmt.query_map(params![network_type, physnet], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn delete_segments(conn: &Connection, network_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM network_segments WHERE network_id = ?1")?
        .execute([network_id])?;
    Ok(())
}

/// Records that `port_id` holds `ip_address` on `subnet_id`; a taken address is a `Conflict`.
pub fn insert_allocation(
    conn: &Connection,
    subnet_id: &str,
    ip_address: &str,
    port_id: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO ip_allocations (subnet_id, ip_address, port_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![subnet_id, ip_address, port_id])?;
    Ok(())
}

pub fn delete_allocation(
    conn: &Connection,
    subnet_id: &str,
    ip_address: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM ip_allocations WHERE subnet_id = ?1 AND ip_address = ?2")?
        .execute(params![subnet_id, ip_address])?;
    Ok(())
}

/// Every allocated address of a subnet.
pub fn allocated_addresses(conn: &Connection, subnet_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT ip_address FROM ip_allocations WHERE subnet_id = ?1")?;
    let rows = stmt.query_map([subnet_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Ports with an address on the subnet.
pub fn ports_on_subnet(conn: &Connection, subnet_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT port_id FROM ip_allocations WHERE subnet_id = ?1")?;
    let rows = stmt.query_map([subnet_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
