//! The one migration history of both engines: each migration has a name, its SQL for the
//! engine, and optionally a step in Rust that runs after the SQL (e.g. filling a new column from
//! data SQL cannot parse). Engines apply the pending ones at start, inside one transaction, and
//! refuse a database that has migrations this binary does not know.

use crate::StoreError;
use crate::tx::Tx;

/// A migration step written in Rust, run inside the migration's transaction.
pub(crate) type Step = fn(&Tx) -> Result<(), StoreError>;

/// One step of the schema history.
pub(crate) struct Migration {
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
    pub(crate) then: Option<Step>,
}

impl Migration {
    pub(crate) const fn sql(name: &'static str, sql: &'static str) -> Migration {
        Migration {
            name,
            sql,
            then: None,
        }
    }

    pub(crate) const fn then(mut self, step: Step) -> Migration {
        self.then = Some(step);
        self
    }
}

/// The migrations of `history` the database lacks (empty: the schema is current). Fails as
/// [`apply`] does for a database made by a newer binary.
pub(crate) fn pending(tx: &Tx, history: &[Migration]) -> Result<Vec<String>, StoreError> {
    let done = tx.texts("SELECT name FROM schema_migrations ORDER BY name", &[])?;
    check_known(&done, history)?;
    Ok(history
        .iter()
        .filter(|m| !done.iter().any(|n| n == m.name))
        .map(|m| m.name.to_string())
        .collect())
}

fn check_known(done: &[String], history: &[Migration]) -> Result<(), StoreError> {
    match done.iter().find(|n| !history.iter().any(|m| m.name == *n)) {
        Some(unknown) => Err(StoreError::SchemaTooNew {
            found: unknown.clone(),
            known: history.last().map_or("none", |m| m.name).to_string(),
        }),
        None => Ok(()),
    }
}

/// Applies the migrations of `history` that `schema_migrations` does not list, in order, with
/// `run_sql` for their SQL scripts; returns the names applied. Fails if the database lists a
/// migration the history does not have: it was made by a newer binary.
pub(crate) fn apply(
    tx: &Tx,
    history: &[Migration],
    run_sql: impl Fn(&str) -> Result<(), StoreError>,
) -> Result<Vec<&'static str>, StoreError> {
    let done = tx.texts("SELECT name FROM schema_migrations ORDER BY name", &[])?;
    check_known(&done, history)?;
    let mut applied = Vec::new();
    for m in history {
        if done.iter().any(|n| n == m.name) {
            continue;
        }
        let failed = |e: StoreError| StoreError::Migration {
            name: m.name.to_string(),
            reason: e.to_string(),
        };
        run_sql(m.sql).map_err(failed)?;
        if let Some(step) = m.then {
            step(tx).map_err(failed)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)",
            &[m.name.into(), crate::unix_time().into()],
        )?;
        applied.push(m.name);
    }
    Ok(applied)
}
