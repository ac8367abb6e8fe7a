//! Keystone's answers: validated tokens, believed until they expire or the TTL passes,
//! whichever is first; and, as keystonemiddleware does, tokens Keystone did not know, refused
//! for the TTL without asking again (a client retrying a bad token does not flood Keystone).
//! Keyed by a digest, so the process does not keep users' bearer tokens in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::AuthContext;

/// Beyond this many entries, expired ones are dropped; if all are live, the cache starts over
/// (a flood of distinct valid tokens costs Keystone calls, not memory).
const MAX_ENTRIES: usize = 50_000;

/// What Keystone said about a token.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Valid(Box<AuthContext>),
    /// Unknown, expired or revoked.
    Invalid,
}

pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (Answer, Instant)>>,
}

impl TokenCache {
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            entries: Mutex::default(),
        }
    }

    pub fn get(&self, token: &str) -> Option<Answer> {
        let key = digest(token);
        let mut entries = self.entries.lock().ok()?;
        match entries.get(&key) {
            Some((answer, until)) if Instant::now() < *until => Some(answer.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, token: &str, answer: Answer) {
        if self.ttl.is_zero() {
            return;
        }
        let believed = match &answer {
            Answer::Valid(ctx) => {
                let left = ctx.expires_at.saturating_sub(crate::now_secs());
                self.ttl
                    .min(Duration::from_secs(u64::try_from(left).unwrap_or(0)))
            }
            Answer::Invalid => self.ttl,
        };
        let until = Instant::now() + believed;
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
        entries.insert(digest(token), (answer, until));
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
        cache.put("t1", Answer::Valid(Box::new(context(3600))));
        cache.put("bad", Answer::Invalid);
        assert!(matches!(cache.get("t1"), Some(Answer::Valid(c)) if c.user_id == "u"));
        assert_eq!(cache.get("bad"), Some(Answer::Invalid));
        assert!(cache.get("t2").is_none());
        std::thread::sleep(Duration::from_millis(250));
        assert!(cache.get("t1").is_none(), "the TTL bounds the belief");
        assert!(cache.get("bad").is_none(), "and the refusal");
    }

    #[test]
    fn entries_live_no_longer_than_the_token() {
        let cache = TokenCache::new(Duration::from_secs(300));
        cache.put("expired", Answer::Valid(Box::new(context(-5))));
        assert!(cache.get("expired").is_none());
        cache.put("soon", Answer::Valid(Box::new(context(3600))));
        assert!(cache.get("soon").is_some());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TokenCache::new(Duration::ZERO);
        cache.put("t", Answer::Valid(Box::new(context(3600))));
        cache.put("bad", Answer::Invalid);
        assert!(cache.get("t").is_none() && cache.get("bad").is_none());
    }
}
