-- Subnet pools, address scopes and the blocks subnets took from pools (PostgreSQL).

CREATE TABLE subnetpools (
    id               TEXT PRIMARY KEY,
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id       TEXT NOT NULL,
    address_scope_id TEXT,
    default_version  BIGINT,
    doc              TEXT NOT NULL
);
CREATE INDEX subnetpools_seq ON subnetpools (seq);
CREATE INDEX subnetpools_project ON subnetpools (project_id);
CREATE INDEX subnetpools_scope ON subnetpools (address_scope_id);
CREATE UNIQUE INDEX subnetpools_default ON subnetpools (default_version);

CREATE TABLE address_scopes (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX address_scopes_seq ON address_scopes (seq);
CREATE INDEX address_scopes_project ON address_scopes (project_id);

CREATE TABLE subnetpool_subnets (
    id            TEXT PRIMARY KEY,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    subnetpool_id TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX subnetpool_subnets_pool ON subnetpool_subnets (subnetpool_id, project_id);
