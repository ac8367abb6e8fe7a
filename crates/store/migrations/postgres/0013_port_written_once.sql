-- 0013_port_written_once: a new port's row is written once, with its addresses in its document,
-- so its allocations go in first: their reference to the port is checked at commit (deferred)
-- instead of at each insert. Also drops ports_network: ports_network_mac (network_id,
-- mac_address) serves every lookup by network, and each index costs every port write.
ALTER TABLE ip_allocations ALTER CONSTRAINT ip_allocations_port_id_fkey DEFERRABLE INITIALLY DEFERRED;
DROP INDEX ports_network;
