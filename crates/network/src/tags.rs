//! Tags of networks, subnets and ports (`/{collection}/{id}/tags`). A tag change is a change of
//! the tagged resource: it needs the right to update it and bumps its revision.

use serde_json::Value;

use neutrino_store::Tx;
use neutrino_store::{self as store};

use crate::collection::{Collection, Kind};
use crate::read::load_map_for_change;
use crate::{Caller, Error, Networking, Result};

const MAX_TAGS: usize = 50;

/// The checks upstream's tag validator makes on a list of tags.
pub(crate) fn validate(tags: &[String]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::bad_request(format!(
            "Number of tags exceeds the limit of {MAX_TAGS}"
        )));
    }
    for (i, t) in tags.iter().enumerate() {
        validate_one(t)?;
        if tags[..i].contains(t) {
            return Err(Error::invalid_input(format!(
                "Duplicate items in the list: '{t}'"
            )));
        }
    }
    Ok(())
}

fn validate_one(tag: &str) -> Result<()> {
    if tag.is_empty() || tag.chars().count() > 255 || tag.contains(',') {
        return Err(Error::bad_request(format!(
            "Invalid input for tags. Reason: '{tag}' is not a valid tag."
        )));
    }
    Ok(())
}

/// How to change a resource's tags.
#[derive(Clone, Debug)]
pub enum TagChange {
    ReplaceAll(Vec<String>),
    Add(Vec<String>),
    AddOne(String),
    RemoveAll,
    RemoveOne(String),
}

fn apply(tags: &mut Vec<String>, change: &TagChange) -> Result<()> {
    match change {
        TagChange::ReplaceAll(new) => {
            validate(new)?;
            tags.clear();
            for t in new {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
        }
        TagChange::Add(new) => {
            validate(new)?;
            for t in new {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
        }
        TagChange::AddOne(t) => {
            validate_one(t)?;
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        TagChange::RemoveAll => tags.clear(),
        TagChange::RemoveOne(t) => {
            let before = tags.len();
            tags.retain(|x| x != t);
            if tags.len() == before {
                return Err(Error::not_found(
                    "TagNotFound",
                    format!("Tag {t} could not be found."),
                ));
            }
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::bad_request(format!(
            "Number of tags exceeds the limit of {MAX_TAGS}"
        )));
    }
    tags.sort();
    Ok(())
}

/// Changes the tags of any resource with standard attributes: the right to update it is
/// needed, and a change bumps its revision. Works on the stored document, so every taggable
/// collection shares it.
pub(crate) fn change(
    tx: &Tx<'_>,
    caller: &Caller,
    kind: &dyn Collection,
    id: &str,
    c: &TagChange,
) -> Result<Vec<String>> {
    let rule = format!("rule:update_{}:tags", kind.singular());
    let mut doc = load_map_for_change(tx, caller, kind, id, &rule)?;
    let mut tags: Vec<String> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let before = tags.clone();
    apply(&mut tags, c)?;
    if tags != before {
        let revision = doc
            .get("revision_number")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        doc.insert("revision_number".into(), Value::from(revision + 1));
        doc.insert("updated_at".into(), Value::from(crate::time::now()));
        doc.insert("tags".into(), Value::from(tags.clone()));
        // Tags are not indexed columns, so rewriting the document is enough for every table.
        let text = serde_json::to_string(&doc).map_err(|_| Error::internal())?;
        store::update_doc(tx, kind.table(), id, &text)?;
    }
    Ok(tags)
}

impl Networking {
    /// The tags of a resource the caller may see.
    pub async fn tags(&self, caller: &Caller, kind: Kind, id: &str) -> Result<Vec<String>> {
        let res = self.get(caller, kind, id).await?;
        Ok(res
            .get("tags")
            .and_then(|t| t.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_changes() {
        let mut tags = vec![];
        let dup = apply(
            &mut tags,
            &TagChange::Add(vec!["b".into(), "a".into(), "b".into()]),
        )
        .unwrap_err();
        assert_eq!(
            dup.message,
            "Invalid input for operation: Duplicate items in the list: 'b'."
        );
        apply(&mut tags, &TagChange::Add(vec!["b".into(), "a".into()])).unwrap();
        assert_eq!(tags, ["a", "b"]);
        apply(&mut tags, &TagChange::AddOne("c".into())).unwrap();
        assert_eq!(tags, ["a", "b", "c"]);
        assert_eq!(
            apply(&mut tags, &TagChange::RemoveOne("x".into()))
                .unwrap_err()
                .kind,
            "TagNotFound"
        );
        apply(&mut tags, &TagChange::ReplaceAll(vec!["z".into()])).unwrap();
        assert_eq!(tags, ["z"]);
        assert!(apply(&mut tags, &TagChange::AddOne(String::new())).is_err());
        let many: Vec<String> = (0..51).map(|i| i.to_string()).collect();
        assert!(apply(&mut tags, &TagChange::ReplaceAll(many)).is_err());
    }
}
