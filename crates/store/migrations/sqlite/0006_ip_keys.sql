-- 0006_ip_keys: each allocation's address as an integer, so that the next free address of a
-- pool is a gap search on an index rather than a read of every allocation. Rows allocated
-- before this migration get their key from the store's backfill step.
ALTER TABLE ip_allocations ADD COLUMN ip_key INTEGER;
CREATE INDEX ip_allocations_key ON ip_allocations (subnet_id, ip_key);
