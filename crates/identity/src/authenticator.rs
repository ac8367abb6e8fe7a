//! Who checks the API's tokens: the built-in identity, or the cloud's Keystone.

use std::path::Path;
use std::sync::Arc;

use neutrino_store::Store;

use crate::{
    AuthContext, AuthError, Identity, IdentityConfig, IdentityError, Keystone, SigningKeys,
};

/// Why a token was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The token is missing, invalid, expired or revoked: 401.
    Unauthorized(AuthError),
    /// Keystone cannot be asked (down, refusing Neutrino's service user, answering nonsense):
    /// 503, so that clients retry instead of dropping their credentials.
    Unavailable(String),
}

/// The token check of `[identity] mode`.
#[derive(Clone)]
pub enum Authenticator {
    Builtin(Arc<Identity>),
    Keystone(Arc<Keystone>),
}

impl From<Arc<Identity>> for Authenticator {
    fn from(identity: Arc<Identity>) -> Self {
        Authenticator::Builtin(identity)
    }
}

impl Authenticator {
    /// The authenticator `config.mode` names. Builtin: loads (or, on the database's first start,
    /// creates) the signing keys in `store`, loads or creates its passwords under `data_dir` and
    /// serves `/v3` at `public_url`. Keystone: contacts nothing yet, and touches neither.
    pub async fn open(
        config: &IdentityConfig,
        data_dir: &Path,
        public_url: &str,
        store: &Store,
    ) -> Result<Authenticator, IdentityError> {
        match config.mode.as_str() {
            "builtin" => {
                let keys = SigningKeys::open(store, data_dir).await?;
                Ok(Arc::new(Identity::open(config, data_dir, public_url, keys)?).into())
            }
            "keystone" => Ok(Authenticator::Keystone(Arc::new(Keystone::new(
                &config.keystone,
            )?))),
            other => Err(IdentityError::Config(format!(
                "mode must be \"builtin\" or \"keystone\", not {other:?}"
            ))),
        }
    }

    /// The context of an `X-Auth-Token` value.
    pub async fn validate(&self, token: &str) -> Result<AuthContext, Rejection> {
        match self {
            Authenticator::Builtin(identity) => {
                identity.authenticate(token).await.map_err(|e| match e {
                    AuthError::Unavailable(reason) => Rejection::Unavailable(reason),
                    e => Rejection::Unauthorized(e),
                })
            }
            Authenticator::Keystone(keystone) => keystone.validate(token).await,
        }
    }

    /// The `WWW-Authenticate` value of 401s: where clients get tokens.
    pub fn www_authenticate(&self) -> &str {
        match self {
            Authenticator::Builtin(identity) => identity.www_authenticate(),
            Authenticator::Keystone(keystone) => keystone.www_authenticate(),
        }
    }

    /// The built-in identity's `/v3` routes; none in Keystone mode (Keystone serves them).
    pub fn router(&self) -> axum::Router {
        match self {
            Authenticator::Builtin(identity) => identity.clone().router(),
            Authenticator::Keystone(_) => axum::Router::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeystoneConfig;

    /// An authenticator of `cfg` on a fresh SQLite store, and the signing keys that left there.
    async fn open(cfg: &IdentityConfig) -> (Result<Authenticator, IdentityError>, usize) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("db.sqlite")).unwrap();
        let auth = Authenticator::open(
            cfg,
            Path::new("/nonexistent"),
            "http://127.0.0.1:9696/",
            &store,
        )
        .await;
        let keys = store
            .read(neutrino_store::signing_keys::signing_keys)
            .await
            .unwrap();
        (auth, keys.len())
    }

    async fn keystone_mode(keystone: KeystoneConfig) -> Result<Authenticator, IdentityError> {
        let cfg = IdentityConfig {
            mode: "keystone".into(),
            keystone,
            ..IdentityConfig::default()
        };
        let (auth, keys) = open(&cfg).await;
        assert_eq!(keys, 0, "keystone mode creates no signing keys");
        auth
    }

    fn complete() -> KeystoneConfig {
        KeystoneConfig {
            auth_url: "http://127.0.0.1:5000/v3/".into(),
            password: "pw".into(),
            ..KeystoneConfig::default()
        }
    }

    #[tokio::test]
    async fn keystone_mode_writes_nothing_and_points_clients_at_keystone() {
        let auth = keystone_mode(complete())
            .await
            .expect("no data dir is touched");
        assert_eq!(
            auth.www_authenticate(),
            "Keystone uri=\"http://127.0.0.1:5000/v3\""
        );
        let public = KeystoneConfig {
            www_authenticate_uri: "https://keystone.example/v3".into(),
            ..complete()
        };
        let auth = keystone_mode(public).await.unwrap();
        assert_eq!(
            auth.www_authenticate(),
            "Keystone uri=\"https://keystone.example/v3\""
        );
    }

    #[tokio::test]
    async fn incomplete_keystone_settings_are_named() {
        async fn err(k: KeystoneConfig) -> String {
            keystone_mode(k).await.err().unwrap().to_string()
        }
        let missing_password = KeystoneConfig {
            password: String::new(),
            ..complete()
        };
        assert!(err(missing_password).await.contains("password"));
        let no_url = KeystoneConfig {
            auth_url: String::new(),
            ..complete()
        };
        assert!(err(no_url).await.contains("auth_url"));
        let not_http = KeystoneConfig {
            auth_url: "ftp://keystone.example/v3".into(),
            ..complete()
        };
        assert!(err(not_http).await.contains("http:// or https://"));
        let cfg = IdentityConfig {
            mode: "ldap".into(),
            ..IdentityConfig::default()
        };
        let (e, keys) = open(&cfg).await;
        assert!(e.err().unwrap().to_string().contains("\"ldap\""));
        assert_eq!(keys, 0);
    }

    #[tokio::test]
    async fn keystone_unreachable_is_unavailable_not_unauthorized() {
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let auth = keystone_mode(KeystoneConfig {
            auth_url: format!("http://127.0.0.1:{port}"),
            ..complete()
        })
        .await
        .unwrap();
        assert!(matches!(
            auth.validate("some-token").await,
            Err(Rejection::Unavailable(_))
        ));
        assert_eq!(
            auth.validate(" ").await,
            Err(Rejection::Unauthorized(AuthError::Missing))
        );
        assert_eq!(
            auth.validate("two words").await,
            Err(Rejection::Unauthorized(AuthError::Invalid)),
            "refused without asking Keystone"
        );
    }
}
