//! Leases: work that must run on exactly one replica at a time is done by the holder of a named
//! lease. A holder renews its lease well before it expires; another replica takes it over only
//! once it has expired, with a fencing token one higher, which the new holder stamps on what it
//! writes elsewhere so that writes of a holder that lost the lease are refused there.
//!
//! Each function is one read-then-write inside the caller's transaction: the single writer of
//! SQLite and the serializable transactions of PostgreSQL (retried on conflict) make two
//! replicas' claims of one lease take turns, so at most one of them wins.

use crate::StoreError;
use crate::tx::Tx;

/// A lease as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    /// Who holds (or last held) it: a process name such as `host:pid`.
    pub holder: String,
    /// Grows by one with every new holder.
    pub token: i64,
    /// When it lapses unless renewed (ms since the Unix epoch).
    pub expires_ms: i64,
}

/// The lease `name`, if anyone ever held it.
pub fn lease(tx: &Tx, name: &str) -> Result<Option<Lease>, StoreError> {
    let Some(row) = tx.query_opt(
        "SELECT holder, token, expires_ms FROM leases WHERE name = ?1",
        &[name.into()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Lease {
        name: name.to_owned(),
        holder: row.text(0)?,
        token: row.int(1)?,
        expires_ms: row.int(2)?,
    }))
}

/// Takes or renews the lease `name` for `holder` until `now_ms + ttl_ms`. `held` is the token
/// the caller holds it under, if it believes it does. Renewed when the caller still holds it
/// under that token (even if it has just expired: nobody took it over); taken, with the next
/// token, when it is free or expired. `None` when someone else holds it.
pub fn claim_lease(
    tx: &Tx,
    name: &str,
    holder: &str,
    held: Option<i64>,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<Option<Lease>, StoreError> {
    let expires_ms = now_ms.saturating_add(ttl_ms);
    let token = match lease(tx, name)? {
        None => 1,
        Some(current) if current.holder == holder && Some(current.token) == held => current.token,
        Some(current) if current.expires_ms <= now_ms => current.token + 1,
        Some(_) => return Ok(None),
    };
    tx.execute(
        "INSERT INTO leases (name, holder, token, expires_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token, \
         expires_ms = excluded.expires_ms",
        &[name.into(), holder.into(), token.into(), expires_ms.into()],
    )?;
    Ok(Some(Lease {
        name: name.to_owned(),
        holder: holder.to_owned(),
        token,
        expires_ms,
    }))
}

/// Gives the lease up at once (a replica shutting down), if `holder` still holds it under
/// `token`: the next claim takes it without waiting for it to expire.
pub fn release_lease(tx: &Tx, name: &str, holder: &str, token: i64) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "UPDATE leases SET expires_ms = 0 WHERE name = ?1 AND holder = ?2 AND token = ?3",
        &[name.into(), holder.into(), token.into()],
    )? > 0)
}
