-- 0013_port_written_once: a new port's row is written once, with its addresses in its document,
-- so its allocations go in first: their reference to the port is checked at commit (deferred)
-- instead of at each insert. SQLite cannot alter a constraint, so the table is rebuilt.
-- Also drops ports_network: ports_network_mac (network_id, mac_address) serves every lookup by
-- network, and each index costs every port write.
CREATE TABLE ip_allocations_0013 (
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    ip_address TEXT NOT NULL,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    ip_key     INTEGER,
    PRIMARY KEY (subnet_id, ip_address)
);
INSERT INTO ip_allocations_0013 (subnet_id, ip_address, port_id, ip_key)
    SELECT subnet_id, ip_address, port_id, ip_key FROM ip_allocations;
DROP TABLE ip_allocations;
ALTER TABLE ip_allocations_0013 RENAME TO ip_allocations;
CREATE INDEX ip_allocations_port ON ip_allocations (port_id);
CREATE INDEX ip_allocations_key ON ip_allocations (subnet_id, ip_key);
CREATE INDEX ip_allocations_address ON ip_allocations (ip_address);
DROP INDEX ports_network;
