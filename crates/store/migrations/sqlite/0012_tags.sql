-- 0012_tags: what lists filter and sort by in SQL.
--
-- `tags`: one row per tag of a resource of a tagged table (resource_type = the table's name),
-- kept equal to the documents' `tags` by the store's write path; filled from the documents by
-- the migration's Rust step (`tags::backfill`).
CREATE TABLE tags (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    tag           TEXT NOT NULL,
    PRIMARY KEY (resource_id, resource_type, tag)
);
CREATE INDEX tags_tag ON tags (tag, resource_type, resource_id);

-- A subnet pool's and an address scope's `shared`, for the visibility predicate of callers who
-- are not admins; kept equal to the document by the write path.
ALTER TABLE subnetpools ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
UPDATE subnetpools SET shared = COALESCE(json_extract(doc, '$.shared'), 0);
ALTER TABLE address_scopes ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
UPDATE address_scopes SET shared = COALESCE(json_extract(doc, '$.shared'), 0);

-- `sort_key=name` pages as keyset walks: names case-insensitively, then exactly, then ids.
CREATE INDEX networks_name_order ON networks (lower(name), name, id);
CREATE INDEX subnets_name_order ON subnets (lower(name), name, id);
CREATE INDEX ports_name_order ON ports (lower(name), name, id);
CREATE INDEX routers_name_order ON routers (lower(name), name, id);
CREATE INDEX floatingips_name_order ON floatingips (lower(name), name, id);
CREATE INDEX security_groups_name_order ON security_groups (lower(name), name, id);
