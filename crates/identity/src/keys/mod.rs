//! The keys that sign tokens, shared by every replica through the database.
//!
//! * **Where they live.** In the store (`neutrino_store::signing_keys`), so that a token issued
//!   by one replica is valid on every other one. The identity crate uses the store directly
//!   rather than through a trait that `neutrino serve` would implement: the keys are state like
//!   any other, the store is the one place it lives, and the tests of two replicas here run the
//!   same code as the server on both engines.
//! * **First start.** Every replica proposes a key and a secret of credential epochs; one
//!   transaction stores them only if the database has none, and each replica reads back what is
//!   stored, so replicas starting together end with the same keys. A data dir with the key file
//!   of an earlier release proposes that key for both, so tokens and credential epochs issued
//!   before the upgrade stay valid.
//! * **Signing and checking.** The newest key signs; a token is accepted if any accepted key's
//!   HMAC matches (a few keys: cheap, and no token format change).
//! * **Rotation** ([`rotate_signing_key`], `neutrino identity rotate-key`) adds a key; the one it
//!   replaces stays accepted for `token_ttl_secs` plus [`ROTATION_GRACE`] (replicas that have not
//!   refreshed yet sign with it for up to [`REFRESH_INTERVAL`] longer), after which every token
//!   it signed has expired and it is pruned.
//! * **Refreshing.** Each replica reads the keys every [`REFRESH_INTERVAL`], and at once when a
//!   well-formed token matches none of its keys (a token of a key another replica has just
//!   started to use), at most once per [`MISS_REFRESH_SPACING`] so that forged tokens cannot
//!   hammer the database: such a token waits for the next permitted refresh and is checked again.
//! * **Credential epochs** (which end a user's tokens when the password changes) are keyed with a
//!   separate secret that never rotates: rotating the signing key ends no token.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use neutrino_store::signing_keys as stored;
use neutrino_store::{Store, StoreError, unix_time_ms};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::IdentityError;
use crate::files;
use crate::token::{Claims, DecodeError, TokenSigner};

/// Length of a new secret in bytes.
pub const SECRET_LEN: usize = 32;
/// How often a replica reads the keys from the database.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// The least time between two refreshes caused by tokens no known key signed.
pub const MISS_REFRESH_SPACING: Duration = Duration::from_secs(1);
/// How much longer than `token_ttl_secs` a replaced key is accepted: replicas keep signing with
/// it until they next refresh.
pub const ROTATION_GRACE: Duration = Duration::from_secs(2 * REFRESH_INTERVAL.as_secs());

/// The accepted keys at one moment.
pub(crate) struct KeyRing {
    /// The newest key: it signs.
    newest: TokenSigner,
    /// The keys it replaced that are still accepted.
    older: Vec<TokenSigner>,
    /// Grows with every refresh: a request that saw this ring fail knows whether a refresh has
    /// happened since.
    generation: u64,
}

impl KeyRing {
    /// The claims of a token signed by any key of the ring. `BadSignature`: none of them.
    pub(crate) fn decode(&self, token: &str) -> Result<Claims, DecodeError> {
        for key in std::iter::once(&self.newest).chain(&self.older) {
            match key.decode(token) {
                Err(DecodeError::BadSignature) => {}
                decoded => return decoded,
            }
        }
        Err(DecodeError::BadSignature)
    }
}

/// The signing keys of one replica: the newest signs, all accepted ones verify.
pub struct SigningKeys {
    /// Where the keys come from; `None` for [`SigningKeys::in_memory`].
    store: Option<Store>,
    ring: RwLock<Arc<KeyRing>>,
    /// The key of credential epochs: never changes.
    epoch: TokenSigner,
    /// When the last refresh caused by an unknown key started.
    miss_refresh: Mutex<Option<Instant>>,
    /// How many such refreshes have started (successful or not).
    miss_refreshes: AtomicU64,
}

impl SigningKeys {
    /// The keys in the database, created on its first start (importing the key file of an
    /// earlier release from `data_dir`, if there is one); refreshed from it every
    /// [`REFRESH_INTERVAL`] while the returned handle lives. Call it on a tokio runtime.
    pub async fn open(store: &Store, data_dir: &Path) -> Result<Arc<SigningKeys>, IdentityError> {
        create_first_keys(store, data_dir).await?;
        let (ring, epoch) = load(store).await?;
        let signing = Arc::new(SigningKeys {
            store: Some(store.clone()),
            ring: RwLock::new(Arc::new(ring)),
            epoch,
            miss_refresh: Mutex::new(None),
            miss_refreshes: AtomicU64::new(0),
        });
        tokio::spawn(refresh_periodically(Arc::downgrade(&signing)));
        Ok(signing)
    }

    /// New random keys kept only in memory, never rotated: for a lone process whose tokens need
    /// not outlive it (tests, examples).
    pub fn in_memory() -> Arc<SigningKeys> {
        Arc::new(SigningKeys {
            store: None,
            ring: RwLock::new(Arc::new(KeyRing {
                newest: TokenSigner::new(&new_secret()),
                older: Vec::new(),
                generation: 0,
            })),
            epoch: TokenSigner::new(&new_secret()),
            miss_refresh: Mutex::new(None),
            miss_refreshes: AtomicU64::new(0),
        })
    }

    /// Reads the keys from the database again (nothing for in-memory keys).
    pub async fn refresh(&self) -> Result<(), IdentityError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let (mut fresh, _) = load(store).await?;
        let mut ring = self
            .ring
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        fresh.generation = ring.generation + 1;
        *ring = Arc::new(fresh);
        Ok(())
    }

    /// The database the keys live in (the built-in identity keeps its directory there too);
    /// `None` for [`SigningKeys::in_memory`].
    pub(crate) fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// The keys now.
    pub(crate) fn ring(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Signs claims with the newest key.
    pub(crate) fn sign(&self, claims: &Claims) -> String {
        self.ring().newest.encode(claims)
    }

    /// The claims of a token: with the keys known now, and if none of them signed it, once more
    /// after a refresh (a key another replica has started to use). Refreshes caused this way are
    /// spaced [`MISS_REFRESH_SPACING`] apart; a token waits for the next one, and a refresh that
    /// started after it was checked (even a failed one) serves it too, so that a flood of forged
    /// tokens costs one database read a second and no queue of them.
    pub(crate) async fn decode_refreshing(&self, token: &str) -> Result<Claims, DecodeError> {
        let attempts = self.miss_refreshes.load(Ordering::SeqCst);
        let ring = self.ring();
        match ring.decode(token) {
            Err(DecodeError::BadSignature) if self.store.is_some() => {}
            decoded => return decoded,
        }
        {
            let mut last = self.miss_refresh.lock().await;
            let refreshed_since = self.ring().generation != ring.generation
                || self.miss_refreshes.load(Ordering::SeqCst) != attempts;
            if !refreshed_since {
                if let Some(at) = *last {
                    tokio::time::sleep_until(at + MISS_REFRESH_SPACING).await;
                }
                *last = Some(Instant::now());
                self.miss_refreshes.fetch_add(1, Ordering::SeqCst);
                if let Err(e) = self.refresh().await {
                    tracing::warn!(error = %e, "cannot refresh the signing keys");
                }
            }
        }
        self.ring().decode(token)
    }

    /// A fingerprint keyed with the secret of credential epochs.
    pub(crate) fn epoch_fingerprint(&self, parts: &[&[u8]]) -> [u8; 4] {
        self.epoch.fingerprint(parts)
    }
}

/// A new random secret.
fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_LEN];
    rand::fill(&mut secret[..]);
    secret
}

fn store_error(e: StoreError) -> IdentityError {
    IdentityError::Keys(e.to_string())
}

/// Stores the first keys if the database has none: the key file of `data_dir`, if any, as both
/// the signing key and the secret of credential epochs (what that release used it for), else
/// new random ones. Prunes keys past their time.
async fn create_first_keys(store: &Store, data_dir: &Path) -> Result<(), IdentityError> {
    let legacy = files::read_legacy_key(data_dir)?;
    let imported = legacy.is_some();
    let signing = STANDARD.encode(legacy.clone().unwrap_or_else(new_secret));
    let epoch = STANDARD.encode(legacy.unwrap_or_else(new_secret));
    let created = store
        .write(move |tx| {
            let now = unix_time_ms();
            let created = stored::create_first_keys(tx, &signing, &epoch, now)?;
            stored::prune_signing_keys(tx, now)?;
            Ok::<_, StoreError>(created)
        })
        .await
        .map_err(store_error)?;
    if created && imported {
        tracing::info!(
            file = %data_dir.join(files::KEY_FILE).display(),
            "imported the signing key of the data dir into the database (the file is no longer used)"
        );
    } else if created {
        tracing::info!("created the first signing key in the database");
    }
    Ok(())
}

/// The accepted keys and the key of credential epochs, from the database.
async fn load(store: &Store) -> Result<(KeyRing, TokenSigner), IdentityError> {
    let (keys, epoch) = store
        .read(|tx| {
            Ok::<_, StoreError>((
                stored::signing_keys(tx)?,
                stored::identity_secret(tx, stored::CREDENTIAL_EPOCH)?,
            ))
        })
        .await
        .map_err(store_error)?;
    let now = unix_time_ms();
    let mut keys = keys
        .iter()
        .filter(|k| k.accepted_at(now))
        .map(|k| decode_secret(&format!("signing key {}", k.id), &k.secret))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(IdentityError::Keys(
            "the database holds no signing key".into(),
        ));
    }
    let newest = keys.remove(0);
    let epoch = epoch.ok_or_else(|| {
        IdentityError::Keys("the database holds no secret of credential epochs".into())
    })?;
    let ring = KeyRing {
        newest,
        older: keys,
        generation: 0,
    };
    Ok((
        ring,
        decode_secret("the secret of credential epochs", &epoch)?,
    ))
}

fn decode_secret(what: &str, text: &str) -> Result<TokenSigner, IdentityError> {
    match STANDARD.decode(text) {
        Ok(bytes) if !bytes.is_empty() => Ok(TokenSigner::new(&bytes)),
        _ => Err(IdentityError::Keys(format!("{what} is not base64 text"))),
    }
}

async fn refresh_periodically(keys: Weak<SigningKeys>) {
    let mut tick = tokio::time::interval(REFRESH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(keys) = keys.upgrade() else {
            return;
        };
        if let Err(e) = keys.refresh().await {
            tracing::warn!(error = %e, "cannot refresh the signing keys");
        }
    }
}

/// Adds a new signing key (after creating the first keys, if the database has none yet). The
/// key it replaces stays accepted for `token_ttl_secs` plus [`ROTATION_GRACE`]; keys past their
/// time are pruned. Replicas sign with the new key from their next refresh, and accept it at
/// once. Returns the new key's id.
pub async fn rotate_signing_key(
    store: &Store,
    data_dir: &Path,
    token_ttl_secs: u64,
) -> Result<i64, IdentityError> {
    create_first_keys(store, data_dir).await?;
    let keep_ms = token_ttl_secs
        .saturating_add(ROTATION_GRACE.as_secs())
        .saturating_mul(1000);
    let keep_ms = i64::try_from(keep_ms).unwrap_or(i64::MAX);
    let secret = STANDARD.encode(new_secret());
    let key = store
        .write(move |tx| {
            let now = unix_time_ms();
            stored::add_signing_key(tx, &secret, now, now.saturating_add(keep_ms))
        })
        .await
        .map_err(store_error)?;
    tracing::info!(id = key.id, "added a signing key");
    Ok(key.id)
}

#[cfg(test)]
mod tests;
