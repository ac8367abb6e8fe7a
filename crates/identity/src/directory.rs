//! The directory: every project, user, role and role assignment the identity knows, those of the
//! config file (fixed, in memory, never changed through the API) followed by those created through
//! the admin API (in the store, so every replica sees them at once).
//!
//! Entities of the config file are shown in the stored shapes (`StoredProject`, ...) so that the
//! HTTP layer has one shape per kind; [`Identity::config_project`] and friends tell them apart.

use neutrino_store::identity_directory::{
    self as stored, RoleAssignment, StoredProject, StoredRole, StoredUser,
};
use neutrino_store::{Store, StoreError, Tx};

use crate::model::{self, DOMAIN_ID, EntityId, Project, Role, User};
use crate::{AuthError, Identity, ProjectRef, now_secs};

/// A user who may hold a token: one of the config file or a stored one.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub id: EntityId,
    pub id_hex: String,
    pub name: String,
    /// Changes with the password: tokens carry it, so a new password ends the old tokens.
    pub credential_epoch: [u8; 4],
    /// Index into the config users; `None` for a stored user.
    pub config: Option<usize>,
    pub default_project_id: Option<String>,
}

/// What a token speaks for, as the directory says now: the user, the project it is scoped to and
/// the roles (expanded) the user holds there.
#[derive(Clone, Debug)]
pub(crate) struct Scoped {
    pub account: Account,
    pub project_id: EntityId,
    pub project_id_hex: String,
    pub project_name: String,
    pub roles: Vec<String>,
    /// The id of each of `roles`, in the same order (token bodies show both).
    pub role_ids: Vec<String>,
}

impl Scoped {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }
}

fn config_project_row(p: &Project) -> StoredProject {
    StoredProject {
        id: p.id_hex.clone(),
        domain_id: DOMAIN_ID.into(),
        name: p.name.clone(),
        description: String::new(),
        enabled: true,
    }
}

impl Identity {
    pub(crate) fn store(&self) -> Option<&Store> {
        self.keys.store()
    }

    /// Runs `f` on the stored directory; without a database (keys kept in memory) there is no
    /// stored entity and `f` is not run.
    pub(crate) async fn read_directory<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Default + Send + 'static,
        F: FnOnce(&Tx) -> Result<T, StoreError> + Send + 'static,
    {
        match self.store() {
            Some(store) => store.read(f).await,
            None => Ok(T::default()),
        }
    }

    // ---- the config file's entities ----

    pub(crate) fn config_project(&self, id_hex: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id_hex == id_hex)
    }

    pub(crate) fn config_project_named(&self, name: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.name == name)
    }

    pub(crate) fn config_user(&self, id_hex: &str) -> Option<&User> {
        parse_hex_id(id_hex)
            .and_then(|id| self.user_by_id.get(&id))
            .map(|&i| &self.users[i])
    }

    pub(crate) fn config_user_named(&self, name: &str) -> Option<&User> {
        self.user_by_name.get(name).map(|&i| &self.users[i])
    }

    /// A role every deployment has (admin, member, reader, manager, and those the config names).
    pub(crate) fn built_in_role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id_hex == id)
    }

    pub(crate) fn config_user_row(&self, u: &User) -> StoredUser {
        StoredUser {
            id: u.id_hex.clone(),
            domain_id: DOMAIN_ID.into(),
            name: u.name.clone(),
            password_digest: None,
            enabled: true,
            default_project_id: Some(self.projects[u.project].id_hex.clone()),
            extra: "{}".into(),
        }
    }

    // ---- the whole directory ----

    pub(crate) async fn all_projects(&self) -> Result<Vec<StoredProject>, StoreError> {
        let mut all: Vec<StoredProject> = self.projects.iter().map(config_project_row).collect();
        all.extend(self.read_directory(stored::projects).await?);
        Ok(all)
    }

    pub(crate) async fn project(&self, id: &str) -> Result<Option<StoredProject>, StoreError> {
        if let Some(p) = self.config_project(id) {
            return Ok(Some(config_project_row(p)));
        }
        let id = id.to_owned();
        self.read_directory(move |tx| stored::project_by_id(tx, &id))
            .await
    }

    pub(crate) async fn all_users(&self) -> Result<Vec<StoredUser>, StoreError> {
        let mut all: Vec<StoredUser> = self.users.iter().map(|u| self.config_user_row(u)).collect();
        all.extend(self.read_directory(stored::users).await?);
        Ok(all)
    }

    pub(crate) async fn user(&self, id: &str) -> Result<Option<StoredUser>, StoreError> {
        if let Some(u) = self.config_user(id) {
            return Ok(Some(self.config_user_row(u)));
        }
        let id = id.to_owned();
        self.read_directory(move |tx| stored::user_by_id(tx, &id))
            .await
    }

    pub(crate) async fn all_roles(&self) -> Result<Vec<StoredRole>, StoreError> {
        let mut all: Vec<StoredRole> = self
            .roles
            .iter()
            .map(|r| StoredRole {
                id: r.id_hex.clone(),
                name: r.name.clone(),
                description: None,
            })
            .collect();
        all.extend(self.read_directory(stored::roles).await?);
        Ok(all)
    }

    pub(crate) async fn role(&self, id: &str) -> Result<Option<StoredRole>, StoreError> {
        Ok(self.all_roles().await?.into_iter().find(|r| r.id == id))
    }

    /// The role assignments matching every given part: the config users' roles (expanded) on
    /// their project, then the stored ones.
    pub(crate) async fn assignments(
        &self,
        user: Option<&str>,
        project: Option<&str>,
        role: Option<&str>,
    ) -> Result<Vec<RoleAssignment>, StoreError> {
        let mut all: Vec<RoleAssignment> = self
            .users
            .iter()
            .flat_map(|u| {
                u.roles.iter().map(|r| RoleAssignment {
                    user_id: u.id_hex.clone(),
                    project_id: self.projects[u.project].id_hex.clone(),
                    role_id: model::derive_hex_id("role", r),
                })
            })
            .filter(|a| {
                user.is_none_or(|u| a.user_id == u)
                    && project.is_none_or(|p| a.project_id == p)
                    && role.is_none_or(|r| a.role_id == r)
            })
            .collect();
        let (user, project, role) = (
            user.map(str::to_owned),
            project.map(str::to_owned),
            role.map(str::to_owned),
        );
        all.extend(
            self.read_directory(move |tx| {
                stored::role_assignments(tx, user.as_deref(), project.as_deref(), role.as_deref())
            })
            .await?,
        );
        Ok(all)
    }

    /// The projects a user holds a role on, in the directory's order.
    pub(crate) async fn projects_of(&self, user: &str) -> Result<Vec<StoredProject>, StoreError> {
        let held = self.assignments(Some(user), None, None).await?;
        Ok(self
            .all_projects()
            .await?
            .into_iter()
            .filter(|p| held.iter().any(|a| a.project_id == p.id))
            .collect())
    }

    // ---- accounts and scopes, for tokens ----

    pub(crate) fn config_account(&self, index: usize) -> Account {
        let u = &self.users[index];
        Account {
            id: u.id,
            id_hex: u.id_hex.clone(),
            name: u.name.clone(),
            credential_epoch: u.credential_epoch,
            config: Some(index),
            default_project_id: Some(self.projects[u.project].id_hex.clone()),
        }
    }

    /// The credential epoch of a user with this password digest (see [`Account`]).
    pub(crate) fn credential_epoch(&self, id: &EntityId, digest: &[u8]) -> [u8; 4] {
        self.keys
            .epoch_fingerprint(&[b"credential-epoch", id, digest])
    }

    /// The account of a stored user that may log in: enabled, with a well-formed id.
    fn stored_account(&self, u: &StoredUser) -> Option<Account> {
        if !u.enabled {
            return None;
        }
        let id = parse_hex_id(&u.id)?;
        let digest = u.password_digest.as_deref().unwrap_or("");
        Some(Account {
            id,
            id_hex: u.id.clone(),
            name: u.name.clone(),
            credential_epoch: self.credential_epoch(&id, digest.as_bytes()),
            config: None,
            default_project_id: u.default_project_id.clone(),
        })
    }

    /// Checks a password of the user with this id or name.
    pub(crate) async fn login(
        &self,
        id: Option<&str>,
        name: Option<&str>,
        password: &str,
    ) -> Result<Account, AuthError> {
        let digest = model::password_digest(password);
        let config = match (id, name) {
            (Some(id), _) => self.config_user(id),
            (None, Some(name)) => self.config_user_named(name),
            (None, None) => None,
        };
        if let Some(u) = config {
            return self
                .user_by_id
                .get(&u.id)
                .filter(|_| model::constant_time_eq(&u.password_digest, &digest))
                .map(|&i| self.config_account(i))
                .ok_or(AuthError::BadCredentials);
        }
        let (id, name) = (id.map(str::to_owned), name.map(str::to_owned));
        let user = self
            .read_directory(move |tx| match (id, name) {
                (Some(id), _) => stored::user_by_id(tx, &id),
                (None, Some(name)) => stored::user_by_name(tx, &name),
                (None, None) => Ok(None),
            })
            .await
            .map_err(unavailable)?;
        let Some(user) = user else {
            return Err(AuthError::BadCredentials);
        };
        let stored = user.password_digest.clone().unwrap_or_default();
        let password = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || model::password_matches(&stored, &password))
                .await
                .unwrap_or(false);
        matches
            .then(|| self.stored_account(&user))
            .flatten()
            .ok_or(AuthError::BadCredentials)
    }

    /// The project `scope` names, if `account` holds a role on it now, with those roles.
    pub(crate) async fn scope(
        &self,
        account: &Account,
        scope: ProjectRef<'_>,
    ) -> Result<Scoped, AuthError> {
        let no_access = |project: &str| AuthError::NoProjectAccess {
            user: account.id_hex.clone(),
            project: project.to_string(),
        };
        if let Some(index) = account.config {
            return self.config_scope(index, scope);
        }
        let project = match scope {
            ProjectRef::Id(id) => self.project(id).await.map_err(unavailable)?,
            ProjectRef::Name(name) => match self.config_project_named(name) {
                Some(p) => Some(config_project_row(p)),
                None => {
                    let name = name.to_owned();
                    self.read_directory(move |tx| stored::project_by_name(tx, DOMAIN_ID, &name))
                        .await
                        .map_err(unavailable)?
                }
            },
            ProjectRef::Own => self.own_project(account).await?,
        };
        let requested = match scope {
            ProjectRef::Name(n) | ProjectRef::Id(n) => n,
            ProjectRef::Own => "(none)",
        };
        let project = project
            .filter(|p| p.enabled)
            .ok_or_else(|| no_access(requested))?;
        let project_id = parse_hex_id(&project.id).ok_or_else(|| no_access(requested))?;
        let (role_ids, roles) = self
            .roles_of(&account.id_hex, &project.id)
            .await
            .map_err(unavailable)?;
        if roles.is_empty() {
            return Err(no_access(requested));
        }
        Ok(Scoped {
            account: account.clone(),
            project_id,
            project_id_hex: project.id,
            project_name: project.name,
            roles,
            role_ids,
        })
    }

    /// The scope of a config user: its own project only, with the roles the config gives it.
    pub(crate) fn config_scope(
        &self,
        index: usize,
        scope: ProjectRef<'_>,
    ) -> Result<Scoped, AuthError> {
        let user = &self.users[index];
        let own = &self.projects[user.project];
        let requested = match scope {
            ProjectRef::Own => None,
            ProjectRef::Name(n) => Some(n).filter(|n| *n != own.name),
            ProjectRef::Id(id) => Some(id).filter(|id| *id != own.id_hex),
        };
        if let Some(project) = requested {
            return Err(AuthError::NoProjectAccess {
                user: user.id_hex.clone(),
                project: project.to_string(),
            });
        }
        Ok(Scoped {
            account: self.config_account(index),
            project_id: own.id,
            project_id_hex: own.id_hex.clone(),
            project_name: own.name.clone(),
            roles: user.roles.clone(),
            role_ids: user
                .roles
                .iter()
                .map(|r| model::derive_hex_id("role", r))
                .collect(),
        })
    }

    /// A stored user's project when a token request names none: the default project if they
    /// hold a role there, else the first project they hold a role on.
    async fn own_project(&self, account: &Account) -> Result<Option<StoredProject>, AuthError> {
        let held = self
            .assignments(Some(&account.id_hex), None, None)
            .await
            .map_err(unavailable)?;
        let chosen = account
            .default_project_id
            .as_ref()
            .filter(|d| held.iter().any(|a| &a.project_id == *d))
            .or_else(|| held.first().map(|a| &a.project_id));
        match chosen {
            Some(id) => self.project(id).await.map_err(unavailable),
            None => Ok(None),
        }
    }

    /// The roles (expanded) a stored user holds on a project now: their ids and their names.
    pub(crate) async fn roles_of(
        &self,
        user: &str,
        project: &str,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let held = self.assignments(Some(user), Some(project), None).await?;
        if held.is_empty() {
            return Ok(Default::default());
        }
        let roles = self.all_roles().await?;
        let names: Vec<&str> = held
            .iter()
            .filter_map(|a| roles.iter().find(|r| r.id == a.role_id))
            .map(|r| r.name.as_str())
            .collect();
        let names = model::expand_roles(&names);
        let ids = names
            .iter()
            .map(|n| match roles.iter().find(|r| &r.name == n) {
                Some(r) => r.id.clone(),
                None => model::derive_hex_id("role", n),
            })
            .collect();
        Ok((ids, names))
    }

    /// What a token's claims speak for now, or why they no longer do: the user was deleted,
    /// disabled or given a new password, or lost every role on the project.
    pub(crate) async fn resolve(&self, claims: &crate::token::Claims) -> Result<Scoped, AuthError> {
        if claims.expires_at <= now_secs() {
            return Err(AuthError::Expired);
        }
        let account = match self.user_by_id.get(&claims.user_id) {
            Some(&index) => self.config_account(index),
            None => {
                let id = model::hex(&claims.user_id);
                let user = self
                    .read_directory(move |tx| stored::user_by_id(tx, &id))
                    .await
                    .map_err(unavailable)?;
                user.and_then(|u| self.stored_account(&u))
                    .ok_or(AuthError::Invalid)?
            }
        };
        if account.credential_epoch != claims.credential_epoch {
            return Err(AuthError::Invalid);
        }
        let project = model::hex(&claims.project_id);
        self.scope(&account, ProjectRef::Id(&project))
            .await
            .map_err(|e| match e {
                AuthError::Unavailable(_) => e,
                _ => AuthError::Invalid,
            })
    }
}

fn unavailable(e: StoreError) -> AuthError {
    AuthError::Unavailable(e.to_string())
}

/// The 16 bytes of a 32-character hex id.
pub(crate) fn parse_hex_id(s: &str) -> Option<EntityId> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_parse() {
        let id = model::derive_id("user", "x");
        assert_eq!(parse_hex_id(&model::hex(&id)), Some(id));
        assert_eq!(parse_hex_id("zz"), None);
        assert_eq!(parse_hex_id(&"é".repeat(16)), None);
    }
}
