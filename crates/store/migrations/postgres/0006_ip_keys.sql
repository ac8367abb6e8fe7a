-- Each allocation's address as an integer, for the gap search of the next free address.
ALTER TABLE ip_allocations ADD COLUMN ip_key BIGINT;
CREATE INDEX ip_allocations_key ON ip_allocations (subnet_id, ip_key);
