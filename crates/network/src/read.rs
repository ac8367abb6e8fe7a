//! Reading resources: which rows a caller may see (its [`Scope`]), the per-caller view, and
//! the reads every write starts with.

use std::collections::HashSet;

use serde_json::{Map, Value};

use neutrino_store::Tx;
use neutrino_store::tables::NETWORKS;
use neutrino_store::{self as store, Selection, StoreError, Visible};

use crate::collection::{Collection, Ctx, Kind};
use crate::error::Failure;
use crate::model::Resource;
use crate::tags::TagChange;
use crate::{Caller, Error, Networking, Result};

/// What a caller may see beyond its own project: networks it owns (their ports and subnets are
/// visible to it) and the objects RBAC policies share with its project or with everyone.
pub struct Scope {
    admin: bool,
    project: String,
    reader: bool,
    owned_networks: HashSet<String>,
    /// (object_type, object_id, action) of every policy targeting the project or '*'.
    grants: HashSet<store::Grant>,
}

impl Scope {
    pub(crate) fn load(tx: &Tx<'_>, caller: &Caller) -> Result<Scope, StoreError> {
        let mut scope = Scope {
            admin: caller.is_admin(),
            project: caller.project_id.clone(),
            reader: caller.has_role("reader"),
            owned_networks: HashSet::new(),
            // Admins too: `shared` is shown relative to the caller's project.
            grants: store::grants_to(tx, &caller.project_id)?
                .into_iter()
                .collect(),
        };
        if scope.admin {
            return Ok(scope);
        }
        scope.owned_networks = store::ids_owned(tx, NETWORKS, &scope.project)?
            .into_iter()
            .collect();
        Ok(scope)
    }

    /// The caller's project.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The networks the caller's project owns (none are listed for admins).
    pub fn owned_networks(&self) -> Vec<String> {
        self.owned_networks.iter().cloned().collect()
    }

    /// Admins see everything.
    pub fn admin(&self) -> bool {
        self.admin
    }

    /// The caller has the reader role (in its own project).
    pub fn reads(&self) -> bool {
        self.reader
    }

    /// The caller reads in `project` (PROJECT_READER).
    pub fn reads_project(&self, project: &str) -> bool {
        self.reader && project == self.project
    }

    /// The caller reads in the project that owns the network (NET_OWNER_READER).
    pub fn reads_network(&self, network_id: &str) -> bool {
        self.reader && self.owned_networks.contains(network_id)
    }

    /// An RBAC policy shares the network with the caller's project or every project (as
    /// shared or as external).
    pub fn network_is_open(&self, network_id: &str) -> bool {
        [crate::rbac::SHARED, crate::rbac::EXTERNAL]
            .iter()
            .any(|a| self.shared_with("network", network_id, a))
    }

    /// Who sees a resource that RBAC can share (`access_as_shared`): admins, readers of its
    /// project, and everyone it is shared with, by its `shared` flag or by a policy.
    pub fn sees_shareable(&self, object_type: &str, doc: &Map<String, Value>) -> bool {
        self.admin()
            || self.reads_project(field(doc, "project_id"))
            || doc.get("shared") == Some(&Value::Bool(true))
            || self.shared_with(object_type, field(doc, "id"), crate::rbac::SHARED)
    }

    /// The rows of the caller's project, for a reader of it (the SQL of
    /// [`Scope::reads_project`]).
    pub fn own_rows(&self) -> Vec<Visible> {
        self.own_rows_by("project_id")
    }

    /// The rows whose `column` names the caller's project, for a reader of it.
    pub fn own_rows_by(&self, column: &'static str) -> Vec<Visible> {
        match self.reader {
            true => vec![Visible::In(column, vec![self.project.clone()])],
            false => Vec::new(),
        }
    }

    /// The rows whose `column` names a network the caller's project owns, for a reader of it
    /// (the SQL of [`Scope::reads_network`]).
    pub fn owned_network_rows(&self, column: &'static str) -> Vec<Visible> {
        match self.reader {
            true => vec![Visible::In(column, self.owned_networks())],
            false => Vec::new(),
        }
    }

    /// The rows whose `column` names a network a policy shares with the caller (the SQL of
    /// [`Scope::network_is_open`]).
    pub fn open_network_rows(&self, column: &'static str) -> Visible {
        Visible::Granted {
            column,
            object_type: "network",
            actions: &[crate::rbac::SHARED, crate::rbac::EXTERNAL],
            project: self.project.clone(),
        }
    }

    /// The rows of an RBAC-shareable collection the caller sees (the SQL of
    /// [`Scope::sees_shareable`]); `flag`: its 0/1 `shared` column, if the stored documents may
    /// say `shared`.
    pub fn shareable_rows(
        &self,
        object_type: &'static str,
        flag: Option<&'static str>,
    ) -> Vec<Visible> {
        let mut rows = self.own_rows();
        rows.extend(flag.map(Visible::Flag));
        rows.push(Visible::Granted {
            column: "id",
            object_type,
            actions: &[crate::rbac::SHARED],
            project: self.project.clone(),
        });
        rows
    }

    /// `shared` is shown relative to the caller: true when a policy shares the object with it.
    pub fn mark_shared(&self, object_type: &str, doc: &mut Map<String, Value>) {
        if self.shared_with(object_type, field(doc, "id"), crate::rbac::SHARED) {
            doc.insert("shared".into(), Value::Bool(true));
        }
    }

    /// An RBAC policy grants `action` on the object to the caller's project or to every project.
    pub fn shared_with(&self, object_type: &str, object_id: &str, action: &str) -> bool {
        // Grants are few per project; a scan avoids allocating a key per lookup.
        self.grants
            .iter()
            .any(|(t, id, a)| id == object_id && t == object_type && a == action)
    }

    /// Strips what policy hides from this caller.
    pub(crate) fn view(&self, kind: Kind, mut doc: Map<String, Value>) -> Map<String, Value> {
        kind.relative_view(self, &mut doc);
        if !self.admin {
            for key in kind.admin_only() {
                doc.remove(*key);
            }
        }
        doc
    }
}

/// A string attribute of a stored document ("" if absent).
pub fn field<'a>(doc: &'a Map<String, Value>, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn parse_map(kind: &dyn Collection, doc: &str) -> Result<Map<String, Value>> {
    serde_json::from_str(doc).map_err(|e| {
        tracing::error!(table = kind.table().name(), error = %e, "corrupt stored document");
        Error::internal()
    })
}

impl Networking {
    /// Every resource of `kind` that the caller may see among the rows `sel` selects.
    pub async fn list(
        &self,
        caller: &Caller,
        kind: Kind,
        sel: Selection,
    ) -> Result<Vec<Map<String, Value>>> {
        self.ensure_segment_range_defaults(kind).await?;
        if let Some(project) = kind.list_project_defaults(caller, &sel) {
            self.ensure_project_defaults(caller, &project).await?;
        }
        let caller = caller.clone();
        self.store
            .read(move |tx| {
                let scope = Scope::load(tx, &caller)?;
                let sel = only_visible(kind, &scope, sel);
                let mut out = Vec::new();
                for doc in store::list_docs(tx, kind.table(), &sel)? {
                    let map = parse_map(kind, &doc)?;
                    if kind.sees(&scope, &map) {
                        out.push(scope.view(kind, map));
                    }
                }
                kind.complete(tx, &scope, &mut out)?;
                Ok(out)
            })
            .await
    }

    /// One page of the resources of `kind` the caller may see among the rows `sel` selects and
    /// `keep` accepts, in the order of `page.order` (columns; then id): up to `page.limit` after
    /// (or, reversed, before) the marker. The page is read from the store in that order with
    /// keyset queries (first the rows still missing; more at a time once some were filtered
    /// out), so it costs the page, not the table. A marker the caller may not see is not found.
    pub async fn list_page(
        &self,
        caller: &Caller,
        kind: Kind,
        sel: Selection,
        page: PageRequest,
        keep: Keep,
    ) -> Result<Vec<Map<String, Value>>> {
        self.ensure_segment_range_defaults(kind).await?;
        if let Some(project) = kind.list_project_defaults(caller, &sel) {
            self.ensure_project_defaults(caller, &project).await?;
        }
        let caller = caller.clone();
        self.store
            .read(move |tx| {
                let scope = Scope::load(tx, &caller)?;
                if let Some(marker) = &page.marker {
                    let doc = store::get_doc(tx, kind.table(), marker)?
                        .ok_or_else(|| kind.not_found(marker))?;
                    if !kind.sees(&scope, &parse_map(kind, &doc)?) {
                        return Err(kind.not_found(marker));
                    }
                }
                let mut sel = only_visible(kind, &scope, sel);
                let mut from = page.marker.clone();
                let mut out = Vec::new();
                let mut first = true;
                while out.len() < page.limit {
                    // The rest of the page; once rows were filtered out, more at a time.
                    let rest = page.limit - out.len();
                    let want = if first {
                        rest.min(1000)
                    } else {
                        rest.saturating_mul(2).clamp(16, 1000)
                    };
                    first = false;
                    sel.page = Some(store::Page {
                        order: page.order.clone(),
                        after: from.clone(),
                        reverse: page.reverse,
                        limit: want as i64,
                    });
                    let docs = store::list_docs(tx, kind.table(), &sel)?;
                    let mut seen = Vec::new();
                    for doc in &docs {
                        let map = parse_map(kind, doc)?;
                        from = Some(field(&map, "id").to_string());
                        if kind.sees(&scope, &map) {
                            seen.push(scope.view(kind, map));
                        }
                    }
                    // Filters may name computed attributes: complete before filtering.
                    kind.complete(tx, &scope, &mut seen)?;
                    for view in seen {
                        if out.len() < page.limit && keep(&view)? {
                            out.push(view);
                        }
                    }
                    if docs.len() < want {
                        break;
                    }
                }
                if page.reverse {
                    out.reverse();
                }
                Ok(out)
            })
            .await
    }

    /// The stored documents of the rows `sel` selects, unchanged, when they are exactly what the
    /// caller may see: for admins (who see every row and attribute) of collections whose
    /// stored documents are their views ([`Collection::stored_is_view`]). `None` otherwise. With
    /// `page`, only that page, in its order (as [`Networking::list_page`] reads it when nothing
    /// is filtered in memory). Lets a list skip parsing and re-serialising its documents.
    pub async fn list_stored(
        &self,
        caller: &Caller,
        kind: Kind,
        mut sel: Selection,
        page: Option<PageRequest>,
    ) -> Result<Option<Vec<String>>> {
        if !caller.is_admin() || !kind.stored_is_view() {
            return Ok(None);
        }
        self.store
            .read(move |tx| {
                if kind.completes_now(tx)? {
                    return Ok(None);
                }
                let reverse = page.as_ref().is_some_and(|p| p.reverse);
                if let Some(page) = page {
                    // Admins see every row: a marker only has to exist.
                    if let Some(marker) = &page.marker {
                        store::get_doc(tx, kind.table(), marker)?
                            .ok_or_else(|| kind.not_found(marker))?;
                    }
                    sel.page = Some(store::Page {
                        order: page.order,
                        after: page.marker,
                        reverse: page.reverse,
                        limit: i64::try_from(page.limit).unwrap_or(i64::MAX),
                    });
                }
                let mut docs = store::list_docs(tx, kind.table(), &sel)?;
                if reverse {
                    docs.reverse();
                }
                Ok(Some(docs))
            })
            .await
    }

    /// One resource, or its not-found error if it does not exist or the caller may not see it.
    pub async fn get(&self, caller: &Caller, kind: Kind, id: &str) -> Result<Map<String, Value>> {
        self.ensure_segment_range_defaults(kind).await?;
        let (caller, id) = (caller.clone(), id.to_string());
        self.store
            .read(move |tx| {
                let doc =
                    store::get_doc(tx, kind.table(), &id)?.ok_or_else(|| kind.not_found(&id))?;
                let map = parse_map(kind, &doc)?;
                let scope = Scope::load(tx, &caller)?;
                if !kind.sees(&scope, &map) {
                    return Err(kind.not_found(&id));
                }
                let mut items = [scope.view(kind, map)];
                kind.complete(tx, &scope, &mut items)?;
                let [item] = items;
                Ok(item)
            })
            .await
    }

    /// Creates one resource per body, atomically: all or none.
    pub async fn create(
        &self,
        caller: &Caller,
        kind: Kind,
        bodies: Vec<Map<String, Value>>,
    ) -> Result<Vec<Value>> {
        let (caller, cfg) = (caller.clone(), self.cfg.clone());
        self.store
            .write(move |tx| {
                let cx = Ctx {
                    cfg: &cfg,
                    caller: &caller,
                };
                let created = kind.create_all(tx, &cx, &bodies)?;
                let owners: Vec<(Kind, String)> = created
                    .iter()
                    .map(|v| {
                        (
                            kind,
                            v["project_id"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                crate::quotas::check(tx, &cfg, &owners)?;
                Ok(created)
            })
            .await
    }

    pub async fn update(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        body: Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        let (caller, cfg, id) = (caller.clone(), self.cfg.clone(), id.to_string());
        self.store
            .write(move |tx| {
                kind.update(
                    tx,
                    &Ctx {
                        cfg: &cfg,
                        caller: &caller,
                    },
                    &id,
                    &body,
                    if_match,
                )
            })
            .await
    }

    pub async fn delete(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        if_match: Option<u64>,
    ) -> Result<()> {
        let (caller, cfg, id) = (caller.clone(), self.cfg.clone(), id.to_string());
        self.store
            .write(move |tx| {
                kind.delete(
                    tx,
                    &Ctx {
                        cfg: &cfg,
                        caller: &caller,
                    },
                    &id,
                    if_match,
                )
            })
            .await
    }

    /// Runs a member action; an action the collection does not have is a 404.
    pub async fn action(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        action: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, cfg, id, action) = (
            caller.clone(),
            self.cfg.clone(),
            id.to_string(),
            action.to_string(),
        );
        self.store
            .write(move |tx| {
                let cx = Ctx {
                    cfg: &cfg,
                    caller: &caller,
                };
                kind.action(tx, &cx, &id, &action, &body)
                    .unwrap_or_else(|| {
                        Err(Error::not_found(
                            "HTTPNotFound",
                            "The resource could not be found.",
                        ))
                    })
            })
            .await
    }

    /// Applies a tag change and returns the resource's tags after it.
    pub async fn change_tags(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        change: TagChange,
    ) -> Result<Vec<String>> {
        if !kind.taggable() {
            return Err(Error::not_found(
                "HTTPNotFound",
                "The resource could not be found.",
            ));
        }
        let (caller, id) = (caller.clone(), id.to_string());
        self.store
            .write(move |tx| crate::tags::change(tx, &caller, kind, &id, &change))
            .await
    }
}

/// A page of a list in a column order (see [`Networking::list_page`]).
#[derive(Clone, Debug)]
pub struct PageRequest {
    /// Columns of the table ([`neutrino_store::Table::sortable`]) and whether each descends;
    /// then id, ascending. Empty: id order.
    pub order: Vec<(&'static str, bool)>,
    pub limit: usize,
    pub marker: Option<String>,
    pub reverse: bool,
}

/// The filters of a list that SQL did not apply: true to keep a resource (as the caller sees it).
pub type Keep = Box<dyn Fn(&Map<String, Value>) -> Result<bool> + Send>;

/// Narrows a selection to the rows a caller who is not an admin may see: the SQL of
/// [`Collection::visible_rows`] (the rules then check each row with [`Collection::sees`]).
fn only_visible(kind: Kind, scope: &Scope, mut sel: Selection) -> Selection {
    if !scope.admin() {
        sel.visible = Some(kind.visible_rows(scope));
    }
    sel
}

/// A written resource as the write returns it: its stored document completed by `complete`
/// with what is computed on read (as [`crate::collection::Collection::complete`] does for
/// reads, without the caller-relative adjustments of a view).
pub(crate) fn completed<T: serde::Serialize>(
    tx: &Tx<'_>,
    resource: &T,
    complete: impl FnOnce(&Tx<'_>, &mut [Map<String, Value>]) -> Result<()>,
) -> Result<Value> {
    let Ok(Value::Object(map)) = serde_json::to_value(resource) else {
        return Err(Error::internal());
    };
    let mut items = [map];
    complete(tx, &mut items)?;
    let [map] = items;
    Ok(Value::Object(map))
}

/// Reads a typed resource inside a transaction.
pub(crate) fn load<T: Resource>(tx: &Tx<'_>, id: &str) -> Result<Option<T>, StoreError> {
    store::get_doc(tx, T::TABLE, id)?
        .map(|doc| T::from_doc(id, &doc))
        .transpose()
}

/// Reads a resource for a change by `caller`: 404 if it may not see it, 403 (naming `rule`) if
/// it may see it but not change it, as upstream's policy hook decides.
pub(crate) fn load_for_change<T: Resource>(
    tx: &Tx<'_>,
    caller: &Caller,
    kind: &dyn Collection,
    id: &str,
    rule: &str,
) -> Result<T> {
    let doc = load_map_for_change(tx, caller, kind, id, rule)?;
    serde_json::from_value(Value::Object(doc)).map_err(|e| {
        tracing::error!(table = kind.table().name(), id, error = %e, "corrupt stored document");
        Error::internal()
    })
}

/// [`load_for_change`] for the stored document itself.
pub(crate) fn load_map_for_change(
    tx: &Tx<'_>,
    caller: &Caller,
    kind: &dyn Collection,
    id: &str,
    rule: &str,
) -> Result<Map<String, Value>> {
    let doc = store::get_doc(tx, kind.table(), id)?.ok_or_else(|| kind.not_found(id))?;
    let map = parse_map(kind, &doc)?;
    let scope = Scope::load(tx, caller)?;
    if !kind.sees(&scope, &map) {
        return Err(kind.not_found(id));
    }
    if !kind.may_change(&scope, caller, &map) {
        return Err(Error::policy(rule));
    }
    Ok(map)
}

/// Checks `If-Match: revision_number=N`.
pub(crate) fn check_revision(expected: Option<u64>, current: u64) -> Result<()> {
    match expected {
        Some(n) if n != current => Err(Error::new(
            Failure::RevisionMismatch,
            "RevisionNumberConstraintFailed",
            format!("Constrained to {n}, but current revision is {current}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "visibility_tests.rs"]
mod visibility_tests;
