//! The `tags` table: one row per tag of a resource of a tagged table (see
//! [`crate::Table::tagged`]), so that lists filter by tag with an index. The documents stay what
//! clients are shown; the write door ([`crate::insert_row`], [`crate::update_row`],
//! [`crate::delete_row`]) keeps this table equal to them through [`write`], in the same
//! transaction. SQL in `migrations/*/0012_tags.sql`.

use crate::StoreError;
use crate::queries::{DocColumns, Table};
use crate::tables::RESOURCES;
use crate::tx::Tx;
use crate::value::Value;

/// Makes the tags of row `id` of `table` exactly `tags`. `fresh`: the row was just inserted, so
/// it has none yet.
pub(crate) fn write(
    tx: &Tx,
    table: Table,
    id: &str,
    tags: &[String],
    fresh: bool,
) -> Result<(), StoreError> {
    let key: [Value; 2] = [table.name.into(), id.into()];
    if !fresh {
        tx.execute(
            "DELETE FROM tags WHERE resource_id = ?2 AND resource_type = ?1",
            &key,
        )?;
    }
    if tags.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..tags.len())
        .map(|k| format!("(?1, ?2, ?{})", k + 3))
        .collect();
    let sql = format!(
        "INSERT INTO tags (resource_type, resource_id, tag) VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    );
    let mut args = key.to_vec();
    args.extend(tags.iter().map(Value::from));
    tx.execute(&sql, &args)?;
    Ok(())
}

/// The tagged tables that existed when `0012_tags` ran. Tables created by later migrations
/// (trunks, 0018) do not exist yet at that step, and write their tags with their rows anyway.
const TAGGED_AT_0012: [&str; 7] = [
    "networks",
    "subnets",
    "ports",
    "routers",
    "floatingips",
    "security_groups",
    "subnetpools",
];

/// Migration step of `0012_tags`: the tags of every stored document of a tagged table.
pub(crate) fn backfill(tx: &Tx) -> Result<(), StoreError> {
    let existing = |t: &Table| t.tagged && TAGGED_AT_0012.contains(&t.name);
    for table in RESOURCES.into_iter().filter(existing) {
        let sql = format!("SELECT id, doc FROM {}", table.name);
        for row in tx.query(&sql, &[])? {
            let id = row.text(0)?;
            let doc = DocColumns::parse(table, &row.text(1)?)?;
            write(tx, table, &id, &doc.tags.unwrap_or_default(), true)?;
        }
    }
    Ok(())
}

/// Every row of the `tags` table as (table, resource id, tag), in that order: what tests
/// compare with the stored documents.
pub fn all_tags(tx: &Tx) -> Result<Vec<(String, String, String)>, StoreError> {
    tx.query(
        "SELECT resource_type, resource_id, tag FROM tags ORDER BY resource_type, resource_id, tag",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
    .collect()
}
