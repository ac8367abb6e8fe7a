//! One PostgreSQL transaction behind the [`Session`] interface: arguments rewritten from `?N` to
//! `$N`, statements prepared once per connection, values converted both ways, and errors
//! classified by SQLSTATE and constraint name.
//!
//! Round trips are what a transaction costs most of, so a session sends as few as it can: `BEGIN`
//! goes out with the first statement, and statements whose answers nobody waits for
//! ([`Session::execute_later`]: outbox entries, link rows) go out with the next statement or with
//! `COMMIT`. A port create is then one round trip per read plus one for its row, instead of one
//! per statement.

use std::cell::{Cell, RefCell};
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;

use bytes::BytesMut;
use tokio_postgres::Client;
use tokio_postgres::Statement;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::client::all;
use super::pool::Conn;
use crate::tx::{Read, Session};
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

/// How a transaction starts.
pub(crate) const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";
pub(crate) const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

pub(crate) struct PgSession<'c> {
    conn: RefCell<&'c mut Conn>,
    /// `BEGIN ...` until it went out with the first request.
    begin: Cell<Option<&'static str>>,
    /// Statements sent with the next request (see the module's comment).
    later: RefCell<Vec<(Statement, Vec<Value>)>>,
    failure: Cell<Option<Failure>>,
}

/// One request of a flight.
enum Request<'a> {
    Simple(&'a str),
    Execute(&'a Statement, &'a [Value]),
    Query(&'a Statement, &'a [Value]),
}

enum Answer {
    Done,
    Count(u64),
    Rows(Vec<tokio_postgres::Row>),
}

impl<'c> PgSession<'c> {
    /// A transaction on `conn` that starts with `begin` ([`BEGIN_WRITE`], [`BEGIN_READ`]).
    pub(crate) fn new(conn: &'c mut Conn, begin: &'static str) -> PgSession<'c> {
        PgSession {
            conn: RefCell::new(conn),
            begin: Cell::new(Some(begin)),
            later: RefCell::default(),
            failure: Cell::new(None),
        }
    }

    /// Whether a statement of this transaction failed in a way that decides what to do next.
    pub(crate) fn failure(&self) -> Option<Failure> {
        self.failure.get()
    }

    /// Commits, with the statements still waiting to go out. A transaction that sent nothing
    /// has nothing to commit.
    pub(crate) fn commit(self) -> Result<(), StoreError> {
        if self.begin.get().is_some() && self.later.borrow().is_empty() {
            return Ok(());
        }
        self.send(Request::Simple("COMMIT")).map(|_| ())
    }

    /// Ends the transaction without its changes (what waits to go out is dropped).
    pub(crate) fn rollback(self) {
        if self.begin.get().is_some() || self.failure.get() == Some(Failure::Broken) {
            return;
        }
        self.later.borrow_mut().clear();
        let _ = self.send(Request::Simple("ROLLBACK"));
    }

    /// Runs SQL text of several statements (migrations), after what waits to go out.
    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.send(Request::Simple(sql)).map(|_| ())
    }

    fn prepared(&self, sql: &str) -> Result<Statement, StoreError> {
        let mut conn = self.conn.borrow_mut();
        if let Some(s) = conn.statements.get(sql) {
            return Ok(s.clone());
        }
        let text = numbered_to_dollar(sql);
        let stmt = conn
            .client
            .run(|c| c.prepare(&text))
            .map_err(|e| self.note(e))?;
        conn.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Sends `BEGIN` if it has not gone out yet, the statements waiting to go out, and `last`,
    /// in one flight; the answer to `last`, or the first error of the flight.
    fn send(&self, last: Request<'_>) -> Result<Answer, StoreError> {
        let mut answers = self.send_all(vec![last])?;
        Ok(answers.pop().unwrap_or(Answer::Done))
    }

    /// [`Self::send`] with several requests at the end of the flight; their answers in order.
    fn send_all(&self, requests: Vec<Request<'_>>) -> Result<Vec<Answer>, StoreError> {
        let begin = self.begin.take();
        let later = std::mem::take(&mut *self.later.borrow_mut());
        let mut conn = self.conn.borrow_mut();
        let answers = conn
            .client
            .run(|c| async move {
                let mut flight: Vec<Pin<Box<dyn Future<Output = _> + '_>>> = Vec::new();
                if let Some(b) = begin {
                    flight.push(Box::pin(ask(c, Request::Simple(b))));
                }
                for (stmt, args) in &later {
                    flight.push(Box::pin(ask(c, Request::Execute(stmt, args))));
                }
                let asked = requests.len();
                for r in requests {
                    flight.push(Box::pin(ask(c, r)));
                }
                let mut answers = all(flight).await;
                let wanted = answers.split_off(answers.len() - asked);
                Ok((answers, wanted))
            })
            .map_err(|e| self.note(e))?;
        let (before, wanted) = answers;
        for a in before {
            a.map_err(|e| self.note(e))?;
        }
        wanted
            .into_iter()
            .map(|a| a.map_err(|e| self.note(e)))
            .collect()
    }

    /// Classifies an error and remembers what it means for the transaction.
    pub(crate) fn note(&self, e: tokio_postgres::Error) -> StoreError {
        let err = store_error(&e);
        match &err {
            StoreError::Retry(_) => self.failure.set(Some(Failure::Retry)),
            StoreError::Unavailable(_) => self.failure.set(Some(Failure::Broken)),
            _ => {}
        }
        err
    }
}

async fn ask(c: &Client, request: Request<'_>) -> Result<Answer, tokio_postgres::Error> {
    match request {
        Request::Simple(sql) => c.batch_execute(sql).await.map(|()| Answer::Done),
        Request::Execute(stmt, args) => c.execute(stmt, &params(args)).await.map(Answer::Count),
        Request::Query(stmt, args) => c.query(stmt, &params(args)).await.map(Answer::Rows),
    }
}

fn params(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as _).collect()
}

impl Session for PgSession<'_> {
    fn execute(&self, sql: &str, args: &[Value]) -> Result<usize, StoreError> {
        let stmt = self.prepared(sql)?;
        match self.send(Request::Execute(&stmt, args))? {
            Answer::Count(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => Ok(0),
        }
    }

    fn execute_later(&self, sql: &str, args: &[Value]) -> Result<(), StoreError> {
        let stmt = self.prepared(sql)?;
        self.later.borrow_mut().push((stmt, args.to_vec()));
        Ok(())
    }

    fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.prepared(sql)?;
        match self.send(Request::Query(&stmt, args))? {
            Answer::Rows(rows) => rows.iter().map(row).collect(),
            _ => Ok(Vec::new()),
        }
    }

    fn query_together(&self, reads: &[Read]) -> Option<Result<Vec<Vec<Row>>, StoreError>> {
        let together = || {
            let stmts = reads
                .iter()
                .map(|r| self.prepared(&r.sql))
                .collect::<Result<Vec<_>, _>>()?;
            let requests = stmts
                .iter()
                .zip(reads)
                .map(|(stmt, r)| Request::Query(stmt, &r.args))
                .collect();
            self.send_all(requests)?
                .into_iter()
                .map(|a| match a {
                    Answer::Rows(rows) => rows.iter().map(row).collect(),
                    _ => Ok(Vec::new()),
                })
                .collect()
        };
        Some(together())
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

fn row(r: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let bad = |e: tokio_postgres::Error| StoreError::Database(e.to_string());
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
pub(crate) fn store_error(e: &tokio_postgres::Error) -> StoreError {
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
