-- Networks, subnets and ports (PostgreSQL). The same tables as the SQLite history, with
-- BIGINT for every integer and `seq`, an identity column, for insertion order.

CREATE TABLE networks (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id TEXT NOT NULL,
    -- 1 when every project may see the network (shared or external).
    open       BIGINT NOT NULL DEFAULT 0,
    doc        TEXT NOT NULL
);
CREATE INDEX networks_seq ON networks (seq);
CREATE INDEX networks_project ON networks (project_id);
CREATE INDEX networks_open ON networks (open) WHERE open = 1;

CREATE TABLE network_segments (
    network_id       TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    network_type     TEXT NOT NULL,
    physical_network TEXT NOT NULL DEFAULT '',
    segmentation_id  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX network_segments_unique
    ON network_segments (network_type, physical_network, segmentation_id);
CREATE INDEX network_segments_network ON network_segments (network_id);

CREATE TABLE subnets (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    network_id TEXT NOT NULL REFERENCES networks (id),
    project_id TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX subnets_seq ON subnets (seq);
CREATE INDEX subnets_network ON subnets (network_id);
CREATE INDEX subnets_project ON subnets (project_id);

CREATE TABLE ports (
    id          TEXT PRIMARY KEY,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    network_id  TEXT NOT NULL REFERENCES networks (id),
    project_id  TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    mac_address TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ports_seq ON ports (seq);
CREATE UNIQUE INDEX ports_network_mac ON ports (network_id, mac_address);
CREATE INDEX ports_network ON ports (network_id);
CREATE INDEX ports_project ON ports (project_id);
CREATE INDEX ports_device ON ports (device_id);

CREATE TABLE ip_allocations (
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    ip_address TEXT NOT NULL,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    CONSTRAINT ip_allocations_pkey PRIMARY KEY (subnet_id, ip_address)
);
CREATE INDEX ip_allocations_port ON ip_allocations (port_id);
