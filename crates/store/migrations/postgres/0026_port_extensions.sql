-- 0026_port_extensions: ports show `qos_network_policy_id` and `resource_request`, computed on
-- read; their documents hold both as null (so that a port without QoS is its own view). Ports
-- written before get the two keys appended, leaving the rest of the document as it was.
UPDATE ports
SET doc = substr(doc, 1, length(doc) - 1) || ',"qos_network_policy_id":null,"resource_request":null}'
WHERE doc LIKE '%}' AND doc NOT LIKE '%"resource_request":%';

-- `binding-extended`: a port's bindings other than its active one (which stays in the port's
-- document as `binding:*`): the inactive bindings a live migration creates on its target host.
-- id = port id + '/' + host, so a port has one binding per host.
CREATE TABLE port_bindings (
    id      TEXT PRIMARY KEY,
    seq     BIGINT GENERATED ALWAYS AS IDENTITY,
    port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    host    TEXT NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX port_bindings_seq ON port_bindings (seq);
CREATE INDEX port_bindings_port ON port_bindings (port_id);
