//! Request bodies of the identity calls: `{"<member>": {...}}` with typed fields, and new ids.

use axum::body::Bytes;
use serde_json::{Map, Value};

use crate::http::ApiError;
use crate::model;

/// The attributes of one entity in a request body.
pub(crate) struct Fields {
    member: &'static str,
    object: Map<String, Value>,
}

/// Attributes of a user with a meaning of their own; every other one is kept as given (email,
/// description, ...), as Keystone keeps a user's extra attributes.
const USER_ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "password",
    "enabled",
    "domain_id",
    "default_project_id",
    "links",
    "options",
    "password_expires_at",
];

impl Fields {
    /// The object under `member` of a JSON body: 400 when the body is not one.
    pub(crate) fn of(body: &Bytes, member: &'static str) -> Result<Fields, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("Malformed request body: {e}")))?;
        match value {
            Value::Object(mut top) => match top.remove(member) {
                Some(Value::Object(object)) => Ok(Fields { member, object }),
                _ => Err(ApiError::bad_request(format!(
                    "Expecting to find {member} in request body."
                ))),
            },
            _ => Err(ApiError::bad_request(
                "The request body must be a JSON object.",
            )),
        }
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.object.contains_key(key)
    }

    fn invalid(&self, key: &str, what: &str) -> ApiError {
        ApiError::bad_request(format!(
            "Invalid input for field '{key}' of {}: {what}.",
            self.member
        ))
    }

    /// A string attribute; `None` when absent or null.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(key, "expected a string")),
        }
    }

    /// A boolean attribute; `None` when absent or null.
    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(key, "expected a boolean")),
        }
    }

    /// The required `name`: 1 to `max` characters, not only blanks, no control characters.
    pub(crate) fn name(&self, max: usize) -> Result<String, ApiError> {
        let Some(name) = self.string("name")? else {
            return Err(self.invalid("name", "'name' is a required property"));
        };
        if name.trim().is_empty()
            || name.chars().count() > max
            || name.chars().any(char::is_control)
        {
            return Err(self.invalid(
                "name",
                &format!("1 to {max} characters, not only blanks, no control characters"),
            ));
        }
        Ok(name)
    }

    /// The `name` as given, for messages.
    pub(crate) fn name_text(&self) -> String {
        self.string("name").ok().flatten().unwrap_or_default()
    }

    /// A user's extra attributes: `old` with this body's other attributes set (null removes).
    pub(crate) fn extra(&self, old: &Map<String, Value>) -> String {
        let mut extra = old.clone();
        for (key, value) in &self.object {
            if USER_ATTRIBUTES.contains(&key.as_str()) {
                continue;
            }
            if value.is_null() {
                extra.remove(key);
            } else {
                extra.insert(key.clone(), value.clone());
            }
        }
        Value::Object(extra).to_string()
    }
}

/// A new random id: 32 lowercase hex characters, like Keystone's.
pub(crate) fn new_id() -> String {
    let mut id = [0u8; 16];
    rand::fill(&mut id[..]);
    model::hex(&id)
}
