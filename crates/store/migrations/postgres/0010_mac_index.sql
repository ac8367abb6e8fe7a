-- 0010_mac_index: ports by MAC alone (the unique index is per network), for the mac_address filter.
CREATE INDEX ports_mac ON ports (mac_address);
