-- 0022_port_forwardings: floating IP port forwardings (`floating-ip-port-forwarding`).
--
-- One row per forwarding, under its floating IP (`project_id`: the floating IP's project, who
-- may read and change it). A single port is stored as a range of one port. The unique indexes
-- are upstream's: an external range once per floating IP and protocol, an internal socket range
-- once per port, address and protocol. Not a resource of its own: a change here is a new
-- revision of the floating IP, as upstream's `revises_on_change`.
CREATE TABLE port_forwardings (
    id                  TEXT PRIMARY KEY,
    floatingip_id       TEXT NOT NULL REFERENCES floatingips (id) ON DELETE CASCADE,
    project_id          TEXT NOT NULL,
    internal_port_id    TEXT NOT NULL,
    protocol            TEXT NOT NULL,
    internal_ip_address TEXT NOT NULL,
    external_port_start INTEGER NOT NULL,
    external_port_end   INTEGER NOT NULL,
    internal_port_start INTEGER NOT NULL,
    internal_port_end   INTEGER NOT NULL,
    doc                 TEXT NOT NULL
);
CREATE INDEX port_forwardings_fip ON port_forwardings (floatingip_id);
CREATE INDEX port_forwardings_port ON port_forwardings (internal_port_id);
CREATE UNIQUE INDEX port_forwardings_external
    ON port_forwardings (floatingip_id, protocol, external_port_start, external_port_end);
CREATE UNIQUE INDEX port_forwardings_internal
    ON port_forwardings (protocol, internal_port_id, internal_ip_address, internal_port_start,
                         internal_port_end);
