//! Request bodies: the attribute checks upstream's `prepare_request_body` makes, in its order,
//! and typed readers for attribute values with upstream's validator messages.

use serde_json::{Map, Value};

use crate::{Caller, Error, Result};

/// One attribute of a resource, as its attribute map declares it.
pub struct Attr {
    pub name: &'static str,
    /// Settable on create.
    pub post: bool,
    /// Settable on update.
    pub put: bool,
    /// Must be given on create.
    pub required: bool,
}

pub const fn attr(name: &'static str, post: bool, put: bool) -> Attr {
    Attr {
        name,
        post,
        put,
        required: false,
    }
}

pub const fn required(name: &'static str) -> Attr {
    Attr {
        name,
        post: true,
        put: false,
        required: true,
    }
}

/// Create or update.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Create,
    Update,
}

/// Checks which attributes are present: unknown ones, ones not allowed for `op`, missing
/// required ones. Values are checked later by the readers of [`Body`].
pub fn check_attributes(body: &Map<String, Value>, attrs: &[Attr], op: Op) -> Result<()> {
    let mut unknown: Vec<&str> = body
        .keys()
        .filter(|k| !attrs.iter().any(|a| a.name == k.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(Error::bad_request(format!(
            "Unrecognized attribute(s) '{}'",
            unknown.join(", ")
        )));
    }
    for a in attrs {
        let present = body.contains_key(a.name);
        match op {
            Op::Create if present && !a.post => {
                return Err(Error::bad_request(format!(
                    "Attribute '{}' not allowed in POST",
                    a.name
                )));
            }
            Op::Create if a.required && !present => {
                return Err(Error::bad_request(format!(
                    "Failed to parse request. Required attribute '{}' not specified",
                    a.name
                )));
            }
            Op::Update if present && !a.put => {
                return Err(Error::bad_request(format!(
                    "Cannot update read-only attribute {}",
                    a.name
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The owner of a new resource: `project_id`/`tenant_id` if given (they must agree, and only an
/// admin may name another project), else the caller's project.
pub fn owner(body: &Map<String, Value>, caller: &Caller) -> Result<String> {
    let read = |k: &str| -> Result<Option<String>> {
        match body.get(k) {
            None => Ok(None),
            Some(Value::String(s)) if s.len() <= 255 => Ok(Some(s.clone())),
            Some(v) => Err(Error::invalid_attr(
                k,
                format!("'{}' is not a valid string", show(v)),
            )),
        }
    };
    let project = match (read("project_id")?, read("tenant_id")?) {
        (Some(p), Some(t)) if p != t => {
            return Err(Error::bad_request(
                "'project_id' and 'tenant_id' do not match",
            ));
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => return Ok(caller.project_id.clone()),
    };
    if project != caller.project_id && !caller.is_admin() {
        return Err(Error::bad_request(
            "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user.",
        ));
    }
    Ok(project)
}

/// A value as upstream quotes it in messages (`'abc'`, `'1'`, `'None'`).
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// Typed readers of a request body's attributes.
pub struct Body<'a>(pub &'a Map<String, Value>);

impl Body<'_> {
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A string of at most `max` characters.
    pub fn string(&self, name: &str, max: usize) -> Result<Option<String>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
            Some(Value::String(s)) => Err(Error::invalid_attr(
                name,
                format!("'{s}' exceeds maximum length of {max}"),
            )),
            Some(v) => Err(Error::invalid_attr(
                name,
                format!("'{}' is not a valid string", show(v)),
            )),
        }
    }

    /// A UUID; `null` reads as absent.
    pub fn uuid(&self, name: &str) -> Result<Option<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Ok(Some(s.clone())),
            Some(v) => Err(Error::invalid_attr(
                name,
                format!("'{}' is not a valid UUID", show(v)),
            )),
        }
    }

    /// A resource name: a string without control characters or surrounding blanks.
    pub fn name(&self, name: &str) -> Result<Option<String>> {
        let s = self.string(name, 255)?;
        if let Some(s) = &s
            && (s.chars().any(char::is_control) || s.trim() != s)
        {
            return Err(Error::invalid_attr(
                name,
                format!("'{s}' is not a valid string"),
            ));
        }
        Ok(s)
    }

    /// A boolean, converted as neutron_lib's `convert_to_boolean` does.
    pub fn bool(&self, name: &str) -> Result<Option<bool>> {
        match self.0.get(name) {
            None => Ok(None),
            // The converter raises `InvalidInput` itself, before any validator names the
            // attribute.
            Some(v) => to_bool(v).map(Some).ok_or_else(|| {
                Error::invalid_input(format!("'{}' cannot be converted to boolean", show(v)))
            }),
        }
    }

    /// A boolean that may be `null` (`convert_to_boolean_if_not_none`): null reads as absent.
    pub fn bool_or_null(&self, name: &str) -> Result<Option<bool>> {
        match self.0.get(name) {
            Some(Value::Null) => Ok(None),
            _ => self.bool(name),
        }
    }

    /// An integer (`convert_to_int`: ints given as strings are converted); `null` reads as absent.
    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => to_int(v).map(Some).ok_or_else(|| {
                Error::invalid_attr(name, format!("'{}' is not an integer", show(v)))
            }),
        }
    }

    /// A non-negative integer (ints given as strings are converted, as upstream does).
    pub fn uint(&self, name: &str) -> Result<Option<u64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => to_int(v)
                .filter(|n| *n >= 0)
                .map(|n| Some(n as u64))
                .ok_or_else(|| {
                    Error::invalid_attr(
                        name,
                        format!("'{}' is not a non-negative integer", show(v)),
                    )
                }),
        }
    }

    /// A list of strings; `null` reads as empty.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Vec::new())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(Error::invalid_attr(
                        name,
                        format!("'{}' is not a valid string", show(other)),
                    )),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(Error::invalid_attr(
                name,
                format!("'{}' is not a list", show(v)),
            )),
        }
    }

    /// A list of objects; `null` reads as empty.
    pub fn object_list(&self, name: &str) -> Result<Option<Vec<&Map<String, Value>>>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Vec::new())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    other => Err(Error::invalid_attr(
                        name,
                        format!("'{}' is not a dictionary", show(other)),
                    )),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(Error::invalid_attr(
                name,
                format!("'{}' is not a list", show(v)),
            )),
        }
    }
}

/// neutron_lib `convert_to_boolean`.
pub fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        // oslo's `bool_from_string(strict=True)`.
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "t" | "on" | "y" | "yes" => Some(true),
            "false" | "0" | "f" | "off" | "n" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// neutron_lib `convert_to_int`.
pub fn to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ATTRS: &[Attr] = &[
        attr("id", false, false),
        attr("name", true, true),
        required("network_id"),
    ];

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn attribute_presence_rules() {
        let e = check_attributes(&map(json!({"foo": 1, "bar": 2})), ATTRS, Op::Create).unwrap_err();
        assert_eq!(e.message, "Unrecognized attribute(s) 'bar, foo'");
        let e = check_attributes(
            &map(json!({"id": "x", "network_id": "n"})),
            ATTRS,
            Op::Create,
        )
        .unwrap_err();
        assert_eq!(e.message, "Attribute 'id' not allowed in POST");
        let e = check_attributes(&map(json!({"name": "x"})), ATTRS, Op::Create).unwrap_err();
        assert_eq!(
            e.message,
            "Failed to parse request. Required attribute 'network_id' not specified"
        );
        let e = check_attributes(&map(json!({"network_id": "n"})), ATTRS, Op::Update).unwrap_err();
        assert_eq!(e.message, "Cannot update read-only attribute network_id");
        assert!(check_attributes(&map(json!({"name": "x"})), ATTRS, Op::Update).is_ok());
    }

    #[test]
    fn booleans_convert_like_upstream() {
        for (v, b) in [
            (json!(true), true),
            (json!("True"), true),
            (json!("0"), false),
            (json!(1), true),
            // oslo's strict bool_from_string also takes yes/no, on/off, t/f, y/n.
            (json!("yes"), true),
            (json!("Off"), false),
        ] {
            assert_eq!(to_bool(&v), Some(b));
        }
        assert_eq!(to_bool(&json!("maybe")), None);
        assert_eq!(to_bool(&json!(2)), None);
        assert_eq!(to_bool(&json!(null)), None);
    }

    #[test]
    fn names_reject_blanks_and_control_characters() {
        let m = map(json!({"a": " x", "b": "x\u{7}", "c": "ok name"}));
        let body = Body(&m);
        assert!(body.name("a").is_err());
        assert!(body.name("b").is_err());
        assert_eq!(body.name("c").unwrap().as_deref(), Some("ok name"));
    }
}
