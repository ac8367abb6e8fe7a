//! One PostgreSQL transaction behind the [`Session`] interface: arguments rewritten from `?N` to
//! `$N`, statements prepared once per connection, values converted both ways, and errors
//! classified by SQLSTATE and constraint name.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Statement, Transaction};

use crate::tx::Session;
use crate::value::{Row, Value};
use crate::{Constraint, StoreError};

/// What went wrong in a transaction, as far as running it again is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A serialization failure or deadlock: the transaction may succeed if run again.
    Retry,
    /// The connection is gone: it must not be reused.
    Broken,
}

pub(crate) struct PgSession<'c, 't> {
    pub(crate) tx: RefCell<Transaction<'t>>,
    statements: RefCell<&'c mut HashMap<String, Statement>>,
    failure: Cell<Option<Failure>>,
}

impl<'c, 't> PgSession<'c, 't> {
    pub(crate) fn new(
        tx: Transaction<'t>,
        statements: &'c mut HashMap<String, Statement>,
    ) -> PgSession<'c, 't> {
        PgSession {
            tx: RefCell::new(tx),
            statements: RefCell::new(statements),
            failure: Cell::new(None),
        }
    }

    /// Whether a statement of this transaction failed in a way that decides what to do next.
    pub(crate) fn failure(&self) -> Option<Failure> {
        self.failure.get()
    }

    pub(crate) fn into_transaction(self) -> Transaction<'t> {
        self.tx.into_inner()
    }

    fn prepared(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self
            .tx
            .borrow_mut()
            .prepare(&numbered_to_dollar(sql))
            .map_err(|e| self.note(e))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Classifies an error and remembers what it means for the transaction.
    pub(crate) fn note(&self, e: postgres::Error) -> StoreError {
        let err = store_error(&e);
        match &err {
            StoreError::Retry(_) => self.failure.set(Some(Failure::Retry)),
            StoreError::Unavailable(_) => self.failure.set(Some(Failure::Broken)),
            _ => {}
        }
        err
    }
}

impl Session for PgSession<'_, '_> {
    fn execute(&self, sql: &str, args: &[Value]) -> Result<usize, StoreError> {
        let stmt = self.prepared(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        let n = self
            .tx
            .borrow_mut()
            .execute(&stmt, &params)
            .map_err(|e| self.note(e))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.prepared(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        let rows = self
            .tx
            .borrow_mut()
            .query(&stmt, &params)
            .map_err(|e| self.note(e))?;
        rows.iter().map(row).collect()
    }

    fn insertion_order(&self) -> &'static str {
        "seq"
    }
}

/// `?1` → `$1`. Our SQL has no `?` inside string literals.
fn numbered_to_dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn row(r: &postgres::Row) -> Result<Row, StoreError> {
    let bad = |e: postgres::Error| StoreError::Database(e.to_string());
    (0..r.len())
        .map(|i| {
            let ty = r.columns()[i].type_();
            Ok(match *ty {
                Type::BOOL => r
                    .try_get::<_, Option<bool>>(i)
                    .map_err(bad)?
                    .map_or(Value::Null, Value::bool),
                Type::INT2 => opt_int(r.try_get::<_, Option<i16>>(i).map_err(bad)?),
                Type::INT4 => opt_int(r.try_get::<_, Option<i32>>(i).map_err(bad)?),
                Type::INT8 => opt_int(r.try_get::<_, Option<i64>>(i).map_err(bad)?),
                _ => r
                    .try_get::<_, Option<String>>(i)
                    .map_err(bad)?
                    .map_or(Value::Null, Value::Text),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Row)
}

fn opt_int<N: Into<i64>>(n: Option<N>) -> Value {
    n.map_or(Value::Null, |n| Value::Int(n.into()))
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        // SQLite converts by column affinity (a list filter gives "1" for an integer column);
        // here the statement says which type it wants.
        let int = |n: i64, out: &mut BytesMut| match *ty {
            Type::BOOL => (n != 0).to_sql(ty, out),
            Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
            Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
            _ => n.to_sql(ty, out),
        };
        let wants_int = matches!(*ty, Type::BOOL | Type::INT2 | Type::INT4 | Type::INT8);
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) if wants_int => int(*n, out),
            Value::Int(n) => n.to_string().as_str().to_sql(ty, out),
            Value::Text(s) if wants_int => int(s.trim().parse::<i64>()?, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// PostgreSQL's errors by SQLSTATE (and, for unique violations, the constraint's name).
pub(crate) fn store_error(e: &postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: the connection is closed or broken.
        return StoreError::Unavailable(e.to_string());
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        let constraint = db
            .constraint()
            .and_then(Constraint::named)
            .unwrap_or(Constraint::PrimaryKey("?"));
        return StoreError::Conflict(constraint);
    }
    if *code == SqlState::FOREIGN_KEY_VIOLATION {
        return StoreError::ForeignKey(db.message().to_string());
    }
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return StoreError::Retry(db.message().to_string());
    }
    // Class 08 (connection exception), 57P0x (shutdown, cannot connect now), 53300 (too many
    // connections): the database is not there for us right now.
    let c = code.code();
    if c.starts_with("08") || c.starts_with("57P") || c == "53300" {
        return StoreError::Unavailable(db.message().to_string());
    }
    StoreError::Database(format!("{}: {}", c, db.message()))
}

#[cfg(test)]
mod tests {
    use super::numbered_to_dollar;

    #[test]
    fn arguments_are_renumbered() {
        assert_eq!(
            numbered_to_dollar("SELECT ?1, ?12 WHERE a IN ('*', ?2)"),
            "SELECT $1, $12 WHERE a IN ('*', $2)"
        );
    }
}
