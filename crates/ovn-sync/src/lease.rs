//! Exactly one replica runs the OVN back end: the holder of the store's `ovn` lease.
//!
//! Every replica with `[ovn]` configured runs this supervisor. It claims the lease every third of
//! `lease_secs`; the holder starts the reconciler and the Southbound task, the others wait as
//! standbys and take over once the holder stops renewing (it died, hung, or lost the database)
//! and the lease has expired — within `lease_secs` plus one claim interval.
//!
//! A holder that cannot renew stops its work on its own before the lease can expire (a sixth of
//! `lease_secs` early, room for the replicas' clocks to differ). Its writes are fenced besides:
//! a new holder first writes its token into `NB_Global.external_ids`, and every transaction of
//! the reconciler carries a `wait` for its own token there, so a transaction of the old holder
//! still on its way is refused by the Northbound database instead of undoing the new holder's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use neutrino_ovsdb::{Client, Condition, Mutation, Operation, OperationResult, Value, WaitUntil};
use neutrino_store::{Store, leases};
use tokio::sync::watch;

use crate::config::OvnConfig;

/// The lease's name in the store.
pub const LEASE: &str = "ovn";

/// The `NB_Global.external_ids` key holding the current holder's fencing token.
pub const FENCE_KEY: &str = "neutrino:lease";

/// What this replica's supervisor knows of the lease.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    /// This process' name in the lease (`host:pid`).
    pub holder: String,
    /// The token this replica holds the lease under, while it does.
    pub token: Option<i64>,
    /// The database has answered a claim: until then nobody knows whether this replica is the
    /// active one or a standby.
    pub answered: bool,
}

/// A name for this process in the lease: the host name (a pod's name on Kubernetes) and the
/// process id; a second back end in one process (tests) gets a suffix.
pub fn holder_name() -> String {
    static STARTED: AtomicU64 = AtomicU64::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    match STARTED.fetch_add(1, Ordering::Relaxed) {
        0 => format!("{host}:{}", std::process::id()),
        n => format!("{host}:{}/{}", std::process::id(), n + 1),
    }
}

/// Makes `token` the Northbound database's current fencing token: the new holder's first write.
pub async fn claim_fence(client: &Client, token: i64) -> Result<(), neutrino_ovsdb::Error> {
    let results = client.transact(&[fence_claim(token)]).await?;
    if results.first().and_then(OperationResult::count) == Some(0) {
        // No NB_Global row yet (neither ovn-northd nor `ovn-nbctl init` has made one): make it,
        // with the token. Its schema allows one row, so a racing second insert fails.
        let row = neutrino_ovsdb::operation::row([(
            "external_ids",
            Value::map([(FENCE_KEY, token.to_string())]),
        )]);
        client
            .transact(&[Operation::insert("NB_Global", row)])
            .await?;
    }
    Ok(())
}

fn fence_claim(token: i64) -> Operation {
    Operation::mutate(
        "NB_Global",
        Vec::new(),
        vec![
            Mutation::delete("external_ids", Value::set([FENCE_KEY])),
            Mutation::insert("external_ids", Value::map([(FENCE_KEY, token.to_string())])),
        ],
    )
}

/// Fails the transaction it is part of unless `token` is still the current fencing token.
pub fn fence_wait(token: i64) -> Operation {
    Operation::wait(
        "NB_Global",
        vec![Condition::includes(
            "external_ids",
            Value::map([(FENCE_KEY, token.to_string())]),
        )],
        &["_uuid"],
        WaitUntil::NotEqual,
        Vec::new(),
        Some(0),
    )
}

/// Claims and renews the lease until `stop` turns true, running `start(token)`'s work (stopped
/// when dropped) while it holds the lease; then stops the work and releases the lease, so that a standby takes over at
/// once. `holding` tells whoever watches what this replica holds.
pub async fn supervise<W>(
    store: Store,
    config: &OvnConfig,
    holding: watch::Sender<Holding>,
    mut stop: watch::Receiver<bool>,
    mut start: impl FnMut(i64) -> W,
) {
    let holder = holding.borrow().holder.clone();
    let ttl = config.lease();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let mut tick = tokio::time::interval(ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut work: Option<W> = None;
    let mut held: Option<i64> = None;
    // Until when the work may go on without another renewal.
    let mut valid_until = Instant::now();
    loop {
        let expiring = tokio::time::sleep_until(valid_until.into());
        tokio::select! {
            _ = tick.tick() => {}
            _ = expiring, if work.is_some() => {
                tracing::warn!(%holder, "OVN back end: the lease was not renewed in time; stopping");
                work = None;
                holding.send_modify(|h| h.token = None);
                continue;
            }
            _ = stop.wait_for(|stop| *stop) => break,
        }
        let asked = Instant::now();
        let claim = {
            let holder = holder.clone();
            store.write(move |tx| {
                leases::claim_lease(
                    tx,
                    LEASE,
                    &holder,
                    held,
                    neutrino_store::unix_time_ms(),
                    ttl_ms,
                )
            })
        };
        // A claim that hangs (the database is away) must not hold up the expiry above.
        let claimed = tokio::time::timeout(ttl / 3, claim).await;
        let answered = matches!(claimed, Ok(Ok(_)));
        match claimed {
            Ok(Ok(Some(lease))) => {
                valid_until = asked + ttl - ttl / 6;
                if work.is_none() || held != Some(lease.token) {
                    tracing::info!(%holder, token = lease.token, "OVN back end: this replica holds the lease");
                    // The old term's work stops before the new one starts.
                    drop(work.take());
                    work = Some(start(lease.token));
                    holding.send_modify(|h| h.token = Some(lease.token));
                }
                held = Some(lease.token);
            }
            Ok(Ok(None)) => {
                if work.take().is_some() {
                    tracing::warn!(%holder, "OVN back end: another replica holds the lease now");
                }
                if held.take().is_some() {
                    holding.send_modify(|h| h.token = None);
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(%holder, error = %e, "OVN back end: cannot claim the lease")
            }
            Err(_) => tracing::warn!(%holder, "OVN back end: claiming the lease takes too long"),
        }
        if answered {
            // Held or not, this replica now knows which it is; after the token above, so that
            // nobody sees it answered and tokenless when it holds the lease.
            holding.send_if_modified(|h| !std::mem::replace(&mut h.answered, true));
        }
    }
    drop(work);
    holding.send_modify(|h| h.token = None);
    if let Some(token) = held {
        let released = store
            .write(move |tx| leases::release_lease(tx, LEASE, &holder, token))
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "OVN back end: cannot release the lease (it expires by itself)");
        }
    }
}
