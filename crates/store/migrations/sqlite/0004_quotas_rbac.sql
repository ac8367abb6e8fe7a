-- 0004_quotas_rbac: per-project quota limits and RBAC policies.

-- A project's explicit limit for one resource; resources without a row use the configured
-- default.
CREATE TABLE quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource)
);

-- Who may use an object of another project, and how. The unique index makes duplicate
-- policies a conflict; `target_project` is a project id or '*'.
CREATE TABLE rbac_policies (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL,
    object_type    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_project TEXT NOT NULL,
    doc            TEXT NOT NULL
);
CREATE UNIQUE INDEX rbac_policies_unique
    ON rbac_policies (object_type, object_id, action, target_project);
CREATE INDEX rbac_policies_target ON rbac_policies (target_project, object_type);
CREATE INDEX rbac_policies_object ON rbac_policies (object_id);
CREATE INDEX rbac_policies_project ON rbac_policies (project_id);
