//! The built-in identity's secrets, kept in the database so that every replica signs and checks
//! tokens with the same keys (the identity crate decides what they are and when they rotate):
//!
//! * signing keys, numbered from 1: the newest signs, and a key stays accepted until its
//!   `accepted_until_ms`, set when a successor replaces it (`NULL` while it is the newest);
//! * named secrets that never rotate (the key of the users' credential epochs).
//!
//! Secrets cross this interface as text (the identity crate hex-encodes them). Each function is
//! a few statements inside the caller's transaction: SQLite's single writer and PostgreSQL's
//! serializable transactions (retried on conflict) make replicas that create or rotate keys at
//! the same moment take turns.

use crate::StoreError;
use crate::tx::Tx;
use crate::value::Row;

/// One signing key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningKey {
    /// 1, 2, 3, ...: the highest is the newest.
    pub id: i64,
    pub secret: String,
    /// When it was added (ms since the Unix epoch).
    pub created_ms: i64,
    /// `None` for the newest key; for an older one, until when tokens it signed are accepted.
    pub accepted_until_ms: Option<i64>,
}

impl SigningKey {
    /// Whether tokens it signed are accepted at `now_ms`: the one rule of acceptance (pruning
    /// removes exactly the keys it refuses).
    pub fn accepted_at(&self, now_ms: i64) -> bool {
        self.accepted_until_ms.is_none_or(|until| until > now_ms)
    }
}

/// The name of the secret of credential epochs in `identity_secrets`.
pub const CREDENTIAL_EPOCH: &str = "credential-epoch";

fn signing_key(r: &Row) -> Result<SigningKey, StoreError> {
    Ok(SigningKey {
        id: r.int(0)?,
        secret: r.text(1)?,
        created_ms: r.int(2)?,
        accepted_until_ms: r.opt_int(3)?,
    })
}

/// Every stored signing key, the newest first (accepted or not yet pruned).
pub fn signing_keys(tx: &Tx) -> Result<Vec<SigningKey>, StoreError> {
    tx.query(
        "SELECT id, secret, created_ms, accepted_until_ms FROM signing_keys ORDER BY id DESC",
        &[],
    )?
    .iter()
    .map(signing_key)
    .collect()
}

/// The secret called `name`, if it was ever created.
pub fn identity_secret(tx: &Tx, name: &str) -> Result<Option<String>, StoreError> {
    tx.query_opt(
        "SELECT secret FROM identity_secrets WHERE name = ?1",
        &[name.into()],
    )?
    .map(|r| r.into_text(0))
    .transpose()
}

/// First start: creates the secret of credential epochs and signing key 1 from the given
/// candidates, each only if the database has none yet (another replica may have won the race;
/// the caller reads back what is stored). Returns whether a signing key was created.
pub fn create_first_keys(
    tx: &Tx,
    signing_secret: &str,
    epoch_secret: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    tx.execute(
        "INSERT INTO identity_secrets (name, secret, created_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO NOTHING",
        &[CREDENTIAL_EPOCH.into(), epoch_secret.into(), now_ms.into()],
    )?;
    if tx.flag("SELECT EXISTS (SELECT 1 FROM signing_keys)", &[])? {
        return Ok(false);
    }
    Ok(tx.execute(
        "INSERT INTO signing_keys (id, secret, created_ms, accepted_until_ms) \
         VALUES (1, ?1, ?2, NULL) ON CONFLICT (id) DO NOTHING",
        &[signing_secret.into(), now_ms.into()],
    )? > 0)
}

/// Rotation: adds a key that becomes the newest, accepts the keys it replaces until
/// `replaced_until_ms`, and prunes keys no longer accepted at `now_ms`. Returns the new key.
pub fn add_signing_key(
    tx: &Tx,
    secret: &str,
    now_ms: i64,
    replaced_until_ms: i64,
) -> Result<SigningKey, StoreError> {
    let id = tx
        .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM signing_keys", &[])?
        .int(0)?;
    tx.execute(
        "UPDATE signing_keys SET accepted_until_ms = ?1 WHERE accepted_until_ms IS NULL",
        &[replaced_until_ms.into()],
    )?;
    tx.execute(
        "INSERT INTO signing_keys (id, secret, created_ms, accepted_until_ms) \
         VALUES (?1, ?2, ?3, NULL)",
        &[id.into(), secret.into(), now_ms.into()],
    )?;
    prune_signing_keys(tx, now_ms)?;
    Ok(SigningKey {
        id,
        secret: secret.to_owned(),
        created_ms: now_ms,
        accepted_until_ms: None,
    })
}

/// Deletes the keys no longer accepted at `now_ms` (never the newest); returns how many.
pub fn prune_signing_keys(tx: &Tx, now_ms: i64) -> Result<usize, StoreError> {
    let mut pruned = 0;
    for key in signing_keys(tx)? {
        if !key.accepted_at(now_ms) {
            pruned += tx.execute("DELETE FROM signing_keys WHERE id = ?1", &[key.id.into()])?;
        }
    }
    Ok(pruned)
}
