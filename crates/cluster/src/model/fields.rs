//! Typed reading of the generic YAML tree, turning every surprise into a finding with file:line.
//!
//! IN-2: a field the object kind does not have (a warning: probably a typo that silently does nothing).
//! IN-3: a field of the wrong type or an unparsable value (an error).
//! IN-4: a required field is missing (an error).

use std::collections::BTreeMap;

use crate::finding::{Finding, Loc, Severity};
use crate::yaml::{Node, Value};

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

/// Reads fields of one object, collecting findings about its shape.
pub struct Reader<'a> {
    pub file: &'a str,
    pub object: String,
    pub findings: &'a mut Vec<Finding>,
}

impl<'a> Reader<'a> {
    pub fn loc(&self, node: &Node) -> Loc {
        Loc::new(self.file, node.pos.line)
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let finding = Finding::error(
            "IN-3",
            self.object.clone(),
            self.loc(node),
            format!(
                "`{path}` must be {expected}, found {}",
                node.value.kind_name()
            ),
        )
        .key(path)
        .hint(format!("write `{path}` as {expected}"));
        self.findings.push(finding);
    }

    /// Reports an invalid value (parsable YAML, meaningless content).
    pub fn invalid(&mut self, node: &Node, message: impl Into<String>, hint: impl Into<String>) {
        let finding =
            Finding::error("IN-3", self.object.clone(), self.loc(node), message).hint(hint);
        self.findings.push(finding);
    }

    /// Checks that `node` is a mapping and reports keys outside `known`. Returns false for a non-mapping.
    pub fn mapping(&mut self, node: &Node, path: &str, known: &[&str]) -> bool {
        self.mapping_of(node, path, known, Severity::Warning)
    }

    /// As [`Reader::mapping`], for a schema that rejects unknown keys (an error, not a warning).
    pub fn closed_mapping(&mut self, node: &Node, path: &str, known: &[&str]) -> bool {
        self.mapping_of(node, path, known, Severity::Error)
    }

    fn mapping_of(&mut self, node: &Node, path: &str, known: &[&str], unknown: Severity) -> bool {
        let Some(entries) = node.as_map() else {
            if node.value != Value::Null {
                self.wrong_type(node, path, "a mapping");
            }
            return false;
        };
        for (key, _) in entries {
            let name = key.scalar_text().unwrap_or_default();
            if !known.contains(&name.as_str()) {
                let finding = Finding {
                    severity: unknown,
                    ..Finding::warning(
                        "IN-2",
                        self.object.clone(),
                        self.loc(key),
                        format!("unknown field `{path}.{name}`"),
                    )
                }
                .key(format!("{path}.{name}"))
                .hint(format!("known fields of `{path}`: {}", known.join(", ")));
                self.findings.push(finding);
            }
        }
        true
    }

    /// The object's `spec` (required), checked against its known fields.
    pub fn spec<'n>(&mut self, doc: &'n Node, known: &[&str]) -> Option<&'n Node> {
        let Some(spec) = doc.get("spec") else {
            self.missing(doc, "spec");
            return None;
        };
        self.mapping(spec, "spec", known);
        Some(spec)
    }

    /// IN-6: a field Container Cloud deprecated or no longer supports (warned, otherwise ignored).
    pub fn deprecated(&mut self, parent: &Node, key: &str, path: &str, why: &str) {
        if let Some(node) = parent.get(key) {
            let finding = Finding::warning(
                "IN-6",
                self.object.clone(),
                self.loc(node),
                format!("`{path}.{key}` is deprecated: {why}"),
            )
            .key(format!("{path}.{key}"))
            .hint(format!("remove `{path}.{key}`"));
            self.findings.push(finding);
        }
    }

    /// IN-3: the document's apiVersion must be the one of its kind (IN-4 when it is missing).
    pub fn api_version(&mut self, doc: &Node, kind: &str, expected: &str) {
        if let Some(version) = self.required_string(doc, "apiVersion", "document")
            && version.value != expected
        {
            let finding = Finding::error(
                "IN-3",
                self.object.clone(),
                version.loc.clone(),
                format!(
                    "apiVersion of {kind} must be {expected}, found {}",
                    version.value
                ),
            )
            .key("apiVersion")
            .hint(format!("set `apiVersion: {expected}`"));
            self.findings.push(finding);
        }
    }

    pub fn missing(&mut self, parent: &Node, path: &str) {
        let finding = Finding::error(
            "IN-4",
            self.object.clone(),
            self.loc(parent),
            format!("required field `{path}` is missing"),
        )
        .key(path)
        .hint(format!("add `{path}`"));
        self.findings.push(finding);
    }

    /// A string field; numbers and booleans are refused because Kubernetes refuses them too.
    pub fn string(&mut self, parent: &Node, key: &str, path: &str) -> Option<Located<String>> {
        let node = parent.get(key)?;
        match &node.value {
            Value::Str(s) => Some(Located {
                value: s.clone(),
                loc: self.loc(node),
            }),
            Value::Null => None,
            _ => {
                self.wrong_type(node, &format!("{path}.{key}"), "a string");
                None
            }
        }
    }

    pub fn required_string(
        &mut self,
        parent: &Node,
        key: &str,
        path: &str,
    ) -> Option<Located<String>> {
        let value = self.string(parent, key, path);
        if value.is_none() && parent.get(key).is_none_or(|n| n.value == Value::Null) {
            self.missing(parent, &format!("{path}.{key}"));
        }
        value
    }

    pub fn boolean(&mut self, parent: &Node, key: &str, path: &str) -> Option<Located<bool>> {
        let node = parent.get(key)?;
        match node.value {
            Value::Bool(b) => Some(Located {
                value: b,
                loc: self.loc(node),
            }),
            Value::Null => None,
            _ => {
                self.wrong_type(node, &format!("{path}.{key}"), "true or false");
                None
            }
        }
    }

    /// An integer field (quoted numbers are refused, as a Kubernetes integer field refuses them).
    pub fn integer(&mut self, parent: &Node, key: &str, path: &str) -> Option<Located<i64>> {
        let node = parent.get(key)?;
        match node.value {
            Value::Int(i) => Some(Located {
                value: i,
                loc: self.loc(node),
            }),
            Value::Null => None,
            _ => {
                self.wrong_type(node, &format!("{path}.{key}"), "an integer");
                None
            }
        }
    }

    /// A list of nodes (absent or null gives an empty list).
    pub fn list<'n>(&mut self, parent: &'n Node, key: &str, path: &str) -> &'n [Node] {
        let Some(node) = parent.get(key) else {
            return &[];
        };
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, &format!("{path}.{key}"), "a list");
                &[]
            }
        }
    }

    pub fn string_list(&mut self, parent: &Node, key: &str, path: &str) -> Vec<Located<String>> {
        let items = self.list(parent, key, path);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match &item.value {
                Value::Str(s) => out.push(Located {
                    value: s.clone(),
                    loc: self.loc(item),
                }),
                _ => self.wrong_type(item, &format!("{path}.{key}[]"), "a string"),
            }
        }
        out
    }

    /// A map of string to string (labels, label selectors).
    pub fn string_map(&mut self, parent: &Node, key: &str, path: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(node) = parent.get(key) else {
            return out;
        };
        let Some(entries) = node.as_map() else {
            if node.value != Value::Null {
                self.wrong_type(node, &format!("{path}.{key}"), "a mapping of strings");
            }
            return out;
        };
        for (k, v) in entries {
            match (&k.value, &v.value) {
                (Value::Str(k), Value::Str(v)) => {
                    out.insert(k.clone(), v.clone());
                }
                (Value::Str(k), Value::Null) => {
                    out.insert(k.clone(), String::new());
                }
                (Value::Str(k), _) => {
                    self.wrong_type(
                        v,
                        &format!("{path}.{key}.{k}"),
                        "a string (quote it: \"1\")",
                    );
                }
                _ => self.wrong_type(k, &format!("{path}.{key}"), "a mapping with string keys"),
            }
        }
        out
    }
}
