//! `neutrino.toml`: every key has a default; a file overrides the defaults, `NEUTRINO_*`
//! environment variables override the file, command-line flags override both.
//!
//! Environment names: `NEUTRINO_` + the key path in upper case, sections joined by `__`
//! (`NEUTRINO_LISTEN`, `NEUTRINO_NETWORK__GLOBAL_PHYSNET_MTU=9000`). Values are read as TOML
//! values when they parse as one (numbers, booleans, arrays), else as strings.
//! `NEUTRINO_DATABASE_URL` is accepted for `[database] url` too.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use neutrino_identity::IdentityConfig;
use neutrino_network::NetworkConfig;
use neutrino_ovn_sync::OvnConfig;
use neutrino_store::DatabaseConfig;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the API listens on.
    pub listen: String,
    /// Where the database, the identity's key and the client credentials live.
    pub data_dir: PathBuf,
    /// On SIGTERM, how long requests in flight may take to finish before the process exits.
    pub shutdown_timeout_secs: u64,
    pub log: LogConfig,
    pub database: DatabaseConfig,
    pub identity: IdentityConfig,
    pub network: NetworkConfig,
    /// Where the API's resources become connectivity: "none" (the API only) or "ovn".
    pub backend: String,
    pub ovn: OvnConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter: error, warn, info, debug or per-module directives. RUST_LOG wins.
    pub level: String,
    /// "text" or "json".
    pub format: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:9696".into(),
            data_dir: PathBuf::from("neutrino-data"),
            shutdown_timeout_secs: 30,
            log: LogConfig::default(),
            database: DatabaseConfig::default(),
            identity: IdentityConfig::default(),
            network: NetworkConfig::default(),
            backend: "none".into(),
            ovn: OvnConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// Loads the effective config: defaults, then `path` (or `./neutrino.toml` if present), then
/// the environment.
pub fn load(path: Option<&Path>, env: impl Iterator<Item = (String, String)>) -> Result<Config> {
    let mut table = toml::Table::new();
    let file = match path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("neutrino.toml")).filter(|p| p.exists()),
    };
    if let Some(file) = &file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read config {}", file.display()))?;
        table =
            toml::from_str(&text).with_context(|| format!("invalid config {}", file.display()))?;
    }
    let known = toml::Table::try_from(Config::default()).context("default config")?;
    for (name, value) in env {
        let Some(key) = name.strip_prefix("NEUTRINO_") else {
            continue;
        };
        let key = match key.to_lowercase() {
            // The conventional name of a database URL, beside NEUTRINO_DATABASE__URL.
            k if k == "database_url" => "database__url".to_string(),
            k => k,
        };
        // Variables that name no setting (NEUTRINO_BIN in a test harness, say) are not ours;
        // a wrong key inside a known section is still an error, caught below.
        if !names_a_setting(&known, &key) {
            eprintln!("neutrino: ignoring environment variable {name}: no such setting");
            continue;
        }
        set_path(&mut table, &key, &value)
            .with_context(|| format!("environment variable {name}"))?;
    }
    let where_ = file
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "environment".into());
    let cfg = Config::deserialize(toml::Value::Table(table))
        .with_context(|| format!("invalid config ({where_})"))?;
    if !matches!(cfg.log.format.as_str(), "text" | "json") {
        bail!(
            "invalid config ({where_}): log.format must be \"text\" or \"json\", not {:?}",
            cfg.log.format
        );
    }
    match cfg.backend.as_str() {
        "none" => {}
        "ovn" => cfg
            .ovn
            .check()
            .map_err(|e| anyhow::anyhow!("invalid config ({where_}): {e}"))?,
        other => {
            bail!("invalid config ({where_}): backend must be \"none\" or \"ovn\", not {other:?}")
        }
    }
    Ok(cfg)
}

/// For the tools beside the server (`neutrino changes`, `neutrino ovn`): the effective config with
/// `--data-dir` applied, and a one-thread runtime with the store open, running `f`.
pub fn with_store<T>(
    path: Option<&Path>,
    data_dir: Option<&Path>,
    f: impl AsyncFnOnce(Config, neutrino_store::Store) -> Result<T>,
) -> Result<T> {
    let mut cfg = load(path, std::env::vars())?;
    if let Some(d) = data_dir {
        cfg.data_dir = d.to_path_buf();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(async move {
            let store = neutrino_store::Store::open(&cfg.database, &cfg.data_dir)
                .context("cannot open the database")?;
            f(cfg, store).await
        })
}

/// Does `key` (`section__name`) lead into a section of the config, or name a top-level key?
fn names_a_setting(known: &toml::Table, key: &str) -> bool {
    let parts: Vec<&str> = key.split("__").collect();
    match parts.as_slice() {
        [top] => known.contains_key(*top),
        [section, ..] => known.get(*section).is_some_and(toml::Value::is_table),
        [] => false,
    }
}

fn set_path(table: &mut toml::Table, key: &str, raw: &str) -> Result<()> {
    let mut parts: Vec<&str> = key.split("__").collect();
    let Some(last) = parts.pop() else {
        bail!("empty key")
    };
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .with_context(|| format!("{p} is not a section"))?;
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    t.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn defaults_file_and_environment_layer() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:1\"\n[network]\nglobal_physnet_mtu = 9000\n",
        )
        .unwrap();
        let cfg = load(
            Some(&file),
            env(&[
                ("NEUTRINO_LISTEN", "127.0.0.1:2"),
                ("NEUTRINO_LOG__LEVEL", "debug"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.listen, "127.0.0.1:2");
        assert_eq!(cfg.network.global_physnet_mtu, 9000);
        assert_eq!(cfg.log.level, "debug");
        assert_eq!(cfg.network.tenant_network_types, ["geneve"]);
        assert!(cfg.database.url.is_empty(), "SQLite by default");
        let pg = "postgresql://n:pw@127.0.0.1:5432/n";
        let cfg = load(None, env(&[("NEUTRINO_DATABASE_URL", pg)])).unwrap();
        assert_eq!(cfg.database.url, pg);
    }

    #[test]
    fn keystone_mode_is_set_from_the_environment() {
        let cfg = load(
            None,
            env(&[
                ("NEUTRINO_IDENTITY__MODE", "keystone"),
                ("NEUTRINO_IDENTITY__KEYSTONE__AUTH_URL", "http://ks:5000/v3"),
                ("NEUTRINO_IDENTITY__KEYSTONE__PASSWORD", "s3cret"),
                ("NEUTRINO_IDENTITY__KEYSTONE__TOKEN_CACHE_TTL_SECS", "2"),
                (
                    "NEUTRINO_IDENTITY__KEYSTONE__CAFILE",
                    "/etc/ssl/keystone-ca.pem",
                ),
                ("NEUTRINO_IDENTITY__KEYSTONE__INSECURE", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.identity.mode, "keystone");
        assert_eq!(cfg.identity.keystone.auth_url, "http://ks:5000/v3");
        assert_eq!(cfg.identity.keystone.password, "s3cret");
        assert_eq!(cfg.identity.keystone.token_cache_ttl_secs, 2);
        assert_eq!(cfg.identity.keystone.cafile, "/etc/ssl/keystone-ca.pem");
        assert!(cfg.identity.keystone.insecure);
        assert_eq!(cfg.identity.keystone.username, "neutrino", "default");
        assert_eq!(Config::default().identity.mode, "builtin");
        assert!(load(None, env(&[("NEUTRINO_IDENTITY__KEYSTONE__USER", "x")])).is_err());
    }

    #[test]
    fn unknown_keys_and_bad_types_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        assert!(load(Some(&file), env(&[])).is_err());
        assert!(
            load(
                None,
                env(&[("NEUTRINO_NETWORK__GLOBAL_PHYSNET_MTU", "big")])
            )
            .is_err()
        );
        assert!(load(None, env(&[("NEUTRINO_NETWORK__NO_SUCH_KEY", "1")])).is_err());
        assert!(
            load(None, env(&[("NEUTRINO_BIN", "/usr/bin/neutrino")])).is_ok(),
            "not a setting: ignored"
        );
        assert!(load(Some(Path::new("/nonexistent.toml")), env(&[])).is_err());
        let err = load(None, env(&[("NEUTRINO_LOG__FORMAT", "xml")])).unwrap_err();
        assert!(format!("{err:#}").contains("log.format"), "{err:#}");
        assert!(load(None, env(&[("NEUTRINO_LOG__FORMAT", "json")])).is_ok());
    }
}
