//! Reading the reply to `transact` (RFC 7047 §4.1.3): one result per operation, or an error at the
//! operation that failed, or one extra error after the last operation when the commit failed.

use serde_json::Value as Json;
use uuid::Uuid;

use crate::atom::{Atom, DecodeError};
use crate::error::Error;
use crate::operation::Operation;
use crate::schema::DatabaseSchema;
use crate::value::{Row, row_from_json};

/// What one successful operation returned.
#[derive(Debug, Clone, PartialEq)]
pub enum OperationResult {
    /// `insert`: the new row's UUID.
    Inserted(Uuid),
    /// `select`: the rows, normalized to the schema's column types.
    Rows(Vec<Row>),
    /// `update`, `mutate`, `delete`: how many rows matched.
    Count(u64),
    /// Every other operation.
    Done,
}

impl OperationResult {
    pub fn uuid(&self) -> Option<Uuid> {
        match self {
            OperationResult::Inserted(u) => Some(*u),
            _ => None,
        }
    }

    pub fn rows(&self) -> Option<&[Row]> {
        match self {
            OperationResult::Rows(rows) => Some(rows),
            _ => None,
        }
    }

    pub fn count(&self) -> Option<u64> {
        match self {
            OperationResult::Count(n) => Some(*n),
            _ => None,
        }
    }
}

/// Turns the `result` of a `transact` into per-operation results, or the first error in it.
pub(crate) fn read_results(
    remote: &str,
    operations: &[Operation],
    reply: Json,
    schema: Option<&DatabaseSchema>,
) -> Result<Vec<OperationResult>, Error> {
    let Json::Array(entries) = reply else {
        return Err(Error::protocol(
            remote,
            format!("transact result is not an array: {reply}"),
        ));
    };
    // An error anywhere wins, even after results: the transaction as a whole was not committed.
    for (index, entry) in entries.iter().enumerate() {
        if let Some(error) = entry.get("error") {
            let operation = operations
                .get(index)
                .map_or_else(|| "commit".to_owned(), Operation::describe);
            return Err(Error::Transaction {
                index,
                operation,
                error: error
                    .as_str()
                    .map_or_else(|| error.to_string(), str::to_owned),
                details: entry
                    .get("details")
                    .and_then(Json::as_str)
                    .map(str::to_owned),
            });
        }
    }
    if entries.len() < operations.len() {
        return Err(Error::protocol(
            remote,
            format!(
                "{} results for {} operations and no error",
                entries.len(),
                operations.len()
            ),
        ));
    }
    operations
        .iter()
        .zip(entries)
        .map(|(op, entry)| read_one(op, &entry, schema).map_err(|e| Error::decode(remote, e)))
        .collect()
}

fn read_one(
    op: &Operation,
    entry: &Json,
    schema: Option<&DatabaseSchema>,
) -> Result<OperationResult, DecodeError> {
    match op {
        Operation::Insert { .. } => {
            let uuid = entry
                .get("uuid")
                .ok_or_else(|| DecodeError::new("insert result without uuid", entry))?;
            match Atom::from_json(uuid)? {
                Atom::Uuid(u) => Ok(OperationResult::Inserted(u)),
                _ => Err(DecodeError::new("insert result uuid is not a uuid", entry)),
            }
        }
        Operation::Select { table, .. } => {
            let rows = entry
                .get("rows")
                .and_then(Json::as_array)
                .ok_or_else(|| DecodeError::new("select result without rows", entry))?;
            let table = schema.and_then(|s| s.tables.get(table));
            rows.iter()
                .map(|r| row_from_json(r, table))
                .collect::<Result<_, _>>()
                .map(OperationResult::Rows)
        }
        Operation::Update { .. } | Operation::Mutate { .. } | Operation::Delete { .. } => entry
            .get("count")
            .and_then(Json::as_u64)
            .map(OperationResult::Count)
            .ok_or_else(|| DecodeError::new("result without count", entry)),
        _ => Ok(OperationResult::Done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Condition, row};
    use serde_json::json;

    fn ops() -> Vec<Operation> {
        vec![
            Operation::insert("T", row([("a", 1i64)])),
            Operation::select("T", vec![]),
            Operation::delete("T", vec![Condition::eq("a", 1i64)]),
        ]
    }

    #[test]
    fn reads_results() {
        let reply = json!([{"uuid": ["uuid", "01234567-89ab-cdef-0123-456789abcdef"]}, {"rows": [{"a": 1}]}, {"count": 1}]);
        let results = read_results("r", &ops(), reply, None).unwrap();
        assert!(results[0].uuid().is_some());
        assert_eq!(results[1].rows().map(<[Row]>::len), Some(1));
        assert_eq!(results[2].count(), Some(1));
    }

    #[test]
    fn names_the_failing_operation() {
        let reply = json!([{"uuid": ["uuid", "01234567-89ab-cdef-0123-456789abcdef"]}, {"error": "timed out", "details": "d"}, null]);
        match read_results("r", &ops(), reply, None) {
            Err(Error::Transaction {
                index: 1,
                operation,
                error,
                details,
            }) => {
                assert_eq!(operation, "select on T");
                assert_eq!(error, "timed out");
                assert_eq!(details.as_deref(), Some("d"));
            }
            other => panic!("{other:?}"),
        }
        let reply = json!([{}, {"rows": []}, {"count": 0}, {"error": "constraint violation"}]);
        match read_results("r", &ops(), reply, None) {
            Err(e @ Error::Transaction { index: 3, .. }) => {
                assert_eq!(
                    e.to_string(),
                    "transaction failed at operation 3 (commit): constraint violation"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
