-- Per-project quota limits and RBAC policies (PostgreSQL).

CREATE TABLE quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);

CREATE TABLE rbac_policies (
    id             TEXT PRIMARY KEY,
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id     TEXT NOT NULL,
    object_type    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_project TEXT NOT NULL,
    doc            TEXT NOT NULL
);
CREATE INDEX rbac_policies_seq ON rbac_policies (seq);
CREATE UNIQUE INDEX rbac_policies_unique
    ON rbac_policies (object_type, object_id, action, target_project);
CREATE INDEX rbac_policies_target ON rbac_policies (target_project, object_type);
CREATE INDEX rbac_policies_object ON rbac_policies (object_id);
CREATE INDEX rbac_policies_project ON rbac_policies (project_id);
