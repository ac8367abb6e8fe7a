//! The token format: a fixed-size binary payload signed with HMAC-SHA256, base64url without padding.
//!
//! ```text
//! version(1) methods(1) issued_at(8, i64 BE) expires_at(8, i64 BE) user_id(16) project_id(16)
//! credential_epoch(4) audit_id(16) | HMAC-SHA256(key, payload)(32)
//! ```
//! 70 payload bytes + 32 MAC bytes = 102 bytes = 136 characters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::model::EntityId;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 1 + 8 + 8 + 16 + 16 + 4 + 16;
const MAC_LEN: usize = 32;
const TOKEN_LEN: usize = PAYLOAD_LEN + MAC_LEN;
/// Length of an encoded token in characters.
pub const ENCODED_LEN: usize = (TOKEN_LEN * 4).div_ceil(3);

/// Authentication method bit: password.
pub const METHOD_PASSWORD: u8 = 1;
/// Authentication method bit: token (re-scope).
pub const METHOD_TOKEN: u8 = 2;

/// What a token says, once its signature is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub methods: u8,
    pub issued_at: i64,
    pub expires_at: i64,
    pub user_id: EntityId,
    pub project_id: EntityId,
    pub credential_epoch: [u8; 4],
    pub audit_id: [u8; 16],
}

impl Claims {
    /// Method names for the token body, in Keystone's spelling.
    pub fn method_names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.methods & METHOD_PASSWORD != 0 {
            out.push("password");
        }
        if self.methods & METHOD_TOKEN != 0 {
            out.push("token");
        }
        out
    }

    /// The audit id as Keystone shows it (22 characters of base64url).
    pub fn audit_id_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.audit_id)
    }
}

/// Why a token string was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a token of ours: wrong length, not base64url, unknown version.
    Malformed,
    /// Shaped like a token, but not signed with this key (another key, or tampered with).
    BadSignature,
}

/// Signs and checks tokens with one secret key.
#[derive(Clone)]
pub struct TokenSigner {
    keyed: HmacSha256,
}

impl TokenSigner {
    /// A signer for `key` (any length; 32 random bytes in practice).
    pub fn new(key: &[u8]) -> TokenSigner {
        // HMAC accepts keys of any length, so this cannot fail; fall back to an empty key never happens.
        let keyed = match HmacSha256::new_from_slice(key) {
            Ok(m) => m,
            Err(_) => unreachable_invalid_length(),
        };
        TokenSigner { keyed }
    }

    /// The first 4 bytes of the HMAC of the concatenated `parts`.
    pub fn fingerprint(&self, parts: &[&[u8]]) -> [u8; 4] {
        let mut mac = self.keyed.clone();
        for p in parts {
            mac.update(p);
        }
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 4];
        out.copy_from_slice(&full[..4]);
        out
    }

    /// Encodes and signs the claims.
    pub fn encode(&self, c: &Claims) -> String {
        let mut buf = [0u8; TOKEN_LEN];
        buf[0] = VERSION;
        buf[1] = c.methods;
        buf[2..10].copy_from_slice(&c.issued_at.to_be_bytes());
        buf[10..18].copy_from_slice(&c.expires_at.to_be_bytes());
        buf[18..34].copy_from_slice(&c.user_id);
        buf[34..50].copy_from_slice(&c.project_id);
        buf[50..54].copy_from_slice(&c.credential_epoch);
        buf[54..70].copy_from_slice(&c.audit_id);
        let mut mac = self.keyed.clone();
        mac.update(&buf[..PAYLOAD_LEN]);
        buf[PAYLOAD_LEN..].copy_from_slice(&mac.finalize().into_bytes());
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// Checks the signature and decodes the claims. Expiry is the caller's business.
    pub fn decode(&self, token: &str) -> Result<Claims, DecodeError> {
        let token = token.trim();
        if token.len() != ENCODED_LEN {
            return Err(DecodeError::Malformed);
        }
        let mut buf = [0u8; TOKEN_LEN];
        match URL_SAFE_NO_PAD.decode_slice(token.as_bytes(), &mut buf) {
            Ok(TOKEN_LEN) => {}
            _ => return Err(DecodeError::Malformed),
        }
        let mut mac = self.keyed.clone();
        mac.update(&buf[..PAYLOAD_LEN]);
        mac.verify_slice(&buf[PAYLOAD_LEN..])
            .map_err(|_| DecodeError::BadSignature)?;
        if buf[0] != VERSION {
            return Err(DecodeError::Malformed);
        }
        let mut claims = Claims {
            methods: buf[1],
            issued_at: i64::from_be_bytes(array(&buf[2..10])),
            expires_at: i64::from_be_bytes(array(&buf[10..18])),
            user_id: [0; 16],
            project_id: [0; 16],
            credential_epoch: [0; 4],
            audit_id: [0; 16],
        };
        claims.user_id.copy_from_slice(&buf[18..34]);
        claims.project_id.copy_from_slice(&buf[34..50]);
        claims.credential_epoch.copy_from_slice(&buf[50..54]);
        claims.audit_id.copy_from_slice(&buf[54..70]);
        Ok(claims)
    }
}

fn array(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(bytes);
    out
}

#[cold]
fn unreachable_invalid_length() -> ! {
    // `Hmac::new_from_slice` only fails for MACs with a fixed key size; HMAC has none.
    unreachable!("HMAC-SHA256 accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            methods: METHOD_PASSWORD,
            issued_at: 1_700_000_000,
            expires_at: 1_700_086_400,
            user_id: [1; 16],
            project_id: [2; 16],
            credential_epoch: [3; 4],
            audit_id: [4; 16],
        }
    }

    #[test]
    fn round_trip() {
        let s = TokenSigner::new(&[7; 32]);
        let t = s.encode(&claims());
        assert_eq!(t.len(), ENCODED_LEN);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(s.decode(&t), Ok(claims()));
        assert_eq!(claims().method_names(), ["password"]);
        assert_eq!(claims().audit_id_text().len(), 22);
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let s = TokenSigner::new(&[7; 32]);
        let t = s.encode(&claims());
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap_or_default();
            if tampered != t {
                assert!(s.decode(&tampered).is_err(), "pos {i}");
            }
        }
        assert_eq!(
            TokenSigner::new(&[8; 32]).decode(&t),
            Err(DecodeError::BadSignature),
            "another key's token is well formed: worth asking the store for new keys"
        );
        assert_eq!(s.decode(""), Err(DecodeError::Malformed));
        assert_eq!(s.decode(&t[1..]), Err(DecodeError::Malformed));
        assert_eq!(s.decode(&format!("{t}A")), Err(DecodeError::Malformed));
        let garbage = "!".repeat(ENCODED_LEN);
        assert_eq!(s.decode(&garbage), Err(DecodeError::Malformed));
    }
}
