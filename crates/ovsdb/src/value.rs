//! Column values (RFC 7047 §5.1 `<value>`): an atom, a set `["set", [...]]` or a map
//! `["map", [[k, v], ...]]`, and rows of them.
//!
//! A set of exactly one element may be sent as the bare atom, and ovsdb-server does so. Decoding
//! keeps what was on the wire (`Value::Atom`); [`Value::atoms`] reads both forms alike, and values the
//! client hands out from a cache or a `select` are normalized to the column's type (see
//! [`Value::normalize`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

use crate::atom::{Atom, DecodeError};
use crate::schema::{ColumnType, TableSchema};

/// One column's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A bare atom: a scalar column, or the one-element shorthand of a set.
    Atom(Atom),
    Set(Vec<Atom>),
    Map(Vec<(Atom, Atom)>),
}

/// A row: column name → value. Only the columns that were sent or requested are present.
pub type Row = BTreeMap<String, Value>;

impl Value {
    /// The empty set, which is also how an optional column says "no value".
    pub fn empty() -> Value {
        Value::Set(Vec::new())
    }

    pub fn set<I, A>(atoms: I) -> Value
    where
        I: IntoIterator<Item = A>,
        A: Into<Atom>,
    {
        Value::Set(atoms.into_iter().map(Into::into).collect())
    }

    pub fn map<I, K, V>(pairs: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<Atom>,
        V: Into<Atom>,
    {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The elements when this is a set (a bare atom is a set of one); empty for a map.
    pub fn atoms(&self) -> &[Atom] {
        match self {
            Value::Atom(a) => std::slice::from_ref(a),
            Value::Set(atoms) => atoms,
            Value::Map(_) => &[],
        }
    }

    /// The atoms of a scalar or a set, owned (none for a map).
    pub fn into_atoms(self) -> Vec<Atom> {
        match self {
            Value::Atom(a) => vec![a],
            Value::Set(atoms) => atoms,
            Value::Map(_) => Vec::new(),
        }
    }

    /// The single atom of a scalar, or of a set with exactly one element.
    pub fn as_atom(&self) -> Option<&Atom> {
        match self.atoms() {
            [one] => Some(one),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        self.as_atom().and_then(Atom::as_str)
    }

    pub fn as_map(&self) -> Option<&[(Atom, Atom)]> {
        match self {
            Value::Map(pairs) => Some(pairs),
            // An empty set and an empty map look alike on the wire after normalization is skipped.
            Value::Set(atoms) if atoms.is_empty() => Some(&[]),
            _ => None,
        }
    }

    /// The value under `key` when this is a map.
    pub fn get(&self, key: &Atom) -> Option<&Atom> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The RFC 7047 JSON encoding. A `Set` is always sent in the `["set", ...]` form.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Atom(a) => a.to_json(),
            Value::Set(atoms) => Json::Array(vec![
                "set".into(),
                atoms.iter().map(Atom::to_json).collect(),
            ]),
            Value::Map(pairs) => Json::Array(vec![
                "map".into(),
                pairs
                    .iter()
                    .map(|(k, v)| Json::Array(vec![k.to_json(), v.to_json()]))
                    .collect(),
            ]),
        }
    }

    /// Decodes a value from its RFC 7047 JSON encoding, accepting the bare-atom set shorthand.
    pub fn from_json(json: &Json) -> Result<Value, DecodeError> {
        if let Json::Array(items) = json {
            match items.as_slice() {
                [Json::String(tag), Json::Array(elements)] if tag == "set" => {
                    return elements
                        .iter()
                        .map(Atom::from_json)
                        .collect::<Result<_, _>>()
                        .map(Value::Set);
                }
                [Json::String(tag), Json::Array(pairs)] if tag == "map" => {
                    return pairs
                        .iter()
                        .map(|pair| match pair {
                            Json::Array(kv) if kv.len() == 2 => {
                                Ok((Atom::from_json(&kv[0])?, Atom::from_json(&kv[1])?))
                            }
                            _ => Err(DecodeError::new(
                                "map entry is not a [key, value] pair",
                                pair,
                            )),
                        })
                        .collect::<Result<_, _>>()
                        .map(Value::Map);
                }
                _ => {}
            }
        }
        Atom::from_json(json).map(Value::Atom)
    }

    /// Puts the value in the one shape its column type allows: a bare atom for a scalar column
    /// (exactly one element), a `Set` for any other set column (so the one-element shorthand
    /// disappears), a `Map` for a map column; integral reals become reals.
    pub fn normalize(self, ty: &ColumnType) -> Value {
        let key = ty.key.atomic;
        if let Some(value_type) = &ty.value {
            let value = value_type.atomic;
            return match self {
                Value::Map(pairs) => Value::Map(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.coerce(key), v.coerce(value)))
                        .collect(),
                ),
                Value::Set(atoms) if atoms.is_empty() => Value::Map(Vec::new()),
                other => other,
            };
        }
        let atoms = match self {
            Value::Atom(a) => vec![a.coerce(key)],
            Value::Set(atoms) => atoms.into_iter().map(|a| a.coerce(key)).collect(),
            map @ Value::Map(_) => return map,
        };
        if ty.is_scalar() && atoms.len() == 1 {
            atoms
                .into_iter()
                .next()
                .map_or_else(Value::empty, Value::Atom)
        } else {
            Value::Set(atoms)
        }
    }
}

impl From<Atom> for Value {
    fn from(a: Atom) -> Self {
        Value::Atom(a)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Atom(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Atom(v.into())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Atom(v.into())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Atom(v.into())
    }
}

impl From<uuid::Uuid> for Value {
    fn from(v: uuid::Uuid) -> Self {
        Value::Atom(v.into())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(deserializer)?;
        Value::from_json(&json).map_err(serde::de::Error::custom)
    }
}

/// Encodes a row as the JSON object the protocol uses.
pub fn row_to_json(row: &Row) -> Json {
    Json::Object(row.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// Decodes a row; with the table's schema, its values are normalized to their column types.
pub fn row_from_json(json: &Json, table: Option<&TableSchema>) -> Result<Row, DecodeError> {
    let Json::Object(columns) = json else {
        return Err(DecodeError::new("row is not an object", json));
    };
    columns
        .iter()
        .map(|(name, value)| {
            let value = Value::from_json(value)
                .map_err(|e| DecodeError(format!("column {name}: {}", e.0)))?;
            let value = match table.and_then(|t| t.columns.get(name)) {
                Some(column) => value.normalize(&column.column_type),
                None => value,
            };
            Ok((name.clone(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atom::tests::any_atom;
    use crate::schema::ColumnType;
    use proptest::prelude::*;
    use serde_json::json;

    fn any_set() -> impl Strategy<Value = Value> {
        proptest::collection::vec(any_atom(), 0..8).prop_map(Value::Set)
    }

    fn any_map() -> impl Strategy<Value = Value> {
        proptest::collection::vec((any_atom(), any_atom()), 0..8).prop_map(Value::Map)
    }

    fn through_text(value: &Value) -> Value {
        let text = serde_json::to_string(value).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    proptest! {
        #[test]
        fn sets_round_trip(set in any_set()) {
            prop_assert_eq!(through_text(&set), set);
        }

        #[test]
        fn maps_round_trip(map in any_map()) {
            prop_assert_eq!(through_text(&map), map);
        }

        #[test]
        fn bare_atoms_round_trip(atom in any_atom()) {
            let value = Value::Atom(atom);
            prop_assert_eq!(through_text(&value), value);
        }

        #[test]
        fn one_element_shorthand_is_the_same_set(atom in any_atom()) {
            let bare = Value::from_json(&atom.to_json()).unwrap();
            let long = Value::from_json(&json!(["set", [atom.to_json()]])).unwrap();
            prop_assert_eq!(bare.atoms(), long.atoms());
            let ty = ColumnType::set_of(atom.atomic_type());
            prop_assert_eq!(bare.normalize(&ty), long.normalize(&ty));
        }
    }

    #[test]
    fn encodes_as_rfc7047() {
        assert_eq!(Value::set(["a", "b"]).to_json(), json!(["set", ["a", "b"]]));
        assert_eq!(
            Value::map([("k", "v")]).to_json(),
            json!(["map", [["k", "v"]]])
        );
        assert_eq!(Value::empty().to_json(), json!(["set", []]));
    }

    #[test]
    fn rejects_malformed_maps() {
        assert!(Value::from_json(&json!(["map", [["k"]]])).is_err());
        assert!(Value::from_json(&json!(["map", [["k", ["set", []]]]])).is_err());
        assert!(Value::from_json(&json!(["set", [["set", []]]])).is_err());
    }
}
