//! Files kept in the data dir: generated passwords, `openrc` and `clouds.yaml`.
//! Every file is written with mode 0600 (to a temporary file, then renamed into place).

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::RngExt;
use rand::distr::Alphanumeric;

use crate::IdentityError;

/// File that held the 32-byte HMAC key before keys moved into the database (read once, to
/// import it; never written).
pub const KEY_FILE: &str = "identity.key";
/// File holding the generated passwords (JSON object: user name → password).
pub const PASSWORDS_FILE: &str = "identity-passwords.json";
/// Shell file with the admin credentials.
pub const OPENRC_FILE: &str = "openrc";
/// clouds.yaml with one cloud per user.
pub const CLOUDS_FILE: &str = "clouds.yaml";

const KEY_LEN: usize = crate::keys::SECRET_LEN;

fn io_error(path: &Path, source: std::io::Error) -> IdentityError {
    IdentityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the data dir (mode 0700 when it is new).
pub fn ensure_dir(dir: &Path) -> Result<(), IdentityError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| io_error(dir, e))
}

/// Writes `contents` to `path` with mode 0600, atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), IdentityError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        // The mode above only applies to new files; a stale temp file may have another one.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| io_error(path, e))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// The signing key of a release that kept it in the data dir, if this data dir has one: imported
/// into the database on the first start of a release that keeps keys there
/// ([`crate::SigningKeys::open`]).
pub fn read_legacy_key(dir: &Path) -> Result<Option<Vec<u8>>, IdentityError> {
    let path = dir.join(KEY_FILE);
    match fs::read(&path) {
        Ok(key) => check_key(&path, key).map(Some),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(&path, e)),
    }
}

fn check_key(path: &Path, key: Vec<u8>) -> Result<Vec<u8>, IdentityError> {
    if key.len() != KEY_LEN {
        return Err(IdentityError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("expected {KEY_LEN} bytes, found {}", key.len()),
        });
    }
    let meta = fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error(path, e))?;
    }
    Ok(key)
}

/// Generated passwords, by user name.
pub type Passwords = BTreeMap<String, String>;

/// Loads the generated passwords (empty when the file does not exist).
pub fn load_passwords(dir: &Path) -> Result<Passwords, IdentityError> {
    let path = dir.join(PASSWORDS_FILE);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| IdentityError::Corrupt {
            path,
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Passwords::new()),
        Err(e) => Err(io_error(&path, e)),
    }
}

/// Saves the generated passwords.
pub fn save_passwords(dir: &Path, passwords: &Passwords) -> Result<(), IdentityError> {
    let path = dir.join(PASSWORDS_FILE);
    let mut json = serde_json::to_vec_pretty(passwords).map_err(|e| IdentityError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    json.push(b'\n');
    write_private(&path, &json)
}

/// A new random password: 24 alphanumeric characters (~142 bits).
pub fn generate_password() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// Credentials written to `openrc` and `clouds.yaml`.
pub struct Credentials<'a> {
    pub user: &'a str,
    pub password: &'a str,
    pub project: &'a str,
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Quotes a value for YAML (a JSON string is a valid YAML double-quoted scalar).
fn yaml_quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The `openrc` text for one set of credentials.
pub fn openrc_text(auth_url: &str, region: &str, c: &Credentials<'_>) -> String {
    let mut out =
        String::from("# Neutrino built-in identity: source this file to use the openstack CLI.\n");
    for (key, value) in [
        ("OS_AUTH_URL", auth_url),
        ("OS_USERNAME", c.user),
        ("OS_PASSWORD", c.password),
        ("OS_PROJECT_NAME", c.project),
        ("OS_USER_DOMAIN_NAME", crate::model::DOMAIN_NAME),
        ("OS_PROJECT_DOMAIN_NAME", crate::model::DOMAIN_NAME),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_INTERFACE", "public"),
        ("OS_REGION_NAME", region),
    ] {
        out.push_str(&format!("export {key}={}\n", shell_quote(value)));
    }
    out
}

/// The `clouds.yaml` text with one cloud `neutrino-<user>` per set of credentials.
pub fn clouds_yaml_text(auth_url: &str, region: &str, creds: &[Credentials<'_>]) -> String {
    let mut out = String::from(
        "# Neutrino built-in identity: use with `openstack --os-cloud NAME`.\nclouds:\n",
    );
    for c in creds {
        out.push_str(&format!(
            "  {}:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      \
             project_name: {}\n      user_domain_name: {}\n      project_domain_name: {}\n    \
             region_name: {}\n    interface: public\n    identity_api_version: 3\n",
            yaml_quote(&format!("neutrino-{}", c.user)),
            yaml_quote(auth_url),
            yaml_quote(c.user),
            yaml_quote(c.password),
            yaml_quote(c.project),
            yaml_quote(crate::model::DOMAIN_NAME),
            yaml_quote(crate::model::DOMAIN_NAME),
            yaml_quote(region),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(yaml_quote("a\"b"), r#""a\"b""#);
    }

    #[test]
    fn passwords_are_random_and_alphanumeric() {
        let a = generate_password();
        assert_eq!(a.len(), 24);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, generate_password());
    }

    #[test]
    fn corrupt_key_is_reported_with_path() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        assert!(matches!(read_legacy_key(dir.path()), Ok(None)));
        fs::write(dir.path().join(KEY_FILE), b"short").unwrap_or_else(|e| panic!("{e}"));
        match read_legacy_key(dir.path()) {
            Err(e @ IdentityError::Corrupt { .. }) => {
                assert!(e.to_string().contains(KEY_FILE), "{e}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
