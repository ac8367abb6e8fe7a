//! Replicas on one store (the engine of the test run): tokens of one valid on the others, across
//! a rotation, until the replaced key's time is up; refreshes on unknown keys are spaced; the key
//! file of an earlier release is imported.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use neutrino_store::signing_keys::{add_signing_key, signing_keys};
use neutrino_store::testing::ScratchDatabase;
use neutrino_store::{Store, unix_time_ms};

use super::*;
use crate::model::{derive_id, password_digest};
use crate::token::{Claims, METHOD_PASSWORD};
use crate::{AuthError, Identity, IdentityConfig, UserConfig};

const URL: &str = "http://127.0.0.1:9696/";

fn config() -> IdentityConfig {
    IdentityConfig {
        users: vec![UserConfig {
            name: "alice".into(),
            password: Some("alice-secret".into()),
            project: "p1".into(),
            roles: vec!["member".into()],
        }],
        ..IdentityConfig::default()
    }
}

/// One database, and a data dir per replica.
struct Cluster {
    db: ScratchDatabase,
    dir: tempfile::TempDir,
}

/// A replica: its own store handle (as its own process would have) and data dir.
struct Replica {
    store: Store,
    keys: Arc<SigningKeys>,
    identity: Identity,
}

impl Cluster {
    fn new() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        Cluster {
            db: ScratchDatabase::new(dir.path()),
            dir,
        }
    }

    fn data_dir(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    async fn replica(&self, name: &str) -> Replica {
        // SQLite: the database file lives in the cluster's directory, shared by every replica.
        let store = self.db.open(self.dir.path()).unwrap();
        let data_dir = self.data_dir(name);
        let keys = SigningKeys::open(&store, &data_dir).await.unwrap();
        let identity = Identity::open(&config(), &data_dir, URL, keys.clone()).unwrap();
        Replica {
            store,
            keys,
            identity,
        }
    }
}

impl Replica {
    fn token(&self) -> String {
        self.identity
            .issue_token("alice", "alice-secret", None)
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_valid_on_every_replica_across_a_rotation() {
    let cluster = Cluster::new();
    // First starts at the same moment: they end with the same keys.
    let (a, b) = tokio::join!(cluster.replica("a"), cluster.replica("b"));
    let old = a.token();
    let ctx = a.identity.validate(&old).unwrap();
    assert_eq!(b.identity.validate(&old).unwrap(), ctx, "A's token on B");
    assert!(a.identity.validate(&b.token()).is_ok(), "B's token on A");

    // Rotation (as `neutrino identity rotate-key` does it, from a third process); A has
    // refreshed since, B has not.
    let id = rotate_signing_key(&a.store, &cluster.data_dir("cli"), 3600)
        .await
        .unwrap();
    assert_eq!(id, 2);
    a.keys.refresh().await.unwrap();
    let new = a.token();
    assert_eq!(
        b.identity.validate(&new),
        Err(AuthError::Invalid),
        "B does not know the new key yet"
    );
    assert_eq!(
        b.identity.authenticate(&new).await.unwrap().user_id,
        ctx.user_id,
        "a token of a key B does not know makes it read the keys again"
    );
    assert!(b.identity.validate(&new).is_ok(), "B knows the new key now");
    assert_ne!(b.token(), old, "and signs with it");
    for r in [&a, &b] {
        assert_eq!(
            r.identity.validate(&old).unwrap(),
            ctx,
            "the replaced key's tokens stay valid"
        );
    }

    // A replica started after the rotation: same credential epochs (rotation changes none), so
    // it accepts the tokens from before, and the others accept its tokens.
    let c = cluster.replica("c").await;
    assert_eq!(c.identity.validate(&old).unwrap(), ctx);
    assert!(a.identity.validate(&c.token()).is_ok());
    assert!(b.identity.validate(&c.token()).is_ok());

    // The replaced key is accepted for the token lifetime plus the grace, not less.
    let keys = a.store.read(signing_keys).await.unwrap();
    let until = keys[1].accepted_until_ms.unwrap();
    let lifetime = (3600 + ROTATION_GRACE.as_secs() as i64) * 1000;
    assert!(
        until >= keys[0].created_ms + lifetime && until <= unix_time_ms() + lifetime,
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_key_ends_at_its_deadline_and_is_pruned() {
    let cluster = Cluster::new();
    let a = cluster.replica("a").await;
    let b = cluster.replica("b").await;
    let old = a.token();
    let deadline = unix_time_ms() + 1500;
    let secret = STANDARD.encode(new_secret());
    a.store
        .write(move |tx| add_signing_key(tx, &secret, unix_time_ms(), deadline))
        .await
        .unwrap();
    b.keys.refresh().await.unwrap();
    assert!(b.identity.validate(&old).is_ok(), "before its deadline");

    tokio::time::sleep(Duration::from_millis(
        u64::try_from(deadline - unix_time_ms() + 50).unwrap_or(0),
    ))
    .await;
    b.keys.refresh().await.unwrap();
    assert_eq!(
        b.identity.authenticate(&old).await,
        Err(AuthError::Invalid),
        "past its deadline the replaced key signs nothing valid, even after a refresh"
    );
    assert_eq!(a.store.read(signing_keys).await.unwrap().len(), 2);
    // A start prunes it (as a rotation does).
    let c = cluster.replica("c").await;
    let left = a.store.read(signing_keys).await.unwrap();
    assert_eq!(left.iter().map(|k| k.id).collect::<Vec<_>>(), [2]);
    assert!(b.identity.validate(&c.token()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_refresh_the_keys_at_most_once_a_second() {
    let cluster = Cluster::new();
    let a = Arc::new(cluster.replica("a").await);
    // Well formed, signed with a key nobody has: each one is a miss.
    let forged = {
        let keys = SigningKeys::in_memory();
        Identity::open(&config(), &cluster.data_dir("forger"), URL, keys)
            .unwrap()
            .issue_token("alice", "alice-secret", None)
            .unwrap()
    };
    let generation = || a.keys.ring().generation;
    let before = generation();
    // Ten clients sending forged tokens as fast as they are answered, for 2.5 s.
    let started = tokio::time::Instant::now();
    let until = started + Duration::from_millis(2500);
    let clients: Vec<_> = (0..10)
        .map(|_| {
            let (a, forged) = (a.clone(), forged.clone());
            tokio::spawn(async move {
                let mut checks = 0;
                while tokio::time::Instant::now() < until {
                    assert_eq!(
                        a.identity.authenticate(&forged).await,
                        Err(AuthError::Invalid)
                    );
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let mut checks = 0;
    for client in clients {
        checks += client.await.unwrap();
    }
    let took = started.elapsed();
    let refreshes = generation() - before;
    let allowed = took.as_millis() / MISS_REFRESH_SPACING.as_millis() + 1;
    assert!(checks >= 20, "{checks} checks");
    assert!(
        (2..=u64::try_from(allowed).unwrap()).contains(&refreshes),
        "{checks} forged tokens in {took:?} caused {refreshes} refreshes (at most {allowed})"
    );
    // Malformed tokens never reach the database.
    assert_eq!(
        a.identity.authenticate("not-a-token").await,
        Err(AuthError::Invalid)
    );
    assert_eq!(generation(), before + refreshes);
}

/// What a release that kept its key in `identity.key` issued: signed with that key, with
/// credential epochs keyed with it too.
fn token_of_the_file_key(key: &[u8]) -> String {
    let signer = TokenSigner::new(key);
    let user_id = derive_id("user", "alice");
    let now = crate::now_secs();
    signer.encode(&Claims {
        methods: METHOD_PASSWORD,
        issued_at: now,
        expires_at: now + 3600,
        user_id,
        project_id: derive_id("project", "p1"),
        credential_epoch: signer.fingerprint(&[
            b"credential-epoch",
            &user_id,
            &password_digest("alice-secret"),
        ]),
        audit_id: [5; 16],
    })
}

fn write_key_file(dir: &Path, key: &[u8]) {
    std::fs::write(dir.join(files::KEY_FILE), key).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_file_of_an_earlier_release_is_imported_once() {
    let cluster = Cluster::new();
    let file_key = [9u8; SECRET_LEN];
    write_key_file(&cluster.data_dir("a"), &file_key);
    let before_upgrade = token_of_the_file_key(&file_key);

    let a = cluster.replica("a").await;
    let ctx = a.identity.validate(&before_upgrade).unwrap();
    assert_eq!(ctx.user_name, "alice", "a token from before the upgrade");
    let b = cluster.replica("b").await;
    assert_eq!(
        b.identity.validate(&before_upgrade).unwrap(),
        ctx,
        "valid on a replica that never had the file"
    );
    assert!(b.identity.validate(&a.token()).is_ok());

    // Once the database has keys, another replica's file is not imported: its tokens are foreign.
    let other_key = [7u8; SECRET_LEN];
    write_key_file(&cluster.data_dir("c"), &other_key);
    let c = cluster.replica("c").await;
    assert_eq!(
        c.identity.validate(&token_of_the_file_key(&other_key)),
        Err(AuthError::Invalid)
    );
    assert!(c.identity.validate(&before_upgrade).is_ok());

    // Rotating keeps them valid: the file's key is now the replaced key, and the epoch secret.
    rotate_signing_key(&a.store, &cluster.data_dir("a"), 3600)
        .await
        .unwrap();
    let d = cluster.replica("d").await;
    assert_eq!(d.identity.validate(&before_upgrade).unwrap(), ctx);

    // A key file of the wrong size is refused with its path, not imported.
    let fresh = Cluster::new();
    write_key_file(&fresh.data_dir("e"), b"short");
    let store = fresh.db.open(fresh.dir.path()).unwrap();
    let err = SigningKeys::open(&store, &fresh.data_dir("e"))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains(files::KEY_FILE), "{err}");
}
