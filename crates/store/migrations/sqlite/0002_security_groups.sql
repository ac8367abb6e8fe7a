-- Security groups, their rules, and which ports use which groups.

CREATE TABLE security_groups (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    -- 1 for the project's `default` group; the partial unique index keeps it one per project,
    -- even when several requests (or API replicas) create it at once.
    is_default INTEGER NOT NULL DEFAULT 0,
    doc        TEXT NOT NULL
);
CREATE INDEX security_groups_project ON security_groups (project_id);
CREATE UNIQUE INDEX security_groups_default ON security_groups (project_id) WHERE is_default = 1;

CREATE TABLE security_group_rules (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    -- The project owning the group: its members see the rule whoever created it.
    sg_project_id     TEXT NOT NULL,
    -- A rule that refers to another group goes with that group.
    remote_group_id   TEXT REFERENCES security_groups (id) ON DELETE CASCADE,
    -- What makes two rules of a group the same rule (direction, ethertype, protocol number,
    -- ports, remote); the unique index refuses a duplicate.
    fingerprint       TEXT NOT NULL,
    doc               TEXT NOT NULL
);
CREATE UNIQUE INDEX security_group_rules_unique
    ON security_group_rules (security_group_id, fingerprint);
CREATE INDEX security_group_rules_project ON security_group_rules (project_id);
CREATE INDEX security_group_rules_sg_project ON security_group_rules (sg_project_id);
CREATE INDEX security_group_rules_remote ON security_group_rules (remote_group_id);

-- The groups of each port; a group with rows here is in use and cannot be deleted.
CREATE TABLE port_security_groups (
    port_id           TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id),
    PRIMARY KEY (port_id, security_group_id)
);
CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id);
