//! `neutrino identity rotate-key|keys`: the built-in identity's signing keys, which every replica
//! on the database shares.
//!
//! * `rotate-key`: adds a new signing key. Replicas accept tokens it signs at once (a token of
//!   a key a replica does not know makes it read the keys again) and sign with it from their next
//!   refresh (within 30 s); the replaced key stays accepted until every token it signed has
//!   expired (`[identity] token_ttl_secs` of this command's config, plus a minute), then it is
//!   pruned.
//! * `keys`: each key's id, age and state; never the secrets.

use std::path::PathBuf;

use anyhow::{Result, bail};
use neutrino_store::signing_keys::signing_keys;
use neutrino_store::unix_time_ms;

use crate::config;

#[derive(clap::Args)]
pub struct IdentityArgs {
    #[command(subcommand)]
    command: IdentityCommand,
    /// Data directory (overrides `data_dir`), for SQLite.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Config file (default: ./neutrino.toml if it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum IdentityCommand {
    /// Add a new signing key; the replaced one is accepted until its tokens have expired.
    RotateKey,
    /// List the signing keys: id, age, and until when each is accepted (no secrets).
    Keys,
}

pub fn run(args: IdentityArgs) -> Result<()> {
    config::with_store(
        args.config.as_deref(),
        args.data_dir.as_deref(),
        async move |cfg, store| {
            if cfg.identity.mode != "builtin" {
                bail!(
                    "[identity] mode is {:?}: only the built-in identity signs tokens",
                    cfg.identity.mode
                );
            }
            match args.command {
                IdentityCommand::RotateKey => {
                    let id = neutrino_identity::rotate_signing_key(
                        &store,
                        &cfg.data_dir,
                        cfg.identity.token_ttl_secs,
                    )
                    .await?;
                    println!("signing key {id} added; replicas sign with it within 30 s");
                }
                IdentityCommand::Keys => {
                    let now = unix_time_ms();
                    println!("{:>6}  {:>12}  state", "id", "age");
                    for key in store.read(signing_keys).await? {
                        let state = match key.accepted_until_ms {
                            None => "signing".to_string(),
                            Some(until) if key.accepted_at(now) => {
                                format!("accepted for {}", seconds(until - now))
                            }
                            Some(_) => "expired (pruned at the next rotation or start)".to_string(),
                        };
                        println!(
                            "{:>6}  {:>12}  {state}",
                            key.id,
                            seconds(now - key.created_ms)
                        );
                    }
                }
            }
            Ok(())
        },
    )
}

/// A duration in milliseconds as whole seconds (`86400s`).
fn seconds(ms: i64) -> String {
    format!("{}s", ms.max(0) / 1000)
}
