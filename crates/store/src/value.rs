//! The values that cross the store interface: statement arguments and the columns of result
//! rows, the same for every engine.

use crate::StoreError;

/// One SQL value. Booleans are stored as integers (0/1) on every engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Value {
    #[default]
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// `NULL` for `None`.
    pub fn opt_text(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::Text(s.into()))
    }

    pub fn bool(b: bool) -> Value {
        Value::Int(i64::from(b))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(s.clone())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

/// One result row, its columns in the order of the `SELECT`.
#[derive(Clone, Debug, Default)]
pub struct Row(pub(crate) Vec<Value>);

impl Row {
    fn column(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Database(format!("result has no column {i}")))
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.column(i)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(StoreError::Database(format!(
                "column {i} is {other:?}, not text"
            ))),
        }
    }

    /// Column `i` as text, moved out of the row (no copy: lists of documents are megabytes).
    pub fn into_text(mut self, i: usize) -> Result<String, StoreError> {
        match self.0.get_mut(i).map(std::mem::take) {
            Some(Value::Text(s)) => Ok(s),
            other => Err(StoreError::Database(format!(
                "column {i} is {other:?}, not text"
            ))),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.column(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.column(i)? {
            Value::Int(n) => Ok(*n),
            other => Err(StoreError::Database(format!(
                "column {i} is {other:?}, not an integer"
            ))),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.column(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn bool(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.int(i)? != 0)
    }
}
