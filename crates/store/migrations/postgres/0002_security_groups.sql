-- Security groups, their rules, and which ports use which groups (PostgreSQL).

CREATE TABLE security_groups (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id TEXT NOT NULL,
    is_default BIGINT NOT NULL DEFAULT 0,
    doc        TEXT NOT NULL
);
CREATE INDEX security_groups_seq ON security_groups (seq);
CREATE INDEX security_groups_project ON security_groups (project_id);
CREATE UNIQUE INDEX security_groups_default ON security_groups (project_id) WHERE is_default = 1;

CREATE TABLE security_group_rules (
    id                TEXT PRIMARY KEY,
    seq               BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id        TEXT NOT NULL,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    sg_project_id     TEXT NOT NULL,
    remote_group_id   TEXT REFERENCES security_groups (id) ON DELETE CASCADE,
    fingerprint       TEXT NOT NULL,
    doc               TEXT NOT NULL
);
CREATE INDEX security_group_rules_seq ON security_group_rules (seq);
CREATE UNIQUE INDEX security_group_rules_unique
    ON security_group_rules (security_group_id, fingerprint);
CREATE INDEX security_group_rules_project ON security_group_rules (project_id);
CREATE INDEX security_group_rules_sg_project ON security_group_rules (sg_project_id);
CREATE INDEX security_group_rules_remote ON security_group_rules (remote_group_id);

CREATE TABLE port_security_groups (
    port_id           TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id),
    PRIMARY KEY (port_id, security_group_id)
);
CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id);
