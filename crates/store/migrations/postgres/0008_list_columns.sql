-- 0008_list_columns: what clients filter and page by, as indexed columns: every named resource's
-- `name` (and a port's `device_owner`), kept equal to the document by the store's write path;
-- allocations by address, for the `fixed_ips=ip_address=…` filter.

ALTER TABLE networks ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE networks SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX networks_name ON networks (name);
ALTER TABLE subnets ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE subnets SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX subnets_name ON subnets (name);
ALTER TABLE ports ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE ports SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX ports_name ON ports (name);
ALTER TABLE routers ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE routers SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX routers_name ON routers (name);
ALTER TABLE floatingips ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE floatingips SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX floatingips_name ON floatingips (name);
ALTER TABLE security_groups ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE security_groups SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX security_groups_name ON security_groups (name);
ALTER TABLE subnetpools ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE subnetpools SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX subnetpools_name ON subnetpools (name);
ALTER TABLE address_scopes ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE address_scopes SET name = COALESCE(doc::json->>'name', '');
CREATE INDEX address_scopes_name ON address_scopes (name);
ALTER TABLE ports ADD COLUMN device_owner TEXT NOT NULL DEFAULT '';
UPDATE ports SET device_owner = COALESCE(doc::json->>'device_owner', '');
CREATE INDEX ports_device_owner ON ports (device_owner);
CREATE INDEX ip_allocations_address ON ip_allocations (ip_address);
