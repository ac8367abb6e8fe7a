-- 0007_outbox: every resource row's revision as a column (the reconciler compares (id, revision)
-- without parsing documents), and the outbox: one entry per insert, update and delete of a resource
-- row, written in the same transaction by the store's one write path.

ALTER TABLE networks ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE networks SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE subnets ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE subnets SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE ports ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE ports SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE routers ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE routers SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE floatingips ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE floatingips SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE security_groups ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE security_groups SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE security_group_rules ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE security_group_rules SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE rbac_policies ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE rbac_policies SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE subnetpools ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE subnetpools SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);
ALTER TABLE address_scopes ADD COLUMN revision_number INTEGER NOT NULL DEFAULT 1;
UPDATE address_scopes SET revision_number = COALESCE(json_extract(doc, '$.revision_number'), 1);

-- The single writer commits in the order it appends, so the entry's key is its position in the feed.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    op          TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
);

-- Where each registered consumer of the feed has got to; entries every consumer has passed are pruned.
CREATE TABLE outbox_consumers (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
