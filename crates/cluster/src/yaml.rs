//! A YAML document as a tree of nodes that remember where they came from.
//!
//! Operators' objects are read into this generic tree first, not straight into typed structs, so that
//! every problem — an unknown field, a wrong type, a dangling reference — can be reported as a finding
//! with its file:line and the check can go on, instead of stopping at the first serde error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// One YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys keep their own positions so an unknown field can be pointed at.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The word used in "expected a string, found a list" messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping node (None for a missing key or a non-mapping).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A scalar as text: YAML writes `mtu: 9000` and `id: "9000"` alike, and netplan does not care.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Parses every document of a multi-document YAML text. Empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    serde_saphyr::from_multiple::<Node>(text).map_err(SyntaxError::from_saphyr)
}

/// Parses a text that must hold exactly one document (e.g. a rendered npTemplate).
pub fn parse_document(text: &str) -> Result<Node, SyntaxError> {
    let mut docs = parse_documents(text)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => Ok(Node {
            pos: Pos { line: 1, column: 1 },
            value: Value::Null,
        }),
        n => Err(SyntaxError {
            pos: Pos { line: 1, column: 1 },
            message: format!("expected one YAML document, found {n}"),
        }),
    }
}

/// A YAML syntax error with its position, without the source snippet the parser likes to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl SyntaxError {
    fn from_saphyr(err: serde_saphyr::Error) -> Self {
        let pos = err
            .location()
            .map(|l| Pos {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX),
                column: u32::try_from(l.column()).unwrap_or(u32::MAX),
            })
            .unwrap_or_default();
        let rendered = err.without_snippet().to_string();
        // The first line carries the reason; the rest repeats the position.
        let message = rendered
            .lines()
            .next()
            .unwrap_or("invalid YAML")
            .trim()
            .to_string();
        SyntaxError { pos, message }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            pos: Pos {
                line: u32::try_from(spanned.referenced.line()).unwrap_or(u32::MAX),
                column: u32::try_from(spanned.referenced.column()).unwrap_or(u32::MAX),
            },
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Ok(Value::Str(v.to_string())),
        }
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::Str(v.to_string()), Value::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::Str(v.to_string()), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_absolute_across_documents() {
        let text = "a: 1\n---\nkind: Subnet\nspec:\n  cidr: 10.0.0.0/24\n  list:\n    - x\n";
        let docs = parse_documents(text).expect("valid yaml");
        assert_eq!(docs.len(), 2);
        let spec = docs[1].get("spec").expect("spec");
        let cidr = spec.get("cidr").expect("cidr");
        assert_eq!(cidr.pos.line, 5);
        assert_eq!(cidr.as_str(), Some("10.0.0.0/24"));
        let item = &spec.get("list").and_then(Node::as_seq).expect("list")[0];
        assert_eq!(item.pos.line, 7);
        let key = &docs[1].as_map().expect("map")[0].0;
        assert_eq!((key.pos.line, key.pos.column), (3, 1));
    }

    #[test]
    fn syntax_error_has_a_line() {
        let err = parse_documents("a: 1\nb: [1, 2\nc: 3\n").expect_err("invalid");
        assert!(err.pos.line >= 2, "{err:?}");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn scalars_keep_their_types() {
        let doc =
            parse_document("a: \"1\"\nb: 1\nc: true\nd: 52:54:00:aa:bb:cc\ne: ~\n").expect("valid");
        assert_eq!(
            doc.get("a").map(|n| &n.value),
            Some(&Value::Str("1".into()))
        );
        assert_eq!(doc.get("b").map(|n| &n.value), Some(&Value::Int(1)));
        assert_eq!(doc.get("c").map(|n| &n.value), Some(&Value::Bool(true)));
        assert_eq!(
            doc.get("d").and_then(Node::as_str),
            Some("52:54:00:aa:bb:cc")
        );
        assert_eq!(doc.get("e").map(|n| &n.value), Some(&Value::Null));
    }
}
