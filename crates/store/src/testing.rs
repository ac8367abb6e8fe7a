//! For tests of this and other crates: a store on the engine the test run asks for.
//!
//! `NEUTRINO_TEST_ENGINE=postgres` (with `NEUTRINO_TEST_POSTGRES_URL`, which `scripts/test` sets
//! from its PostgreSQL sandbox) gives every store its own fresh schema in that database;
//! otherwise (or `sqlite`) a SQLite file in the given directory. A run that asks for PostgreSQL
//! without a server fails loudly rather than testing SQLite instead.

use std::path::Path;

use postgres::NoTls;

use crate::tx::Tx;
use crate::{DatabaseConfig, Store, StoreError, tables};

/// A network `n1` of project `p` and a port `p1` on it (device `vm`), with these documents: the
/// rows store tests start from.
pub fn insert_network_and_port(
    tx: &Tx,
    network_doc: &str,
    port_doc: &str,
) -> Result<(), StoreError> {
    crate::insert_row(
        tx,
        tables::NETWORKS,
        "n1",
        &[("project_id", "p".into()), ("open", 0.into())],
        network_doc,
    )?;
    crate::insert_row(
        tx,
        tables::PORTS,
        "p1",
        &[
            ("project_id", "p".into()),
            ("network_id", "n1".into()),
            ("device_id", "vm".into()),
            ("mac_address", "fa:16:3e:00:00:01".into()),
        ],
        port_doc,
    )
}

/// Which engine the test run asks for.
pub fn engine() -> &'static str {
    match std::env::var("NEUTRINO_TEST_ENGINE").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// A database for one test: dropped (PostgreSQL schema) when this is dropped.
pub struct ScratchDatabase {
    pub config: DatabaseConfig,
    schema: Option<(String, String)>,
}

impl ScratchDatabase {
    /// A fresh, empty database for the engine of this test run; SQLite lives in `dir`.
    pub fn new(dir: &Path) -> ScratchDatabase {
        if engine() != "postgres" {
            return ScratchDatabase {
                config: DatabaseConfig::default(),
                schema: None,
            };
        }
        let _ = dir;
        let url = std::env::var("NEUTRINO_TEST_POSTGRES_URL").expect(
            "NEUTRINO_TEST_ENGINE=postgres needs NEUTRINO_TEST_POSTGRES_URL (scripts/test starts a server)",
        );
        let schema = format!("t_{}", uuid_like());
        crate::postgres::off_runtime(|| {
            let mut admin = postgres::Client::connect(&url, NoTls)
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
            admin
                .batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create schema");
        });
        let sep = if url.contains('?') { '&' } else { '?' };
        ScratchDatabase {
            config: DatabaseConfig {
                url: format!("{url}{sep}options=-csearch_path%3D{schema}"),
                ..DatabaseConfig::default()
            },
            schema: Some((url, schema)),
        }
    }

    /// Opens a store on it (again, after a previous store was dropped: it reopens the data).
    pub fn open(&self, dir: &Path) -> Result<Store, StoreError> {
        Store::open(&self.config, dir)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.schema {
            crate::postgres::off_runtime(|| {
                if let Ok(mut admin) = postgres::Client::connect(url, NoTls) {
                    let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            });
        }
    }
}

/// Runs `sql` in a write transaction: for tests that damage a database on purpose (rename a
/// table the store needs, forget a migration) to see how the service reports it.
pub async fn execute(store: &Store, sql: &'static str) -> Result<usize, StoreError> {
    store.write(move |tx| tx.execute(sql, &[])).await
}

/// A name unique enough for concurrent test processes.
fn uuid_like() -> String {
    use rand::RngExt;
    let n: u64 = rand::rng().random();
    format!("{:x}_{n:016x}", std::process::id())
}
