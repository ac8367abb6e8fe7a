//! The change feed's wake-up: a counter bumped after every commit that changed a resource. A
//! subscriber waits for it to move, then reads the outbox from its own position — the counter
//! says "something changed", the outbox says what. On PostgreSQL the engine also bumps it when
//! another process's commit is announced (`LISTEN neutrino_changes_<schema digest>`).

use std::sync::Arc;

use tokio::sync::watch;

/// The sending side, shared by a store's handles.
#[derive(Clone)]
pub(crate) struct Feed(Arc<watch::Sender<u64>>);

impl Feed {
    pub(crate) fn new() -> Feed {
        Feed(Arc::new(watch::channel(0).0))
    }

    /// Wakes every subscriber.
    pub(crate) fn wake(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> Subscription {
        Subscription(self.0.subscribe())
    }

    /// A handle that does not keep the feed alive (for threads that should end with the store).
    pub(crate) fn downgrade(&self) -> std::sync::Weak<watch::Sender<u64>> {
        Arc::downgrade(&self.0)
    }
}

/// A subscriber's end of the feed.
pub struct Subscription(watch::Receiver<u64>);

impl Subscription {
    /// Waits until a change commits after the last call (or after subscribing), or `timeout`
    /// passes; true if woken by a change.
    pub async fn wait(&mut self, timeout: std::time::Duration) -> bool {
        matches!(
            tokio::time::timeout(timeout, self.0.changed()).await,
            Ok(Ok(()))
        )
    }
}
