-- Networks, subnets and ports. Each resource row keeps the columns SQL must index or
-- enforce (ownership, parent, uniqueness) beside `doc`, the resource as the API shows it.

CREATE TABLE networks (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    -- 1 when every project may see the network (shared or external).
    open       INTEGER NOT NULL DEFAULT 0,
    doc        TEXT NOT NULL
);
CREATE INDEX networks_project ON networks (project_id);
CREATE INDEX networks_open ON networks (open) WHERE open = 1;

-- One row per segment; the unique index makes segmentation-id allocation race-free.
CREATE TABLE network_segments (
    network_id       TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    network_type     TEXT NOT NULL,
    physical_network TEXT NOT NULL DEFAULT '',
    segmentation_id  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX network_segments_unique
    ON network_segments (network_type, physical_network, segmentation_id);
CREATE INDEX network_segments_network ON network_segments (network_id);

CREATE TABLE subnets (
    id         TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks (id),
    project_id TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX subnets_network ON subnets (network_id);
CREATE INDEX subnets_project ON subnets (project_id);

CREATE TABLE ports (
    id          TEXT PRIMARY KEY,
    network_id  TEXT NOT NULL REFERENCES networks (id),
    project_id  TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    mac_address TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE UNIQUE INDEX ports_network_mac ON ports (network_id, mac_address);
CREATE INDEX ports_network ON ports (network_id);
CREATE INDEX ports_project ON ports (project_id);
CREATE INDEX ports_device ON ports (device_id);

-- Every fixed IP of every port; the primary key makes address allocation race-free.
CREATE TABLE ip_allocations (
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    ip_address TEXT NOT NULL,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    PRIMARY KEY (subnet_id, ip_address)
);
CREATE INDEX ip_allocations_port ON ip_allocations (port_id);
