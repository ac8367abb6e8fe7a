//! `neutrino changes`: the change feed (the outbox) as lines an operator or a test can read —
//! position, kind, id, revision, operation and time — oldest first; `--follow` keeps printing
//! changes as they commit.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use neutrino_store::Change;

use crate::config;

#[derive(clap::Args)]
pub struct ChangesArgs {
    /// Print the changes after this position (default: from the oldest kept).
    #[arg(long, default_value_t = 0)]
    since: i64,
    /// Keep running and print changes as they commit.
    #[arg(long)]
    follow: bool,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    json: bool,
    /// Data directory (overrides `data_dir`), for SQLite.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Config file (default: ./neutrino.toml if it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// How many entries one read takes.
const PAGE: i64 = 1000;

pub fn run(args: ChangesArgs) -> Result<()> {
    config::with_store(
        args.config.as_deref(),
        args.data_dir.as_deref(),
        async move |_, store| {
            let mut feed = store.subscribe();
            let mut position = args.since;
            loop {
                let page = store.changes(position, PAGE).await?;
                let mut out = std::io::stdout().lock();
                for c in &page {
                    print_change(&mut out, c, args.json)?;
                }
                out.flush()?;
                position = page.last().map_or(position, |c| c.seq);
                if page.len() as i64 == PAGE {
                    continue;
                }
                if !args.follow {
                    return Ok(());
                }
                // Another process's SQLite commits wake nobody here: look again every 200 ms.
                feed.wait(Duration::from_millis(200)).await;
            }
        },
    )
}

fn print_change(out: &mut impl Write, c: &Change, json: bool) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(c)?)?;
    } else {
        let op = serde_json::to_value(c.op)?;
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            c.seq,
            c.kind,
            c.id,
            c.revision,
            op.as_str().unwrap_or_default(),
            neutrino_network::time::format_utc(c.at_ms.div_euclid(1000))
        )?;
    }
    Ok(())
}
