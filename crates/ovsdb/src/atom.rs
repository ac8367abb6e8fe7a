//! Atoms: the scalar values of OVSDB (RFC 7047 §5.1) and their JSON encoding.
//!
//! `integer`, `real`, `boolean` and `string` are plain JSON; a UUID is `["uuid", "<36 chars>"]` and a
//! reference to a row inserted earlier in the same transaction is `["named-uuid", "<id>"]`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;
use uuid::Uuid;

/// One scalar OVSDB value.
#[derive(Debug, Clone, PartialEq)]
pub enum Atom {
    Integer(i64),
    Real(f64),
    Boolean(bool),
    String(String),
    Uuid(Uuid),
    /// A row inserted in the same transaction under this `uuid-name`; only valid in requests.
    NamedUuid(String),
}

/// An atom as an ordered key (a real by its bits), for comparing or searching sets and maps
/// without caring about their order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AtomKey<'a> {
    Integer(i64),
    Real(u64),
    Boolean(bool),
    String(&'a str),
    Uuid(Uuid),
    NamedUuid(&'a str),
}

/// The five atomic types of a schema (RFC 7047 §3.2 `<atomic-type>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtomicType {
    Integer,
    Real,
    Boolean,
    String,
    Uuid,
}

impl AtomicType {
    /// The schema's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            AtomicType::Integer => "integer",
            AtomicType::Real => "real",
            AtomicType::Boolean => "boolean",
            AtomicType::String => "string",
            AtomicType::Uuid => "uuid",
        }
    }

    /// Parses the schema's name for the type.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "integer" => AtomicType::Integer,
            "real" => AtomicType::Real,
            "boolean" => AtomicType::Boolean,
            "string" => AtomicType::String,
            "uuid" => AtomicType::Uuid,
            _ => return None,
        })
    }
}

impl fmt::Display for AtomicType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A JSON text that is not a valid OVSDB atom, value, row or reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

impl DecodeError {
    pub(crate) fn new(what: impl Into<String>, json: &Json) -> Self {
        let mut text = json.to_string();
        if text.len() > 200 {
            // Keep error messages readable when a whole row is malformed.
            let cut = (0..=200)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        DecodeError(format!("{}: {text}", what.into()))
    }
}

impl Atom {
    /// This atom as an [`AtomKey`] (ordered, borrowed).
    pub fn key(&self) -> AtomKey<'_> {
        match self {
            Atom::Integer(i) => AtomKey::Integer(*i),
            Atom::Real(r) => AtomKey::Real(r.to_bits()),
            Atom::Boolean(b) => AtomKey::Boolean(*b),
            Atom::String(s) => AtomKey::String(s),
            Atom::Uuid(u) => AtomKey::Uuid(*u),
            Atom::NamedUuid(n) => AtomKey::NamedUuid(n),
        }
    }

    /// The RFC 7047 JSON encoding of this atom.
    ///
    /// A non-finite real has no JSON encoding; it becomes `null`, which the server rejects.
    pub fn to_json(&self) -> Json {
        match self {
            Atom::Integer(i) => Json::from(*i),
            Atom::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
            Atom::Boolean(b) => Json::Bool(*b),
            Atom::String(s) => Json::String(s.clone()),
            Atom::Uuid(u) => Json::Array(vec!["uuid".into(), Json::String(u.to_string())]),
            Atom::NamedUuid(n) => Json::Array(vec!["named-uuid".into(), Json::String(n.clone())]),
        }
    }

    /// Decodes an atom from its RFC 7047 JSON encoding.
    pub fn from_json(json: &Json) -> Result<Atom, DecodeError> {
        match json {
            Json::Bool(b) => Ok(Atom::Boolean(*b)),
            Json::String(s) => Ok(Atom::String(s.clone())),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Atom::Integer(i))
                } else if n.is_u64() {
                    Err(DecodeError::new(
                        "integer out of the 64-bit signed range",
                        json,
                    ))
                } else {
                    n.as_f64()
                        .map(Atom::Real)
                        .ok_or_else(|| DecodeError::new("unrepresentable number", json))
                }
            }
            Json::Array(items) => match items.as_slice() {
                [Json::String(tag), Json::String(text)] if tag == "uuid" => parse_uuid(text)
                    .map(Atom::Uuid)
                    .ok_or_else(|| DecodeError::new("invalid uuid", json)),
                [Json::String(tag), Json::String(name)] if tag == "named-uuid" => {
                    if is_id(name) {
                        Ok(Atom::NamedUuid(name.clone()))
                    } else {
                        Err(DecodeError::new("invalid named-uuid", json))
                    }
                }
                _ => Err(DecodeError::new("not an atom", json)),
            },
            Json::Null | Json::Object(_) => Err(DecodeError::new("not an atom", json)),
        }
    }

    /// The atomic type of this atom (a named UUID is a `uuid`).
    pub fn atomic_type(&self) -> AtomicType {
        match self {
            Atom::Integer(_) => AtomicType::Integer,
            Atom::Real(_) => AtomicType::Real,
            Atom::Boolean(_) => AtomicType::Boolean,
            Atom::String(_) => AtomicType::String,
            Atom::Uuid(_) | Atom::NamedUuid(_) => AtomicType::Uuid,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Atom::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Atom::Integer(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Atom::Real(r) => Some(*r),
            Atom::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Atom::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_uuid(&self) -> Option<Uuid> {
        match self {
            Atom::Uuid(u) => Some(*u),
            _ => None,
        }
    }

    /// Converts the atom to the column's type where JSON cannot tell them apart: the server writes a
    /// `real` with an integral value as `2`, which decodes as an integer.
    pub(crate) fn coerce(self, to: AtomicType) -> Atom {
        match (self, to) {
            (Atom::Integer(i), AtomicType::Real) => Atom::Real(i as f64),
            (atom, _) => atom,
        }
    }
}

/// RFC 7047 `<uuid>`: exactly the 36-character hyphenated form.
fn parse_uuid(text: &str) -> Option<Uuid> {
    if text.len() != 36 {
        return None;
    }
    Uuid::parse_str(text).ok()
}

/// RFC 7047 `<id>`: a letter or `_`, then letters, digits or `_`.
pub(crate) fn is_id(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Integer(i) => write!(f, "{i}"),
            Atom::Real(r) => write!(f, "{r}"),
            Atom::Boolean(b) => write!(f, "{b}"),
            Atom::String(s) => write!(f, "{s:?}"),
            Atom::Uuid(u) => write!(f, "{u}"),
            Atom::NamedUuid(n) => write!(f, "@{n}"),
        }
    }
}

impl From<i64> for Atom {
    fn from(v: i64) -> Self {
        Atom::Integer(v)
    }
}

impl From<f64> for Atom {
    fn from(v: f64) -> Self {
        Atom::Real(v)
    }
}

impl From<bool> for Atom {
    fn from(v: bool) -> Self {
        Atom::Boolean(v)
    }
}

impl From<&str> for Atom {
    fn from(v: &str) -> Self {
        Atom::String(v.to_owned())
    }
}

impl From<String> for Atom {
    fn from(v: String) -> Self {
        Atom::String(v)
    }
}

impl From<Uuid> for Atom {
    fn from(v: Uuid) -> Self {
        Atom::Uuid(v)
    }
}

impl Serialize for Atom {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Atom {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(deserializer)?;
        Atom::from_json(&json).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    pub(crate) fn any_atom() -> impl Strategy<Value = Atom> {
        prop_oneof![
            any::<i64>().prop_map(Atom::Integer),
            any::<f64>()
                .prop_filter("finite", |r| r.is_finite())
                .prop_map(Atom::Real),
            any::<bool>().prop_map(Atom::Boolean),
            "\\PC*".prop_map(Atom::String),
            any::<u128>().prop_map(|n| Atom::Uuid(Uuid::from_u128(n))),
            "[a-zA-Z_][a-zA-Z0-9_]{0,12}".prop_map(Atom::NamedUuid),
        ]
    }

    fn round_trip(atom: &Atom) -> Atom {
        let text = serde_json::to_string(atom).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    proptest! {
        #[test]
        fn atoms_round_trip_through_json_text(atom in any_atom()) {
            prop_assert_eq!(round_trip(&atom), atom);
        }
    }

    #[test]
    fn encodes_as_rfc7047() {
        let u = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(
            Atom::Uuid(u).to_json(),
            json!(["uuid", "01234567-89ab-cdef-0123-456789abcdef"])
        );
        assert_eq!(
            Atom::NamedUuid("row1".into()).to_json(),
            json!(["named-uuid", "row1"])
        );
        assert_eq!(Atom::Integer(-5).to_json(), json!(-5));
        assert_eq!(Atom::Real(2.0).to_json(), json!(2.0));
        assert_eq!(Atom::from("x").to_json(), json!("x"));
    }

    #[test]
    fn rejects_what_is_not_an_atom() {
        for bad in [
            json!(null),
            json!({}),
            json!(["uuid", "not-a-uuid"]),
            json!(["uuid", "0123456789abcdef0123456789abcdef"]),
            json!(["named-uuid", "1abc"]),
            json!(["set", []]),
            json!(18446744073709551615u64),
        ] {
            assert!(Atom::from_json(&bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn integral_reals_from_the_server_become_reals() {
        let atom = Atom::from_json(&json!(2)).unwrap().coerce(AtomicType::Real);
        assert_eq!(atom, Atom::Real(2.0));
    }
}
