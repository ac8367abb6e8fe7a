-- 0009_status: a resource's operational status as a column, kept equal to the document by the write
-- path, so that the data plane can set it (Store::set_status) without a new revision.

ALTER TABLE networks ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE networks SET status = COALESCE(doc::json->>'status', '');
ALTER TABLE ports ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE ports SET status = COALESCE(doc::json->>'status', '');
ALTER TABLE routers ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE routers SET status = COALESCE(doc::json->>'status', '');
ALTER TABLE floatingips ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE floatingips SET status = COALESCE(doc::json->>'status', '');
CREATE INDEX ports_status ON ports (status);
