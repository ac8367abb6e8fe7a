//! Validated tokens, believed until they expire or the TTL passes, whichever is first.
//! Keyed by a digest, so the process does not keep users' bearer tokens in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::AuthContext;

/// Beyond this many entries, expired ones are dropped; if all are live, the cache starts over
/// (a flood of distinct valid tokens costs Keystone calls, not memory).
const MAX_ENTRIES: usize = 50_000;

pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (AuthContext, Instant)>>,
}

impl TokenCache {
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            entries: Mutex::default(),
        }
    }

    pub fn get(&self, token: &str) -> Option<AuthContext> {
        let key = digest(token);
        let mut entries = self.entries.lock().ok()?;
        match entries.get(&key) {
            Some((ctx, until)) if Instant::now() < *until => Some(ctx.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, token: &str, ctx: &AuthContext) {
        if self.ttl.is_zero() {
            return;
        }
        let left = u64::try_from(ctx.expires_at.saturating_sub(crate::now_secs())).unwrap_or(0);
        let until = Instant::now() + self.ttl.min(Duration::from_secs(left));
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(digest(token), (ctx.clone(), until));
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(expires_in: i64) -> AuthContext {
        AuthContext {
            user_id: "u".into(),
            expires_at: crate::now_secs() + expires_in,
            ..AuthContext::default()
        }
    }

    #[test]
    fn entries_live_until_the_ttl() {
        let cache = TokenCache::new(Duration::from_millis(200));
        cache.put("t1", &context(3600));
        assert_eq!(cache.get("t1").map(|c| c.user_id), Some("u".into()));
        assert!(cache.get("t2").is_none());
        std::thread::sleep(Duration::from_millis(250));
        assert!(cache.get("t1").is_none(), "the TTL bounds the belief");
    }

    #[test]
    fn entries_live_no_longer_than_the_token() {
        let cache = TokenCache::new(Duration::from_secs(300));
        cache.put("expired", &context(-5));
        assert!(cache.get("expired").is_none());
        cache.put("soon", &context(3600));
        assert!(cache.get("soon").is_some());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TokenCache::new(Duration::ZERO);
        cache.put("t", &context(3600));
        assert!(cache.get("t").is_none());
    }
}
