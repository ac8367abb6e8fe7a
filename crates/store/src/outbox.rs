//! The outbox: what changed, in commit order. Every insert, update and delete of a resource row
//! appends `(kind, id, revision, op)` here in the same transaction ([`crate::insert_row`] and its
//! siblings are the only way the rules write resource rows). Back ends and `neutrino changes`
//! read it from a durable position (`seq`), so a restarted consumer misses nothing; entries that
//! every registered consumer has passed are pruned.

use crate::StoreError;
use crate::tx::Tx;

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Position in the feed: increases in commit order.
    pub seq: i64,
    /// The resource kind ("network", "port", ...).
    pub kind: String,
    pub id: String,
    /// The row's revision after the change (for a delete: one past its last revision).
    pub revision: i64,
    pub op: Op,
    /// When the change was made, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    fn parse(s: &str) -> Result<Op, StoreError> {
        match s {
            "create" => Ok(Op::Create),
            "update" => Ok(Op::Update),
            "delete" => Ok(Op::Delete),
            other => Err(StoreError::Database(format!("unknown outbox op {other}"))),
        }
    }
}

/// Records a change of a resource row (called by the store's write path only).
pub(crate) fn append(
    tx: &Tx,
    kind: &str,
    id: &str,
    revision: i64,
    op: Op,
) -> Result<(), StoreError> {
    tx.execute_later(
        "INSERT INTO outbox (kind, resource_id, revision, op, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            kind.into(),
            id.into(),
            revision.into(),
            op.as_str().into(),
            crate::unix_time_ms().into(),
        ],
    )?;
    tx.mark_changed();
    Ok(())
}

/// The entries after position `after`, oldest first, at most `limit`.
pub fn changes_since(tx: &Tx, after: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
    tx.query(
        "SELECT seq, kind, resource_id, revision, op, at_ms FROM outbox \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        &[after.into(), limit.into()],
    )?
    .iter()
    .map(|r| {
        Ok(Change {
            seq: r.int(0)?,
            kind: r.text(1)?,
            id: r.text(2)?,
            revision: r.int(3)?,
            op: Op::parse(&r.text(4)?)?,
            at_ms: r.int(5)?,
        })
    })
    .collect()
}

/// The position of the newest entry (0 when the feed is empty).
pub fn last_position(tx: &Tx) -> Result<i64, StoreError> {
    Ok(tx
        .query_one("SELECT MAX(seq) FROM outbox", &[])?
        .opt_int(0)?
        .unwrap_or(0))
}

/// Registers a consumer at `position`, or moves it there: entries up to it may be pruned.
pub fn set_consumer_position(tx: &Tx, consumer: &str, position: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO outbox_consumers (name, position) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        &[consumer.into(), position.into()],
    )?;
    Ok(())
}

/// A consumer's position and its own report on itself (JSON), written together.
pub fn set_consumer_status(
    tx: &Tx,
    consumer: &str,
    position: i64,
    status: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO outbox_consumers (name, position, status, status_at_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, \
         status = excluded.status, status_at_ms = excluded.status_at_ms",
        &[
            consumer.into(),
            position.into(),
            status.into(),
            crate::unix_time_ms().into(),
        ],
    )?;
    Ok(())
}

/// What a registered consumer is: its position, and its last report and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub position: i64,
    pub status: Option<String>,
    pub status_at_ms: Option<i64>,
}

/// A registered consumer, if it is registered.
pub fn consumer(tx: &Tx, consumer: &str) -> Result<Option<Consumer>, StoreError> {
    tx.query_opt(
        "SELECT position, status, status_at_ms FROM outbox_consumers WHERE name = ?1",
        &[consumer.into()],
    )?
    .map(|r| {
        Ok(Consumer {
            position: r.int(0)?,
            status: r.opt_text(1)?,
            status_at_ms: r.opt_int(2)?,
        })
    })
    .transpose()
}

/// How many changes there are after `position`.
pub fn count_after(tx: &Tx, position: i64) -> Result<i64, StoreError> {
    tx.query_one(
        "SELECT COUNT(*) FROM outbox WHERE seq > ?1",
        &[position.into()],
    )?
    .int(0)
}

/// When the oldest change after `position` was made (ms since the epoch), if there is one.
pub fn oldest_after(tx: &Tx, position: i64) -> Result<Option<i64>, StoreError> {
    tx.query_one(
        "SELECT MIN(at_ms) FROM outbox WHERE seq > ?1",
        &[position.into()],
    )?
    .opt_int(0)
}

/// Forgets a consumer: it no longer holds entries back.
pub fn remove_consumer(tx: &Tx, consumer: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM outbox_consumers WHERE name = ?1",
        &[consumer.into()],
    )?;
    Ok(())
}

/// Deletes the entries every registered consumer has passed; with no consumer registered, the
/// entries older than `retain_ms`. Returns how many went.
pub fn prune(tx: &Tx, retain_ms: i64) -> Result<usize, StoreError> {
    let slowest = tx
        .query_one("SELECT MIN(position) FROM outbox_consumers", &[])?
        .opt_int(0)?;
    match slowest {
        Some(position) => tx.execute("DELETE FROM outbox WHERE seq <= ?1", &[position.into()]),
        None => tx.execute(
            "DELETE FROM outbox WHERE at_ms < ?1 AND seq IS NOT NULL",
            &[(crate::unix_time_ms() - retain_ms).into()],
        ),
    }
}
