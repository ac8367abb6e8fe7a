//! The transaction interface the rules see. A [`Tx`] is one transaction on some engine; every
//! typed operation of the store (`get_doc`, `insert_row`, `first_free_key`, ...) is written once
//! on top of it, in SQL that both engines accept:
//!
//! * arguments are numbered `?1`, `?2`, ... (PostgreSQL's engine rewrites them to `$1`);
//! * booleans are integers 0/1, and `EXISTS`/comparisons are read with [`Row::bool`];
//! * an insert that may hit a unique constraint uses `ON CONFLICT DO NOTHING` and reports the
//!   constraint by its name, so the transaction stays usable on both engines.

use crate::StoreError;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use crate::value::{Row, Value};

/// What an engine provides: run a statement, run a query. Implemented by the SQLite and
/// PostgreSQL engines for their connections (inside a transaction).
pub(crate) trait Session {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&self, sql: &str, args: &[Value]) -> Result<usize, StoreError>;
    /// Runs a statement whose answer nobody waits for, at the latest when the transaction
    /// commits: an engine may send it with the next statement (PostgreSQL does, to save a
    /// round trip). Its failure fails the transaction, at that next statement or the commit.
    fn execute_later(&self, sql: &str, args: &[Value]) -> Result<(), StoreError>;
    /// Runs a query and returns its rows.
    fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs several queries in one round trip; `None` where the engine gains nothing by it
    /// (SQLite runs in this process), so that nothing is read ahead for nothing.
    fn query_together(&self, reads: &[Read]) -> Option<Result<Vec<Vec<Row>>, StoreError>>;
    /// The column that orders a table's rows by insertion: SQLite's implicit `rowid`,
    /// PostgreSQL's `seq` identity column.
    fn insertion_order(&self) -> &'static str;
}

/// A read the rules are about to make, built by the store function that will make it (see
/// [`Tx::prefetch`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Read {
    pub(crate) sql: String,
    pub(crate) args: Vec<Value>,
}

/// One transaction. Reads see a consistent snapshot; inside [`crate::Store::write`] the changes
/// commit together, durably, or not at all.
pub struct Tx<'a> {
    session: &'a dyn Session,
    /// Whether the transaction appended to the outbox: its commit wakes the change feed.
    changed: Cell<bool>,
    /// The resource rows (kind, id) this transaction has already created or given a new
    /// revision: a resource changes revision once per transaction, however many statements it
    /// takes, as upstream's revision numbers do.
    revised: RefCell<HashSet<(&'static str, String)>>,
    /// Answers of reads made ahead ([`Tx::prefetch`]), until the read is made or a write.
    prefetched: RefCell<HashMap<Read, Vec<Row>>>,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(session: &'a dyn Session) -> Tx<'a> {
        Tx {
            session,
            changed: Cell::new(false),
            revised: RefCell::default(),
            prefetched: RefCell::default(),
        }
    }

    /// Records that this transaction revises the row; false if it already did.
    pub(crate) fn first_revision(&self, kind: &'static str, id: &str) -> bool {
        self.revised.borrow_mut().insert((kind, id.to_string()))
    }

    pub(crate) fn mark_changed(&self) {
        self.changed.set(true);
    }

    /// Whether the transaction changed a resource (appended to the outbox).
    pub(crate) fn changed(&self) -> bool {
        self.changed.get()
    }

    pub(crate) fn execute(&self, sql: &str, args: &[Value]) -> Result<usize, StoreError> {
        self.prefetched.borrow_mut().clear();
        self.session.execute(sql, args)
    }

    /// See [`Session::execute_later`]: for writes whose effect the transaction does not read
    /// back before it commits, and that fail only if something is wrong (no conflict to react to).
    pub(crate) fn execute_later(&self, sql: &str, args: &[Value]) -> Result<(), StoreError> {
        self.prefetched.borrow_mut().clear();
        self.session.execute_later(sql, args)
    }

    pub(crate) fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError> {
        if !self.prefetched.borrow().is_empty() {
            let read = Read {
                sql: sql.to_string(),
                args: args.to_vec(),
            };
            if let Some(rows) = self.prefetched.borrow_mut().remove(&read) {
                return Ok(rows);
            }
        }
        self.session.query(sql, args)
    }

    /// Makes reads the rules are about to make now, together: on PostgreSQL one round trip
    /// instead of one each; on SQLite nothing. Each answer is kept until the rules make that
    /// read, and all are dropped at the transaction's next write: the transaction reads one
    /// snapshot, so a read gives the same answer earlier as later, except after the
    /// transaction's own writes. A read made ahead and never made costs its execution only.
    pub fn prefetch(&self, reads: Vec<Read>) -> Result<(), StoreError> {
        let Some(answers) = self.session.query_together(&reads) else {
            return Ok(());
        };
        let mut prefetched = self.prefetched.borrow_mut();
        for (read, rows) in reads.into_iter().zip(answers?) {
            prefetched.insert(read, rows);
        }
        Ok(())
    }

    /// The column that orders rows by insertion (see [`Session::insertion_order`]).
    pub(crate) fn insertion_order(&self) -> &'static str {
        self.session.insertion_order()
    }

    /// The first row, if any.
    pub(crate) fn query_opt(&self, sql: &str, args: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The first row; a query that returns none is a store bug.
    pub(crate) fn query_one(&self, sql: &str, args: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, args)?
            .ok_or_else(|| StoreError::Database(format!("no row from: {sql}")))
    }

    /// The first column of every row, as text.
    pub(crate) fn texts(&self, sql: &str, args: &[Value]) -> Result<Vec<String>, StoreError> {
        self.query(sql, args)?
            .into_iter()
            .map(|r| r.into_text(0))
            .collect()
    }

    /// The first column of the first row as a boolean (`EXISTS`, comparisons).
    pub(crate) fn flag(&self, sql: &str, args: &[Value]) -> Result<bool, StoreError> {
        self.query_one(sql, args)?.bool(0)
    }
}
