-- 0005_subnetpools: subnet pools, address scopes and the blocks subnets took from pools.

-- `default_version`: the pool's IP version while it is the default pool, else NULL; unique, so
-- there is at most one default pool per IP version.
CREATE TABLE subnetpools (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL,
    address_scope_id TEXT,
    default_version  INTEGER,
    doc              TEXT NOT NULL
);
CREATE INDEX subnetpools_project ON subnetpools (project_id);
CREATE INDEX subnetpools_scope ON subnetpools (address_scope_id);
CREATE UNIQUE INDEX subnetpools_default ON subnetpools (default_version);

CREATE TABLE address_scopes (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX address_scopes_project ON address_scopes (project_id);

-- One row per subnet allocated from a pool (id = the subnet's id); `doc` is its CIDR. Lets an
-- allocation read only its pool's blocks.
CREATE TABLE subnetpool_subnets (
    id            TEXT PRIMARY KEY,
    subnetpool_id TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX subnetpool_subnets_pool ON subnetpool_subnets (subnetpool_id, project_id);
