//! The operations of a `transact` request (RFC 7047 §5.2), with the conditions and mutations they
//! take. Building operations sends nothing: a caller collects them and sends them together with
//! `Client::transact`, so that one change is one atomic transaction.

use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::atom::Atom;
use crate::value::{Row, Value, row_to_json};

/// A comparison in a `where` clause (RFC 7047 §5.1 `<function>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Less,
    LessOrEqual,
    Equal,
    NotEqual,
    GreaterOrEqual,
    Greater,
    Includes,
    Excludes,
}

impl Function {
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Less => "<",
            Function::LessOrEqual => "<=",
            Function::Equal => "==",
            Function::NotEqual => "!=",
            Function::GreaterOrEqual => ">=",
            Function::Greater => ">",
            Function::Includes => "includes",
            Function::Excludes => "excludes",
        }
    }
}

/// `[column, function, value]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub column: String,
    pub function: Function,
    pub value: Value,
}

impl Condition {
    pub fn new(column: impl Into<String>, function: Function, value: impl Into<Value>) -> Self {
        Condition {
            column: column.into(),
            function,
            value: value.into(),
        }
    }

    pub fn eq(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::new(column, Function::Equal, value)
    }

    pub fn ne(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::new(column, Function::NotEqual, value)
    }

    pub fn includes(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::new(column, Function::Includes, value)
    }

    pub fn excludes(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::new(column, Function::Excludes, value)
    }

    /// The row with this UUID.
    pub fn uuid(uuid: Uuid) -> Self {
        Condition::eq("_uuid", Value::Atom(Atom::Uuid(uuid)))
    }

    pub fn to_json(&self) -> Json {
        json!([self.column, self.function.as_str(), self.value.to_json()])
    }
}

/// How a mutation changes a column (RFC 7047 §5.1 `<mutator>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutator {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    /// Adds elements to a set, or key-value pairs (for keys not yet present) to a map.
    Insert,
    /// Removes elements from a set; from a map, the pairs given, or the keys given as a set.
    Delete,
}

impl Mutator {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutator::Add => "+=",
            Mutator::Subtract => "-=",
            Mutator::Multiply => "*=",
            Mutator::Divide => "/=",
            Mutator::Modulo => "%=",
            Mutator::Insert => "insert",
            Mutator::Delete => "delete",
        }
    }
}

/// `[column, mutator, value]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    pub column: String,
    pub mutator: Mutator,
    pub value: Value,
}

impl Mutation {
    pub fn new(column: impl Into<String>, mutator: Mutator, value: impl Into<Value>) -> Self {
        Mutation {
            column: column.into(),
            mutator,
            value: value.into(),
        }
    }

    pub fn insert(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Mutation::new(column, Mutator::Insert, value)
    }

    pub fn delete(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Mutation::new(column, Mutator::Delete, value)
    }

    pub fn to_json(&self) -> Json {
        json!([self.column, self.mutator.as_str(), self.value.to_json()])
    }
}

/// What a `wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    /// The selected rows' columns equal `rows` exactly.
    Equal,
    /// They differ from `rows`.
    NotEqual,
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Insert {
        table: String,
        row: Row,
        /// Lets later operations of the same transaction refer to the new row as
        /// `Atom::NamedUuid(name)`.
        uuid_name: Option<String>,
    },
    Select {
        table: String,
        conditions: Vec<Condition>,
        /// `None`: all columns.
        columns: Option<Vec<String>>,
    },
    Update {
        table: String,
        conditions: Vec<Condition>,
        row: Row,
    },
    Mutate {
        table: String,
        conditions: Vec<Condition>,
        mutations: Vec<Mutation>,
    },
    Delete {
        table: String,
        conditions: Vec<Condition>,
    },
    /// Fails the transaction unless (after at most `timeout_ms`) the selected rows' `columns`
    /// compare to `rows` as `until` says. Used to guard a change against concurrent writers.
    Wait {
        table: String,
        conditions: Vec<Condition>,
        columns: Vec<String>,
        until: WaitUntil,
        rows: Vec<Row>,
        timeout_ms: Option<u64>,
    },
    Commit {
        durable: bool,
    },
    Abort,
    Comment(String),
    Assert {
        lock: String,
    },
}

impl Operation {
    pub fn insert(table: impl Into<String>, row: Row) -> Self {
        Operation::Insert {
            table: table.into(),
            row,
            uuid_name: None,
        }
    }

    /// An insert that later operations can refer to as `Atom::NamedUuid(uuid_name)`.
    pub fn insert_named(table: impl Into<String>, row: Row, uuid_name: impl Into<String>) -> Self {
        Operation::Insert {
            table: table.into(),
            row,
            uuid_name: Some(uuid_name.into()),
        }
    }

    pub fn select(table: impl Into<String>, conditions: Vec<Condition>) -> Self {
        Operation::Select {
            table: table.into(),
            conditions,
            columns: None,
        }
    }

    pub fn select_columns(
        table: impl Into<String>,
        conditions: Vec<Condition>,
        columns: &[&str],
    ) -> Self {
        Operation::Select {
            table: table.into(),
            conditions,
            columns: Some(columns.iter().map(|c| (*c).to_owned()).collect()),
        }
    }

    pub fn update(table: impl Into<String>, conditions: Vec<Condition>, row: Row) -> Self {
        Operation::Update {
            table: table.into(),
            conditions,
            row,
        }
    }

    pub fn mutate(
        table: impl Into<String>,
        conditions: Vec<Condition>,
        mutations: Vec<Mutation>,
    ) -> Self {
        Operation::Mutate {
            table: table.into(),
            conditions,
            mutations,
        }
    }

    pub fn delete(table: impl Into<String>, conditions: Vec<Condition>) -> Self {
        Operation::Delete {
            table: table.into(),
            conditions,
        }
    }

    pub fn wait(
        table: impl Into<String>,
        conditions: Vec<Condition>,
        columns: &[&str],
        until: WaitUntil,
        rows: Vec<Row>,
        timeout_ms: Option<u64>,
    ) -> Self {
        Operation::Wait {
            table: table.into(),
            conditions,
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            until,
            rows,
            timeout_ms,
        }
    }

    /// The operation's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Insert { .. } => "insert",
            Operation::Select { .. } => "select",
            Operation::Update { .. } => "update",
            Operation::Mutate { .. } => "mutate",
            Operation::Delete { .. } => "delete",
            Operation::Wait { .. } => "wait",
            Operation::Commit { .. } => "commit",
            Operation::Abort => "abort",
            Operation::Comment(_) => "comment",
            Operation::Assert { .. } => "assert",
        }
    }

    pub fn table(&self) -> Option<&str> {
        match self {
            Operation::Insert { table, .. }
            | Operation::Select { table, .. }
            | Operation::Update { table, .. }
            | Operation::Mutate { table, .. }
            | Operation::Delete { table, .. }
            | Operation::Wait { table, .. } => Some(table),
            _ => None,
        }
    }

    /// "insert into Logical_Switch", "commit": how an error message names the operation.
    pub fn describe(&self) -> String {
        match self.table() {
            Some(table) => format!("{} on {table}", self.name()),
            None => self.name().to_owned(),
        }
    }

    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        o.insert("op".into(), self.name().into());
        let conditions = |c: &[Condition]| Json::Array(c.iter().map(Condition::to_json).collect());
        match self {
            Operation::Insert {
                table,
                row,
                uuid_name,
            } => {
                o.insert("table".into(), table.as_str().into());
                o.insert("row".into(), row_to_json(row));
                if let Some(name) = uuid_name {
                    o.insert("uuid-name".into(), name.as_str().into());
                }
            }
            Operation::Select {
                table,
                conditions: c,
                columns,
            } => {
                o.insert("table".into(), table.as_str().into());
                o.insert("where".into(), conditions(c));
                if let Some(columns) = columns {
                    o.insert("columns".into(), json!(columns));
                }
            }
            Operation::Update {
                table,
                conditions: c,
                row,
            } => {
                o.insert("table".into(), table.as_str().into());
                o.insert("where".into(), conditions(c));
                o.insert("row".into(), row_to_json(row));
            }
            Operation::Mutate {
                table,
                conditions: c,
                mutations,
            } => {
                o.insert("table".into(), table.as_str().into());
                o.insert("where".into(), conditions(c));
                o.insert(
                    "mutations".into(),
                    Json::Array(mutations.iter().map(Mutation::to_json).collect()),
                );
            }
            Operation::Delete {
                table,
                conditions: c,
            } => {
                o.insert("table".into(), table.as_str().into());
                o.insert("where".into(), conditions(c));
            }
            Operation::Wait {
                table,
                conditions: c,
                columns,
                until,
                rows,
                timeout_ms,
            } => {
                o.insert("table".into(), table.as_str().into());
                o.insert("where".into(), conditions(c));
                o.insert("columns".into(), json!(columns));
                let until = match until {
                    WaitUntil::Equal => "==",
                    WaitUntil::NotEqual => "!=",
                };
                o.insert("until".into(), until.into());
                o.insert(
                    "rows".into(),
                    Json::Array(rows.iter().map(row_to_json).collect()),
                );
                if let Some(ms) = timeout_ms {
                    o.insert("timeout".into(), (*ms).into());
                }
            }
            Operation::Commit { durable } => {
                o.insert("durable".into(), (*durable).into());
            }
            Operation::Abort => {}
            Operation::Comment(text) => {
                o.insert("comment".into(), text.as_str().into());
            }
            Operation::Assert { lock } => {
                o.insert("lock".into(), lock.as_str().into());
            }
        }
        Json::Object(o)
    }
}

/// Builds a row from `(column, value)` pairs.
pub fn row<I, K, V>(columns: I) -> Row
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<Value>,
{
    columns
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_operations() {
        let op = Operation::insert_named("Logical_Switch", row([("name", "ls1")]), "ls");
        assert_eq!(
            op.to_json(),
            json!({"op": "insert", "table": "Logical_Switch", "row": {"name": "ls1"}, "uuid-name": "ls"})
        );
        let op = Operation::mutate(
            "Logical_Switch",
            vec![Condition::eq("name", "ls1")],
            vec![Mutation::insert(
                "ports",
                Value::set([Atom::NamedUuid("p".into())]),
            )],
        );
        assert_eq!(
            op.to_json(),
            json!({"op": "mutate", "table": "Logical_Switch", "where": [["name", "==", "ls1"]],
                   "mutations": [["ports", "insert", ["set", [["named-uuid", "p"]]]]]})
        );
        let op = Operation::wait(
            "T",
            vec![],
            &["a"],
            WaitUntil::NotEqual,
            vec![row([("a", 1i64)])],
            Some(0),
        );
        assert_eq!(
            op.to_json(),
            json!({"op": "wait", "table": "T", "where": [], "columns": ["a"], "until": "!=", "rows": [{"a": 1}], "timeout": 0})
        );
        assert_eq!(
            Operation::Comment("hi".into()).to_json(),
            json!({"op": "comment", "comment": "hi"})
        );
        assert_eq!(
            Operation::Commit { durable: false }.to_json(),
            json!({"op": "commit", "durable": false})
        );
        assert_eq!(Operation::Abort.to_json(), json!({"op": "abort"}));
        assert_eq!(
            Operation::Assert { lock: "l".into() }.to_json(),
            json!({"op": "assert", "lock": "l"})
        );
    }
}
