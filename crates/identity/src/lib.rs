//! Neutrino's built-in, Keystone-v3-compatible identity.
//!
//! Users, projects and roles come from the config, and from the admin API (module `directory`:
//! kept in the database). Tokens are signed with HMAC-SHA256 keys kept in the database and shared
//! by every replica ([`keys`] describes the keys, their rotation and refreshing); they carry no
//! per-token state, and a token of a user of the admin API is checked against the directory at
//! every validation. See the crate README for the supported
//! calls and the token format.

mod admin;
mod authenticator;
mod directory;
mod files;
mod http;
pub mod keys;
mod keystone;
mod model;
mod token;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use authenticator::{Authenticator, Rejection};
pub use keys::{SigningKeys, rotate_signing_key};
pub use keystone::{Keystone, KeystoneConfig};
pub use model::{DOMAIN_ID, DOMAIN_NAME, derive_hex_id, expand_roles};

use directory::Scoped;
use model::{EntityId, Project, Role, User};
use token::{Claims, DecodeError, METHOD_PASSWORD, METHOD_TOKEN};

/// The `[identity]` section of the config.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// `builtin` (users, projects and tokens of Neutrino's own) or `keystone` (tokens of the
    /// cloud's Keystone, validated as keystonemiddleware does; `[identity.keystone]`).
    pub mode: String,
    /// Lifetime of a token in seconds.
    pub token_ttl_secs: u64,
    /// Region name of the catalog endpoints.
    pub region: String,
    /// Base URL clients use, e.g. `http://127.0.0.1:9696/`; `None`: derived from the listen address.
    pub public_url: Option<String>,
    /// Users; empty: `admin` (role admin, project admin) and `demo` (role member, project demo).
    pub users: Vec<UserConfig>,
    /// Keystone mode's settings.
    pub keystone: KeystoneConfig,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            mode: "builtin".to_string(),
            token_ttl_secs: 86_400,
            region: "RegionOne".to_string(),
            public_url: None,
            users: Vec::new(),
            keystone: KeystoneConfig::default(),
        }
    }
}

/// One `[[identity.users]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    /// `None`: a random password is generated and kept in the data dir.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The project the user's roles are assigned on (created implicitly).
    pub project: String,
    /// Role names; implied roles are added (admin ⇒ member ⇒ reader, manager ⇒ member).
    #[serde(default = "default_roles")]
    pub roles: Vec<String>,
}

fn default_roles() -> Vec<String> {
    vec!["member".to_string()]
}

/// Who is calling, from a validated token: what keystonemiddleware passes on as `X-User-Id`,
/// `X-User-Name`, `X-User-Domain-*`, `X-Project-*`, `X-Domain-*`, `OpenStack-System-Scope`, `X-Roles`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthContext {
    pub user_id: String,
    pub user_name: String,
    pub user_domain_id: String,
    pub user_domain_name: String,
    /// Empty for a token not scoped to a project (domain, system or unscoped).
    pub project_id: String,
    pub project_name: String,
    pub project_domain_id: String,
    pub project_domain_name: String,
    /// The domain of a domain-scoped token.
    pub domain_id: Option<String>,
    pub domain_name: Option<String>,
    /// The system scope of a system-scoped token (`all`).
    pub system_scope: Option<String>,
    /// Expanded role names (e.g. `admin, member, reader`).
    pub roles: Vec<String>,
    /// Expiry, unix seconds.
    pub expires_at: i64,
}

impl AuthContext {
    /// Whether the context holds `role` (after expansion).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the context holds the `admin` role.
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }
}

/// Why a request is not authenticated. All variants but `Unavailable` mean HTTP 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("The request you have made requires authentication.")]
    Missing,
    #[error("The token is invalid.")]
    Invalid,
    #[error("The token has expired.")]
    Expired,
    #[error("The request you have made requires authentication.")]
    BadCredentials,
    #[error("User {user} has no access to project {project}.")]
    NoProjectAccess { user: String, project: String },
    #[error("{0}")]
    UnsupportedScope(String),
    #[error("Unsupported authentication method: {0}.")]
    UnsupportedMethod(String),
    /// The directory cannot be read (the database is down): 503, so that clients retry.
    #[error("The identity's database is unavailable: {0}")]
    Unavailable(String),
}

/// Failures of [`Identity::open`].
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("identity config: {0}")]
    Config(String),
    #[error("signing keys: {0}")]
    Keys(String),
}

/// The built-in identity: users, projects, roles and the signing keys.
pub struct Identity {
    public_url: String,
    identity_url: String,
    www_authenticate: String,
    region: String,
    token_ttl_secs: i64,
    keys: Arc<SigningKeys>,
    users: Vec<User>,
    user_by_id: HashMap<EntityId, usize>,
    user_by_name: HashMap<String, usize>,
    projects: Vec<Project>,
    roles: Vec<Role>,
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn default_users() -> Vec<UserConfig> {
    vec![
        UserConfig {
            name: "admin".into(),
            password: None,
            project: "admin".into(),
            roles: vec!["admin".into()],
        },
        UserConfig {
            name: "demo".into(),
            password: None,
            project: "demo".into(),
            roles: vec!["member".into()],
        },
    ]
}

fn check_name(kind: &str, name: &str) -> Result<(), IdentityError> {
    if name.trim().is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(IdentityError::Config(format!(
            "invalid {kind} name {name:?} (1-255 characters, no control characters)"
        )));
    }
    Ok(())
}

impl Identity {
    /// Signs and checks tokens with `keys`; loads or creates the generated passwords under
    /// `data_dir`, writes `openrc` and `clouds.yaml`. `public_url` is the unversioned API root
    /// (`http://127.0.0.1:9696/`); the identity endpoint is `public_url + "v3"`.
    pub fn open(
        config: &IdentityConfig,
        data_dir: &Path,
        public_url: &str,
        keys: Arc<SigningKeys>,
    ) -> Result<Identity, IdentityError> {
        if config.token_ttl_secs == 0 {
            return Err(IdentityError::Config("token_ttl_secs must be > 0".into()));
        }
        let token_ttl_secs = i64::try_from(config.token_ttl_secs)
            .ok()
            .filter(|t| *t <= 10 * 365 * 86_400)
            .ok_or_else(|| IdentityError::Config("token_ttl_secs is too large".into()))?;
        let public_url = public_url.trim();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(IdentityError::Config(format!(
                "public URL {public_url:?} must start with http:// or https://"
            )));
        }
        let mut public_url = public_url.to_string();
        if !public_url.ends_with('/') {
            public_url.push('/');
        }
        let identity_url = format!("{public_url}v3");

        let user_configs = if config.users.is_empty() {
            default_users()
        } else {
            config.users.clone()
        };

        files::ensure_dir(data_dir)?;
        let mut generated = files::load_passwords(data_dir)?;
        let mut generated_changed = false;

        let mut projects: Vec<Project> = Vec::new();
        let mut project_by_name: HashMap<String, usize> = HashMap::new();
        let mut users = Vec::new();
        let mut user_by_id = HashMap::new();
        let mut user_by_name = HashMap::new();
        let mut role_names: Vec<String> = expand_roles(&["admin", "manager"]);
        let mut credentials: Vec<(String, String, String, bool)> = Vec::new();

        for uc in &user_configs {
            check_name("user", &uc.name)?;
            check_name("project", &uc.project)?;
            for r in &uc.roles {
                check_name("role", r)?;
            }
            if uc.roles.is_empty() {
                return Err(IdentityError::Config(format!(
                    "user {:?} has no roles",
                    uc.name
                )));
            }
            if user_by_name.contains_key(&uc.name) {
                return Err(IdentityError::Config(format!(
                    "user {:?} is listed twice",
                    uc.name
                )));
            }
            let password = match &uc.password {
                Some(p) if !p.is_empty() => p.clone(),
                Some(_) => {
                    return Err(IdentityError::Config(format!(
                        "user {:?} has an empty password",
                        uc.name
                    )));
                }
                None => generated
                    .entry(uc.name.clone())
                    .or_insert_with(|| {
                        generated_changed = true;
                        files::generate_password()
                    })
                    .clone(),
            };
            let project = match project_by_name.get(&uc.project) {
                Some(&i) => i,
                None => {
                    let id = model::derive_id("project", &uc.project);
                    projects.push(Project {
                        id,
                        id_hex: model::hex(&id),
                        name: uc.project.clone(),
                    });
                    project_by_name.insert(uc.project.clone(), projects.len() - 1);
                    projects.len() - 1
                }
            };
            let roles = expand_roles(&uc.roles);
            for r in &roles {
                if !role_names.contains(r) {
                    role_names.push(r.clone());
                }
            }
            let id = model::derive_id("user", &uc.name);
            let password_digest = model::password_digest(&password);
            // Keyed with a secret, so it reveals nothing about the password; a secret that never
            // rotates, so that rotating the signing keys ends no token.
            let credential_epoch =
                keys.epoch_fingerprint(&[b"credential-epoch", &id, &password_digest]);
            let is_admin = roles.iter().any(|r| r == "admin");
            credentials.push((uc.name.clone(), password, uc.project.clone(), is_admin));
            user_by_id.insert(id, users.len());
            user_by_name.insert(uc.name.clone(), users.len());
            users.push(User {
                id,
                id_hex: model::hex(&id),
                name: uc.name.clone(),
                password_digest,
                credential_epoch,
                project,
                roles,
            });
        }
        if generated_changed {
            files::save_passwords(data_dir, &generated)?;
        }

        // openrc: the first admin user (or the first user); clouds.yaml: every user.
        let rc_user = credentials
            .iter()
            .find(|c| c.3)
            .or_else(|| credentials.first());
        if let Some((user, password, project, _)) = rc_user {
            let text = files::openrc_text(
                &identity_url,
                &config.region,
                &files::Credentials {
                    user,
                    password,
                    project,
                },
            );
            files::write_private(&data_dir.join(files::OPENRC_FILE), text.as_bytes())?;
        }
        let creds: Vec<files::Credentials<'_>> = credentials
            .iter()
            .map(|(user, password, project, _)| files::Credentials {
                user,
                password,
                project,
            })
            .collect();
        let yaml = files::clouds_yaml_text(&identity_url, &config.region, &creds);
        files::write_private(&data_dir.join(files::CLOUDS_FILE), yaml.as_bytes())?;

        let roles = role_names
            .into_iter()
            .map(|name| Role {
                id_hex: derive_hex_id("role", &name),
                name,
            })
            .collect();

        tracing::info!(
            users = users.len(),
            projects = projects.len(),
            auth_url = %identity_url,
            openrc = %data_dir.join(files::OPENRC_FILE).display(),
            "built-in identity ready"
        );
        Ok(Identity {
            www_authenticate: format!("Keystone uri=\"{identity_url}\""),
            public_url,
            identity_url,
            region: config.region.clone(),
            token_ttl_secs,
            keys,
            users,
            user_by_id,
            user_by_name,
            projects,
            roles,
        })
    }

    /// axum Router serving everything under `/v3` (and `/v3/`).
    pub fn router(self: std::sync::Arc<Self>) -> axum::Router {
        http::router(self)
    }

    /// Validates an `X-Auth-Token` value with the keys this replica knows now, for users of the
    /// config file only (no database read: tests and benchmarks); the server uses
    /// [`Identity::authenticate`].
    pub fn validate(&self, token: &str) -> Result<AuthContext, AuthError> {
        if token.trim().is_empty() {
            return Err(AuthError::Missing);
        }
        let claims = self
            .keys
            .ring()
            .decode(token)
            .map_err(|_| AuthError::Invalid)?;
        if claims.expires_at <= now_secs() {
            return Err(AuthError::Expired);
        }
        let index = *self
            .user_by_id
            .get(&claims.user_id)
            .ok_or(AuthError::Invalid)?;
        let scoped = self
            .config_scope(index, ProjectRef::Own)
            .map_err(|_| AuthError::Invalid)?;
        if scoped.account.credential_epoch != claims.credential_epoch
            || scoped.project_id != claims.project_id
        {
            return Err(AuthError::Invalid);
        }
        Ok(context(&claims, scoped))
    }

    /// Validates an `X-Auth-Token` value, reading the keys from the database again first if no
    /// key known now signed it (one another replica has started to sign with). A user created
    /// through the admin API is read from the database: a token of a user deleted or disabled,
    /// or of a project deleted or disabled, or of a user who lost every role on its project,
    /// is refused from then on.
    pub async fn authenticate(&self, token: &str) -> Result<AuthContext, AuthError> {
        let (claims, scoped) = self.check_token(token).await?;
        Ok(context(&claims, scoped))
    }

    /// Value of the `WWW-Authenticate` header on 401s: `Keystone uri="<public_url>v3"`.
    pub fn www_authenticate(&self) -> &str {
        &self.www_authenticate
    }

    /// The identity endpoint (`<public_url>v3`), i.e. `OS_AUTH_URL`.
    pub fn auth_url(&self) -> &str {
        &self.identity_url
    }

    /// Issues a password-method token directly (tests and benchmarks) for a user of the config file.
    pub fn issue_token(
        &self,
        user_name: &str,
        password: &str,
        project_name: Option<&str>,
    ) -> Result<String, AuthError> {
        let digest = model::password_digest(password);
        let index = *self
            .user_by_name
            .get(user_name)
            .filter(|&&i| model::constant_time_eq(&self.users[i].password_digest, &digest))
            .ok_or(AuthError::BadCredentials)?;
        let scope = project_name.map_or(ProjectRef::Own, ProjectRef::Name);
        let scoped = self.config_scope(index, scope)?;
        Ok(self
            .keys
            .sign(&self.claims_for(&scoped, METHOD_PASSWORD, None)))
    }

    // ---- internals shared with the HTTP layer ----

    /// Checks signature (refreshing the keys once if none of them signed the token), expiry,
    /// and what the directory says of its user and project now.
    async fn check_token(&self, token: &str) -> Result<(Claims, Scoped), AuthError> {
        if token.trim().is_empty() {
            return Err(AuthError::Missing);
        }
        let claims = self
            .keys
            .decode_refreshing(token)
            .await
            .map_err(|_: DecodeError| AuthError::Invalid)?;
        let scoped = self.resolve(&claims).await?;
        Ok((claims, scoped))
    }

    fn new_claims(
        &self,
        user_id: EntityId,
        credential_epoch: [u8; 4],
        project_id: EntityId,
        methods: u8,
        expires_at: Option<i64>,
    ) -> Claims {
        let now = now_secs();
        let mut audit_id = [0u8; 16];
        rand::fill(&mut audit_id[..]);
        Claims {
            methods,
            issued_at: now,
            expires_at: expires_at.unwrap_or(now.saturating_add(self.token_ttl_secs)),
            user_id,
            project_id,
            credential_epoch,
            audit_id,
        }
    }

    /// The claims of a new token for a scope.
    fn claims_for(&self, scoped: &Scoped, methods: u8, expires_at: Option<i64>) -> Claims {
        self.new_claims(
            scoped.account.id,
            scoped.account.credential_epoch,
            scoped.project_id,
            methods,
            expires_at,
        )
    }

    /// Re-scopes a valid token (token method): same user, same expiry.
    async fn rescope(
        &self,
        token: &str,
        scope: ProjectRef<'_>,
    ) -> Result<(Claims, Scoped), AuthError> {
        let (old, current) = self.check_token(token).await?;
        let scoped = self.scope(&current.account, scope).await?;
        let claims = self.claims_for(&scoped, old.methods | METHOD_TOKEN, Some(old.expires_at));
        Ok((claims, scoped))
    }
}

/// What keystonemiddleware would pass on for a validated token.
fn context(claims: &Claims, scoped: Scoped) -> AuthContext {
    AuthContext {
        user_id: scoped.account.id_hex,
        user_name: scoped.account.name,
        user_domain_id: DOMAIN_ID.into(),
        user_domain_name: DOMAIN_NAME.into(),
        project_id: scoped.project_id_hex,
        project_name: scoped.project_name,
        project_domain_id: DOMAIN_ID.into(),
        project_domain_name: DOMAIN_NAME.into(),
        roles: scoped.roles,
        expires_at: claims.expires_at,
        ..AuthContext::default()
    }
}

/// The project a token request asks for.
#[derive(Clone, Copy, Debug)]
enum ProjectRef<'a> {
    /// No scope given: the user's own project.
    Own,
    Name(&'a str),
    Id(&'a str),
}

#[cfg(test)]
mod tests;
