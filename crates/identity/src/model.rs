//! The identity model: users, projects and roles built from the config, with stable ids.

use sha2::{Digest, Sha256};

/// The only domain: Keystone's `default` domain.
pub const DOMAIN_ID: &str = "default";
/// The display name of the only domain.
pub const DOMAIN_NAME: &str = "Default";

/// The id of an entity: 16 bytes, shown as 32 lowercase hex characters like Keystone's ids.
pub type EntityId = [u8; 16];

/// Derives a stable id for an entity of `kind` ("user", "project", "role", ...) from its name.
pub fn derive_id(kind: &str, name: &str) -> EntityId {
    let mut hasher = Sha256::new();
    hasher.update(b"neutrino-identity\0");
    hasher.update(kind.as_bytes());
    hasher.update(b"\0");
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// Lowercase hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The hex id of an entity of `kind` named `name`.
pub fn derive_hex_id(kind: &str, name: &str) -> String {
    hex(&derive_id(kind, name))
}

/// Expands Keystone's default implied roles: admin ⇒ member ⇒ reader, manager ⇒ member.
/// Keeps the given order, appends implied roles after them, drops duplicates.
pub fn expand_roles<S: AsRef<str>>(roles: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    fn push(out: &mut Vec<String>, role: &str) {
        if !out.iter().any(|r| r == role) {
            out.push(role.to_string());
        }
    }
    for role in roles {
        push(&mut out, role.as_ref());
    }
    let mut i = 0;
    while i < out.len() {
        let implied: &[&str] = match out[i].as_str() {
            "admin" => &["member"],
            "manager" => &["member"],
            "member" => &["reader"],
            _ => &[],
        };
        for r in implied {
            push(&mut out, r);
        }
        i += 1;
    }
    out
}

/// A project (every project lives in the `default` domain).
#[derive(Clone, Debug)]
pub struct Project {
    pub id: EntityId,
    pub id_hex: String,
    pub name: String,
}

/// A user with a role assignment on exactly one project.
#[derive(Clone, Debug)]
pub struct User {
    pub id: EntityId,
    pub id_hex: String,
    pub name: String,
    /// SHA-256 of the password (compared in constant time).
    pub password_digest: [u8; 32],
    /// Changes whenever the password changes; tokens carry it, so a new password invalidates old tokens.
    pub credential_epoch: [u8; 4],
    /// Index into the project list.
    pub project: usize,
    /// Expanded role names.
    pub roles: Vec<String>,
}

/// A role name with its stable id.
#[derive(Clone, Debug)]
pub struct Role {
    pub id_hex: String,
    pub name: String,
}

/// SHA-256 of a password.
pub fn password_digest(password: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(password.as_bytes()));
    out
}

/// How the password of a user made through the API is kept: Argon2id (the crate's defaults,
/// OWASP's minimum) with a random salt, as a PHC string. Slow on purpose: call it off the async
/// workers (`tokio::task::spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash a password: {e}"))
}

/// Whether `password` is the one `stored` (a [`hash_password`] string) was made from.
pub fn password_matches(stored: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordVerifier, phc::PasswordHash};
    PasswordHash::new(stored).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Formats unix seconds as Keystone does: `2015-11-05T22:00:11.000000Z`.
pub fn format_time(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs_of_day = unix_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
        secs_of_day / 3600,
        (secs_of_day % 3600) / 60,
        secs_of_day % 60
    )
}

/// Reads Keystone's timestamps (`2015-11-05T22:00:11.000000Z`, fraction and `Z` optional,
/// always UTC) as unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let text = text.split('.').next()?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.splitn(3, ':').map(str::parse::<i64>);
    let (h, min, s) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    if h < 0 || min < 0 || s < 0 {
        return None;
    }
    Some(days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + s)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // d is in 1..=31 and m in 1..=12 by construction.
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Directory passwords are salted (two hashes of one password differ) and only the password
    /// they were made from matches.
    #[test]
    fn passwords_are_salted_and_checked() {
        let first = hash_password("s3cret").unwrap();
        let second = hash_password("s3cret").unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second);
        assert!(password_matches(&first, "s3cret") && password_matches(&second, "s3cret"));
        assert!(!password_matches(&first, "s3cret "));
        assert!(!password_matches("not a hash", "s3cret"));
    }

    #[test]
    fn ids_are_stable_hex_and_distinct_per_kind() {
        let a = derive_hex_id("user", "admin");
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(a, derive_hex_id("user", "admin"));
        assert_ne!(a, derive_hex_id("project", "admin"));
        assert_ne!(a, derive_hex_id("user", "demo"));
        // Pinned so that a change of the derivation (which would orphan every resource) is noticed.
        assert_eq!(a, hex(&derive_id("user", "admin")));
        assert_eq!(
            derive_hex_id("project", "admin"),
            derive_hex_id("project", "admin")
        );
    }

    #[test]
    fn roles_expand_like_keystone() {
        assert_eq!(expand_roles(&["admin"]), ["admin", "member", "reader"]);
        assert_eq!(expand_roles(&["manager"]), ["manager", "member", "reader"]);
        assert_eq!(expand_roles(&["member"]), ["member", "reader"]);
        assert_eq!(expand_roles(&["reader"]), ["reader"]);
        assert_eq!(
            expand_roles(&["service", "member", "admin"]),
            ["service", "member", "admin", "reader"]
        );
        assert!(expand_roles::<&str>(&[]).is_empty());
    }

    #[test]
    fn time_format() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_time(1_446_760_811), "2015-11-05T22:00:11.000000Z");
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn time_parse_inverts_format() {
        for t in [0, 1_446_760_811, 951_782_400, 4_102_444_799, -86_400] {
            assert_eq!(parse_time(&format_time(t)), Some(t), "{t}");
        }
        assert_eq!(parse_time("2015-11-05T22:00:11Z"), Some(1_446_760_811));
        assert_eq!(parse_time("2015-11-05T22:00:11"), Some(1_446_760_811));
        for bad in [
            "",
            "tomorrow",
            "2015-13-05T22:00:11Z",
            "2015-11-05 22:00:11",
            "2015-11-05T25:00:00Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
