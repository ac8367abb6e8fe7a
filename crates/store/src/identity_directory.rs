//! The built-in identity's directory: projects, users, roles and role assignments created through
//! its admin API (the identity crate decides what they mean; the config file's entities are not
//! stored). Every function is a few statements inside the caller's transaction, so a token check
//! reads a user, a project and the user's roles on it in one consistent snapshot.
//!
//! Inserts say `ON CONFLICT DO NOTHING` and report a taken id or name as `false`, which keeps the
//! transaction usable on both engines.

use crate::StoreError;
use crate::tx::Tx;
use crate::value::{Row, Value};

/// A stored project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredProject {
    pub id: String,
    pub domain_id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

/// A stored user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    pub id: String,
    pub domain_id: String,
    pub name: String,
    /// The password, salted and hashed (an Argon2id PHC string); `None`: no password login.
    pub password_digest: Option<String>,
    pub enabled: bool,
    pub default_project_id: Option<String>,
    /// Other attributes (email, description, ...): a JSON object as text.
    pub extra: String,
}

/// A stored role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRole {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
}

/// A role of a user on a project.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleAssignment {
    pub user_id: String,
    pub project_id: String,
    pub role_id: String,
}

const PROJECT_COLUMNS: &str = "id, domain_id, name, description, enabled";
const USER_COLUMNS: &str =
    "id, domain_id, name, password_digest, enabled, default_project_id, extra";
const ROLE_COLUMNS: &str = "id, name, description";

fn project(r: &Row) -> Result<StoredProject, StoreError> {
    Ok(StoredProject {
        id: r.text(0)?,
        domain_id: r.text(1)?,
        name: r.text(2)?,
        description: r.text(3)?,
        enabled: r.bool(4)?,
    })
}

fn user(r: &Row) -> Result<StoredUser, StoreError> {
    Ok(StoredUser {
        id: r.text(0)?,
        domain_id: r.text(1)?,
        name: r.text(2)?,
        password_digest: r.opt_text(3)?,
        enabled: r.bool(4)?,
        default_project_id: r.opt_text(5)?,
        extra: r.text(6)?,
    })
}

fn role(r: &Row) -> Result<StoredRole, StoreError> {
    Ok(StoredRole {
        id: r.text(0)?,
        name: r.text(1)?,
        description: r.opt_text(2)?,
    })
}

fn assignment(r: &Row) -> Result<RoleAssignment, StoreError> {
    Ok(RoleAssignment {
        user_id: r.text(0)?,
        project_id: r.text(1)?,
        role_id: r.text(2)?,
    })
}

/// Rows of `table` matching `filter` (`column = ?1`, or all when `None`), in creation order.
fn select<T>(
    tx: &Tx,
    columns: &str,
    table: &str,
    filter: Option<(&str, &str)>,
    read: fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let (clause, args) = match filter {
        Some((column, value)) => (format!(" WHERE {column} = ?1"), vec![Value::from(value)]),
        None => (String::new(), Vec::new()),
    };
    tx.query(
        &format!("SELECT {columns} FROM {table}{clause} ORDER BY created_ms, id"),
        &args,
    )?
    .iter()
    .map(read)
    .collect()
}

// ---- projects ----

/// Every stored project, oldest first.
pub fn projects(tx: &Tx) -> Result<Vec<StoredProject>, StoreError> {
    select(tx, PROJECT_COLUMNS, "identity_projects", None, project)
}

/// The stored project `id`.
pub fn project_by_id(tx: &Tx, id: &str) -> Result<Option<StoredProject>, StoreError> {
    Ok(select(
        tx,
        PROJECT_COLUMNS,
        "identity_projects",
        Some(("id", id)),
        project,
    )?
    .pop())
}

/// The stored project called `name` in `domain_id`.
pub fn project_by_name(
    tx: &Tx,
    domain_id: &str,
    name: &str,
) -> Result<Option<StoredProject>, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {PROJECT_COLUMNS} FROM identity_projects WHERE domain_id = ?1 AND name = ?2"
        ),
        &[domain_id.into(), name.into()],
    )?
    .as_ref()
    .map(project)
    .transpose()
}

/// Stores a new project; `false` if its id or its name (in its domain) is taken.
pub fn insert_project(tx: &Tx, p: &StoredProject, now_ms: i64) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT INTO identity_projects (id, domain_id, name, description, enabled, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        &[
            p.id.as_str().into(),
            p.domain_id.as_str().into(),
            p.name.as_str().into(),
            p.description.as_str().into(),
            Value::bool(p.enabled),
            now_ms.into(),
        ],
    )? > 0)
}

/// Replaces the attributes of the stored project `p.id`; `false` if there is none.
pub fn update_project(tx: &Tx, p: &StoredProject) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "UPDATE identity_projects SET name = ?2, description = ?3, enabled = ?4 WHERE id = ?1",
        &[
            p.id.as_str().into(),
            p.name.as_str().into(),
            p.description.as_str().into(),
            Value::bool(p.enabled),
        ],
    )? > 0)
}

/// Deletes the stored project `id` and every role assignment on it; `false` if there is none.
pub fn delete_project(tx: &Tx, id: &str) -> Result<bool, StoreError> {
    tx.execute(
        "DELETE FROM identity_role_assignments WHERE project_id = ?1",
        &[id.into()],
    )?;
    Ok(tx.execute("DELETE FROM identity_projects WHERE id = ?1", &[id.into()])? > 0)
}

// ---- users ----

/// Every stored user, oldest first.
pub fn users(tx: &Tx) -> Result<Vec<StoredUser>, StoreError> {
    select(tx, USER_COLUMNS, "identity_users", None, user)
}

/// The stored user `id`.
pub fn user_by_id(tx: &Tx, id: &str) -> Result<Option<StoredUser>, StoreError> {
    Ok(select(tx, USER_COLUMNS, "identity_users", Some(("id", id)), user)?.pop())
}

/// The stored user called `name` (in any domain: there is one).
pub fn user_by_name(tx: &Tx, name: &str) -> Result<Option<StoredUser>, StoreError> {
    Ok(select(
        tx,
        USER_COLUMNS,
        "identity_users",
        Some(("name", name)),
        user,
    )?
    .pop())
}

fn user_args(u: &StoredUser) -> Vec<Value> {
    vec![
        u.id.as_str().into(),
        u.domain_id.as_str().into(),
        u.name.as_str().into(),
        Value::opt_text(u.password_digest.as_deref()),
        Value::bool(u.enabled),
        Value::opt_text(u.default_project_id.as_deref()),
        u.extra.as_str().into(),
    ]
}

/// Stores a new user; `false` if its id or its name (in its domain) is taken.
pub fn insert_user(tx: &Tx, u: &StoredUser, now_ms: i64) -> Result<bool, StoreError> {
    let mut args = user_args(u);
    args.push(now_ms.into());
    Ok(tx.execute(
        "INSERT INTO identity_users \
         (id, domain_id, name, password_digest, enabled, default_project_id, extra, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        &args,
    )? > 0)
}

/// Replaces the attributes of the stored user `u.id` (not its domain); `false` if there is none.
pub fn update_user(tx: &Tx, u: &StoredUser) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "UPDATE identity_users SET name = ?3, password_digest = ?4, enabled = ?5, \
         default_project_id = ?6, extra = ?7 WHERE id = ?1 AND domain_id = ?2",
        &user_args(u),
    )? > 0)
}

/// Deletes the stored user `id` and their role assignments; `false` if there is none.
pub fn delete_user(tx: &Tx, id: &str) -> Result<bool, StoreError> {
    tx.execute(
        "DELETE FROM identity_role_assignments WHERE user_id = ?1",
        &[id.into()],
    )?;
    Ok(tx.execute("DELETE FROM identity_users WHERE id = ?1", &[id.into()])? > 0)
}

// ---- roles ----

/// Every stored role, oldest first.
pub fn roles(tx: &Tx) -> Result<Vec<StoredRole>, StoreError> {
    select(tx, ROLE_COLUMNS, "identity_roles", None, role)
}

/// Stores a new role; `false` if its id or name is taken.
pub fn insert_role(tx: &Tx, r: &StoredRole, now_ms: i64) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT INTO identity_roles (id, name, description, created_ms) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        &[
            r.id.as_str().into(),
            r.name.as_str().into(),
            Value::opt_text(r.description.as_deref()),
            now_ms.into(),
        ],
    )? > 0)
}

/// Deletes the stored role `id` and its assignments; `false` if there is none.
pub fn delete_role(tx: &Tx, id: &str) -> Result<bool, StoreError> {
    tx.execute(
        "DELETE FROM identity_role_assignments WHERE role_id = ?1",
        &[id.into()],
    )?;
    Ok(tx.execute("DELETE FROM identity_roles WHERE id = ?1", &[id.into()])? > 0)
}

// ---- role assignments ----

/// Gives `a.user_id` the role `a.role_id` on `a.project_id`; `false` if it already had it.
pub fn assign_role(tx: &Tx, a: &RoleAssignment) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT INTO identity_role_assignments (user_id, project_id, role_id) \
         VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        &[
            a.user_id.as_str().into(),
            a.project_id.as_str().into(),
            a.role_id.as_str().into(),
        ],
    )? > 0)
}

/// Takes the role back; `false` if the user did not have it there.
pub fn unassign_role(tx: &Tx, a: &RoleAssignment) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "DELETE FROM identity_role_assignments \
         WHERE user_id = ?1 AND project_id = ?2 AND role_id = ?3",
        &[
            a.user_id.as_str().into(),
            a.project_id.as_str().into(),
            a.role_id.as_str().into(),
        ],
    )? > 0)
}

/// The assignments matching every given part (`None`: any), ordered by user, project, role.
pub fn role_assignments(
    tx: &Tx,
    user_id: Option<&str>,
    project_id: Option<&str>,
    role_id: Option<&str>,
) -> Result<Vec<RoleAssignment>, StoreError> {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    for (column, value) in [
        ("user_id", user_id),
        ("project_id", project_id),
        ("role_id", role_id),
    ] {
        if let Some(value) = value {
            args.push(Value::from(value));
            clauses.push(format!("{column} = ?{}", args.len()));
        }
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    tx.query(
        &format!(
            "SELECT user_id, project_id, role_id FROM identity_role_assignments{filter} \
             ORDER BY user_id, project_id, role_id"
        ),
        &args,
    )?
    .iter()
    .map(assignment)
    .collect()
}
