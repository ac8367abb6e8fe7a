//! A lease has one holder at a time: renewed by its holder, refused to others until it expires,
//! then taken over with the next fencing token; released at once on shutdown (on the engine of
//! the test run).

use neutrino_store::leases::{Lease, claim_lease, lease, release_lease};
use neutrino_store::testing::ScratchDatabase;
use neutrino_store::{Store, StoreError};

async fn claim(store: &Store, holder: &str, held: Option<i64>, now_ms: i64) -> Option<Lease> {
    let holder = holder.to_owned();
    store
        .write(move |tx| claim_lease(tx, "ovn", &holder, held, now_ms, 6000))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_holder_at_a_time_and_a_new_token_for_each() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let store: Store = db.open(dir.path()).unwrap();

    let a = claim(&store, "a", None, 1000)
        .await
        .expect("a free lease is taken");
    assert_eq!((a.token, a.expires_ms), (1, 7000));
    assert_eq!(claim(&store, "b", None, 2000).await, None, "held by a");
    let renewed = claim(&store, "a", Some(1), 6000).await.expect("renewed");
    assert_eq!((renewed.token, renewed.expires_ms), (1, 12000));
    assert_eq!(
        claim(&store, "b", None, 11999).await,
        None,
        "not expired yet"
    );
    // a renews too late, but nobody took it over: still a's, same token.
    let late = claim(&store, "a", Some(1), 12500)
        .await
        .expect("renewed late");
    assert_eq!(late.token, 1);

    let b = claim(&store, "b", None, 18500)
        .await
        .expect("expired: b takes it over");
    assert_eq!(b.token, 2);
    assert_eq!(
        claim(&store, "a", Some(1), 18600).await,
        None,
        "a lost it: its old token renews nothing"
    );
    // The same process name coming back after a restart does not hold the lease by its name.
    assert_eq!(claim(&store, "b", None, 18700).await, None);

    let released = store
        .write(|tx| release_lease(tx, "ovn", "b", 2))
        .await
        .unwrap();
    assert!(released);
    let stale = store
        .write(|tx| release_lease(tx, "ovn", "b", 1))
        .await
        .unwrap();
    assert!(!stale, "a release under another token changes nothing");
    let c = claim(&store, "c", None, 18800)
        .await
        .expect("released: taken at once");
    assert_eq!(c.token, 3);
    let read = store
        .read(|tx| lease(tx, "ovn"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(read, c);
    let none: Result<_, StoreError> = store.read(|tx| lease(tx, "other")).await;
    assert_eq!(none.unwrap(), None);
}

/// Claims racing for a free lease (on PostgreSQL: concurrent serializable transactions from the
/// pool's connections, as replicas would make them): exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_claims_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let store: Store = db.open(dir.path()).unwrap();
    let claims = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { claim(&store, &format!("replica-{i}"), None, 1000).await })
    });
    let mut winners = Vec::new();
    for claim in claims {
        winners.extend(claim.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = store.read(|tx| lease(tx, "ovn")).await.unwrap();
    assert_eq!(stored.as_ref(), winners.first());
}
