//! Database schemas (RFC 7047 §3.2) as the server reports them, and the check that the tables and
//! columns a caller relies on exist there with compatible types.
//!
//! The server's schema, not a copy compiled into us, decides how values are read: an OVN upgrade can
//! add columns, and a caller must find out at connect time — not at its first write — when something
//! it needs has gone or changed type.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::atom::{Atom, AtomicType};
use crate::value::Value;

/// A database's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSchema {
    pub name: String,
    pub version: String,
    pub tables: BTreeMap<String, TableSchema>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    pub name: String,
    pub columns: BTreeMap<String, ColumnSchema>,
    pub is_root: bool,
    /// Sets of columns whose values must be unique across the table.
    pub indexes: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    pub name: String,
    pub column_type: ColumnType,
    pub mutable: bool,
    pub ephemeral: bool,
}

/// `<type>`: a key type, an optional value type (then it is a map) and the number of elements.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    pub key: BaseType,
    pub value: Option<BaseType>,
    pub min: u64,
    pub max: Max,
}

/// The most elements a column may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Max {
    Limited(u64),
    Unlimited,
}

/// `<base-type>`: an atomic type and the constraints the client cares about.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseType {
    pub atomic: AtomicType,
    /// The allowed values, for enumerated strings such as `Logical_Switch_Port.type`'s.
    pub allowed: Option<Vec<Atom>>,
    /// For a `uuid`: the table the reference points to.
    pub ref_table: Option<String>,
}

impl BaseType {
    pub fn new(atomic: AtomicType) -> Self {
        BaseType {
            atomic,
            allowed: None,
            ref_table: None,
        }
    }
}

impl ColumnType {
    /// One value exactly (`min` 1, `max` 1, no value type).
    pub fn is_scalar(&self) -> bool {
        self.value.is_none() && self.min == 1 && self.max == Max::Limited(1)
    }

    pub fn is_optional(&self) -> bool {
        self.value.is_none() && self.min == 0 && self.max == Max::Limited(1)
    }

    pub fn is_map(&self) -> bool {
        self.value.is_some()
    }

    /// The value a column holds when nothing was written to it: the empty set or map, or for a
    /// scalar `0`, `0.0`, `false`, `""` or the all-zero UUID. Monitors' `insert`/`initial` rows leave
    /// such columns out.
    pub fn default_value(&self) -> Value {
        if self.value.is_some() {
            return Value::Map(Vec::new());
        }
        if !self.is_scalar() {
            return Value::empty();
        }
        Value::Atom(match self.key.atomic {
            AtomicType::Integer => Atom::Integer(0),
            AtomicType::Real => Atom::Real(0.0),
            AtomicType::Boolean => Atom::Boolean(false),
            AtomicType::String => Atom::String(String::new()),
            AtomicType::Uuid => Atom::Uuid(uuid::Uuid::nil()),
        })
    }

    /// A set of any size of `atomic` (used by tests and callers that build schemas by hand).
    pub fn set_of(atomic: AtomicType) -> Self {
        ColumnType {
            key: BaseType::new(atomic),
            value: None,
            min: 0,
            max: Max::Unlimited,
        }
    }

    fn from_json(json: &Json) -> Result<Self, String> {
        match json {
            Json::String(_) => Ok(ColumnType {
                key: BaseType::from_json(json)?,
                value: None,
                min: 1,
                max: Max::Limited(1),
            }),
            Json::Object(o) => {
                let key = BaseType::from_json(o.get("key").ok_or("type has no key")?)?;
                let value = o.get("value").map(BaseType::from_json).transpose()?;
                let min = match o.get("min") {
                    None => 1,
                    Some(m) => m.as_u64().ok_or_else(|| format!("bad min {m}"))?,
                };
                let max = match o.get("max") {
                    None => Max::Limited(1),
                    Some(Json::String(s)) if s == "unlimited" => Max::Unlimited,
                    Some(m) => Max::Limited(m.as_u64().ok_or_else(|| format!("bad max {m}"))?),
                };
                Ok(ColumnType {
                    key,
                    value,
                    min,
                    max,
                })
            }
            other => Err(format!("bad column type {other}")),
        }
    }
}

impl fmt::Display for ColumnType {
    /// Says the type the way a person would: "string", "optional uuid", "set of string",
    /// "map of string to string".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "map of {} to {}", self.key.atomic, v.atomic),
            None if self.is_scalar() => write!(f, "{}", self.key.atomic),
            None if self.is_optional() => write!(f, "optional {}", self.key.atomic),
            None => write!(f, "set of {}", self.key.atomic),
        }
    }
}

impl BaseType {
    fn from_json(json: &Json) -> Result<Self, String> {
        match json {
            Json::String(name) => AtomicType::from_name(name)
                .map(BaseType::new)
                .ok_or_else(|| format!("unknown atomic type {name}")),
            Json::Object(o) => {
                let name = o
                    .get("type")
                    .and_then(Json::as_str)
                    .ok_or("base type has no type")?;
                let atomic = AtomicType::from_name(name)
                    .ok_or_else(|| format!("unknown atomic type {name}"))?;
                let allowed = match o.get("enum") {
                    None => None,
                    Some(e) => Some(Value::from_json(e).map_err(|e| e.0)?.atoms().to_vec()),
                };
                let ref_table = o.get("refTable").and_then(Json::as_str).map(str::to_owned);
                Ok(BaseType {
                    atomic,
                    allowed,
                    ref_table,
                })
            }
            other => Err(format!("bad base type {other}")),
        }
    }
}

impl DatabaseSchema {
    /// Parses the reply to `get_schema`.
    pub fn from_json(json: &Json) -> Result<Self, SchemaError> {
        let invalid = |what: String| SchemaError::Invalid(what);
        let name = json
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid("no name".into()))?;
        // `version` is optional in RFC 7047; every schema OVN ships has one.
        let version = json
            .get("version")
            .and_then(Json::as_str)
            .unwrap_or("(no version)");
        let tables_json = json
            .get("tables")
            .and_then(Json::as_object)
            .ok_or_else(|| invalid(format!("schema {name} has no tables")))?;
        let mut tables = BTreeMap::new();
        for (table_name, table) in tables_json {
            let columns_json = table
                .get("columns")
                .and_then(Json::as_object)
                .ok_or_else(|| invalid(format!("table {table_name} has no columns")))?;
            let mut columns = BTreeMap::new();
            for (column_name, column) in columns_json {
                let type_json = column.get("type").ok_or_else(|| {
                    invalid(format!("column {table_name}.{column_name} has no type"))
                })?;
                let column_type = ColumnType::from_json(type_json)
                    .map_err(|e| invalid(format!("column {table_name}.{column_name}: {e}")))?;
                columns.insert(
                    column_name.clone(),
                    ColumnSchema {
                        name: column_name.clone(),
                        column_type,
                        mutable: column
                            .get("mutable")
                            .and_then(Json::as_bool)
                            .unwrap_or(true),
                        ephemeral: column
                            .get("ephemeral")
                            .and_then(Json::as_bool)
                            .unwrap_or(false),
                    },
                );
            }
            let indexes = table
                .get("indexes")
                .and_then(Json::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Json::as_array)
                        .map(|cols| {
                            cols.iter()
                                .filter_map(Json::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            tables.insert(
                table_name.clone(),
                TableSchema {
                    name: table_name.clone(),
                    columns,
                    is_root: table.get("isRoot").and_then(Json::as_bool).unwrap_or(false),
                    indexes,
                },
            );
        }
        Ok(DatabaseSchema {
            name: name.to_owned(),
            version: version.to_owned(),
            tables,
        })
    }

    /// "OVN_Northbound 7.0.0": how error messages name the schema.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }

    pub fn table(&self, name: &str) -> Result<&TableSchema, SchemaError> {
        self.tables
            .get(name)
            .ok_or_else(|| SchemaError::MissingTable {
                schema: self.label(),
                table: name.to_owned(),
            })
    }

    pub fn column(&self, table: &str, column: &str) -> Result<&ColumnSchema, SchemaError> {
        self.table(table)?
            .columns
            .get(column)
            .ok_or_else(|| SchemaError::MissingColumn {
                schema: self.label(),
                table: table.to_owned(),
                column: column.to_owned(),
            })
    }

    /// Checks that every table and column in `needs` exists with a compatible type. Reports the first
    /// problem found.
    pub fn check(&self, needs: &[TableNeed]) -> Result<(), SchemaError> {
        for need in needs {
            self.table(&need.table)?;
            for column in &need.columns {
                // `_uuid` and `_version` exist in every table without being declared.
                if column.name == "_uuid" || column.name == "_version" {
                    continue;
                }
                let found = &self.column(&need.table, &column.name)?.column_type;
                if !column.shape.accepts(found) {
                    return Err(SchemaError::IncompatibleColumn {
                        schema: self.label(),
                        table: need.table.clone(),
                        column: column.name.clone(),
                        found: found.to_string(),
                        expected: column.shape.to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// What a caller needs from one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableNeed {
    pub table: String,
    pub columns: Vec<ColumnNeed>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnNeed {
    pub name: String,
    pub shape: Shape,
}

/// The type a caller expects of a column, as loosely as its code can cope with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// Only that the column exists.
    Any,
    /// Exactly one value of this type.
    Scalar(AtomicType),
    /// Zero or one value of this type (a scalar column is accepted too).
    Optional(AtomicType),
    /// Any number of values of this type (scalars and optionals are sets too).
    Set(AtomicType),
    /// A map with these key and value types.
    Map(AtomicType, AtomicType),
}

impl Shape {
    fn accepts(self, ty: &ColumnType) -> bool {
        let key = ty.key.atomic;
        match (self, &ty.value) {
            (Shape::Any, _) => true,
            (Shape::Scalar(t), None) => ty.is_scalar() && key == t,
            (Shape::Optional(t), None) => ty.max == Max::Limited(1) && key == t,
            (Shape::Set(t), None) => key == t,
            (Shape::Map(k, v), Some(value)) => key == k && value.atomic == v,
            _ => false,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Any => write!(f, "any type"),
            Shape::Scalar(t) => write!(f, "{t}"),
            Shape::Optional(t) => write!(f, "optional {t}"),
            Shape::Set(t) => write!(f, "set of {t}"),
            Shape::Map(k, v) => write!(f, "map of {k} to {v}"),
        }
    }
}

impl TableNeed {
    pub fn new(table: impl Into<String>) -> Self {
        TableNeed {
            table: table.into(),
            columns: Vec::new(),
        }
    }

    /// Adds a column the caller reads or writes.
    pub fn column(mut self, name: impl Into<String>, shape: Shape) -> Self {
        self.columns.push(ColumnNeed {
            name: name.into(),
            shape,
        });
        self
    }
}

/// Why a schema does not suit the caller.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// `schema` is the schema's name and version, e.g. "OVN_Northbound 7.0.0".
    #[error("the server's schema {schema} has no table {table}")]
    MissingTable { schema: String, table: String },
    #[error("table {table} has no column {column} in the server's schema {schema}")]
    MissingColumn {
        schema: String,
        table: String,
        column: String,
    },
    #[error(
        "column {table}.{column} is {found} in the server's schema {schema}, expected {expected}"
    )]
    IncompatibleColumn {
        schema: String,
        table: String,
        column: String,
        found: String,
        expected: String,
    },
    #[error("the server sent an invalid schema: {0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> DatabaseSchema {
        DatabaseSchema::from_json(&json!({
            "name": "OVN_Northbound", "version": "7.0.0",
            "tables": {
                "Logical_Switch_Port": {
                    "columns": {
                        "name": {"type": "string"},
                        "addresses": {"type": {"key": "string", "min": 0, "max": "unlimited"}},
                        "up": {"type": {"key": "boolean", "min": 0, "max": 1}},
                        "external_ids": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}},
                        "type": {"type": {"key": {"type": "string", "enum": ["set", ["", "router"]]}}},
                        "dhcpv4_options": {"type": {"key": {"type": "uuid", "refTable": "DHCP_Options", "refType": "weak"}, "min": 0, "max": 1}}
                    },
                    "indexes": [["name"]]
                }
            }
        }))
        .unwrap()
    }

    #[test]
    fn parses_types() {
        let s = schema();
        let t = s.table("Logical_Switch_Port").unwrap();
        assert_eq!(t.indexes, vec![vec!["name".to_string()]]);
        assert_eq!(t.columns["name"].column_type.to_string(), "string");
        assert_eq!(
            t.columns["addresses"].column_type.to_string(),
            "set of string"
        );
        assert_eq!(t.columns["up"].column_type.to_string(), "optional boolean");
        assert_eq!(
            t.columns["external_ids"].column_type.to_string(),
            "map of string to string"
        );
        assert_eq!(
            t.columns["type"]
                .column_type
                .key
                .allowed
                .as_ref()
                .map(Vec::len),
            Some(2)
        );
        assert_eq!(
            t.columns["dhcpv4_options"]
                .column_type
                .key
                .ref_table
                .as_deref(),
            Some("DHCP_Options")
        );
    }

    #[test]
    fn check_accepts_compatible_needs() {
        let need = TableNeed::new("Logical_Switch_Port")
            .column("name", Shape::Scalar(AtomicType::String))
            .column("name", Shape::Optional(AtomicType::String))
            .column("up", Shape::Optional(AtomicType::Boolean))
            .column("up", Shape::Set(AtomicType::Boolean))
            .column(
                "external_ids",
                Shape::Map(AtomicType::String, AtomicType::String),
            )
            .column("_uuid", Shape::Scalar(AtomicType::Uuid))
            .column("type", Shape::Any);
        schema().check(&[need]).unwrap();
    }

    #[test]
    fn check_names_what_is_missing() {
        let err = schema()
            .check(&[TableNeed::new("Logical_Switch_Port").column("X", Shape::Any)])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "table Logical_Switch_Port has no column X in the server's schema OVN_Northbound 7.0.0"
        );
        let err = schema().check(&[TableNeed::new("Nope")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server's schema OVN_Northbound 7.0.0 has no table Nope"
        );
        let err = schema()
            .check(&[TableNeed::new("Logical_Switch_Port")
                .column("addresses", Shape::Scalar(AtomicType::String))])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "column Logical_Switch_Port.addresses is set of string in the server's schema OVN_Northbound 7.0.0, expected string"
        );
    }

    #[test]
    fn parses_the_installed_ovn_schema_when_present() {
        // A sanity check against the real file; the integration tests require it, this one does not.
        if let Ok(text) = std::fs::read_to_string("/usr/share/ovn/ovn-nb.ovsschema") {
            let s = DatabaseSchema::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
            assert_eq!(s.name, "OVN_Northbound");
            assert!(s.tables.contains_key("Logical_Switch_Port"));
        }
    }
}
