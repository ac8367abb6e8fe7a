//! What a check reports: a rule id, a severity, the object and its place in the input, a message and a hint.

use std::fmt;

use serde::Serialize;

/// A place in the input: a file and a 1-based line (0 when the fact has no single line).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Loc {
    pub file: String,
    pub line: u32,
}

impl Loc {
    pub fn new(file: &str, line: u32) -> Self {
        Loc {
            file: file.to_string(),
            line,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One broken (or doubtful) rule on one object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// `Kind/name` of the object the finding is about (a host for per-host facts).
    pub object: String,
    /// The key path inside the object (`spec.features.neutron.external_networks[1].vlan_ranges`);
    /// empty when the finding is about the object as a whole.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(flatten)]
    pub loc: Loc,
    pub message: String,
    pub hint: String,
}

impl Finding {
    pub fn error(
        rule: &'static str,
        object: impl Into<String>,
        loc: Loc,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            severity: Severity::Error,
            object: object.into(),
            key: String::new(),
            loc,
            message: message.into(),
            hint: String::new(),
        }
    }

    pub fn warning(
        rule: &'static str,
        object: impl Into<String>,
        loc: Loc,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(rule, object, loc, message)
        }
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
}

/// All findings of one run, kept sorted by place so output is stable.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    items: Vec<Finding>,
}

impl Findings {
    pub fn push(&mut self, finding: Finding) {
        self.items.push(finding);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Finding>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|f| f.severity == severity).count()
    }

    /// Findings ordered by file, line, rule; duplicates (same rule, object, place, message) removed.
    pub fn sorted(&self) -> Vec<Finding> {
        let mut items = self.items.clone();
        items.sort_by(|a, b| {
            (&a.loc, a.rule, &a.object, &a.message).cmp(&(&b.loc, b.rule, &b.object, &b.message))
        });
        items.dedup();
        items
    }

    pub fn rules(&self) -> std::collections::BTreeSet<&'static str> {
        self.items.iter().map(|f| f.rule).collect()
    }
}
