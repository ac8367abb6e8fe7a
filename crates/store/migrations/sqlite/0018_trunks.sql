-- 0018_trunks: trunks (`trunk` extension) and the ports they use.
--
-- `trunks`: one row per trunk; `port_id` is its parent port.
CREATE TABLE trunks (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    port_id         TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    revision_number INTEGER NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX trunks_project ON trunks (project_id);
CREATE INDEX trunks_port ON trunks (port_id);
CREATE INDEX trunks_name_order ON trunks (lower(name), name, id);

-- `trunk_ports`: every port a trunk uses, its parent (role 'parent', no segmentation) and its
-- sub-ports (role 'subport'). The primary key is the port: a port belongs to one trunk at most,
-- as parent or as sub-port, however requests interleave. The unique index keeps a trunk's
-- (segmentation type, id) pairs apart; the parent's NULLs never collide. `doc`: the sub-port as
-- the API shows it in `sub_ports`.
CREATE TABLE trunk_ports (
    id                TEXT PRIMARY KEY REFERENCES ports (id),
    trunk_id          TEXT NOT NULL REFERENCES trunks (id) ON DELETE CASCADE,
    role              TEXT NOT NULL,
    segmentation_type TEXT,
    segmentation_id   INTEGER,
    doc               TEXT NOT NULL
);
CREATE INDEX trunk_ports_trunk ON trunk_ports (trunk_id, role);
CREATE UNIQUE INDEX trunk_ports_segmentation
    ON trunk_ports (trunk_id, segmentation_type, segmentation_id);
