//! Lists of resource rows: which rows to read (column filters, a port's addresses, tags, what a
//! caller who is not an admin may see) and in which order, a keyset page at a time.

use crate::StoreError;
use crate::queries::Table;
use crate::tx::{Read, Tx};
use crate::value::Value;

/// Which rows to read, in SQL: for each named column, the values it may take (an SQL `IN`);
/// optionally the ports holding given addresses, tag filters, the rows a caller may see, and a
/// page of rows in a column order. Columns not named are unconstrained. A selection may select
/// more than a list shows (the rules filter exactly afterwards); it never selects less.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub columns: Vec<(&'static str, Vec<String>)>,
    /// Ports with a fixed IP at one of these addresses (any, if empty) on one of these subnets
    /// (any, if empty).
    pub allocations: Option<(Vec<String>, Vec<String>)>,
    /// Tag filters, every one of which must hold (upstream's `tags`, `tags-any`, `not-tags`,
    /// `not-tags-any`).
    pub tags: Vec<(TagMatch, Vec<String>)>,
    /// For a caller who is not an admin: the rows it may see, as alternatives (a row any of
    /// them admits; none admits no row). `None`: every row.
    pub visible: Option<Vec<Visible>>,
    /// A keyset page in a column order; `None`: every row, oldest first.
    pub page: Option<Page>,
}

/// How a list of tags selects resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagMatch {
    /// Has every one of the tags (none given: every resource).
    All,
    /// Has at least one of them (none given: no resource).
    Any,
    /// Lacks at least one of them (none given: no resource).
    NotAll,
    /// Has none of them (none given: every resource).
    NotAny,
}

/// One reason a row is visible to a caller who is not an admin.
#[derive(Clone, Debug)]
pub enum Visible {
    /// Every row (a collection everyone reads, as flavors).
    Any,
    /// `column` is one of the values (none: no row).
    In(&'static str, Vec<String>),
    /// A 0/1 column ([`Table::doc_flags`], a network's `open`) is 1.
    Flag(&'static str),
    /// Every row (a template every reader may read, such as the default security group rules).
    Every,
    /// `column` names an object of `object_type` an RBAC policy grants one of `actions` on to
    /// `project` or to every project (`*`).
    Granted {
        column: &'static str,
        object_type: &'static str,
        actions: &'static [&'static str],
        project: String,
    },
}

/// A keyset page: rows in the order of `order` (each column ascending, or descending when its
/// flag is set; then by id, ascending), strictly after the row `after`, at most `limit`.
/// `reverse` walks the same order backwards: the rows before `after` (or the last ones),
/// nearest first. Text columns order case-insensitively first (ASCII `lower`), then exactly, as
/// the in-memory sort of the API does; each is a column of [`Table::sortable`].
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub order: Vec<(&'static str, bool)>,
    pub after: Option<String>,
    pub reverse: bool,
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

/// The arguments of one statement, numbered as they are added.
#[derive(Default)]
struct Args(Vec<Value>);

impl Args {
    /// Adds a value; returns its placeholder.
    fn mark(&mut self, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        format!("?{}", self.0.len())
    }

    /// `column IN (…)`, or a condition no row meets when there are no values.
    fn one_of(&mut self, column: &str, values: &[String]) -> String {
        if values.is_empty() {
            return "0 = 1".to_string();
        }
        let marks: Vec<String> = values.iter().map(|v| self.mark(v)).collect();
        format!("{column} IN ({})", marks.join(","))
    }
}

/// The conditions of a selection (its page aside), ANDed.
fn conditions(table: Table, sel: &Selection, args: &mut Args) -> Result<Vec<String>, StoreError> {
    let mut terms: Vec<String> = Vec::new();
    for (column, values) in &sel.columns {
        table.check_column(column)?;
        terms.push(args.one_of(column, values));
    }
    if let Some((addresses, subnets)) = &sel.allocations {
        let mut inner = Vec::new();
        if !addresses.is_empty() {
            inner.push(args.one_of("ip_address", addresses));
        }
        if !subnets.is_empty() {
            inner.push(args.one_of("subnet_id", subnets));
        }
        let cond = match inner.is_empty() {
            true => String::new(),
            false => format!(" WHERE {}", inner.join(" AND ")),
        };
        terms.push(format!("id IN (SELECT port_id FROM ip_allocations{cond})"));
    }
    for (how, tags) in &sel.tags {
        terms.extend(tag_condition(table, *how, tags, args));
    }
    if let Some(any) = &sel.visible {
        let mut alternatives = Vec::new();
        for reason in any {
            alternatives.extend(visible_condition(table, reason, args)?);
        }
        terms.push(match alternatives.is_empty() {
            true => "0 = 1".to_string(),
            false => format!("({})", alternatives.join(" OR ")),
        });
    }
    Ok(terms)
}

/// The SQL of one tag filter; `None` when it admits every row.
fn tag_condition(table: Table, how: TagMatch, tags: &[String], args: &mut Args) -> Option<String> {
    let mut tagged = |tags: &[String]| {
        format!(
            "id IN (SELECT resource_id FROM tags WHERE resource_type = '{}' AND {})",
            table.name,
            args.one_of("tag", tags)
        )
    };
    match (how, tags.is_empty()) {
        (TagMatch::All | TagMatch::NotAny, true) => None,
        (TagMatch::Any | TagMatch::NotAll, true) => Some("0 = 1".to_string()),
        (TagMatch::Any, false) => Some(tagged(tags)),
        (TagMatch::NotAny, false) => Some(format!("NOT {}", tagged(tags))),
        (TagMatch::All | TagMatch::NotAll, false) => {
            let every: Vec<String> = tags
                .iter()
                .map(|t| tagged(std::slice::from_ref(t)))
                .collect();
            let every = every.join(" AND ");
            Some(match how {
                TagMatch::All => every,
                _ => format!("NOT ({every})"),
            })
        }
    }
}

/// The SQL of one reason a row is visible; `None` when it admits no row.
fn visible_condition(
    table: Table,
    reason: &Visible,
    args: &mut Args,
) -> Result<Option<String>, StoreError> {
    Ok(match reason {
        Visible::Any => Some("1 = 1".to_owned()),
        Visible::In(column, values) => {
            table.check_column(column)?;
            (!values.is_empty()).then(|| args.one_of(column, values))
        }
        Visible::Flag(column) => {
            table.check_column(column)?;
            Some(format!("{column} = 1"))
        }
        Visible::Every => Some("1 = 1".to_string()),
        Visible::Granted {
            column,
            object_type,
            actions,
            project,
        } => {
            table.check_column(column)?;
            let object_type = args.mark(*object_type);
            let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
            let actions = args.one_of("action", &actions);
            let project = args.mark(project);
            Some(format!(
                "{column} IN (SELECT object_id FROM rbac_policies WHERE object_type = {object_type} \
                 AND {actions} AND target_project IN ('*', {project}))"
            ))
        }
    })
}

/// The expressions a page orders by, each with whether it descends, as read (`reverse`
/// flips them all): for a text column its ASCII-lower-cased value, then its value; the id last
/// (ascending, as upstream appends it) unless the order already named it.
fn order_of(table: Table, page: &Page) -> Result<Vec<(String, bool)>, StoreError> {
    let mut keys = Vec::new();
    for &(column, descending) in &page.order {
        if table.sort_column(column) != Some(column) {
            return Err(StoreError::Database(format!(
                "table {} is not sorted by {column} in SQL",
                table.name
            )));
        }
        if column == "id" {
            keys.push(("id".to_string(), descending));
            break;
        }
        keys.push((format!("lower({column})"), descending));
        keys.push((column.to_string(), descending));
    }
    if keys.last().is_none_or(|(k, _)| k != "id") {
        keys.push(("id".to_string(), false));
    }
    for key in &mut keys {
        key.1 ^= page.reverse;
    }
    Ok(keys)
}

/// Rows strictly after the row `marker` (a placeholder of its id) in the order of `keys`:
/// `k1 > m1 OR (k1 = m1 AND k2 > m2) OR …`, each `m` read from the marker row, with the first
/// key's range beside it for an index to use.
fn after(table: Table, keys: &[(String, bool)], marker: &str) -> String {
    let value = |key: &str| match key {
        "id" => marker.to_string(),
        _ => format!("(SELECT {key} FROM {} WHERE id = {marker})", table.name),
    };
    let beyond = |descending: bool| if descending { "<" } else { ">" };
    let mut alternatives = Vec::new();
    for (i, (key, descending)) in keys.iter().enumerate() {
        let mut all: Vec<String> = keys[..i]
            .iter()
            .map(|(k, _)| format!("{k} = {}", value(k)))
            .collect();
        all.push(format!("{key} {} {}", beyond(*descending), value(key)));
        alternatives.push(all.join(" AND "));
    }
    match keys {
        [_] => alternatives.join(""),
        [(first, descending), ..] => format!(
            "{first} {}= {} AND ({})",
            beyond(*descending),
            value(first),
            alternatives.join(" OR ")
        ),
        [] => String::new(),
    }
}

fn where_of(terms: &[String]) -> String {
    match terms.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", terms.join(" AND ")),
    }
}

/// The documents of every row matching `sel`: oldest first, or the selection's page in its
/// order (reversed pages come nearest first: the caller turns them around).
pub fn list_docs(tx: &Tx, table: Table, sel: &Selection) -> Result<Vec<String>, StoreError> {
    let read = docs_read(tx, table, sel)?;
    tx.texts(&read.sql, &read.args)
}

/// What [`list_docs`] reads, to read it ahead ([`Tx::prefetch`]).
pub fn docs_read(tx: &Tx, table: Table, sel: &Selection) -> Result<Read, StoreError> {
    let mut args = Args::default();
    let mut terms = conditions(table, sel, &mut args)?;
    let order = match &sel.page {
        None => format!(" ORDER BY {}", tx.insertion_order()),
        Some(page) => {
            let keys = order_of(table, page)?;
            if let Some(marker) = &page.after {
                let marker = args.mark(marker);
                terms.push(after(table, &keys, &marker));
            }
            let keys: Vec<String> = keys
                .iter()
                .map(|(k, descending)| format!("{k} {}", if *descending { "DESC" } else { "ASC" }))
                .collect();
            let limit = args.mark(page.limit);
            format!(" ORDER BY {} LIMIT {limit}", keys.join(", "))
        }
    };
    Ok(Read {
        sql: format!("SELECT doc FROM {}{}{order}", table.name, where_of(&terms)),
        args: args.0,
    })
}

/// `SELECT {what} FROM table WHERE …` with the conditions of `sel` (its page aside), and the
/// statement's arguments.
fn select(table: Table, sel: &Selection, what: &str) -> Result<(String, Vec<Value>), StoreError> {
    let mut args = Args::default();
    let terms = conditions(table, sel, &mut args)?;
    let sql = format!("SELECT {what} FROM {}{}", table.name, where_of(&terms));
    Ok((sql, args.0))
}

/// Whether any row matches `sel`.
pub fn exists(tx: &Tx, table: Table, sel: &Selection) -> Result<bool, StoreError> {
    let (sql, args) = select(table, sel, "1")?;
    tx.flag(&format!("SELECT EXISTS ({sql})"), &args)
}

/// The distinct values of an indexed column among the rows `sel` selects.
pub fn column_values(
    tx: &Tx,
    table: Table,
    column: &str,
    sel: &Selection,
) -> Result<Vec<String>, StoreError> {
    table.check_column(column)?;
    let (sql, args) = select(table, sel, &format!("DISTINCT {column}"))?;
    tx.texts(&sql, &args)
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
        let sel = Selection::by(parent_column, chunk.to_vec());
        let (sql, args) = select(table, &sel, &format!("{parent_column}, id"))?;
        let sql = format!("{sql} ORDER BY {}", tx.insertion_order());
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
