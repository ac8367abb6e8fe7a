//! The identity's signing keys in the store (on the engine of the test run): created once however
//! many replicas start together, rotated with the replaced key accepted until its deadline, then
//! pruned; the secret of credential epochs never changes.

use neutrino_store::Store;
use neutrino_store::signing_keys::{
    CREDENTIAL_EPOCH, SigningKey, add_signing_key, create_first_keys, identity_secret,
    prune_signing_keys, signing_keys,
};
use neutrino_store::testing::ScratchDatabase;

async fn keys(store: &Store) -> Vec<SigningKey> {
    store.read(signing_keys).await.unwrap()
}

async fn epoch(store: &Store) -> Option<String> {
    store
        .read(|tx| identity_secret(tx, CREDENTIAL_EPOCH))
        .await
        .unwrap()
}

async fn first(store: &Store, candidate: &str) -> bool {
    let candidate = candidate.to_owned();
    store
        .write(move |tx| {
            create_first_keys(
                tx,
                &format!("key-{candidate}"),
                &format!("epoch-{candidate}"),
                1000,
            )
        })
        .await
        .unwrap()
}

/// Replicas starting at once (separate stores on one database, each with its own candidates):
/// one set of keys is created, and every replica reads that one back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_first_starts_create_one_key_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let stores: Vec<Store> = (0..4).map(|_| db.open(dir.path()).unwrap()).collect();
    let starts = stores.iter().enumerate().map(|(i, store)| {
        let store = store.clone();
        tokio::spawn(async move { first(&store, &i.to_string()).await })
    });
    let mut created = 0;
    for start in starts {
        created += usize::from(start.await.unwrap());
    }
    assert_eq!(created, 1, "exactly one replica creates the first key");
    let want = keys(&stores[0]).await;
    assert_eq!(want.len(), 1, "{want:?}");
    let winner = want[0].secret.strip_prefix("key-").unwrap().to_owned();
    assert_eq!(
        epoch(&stores[0]).await.as_deref(),
        Some(format!("epoch-{winner}").as_str()),
        "key and epoch secret come from the same replica's transaction"
    );
    for store in &stores {
        assert_eq!(keys(store).await, want);
        assert_eq!(epoch(store).await, epoch(&stores[0]).await);
    }
    assert!(
        !first(&stores[1], "late").await,
        "a later start creates nothing"
    );
    assert_eq!(keys(&stores[1]).await, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_accepts_the_replaced_key_until_its_deadline_then_prunes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let store = db.open(dir.path()).unwrap();
    assert!(first(&store, "a").await);
    let epoch_before = epoch(&store).await;

    let rotate = |secret: &'static str, now_ms: i64, until_ms: i64| {
        let store = store.clone();
        async move {
            store
                .write(move |tx| add_signing_key(tx, secret, now_ms, until_ms))
                .await
                .unwrap()
        }
    };
    let k2 = rotate("key-b", 10_000, 20_000).await;
    assert_eq!((k2.id, k2.accepted_until_ms), (2, None));
    let stored = keys(&store).await;
    assert_eq!(
        stored.iter().map(|k| k.id).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    assert_eq!(stored[0], k2);
    assert_eq!(stored[1].accepted_until_ms, Some(20_000));
    assert!(stored[1].accepted_at(19_999) && !stored[1].accepted_at(20_000));
    assert!(stored[0].accepted_at(i64::MAX), "the newest never lapses");

    let prune = |now_ms: i64| {
        let store = store.clone();
        async move {
            store
                .write(move |tx| prune_signing_keys(tx, now_ms))
                .await
                .unwrap()
        }
    };
    assert_eq!(prune(19_999).await, 0, "still accepted");
    // A second rotation before the first deadline: key 1 keeps its deadline, key 2 gets its own.
    let k3 = rotate("key-c", 15_000, 25_000).await;
    assert_eq!(k3.id, 3);
    let until: Vec<_> = keys(&store)
        .await
        .iter()
        .map(|k| (k.id, k.accepted_until_ms))
        .collect();
    assert_eq!(until, [(3, None), (2, Some(25_000)), (1, Some(20_000))]);

    assert_eq!(prune(20_000).await, 1, "key 1 is past its deadline");
    assert_eq!(prune(20_000).await, 0);
    assert_eq!(prune(i64::MAX).await, 1, "key 2 goes too");
    let left = keys(&store).await;
    assert_eq!(left, [k3], "the newest key is never pruned");
    // Rotation prunes too.
    rotate("key-d", 30_000, 40_000).await;
    rotate("key-e", 41_000, 50_000).await;
    let ids: Vec<_> = keys(&store).await.iter().map(|k| k.id).collect();
    assert_eq!(
        ids,
        [5, 4],
        "key 3 (accepted until 40 000) pruned by the rotation at 41 000"
    );
    assert_eq!(
        epoch(&store).await,
        epoch_before,
        "rotation never touches the epoch secret"
    );
}
